"""A training job: one configuration, all its seeds, its outputs written atomically.

``run_job`` is the entry point of the ``train_config`` rule (scripts/train_config.py):
it loads the dataset, trains every seed with the batched trainer, and writes the
run's tidy metrics (``metrics.csv``), per-epoch wall times (``timing.csv``) and
resolved configuration (``config.json``: the exact values it ran with, the
library versions, its device, threads and peak memory). ``train_runs`` and
``train_config`` are the same training for code and tests, without files.

A configuration with an ``lr_sweep`` trains every seed at each of those learning
rates too, as further slots of the same batched model; their rows go to the run's
``sweep.csv`` (the same columns as ``metrics.csv`` plus the slot's ``lr``), from
which an arm's own best learning rate is chosen on validation data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import platform
import signal
import time
from typing import TYPE_CHECKING

import torch

from bnstudy import io
from bnstudy.config import TrainConfig
from bnstudy.integrity import RECORD_KEY, record_outputs
from bnstudy.training.records import METRICS_COLUMNS, TIMING_COLUMNS, SeedRun

#: Columns of a run's sweep.csv: the metrics of its learning-rate sweep, per slot lr.
SWEEP_COLUMNS = ["lr", *METRICS_COLUMNS]

if TYPE_CHECKING:  # pandas costs a training job 0.2 s to import; only tests want tables
    import pandas as pd

log = logging.getLogger("bnstudy.train")


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def slot_lrs(cfg: TrainConfig) -> list[float]:
    """The base learning rates a configuration trains: its own, then its sweep's others.

    >>> slot_lrs(TrainConfig(lr=0.1, lr_sweep=(0.01, 0.1, 1.0)))
    [0.1, 0.01, 1.0]
    """
    return [cfg.lr, *(lr for lr in cfg.lr_sweep if lr != cfg.lr)]


def prepare_data(cfg: TrainConfig, data: dict) -> dict:
    """The dataset as this configuration trains on it: images flattened for MLP-d, and
    with ``validation: false`` the validation split joined to the training split."""
    if data["task"] != "regression" and cfg.model == "mlp" and data["x_train"].ndim > 2:
        data = {**data, **{k: v.flatten(1) for k, v in data.items() if k.startswith("x_")}}
    if not cfg.validation and len(data.get("y_val", ())):
        joined = {
            "x_train": torch.cat([data["x_train"], data["x_val"]]),
            "y_train": torch.cat([data["y_train"], data["y_val"]]),
        }
        data = {k: v for k, v in data.items() if k not in ("x_val", "y_val")} | joined
    return data


def train_runs(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> list[SeedRun]:
    """Train every seed of one configuration at each of its ``slot_lrs``; one ``SeedRun``
    per seed and lr (lr-major: the configuration's own lr first).

    ``batched`` trains all of them as one stacked model (``bnstudy.training.batched``);
    ``batched=False`` trains them one after another with the reference trainer
    (``bnstudy.training.reference``). Both give the same metrics to float32 rounding.
    """
    dev = resolve_device(device)
    lrs = slot_lrs(cfg)
    # Subnormal floats (below 1.2e-38) are flushed to zero. They appear where updates
    # decay geometrically with nothing to refresh them (Adam's moments of a weight
    # whose input pixel is always 0) and make every arithmetic op on them ~100x
    # slower on x86: a 10-slot Adam step went from 58 ms to 280 ms within 400 steps.
    # Values that small change no metric; both trainers run with the same setting.
    torch.set_flush_denormal(True)
    if batched:
        from bnstudy.training.batched import train_seeds_batched

        return train_seeds_batched(cfg, data, seeds, dev, lrs)
    from bnstudy.training.reference import train_seed

    return [train_seed(cfg, data, seed, dev, lr) for lr in lrs for seed in seeds]


def train_config(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``train_runs`` as tables: (tidy metrics, per-epoch wall times)."""
    import pandas as pd

    runs = [r for r in train_runs(cfg, data, seeds, device, batched) if r.lr == cfg.lr]
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
    ``metrics``, ``timing``, ``sweep`` and ``resolved`` files.

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
        data = prepare_data(cfg, load_dataset(data_path))
        runs = train_runs(cfg, data, params["seeds"], params.get("device", "cpu"))
        n_div = sum(r.diverged for r in runs)
        log.info(
            "done in %.2f s: %d of %d runs (seeds × learning rates) diverged",
            time.perf_counter() - start,
            n_div,
            len(runs),
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
    own = [r for r in runs if r.lr == cfg.lr]
    swept = [(r.lr, *row) for r in runs if r.lr != cfg.lr for row in r.rows]
    with interrupts_deferred():  # all four outputs, or (interrupted before) none
        io.write_rows(outputs["metrics"], METRICS_COLUMNS, [row for r in own for row in r.rows])
        io.write_rows(outputs["timing"], TIMING_COLUMNS, [t for r in own for t in r.times])
        if "sweep" in outputs:
            io.write_rows(outputs["sweep"], SWEEP_COLUMNS, swept)
        # What was written, so that a later change to these files is caught (bnstudy.audit).
        data_files = {name: path for name, path in outputs.items() if name != "resolved"}
        resolved[RECORD_KEY] = record_outputs(data_files)
        io.write_json(outputs["resolved"], resolved)


@contextlib.contextmanager
def interrupts_deferred():
    """Ctrl-C (SIGINT) and SIGTERM wait until the block is done, then take effect.

    Each output is written atomically, but a Ctrl-C between two of them left a run
    folder with a metrics.csv and no config.json; deferred, the job writes all of
    them, then stops as interrupted (Snakemake still marks it incomplete).
    """
    deferred = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
