"""A failing configuration is recorded, not lost with the rest; divergence is data.

Unit tests of ``bnstudy.training.job.run_job``'s failure path, the per-family runs
table of ``bnstudy.tables``, the divergence counts of ``bnstudy.stats`` and the
``inconclusive`` verdict of a claim whose seeds diverged below ``MIN_SEEDS``.
The workflow-level behaviour is in tests/test_reliability.py.
"""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import train_job

from bnstudy.claims.engine import judge_all
from bnstudy.claims.verdict import MIN_SEEDS
from bnstudy.config import TrainConfig
from bnstudy.data import save_dataset
from bnstudy.stats import aggregate
from bnstudy.summary import SUMMARY_METRICS
from bnstudy.tables import collect_family, failed_runs, failure_report
from bnstudy.training import job as train

#: Some seeds of this BN-free ReLU net blow up on poly2_small and some do not
#: (the configuration of tests/test_batched.py's divergence test).
MIXED = TrainConfig(depth=3, act="relu", bn="none", lr=0.35, batch_size=16, epochs=4)
HEALTHY = TrainConfig(depth=1, act="tanh", bn="pre", lr=0.03, batch_size=16, epochs=2)


def _job(tmp_path, data_path, config_id: str, cfg: TrainConfig, seeds=range(6)) -> dict:
    return train_job(
        tmp_path / "runs", data_path, config_id, cfg, seeds, log_path=f"logs/{config_id}.log"
    )


@pytest.fixture
def data_path(tmp_path, poly2_small):
    path = tmp_path / "poly2.pt"
    save_dataset(poly2_small, path)
    return str(path)


def test_a_raising_configuration_is_recorded_as_failed(tmp_path, data_path, monkeypatch, caplog):
    monkeypatch.setenv(train.FAIL_ENV, "lr~0.35")
    with caplog.at_level(logging.ERROR, logger="bnstudy.train"):
        failed = _job(tmp_path, data_path, "bn~none/lr~0.35", MIXED)
    resolved = json.loads(open(failed["resolved"]).read())
    assert resolved["status"] == "failed"
    assert resolved["error"].startswith("RuntimeError: failure injected by BNSTUDY_FAIL=lr~0.35")
    assert resolved["log"] == "logs/bn~none/lr~0.35.log" and resolved["config"] == MIXED.to_dict()
    assert pd.read_csv(failed["metrics"]).empty and pd.read_csv(failed["timing"]).empty
    assert "Traceback" in caplog.text  # the job's log keeps the whole traceback

    ok = _job(tmp_path, data_path, "bn~pre/lr~0.03", HEALTHY)  # not matched by the hook
    resolved = json.loads(open(ok["resolved"]).read())
    assert resolved["status"] == "ok" and resolved["error"] is None
    assert resolved["peak_rss_mb"] > 10


