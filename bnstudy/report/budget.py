"""What ran and for how long: each family's runs, optimizer steps, examples and compute.

A family's runs are its configurations × learning rates × seeds: a configuration
with an ``lr_sweep`` trains each seed at several learning rates in one job, and
its sweep table (``bnstudy.sweeps``: one row per configuration, ``slot_lr`` and
seed) counts them all. Steps and examples follow from the training split each
configuration trained on (the dataset's meta: ``n_train``, plus ``n_val`` where
``validation`` is false) and its batch size. Compute is read from Snakemake's
benchmark files (the jobs table: wall and CPU seconds of every ``train_config``
job); without them, from the runs' own timing, which leaves the sweep slots out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnstudy.sweeps import SLOT_LR

#: The rule whose jobs train; its job names start with the family.
TRAIN_RULE = "train_config"


def has_bn(row: Mapping) -> bool:
    """Whether a configuration normalizes: a BN variant other than none, or BN layers."""
    bn = row.get("bn", "none")
    layers = row.get("bn_layers", 0)
    return (isinstance(bn, str) and bn != "none") or bool(pd.notna(layers) and layers > 0)


def steps_per_epoch(n: int, batch_size: int, bn: bool) -> int:
    """Optimizer steps in one epoch of ``n`` samples: one per batch, a trailing batch of
    one sample merged into the one before when the net has BN (as the trainers cut them,
    ``bnstudy.training.records.batch_slices``).

    >>> steps_per_epoch(7, 3, bn=True), steps_per_epoch(7, 3, bn=False)
    (2, 3)
    """
    steps = math.ceil(n / batch_size)
    return steps - 1 if bn and steps > 1 and n % batch_size == 1 else steps


def trains_on_validation(row: Mapping) -> bool:
    """Whether a configuration trained on its validation split too (``validation: false``)."""
    value = row.get("validation", True)
    if isinstance(value, str):
        return value.strip().lower() in ("false", "no", "0")
    return pd.notna(value) and not bool(value)


def train_samples(row: Mapping, datasets: Mapping[str, Mapping]) -> int | None:
    """The samples a configuration trained on per epoch, from its dataset's meta (None
    when the meta is not known)."""
    meta = datasets.get(str(row.get("dataset", ""))) or {}
    if "n_train" not in meta:
        return None
    extra = int(meta.get("n_val") or 0) if trains_on_validation(row) else 0
    return int(meta["n_train"]) + extra


def run_steps(runs: pd.DataFrame, datasets: Mapping[str, Mapping]) -> pd.DataFrame:
    """Per run: ``samples`` per epoch, ``steps`` per planned run (all its epochs), and the
    ``examples`` and ``steps_done`` of the epochs it actually trained (a diverged run stops)."""
    rows = []
    for rec in runs.to_dict("records"):
        n = train_samples(rec, datasets)
        done = rec.get("epochs_done", rec.get("epochs"))
        done = float(done) if pd.notna(done) else float(rec["epochs"])
        if n is None:
            rows.append({"samples": np.nan, "steps": np.nan, "examples": np.nan})
            rows[-1]["steps_done"] = np.nan
            continue
        per_epoch = steps_per_epoch(n, int(rec["batch_size"]), has_bn(rec))
        rows.append(
            {
                "samples": n,
                "steps": per_epoch * int(rec["epochs"]),
                "examples": n * done,
                "steps_done": per_epoch * done,
            }
        )
    return pd.DataFrame(rows, index=runs.index)


@dataclass(frozen=True)
class FamilyBudget:
    """What one family ran, as numbers (the report formats them)."""

    family: str
    datasets: list[str]  # the datasets it trained on
    samples: list[int]  # training samples per epoch, each value that occurs
    n_configs: int
    seeds: list[int]
    lrs_per_config: list[int]  # learning rates each configuration trained, each count
    n_runs: int  # configurations × learning rates × seeds
    epochs: list[int]
    steps: tuple[float, float]  # optimizer steps of one run: fewest, most
    examples: float  # samples × epochs trained, summed over the runs
    total_steps: float  # optimizer steps, summed over the runs
    wall: float  # seconds of training (jobs' wall time, else the runs' own timing)
    cpu: float  # CPU-seconds of the training jobs (NaN without benchmark files)
    n_jobs: int  # training jobs with a benchmark file
    from_jobs: bool  # whether the times are the jobs' (else the runs' own timing)
    note: str  # the config's budget_note: what was trimmed to fit, and why


def job_times(jobs: pd.DataFrame | None, family: str) -> tuple[float, float, int]:
    """(wall s, CPU s, jobs) of the family's training jobs in the jobs table."""
    if jobs is None or jobs.empty:
        return np.nan, np.nan, 0
    mine = jobs[(jobs["rule"] == TRAIN_RULE) & jobs["job"].astype(str).str.startswith(family + "/")]
    if mine.empty:
        return np.nan, np.nan, 0
    cpu = mine["cpu_time"].to_numpy(dtype=float) if "cpu_time" in mine else np.array([np.nan])
    wall = mine["s"].to_numpy(dtype=float)
    cpu_total = float(np.nansum(cpu)) if np.isfinite(cpu).any() else np.nan
    return float(np.nansum(wall)), cpu_total, len(mine)


