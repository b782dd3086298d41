"""The workflow's rule graph: ``snakemake --rulegraph`` run, read and drawn top-down.

The report shows how its results were made. The DOT text Snakemake prints is read
with two regular expressions (:func:`parse_dot`), each rule placed in the layer of
the longest path reaching it (:func:`layers`), and the rules of a layer ordered by
their parents' positions so that few edges cross. No graphviz needed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from bnstudy.figures.style import PAGE_WIDTH, canvas_figure
from bnstudy.figures.svg import save_svg


def rulegraph_dot(snakefile, configfiles=()) -> str:
    """The rule graph, in DOT, that ``snakemake --rulegraph`` prints for this study.

    Snakemake runs in a subprocess in the working directory with ``--nolock`` (a running
    workflow holds the lock: this is called from one of its jobs) and the study's config
    files (none: the workflow's default config).
    """
    cmd = [sys.executable, "-m", "snakemake", "--rulegraph", "--nolock", "--snakefile", snakefile]
    if configfiles:
        cmd += ["--configfile", *map(str, configfiles), "--replace-workflow-config"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    start, end = proc.stdout.find("digraph"), proc.stdout.rfind("}")
    if proc.returncode or start < 0 or end < start:
        raise RuntimeError(
            f"snakemake --rulegraph failed (exit {proc.returncode}): {proc.stderr[-3000:]}"
        )
    return proc.stdout[start : end + 1] + "\n"


def parse_dot(dot: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(node id → label, edges) of the DOT graph ``snakemake --rulegraph`` prints.

    >>> parse_dot('digraph { 0[label = "all"]; 1[label = "a"]; 1 -> 0 }')
    ({'0': 'all', '1': 'a'}, [('1', '0')])
    """
    nodes = dict(re.findall(r'(\w+)\s*\[\s*label\s*=\s*"([^"]*)"', dot))
    edges = [(a, b) for a, b in re.findall(r"(\w+)\s*->\s*(\w+)", dot) if a in nodes and b in nodes]
    return nodes, edges


def layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's layer: the length of the longest path reaching it (a DAG).

    >>> layers(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    {'a': 0, 'b': 1, 'c': 2}
    """
    layer = dict.fromkeys(nodes, 0)
    for _ in nodes:  # at most len(nodes) relaxations in a DAG
        changed = False
        for a, b in edges:
            if layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    return layer


def _positions(labels: dict[str, str], edges, layer: dict[str, int]) -> tuple[dict, int]:
    """Each node's x position in its layer (centred), and the widest layer's size.

    A layer is ordered by the mean position of each node's parents, so that few
    edges cross; ties by label.
    """
    n_layers = max(layer.values(), default=0) + 1
    rows = [[n for n in labels if layer[n] == k] for k in range(n_layers)]
    pos: dict[str, float] = {}
    for row in rows:
        parents = {n: [pos[a] for a, b in edges if b == n and a in pos] for n in row}
        row.sort(key=lambda n: (np.mean(parents[n]) if parents[n] else 0.0, labels[n]))
        for i, n in enumerate(row):
            pos[n] = i - (len(row) - 1) / 2
    return pos, max((len(r) for r in rows), default=1)


def rulegraph_figure(dot: str) -> Figure:
    """The workflow's rules and their dependencies, drawn top-down from ``--rulegraph`` DOT."""
    labels, edges = parse_dot(dot)
    layer = layers(list(labels), edges)
    n_layers = max(layer.values(), default=0) + 1
    pos, width = _positions(labels, edges, layer)
    fig = canvas_figure(PAGE_WIDTH, 0.5 + 0.62 * n_layers)
    ax = fig.subplots()
    ax.set_axis_off()
    span = max(width, 3)
    ax.set_xlim(-span / 2, span / 2)
    ax.set_ylim(n_layers - 0.5, -0.5)
    box_w, box_h = min(0.9, 0.95 * span / max(width, 1)), 0.42
    for n, label in labels.items():
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
        ax.text(x, y, label, ha="center", va="center", fontsize=7.5, family="monospace")
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
