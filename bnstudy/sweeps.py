"""A family's learning-rate sweeps: every configuration at every base lr it trained.

A configuration with an ``lr_sweep`` (docs/study.md §4) trains each seed at its own
lr and at each lr of the sweep, in one job; the runs at its own lr are its
``metrics.csv``, the others its ``sweep.csv``. The sweep table of a family holds
the per-seed summary (``bnstudy.summary``) of all of them, one row per
(configuration, ``slot_lr``, seed), where ``slot_lr`` is the lr that run trained
at and ``lr`` stays the configuration's own. From it a claim's tuned reading
picks each arm's own best lr on validation data (``bnstudy.claims``).

A configuration without a sweep has only its own lr in the table, so every
family has a sweep table and a claim can always ask for one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bnstudy import io
from bnstudy.audit import verify_run
from bnstudy.summary import SUMMARY_METRICS, TIDY_COLUMNS, summarize
from bnstudy.tables import OK, run_config

#: The column of a sweep table that says at which base lr a run trained.
SLOT_LR = "slot_lr"
_SEP = "@lr="


def read_slots(metrics_path: str, sweep_path: str, resolved: dict) -> pd.DataFrame:
    """One configuration's tidy rows at every lr it trained, with ``slot_lr``."""
    own = pd.read_csv(metrics_path).assign(**{SLOT_LR: float(resolved["config"]["lr"])})
    swept = pd.read_csv(sweep_path).rename(columns={"lr": SLOT_LR})
    tidy = pd.concat([own, swept[own.columns]], ignore_index=True) if len(swept) else own
    config = run_config(resolved)
    for key, value in config.items():
        tidy[key] = value
    return tidy[[*config, SLOT_LR, *TIDY_COLUMNS]]


def summarize_slots(tidy: pd.DataFrame) -> pd.DataFrame:
    """The per-seed summary of every (configuration, slot lr, seed)."""
    keyed = tidy.assign(config_id=tidy["config_id"] + _SEP + tidy[SLOT_LR].map(repr))
    summary = summarize(keyed.drop(columns=[SLOT_LR]))
    ids = summary["config_id"].str.rsplit(_SEP, n=1)
    summary.insert(summary.columns.get_loc("seed"), SLOT_LR, ids.str[1].astype(float))
    summary["config_id"] = ids.str[0]
    return summary.sort_values(["config_id", SLOT_LR, "seed"], ignore_index=True)


def collect_sweep(
    metrics: list[str], sweeps: list[str], resolved: list[str], sweep_out: str
) -> None:
    """Write the family's sweep table (configurations whose training failed are left out).

    Every run is first checked against what its job wrote (``bnstudy.audit``): a
    damaged one stops this job, naming the file and the command that rebuilds it.
    """
    parts = []
    for m, s, r in zip(metrics, sweeps, resolved, strict=True):
        names = [Path(m).name, Path(s).name, Path(r).name]
        state = verify_run(Path(r).parent, names)
        if state["status"] == OK:
            parts.append(read_slots(m, s, state))
    if parts:
        table = summarize_slots(pd.concat(parts, ignore_index=True))
    else:
        table = pd.DataFrame(columns=["family", "config_id", SLOT_LR, "seed", *SUMMARY_METRICS])
    io.write_csv(sweep_out, table)
