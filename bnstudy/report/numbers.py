"""A family's numbers: its grid, its table with intervals, the key numbers under its figures.

:func:`family_runs` reads one family's per-seed summary once: the derived metrics,
which columns vary (the grid) and which are fixed, and the per-configuration
aggregates (mean and interval over the non-diverged seeds) that its table and its
figures' key numbers share. Everything after takes that :class:`FamilyRuns` and
formats; nothing is aggregated twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnstudy.families import ACCURACY, FAMILIES, FINAL, PANEL_FIGURES, is_generic_figure
from bnstudy.report.fmt import CI, fmt, fmt_estimate, fmt_interval, fmt_param, fmt_seeds
from bnstudy.report.prose import (
    KEY_NUMBER_NAMES,
    MODEL_PARAMS,
    SELF_NAMED,
    TABLE_METRICS,
    param_name,
)
from bnstudy.stats import aggregate
from bnstudy.summary import (
    DERIVED,
    FINAL_EPOCHS,
    SUMMARY_METRICS,
    grid_axes,
    is_classification,
    loss_label,
    ordered_values,
    with_derived,
)

#: Summary columns that are not configuration parameters.
NOT_PARAMS = {"family", "config_id", "seed", *SUMMARY_METRICS, *DERIVED}
#: Geometric means (log scale) for these metrics, arithmetic for the others.
LOG_METRICS = {"final_test", *(m for m, (_, log, _) in TABLE_METRICS.items() if log)}
#: The key numbers of figures drawn by a function of their own, by figure name.
DRAWN_KEY_METRICS = {"range_test": ("suggested_lr",)}


# --------------------------------------------------------------------------- the grid


def applies(col: str, runs: pd.DataFrame) -> bool:
    """Whether configuration column ``col`` shapes ``runs`` (width does not shape LeNet)."""
    values = {c: set(runs[c].dropna()) for c in ("model", "optimizer", "schedule") if c in runs}
    models = values.get("model", set())
    if models and all(m in MODEL_PARAMS for m in models):
        by_model = {c for m in models for c in MODEL_PARAMS[m]}
        if col in {c for cols in MODEL_PARAMS.values() for c in cols} - by_model:
            return False
    optimizers, schedules = values.get("optimizer", set()), values.get("schedule", set())
    needs = {
        "momentum": optimizers and "sgd" in optimizers,
        "nesterov_momentum": optimizers and "nesterov" in optimizers,
        "schedule_k": schedules and schedules & {"inverse_time", "exponential"},
        "range_end": schedules and "range_test" in schedules,
    }
    return bool(needs.get(col, True))


def grid_params(summary: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The configuration columns of a summary: (varying, fixed and relevant)."""
    varying = grid_axes(summary)
    cols = [c for c in summary.columns if c not in NOT_PARAMS and c not in varying]
    return varying, [c for c in cols if applies(c, summary)]


