"""What the workflow's jobs cost: runtime and peak memory per rule (the report's appendix).

Drawn from Snakemake's benchmark files, which the report reads into one table of
jobs; a dot per job, a red bar at each rule's median, both on log axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bnstudy.figures.style import PAGE_WIDTH, PALETTE, PlainLogFormatter, canvas_figure


def job_resources_figure(jobs: pd.DataFrame) -> Figure:
    """Runtime and peak memory of every job, one row per rule, from Snakemake's benchmarks.

    ``jobs`` has the columns ``rule``, ``s`` (wall seconds) and ``max_rss`` (MB); rules
    are listed in the order they first appear. A dot per job, a red bar at each rule's
    median.
    """
    rules = list(dict.fromkeys(jobs["rule"]))
    fig = canvas_figure(PAGE_WIDTH, 0.9 + 0.26 * max(len(rules), 3))
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
            ax.plot(values, y, ls="none", marker="o", ms=3, alpha=0.55, color=PALETTE[0])
            ax.plot([np.median(values)], [i], marker="|", ms=12, mew=2, color="#d62728")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(PlainLogFormatter())
        ax.xaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=True))
        ax.set_xlabel(label)
        ax.grid(axis="x", color="0.9", lw=0.6)
    axes[0].set_yticks(range(len(rules)), rules)
    axes[0].set_ylim(len(rules) - 0.5, -0.5)
    fig.suptitle("Wall time and peak memory of each job (Snakemake's benchmark files)", fontsize=9)
    return fig
