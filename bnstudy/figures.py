"""Figures of each experiment family (STUDY.md §6), drawn from its tidy and summary tables.

Every figure is a ``matplotlib.figure.Figure`` on its own Agg canvas, so no
pyplot state is created or leaked. Diverged seeds are never drawn as numbers:
curves and means use the non-diverged seeds only, and where seeds diverged the
plot shows a marker with "k/n" (k of n seeds diverged) instead of a value.

Two kinds of figure cover almost everything: learning curves (a metric per
epoch, one panel per grid cell, one line per value of a grid axis, the band
spanning the seeds) and metric-against-parameter plots (mean and 95 % interval
per grid point). A family the study does not know gets both, generically:
``curves`` and ``final_vs_<axis>`` for each of its grid axes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation, MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory

from bnstudy.config import ACTIVATIONS, INITS, OPTIMIZERS, SCHEDULES
from bnstudy.families import (  # noqa: F401 (CAPTIONS, figure_names: re-exported)
    _BAND,
    _DIVERGED_NOTE,
    CAPTIONS,
    CI_LABEL,
    FIGURES,
    RANGE_SMOOTHING,
    axis_name,
    figure_caption_text,
    figure_names,
)
from bnstudy.io import atomic_write
from bnstudy.stats import aggregate
from bnstudy.summary import SUMMARY_METRICS

_CI = CI_LABEL
#: Fixed salt for the SVG element ids, so the same data gives the same SVG bytes.
SVG_HASHSALT = "bnstudy"

PAGE_WIDTH = 7.0  # inches: a figure spans the text width of an A4 page
BN_STYLE = {  # BN variant -> (colour, marker), the same in every figure
    "none": ("#4d4d4d", "o"),
    "pre": ("#1f77b4", "s"),
    "post": ("#d62728", "^"),
    "library": ("#1f77b4", "s"),
    "scratch": ("#2ca02c", "D"),
}
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
_PALETTE += ["#7f7f7f", "#bcbd22", "#17becf"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]
_REGRESSION_DATASETS = {"poly2", "linear"}

#: Natural order of categorical configuration values (others follow alphabetically).
_VALUE_ORDER = {
    "bn": list(BN_STYLE),
    "act": list(ACTIVATIONS),
    "schedule": list(SCHEDULES),
    "init": list(INITS),
    "optimizer": list(OPTIMIZERS),
}
#: x-axis labels that say more than the column's name.
_X_LABELS = {"depth": "depth (hidden layers)", "bn_layers": "BN layers k"}
#: What a dataset's ``meta["source"]`` means, in words.
SOURCE_NAMES = {"synthetic": "procedurally generated shapes", "fashion_mnist": "Fashion-MNIST"}


class Y(NamedTuple):
    """A summary metric on a y axis: its column, axis label, scale and short panel title."""

    metric: str
    label: str
    log: bool
    short: str


SPEED = Y("speed", "speed: mean log test loss (lower = faster)", False, "speed")
ACCURACY = Y("final_acc", "final test accuracy", False, "final accuracy")


def figure_caption(family: str, name: str, summary: pd.DataFrame | None = None) -> str:
    """The caption of figure ``name``; ``summary`` (the family's runs) refines generic ones."""
    classification = is_classification(summary) if summary is not None else None
    text = figure_caption_text(family, name, classification)
    generic = name.startswith("final_vs_") and not (name in CAPTIONS and family in FIGURES)
    if generic and summary is not None and name.removeprefix("final_vs_") in summary:
        line, panel = _generic_layout(grid_axes(summary), name.removeprefix("final_vs_"))
        extra = f" One line per {_axis_name(line)}." if line else ""
        if panel:
            extra += f" One panel per {_axis_name(panel).replace(' · ', ' and ')}."
        text = text.replace(f" {_DIVERGED_NOTE}", f"{extra} {_DIVERGED_NOTE}")
    return text


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tidy or summary CSV; only empty cells and ``nan`` are missing.

    pandas' default would also read the string ``None`` as missing, which must
    not happen to a configuration value.
    """
    return pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])


# --------------------------------------------------------------------------- helpers


_MAX_COLS = 4  # panels side by side before a row of panels wraps
_MAX_HEIGHT = 9.0  # inches: a figure and its caption must fit on an A4 page


def _new_figure(
    n_rows: int,
    n_cols: int,
    row_height: float,
    sharey: bool | str = True,
    n_panels: int | None = None,
):
    """A figure of ``n_rows`` × ``n_cols`` axes; only the first ``n_panels`` are shown."""
    row_height = min(row_height, (_MAX_HEIGHT - 0.9) / n_rows)
    fig = Figure(figsize=(PAGE_WIDTH, 0.9 + row_height * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=sharey, squeeze=False)
    n_panels = n_rows * n_cols if n_panels is None else n_panels
    for k, ax in enumerate(axes.flat):
        if k >= n_panels:
            ax.set_visible(False)
        elif k + n_cols >= n_panels:  # the lowest panel of its column keeps its x labels
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig, axes


def _wrapped(n_panels: int) -> tuple[int, int]:
    """Rows and columns for a single row of ``n_panels`` panels, wrapped after _MAX_COLS."""
    return -(-n_panels // _MAX_COLS), min(n_panels, _MAX_COLS)


def ordered_values(frame: pd.DataFrame, col: str) -> list:
    """The distinct values of a configuration column, in a natural order."""
    vals = list(pd.unique(frame[col].dropna()))
    if col == "lr":
        return sorted(vals, reverse=True)
    if col in _VALUE_ORDER:
        known = [v for v in _VALUE_ORDER[col] if v in vals]
        return known + sorted(v for v in vals if v not in known)
    return sorted(vals)


def _numeric(values) -> bool:
    return all(isinstance(v, int | float | np.integer | np.floating) for v in values)


def _line_colours(col: str | None, values: list) -> dict:
    """A colour per line: BN variants keep theirs; a numeric axis gets a sequential map."""
    if col == "bn":
        return {v: BN_STYLE.get(v, (_PALETTE[i % len(_PALETTE)],))[0] for i, v in enumerate(values)}
    if col == "bn_layers" and _numeric(values):
        # Grey without BN, then darker blues for more BN layers.
        blues = matplotlib.colormaps["Blues"]
        top = max(max(values), 1)
        return {v: BN_STYLE["none"][0] if v == 0 else blues(0.45 + 0.5 * v / top) for v in values}
    if len(values) >= 3 and _numeric(values):
        x = np.asarray(values, dtype=float)
        if x.min() > 0 and x.max() / x.min() >= 8:
            x = np.log10(x)
        span = float(x.max() - x.min())
        pos = (x - x.min()) / span if span > 0 else np.zeros_like(x)
        cmap = matplotlib.colormaps["viridis"]
        return {v: cmap(0.85 * p) for v, p in zip(values, pos, strict=True)}
    return {v: _PALETTE[i % len(_PALETTE)] for i, v in enumerate(values)}


def _line_marker(col: str | None, value, index: int) -> str:
    if col == "bn" and value in BN_STYLE:
        return BN_STYLE[value][1]
    return _MARKERS[index % len(_MARKERS)]


def _fmt_value(v) -> str:
    """A configuration value as a label: floats without trailing zeros (0.3, 0.0003)."""
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def _axis_name(col: str | None) -> str:
    return axis_name(col)


def _param_label(col: str, v) -> str:
    """A grid value as a panel title: "depth 3", "BN none", "lr 0.1", "relu"."""
    text = _fmt_value(v)
    if col in ("act", "optimizer", "schedule", "_panel"):
        return text
    if col == "bn_layers":
        return f"{text} BN layer{'' if text == '1' else 's'}"
    if col == "init":
        return f"{text} init"
    short = {"bn": "BN", "batch_size": "batch"}.get(col, col.replace("_", " "))
    return f"{short} {text}"


def loss_label(frame: pd.DataFrame) -> str:
    datasets = set(frame["dataset"].dropna()) if "dataset" in frame else set()
    return "test MSE" if datasets and datasets <= _REGRESSION_DATASETS else "test loss"


def is_classification(summary: pd.DataFrame) -> bool:
    """Whether the runs classify (they report accuracy, or use a non-regression dataset)."""
    if "final_acc" in summary and summary["final_acc"].notna().any():
        return True
    datasets = set(summary["dataset"].dropna()) if "dataset" in summary else set()
    return bool(datasets) and not datasets <= _REGRESSION_DATASETS


def _final_y(summary: pd.DataFrame) -> Y:
    """The final metric: accuracy for classification, else the geometric-mean test loss."""
    if is_classification(summary):
        return ACCURACY
    return Y("final_test", f"final {loss_label(summary)} (geometric mean)", True, "final loss")


def grid_axes(summary: pd.DataFrame) -> list[str]:
    """The configuration columns that vary across the runs (the family's grid axes)."""
    skip = {"family", "config_id", "seed", *SUMMARY_METRICS}
    return [c for c in summary.columns if c not in skip and summary[c].nunique() > 1]


def with_derived(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary plus the figures' derived metrics: ``grad_ratio`` and ``bn_gap``."""
    return summary.assign(
        grad_ratio=summary["grad_first"] / summary["grad_last"],
        bn_gap=summary["bn_mean_gap"] + summary["bn_var_gap"],
    )


def _config_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its id and parameters."""
    drop = [c for c in summary.columns if c == "seed" or c in SUMMARY_METRICS]
    return summary.drop(columns=drop).drop_duplicates("config_id").set_index("config_id")


def _seed_curves(
    tidy: pd.DataFrame, summary: pd.DataFrame, metric: str, positive: bool
) -> pd.DataFrame:
    """``metric`` of the non-diverged seeds: index (config_id, seed), columns epochs."""
    ok = summary.loc[summary["diverged"] == 0, ["config_id", "seed"]]
    rows = tidy.loc[tidy["metric"] == metric, ["config_id", "seed", "epoch", "value"]]
    wide = rows.merge(ok, on=["config_id", "seed"]).pivot_table(
        index=["config_id", "seed"], columns="epoch", values="value", aggfunc="first"
    )
    # A non-positive value cannot go on a log axis; a missing epoch stays a gap.
    return wide.where(wide > 0) if positive else wide


_SLOT = 0.13  # axes fraction between the rows of divergence markers of different lines


def _mark_diverged(ax, xs, n_div, n_seeds, colour, slot: int) -> int:
    """Cross at the top of the axis, "k/n" under it, where k of n seeds diverged.

    Each line gets its own row of crosses (``slot``), so that lines diverging at the
    same x stay apart. Returns the number of crosses drawn.
    """
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    y = 0.95 - _SLOT * slot
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


def _headroom(axes, slots: int) -> None:
    """Extend each y axis upwards so the divergence markers do not cover data."""
    if not slots:
        return
    # The data must end below the lowest row of markers and its labels.
    data_top = 0.95 - _SLOT * (slots - 1) - 0.12
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


def _interval_plot(
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

    ``order`` makes ``x`` categorical (positions 0, 1, … in that order); points are
    joined by lines unless ``x`` is categorical or ``connect`` is False. ``dodge`` is
    the sideways spread between lines (decades on a log axis, else units of the
    smallest x spacing); ``points`` (columns ``line_col``, ``x``, ``value``) adds the
    individual seeds as dots. Returns the number of marker rows used (the caller
    then makes room above the data).
    """
    lines = ordered_values(agg, line_col) if line_col else [None]
    colours = _line_colours(line_col, lines)
    positions = {v: i for i, v in enumerate(order)} if order is not None else None
    if dodge is None:
        dodge = 0.035 if xlog else 0.12 if order is not None else 0.07
    if not xlog and positions is None:
        ticks = np.unique(agg[x].to_numpy(dtype=float))
        dodge *= float(np.diff(ticks).min()) if len(ticks) > 1 else 1.0
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
        colour = colours[val]
        ax.errorbar(
            xs_plot,
            mean,
            yerr=[low, high],
            color=colour,
            marker=_line_marker(line_col, val, i),
            ms=4,
            capsize=2.5,
            lw=1.3,
            ls="-" if (positions is None if connect is None else connect) else "none",
            label=_fmt_value(val) if val is not None else "_all",
        )
        if points is not None:
            seeds = points if val is None else points[points[line_col] == val]
            at = dict(zip(part[x], xs_plot, strict=True))
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
        marked = _mark_diverged(
            ax, xs_plot, part["n_diverged"].to_numpy(), part["n_seeds"].to_numpy(), colour, i
        )
        if marked:
            slots = i + 1
    return slots


def _x_axis(ax, x: str, values: list, xlog: bool, order: list | None) -> None:
    """Ticks at the grid's values: category names, or the numbers when they are few."""
    if order is not None:
        labels = [_fmt_value(v) for v in order]
        long = max(len(s) for s in labels) > 6 and len(labels) > 3
        ax.set_xticks(range(len(order)), labels, rotation=35 if long else 0)
        if long:
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        ax.set_xlim(-0.5, len(order) - 0.5)
    elif xlog:
        if all(float(v).is_integer() for v in values):  # batch sizes: label each one
            ax.set_xticks(sorted(values), [_fmt_value(v) for v in sorted(values)])
            ax.xaxis.set_minor_locator(NullLocator())
    elif len(values) <= 12:
        ax.set_xticks(sorted(values))


class _PlainLogFormatter(LogFormatterSciNotation):
    """Log-axis labels as plain numbers (0.3, 2, 40) where those are short, else a×10ⁿ."""

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)  # "" where a minor tick stays unlabelled
        return f"{x:g}" if text and 1e-3 <= abs(x) < 1e4 else text


def _log_y(ax) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_PlainLogFormatter())
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))


