"""The ``plot_job_resources`` job: the workflow's jobs as a table and a figure.

It runs after the jobs it reports on, reads their benchmark files, orders them as
the rule graph does (by layer, sources first) and writes the table it draws from
next to the figure; ``render_report`` reads both and draws nothing itself.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd

from bnstudy.figures.resources import job_resources_figure
from bnstudy.figures.rulegraph import layers, parse_dot
from bnstudy.figures.svg import save_svg
from bnstudy.io import write_csv
from bnstudy.report.jobs import order_jobs, read_benchmarks


def rule_order(dot: str | None) -> list[str]:
    """Rule names in workflow order (the rule graph's layers, sources first).

    >>> rule_order('digraph { 0[label = "all"]; 1[label = "train"]; 1 -> 0 }')
    ['train', 'all']
    """
    if not dot:
        return []
    labels, edges = parse_dot(dot)
    layer = layers(list(labels), edges)
    return [labels[n] for n in sorted(labels, key=lambda n: (layer[n], labels[n]))]


def plot_job_resources(benchmarks, rulegraph_dot, svg_out, table_out) -> pd.DataFrame:
    """Read the benchmark files under ``benchmarks``, order the jobs by the rule graph in
    file ``rulegraph_dot``, write them to ``table_out`` (CSV) and draw ``svg_out``."""
    dot = Path(rulegraph_dot).read_text(encoding="utf-8") if rulegraph_dot else None
    jobs = order_jobs(read_benchmarks(benchmarks), rule_order(dot))
    write_csv(table_out, jobs)
    with matplotlib.rc_context({"font.size": 8}):
        save_svg(job_resources_figure(jobs), svg_out)
    return jobs
