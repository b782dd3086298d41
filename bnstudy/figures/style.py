"""The look every figure shares: page size, colours and markers, log axes, notes, legends.

Every figure is a ``matplotlib.figure.Figure`` on its own Agg canvas
(:func:`new_figure`), so no pyplot state is created or leaked. A BN variant has
the same colour and marker in every figure; a numeric grid axis gets a sequential
colour map, so that the order of its values reads off the colours.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation

from bnstudy.families import axis_name

PAGE_WIDTH = 7.0  # inches: a figure spans the text width of an A4 page
MAX_HEIGHT = 9.0  # inches: a figure and its caption must fit on an A4 page
#: matplotlib settings every family figure is drawn with.
FIGURE_RC = {"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 8}

BN_STYLE = {  # BN variant -> (colour, marker), the same in every figure
    "none": ("#4d4d4d", "o"),
    "pre": ("#1f77b4", "s"),
    "post": ("#d62728", "^"),
    "library": ("#1f77b4", "s"),
    "scratch": ("#2ca02c", "D"),
}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
PALETTE += ["#7f7f7f", "#bcbd22", "#17becf"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]


def canvas_figure(width: float, height: float) -> Figure:
    """An empty constrained-layout figure on its own Agg canvas (no pyplot)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def new_figure(
    n_rows: int,
    n_cols: int,
    row_height: float,
    sharey: bool | str = True,
    n_panels: int | None = None,
):
    """A page-wide figure of ``n_rows`` × ``n_cols`` axes; only the first ``n_panels`` show.

    The lowest visible panel of each column keeps its x tick labels.
    """
    row_height = min(row_height, (MAX_HEIGHT - 0.9) / n_rows)
    fig = canvas_figure(PAGE_WIDTH, 0.9 + row_height * n_rows)
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=sharey, squeeze=False)
    n_panels = n_rows * n_cols if n_panels is None else n_panels
    for k, ax in enumerate(axes.flat):
        if k >= n_panels:
            ax.set_visible(False)
        elif k + n_cols >= n_panels:
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig, axes


# --------------------------------------------------------------------------- lines


def is_numeric(values) -> bool:
    """Whether every value is a number (an axis of numbers, not of categories)."""
    return all(isinstance(v, int | float | np.integer | np.floating) for v in values)


def line_colours(col: str | None, values: list) -> dict:
    """A colour per line: BN variants keep theirs; a numeric axis gets a sequential map."""
    if col == "bn":
        return {v: BN_STYLE.get(v, (PALETTE[i % len(PALETTE)],))[0] for i, v in enumerate(values)}
    if col == "bn_layers" and is_numeric(values):
        # Grey without BN, then darker blues for more BN layers.
        blues = matplotlib.colormaps["Blues"]
        top = max(max(values), 1)
        return {v: BN_STYLE["none"][0] if v == 0 else blues(0.45 + 0.5 * v / top) for v in values}
    if len(values) >= 3 and is_numeric(values):
        x = np.asarray(values, dtype=float)
        if x.min() > 0 and x.max() / x.min() >= 8:
            x = np.log10(x)
        span = float(x.max() - x.min())
        pos = (x - x.min()) / span if span > 0 else np.zeros_like(x)
        cmap = matplotlib.colormaps["viridis"]
        return {v: cmap(0.85 * p) for v, p in zip(values, pos, strict=True)}
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(values)}


def line_marker(col: str | None, value, index: int) -> str:
    """The marker of a line: a BN variant's own, else one per position."""
    if col == "bn" and value in BN_STYLE:
        return BN_STYLE[value][1]
    return MARKERS[index % len(MARKERS)]


# --------------------------------------------------------------------------- axes


class PlainLogFormatter(LogFormatterSciNotation):
    """Log-axis labels as plain numbers (0.3, 2, 40) where those are short, else a×10ⁿ."""

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)  # "" where a minor tick stays unlabelled
        return f"{x:g}" if text and 1e-3 <= abs(x) < 1e4 else text


def log_y(ax) -> None:
    """A log y axis labelled with plain numbers."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(PlainLogFormatter())
    ax.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def panel_title(ax, text: str) -> None:
    ax.set_title(text, fontsize=9)


def note(ax, text: str, where: str = "upper right", colour: str = "#333333") -> None:
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


def no_data(ax, text: str = "no runs") -> None:
    """Grey text in the middle of an empty panel."""
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


# --------------------------------------------------------------------------- legends


def legend_title(col: str | None) -> str:
    """The title of the legend of lines split by ``col``."""
    return "BN" if col == "bn" else axis_name(col)


def legend(fig, axes, title: str, order: list[str]) -> None:
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
