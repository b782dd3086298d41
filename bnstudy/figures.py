"""Figures of each experiment family (STUDY.md §6), drawn from its tidy and summary tables.

Every figure is a ``matplotlib.figure.Figure`` on its own Agg canvas, so no
pyplot state is created or leaked. Diverged seeds are never drawn as numbers:
curves and means use the non-diverged seeds only, and where seeds diverged the
plot shows a marker with "k/n" (k of n seeds diverged) instead of a value.
"""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from bnstudy.families import FIGURES, figure_names  # noqa: F401 (re-exported)
from bnstudy.io import atomic_write
from bnstudy.stats import CONFIDENCE, aggregate
from bnstudy.summary import SUMMARY_METRICS

#: The figures of each family, in the order the report shows them.

#: One caption per figure; the report prints them under the figures.
_CI = f"{CONFIDENCE:.0%}".replace("%", " %")
CAPTIONS: dict[str, str] = {
    "curves": (
        "Learning curves: test loss per epoch, mean over the non-diverged seeds; the band "
        "spans the lowest to the highest seed."
    ),
    "final_vs_depth": (
        f"Final test loss against depth: geometric mean over the non-diverged seeds with its "
        f"{_CI} interval. A cross at the top marks configurations where seeds diverged "
        "(k/n: k of n seeds)."
    ),
    "error_vs_lr": (
        f"Final test loss against the learning rate: geometric mean over the non-diverged seeds "
        f"with its {_CI} interval. A cross at the top marks learning rates where seeds diverged "
        "(k/n: k of n seeds); those seeds are left out of the mean."
    ),
    "grad_ratio": (
        f"Ratio of the first to the last layer's gradient norm (mean over training), geometric "
        f"mean over the non-diverged seeds with its {_CI} interval. Below the dashed line at "
        "ratio 1 the early layers receive smaller gradients (vanishing gradients)."
    ),
}

#: Fixed salt for the SVG element ids, so the same data gives the same SVG bytes.
SVG_HASHSALT = "bnstudy"

