"""Metric-against-parameter figures: a mean and its interval per grid point.

A known family's figure is a :class:`bnstudy.families.Panels` spec (which summary
metrics, against which grid axis, a line per which axis, a panel per which);
a family the study does not know gets its final metric against each grid axis
(``final_vs_<axis>``, laid out by :func:`bnstudy.figures.layout.generic_layout`).
Means and intervals come from :func:`bnstudy.stats.aggregate` over the
non-diverged seeds; where seeds diverged, a cross at the top of the panel says
"k/n" instead of drawing a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator
from matplotlib.transforms import blended_transform_factory

from bnstudy.families import ACCURACY, BN_GAP, FAMILIES, FINAL, PANEL_FIGURES, Y, axis_name
from bnstudy.figures.layout import (
    PANEL_KEY,
    X_LABELS,
    fmt_value,
    generic_layout,
    param_label,
    with_panel_key,
    wrapped,
)
from bnstudy.figures.style import (
    is_numeric,
    legend,
    legend_title,
    line_colours,
    line_marker,
    log_y,
    new_figure,
    panel_title,
)
from bnstudy.stats import aggregate
from bnstudy.summary import (
    DERIVED,
    grid_axes,
    is_classification,
    loss_label,
    ordered_values,
    with_derived,
)
from bnstudy.vocab import CI_LABEL

SLOT = 0.13  # axes fraction between the rows of divergence markers of different lines


# --------------------------------------------------------------------------- divergence markers


def _mark_diverged(ax, xs, n_div, n_seeds, colour, slot: int) -> int:
    """Cross at the top of the axis, "k/n" under it, where k of n seeds diverged.

    Each line gets its own row of crosses (``slot``), so that lines diverging at the
    same x stay apart. Returns the number of crosses drawn.
    """
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    y = 0.95 - SLOT * slot
    marked = 0
    for x, k, n in zip(xs, n_div, n_seeds, strict=True):
        if k <= 0:
            continue
        ax.plot(
            [x],
            [y],
            marker="x",
            ls="none",
            color=colour,
            ms=5,
            mew=1.5,
            transform=trans,
            clip_on=False,
            label="_diverged",
        )
        ax.annotate(
            f"{k}/{n}",
            (x, y),
            xycoords=trans,
            xytext=(0, -4),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=6,
            color=colour,
        )
        marked += 1
    return marked


def headroom(axes, slots: int) -> None:
    """Extend each y axis upwards so the ``slots`` rows of divergence markers cover no data."""
    if not slots:
        return
    # The data must end below the lowest row of markers and its labels.
    data_top = 0.95 - SLOT * (slots - 1) - 0.12
    done: list = []
    for ax in np.ravel(axes):
        if any(ax.get_shared_y_axes().joined(ax, other) for other in done):
            continue
        done.append(ax)
        lo, hi = ax.get_ylim()
        if ax.get_yscale() == "log":
            if lo > 0 and hi > lo:
                ax.set_ylim(lo, hi * (hi / lo) ** (1 / data_top - 1))
        elif hi > lo:
            ax.set_ylim(lo, lo + (hi - lo) / data_top)


# --------------------------------------------------------------------------- interval plots


def _dodge(agg: pd.DataFrame, x: str, xlog: bool, categorical: bool, dodge: float | None):
    """The sideways spread between lines: decades on a log axis, else units of x."""
    if dodge is None:
        dodge = 0.035 if xlog else 0.12 if categorical else 0.07
    if not xlog and not categorical:
        ticks = np.unique(agg[x].to_numpy(dtype=float))
        dodge *= float(np.diff(ticks).min()) if len(ticks) > 1 else 1.0
    return dodge


def _seed_dots(ax, seeds: pd.DataFrame, x: str, at: dict, colour) -> None:
    """The individual seeds (columns ``x`` and ``value``) as small dots at the line's x."""
    ax.plot(
        seeds[x].map(at).to_numpy(dtype=float),
        seeds["value"].to_numpy(dtype=float),
        ls="none",
        marker=".",
        ms=2.5,
        alpha=0.5,
        color=colour,
        label="_seeds",
    )