def _panel_title(ax, text: str) -> None:
    ax.set_title(text, fontsize=9)


def _note(ax, text: str, where: str = "upper right", colour: str = "#333333") -> None:
    """Small text in a corner of the panel (divergence counts, missing data)."""
    x = 0.97 if "right" in where else 0.03
    y = 0.95 if "upper" in where else 0.04
    ax.text(
        x,
        y,
        text,
        transform=ax.transAxes,
        ha="right" if "right" in where else "left",
        va="top" if "upper" in where else "bottom",
        fontsize=6.5,
        color=colour,
    )


def _no_data(ax, text: str = "no runs") -> None:
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=8,
        color="0.5",
    )


def _legend(fig, axes, title: str, order: list[str]) -> None:
    """A single legend for the figure, from the labelled series of all panels, in ``order``."""
    found: dict[str, object] = {}
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            found.setdefault(lab, h)
    seen = {lab: found[lab] for lab in order if lab in found}
    if seen:
        fig.legend(
            list(seen.values()),
            list(seen.keys()),
            title=title,
            loc="outside right upper",
            fontsize=8,
            title_fontsize=8,
            frameon=False,
        )


# --------------------------------------------------------------------------- layouts

#: Learning-curve panels of the known families: (rows, columns, lines); None = one only.
_CURVE_LAYOUT = {
    "depth": ("depth", "act", "bn"),
    "simple": ("depth", "act", "bn"),
    "batch": ("depth", "bn", "batch_size"),
    "lr": ("depth", "bn", "lr"),
    "schedule": (None, "bn", "schedule"),
    "init": ("act", "init", "bn"),
    "optimizer": ("act", "optimizer", "bn_layers"),
    "bn_layers": (None, "act", "bn_layers"),
    "image_batch": (None, "bn_layers", "batch_size"),
    "lenet": (None, "lr", "bn"),
    "lr_range": (None, "depth", "bn"),
}


