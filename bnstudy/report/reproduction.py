"""Dive into Deep Learning's LeNet table beside this study's seeds (docs/study.md §6–§7).

The ``lenet_d2l`` family runs d2l's published setting with several seeds. For each
published single run (:func:`bnstudy.report.published.d2l_runs`) :func:`reproduction`
gives our mean, its interval and the range over the seeds at the same setting (BN
variant and learning rate), and where the published run falls: below every seed,
within their range, or above every seed, and inside or outside the interval. It
also gives the training throughput of each setting's job beside d2l's.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnstudy.report.budget import examples_per_second, train_samples
from bnstudy.report.fmt import CI, DASH, fmt, fmt_interval, fmt_param
from bnstudy.report.published import D2L_RATES, D2L_TRAIN, LITERATURE, d2l_runs, number
from bnstudy.stats import mean_ci
from bnstudy.summary import FINAL_EPOCHS

#: The family that runs d2l's setting.
REPRODUCED = "lenet_d2l"
#: Its figure of the seeds beside the published runs, shown in the reproduction section.
FIGURE = "d2l_accuracy"
#: How the published executions are named.
EXECUTIONS = {1: "the book's run", 2: "second execution"}


def at_setting(summary: pd.DataFrame, bn: str, lr: float) -> pd.DataFrame:
    """The runs of BN variant ``bn`` at learning rate ``lr``."""
    return summary[(summary["bn"] == bn) & np.isclose(summary["lr"].astype(float), lr)]


def where_it_falls(value: float, seeds: np.ndarray, low: float, high: float) -> dict:
    """Where a published number falls among the seeds and against their interval.

    >>> where_it_falls(0.9, np.array([0.80, 0.85, 0.88]), 0.79, 0.90)["place"]
    'above every seed'
    >>> where_it_falls(0.84, np.array([0.80, 0.85, 0.88]), 0.79, 0.90)["place"]
    "within the seeds' range (1 of 3 seeds lower)"
    """
    n = len(seeds)
    if n == 0:
        return {"place": "no seed to compare with", "interval": DASH, "outside": False}
    if value < seeds.min():
        place = "below every seed"
    elif value > seeds.max():
        place = "above every seed"
    else:
        place = f"within the seeds' range ({int((seeds < value).sum())} of {n} seeds lower)"
    if not (np.isfinite(low) and np.isfinite(high)):
        interval, outside = "no interval (fewer than two seeds)", False
    elif low <= value <= high:
        interval, outside = f"inside the {CI} interval", False
    else:
        side = "below" if value < low else "above"
        interval, outside = f"outside the {CI} interval ({side} it)", True
    return {"place": place, "interval": interval, "outside": outside}


def ours(runs: pd.DataFrame, metric: str = "final_acc") -> dict:
    """Our numbers at one setting: mean, interval, range and seeds (diverged ones counted)."""
    ok = runs[runs["diverged"] == 0][metric].to_numpy(dtype=float)
    ok = ok[np.isfinite(ok)]
    mean, low, high, n = mean_ci(ok)
    k = int((runs["diverged"] == 1).sum())
    return {
        "values": ok,
        "mean": mean,
        "low": low,
        "high": high,
        "estimate": f"{fmt(mean)} {fmt_interval(low, high)}",
        "range": f"{fmt(ok.min())}–{fmt(ok.max())}" if n else DASH,
        "seeds": f"{n}" + (f" ({k} of {len(runs)} diverged)" if k else ""),
    }


def published_rows(summary: pd.DataFrame) -> list[dict]:
    """One row per published test accuracy: d2l's number beside ours at its setting."""
    rows = []
    for run in d2l_runs():
        runs = at_setting(summary, run["bn"], run["lr"])
        here = ours(runs)
        row = {
            "bn": run["bn"],
            "lr": fmt_param(run["lr"]),
            "execution": EXECUTIONS[run["execution"]],
            "published": run["text"],
            "ran": not runs.empty,
            **{k: here[k] for k in ("estimate", "range", "seeds")},
        }
        row.update(where_it_falls(run["value"], here["values"], here["low"], here["high"]))
        rows.append(row)
    return rows


