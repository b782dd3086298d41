"""How big a study is, said before it runs, and a stop above a limit the user sets.

Each configuration is one training; its work is *seed·epoch·samples*: seeds × base
learning rates trained (its own and its ``lr_sweep``) × epochs × training samples.
CPU time is estimated per model from that work, at the rate this machine showed
in the runs on disk (their per-epoch times, ``timing.csv``), or at
:data:`DEFAULT_RATES` where no run of that model is there, plus
:data:`JOB_OVERHEAD_S` a job for its start-up.

Trainings whose run is on disk with this configuration and these seeds are
done; the limits apply to the rest, which is what this run trains (a changed
library module also reruns training, which the estimate does not foresee).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from bnstudy.config import TrainConfig
from bnstudy.validate import training_set_size

#: The config's keys of the scale check: runtime settings, not the experiment.
LIMIT_KEYS = ("max_trainings", "max_cpu_hours", "confirm_scale")
#: Seconds a training job costs besides its epochs: process, imports, data, outputs
#: (1.45 s measured by benchmarks/bench_study.py on a 2-core machine).
JOB_OVERHEAD_S = 1.5
#: Seconds per seed·epoch·sample on one core, per model, where no earlier run says: the
#: default study's training compute on a 2-core machine (README "Measured": 67 CPU-s
#: for 1.9e7 regression seed·epoch·samples, 405 for 6.6e6 of the wide MLP without the
#: batch-4 runs, 301 for 2.7e6 of LeNet).
DEFAULT_RATES = {"mlp": 4e-6, "wide_mlp": 6e-5, "lenet": 1.1e-4}


@dataclass
class Training:
    """One configuration to train: its model, its work and whether it is already done."""

    family: str
    config_id: str
    model: str
    work: float  # seed·epoch·samples
    done: bool = False


def recorded_config(cfg: dict) -> dict:
    """A study configuration's values as its job records them (``config`` in config.json)."""
    own = {k: v for k, v in cfg.items() if k not in ("family", "config_id")}
    return json.loads(json.dumps(TrainConfig.from_dict(own).to_dict()))


def work_of(cfg: dict, seeds: list[int], datasets: dict) -> float:
    """Seed·epoch·samples of one configuration (a study configuration or a run's ``config``)."""
    samples = training_set_size(cfg["dataset"], datasets)[0]
    if not cfg.get("validation", True) and cfg["dataset"] == "images":
        samples = datasets["images"]["n_train"]
    lrs = {float(cfg["lr"]), *(float(lr) for lr in cfg.get("lr_sweep") or ())}
    return float(len(seeds) * len(lrs) * cfg["epochs"] * samples)


def plan_study(
    configs: dict[str, dict[str, dict]],
    seeds: dict[str, list[int]],
    datasets: dict,
    on_disk: dict[tuple[str, str], dict],
) -> list[Training]:
    """Every training of the study (family → config id → configuration); ``on_disk`` holds
    the resolved configuration of each complete run, by (family, config id)."""
    plan = []
    for family, cfgs in configs.items():
        for cid, cfg in cfgs.items():
            resolved = on_disk.get((family, cid))
            done = bool(resolved) and (
                resolved.get("seeds") == seeds[family]
                and resolved.get("config") == recorded_config(cfg)
            )
            work = work_of(cfg, seeds[family], datasets)
            plan.append(Training(family, cid, cfg["model"], work, done))
    return plan


def measured_rates(
    on_disk: dict[tuple[str, str], dict], datasets: dict, runs: str = "results/runs"
) -> dict[str, float]:
    """Seconds per seed·epoch·sample per model, from the per-epoch times of the runs on
    disk (their ``timing.csv``: training and evaluation, without the job's start-up)."""
    seconds: dict[str, float] = {}
    work: dict[str, float] = {}
    for (family, cid), resolved in on_disk.items():
        try:
            with open(Path(runs, family, cid, "timing.csv"), newline="", encoding="utf-8") as fh:
                spent = sum(float(row["seconds"]) for row in csv.DictReader(fh))
            cfg = resolved["config"]
            done = work_of(cfg, resolved["seeds"], datasets)
        except (OSError, KeyError, TypeError, ValueError):
            continue
        model = cfg["model"]
        seconds[model] = seconds.get(model, 0.0) + spent
        work[model] = work.get(model, 0.0) + done
    return {m: seconds[m] / work[m] for m in seconds if work[m] > 0 and seconds[m] > 0}


def cpu_seconds(trainings: list[Training], rates: dict[str, float]) -> float:
    """Estimated CPU seconds of ``trainings``: overhead plus work at each model's rate."""
    return sum(
        JOB_OVERHEAD_S + t.work * rates.get(t.model, DEFAULT_RATES.get(t.model, 1e-5))
        for t in trainings
    )


def cpu_time(seconds: float) -> str:
    """A CPU time in words.

    >>> cpu_time(42), cpu_time(95), cpu_time(7200), cpu_time(3.6e9)
    ('42 CPU-seconds', '1.6 CPU-minutes', '2.0 CPU-hours', '1,000,000.0 CPU-hours')
    """
    if seconds < 60:
        return f"{seconds:.0f} CPU-seconds"
    if seconds < 3600:
        return f"{seconds / 60:.1f} CPU-minutes"
    return f"{seconds / 3600:,.1f} CPU-hours"


def check_scale(
    plan: list[Training], rates: dict[str, float], limits: dict
) -> tuple[str, str | None]:
    """(the plan in one line, a message that stops the run or None).

    ``limits`` holds ``max_trainings``, ``max_cpu_hours`` and ``confirm_scale``; the
    limits apply to the trainings still to run, and ``confirm_scale`` lifts them.
    """
    todo = [t for t in plan if not t.done]
    families = len({t.family for t in plan})
    line = f"plan: {len(plan):,} trainings in {families} families"
    if not todo:
        return line + ", all trained", None
    work, seconds = sum(t.work for t in todo), cpu_seconds(todo, rates)
    measured = sorted({t.model for t in todo} & set(rates))
    basis = (
        f"{', '.join(measured)} at this machine's rates in the last runs' epoch times"
        if measured
        else "default rates: no earlier run to measure"
    )
    line += (
        f"; to train now: {len(todo):,} ({work:.3g} seed·epoch·samples), "
        f"about {cpu_time(seconds)} ({basis})"
    )
    over = []
    if len(todo) > limits["max_trainings"]:
        over.append(f"{len(todo):,} trainings > max_trainings = {limits['max_trainings']:,}")
    if seconds > limits["max_cpu_hours"] * 3600:
        over.append(f"about {cpu_time(seconds)} > max_cpu_hours = {limits['max_cpu_hours']:g}")
    if not over or limits["confirm_scale"]:
        return line, None
    return line, (
        f"this run is larger than its limits ({'; '.join(over)}); stopped before any job. "
        "Shrink the grid, seeds or epochs, raise the limit, or confirm with "
        "--config confirm_scale=true (or confirm_scale: true in the config file)"
    )