def test_an_interrupted_job_writes_nothing(tmp_path, data_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train_runs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _job(tmp_path, data_path, "bn~none/lr~0.35", MIXED)
    assert not (tmp_path / "runs").exists()


#: A job script's start: its log, then a failure (bnstudy.io.log_to's excepthook).
FAILING_JOB = """import sys
from bnstudy.io import log_to
log_to(sys.argv[1])
raise {error}
"""


@pytest.mark.parametrize(
    "error, line",
    [
        (
            "ValueError('x.csv: cut short\\n  (2 of 4 rows)')",
            "ValueError: x.csv: cut short (2 of 4 rows)",
        ),
        (
            "FileNotFoundError(2, 'No such file', 'x.pt')",
            "FileNotFoundError: [Errno 2] No such file: 'x.pt'",
        ),
        ("TypeError('a bug')", None),
    ],
    ids=["bad_value", "file_missing", "a_bug"],
)
def test_a_job_failing_for_a_known_reason_says_so_in_one_line(tmp_path, error, line):
    log = tmp_path / "logs" / "job.log"
    proc = subprocess.run(
        [sys.executable, "-c", FAILING_JOB.format(error=error), str(log)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" in log.read_text()  # the log keeps the whole story
    if line is None:  # not a known reason: a bug shows its traceback
        assert "Traceback" in proc.stderr and "TypeError: a bug" in proc.stderr
    else:
        assert proc.stderr == f"{line} (traceback: {log})\n"


def _collect(tmp_path, jobs: list[dict]) -> dict[str, pd.DataFrame]:
    out = {name: str(tmp_path / f"fam{suffix}.csv") for name, suffix in
           [("table_out", ""), ("summary_out", "_summary"), ("runs_out", "_runs")]}  # fmt: skip
    collect_family(
        [j["metrics"] for j in jobs],
        [j["timing"] for j in jobs],
        [j["resolved"] for j in jobs],
        **out,
    )
    return {k: pd.read_csv(v, keep_default_na=False, na_values=[""]) for k, v in out.items()}


def test_tables_leave_a_failed_configuration_out_and_mark_it(tmp_path, data_path, monkeypatch):
    mixed = _job(tmp_path, data_path, "bn~none/lr~0.35", MIXED)
    monkeypatch.setenv(train.FAIL_ENV, "bn~pre")
    failed = _job(tmp_path, data_path, "bn~pre/lr~0.03", HEALTHY)
    tables = _collect(tmp_path, [mixed, failed])

    assert set(tables["table_out"]["config_id"]) == {"bn~none/lr~0.35"}
    summary = tables["summary_out"]
    assert set(summary["config_id"]) == {"bn~none/lr~0.35"} and len(summary) == 6
    runs = tables["runs_out"].set_index("config_id")
    assert list(runs.index) == ["bn~none/lr~0.35", "bn~pre/lr~0.03"]
    n_div = int(summary["diverged"].sum())
    assert 0 < n_div < 6
    row = runs.loc["bn~none/lr~0.35"]
    assert (row["status"], row["n_seeds"], row["n_diverged"]) == ("ok", 6, n_div)
    assert row["note"] == f"{n_div} of 6 seeds diverged"
    row = runs.loc["bn~pre/lr~0.03"]
    assert row["status"] == "failed" and pd.isna(row["n_diverged"]) and row["n_seeds"] == 6
    assert row["error"].startswith("RuntimeError: failure injected")
    assert row["note"] == "failed: " + row["error"]
    assert row["bn"] == "pre" and row["lr"] == 0.03  # the configuration, to show in a table

    # The divergence counts the tables and figures show, from the summary.
    agg = aggregate(summary, ["config_id"], "final_test").iloc[0]
    assert (agg["n_seeds"], agg["n_diverged"], agg["n"]) == (6, n_div, 6 - n_div)
    healthy = summary.loc[summary["diverged"] == 0, "final_test"]
    assert agg["mean"] == pytest.approx(healthy.mean())

    report = failure_report(failed_runs({"fam": list(runs.index)}, root=str(tmp_path / "runs")))
    assert report[0].startswith("1 configuration(s) failed")
    assert "fam/bn~pre/lr~0.03: RuntimeError: failure injected" in report[1]
    assert "(log: logs/bn~pre/lr~0.03.log)" in report[1]
    assert report[2].endswith("--forcerun 'results/runs/fam/bn~pre/lr~0.03/metrics.csv'")


def test_a_family_whose_every_configuration_failed_gives_empty_tables(
    tmp_path, data_path, monkeypatch
):
    monkeypatch.setenv(train.FAIL_ENV, "fam/")
    jobs = [_job(tmp_path, data_path, "bn~none/lr~0.35", MIXED, seeds=[0])]
    tables = _collect(tmp_path, jobs)
    assert tables["table_out"].empty and tables["summary_out"].empty
    assert {"config_id", "seed", "diverged", "final_test"} <= set(tables["summary_out"].columns)
    assert list(tables["runs_out"]["status"]) == ["failed"]


# ---- a claim whose seeds diverged below MIN_SEEDS is inconclusive, saying why -------------

GRIDS = {
    "depth": {"depth": [1, 2, 3, 4], "act": ["sigmoid", "tanh", "relu"], "bn": ["none", "pre"]},
    "lr": {"lr": [0.3, 0.1, 0.03, 0.01, 0.003], "depth": [3, 4], "bn": ["none", "pre"]},
}
BASE = {**TrainConfig().to_dict(), "epochs": 40}


def _summary(family: str, diverged, seeds: int = 5) -> pd.DataFrame:
    """A summarize()-shaped table whose answer is clear (BN halves the loss, more so when
    deep); ``diverged(cfg, seed)`` marks seeds diverged, with NaN summaries as the trainer's."""
    rng = np.random.default_rng(0)
    rows = []
    grid = GRIDS[family]
    for i, values in enumerate(itertools.product(*grid.values())):
        cfg = {**BASE, "family": family, **dict(zip(grid, values, strict=True))}
        loss = (0.5 if cfg["bn"] == "pre" else 1.0) * (
            1 + 0.3 * cfg["depth"] * (cfg["bn"] == "none")
        )
        for seed in range(seeds):
            row = {**cfg, "config_id": f"{family}-{i}", "seed": seed}
            gone = diverged(cfg, seed)
            row["diverged"] = float(gone)
            value = loss * np.exp(0.02 * rng.normal())
            for m in ("final_test", "final_train", "speed", "volatility", "grad_first"):
                row[m] = np.nan if gone else value
            row["grad_last"] = np.nan if gone else 1.0
            rows.append(row)
    table = pd.DataFrame(rows)
    for m in SUMMARY_METRICS:
        if m not in table:
            table[m] = np.nan
    return table


def test_a_claim_thinned_below_min_seeds_by_divergence_is_inconclusive_and_says_why():
    healthy = judge_all({"depth": _summary("depth", lambda c, s: False)}).set_index("claim")
    assert healthy.loc["D2", "verdict"] == "supported" and healthy.loc["D2", "n_seeds"] == 5

    def four_of_five_deep_bn_runs(cfg, seed):
        return seed > 0 and cfg["depth"] == 4 and cfg["bn"] == "pre"

    thinned = _summary("depth", four_of_five_deep_bn_runs)
    row = judge_all({"depth": thinned}).set_index("claim").loc["D2"]
    assert row["verdict"] == "inconclusive" and row["n_seeds"] == 1 < MIN_SEEDS
    assert "4 of 5 seed pairs dropped (diverged or missing)" in row["detail"]
    assert f"only 1 usable paired seed(s), {MIN_SEEDS} needed" in row["detail"]
    assert "bn pre/depth 4 (4 of 5)" in row["detail"]  # which cells lost the seeds


def test_every_claim_is_inconclusive_when_one_seed_survives_everywhere():
    summaries = {fam: _summary(fam, lambda c, s: s > 0) for fam in GRIDS}
    out = judge_all(summaries)
    judged = out[out["verdict"] != "not run"]
    assert set(judged["claim"]) >= {"D2", "D5", "G1", "L1", "L2", "L3", "L4"}
    assert (judged["verdict"] == "inconclusive").all(), judged[["claim", "verdict", "detail"]]
    assert (judged["n_seeds"] < MIN_SEEDS).all()
