"""Per-family tables: every run's tidy metrics with its configuration joined on."""

from __future__ import annotations

import json

import pandas as pd

from bnstudy import io
from bnstudy.summary import TIDY_COLUMNS, summarize


def read_run(metrics_path: str, timing_path: str, resolved_path: str) -> pd.DataFrame:
    """One run's tidy metrics plus ``wall_time`` rows, its resolved configuration as columns."""
    with open(resolved_path, encoding="utf-8") as fh:
        resolved = json.load(fh)
    metrics = pd.read_csv(metrics_path)
    timing = pd.read_csv(timing_path)
    wall = timing.rename(columns={"seconds": "value"}).assign(metric="wall_time")
    tidy = pd.concat([metrics, wall[TIDY_COLUMNS]], ignore_index=True)
    config = {
        "family": resolved["family"],
        "config_id": resolved["config_id"],
        **resolved["config"],
    }
    for key, value in config.items():
        tidy[key] = value
    return tidy[list(config) + TIDY_COLUMNS]


def collect_family(
    metrics: list[str], timings: list[str], resolved: list[str], table_out: str, summary_out: str
) -> None:
    """Write the family's tidy table and its per-seed summary table."""
    runs = [read_run(m, t, r) for m, t, r in zip(metrics, timings, resolved, strict=True)]
    tidy = pd.concat(runs, ignore_index=True).sort_values(
        ["config_id", "seed", "metric", "epoch"], kind="stable", ignore_index=True
    )
    io.write_csv(table_out, tidy)
    io.write_csv(summary_out, summarize(tidy))