def train_note(summary: pd.DataFrame) -> str:
    """What we can set beside d2l's training accuracy: our training loss, plainly labelled."""
    bn, key = D2L_TRAIN
    d2l = LITERATURE["d2l"]
    loss = ours(at_setting(summary, bn, number(d2l["lr"])), "final_train")
    return (
        f"d2l also reports a training accuracy of {d2l[key]} (BN {bn}, the book's run). The runs "
        "here do not record a training accuracy, so it has no counterpart: they record the "
        f"training loss, whose mean over the last {FINAL_EPOCHS} epochs is "
        f"{loss['estimate']} with BN {bn} at lr {d2l['lr']} (mean [{CI} interval] over "
        f"{loss['seeds']} seeds; cross-entropy, averaged over each epoch's batches in "
        "training mode)."
    )


def throughput_rows(summary: pd.DataFrame, datasets: Mapping[str, Mapping]) -> list[dict]:
    """Per setting: our job's training examples per second beside d2l's on its GPU."""
    rows = []
    for (bn, lr), runs in summary.groupby(["bn", "lr"], sort=False):
        samples = train_samples(runs.iloc[0].to_dict(), datasets)
        rate = examples_per_second(runs, samples)
        theirs = LITERATURE["d2l"].get(D2L_RATES.get(str(bn), ""), "")
        ratio = number(theirs) / rate if theirs and np.isfinite(rate) and rate > 0 else np.nan
        rows.append(
            {
                "bn": str(bn),
                "lr": fmt_param(lr),
                "seeds": str(len(runs)),
                "rate": f"{rate:,.0f}" if np.isfinite(rate) else DASH,
                "published": theirs or "not published",
                "ratio": f"{fmt(ratio)}×" if np.isfinite(ratio) else DASH,
            }
        )
    order = {bn: i for i, bn in enumerate(("none", "library", "scratch"))}
    return sorted(rows, key=lambda r: order.get(r["bn"], len(order)))


def our_setting(summary: pd.DataFrame, datasets: Mapping[str, Mapping]) -> list[dict]:
    """Our setting beside d2l's published one: training images, batch size, epochs."""
    d2l = LITERATURE["d2l"]
    samples = {train_samples(r, datasets) for r in summary.to_dict("records")}
    ours_by = {
        "training images": sorted(s for s in samples if s is not None),
        "batch size": sorted({int(b) for b in summary["batch_size"]}),
        "epochs": sorted({int(e) for e in summary["epochs"]}),
    }
    theirs = {
        "training images": d2l["samples"],
        "batch size": d2l["batch"],
        "epochs": d2l["epochs"],
    }
    rows = []
    for what, values in ours_by.items():
        text = ", ".join(f"{v:,}" for v in values) or DASH
        same = [number(theirs[what])] == [float(v) for v in values]
        rows.append({"what": what, "ours": text, "d2l": theirs[what], "same": same})
    return rows


def reproduction(summary: pd.DataFrame | None, datasets: Mapping[str, Mapping]) -> dict:
    """The reproduction section's numbers; ``ran`` is False when the family did not run."""
    if summary is None or summary.empty or not {"bn", "lr", "final_acc"} <= set(summary):
        return {"ran": False, "family": REPRODUCED}
    rows = published_rows(summary)
    placed = [r for r in rows if r["ran"]]
    return {
        "ran": True,
        "family": REPRODUCED,
        "rows": rows,
        "n_outside": str(sum(r["outside"] for r in placed)),
        "n_placed": str(len(placed)),
        "train_note": train_note(summary),
        "throughput": throughput_rows(summary, datasets),
        "setting": our_setting(summary, datasets),
        "optimizers": ", ".join(sorted({str(o) for o in summary["optimizer"]})),
    }