def budget_note(config: Mapping, family: str) -> str:
    """The family block's ``budget_note``, or ""."""
    blocks = config.get("families") if isinstance(config, Mapping) else None
    block = blocks.get(family) if isinstance(blocks, Mapping) else None
    note = block.get("budget_note") if isinstance(block, Mapping) else None
    return " ".join(str(note).split()) if note else ""


def family_budget(
    family: str,
    summary: pd.DataFrame,
    sweep: pd.DataFrame | None,
    datasets: Mapping[str, Mapping],
    jobs: pd.DataFrame | None,
    config: Mapping,
) -> FamilyBudget:
    """What family ``family`` ran: from its sweep table where it has one (every learning
    rate trained), else from its summary (one learning rate per configuration)."""
    runs = sweep if sweep is not None and not sweep.empty else summary
    lrs = runs.groupby("config_id")[SLOT_LR].nunique() if SLOT_LR in runs else None
    steps = run_steps(runs, datasets)
    wall, cpu, n_jobs = job_times(jobs, family)
    from_jobs = n_jobs > 0
    if not from_jobs:
        wall = float(np.nansum(summary["wall_time"].to_numpy(dtype=float)))
    planned = steps["steps"].to_numpy(dtype=float)
    finite = planned[np.isfinite(planned)]
    return FamilyBudget(
        family=family,
        datasets=sorted({str(d) for d in runs["dataset"].dropna()}),
        samples=sorted({int(n) for n in steps["samples"].dropna()}),
        n_configs=int(runs["config_id"].nunique()),
        seeds=sorted({int(s) for s in runs["seed"].dropna()}),
        lrs_per_config=sorted({int(k) for k in lrs}) if lrs is not None else [1],
        n_runs=len(runs),
        epochs=sorted({int(e) for e in runs["epochs"].dropna()}),
        steps=(float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan),
        examples=float(steps["examples"].sum(min_count=1)),
        total_steps=float(steps["steps_done"].sum(min_count=1)),
        wall=wall,
        cpu=cpu,
        n_jobs=n_jobs,
        from_jobs=from_jobs,
        note=budget_note(config, family),
    )


def examples_per_second(runs: pd.DataFrame, samples: int | None) -> float:
    """Training throughput of a job's runs: samples × epochs trained over the seconds of
    their optimizer steps, both summed over the runs (the seeds of one batched job share
    its time, so the sum is the job's). NaN when unknown."""
    if samples is None or "step_seconds" not in runs:
        return np.nan
    seconds = float(np.nansum(runs["step_seconds"].to_numpy(dtype=float)))
    done = runs["epochs_done"].to_numpy(dtype=float)
    if seconds <= 0 or not np.isfinite(done).any():
        return np.nan
    return samples * float(np.nansum(done)) / seconds


def batch_steps(summary: pd.DataFrame, datasets: Mapping[str, Mapping]) -> list[tuple]:
    """(batch size, optimizer steps of one run) per batch size of a family, smallest
    batch first; the most steps any configuration of that batch size takes."""
    steps = run_steps(summary, datasets).assign(batch_size=summary["batch_size"])
    per = steps.groupby("batch_size")["steps"].max().dropna()
    return [(b, float(s)) for b, s in sorted(per.items())]
