"""Figures of the workflow itself (job resources, rule graph) and the captions' plain text."""

from __future__ import annotations

import re

import pandas as pd
from workflow_helpers import RULEGRAPH_DOT

from bnstudy import families
from bnstudy.figures.resources import job_resources_figure
from bnstudy.figures.rulegraph import layers, parse_dot, rulegraph_figure
from bnstudy.figures.svg import save_svg
from bnstudy.vocab import CI_LABEL, CONFIDENCE


def test_caption_interval_matches_the_statistics():
    assert CI_LABEL == f"{CONFIDENCE:.0%}".replace("%", " %")


def test_captions_without_data_for_snakemakes_report():
    for family, spec in families.FAMILIES.items():
        for name in spec.figures:
            assert families.figure_caption_text(family, name), (family, name)
    assert "test accuracy" in families.figure_caption_text("lenet", "curves")
    assert "test loss" in families.figure_caption_text("depth", "curves")
    generic = families.figure_caption_text("my_widths", "final_vs_width", classification=True)
    assert generic.startswith("Final test accuracy: mean") and "against width." in generic


def test_parse_dot_reads_snakemakes_rulegraph():
    labels, edges = parse_dot(RULEGRAPH_DOT)
    assert labels["0"] == "all" and labels["7"] == "draw_rulegraph"
    assert ("4", "3") in edges and len(edges) == 10
    layer = layers(list(labels), edges)
    # make_dataset → train_config → collect_metrics → plot_figure → render_report → all
    assert [layer[n] for n in ("4", "3", "2", "6", "1", "0")] == [0, 1, 2, 3, 4, 5]


def test_rulegraph_figure_draws_every_rule_and_edge():
    fig = rulegraph_figure(RULEGRAPH_DOT)
    (ax,) = fig.axes
    names = sorted(t.get_text() for t in ax.texts)
    assert names == sorted(parse_dot(RULEGRAPH_DOT)[0].values())
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 10


def test_job_resources_figure_one_row_per_rule(tmp_path):
    jobs = pd.DataFrame(
        {
            "rule": ["make_dataset", "train_config", "train_config", "plot_figure"],
            "job": ["poly2", "a", "b", "depth/curves"],
            "s": [2.0, 10.0, 30.0, 4.0],
            "max_rss": [250.0, 300.0, float("nan"), 160.0],
        }
    )
    fig = job_resources_figure(jobs)
    left, right = fig.axes
    assert [t.get_text() for t in left.get_yticklabels()] == [
        "make_dataset",
        "train_config",
        "plot_figure",
    ]
    assert left.get_xscale() == "log" and right.get_xscale() == "log"

    # Every job is a dot; a missing memory reading is not drawn.
    def dots(ax) -> int:
        return sum(len(ln.get_xdata()) for ln in ax.get_lines() if ln.get_marker() == "o")

    assert dots(left) == 4 and dots(right) == 3
    save_svg(fig, tmp_path / "jobs.svg")
    assert re.search(r"<svg", (tmp_path / "jobs.svg").read_text())