PAGE_WIDTH = 7.0  # inches: a figure spans the text width of an A4 page
BN_STYLE = {  # BN placement -> (colour, marker), the same in every figure
    "none": ("#4d4d4d", "o"),
    "pre": ("#1f77b4", "s"),
    "post": ("#d62728", "^"),
}
_FALLBACK_COLOURS = ["#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
_REGRESSION_DATASETS = {"poly2", "linear"}


def figure_caption(family: str, name: str) -> str:
    return CAPTIONS.get(name, "")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tidy or summary CSV; only empty cells and ``nan`` are missing.

    pandas' default would also read the string ``None`` as missing, which must
    not happen to a configuration value.
    """
    return pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])


# --------------------------------------------------------------------------- helpers


def _new_figure(n_rows: int, n_cols: int, row_height: float, sharey: bool = True):
    fig = Figure(figsize=(PAGE_WIDTH, 0.9 + row_height * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=sharey, squeeze=False)
    return fig, axes


def ordered_values(frame: pd.DataFrame, col: str) -> list:
    """The distinct values of a configuration column, in a natural order."""
    vals = list(pd.unique(frame[col].dropna()))
    if col == "bn":
        known = [v for v in BN_STYLE if v in vals]
        return known + sorted(v for v in vals if v not in BN_STYLE)
    if col == "lr":
        return sorted(vals, reverse=True)
    if col == "act":
        order = ["sigmoid", "tanh", "relu"]
        return [v for v in order if v in vals] + sorted(v for v in vals if v not in order)
    return sorted(vals)


def _bn_style(bn, index: int) -> tuple[str, str]:
    return BN_STYLE.get(bn, (_FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)], "D"))


def _lr_colours(lrs: list) -> dict:
    """A viridis colour per learning rate, evenly spaced in log(lr)."""
    cmap = matplotlib.colormaps["viridis"]
    logs = np.log10(np.asarray(lrs, dtype=float))
    span = float(logs.max() - logs.min()) if len(logs) else 0.0
    pos = (logs - logs.min()) / span if span > 0 else np.zeros_like(logs)
    return {lr: cmap(0.85 * p) for lr, p in zip(lrs, pos, strict=True)}


def _fmt_value(v) -> str:
    """A configuration value as a label: floats without trailing zeros (0.3, 0.0003)."""
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def _loss_label(frame: pd.DataFrame) -> str:
    datasets = set(frame["dataset"].dropna()) if "dataset" in frame else set()
    return "test MSE" if datasets and datasets <= _REGRESSION_DATASETS else "test loss"


def _config_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its id and parameters."""
    drop = [c for c in summary.columns if c == "seed" or c in SUMMARY_METRICS]
    return summary.drop(columns=drop).drop_duplicates("config_id").set_index("config_id")


def _test_curves(tidy: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Test loss of the non-diverged seeds: index (config_id, seed), columns epochs."""
    ok = summary.loc[summary["diverged"] == 0, ["config_id", "seed"]]
    test = tidy[tidy["metric"] == "test_loss"].merge(ok, on=["config_id", "seed"])
    wide = test.pivot_table(
        index=["config_id", "seed"], columns="epoch", values="value", aggfunc="first"
    )
    # A non-positive loss cannot go on a log axis; a missing epoch stays a gap.
    return wide.where(wide > 0)


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
    """Extend the shared log y axis upwards so the divergence markers do not cover data."""
    if not slots:
        return
    ax = axes[0, 0]
    lo, hi = ax.get_ylim()
    if lo > 0 and hi > lo:
        # The data must end below the lowest row of markers and its labels.
        data_top = 0.95 - _SLOT * (slots - 1) - 0.12
        ax.set_ylim(lo, hi * (hi / lo) ** (1 / data_top - 1))


def _interval_plot(ax, agg: pd.DataFrame, x: str, line_col: str, xlog: bool) -> int:
    """One line with interval bars per value of ``line_col``, divergence marked at the top.

    Returns the number of marker rows used (the caller then makes room above the data).
    """
    lines = ordered_values(agg, line_col)
    slots = 0
    for i, val in enumerate(lines):
        part = agg[agg[line_col] == val].sort_values(x)
        xs = part[x].to_numpy(dtype=float)
        # Spread the lines a little sideways so overlapping interval bars stay readable.
        shift = (i - (len(lines) - 1) / 2) * 0.035
        xs_plot = xs * 10**shift if xlog else xs + 2 * shift
        mean = part["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - part["ci_low"].to_numpy(dtype=float), nan=0.0)
        high = np.nan_to_num(part["ci_high"].to_numpy(dtype=float) - mean, nan=0.0)
        colour, marker = _bn_style(val, i) if line_col == "bn" else (None, "o")
        ax.errorbar(
            xs_plot,
            mean,
            yerr=[low, high],
            color=colour,
            marker=marker,
            ms=4,
            capsize=2.5,
            lw=1.3,
            label=_fmt_value(val),
        )
        marked = _mark_diverged(
            ax, xs_plot, part["n_diverged"].to_numpy(), part["n_seeds"].to_numpy(), colour, i
        )
        if marked:
            slots = i + 1
    return slots


def _panel_title(ax, text: str) -> None:
    ax.set_title(text, fontsize=9)


def _no_data(ax) -> None:
    ax.text(
        0.5,
        0.5,
        "no runs",
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=8,
        color="0.5",
    )


def _legend(fig, axes, title: str, order: list[str]) -> None:
    """A single legend for the figure, from the labelled series of all panels, in ``order``."""
    found: dict[str, object] = {}
    for ax in axes.flat:
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


# --------------------------------------------------------------------------- figures


def _curves(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    if family == "lr":
        row_col, col_col, line_col = "depth", "bn", "lr"
    else:
        row_col, col_col, line_col = "depth", "act", "bn"
    configs = _config_table(summary)
    curves = _test_curves(tidy, summary)
    seeds = summary.groupby("config_id").agg(n=("seed", "size"), k=("diverged", "sum"))
    rows, cols = ordered_values(configs, row_col), ordered_values(configs, col_col)
    lines = ordered_values(configs, line_col)
    colours = _lr_colours(lines) if line_col == "lr" else None
    fig, axes = _new_figure(len(rows), len(cols), row_height=1.55)
    for r, rv in enumerate(rows):
        for c, cv in enumerate(cols):
            ax = axes[r, c]
            _panel_title(
                ax,
                f"{row_col} {_fmt_value(rv)} · {'BN ' if col_col == 'bn' else ''}{_fmt_value(cv)}",
            )
            here = configs[(configs[row_col] == rv) & (configs[col_col] == cv)]
            if here.empty:
                _no_data(ax)
            all_diverged, partly_diverged = [], []
            for i, lv in enumerate(lines):
                for cid in here.index[here[line_col] == lv]:
                    k, n = int(seeds.loc[cid, "k"]), int(seeds.loc[cid, "n"])
                    label = _fmt_value(lv)
                    if cid not in curves.index.get_level_values(0):
                        all_diverged.append(f"{label} ({k}/{n})")
                        continue
                    one = curves.loc[cid]  # rows: seeds, columns: epochs
                    epochs = one.columns.to_numpy(dtype=float)
                    colour = colours[lv] if colours else _bn_style(lv, i)[0]
                    ax.fill_between(
                        epochs,
                        one.min(axis=0).to_numpy(dtype=float),
                        one.max(axis=0).to_numpy(dtype=float),
                        color=colour,
                        alpha=0.18,
                        lw=0,
                    )
                    ax.plot(
                        epochs,
                        one.mean(axis=0).to_numpy(dtype=float),
                        color=colour,
                        lw=1.3,
                        label=label,
                    )
                    if k:
                        partly_diverged.append(f"{label}: {k}/{n} diverged")
            if partly_diverged:
                ax.text(
                    0.97,
                    0.95,
                    "\n".join(partly_diverged),
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=6.5,
                    color="#333333",
                )
            if all_diverged:
                ax.text(
                    0.03,
                    0.04,
                    "all seeds diverged: " + ", ".join(all_diverged),
                    transform=ax.transAxes,
                    fontsize=6.5,
                    color="#b00000",
                )
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if r == len(rows) - 1:
                ax.set_xlabel("epoch")
            if c == 0:
                ax.set_ylabel(_loss_label(summary))
    _legend(fig, axes, "BN" if line_col == "bn" else line_col, [_fmt_value(v) for v in lines])
    fig.suptitle(
        f"{family} family: learning curves (mean of non-diverged seeds, band = min–max)",
        fontsize=10,
    )
    return fig


def _final_vs_depth(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    agg = aggregate(summary, ["act", "bn", "depth"], "final_test", log=True)
    acts = ordered_values(agg, "act")
    fig, axes = _new_figure(1, len(acts), row_height=2.6)
    slots = 0
    for c, act in enumerate(acts):
        ax = axes[0, c]
        ax.set_yscale("log")
        slots = max(slots, _interval_plot(ax, agg[agg["act"] == act], "depth", "bn", xlog=False))
        _panel_title(ax, act)
        ax.set_xlabel("depth (hidden layers)")
        ax.set_xticks(sorted(agg["depth"].unique()))
    _headroom(axes, slots)
    axes[0, 0].set_ylabel(f"final {_loss_label(summary)} (geometric mean)")
    _legend(fig, axes, "BN", [_fmt_value(v) for v in ordered_values(agg, "bn")])
    fig.suptitle(f"{family} family: final test loss vs depth ({_CI} intervals)", fontsize=10)
    return fig


def _error_vs_lr(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    agg = aggregate(summary, ["depth", "bn", "lr"], "final_test", log=True)
    depths = ordered_values(agg, "depth")
    fig, axes = _new_figure(1, len(depths), row_height=2.6)
    slots = 0
    for c, depth in enumerate(depths):
        ax = axes[0, c]
        ax.set_xscale("log")
        ax.set_yscale("log")
        slots = max(slots, _interval_plot(ax, agg[agg["depth"] == depth], "lr", "bn", xlog=True))
        _panel_title(ax, f"depth {depth}")
        ax.set_xlabel("learning rate")
    _headroom(axes, slots)
    axes[0, 0].set_ylabel(f"final {_loss_label(summary)} (geometric mean)")
    _legend(fig, axes, "BN", [_fmt_value(v) for v in ordered_values(agg, "bn")])
    fig.suptitle(
        f"{family} family: final test loss vs learning rate ({_CI} intervals; "
        "× = k/n seeds diverged)",
        fontsize=10,
    )
    return fig


def _grad_ratio(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    summary = summary.assign(grad_ratio=summary["grad_first"] / summary["grad_last"])
    if family == "lr":
        panel_col, x, xlog, xlabel = "depth", "lr", True, "learning rate"
    else:
        panel_col, x, xlog, xlabel = "act", "depth", False, "depth (hidden layers)"
    agg = aggregate(summary, [panel_col, "bn", x], "grad_ratio", log=True)
    panels = ordered_values(agg, panel_col)
    fig, axes = _new_figure(1, len(panels), row_height=2.6)
    slots = 0
    for c, pv in enumerate(panels):
        ax = axes[0, c]
        if xlog:
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axhline(1.0, color="0.4", ls="--", lw=0.9, label="_ratio 1")
        slots = max(slots, _interval_plot(ax, agg[agg[panel_col] == pv], x, "bn", xlog=xlog))
        _panel_title(ax, f"{panel_col} {_fmt_value(pv)}" if panel_col == "depth" else str(pv))
        ax.set_xlabel(xlabel)
        if not xlog:
            ax.set_xticks(sorted(agg[x].unique()))
    _headroom(axes, slots)
    axes[0, 0].set_ylabel("grad. norm first / last layer")
    _legend(fig, axes, "BN", [_fmt_value(v) for v in ordered_values(agg, "bn")])
    fig.suptitle(
        f"{family} family: first-to-last layer gradient-norm ratio ({_CI} intervals)", fontsize=10
    )
    return fig


_MAKERS = {
    "curves": _curves,
    "final_vs_depth": _final_vs_depth,
    "error_vs_lr": _error_vs_lr,
    "grad_ratio": _grad_ratio,
}


def make_figure(family: str, name: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Draw figure ``name`` of ``family`` from its tidy table and per-seed summary."""
    if name not in _MAKERS:
        raise ValueError(f"unknown figure {name!r}; known: {sorted(_MAKERS)}")
    if summary.empty:
        raise ValueError(f"family {family!r} has no runs to plot")
    with matplotlib.rc_context({"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 8}):
        return _MAKERS[name](family, tidy, summary)


def save_svg(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as SVG atomically; the same figure always gives the same bytes."""
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="svg", metadata={"Date": None}))


def plot_family(family: str, tidy_path, summary_path, outputs: dict[str, str]) -> None:
    """Draw each figure named in ``outputs`` (name -> SVG path) from the family's CSVs."""
    tidy = read_table(tidy_path)
    summary = read_table(summary_path)
    for name, path in outputs.items():
        fig = make_figure(family, name, tidy, summary)
        save_svg(fig, path)
