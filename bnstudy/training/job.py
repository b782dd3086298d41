"""A training job: one configuration, all its seeds, its outputs written atomically.

``run_job`` is the entry point of the ``train_config`` rule (scripts/train_config.py):
it loads the dataset, trains every seed with the batched trainer, and writes the
run's tidy metrics (``metrics.csv``), per-epoch wall times (``timing.csv``) and
resolved configuration (``config.json``: the exact values it ran with, the
library versions, its device, threads and peak memory). ``train_runs`` and
``train_config`` are the same training for code and tests, without files.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from typing import TYPE_CHECKING

import torch

from bnstudy import io
from bnstudy.config import TrainConfig
from bnstudy.training.records import METRICS_COLUMNS, TIMING_COLUMNS, SeedRun

if TYPE_CHECKING:  # pandas costs a training job 0.2 s to import; only tests want tables
    import pandas as pd

log = logging.getLogger("bnstudy.train")


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def train_runs(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> list[SeedRun]:
    """Train every seed of one configuration; one ``SeedRun`` per seed.

    ``batched`` trains all seeds as one stacked model (``bnstudy.training.batched``);
    ``batched=False`` trains them one after another with the reference trainer
    (``bnstudy.training.reference``). Both give the same metrics to float32 rounding.
    """
    dev = resolve_device(device)
    if batched:
        from bnstudy.training.batched import train_seeds_batched

        return train_seeds_batched(cfg, data, seeds, dev)
    from bnstudy.training.reference import train_seed

    return [train_seed(cfg, data, seed, dev) for seed in seeds]


def train_config(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``train_runs`` as tables: (tidy metrics, per-epoch wall times)."""
    import pandas as pd

    runs = train_runs(cfg, data, seeds, device, batched)
    metrics = pd.DataFrame([row for r in runs for row in r.rows], columns=METRICS_COLUMNS)
    timing = pd.DataFrame([t for r in runs for t in r.times], columns=TIMING_COLUMNS)
    return metrics, timing


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": version("numpy"),
        "pandas": version("pandas"),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (10⁶ bytes).

    Exact, unlike the benchmark files' ``max_rss``, which Snakemake samples
    (every 0.5 s, then every 30 s) and so can miss a short peak.
    """
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak * (1 if sys.platform == "darwin" else 1024) / 1e6, 1)


#: Test hook: a run whose ``<family>/<config_id>`` contains this variable's value
#: raises before training, as a crash would (tests/test_failures.py sets it).
FAIL_ENV = "BNSTUDY_FAIL"


def _injected_failure(params: dict) -> None:
    import os

    wanted = os.environ.get(FAIL_ENV)
    if wanted and wanted in f"{params['family']}/{params['config_id']}":
        raise RuntimeError(f"failure injected by {FAIL_ENV}={wanted} (a test hook)")


def run_job(
    params: dict, data_path: str, outputs: dict[str, str], threads: int = 1, log_path: str = ""
) -> None:
    """Entry point of the ``train_config`` rule: train, then write outputs atomically.

    ``params`` is the job's own configuration: ``{"family": ..., "config_id": ...,
    "config": {...}, "seeds": [...], "device": ...}``. ``outputs`` names the
    ``metrics``, ``timing`` and ``resolved`` files.

    A configuration that raises is recorded, not lost with the rest: its
    resolved config says ``"status": "failed"`` with the error, its metrics and
    timing files hold only their header, and the job still succeeds, so the
    other configurations' tables, the claims and the report are made; the
    workflow then names the failed runs and exits non-zero (common.smk). A
    diverging seed is not a failure (``diverged`` in the metrics).
    """
    from bnstudy.data import load_dataset

    torch.set_num_threads(threads)
    cfg = TrainConfig.from_dict(params["config"])
    log.info(
        "training %s with seeds %s", json.dumps(cfg.to_dict(), sort_keys=True), params["seeds"]
    )
    start = time.perf_counter()
    status, error = "ok", None
    try:
        _injected_failure(params)
        data = load_dataset(data_path)
        if data["task"] != "regression" and cfg.model == "mlp" and data["x_train"].ndim > 2:
            flat = {"x_train": data["x_train"].flatten(1), "x_test": data["x_test"].flatten(1)}
            data = {**data, **flat}
        runs = train_runs(cfg, data, params["seeds"], params.get("device", "cpu"))
        n_div = sum(r.diverged for r in runs)
        log.info(
            "done in %.2f s: %d of %d seeds diverged",
            time.perf_counter() - start,
            n_div,
            len(params["seeds"]),
        )
    except Exception as err:  # not KeyboardInterrupt: an interrupted job must not look done
        log.exception("training failed; recorded as a failed configuration")
        status, error = "failed", f"{type(err).__name__}: {err}"
        runs = []
    resolved = {
        **params,
        "config": cfg.to_dict(),
        "status": status,
        "error": error,
        "log": str(log_path),
        "device_used": str(resolve_device(params.get("device", "cpu"))),
        "threads": threads,
        "peak_rss_mb": peak_rss_mb(),
        "versions": library_versions(),
    }
    io.write_rows(outputs["metrics"], METRICS_COLUMNS, [row for r in runs for row in r.rows])
    io.write_rows(outputs["timing"], TIMING_COLUMNS, [t for r in runs for t in r.times])
    io.write_json(outputs["resolved"], resolved)