def _generic_layout(axes: list[str], x: str | None) -> tuple[str | None, str | None]:
    """(line axis, panel axis) of a generic figure over ``axes``, ``x`` being the x axis.

    BN gets the lines when it varies; the next axis the panels; any further axes are
    joined into one panel key, "_panel".
    """
    rest = [a for a in axes if a != x]
    line = "bn" if "bn" in rest else rest[0] if rest else None
    rest = [a for a in rest if a != line]
    if len(rest) > 1:
        return line, "_panel"
    return line, rest[0] if rest else None


def _with_panel_key(frame: pd.DataFrame, axes: list[str], used: list) -> pd.DataFrame:
    """``frame`` with a "_panel" column joining the axes not in ``used`` ("depth 3 · lr 0.1")."""
    rest = [a for a in axes if a not in used]
    keys = [
        " · ".join(_param_label(c, v) for c, v in zip(rest, row, strict=True))
        for row in frame[rest].itertuples(index=False)
    ]
    return frame.assign(_panel=keys)


def _curve_layout(family: str, configs: pd.DataFrame):
    """(configs, rows, columns, lines) of the learning curves of ``family``."""
    if family in _CURVE_LAYOUT:
        layout = [c if c in configs else None for c in _CURVE_LAYOUT[family]]
        return configs, *layout
    axes = grid_axes(configs.reset_index())
    line, panel = _generic_layout(axes, None)
    rest = [a for a in axes if a != line]
    if len(rest) == 2:  # a panel per grid cell: columns by the shorter axis, rows by the other
        few, many = sorted(rest, key=lambda a: configs[a].nunique())
        if configs[few].nunique() <= _MAX_COLS:
            return configs, many, few, line
        panel = "_panel"
    if panel == "_panel":
        configs = _with_panel_key(configs, axes, [line])
    return configs, None, panel, line


# --------------------------------------------------------------------------- figures