def interval_plot(
    ax,
    agg: pd.DataFrame,
    x: str,
    line_col: str | None,
    xlog: bool,
    order: list | None = None,
    dodge: float | None = None,
    points: pd.DataFrame | None = None,
    connect: bool | None = None,
) -> int:
    """One line with interval bars per value of ``line_col``, divergence marked at the top.

    ``agg`` is :func:`bnstudy.stats.aggregate`'s table. ``order`` makes ``x``
    categorical (positions 0, 1, … in that order); points are joined by lines unless
    ``x`` is categorical or ``connect`` is False. ``dodge`` is the sideways spread
    between lines (decades on a log axis, else units of the smallest x spacing);
    ``points`` (columns ``line_col``, ``x``, ``value``) adds the individual seeds as
    dots. Returns the number of marker rows used (the caller then makes room above
    the data with :func:`headroom`).
    """
    lines = ordered_values(agg, line_col) if line_col else [None]
    colours = line_colours(line_col, lines)
    positions = {v: i for i, v in enumerate(order)} if order is not None else None
    dodge = _dodge(agg, x, xlog, positions is not None, dodge)
    joined = positions is None if connect is None else connect
    slots = 0
    for i, val in enumerate(lines):
        part = agg if val is None else agg[agg[line_col] == val]
        xs = part[x].map(positions) if positions is not None else part[x]
        part = part.assign(_x=xs.to_numpy(dtype=float)).sort_values("_x")
        xs = part["_x"].to_numpy(dtype=float)
        # Spread the lines a little sideways so overlapping interval bars stay readable.
        shift = (i - (len(lines) - 1) / 2) * dodge
        xs_plot = xs * 10**shift if xlog else xs + shift
        mean = part["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - part["ci_low"].to_numpy(dtype=float), nan=0.0)
        high = np.nan_to_num(part["ci_high"].to_numpy(dtype=float) - mean, nan=0.0)
        ax.errorbar(
            xs_plot,
            mean,
            yerr=[low, high],
            color=colours[val],
            marker=line_marker(line_col, val, i),
            ms=4,
            capsize=2.5,
            lw=1.3,
            ls="-" if joined else "none",
            label=fmt_value(val) if val is not None else "_all",
        )
        if points is not None:
            seeds = points if val is None else points[points[line_col] == val]
            _seed_dots(ax, seeds, x, dict(zip(part[x], xs_plot, strict=True)), colours[val])
        n_div, n_seeds = part["n_diverged"].to_numpy(), part["n_seeds"].to_numpy()
        if _mark_diverged(ax, xs_plot, n_div, n_seeds, colours[val], i):
            slots = i + 1
    return slots


def _x_axis(ax, values: list, xlog: bool, order: list | None) -> None:
    """Ticks at the grid's values: category names, or the numbers when they are few."""
    if order is not None:
        labels = [fmt_value(v) for v in order]
        long = max(len(s) for s in labels) > 6 and len(labels) > 3
        ax.set_xticks(range(len(order)), labels, rotation=35 if long else 0)
        if long:
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        ax.set_xlim(-0.5, len(order) - 0.5)
    elif xlog:
        if all(float(v).is_integer() for v in values):  # batch sizes: label each one
            ax.set_xticks(sorted(values), [fmt_value(v) for v in sorted(values)])
            ax.xaxis.set_minor_locator(NullLocator())
    elif len(values) <= 12:
        ax.set_xticks(sorted(values))


# --------------------------------------------------------------------------- figures


def _final_y(summary: pd.DataFrame) -> Y:
    """The final metric: accuracy for classification, else the geometric-mean test loss."""
    if is_classification(summary):
        return ACCURACY
    return Y("final_test", f"final {loss_label(summary)} (geometric mean)", True, "final loss")


def _with_derived(summary: pd.DataFrame, ys: list[Y]) -> pd.DataFrame:
    """``summary`` plus the derived metrics (:data:`bnstudy.summary.DERIVED`) ``ys`` plot."""
    return with_derived(summary, [y.metric for y in ys if y.metric in DERIVED])


def _grid(n_ys: int, n_panels: int, across: bool) -> tuple[int, int, int]:
    """(rows, columns, panels shown) for ``n_ys`` metrics and ``n_panels`` panel values."""
    if across:
        return 1, n_ys, n_ys
    if n_ys == 1:
        return *wrapped(n_panels), n_panels
    return n_ys, n_panels, n_ys * n_panels


def metric_panels(
    summary: pd.DataFrame,
    ys: list[Y],
    *,
    x: str,
    line_col: str | None,
    panel_col: str | None = None,
    xlog: bool = False,
    title: str,
    reference: float | None = None,
) -> Figure:
    """Mean and interval of each metric in ``ys`` against ``x``, one line per ``line_col``.

    Metrics go down the rows and ``panel_col``'s values across the columns; without
    panels, several metrics sit side by side. A non-numeric ``x`` is categorical.
    ``reference`` draws a dashed horizontal line (a ratio of 1, say).
    """
    summary = _with_derived(summary, ys)
    panels = ordered_values(summary, panel_col) if panel_col else [None]
    across = panel_col is None and len(ys) > 1
    n_rows, n_cols, n_panels = _grid(len(ys), len(panels), across)
    sharey = False if across else True if len(ys) == 1 else "row"
    fig, axes = new_figure(
        n_rows, n_cols, row_height=2.6 if n_rows == 1 else 2.1, sharey=sharey, n_panels=n_panels
    )
    x_values = ordered_values(summary, x)
    order = None if is_numeric(x_values) else x_values
    by = [c for c in (panel_col, line_col, x) if c]
    slots = 0
    for i, y in enumerate(ys):
        agg = aggregate(summary, by, y.metric, log=y.log)
        for j, pv in enumerate(panels):
            k = i if across else j if len(ys) == 1 else i * n_cols + j
            ax = axes[divmod(k, n_cols)]
            if xlog:
                ax.set_xscale("log")
            if y.log:
                log_y(ax)
            if reference is not None:
                ax.axhline(reference, color="0.4", ls="--", lw=0.9, label="_reference")
            part = agg if pv is None else agg[agg[panel_col] == pv]
            slots = max(slots, interval_plot(ax, part, x, line_col, xlog, order=order))
            panel_title(ax, y.short if pv is None else param_label(panel_col, pv))
            _x_axis(ax, x_values, xlog, order)
            if across or k % n_cols == 0:
                ax.set_ylabel(y.label)
            if k + n_cols >= n_panels:
                ax.set_xlabel(X_LABELS.get(x, axis_name(x)))
    headroom(axes, slots)
    if line_col:
        names = [fmt_value(v) for v in ordered_values(summary, line_col)]
        legend(fig, axes, legend_title(line_col), names)
    fig.suptitle(title, fontsize=10)
    return fig


def panel_figure(family: str, name: str, summary: pd.DataFrame) -> Figure:
    """Figure ``name`` of ``family`` from its Panels spec (the family's own, if it has one)."""
    spec = FAMILIES[family].panel_figure(name) if family in FAMILIES else PANEL_FIGURES[name]
    if spec.ys == (BN_GAP,):
        summary = summary[summary["bn"] != "none"]
        if summary.empty:
            raise ValueError(f"family {family!r} has no BN runs, so no running statistics")
    title = spec.title.format(ci=CI_LABEL)
    if "{ci}" not in spec.title:
        title += f" ({CI_LABEL} intervals)"
    return metric_panels(
        summary,
        [_final_y(summary) if y == FINAL else y for y in spec.ys],
        x=spec.x,
        line_col=spec.line,
        panel_col=spec.panel,
        xlog=spec.xlog,
        reference=spec.reference,
        title=f"{family} family: {title}",
    )


def final_vs_axis(family: str, summary: pd.DataFrame, axis: str) -> Figure:
    """Generic: the final metric against one grid axis, a line per another, panels by the rest."""
    if axis not in summary:
        raise ValueError(f"family {family!r} has no configuration column {axis!r}")
    axes = grid_axes(summary)
    line, panel = generic_layout(axes, axis)
    if panel == PANEL_KEY:
        summary = with_panel_key(summary, axes, [axis, line])
    values = ordered_values(summary, axis)
    xs = np.asarray(values, dtype=float) if is_numeric(values) else np.array([])
    xlog = bool(xs.size) and xs.min() > 0 and xs.max() / xs.min() >= 10
    y = _final_y(summary)
    what = y.label.split(" (")[0]
    return metric_panels(
        summary,
        [y],
        x=axis,
        line_col=line,
        panel_col=panel,
        xlog=xlog,
        title=f"{family} family: {what} vs {axis_name(axis)} ({CI_LABEL} intervals)",
    )
