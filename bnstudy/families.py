"""What each known experiment family draws: a light module, imported by the Snakefile.

Kept apart from ``bnstudy.figures`` so that building the workflow's job graph
does not import matplotlib.
"""

from __future__ import annotations

#: Figures drawn for each family, by name (``results/figures/<family>/<name>.svg``).
FIGURES: dict[str, list[str]] = {
    "depth": ["curves", "final_vs_depth", "grad_ratio"],
    "lr": ["curves", "error_vs_lr", "grad_ratio"],
}


def figure_names(family: str) -> list[str]:
    """The figures drawn for ``family`` (an empty list for a family without figures)."""
    return list(FIGURES.get(family, []))
