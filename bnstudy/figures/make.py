"""Draw a family's figure by name, and write a family's figures as SVG: the entry point.

A known family draws the figures its spec lists (``FAMILIES[family].figures``):
the figures drawn by a function of their own (``families.DRAWN_FIGURES``) and the
metric-against-parameter figures described as ``families.Panels`` specs. Any
``final_vs_<axis>`` the spec does not list (every one, for a family the study does
not know) is the generic final metric against that grid axis
(``families.is_generic_figure``).
"""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from bnstudy.families import GENERIC_PREFIX, PANEL_FIGURES, is_generic_figure
from bnstudy.figures.curves import curves
from bnstudy.figures.panels import final_vs_axis, panel_figure
from bnstudy.figures.special import bn_affine, d2l_accuracy, lr_trajectories, range_test
from bnstudy.figures.style import FIGURE_RC
from bnstudy.figures.svg import save_svg
from bnstudy.io import read_table

#: The figures drawn by a function of their own (``families.DRAWN_FIGURES``), by name.
DRAWERS = {
    "curves": curves,
    "lr_trajectories": lr_trajectories,
    "bn_affine": bn_affine,
    "range_test": range_test,
    "d2l_accuracy": d2l_accuracy,
}


def make_figure(family: str, name: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Draw figure ``name`` of ``family`` from its tidy table and per-seed summary.

    A known family draws its own figures; ``final_vs_<axis>`` for a family the study
    does not know (or a name its spec does not list) is the generic plot against ``axis``.
    """
    generic = is_generic_figure(family, name)
    if not generic and name not in DRAWERS and name not in PANEL_FIGURES:
        names = sorted({*DRAWERS, *PANEL_FIGURES})
        raise ValueError(f"unknown figure {name!r}; known: {names} or final_vs_<grid axis>")
    if summary.empty:
        raise ValueError(f"family {family!r} has no runs to plot")
    with matplotlib.rc_context(FIGURE_RC):
        if generic:
            return final_vs_axis(family, summary, name.removeprefix(GENERIC_PREFIX))
        if name in DRAWERS:
            return DRAWERS[name](family, tidy, summary)
        return panel_figure(family, name, summary)


def plot_family(family: str, tidy_path, summary_path, outputs: dict[str, str]) -> None:
    """Draw each figure named in ``outputs`` (name -> SVG path) from the family's CSVs."""
    tidy = read_table(tidy_path)
    summary = read_table(summary_path)
    for name, path in outputs.items():
        save_svg(make_figure(family, name, tidy, summary), path)