def sort_natural(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows ordered by each column's natural order (BN none/pre/post, lr high to low...)."""
    if frame.empty or not cols:
        return frame
    keys = {c: {v: i for i, v in enumerate(ordered_values(frame, c))} for c in cols}
    ranks = pd.DataFrame({c: frame[c].map(keys[c]) for c in cols})
    return frame.iloc[np.lexsort([ranks[c].to_numpy() for c in reversed(cols)])]


def n_seeds(summary: pd.DataFrame) -> str:
    """Seeds per configuration: "3", or "2–3" when configurations differ."""
    per_config = summary.groupby("config_id")["seed"].nunique()
    lo, hi = int(per_config.min()), int(per_config.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def diverged_text(summary: pd.DataFrame) -> str:
    """How many of the family's runs diverged, in words."""
    k, n = int((summary["diverged"] == 1).sum()), len(summary)
    return f"{k} of {n} runs diverged" if k else f"none of the {n} runs diverged"


# --------------------------------------------------------------------------- one family's runs


def table_metrics(family: str, summary: pd.DataFrame) -> list[tuple[str, str, bool, str]]:
    """(metric, header, geometric mean?, description) of each number in a family's table:
    its final metric, then the extras its spec names (``FamilySpec.table_extras``)."""
    if is_classification(summary):
        first = ("final_acc", *TABLE_METRICS["final_acc"])
    else:
        loss = loss_label(summary)
        what = f"mean {loss} of the last {FINAL_EPOCHS} epochs (geometric mean over seeds)"
        first = ("final_test", f"final {loss}", True, what)
    extras = FAMILIES[family].table_extras if family in FAMILIES else ()
    return [first, *((m, *TABLE_METRICS[m]) for m in extras)]


def figure_metrics(family: str, name: str) -> tuple[str, ...]:
    """The metrics whose extremes a figure's key numbers give: the y metrics of its Panels
    spec (:data:`~bnstudy.families.FINAL` for the final metric), else the final metric."""
    if name in DRAWN_KEY_METRICS:
        return DRAWN_KEY_METRICS[name]
    spec = FAMILIES.get(family)
    own = spec is not None and name in spec.panels
    if is_generic_figure(family, name) or not (own or name in PANEL_FIGURES):
        return (FINAL,)
    panels = spec.panel_figure(name) if spec is not None else PANEL_FIGURES[name]
    return tuple(FINAL if y in (FINAL, ACCURACY) else y.metric for y in panels.ys)


@dataclass(frozen=True)
class FamilyRuns:
    """One family's per-seed summary as the report reads it."""

    name: str
    summary: pd.DataFrame  # per seed, with the derived metrics (``summary.with_derived``)
    varying: list[str]  # the grid's axes
    fixed: list[str]  # the other configuration columns that shape these runs
    metrics: list[tuple[str, str, bool, str]]  # its table's numbers (``table_metrics``)
    final: str  # the final metric: final_acc or final_test
    aggregates: dict[str, pd.DataFrame]  # metric -> per configuration (``stats.aggregate``)

    @property
    def by(self) -> list[str]:
        """The columns that tell its configurations apart in a table."""
        return self.varying or ["config_id"]


def family_runs(name: str, summary: pd.DataFrame, figures=()) -> FamilyRuns:
    """Read family ``name``'s summary once: grid, table metrics, and the aggregates that
    its table and the key numbers of ``figures`` (figure names) need."""
    varying, fixed = grid_params(summary)
    derived = with_derived(summary)
    metrics = table_metrics(name, summary)
    final = metrics[0][0]
    wanted = [m for m, _, _, _ in metrics]
    for fig in figures:
        wanted += [final if m == FINAL else m for m in figure_metrics(name, fig)]
    by = varying or ["config_id"]
    aggregates = {
        m: aggregate(derived, by, m, log=m in LOG_METRICS)
        for m in dict.fromkeys(wanted)
        if m in derived
    }
    return FamilyRuns(name, derived, varying, fixed, metrics, final, aggregates)


def cell_set(value) -> bool:
    """Whether a configuration cell holds a value (an empty ``lr_sweep`` reads as NaN)."""
    return not (value is None or (isinstance(value, float) and np.isnan(value)) or value == "")


def family_grid(runs: FamilyRuns) -> dict:
    """What the family ran: its grid's values, its fixed settings, its size, divergences."""
    summary = runs.summary
    return {
        "family": runs.name,
        "varying": [
            (param_name(c), ", ".join(fmt_param(v) for v in ordered_values(summary, c)))
            for c in runs.varying
        ],
        "fixed": [
            (param_name(c), fmt_param(summary[c].iloc[0]))
            for c in runs.fixed
            if c not in ("dataset", "model") and cell_set(summary[c].iloc[0])
        ],
        "dataset": ", ".join(str(v) for v in summary["dataset"].unique()),
        "model": ", ".join(str(v) for v in summary["model"].unique()),
        "n_configs": str(summary["config_id"].nunique()),
        "n_seeds": n_seeds(summary),
        "seeds": fmt_seeds(summary["seed"]),
        "n_runs": str(len(summary)),
        "n_diverged": str(int((summary["diverged"] == 1).sum())),
    }


# --------------------------------------------------------------------------- the table


def table_row(rec: Mapping, by: list[str], n_metrics: int) -> dict:
    """One configuration's row: its parameters, each number with its interval, divergences."""
    k, n = int(rec["n_diverged"]), int(rec["n_seeds"])
    cells = []
    for i in range(n_metrics):
        cells += [fmt(rec[f"mean_{i}"]), fmt_interval(rec[f"low_{i}"], rec[f"high_{i}"])]
    return {
        "params": [fmt_param(rec[c]) for c in by],
        "cells": cells,
        "diverged": f"{k} of {n} seeds",
        "any_diverged": k > 0,
    }


def family_table(runs: FamilyRuns) -> dict:
    """Per configuration: the family's numbers with intervals, and the divergences."""
    by = runs.by
    table = None
    for i, (metric, _, _, _) in enumerate(runs.metrics):
        cols = {"mean": f"mean_{i}", "ci_low": f"low_{i}", "ci_high": f"high_{i}"}
        agg = runs.aggregates[metric].rename(columns=cols)
        table = agg if table is None else table.merge(agg[[*by, *cols.values()]], on=by)
    table = sort_natural(table, by)
    columns = [param_name(c) for c in by]
    for _, header, _, _ in runs.metrics:
        columns += [header, f"{CI} interval"]
    described = "; ".join(f"{header}: {what}" for _, header, _, what in runs.metrics)
    return {
        "columns": [*columns, "diverged"],
        "n_params": len(by),
        "rows": [table_row(rec, by, len(runs.metrics)) for rec in table.to_dict("records")],
        "caption": f"over the non-diverged seeds with {CI} intervals. Columns: {described}.",
    }


# --------------------------------------------------------------------------- key numbers


def config_label(rec: Mapping, cols: list[str]) -> str:
    """A configuration in words from its varying columns: "depth 2 · relu · BN pre"."""
    if not cols:
        return "the only configuration"
    parts = []
    for c in cols:
        value = fmt_param(rec[c])
        parts.append(value if c in SELF_NAMED else f"{param_name(c)} {value}")
    return " · ".join(parts)


def extremes(agg: pd.DataFrame, varying: list[str], what: str, high_first: bool) -> str:
    """The configurations with the highest and lowest mean of ``agg``, with intervals."""
    agg = agg[np.isfinite(agg["mean"].to_numpy(dtype=float))]
    if agg.empty:
        return ""
    agg = agg.sort_values("mean", ascending=not high_first, kind="stable")
    ends = ("highest", "lowest") if high_first else ("lowest", "highest")
    rows = [agg.iloc[0]] + ([agg.iloc[-1]] if len(agg) > 1 else [])
    return "; ".join(
        f"{word} {what} {fmt_estimate(rec['mean'], rec['ci_low'], rec['ci_high'])} "
        f"({config_label(rec, varying)})"
        for word, rec in zip(ends, rows, strict=False)
    )


def recorded(summary: pd.DataFrame, metric: str) -> bool:
    """Whether any run recorded ``metric``."""
    return metric in summary and bool(summary[metric].notna().any())


def final_extremes(runs: FamilyRuns) -> str:
    """The best and worst configurations by the final metric."""
    if not recorded(runs.summary, runs.final):
        return ""
    if runs.final == "final_acc":
        return extremes(runs.aggregates["final_acc"], runs.varying, "final accuracy", True)
    what = f"final {loss_label(runs.summary)}"
    return extremes(runs.aggregates["final_test"], runs.varying, what, False)


def metric_extremes(runs: FamilyRuns, metric: str) -> str:
    """The lowest and highest ``metric`` of a figure (BN's running-statistics error: BN
    runs only)."""
    summary = runs.summary
    if metric == "bn_gap":
        bn = summary[summary["bn"] != "none"] if "bn" in summary else summary
        if not recorded(bn, metric):
            return ""
        agg = aggregate(bn, runs.by, metric, log=True)
    elif not recorded(summary, metric):
        return ""
    else:
        agg = runs.aggregates[metric]
    return extremes(agg, runs.varying, KEY_NUMBER_NAMES[metric], False)


def suggestions(runs: FamilyRuns) -> str:
    """The LR range test's suggested learning rate per configuration."""
    if not recorded(runs.summary, "suggested_lr"):
        return "no suggested learning rate was recorded"
    return "suggested lr " + "; ".join(
        f"{fmt_estimate(r['mean'], r['ci_low'], r['ci_high'])} ({config_label(r, runs.varying)})"
        for r in runs.aggregates["suggested_lr"].to_dict("records")
    )


def figure_numbers(runs: FamilyRuns, name: str) -> str:
    """The key numbers of figure ``name`` of the family (one sentence).

    Means are over the non-diverged seeds; losses and ratios are geometric means, all
    with their intervals.
    """
    parts = []
    for metric in figure_metrics(runs.name, name):
        if metric == FINAL:
            parts.append(final_extremes(runs))
        elif metric == "suggested_lr":
            parts.append(suggestions(runs))
        else:
            parts.append(metric_extremes(runs, metric))
    parts.append(diverged_text(runs.summary))
    text = "; ".join(p for p in parts if p)
    return f"Key numbers: {text}." if text else ""
