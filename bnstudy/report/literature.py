"""This study's numbers next to the literature's (docs/study.md §7), one note per family.

A family whose question a reference also asked gets a short paragraph: what the
reference reports (its published numbers, :data:`~bnstudy.report.prose.LITERATURE`)
and what this study measured, with intervals. ``refs`` maps a reference key to its
citation label ("[2]"), which the introduction's order decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from bnstudy.report.fmt import CI, fmt, fmt_estimate, fmt_param
from bnstudy.report.numbers import n_seeds
from bnstudy.report.prose import LITERATURE, param_name
from bnstudy.stats import aggregate
from bnstudy.summary import is_classification, ordered_values


def agg_at(summary: pd.DataFrame, where: Mapping, by: str, metric: str, log: bool) -> dict:
    """Mean [interval] of ``metric`` per level of ``by`` among the rows matching ``where``."""
    rows = summary
    for col, value in where.items():
        rows = rows[rows[col] == value]
    if rows.empty or metric not in rows:
        return {}
    agg = aggregate(rows, [by], metric, log=log)
    return {
        str(r[by]): fmt_estimate(r["mean"], r["ci_low"], r["ci_high"])
        + (f", {int(r['n_diverged'])} of {int(r['n_seeds'])} diverged" if r["n_diverged"] else "")
        for r in agg.to_dict("records")
    }


def lenet_note(summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """Dive into Deep Learning's single runs of LeNet with library and hand-written BN."""
    if not {"bn", "lr", "final_acc"} <= set(summary.columns):
        return ""
    lr = max(summary["lr"])
    acc = agg_at(summary, {"lr": lr}, "bn", "final_acc", False)
    here = "; ".join(f"{bn} {text}" for bn, text in acc.items())
    d2l = LITERATURE["d2l"]
    return (
        f"Dive into Deep Learning {refs['d2l']} reports, from one run each at lr "
        f"{fmt_param(d2l['lr'])}, a test accuracy of {d2l['library']} with the library's BN "
        f"and {d2l['scratch']} with a hand-written BN; another published execution of the "
        f"same code gave {d2l['library_again']} and {d2l['scratch_again']}. Here, at lr "
        f"{fmt_param(lr)} with {n_seeds(summary)} seeds, the mean final test accuracy "
        f"[{CI} interval] is: {here}."
    )


def batch_note(summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """Group Normalization's small-batch threshold, and BN against no BN at both ends."""
    if "batch_size" not in summary:
        return ""
    bn_col = "bn" if "bn" in summary and summary["bn"].nunique() > 1 else "bn_layers"
    if bn_col not in summary or summary[bn_col].nunique() < 2:
        return ""
    metric, log = ("final_acc", False) if is_classification(summary) else ("final_test", True)
    ends = [min(summary["batch_size"]), max(summary["batch_size"])]
    texts = []
    for b in ends:
        agg = agg_at(summary, {"batch_size": b}, bn_col, metric, log)
        cells = "; ".join(f"{param_name(bn_col)} {k}: {v}" for k, v in agg.items())
        texts.append(f"at batch {fmt_param(b)}, {cells}")
    what = "final accuracy (mean)" if metric == "final_acc" else "final test loss (geometric mean)"
    return (
        f"Group Normalization {refs['wu2018']} reports that BN's error rises sharply at "
        f"batch sizes below about {LITERATURE['wu2018']['batch']} per device. Here, the {what} "
        f"over the grid's other settings is {' and '.join(texts)}."
    )


def lr_note(summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """The BN paper's higher learning rates: the largest stable lr with and without BN."""
    if not {"bn", "lr"} <= set(summary.columns):
        return ""
    stable = summary.groupby(["bn", "lr"])["diverged"].max() == 0
    tops = {
        bn: max((lr for (b, lr), ok in stable.items() if b == bn and ok), default=None)
        for bn in ordered_values(summary, "bn")
    }
    cells = ", ".join(
        f"BN {bn}: {fmt_param(lr) if lr is not None else 'none of the grid'}"
        for bn, lr in tops.items()
    )
    return (
        f"The BN paper {refs['ioffe2015']} reports that BN allows higher learning rates. "
        f"Here, the largest learning rate of the grid at which no seed diverged is: {cells}."
    )


def init_note(summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """The BN paper's "less care about the initialization": worst over best init."""
    if not {"bn", "init", "final_test"} <= set(summary.columns):
        return ""
    agg = aggregate(summary, ["bn", "init"], "final_test", log=True)
    cells = []
    for bn in ordered_values(summary, "bn"):
        means = agg.loc[agg["bn"] == bn, "mean"].to_numpy(dtype=float)
        means = means[np.isfinite(means)]
        if means.size > 1:
            cells.append(f"BN {bn}: {fmt(means.max() / means.min())}×")
    if not cells:
        return ""
    return (
        f"The BN paper {refs['ioffe2015']} reports that BN lets one take less care about "
        "the initialization. Here, the worst initialization's final test loss over the "
        f"best one's (geometric means over seeds and activations) is {', '.join(cells)}."
    )


#: The families whose question a reference also asked, and the note each gets.
NOTES: dict[str, Callable[[pd.DataFrame, Mapping[str, str]], str]] = {
    "lenet": lenet_note,
    "batch": batch_note,
    "image_batch": batch_note,
    "lr": lr_note,
    "init": init_note,
}


def literature_note(family: str, summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """This family's numbers next to the literature's, or "" if no reference applies."""
    note = NOTES.get(family)
    return note(summary, refs) if note else ""
