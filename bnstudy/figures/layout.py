"""How a family's grid maps onto a figure: which axis gets the lines, the panels, the rows.

A figure splits a family's runs by its grid axes: one line per value of one axis,
one panel per value of another. A known family's learning curves are laid out by
its spec (``FAMILIES[family].curves``); a family the study does not know gets a
layout chosen from its grid here. Also here: grid values as labels ("depth 3",
"lr 0.1"). Light (pandas, no matplotlib), so a caption can name the layout
without drawing anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnstudy.families import FAMILIES
from bnstudy.summary import SUMMARY_METRICS, grid_axes

MAX_COLS = 4  # panels side by side before a row of panels wraps
#: x-axis labels that say more than the column's name.
X_LABELS = {"depth": "depth (hidden layers)", "bn_layers": "BN layers k"}
#: The column that joins several grid axes into one panel key ("depth 3 · lr 0.1").
PANEL_KEY = "_panel"


# --------------------------------------------------------------------------- labels


def fmt_value(v) -> str:
    """A configuration value as a label: floats without trailing zeros (0.3, 0.0003).

    >>> fmt_value(0.30), fmt_value(3), fmt_value("relu")
    ('0.3', '3', 'relu')
    """
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def param_label(col: str, v) -> str:
    """A grid value as a panel title: "depth 3", "BN none", "lr 0.1", "relu".

    >>> param_label("depth", 3), param_label("bn", "none"), param_label("act", "relu")
    ('depth 3', 'BN none', 'relu')
    """
    text = fmt_value(v)
    if col in ("act", "optimizer", "schedule", PANEL_KEY):
        return text
    if col == "bn_layers":
        return f"{text} BN layer{'' if text == '1' else 's'}"
    if col == "init":
        return f"{text} init"
    short = {"bn": "BN", "batch_size": "batch"}.get(col, col.replace("_", " "))
    return f"{short} {text}"


# --------------------------------------------------------------------------- layouts


def wrapped(n_panels: int) -> tuple[int, int]:
    """Rows and columns for a single row of ``n_panels`` panels, wrapped after MAX_COLS.

    >>> wrapped(3), wrapped(6)
    ((1, 3), (2, 4))
    """
    return -(-n_panels // MAX_COLS), min(n_panels, MAX_COLS)


def generic_layout(axes: list[str], x: str | None) -> tuple[str | None, str | None]:
    """(line axis, panel axis) of a generic figure over ``axes``, ``x`` being the x axis.

    BN gets the lines when it varies; the next axis the panels; any further axes are
    joined into one panel key, PANEL_KEY.

    >>> generic_layout(["width", "bn"], "width")
    ('bn', None)
    >>> generic_layout(["width", "bn_layers", "lr"], "lr")
    ('width', 'bn_layers')
    """
    rest = [a for a in axes if a != x]
    line = "bn" if "bn" in rest else rest[0] if rest else None
    rest = [a for a in rest if a != line]
    if len(rest) > 1:
        return line, PANEL_KEY
    return line, rest[0] if rest else None


def with_panel_key(frame: pd.DataFrame, axes: list[str], used: list) -> pd.DataFrame:
    """``frame`` with a PANEL_KEY column joining the axes not in ``used`` ("depth 3 · lr 0.1")."""
    rest = [a for a in axes if a not in used]
    keys = [
        " · ".join(param_label(c, v) for c, v in zip(rest, row, strict=True))
        for row in frame[rest].itertuples(index=False)
    ]
    return frame.assign(**{PANEL_KEY: keys})


def config_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its id (the index) and parameters."""
    drop = [c for c in summary.columns if c == "seed" or c in SUMMARY_METRICS]
    return summary.drop(columns=drop).drop_duplicates("config_id").set_index("config_id")


def curve_layout(family: str, configs: pd.DataFrame):
    """(configs, rows, columns, lines) of the learning curves of ``family``.

    ``configs`` is :func:`config_table`; a known family's spec says the layout (an
    axis its runs lack becomes None). Otherwise BN gets the lines; with two other
    axes each grid cell is a panel, columns by the shorter axis if it fits across the
    page; with more, the other axes are joined into one panel key.
    """
    if family in FAMILIES:
        layout = [c if c in configs else None for c in FAMILIES[family].curves]
        return configs, *layout
    axes = grid_axes(configs.reset_index())
    line, panel = generic_layout(axes, None)
    rest = [a for a in axes if a != line]
    if len(rest) == 2:  # a panel per grid cell: columns by the shorter axis, rows by the other
        few, many = sorted(rest, key=lambda a: configs[a].nunique())
        if configs[few].nunique() <= MAX_COLS:
            return configs, many, few, line
        panel = PANEL_KEY
    if panel == PANEL_KEY:
        configs = with_panel_key(configs, axes, [line])
    return configs, None, panel, line
