"""A figure's caption, refined by the family's data.

The data-free text is :func:`bnstudy.families.figure_caption_text` (the Snakefile
hands it to Snakemake's own report). The paper report knows the family's runs, so
a generic figure's caption there also says what its lines and panels are.
"""

from __future__ import annotations

import pandas as pd

from bnstudy.families import (
    DIVERGED_NOTE,
    GENERIC_PREFIX,
    axis_name,
    figure_caption_text,
    is_generic_figure,
)
from bnstudy.figures.layout import PANEL_KEY, generic_layout
from bnstudy.summary import grid_axes, is_classification


def figure_caption(family: str, name: str, summary: pd.DataFrame | None = None) -> str:
    """The caption of figure ``name``; ``summary`` (the family's runs) refines generic ones.

    >>> s = pd.DataFrame({"width": [2, 4], "bn": ["none", "pre"], "dataset": "poly2"})
    >>> figure_caption("mine", "final_vs_width", s).split(". ")[1]
    'One line per BN'
    >>> s = s.assign(lr=[0.1, 0.3], depth=[1, 2])
    >>> figure_caption("mine", "final_vs_width", s).split(". ")[2]
    'One panel per combination of learning rate and depth'
    """
    classification = is_classification(summary) if summary is not None else None
    text = figure_caption_text(family, name, classification)
    axis = name.removeprefix(GENERIC_PREFIX)
    if is_generic_figure(family, name) and summary is not None and axis in summary:
        axes = grid_axes(summary)
        line, panel = generic_layout(axes, axis)
        extra = f" One line per {axis_name(line)}." if line else ""
        if panel == PANEL_KEY:  # the remaining axes joined: one panel per combination
            rest = [axis_name(a) for a in axes if a not in (axis, line)]
            extra += f" One panel per combination of {', '.join(rest[:-1])} and {rest[-1]}."
        elif panel:
            extra += f" One panel per {axis_name(panel)}."
        text = text.replace(f" {DIVERGED_NOTE}", f"{extra} {DIVERGED_NOTE}")
    return text