def _curve_panels(
    family: str,
    tidy: pd.DataFrame,
    summary: pd.DataFrame,
    metric: str,
    ylabel: str,
    ylog: bool,
    title: str,
    layout: tuple | None = None,
) -> Figure:
    """``metric`` per epoch: a panel per (row, column) grid cell, a line per line value."""
    configs, row_col, col_col, line_col = layout or _curve_layout(family, _config_table(summary))
    curves = _seed_curves(tidy, summary, metric, positive=ylog)
    done = set(curves.index.get_level_values(0))
    seeds = summary.groupby("config_id").agg(n=("seed", "size"), k=("diverged", "sum"))
    rows = ordered_values(configs, row_col) if row_col else [None]
    cols = ordered_values(configs, col_col) if col_col else [None]
    lines = ordered_values(configs, line_col) if line_col else [None]
    colours = _line_colours(line_col, lines)
    cells = [(rv, cv) for rv in rows for cv in cols]
    n_rows, n_cols = (len(rows), len(cols)) if row_col else _wrapped(len(cols))
    fig, axes = _new_figure(
        n_rows, n_cols, row_height=1.55 if n_rows > 1 else 2.1, n_panels=len(cells)
    )
    for cell, (rv, cv) in enumerate(cells):
        r, c = divmod(cell, n_cols)
        ax = axes[r, c]
        here = configs
        labels = []
        if row_col:
            here = here[here[row_col] == rv]
            labels.append(_param_label(row_col, rv))
        if col_col:
            here = here[here[col_col] == cv]
            labels.append(_param_label(col_col, cv))
        _panel_title(ax, " · ".join(labels) or "all runs")
        if here.empty:
            _no_data(ax)
        all_diverged, partly_diverged, missing = [], [], []
        for lv in lines:
            ids = here.index if lv is None else here.index[here[line_col] == lv]
            for cid in ids:
                k, n = int(seeds.loc[cid, "k"]), int(seeds.loc[cid, "n"])
                name = _fmt_value(lv) if lv is not None else ""
                if k == n:
                    all_diverged.append(f"{name} ({k}/{n})".strip())
                    continue
                if cid not in done:
                    missing.append(name or cid)
                    continue
                one = curves.loc[cid].dropna(axis=1, how="all")  # rows: seeds; cols: epochs
                epochs = one.columns.to_numpy(dtype=float)
                ax.fill_between(
                    epochs,
                    one.min(axis=0).to_numpy(dtype=float),
                    one.max(axis=0).to_numpy(dtype=float),
                    color=colours[lv],
                    alpha=0.18,
                    lw=0,
                )
                ax.plot(
                    epochs,
                    one.mean(axis=0).to_numpy(dtype=float),
                    color=colours[lv],
                    lw=1.3,
                    label=name or "_all",
                )
                if k:
                    partly_diverged.append(f"{name + ': ' if name else ''}{k}/{n} diverged")
        # Notes go where the curves are not: a loss falls from the upper left to the
        # lower right, an accuracy rises from the lower left to the upper right.
        corners = ("upper right", "lower left") if ylog else ("lower right", "upper left")
        if partly_diverged:
            _note(ax, "\n".join(partly_diverged), corners[0])
        if all_diverged:
            _note(ax, "all seeds diverged: " + ", ".join(all_diverged), corners[1], "#b00000")
        if missing:
            text = f"no {metric} recorded: " + ", ".join(missing)
            _note(ax, text, "upper left" if ylog else "lower left", "0.4")
        if ylog:
            _log_y(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if cell + n_cols >= len(cells):
            ax.set_xlabel("epoch")
        if c == 0:
            ax.set_ylabel(ylabel)
    legend_title = "BN" if line_col == "bn" else _axis_name(line_col)
    _legend(fig, axes, legend_title, [_fmt_value(v) for v in lines if v is not None])
    fig.suptitle(title, fontsize=10)
    return fig


def _curves(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    if is_classification(summary):
        return _curve_panels(
            family,
            tidy,
            summary,
            "test_acc",
            "test accuracy",
            ylog=False,
            title=f"{family} family: test accuracy per epoch",
        )
    return _curve_panels(
        family,
        tidy,
        summary,
        "test_loss",
        loss_label(summary),
        ylog=True,
        title=f"{family} family: learning curves",
    )


def _metric_panels(
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
    """
    summary = with_derived(summary)
    panels = ordered_values(summary, panel_col) if panel_col else [None]
    across = panel_col is None and len(ys) > 1
    if across:
        n_rows, n_cols, n_panels = 1, len(ys), len(ys)
    elif len(ys) == 1:
        (n_rows, n_cols), n_panels = _wrapped(len(panels)), len(panels)
    else:
        n_rows, n_cols, n_panels = len(ys), len(panels), len(ys) * len(panels)
    sharey = False if across else True if len(ys) == 1 else "row"
    fig, axes = _new_figure(
        n_rows, n_cols, row_height=2.6 if n_rows == 1 else 2.1, sharey=sharey, n_panels=n_panels
    )
    x_values = ordered_values(summary, x)
    order = None if _numeric(x_values) else x_values
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
                _log_y(ax)
            if reference is not None:
                ax.axhline(reference, color="0.4", ls="--", lw=0.9, label="_reference")
            part = agg if pv is None else agg[agg[panel_col] == pv]
            slots = max(slots, _interval_plot(ax, part, x, line_col, xlog, order=order))
            _panel_title(ax, y.short if pv is None else _param_label(panel_col, pv))
            _x_axis(ax, x, x_values, xlog, order)
            if across or k % n_cols == 0:
                ax.set_ylabel(y.label)
            if k + n_cols >= n_panels:
                ax.set_xlabel(_X_LABELS.get(x, _axis_name(x)))
    _headroom(axes, slots)
    if line_col:
        name = "BN" if line_col == "bn" else _axis_name(line_col)
        _legend(fig, axes, name, [_fmt_value(v) for v in ordered_values(summary, line_col)])
    fig.suptitle(title, fontsize=10)
    return fig


class _Panels(NamedTuple):
    """A metric-against-parameter figure: which metrics, against what, split how.

    ``ys`` holds ``Y`` metrics or ``FINAL`` (the runs' final metric: accuracy for
    classification, else the geometric-mean test loss).
    """

    ys: tuple
    x: str
    line: str | None
    panel: str | None = None
    xlog: bool = False
    title: str = ""
    reference: float | None = None


FINAL = "final"
VOLATILITY = Y("volatility", "volatility (late test-loss changes)", True, "volatility")
GRAD_RATIO = Y("grad_ratio", "grad. norm first / last layer", True, "gradient ratio")
BN_GAP = Y("bn_gap", "running-stat. error (mean + var gap)", True, "running statistics")
_GRAD_TITLE = "first-to-last layer gradient-norm ratio"

#: The metric-against-parameter figures of the known families, by name.
_PANEL_FIGURES = {
    "final_vs_depth": _Panels((FINAL,), "depth", "bn", "act", title="final test loss vs depth"),
    "error_vs_lr": _Panels(
        (FINAL,),
        "lr",
        "bn",
        "depth",
        xlog=True,
        title="final test loss vs learning rate ({ci} intervals; × = k/n seeds diverged)",
    ),
    "final_vs_batch": _Panels(
        (FINAL,), "batch_size", "bn", "depth", xlog=True, title="final test loss vs batch size"
    ),
    # BN runs only (the panels: one per BN placement).
    "running_stats": _Panels(
        (BN_GAP,),
        "batch_size",
        "depth",
        "bn",
        xlog=True,
        title="error of BN's running statistics vs batch size",
    ),
    "final_vs_schedule": _Panels(
        (FINAL, VOLATILITY), "schedule", "bn", title="final loss and late volatility per schedule"
    ),
    "final_vs_init": _Panels(
        (FINAL,), "init", "bn", "act", title="final test loss per initialization"
    ),
    "speed_acc_vs_optimizer": _Panels(
        (SPEED, ACCURACY),
        "optimizer",
        "bn_layers",
        "act",
        title="speed and final accuracy per optimizer",
    ),
    "speed_acc_vs_bn_layers": _Panels(
        (SPEED, ACCURACY), "bn_layers", "act", title="speed and final accuracy vs BN layers"
    ),
    "acc_vs_batch": _Panels(
        (ACCURACY,), "batch_size", "bn_layers", xlog=True, title="final test accuracy vs batch size"
    ),
    "acc_vs_lr": _Panels(
        (ACCURACY,), "lr", "bn", xlog=True, title="final test accuracy vs learning rate"
    ),
    "grad_ratio": _Panels((GRAD_RATIO,), "depth", "bn", "act", title=_GRAD_TITLE, reference=1.0),
}
#: A family's own version of a figure: the lr family's gradient ratio is against lr.
_FAMILY_PANEL_FIGURES = {
    ("lr", "grad_ratio"): _Panels(
        (GRAD_RATIO,), "lr", "bn", "depth", xlog=True, title=_GRAD_TITLE, reference=1.0
    ),
}


def _panel_figure(family: str, name: str, summary: pd.DataFrame) -> Figure:
    spec = _FAMILY_PANEL_FIGURES.get((family, name), _PANEL_FIGURES[name])
    if spec.ys == (BN_GAP,):
        summary = summary[summary["bn"] != "none"]
        if summary.empty:
            raise ValueError(f"family {family!r} has no BN runs, so no running statistics")
    title = spec.title.format(ci=_CI)
    return _metric_panels(
        summary,
        [_final_y(summary) if y == FINAL else y for y in spec.ys],
        x=spec.x,
        line_col=spec.line,
        panel_col=spec.panel,
        xlog=spec.xlog,
        reference=spec.reference,
        title=f"{family} family: {title}" + ("" if "{ci}" in spec.title else f" ({_CI} intervals)"),
    )


def _lr_trajectories(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    return _curve_panels(
        family,
        tidy,
        summary,
        "lr",
        "learning rate (mean per epoch)",
        ylog=True,
        title=f"{family} family: the learning rate each schedule used",
        layout=(_config_table(summary), None, "bn", "schedule"),
    )


def _bn_affine(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """γ and β of the first BN layer per channel, per lr, one series per BN variant."""
    found = tidy["metric"].str.extract(r"^bn1_(gamma|beta)\.(\d+)$")
    params = tidy.loc[found[0].notna(), ["config_id", "seed", "value"]].assign(
        which=found[0].dropna(), channel=found[1].dropna().astype(int)
    )
    runs = summary.loc[summary["bn"] != "none", ["config_id", "seed", "bn", "lr", "diverged"]]
    if runs.empty or params.empty:
        raise ValueError(f"family {family!r} recorded no learned BN parameters (bn1_gamma.<c>)")
    channels = pd.DataFrame({"channel": sorted(params["channel"].unique())})
    # One row per (run, channel), so that diverged runs, which record no γ/β, are counted.
    frame = runs.merge(channels, how="cross")
    lrs = ordered_values(runs, "lr")
    fig, axes = _new_figure(2, len(lrs), row_height=2.0, sharey="row")
    slots = 0
    for r, (which, symbol, init) in enumerate([("gamma", "γ", 1.0), ("beta", "β", 0.0)]):
        values = params.loc[params["which"] == which, ["config_id", "seed", "channel", "value"]]
        rows = frame.merge(values, on=["config_id", "seed", "channel"], how="left")
        agg = aggregate(rows, ["lr", "bn", "channel"], "value")
        seeds = rows[(rows["diverged"] == 0) & rows["value"].notna()]
        for c, lr in enumerate(lrs):
            ax = axes[r, c]
            ax.axhline(init, color="0.4", ls="--", lw=0.9, label="_initial")
            marked = _interval_plot(
                ax,
                agg[agg["lr"] == lr],
                "channel",
                "bn",
                xlog=False,
                dodge=0.25,
                points=seeds[seeds["lr"] == lr],
                connect=False,  # channels are not a continuum
            )
            slots = max(slots, marked)
            _panel_title(ax, f"{symbol} · lr {_fmt_value(lr)}")
            ax.set_xticks(channels["channel"].tolist())
            if c == 0:
                ax.set_ylabel(f"learned {symbol} ({which})")
            if r == 1:
                ax.set_xlabel("channel of the first BN layer")
    _headroom(axes, slots)
    _legend(fig, axes, "BN", [_fmt_value(v) for v in ordered_values(runs, "bn")])
    fig.suptitle(
        f"{family} family: first BN layer's learned γ and β per channel ({_CI} intervals)",
        fontsize=10,
    )
    return fig


def _smoothed_sweeps(tidy: pd.DataFrame, ok: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per non-diverged seed, the LR range test's smoothed loss and lr per step.

    Both are bias-corrected exponential moving averages (pandas' ``adjust=True``),
    the lr on the log scale, as ``bnstudy.schedules.suggest_lr`` smooths them; a
    sweep ends at its first non-finite loss. Returns (loss, lr) frames indexed by
    (config_id, seed) with one column per step.
    """
    sweep = tidy[tidy["metric"].isin(["range_lr", "range_loss"])].merge(
        ok, on=["config_id", "seed"]
    )
    wide = sweep.pivot_table(
        index=["config_id", "seed", "epoch"], columns="metric", values="value", aggfunc="first"
    )
    losses, lrs = {}, {}
    for key, one in wide.groupby(level=[0, 1]):
        one = one.droplevel([0, 1]).sort_index()
        bad = ~(np.isfinite(one["range_loss"]) & (one["range_lr"] > 0))
        one = one[~bad.cumsum().astype(bool)]
        ema = dict(alpha=1 - RANGE_SMOOTHING, adjust=True)
        losses[key] = one["range_loss"].ewm(**ema).mean()
        lrs[key] = np.exp(np.log(one["range_lr"]).ewm(**ema).mean())
    return pd.DataFrame(losses).T, pd.DataFrame(lrs).T


def _range_test(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    configs = _config_table(summary)
    panel_col = "depth" if "depth" in configs else None
    panels = ordered_values(configs, panel_col) if panel_col else [None]
    lines = ordered_values(configs, "bn")
    colours = _line_colours("bn", lines)
    ok = summary.loc[summary["diverged"] == 0, ["config_id", "seed"]]
    losses, lrs = _smoothed_sweeps(tidy, ok)
    seeds = summary.groupby("config_id").agg(n=("seed", "size"), k=("diverged", "sum"))
    fig, axes = _new_figure(1, len(panels), row_height=2.6)
    starts = []
    for c, pv in enumerate(panels):
        ax = axes[0, c]
        here = configs if pv is None else configs[configs[panel_col] == pv]
        _panel_title(ax, _param_label(panel_col, pv) if pv is not None else "all runs")
        notes = []
        for bn in lines:
            for cid in here.index[here["bn"] == bn]:
                k, n = int(seeds.loc[cid, "k"]), int(seeds.loc[cid, "n"])
                if k:
                    notes.append(f"{bn}: {k}/{n} diverged")
                if cid not in losses.index.get_level_values(0):
                    continue
                loss, lr = losses.loc[cid], lrs.loc[cid].mean(axis=0)
                x = lr.to_numpy(dtype=float)
                ax.fill_between(
                    x, loss.min(axis=0), loss.max(axis=0), color=colours[bn], alpha=0.18, lw=0
                )
                mean = loss.mean(axis=0).to_numpy(dtype=float)
                ax.plot(x, mean, color=colours[bn], lw=1.3, label=_fmt_value(bn))
                starts.append(mean[np.isfinite(mean)][:1])
                suggested = summary.loc[
                    (summary["config_id"] == cid) & (summary["diverged"] == 0), "suggested_lr"
                ].to_numpy(dtype=float)
                suggested = suggested[np.isfinite(suggested) & (suggested > 0)]
                if len(suggested):
                    ax.axvline(
                        float(np.exp(np.log(suggested).mean())),
                        color=colours[bn],
                        ls="--",
                        lw=1.1,
                        label="_suggested",
                    )
                else:
                    notes.append(f"{bn}: no suggested lr")
        if notes:
            _note(ax, "\n".join(notes), "upper left")
        ax.set_xscale("log")
        _log_y(ax)
        ax.set_xlabel("learning rate (smoothed)")
    axes[0, 0].set_ylabel("training loss per step (smoothed)")
    # The sweep ends in an explosion; keep the interesting part in view.
    start = np.concatenate(starts) if starts else np.array([])
    if start.size:
        lo, hi = axes[0, 0].get_ylim()
        axes[0, 0].set_ylim(lo, min(hi, 3 * float(start.max())))
    axes[0, -1].plot([], [], color="0.3", ls="--", lw=1.1, label="suggested lr")
    order = [_fmt_value(v) for v in lines] + ["suggested lr"]
    _legend(fig, axes, "BN", order)
    fig.suptitle(f"{family} family: LR range test (smoothed loss vs lr)", fontsize=10)
    return fig


def _final_vs_axis(family: str, tidy: pd.DataFrame, summary: pd.DataFrame, axis: str) -> Figure:
    """Generic: the final metric against one grid axis, a line per another, panels by the rest."""
    if axis not in summary:
        raise ValueError(f"family {family!r} has no configuration column {axis!r}")
    axes = grid_axes(summary)
    line, panel = _generic_layout(axes, axis)
    if panel == "_panel":
        summary = _with_panel_key(summary, axes, [axis, line])
    values = ordered_values(summary, axis)
    xs = np.asarray(values, dtype=float) if _numeric(values) else np.array([])
    xlog = bool(xs.size) and xs.min() > 0 and xs.max() / xs.min() >= 10
    y = _final_y(summary)
    return _metric_panels(
        summary,
        [y],
        x=axis,
        line_col=line,
        panel_col=panel,
        xlog=xlog,
        title=f"{family} family: {y.label.split(' (')[0]} vs {_axis_name(axis)} ({_CI} intervals)",
    )


#: The figures drawn by a function of their own, by name.
_MAKERS = {
    "curves": _curves,
    "lr_trajectories": _lr_trajectories,
    "bn_affine": _bn_affine,
    "range_test": _range_test,
}
_GENERIC_PREFIX = "final_vs_"


def make_figure(family: str, name: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Draw figure ``name`` of ``family`` from its tidy table and per-seed summary.

    A known family draws its own figures; ``final_vs_<axis>`` for a family the study
    does not know (or a name no known figure has) is the generic plot against ``axis``.
    """
    known = name in _MAKERS or name in _PANEL_FIGURES
    generic = name.startswith(_GENERIC_PREFIX) and len(name) > len(_GENERIC_PREFIX)
    if not known and not generic:
        names = sorted({*_MAKERS, *_PANEL_FIGURES})
        raise ValueError(f"unknown figure {name!r}; known: {names} or final_vs_<grid axis>")
    if summary.empty:
        raise ValueError(f"family {family!r} has no runs to plot")
    with matplotlib.rc_context({"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 8}):
        if generic and (family not in FIGURES or not known):
            return _final_vs_axis(family, tidy, summary, name.removeprefix(_GENERIC_PREFIX))
        if name in _MAKERS:
            return _MAKERS[name](family, tidy, summary)
        return _panel_figure(family, name, summary)


def subset_font(filename: str, chars) -> bytes:
    """A WOFF subset of one of matplotlib's DejaVu fonts covering ``chars`` (and ASCII).

    The same characters always give the same bytes.
    """
    import io
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False  # smaller; screens and PDF viewers hint themselves
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", filename)
    font = TTFont(path, lazy=True, recalcTimestamp=False)  # the same bytes every time
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(chars) | {chr(c) for c in range(0x20, 0x7F)})))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf, reorderTables=False)
    return buf.getvalue()


def _with_font(svg: str) -> str:
    """``svg`` with the DejaVu Sans its text uses embedded (a subset, as a data URI).

    Text stays text (``svg.fonttype: none``): smaller files, faster PDFs, selectable
    labels; the embedded font makes it look the same in every browser, offline.
    """
    import base64
    import html
    import re

    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    chars = set(html.unescape(re.sub(r"<[^>]+>", "", "".join(texts))))
    if not texts:
        return svg
    data = base64.b64encode(subset_font("DejaVuSans.ttf", chars)).decode("ascii")
    style = (
        '<defs><style type="text/css">@font-face { font-family: "DejaVu Sans"; '
        f"src: url(data:font/woff;base64,{data}) format('woff'); }}</style></defs>"
    )
    start = svg.index(">", svg.index("<svg")) + 1
    return svg[:start] + "\n" + style + svg[start:]


#: Style properties that SVG also takes as presentation attributes.
_PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linejoin",
    "stroke-linecap",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-miterlimit",
    "opacity",
    "font-size",
    "font-family",
    "font-weight",
    "font-style",
    "text-anchor",
}
#: The one style sheet rule matplotlib writes; its effect, as inherited root attributes.
_MPL_RULE = '<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'


def _presentation_attributes(svg: str) -> str:
    """``style="fill: none; stroke: #1f77b4"`` as ``fill="none" stroke="#1f77b4"``.

    The same drawing, but WeasyPrint (the PDF) draws it much faster: it parses every
    ``style`` attribute and matches every style sheet rule against every element.
    matplotlib's one rule (``*{stroke-linejoin: round; stroke-linecap: butt}``) becomes
    attributes of the root, which its elements inherit unless they set their own.
    """
    import html
    import re

    def attributes(match: re.Match) -> str:
        attrs, rest = [], []
        for decl in filter(None, (d.strip() for d in match[1].split(";"))):
            name, _, value = (part.strip() for part in decl.partition(":"))
            if name in _PRESENTATION:
                attrs.append(f'{name}="{html.escape(html.unescape(value), quote=True)}"')
            else:
                rest.append(decl)
        if rest:
            attrs.append(f'style="{"; ".join(rest)}"')
        return " ".join(attrs)

    if _MPL_RULE in svg:
        svg = svg.replace(_MPL_RULE, "", 1)
        svg = re.sub(r"<svg\b", '<svg stroke-linejoin="round" stroke-linecap="butt"', svg, count=1)
    return re.sub(r'style="([^"]*)"', attributes, svg)


def svg_text(fig: Figure) -> str:
    """``fig`` as SVG text: reproducible ids, no date, text as text with its font embedded."""
    import io

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return _with_font(_presentation_attributes(buf.getvalue()))


def save_svg(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as SVG atomically; the same figure always gives the same bytes."""
    text = svg_text(fig)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def plot_family(family: str, tidy_path, summary_path, outputs: dict[str, str]) -> None:
    """Draw each figure named in ``outputs`` (name -> SVG path) from the family's CSVs."""
    tidy = read_table(tidy_path)
    summary = read_table(summary_path)
    for name, path in outputs.items():
        fig = make_figure(family, name, tidy, summary)
        save_svg(fig, path)


def sample_figure(data: dict, per_class: int = 4) -> Figure:
    """A grid of training images: a column per class, its first ``per_class`` images."""
    x = np.asarray(data["x_train"], dtype=float)  # (N, 1, 28, 28), standardized
    y = np.asarray(data["y_train"])
    names = list(data["class_names"])
    picks = [np.flatnonzero(y == c)[:per_class] for c in range(len(names))]
    shown = np.concatenate([x[p] for p in picks]) if picks else x[:0]
    # One grey scale for every image, robust to a few extreme pixels.
    vmin, vmax = np.percentile(shown, [0.5, 99.5]) if shown.size else (0.0, 1.0)
    fig = Figure(figsize=(PAGE_WIDTH, 0.8 + 0.72 * per_class), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(per_class, len(names), squeeze=False)
    for c, (name, idx) in enumerate(zip(names, picks, strict=True)):
        for r in range(per_class):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if r < len(idx):
                ax.imshow(x[idx[r], 0], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[0, c].set_title(name.replace(" ", "\n", 1) if len(name) > 10 else name, fontsize=7)
    source = (data.get("meta") or {}).get("source", "")
    fig.suptitle(
        f"{data.get('name', 'images')}: the first {per_class} training images of each class "
        f"({SOURCE_NAMES.get(source, source or 'source not recorded')})",
        fontsize=9,
    )
    return fig


def plot_samples(data_path: str, out_svg: str, per_class: int = 4) -> None:
    """Sample images of a saved image dataset (``torch.save``d dict), as an SVG."""
    import torch  # only this job reads a dataset file

    data = torch.load(data_path, weights_only=True)
    with matplotlib.rc_context({"font.size": 8}):
        fig = sample_figure(
            {**data, "x_train": data["x_train"].numpy(), "y_train": data["y_train"].numpy()},
            per_class,
        )
    save_svg(fig, out_svg)


# --------------------------------------------------------------------------- the workflow


def job_resources_figure(jobs: pd.DataFrame) -> Figure:
    """Runtime and peak memory of every job, one row per rule, from Snakemake's benchmarks.

    ``jobs`` has the columns ``rule``, ``s`` (wall seconds) and ``max_rss`` (MB); rules
    are listed in the order they first appear. A dot per job, a red bar at each rule's
    median.
    """
    rules = list(dict.fromkeys(jobs["rule"]))
    fig = Figure(figsize=(PAGE_WIDTH, 0.9 + 0.26 * max(len(rules), 3)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharey=True)
    rng = np.random.default_rng(0)  # the same jitter every build
    for ax, col, label in (
        (axes[0], "s", "wall time per job (s)"),
        (axes[1], "max_rss", "peak resident memory per job (MB)"),
    ):
        for i, rule in enumerate(rules):
            values = jobs.loc[jobs["rule"] == rule, col].to_numpy(dtype=float)
            values = values[np.isfinite(values) & (values > 0)]
            if not values.size:
                continue
            y = i + rng.uniform(-0.22, 0.22, values.size) * (values.size > 1)
            ax.plot(values, y, ls="none", marker="o", ms=3, alpha=0.55, color=_PALETTE[0])
            ax.plot([np.median(values)], [i], marker="|", ms=12, mew=2, color="#d62728")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_PlainLogFormatter())
        ax.xaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=True))
        ax.set_xlabel(label)
        ax.grid(axis="x", color="0.9", lw=0.6)
    axes[0].set_yticks(range(len(rules)), rules)
    axes[0].set_ylim(len(rules) - 0.5, -0.5)
    fig.suptitle("Wall time and peak memory of each job (Snakemake's benchmark files)", fontsize=9)
    return fig


def parse_dot(dot: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(node id → label, edges) of the DOT graph ``snakemake --rulegraph`` prints.

    >>> parse_dot('digraph { 0[label = "all"]; 1[label = "a"]; 1 -> 0 }')
    ({'0': 'all', '1': 'a'}, [('1', '0')])
    """
    import re

    nodes = dict(re.findall(r'(\w+)\s*\[\s*label\s*=\s*"([^"]*)"', dot))
    edges = [(a, b) for a, b in re.findall(r"(\w+)\s*->\s*(\w+)", dot) if a in nodes and b in nodes]
    return nodes, edges


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's layer: the length of the longest path reaching it (a DAG)."""
    layer = dict.fromkeys(nodes, 0)
    for _ in nodes:  # at most len(nodes) relaxations in a DAG
        changed = False
        for a, b in edges:
            if layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    return layer


def rulegraph_figure(dot: str) -> Figure:
    """The workflow's rules and their dependencies, drawn top-down from ``--rulegraph`` DOT."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    labels, edges = parse_dot(dot)
    ids = list(labels)
    layer = _layers(ids, edges)
    n_layers = max(layer.values(), default=0) + 1
    rows: list[list[str]] = [[n for n in ids if layer[n] == k] for k in range(n_layers)]
    # Order each layer by the mean position of its parents (fewer crossings).
    pos: dict[str, float] = {}
    for row in rows:
        parents = {n: [pos[a] for a, b in edges if b == n and a in pos] for n in row}
        row.sort(key=lambda n: (np.mean(parents[n]) if parents[n] else 0.0, labels[n]))
        for i, n in enumerate(row):
            pos[n] = i - (len(row) - 1) / 2
    width = max((len(r) for r in rows), default=1)
    fig = Figure(figsize=(PAGE_WIDTH, 0.5 + 0.62 * n_layers), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_axis_off()
    span = max(width, 3)
    ax.set_xlim(-span / 2, span / 2)
    ax.set_ylim(n_layers - 0.5, -0.5)
    box_w, box_h = min(0.9, 0.95 * span / max(width, 1)), 0.42
    for n in ids:
        x, y = pos[n], layer[n]
        ax.add_patch(
            FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                fc="#eef3fa",
                ec="#1f77b4",
                lw=1.1,
            )
        )
        ax.text(x, y, labels[n], ha="center", va="center", fontsize=7.5, family="monospace")
    for a, b in edges:
        ax.add_patch(
            FancyArrowPatch(
                (pos[a], layer[a] + box_h / 2),
                (pos[b], layer[b] - box_h / 2),
                arrowstyle="-|>",
                mutation_scale=8,
                color="0.45",
                lw=0.9,
                shrinkA=1,
                shrinkB=1,
            )
        )
    return fig


def draw_rulegraph(dot_path, svg_path) -> None:
    """The rule graph DOT file drawn as an SVG."""
    with matplotlib.rc_context({"font.size": 8}):
        save_svg(rulegraph_figure(Path(dot_path).read_text(encoding="utf-8")), svg_path)
