"""Learning curves: a metric per epoch, a panel per grid cell, a line per value of an axis.

Each line is the mean over the non-diverged seeds of one configuration, with a
band from the lowest to the highest seed. A diverged seed is never drawn: a
panel notes "k/n diverged" for a line that lost seeds and names the lines that
lost all of them. The layout (rows, columns, lines) is the family's
(:func:`bnstudy.figures.layout.curve_layout`).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bnstudy.figures.layout import config_table, curve_layout, fmt_value, param_label, wrapped
from bnstudy.figures.style import (
    legend,
    legend_title,
    line_colours,
    log_y,
    new_figure,
    no_data,
    note,
    panel_title,
)
from bnstudy.summary import is_classification, loss_label, ordered_values


def seed_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Per configuration (the index): its number of seeds ``n`` and of diverged seeds ``k``."""
    return summary.groupby("config_id").agg(n=("seed", "size"), k=("diverged", "sum"))


def seed_curves(
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


def _band(ax, one: pd.DataFrame, colour, label: str) -> None:
    """The mean of the seeds (rows of ``one``; columns: epochs) and a band spanning them."""
    one = one.dropna(axis=1, how="all")
    epochs = one.columns.to_numpy(dtype=float)
    ax.fill_between(
        epochs,
        one.min(axis=0).to_numpy(dtype=float),
        one.max(axis=0).to_numpy(dtype=float),
        color=colour,
        alpha=0.18,
        lw=0,
    )
    ax.plot(epochs, one.mean(axis=0).to_numpy(dtype=float), color=colour, lw=1.3, label=label)


def _draw_cell(ax, here, line_col, lines, curves, seeds, colours) -> tuple[list, list, list]:
    """The lines of one panel (configurations ``here``).

    Returns the notes it needs: (lines whose every seed diverged, lines that lost
    some seeds, lines with no record of the metric).
    """
    done = set(curves.index.get_level_values(0))
    all_diverged, partly_diverged, missing = [], [], []
    for lv in lines:
        ids = here.index if lv is None else here.index[here[line_col] == lv]
        for cid in ids:
            k, n = int(seeds.loc[cid, "k"]), int(seeds.loc[cid, "n"])
            name = fmt_value(lv) if lv is not None else ""
            if k == n:
                all_diverged.append(f"{name} ({k}/{n})".strip())
                continue
            if cid not in done:
                missing.append(name or cid)
                continue
            _band(ax, curves.loc[cid], colours[lv], name or "_all")
            if k:
                partly_diverged.append(f"{name + ': ' if name else ''}{k}/{n} diverged")
    return all_diverged, partly_diverged, missing


def _cell_notes(ax, metric: str, ylog: bool, notes: tuple[list, list, list]) -> None:
    """Write a panel's divergence and missing-data notes where the curves are not."""
    all_diverged, partly_diverged, missing = notes
    # A loss falls from the upper left to the lower right, an accuracy rises from the
    # lower left to the upper right.
    corners = ("upper right", "lower left") if ylog else ("lower right", "upper left")
    if partly_diverged:
        note(ax, "\n".join(partly_diverged), corners[0])
    if all_diverged:
        note(ax, "all seeds diverged: " + ", ".join(all_diverged), corners[1], "#b00000")
    if missing:
        text = f"no {metric} recorded: " + ", ".join(missing)
        note(ax, text, "upper left" if ylog else "lower left", "0.4")


def curve_panels(
    family: str,
    tidy: pd.DataFrame,
    summary: pd.DataFrame,
    metric: str,
    ylabel: str,
    ylog: bool,
    title: str,
    layout: tuple | None = None,
) -> Figure:
    """``metric`` per epoch: a panel per (row, column) grid cell, a line per line value.

    ``layout`` is (configs, row axis, column axis, line axis); by default the family's.
    """
    configs, row_col, col_col, line_col = layout or curve_layout(family, config_table(summary))
    curves = seed_curves(tidy, summary, metric, positive=ylog)
    seeds = seed_counts(summary)
    rows = ordered_values(configs, row_col) if row_col else [None]
    cols = ordered_values(configs, col_col) if col_col else [None]
    lines = ordered_values(configs, line_col) if line_col else [None]
    colours = line_colours(line_col, lines)
    cells = [(rv, cv) for rv in rows for cv in cols]
    n_rows, n_cols = (len(rows), len(cols)) if row_col else wrapped(len(cols))
    fig, axes = new_figure(
        n_rows, n_cols, row_height=1.55 if n_rows > 1 else 2.1, n_panels=len(cells)
    )
    for cell, (rv, cv) in enumerate(cells):
        r, c = divmod(cell, n_cols)
        ax = axes[r, c]
        here, labels = configs, []
        for col, value in ((row_col, rv), (col_col, cv)):
            if col:
                here = here[here[col] == value]
                labels.append(param_label(col, value))
        panel_title(ax, " · ".join(labels) or "all runs")
        if here.empty:
            no_data(ax)
        notes = _draw_cell(ax, here, line_col, lines, curves, seeds, colours)
        _cell_notes(ax, metric, ylog, notes)
        if ylog:
            log_y(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if cell + n_cols >= len(cells):
            ax.set_xlabel("epoch")
        if c == 0:
            ax.set_ylabel(ylabel)
    legend(fig, axes, legend_title(line_col), [fmt_value(v) for v in lines if v is not None])
    fig.suptitle(title, fontsize=10)
    return fig


def curves(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """The learning curves: test accuracy for classification, else the test loss (log)."""
    if is_classification(summary):
        return curve_panels(
            family,
            tidy,
            summary,
            "test_acc",
            "test accuracy",
            ylog=False,
            title=f"{family} family: test accuracy per epoch",
        )
    return curve_panels(
        family,
        tidy,
        summary,
        "test_loss",
        loss_label(summary),
        ylog=True,
        title=f"{family} family: learning curves",
    )
