"""The report renders HTML and PDF from small synthetic inputs, self-contained and computed."""

from __future__ import annotations

import itertools
import re
import zlib
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest

from bnstudy import figures, report
from bnstudy.summary import summarize

REPO = Path(__file__).resolve().parent.parent
EPOCHS = 5
SEEDS = [0, 1, 2]
WALL = 0.125  # seconds per epoch, so the fixture's total compute time is known exactly


def _family(family: str, grid: dict, diverged: dict) -> pd.DataFrame:
    """Tidy table of a synthetic family: ``grid`` is crossed; ``diverged`` maps a grid point
    (tuple in grid order) to the seeds that diverge."""
    rows = []
    keys = list(grid)
    for point in itertools.product(*grid.values()):
        p = dict(zip(keys, point, strict=True))
        cfg = {
            "dataset": "poly2",
            "model": "mlp",
            "depth": 3,
            "width": 4,
            "act": "tanh",
            "bn": "none",
            "lr": 0.03,
            "batch_size": 50,
            "epochs": EPOCHS,
            **p,
        }
        cid = family + "-" + "-".join(f"{k}{v}" for k, v in p.items())
        cfg = {"family": family, "config_id": cid, **cfg}
        for seed in SEEDS:
            rng = np.random.default_rng([zlib.crc32(cid.encode()), seed])
            bad = seed in diverged.get(point, ())
            for epoch in range(1, EPOCHS + 1):
                test = (
                    np.nan
                    if bad
                    else (1 + cfg["depth"]) * np.exp(-0.4 * epoch) * (1 + 0.1 * rng.random())
                )
                metrics = {
                    "train_loss": test,
                    "test_loss": test,
                    "lr": cfg["lr"],
                    "wall_time": WALL,
                    "grad_norm.1": 0.1,
                    "grad_norm.2": 0.3,
                }
                if epoch == EPOCHS:
                    metrics["diverged"] = float(bad)
                rows += [
                    {**cfg, "seed": seed, "epoch": epoch, "metric": m, "value": v}
                    for m, v in metrics.items()
                ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    tidies = {
        "depth": _family(
            "depth",
            {"depth": [1, 3], "act": ["sigmoid", "relu"], "bn": ["none", "pre"]},
            {(3, "sigmoid", "none"): [2]},
        ),
        "lr": _family(
            "lr",
            {"lr": [0.3, 0.03], "depth": [3], "bn": ["none", "pre"]},
            {(0.3, 3, "none"): SEEDS},
        ),
    }
    summaries = {fam: summarize(t) for fam, t in tidies.items()}
    figs = {}
    for fam, tidy in tidies.items():
        tidy_path, summary_path = tmp / f"{fam}.csv", tmp / f"{fam}_summary.csv"
        tidy.to_csv(tidy_path, index=False)
        summaries[fam].to_csv(summary_path, index=False)
        figs[fam] = {n: str(tmp / "figures" / fam / f"{n}.svg") for n in figures.figure_names(fam)}
        figures.plot_family(fam, tidy_path, summary_path, figs[fam])
    claims = pd.DataFrame(
        [
            ["D2", "depth", "supported", 0.52, 0.21, 0.83, 3, "effect(depth 3) > effect(depth 1)"],
            ["D3", "depth", "contradicted", -0.4, -0.7, -0.1, 3, "best depth is 1"],
            ["L2", "lr", "inconclusive", 0.05, -0.2, 0.3, 2, "minimum at an edge of the grid"],
            ["B1", "batch", "not run", np.nan, np.nan, np.nan, np.nan, "family not in config"],
        ],
        columns=["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "detail"],
    )
    conclusions = [
        {"claim": "L2", "verdict": "inconclusive", "text": "The lr curve's shape is unclear."},
        {"claim": "D2", "verdict": "supported", "text": "Use BN in deep sigmoid nets & tanh."},
        {"claim": "D3", "verdict": "contradicted", "text": "Shallow nets did best <here>."},
        {"claim": "B1", "verdict": "not run", "text": "Batch size was not studied."},
    ]
    config = {"families": {"depth": {"dataset": "poly2"}, "lr": {"dataset": "poly2"}}, "seeds": 3}
    provenance = report.collect_provenance(config, REPO)
    html_out, pdf_out = tmp / "out" / "report.html", tmp / "out" / "report.pdf"
    report.render_report(
        config=config,
        claims=claims,
        conclusions=conclusions,
        summaries=summaries,
        figures=figs,
        provenance=provenance,
        html_out=str(html_out),
        pdf_out=str(pdf_out),
    )
    return {
        "html": html_out.read_text(encoding="utf-8"),
        "pdf": pdf_out.read_bytes(),
        "claims": claims,
        "conclusions": conclusions,
        "summaries": summaries,
        "figures": figs,
        "provenance": provenance,
        "out": html_out.parent,
    }


def test_writes_html_and_pdf_atomically(inputs):
    assert inputs["html"].startswith("<!DOCTYPE html>")
    assert inputs["pdf"].startswith(b"%PDF")
    assert len(inputs["pdf"]) > 10_000
    assert sorted(p.name for p in inputs["out"].iterdir()) == ["report.html", "report.pdf"]


def test_every_claim_is_listed_with_its_verdict(inputs):
    html = inputs["html"]
    for rec in inputs["claims"].to_dict("records"):
        row = re.search(rf'<tr id="claim-{rec["claim"]}"[^>]*>(.*?)</tr>', html, re.S)
        assert row, rec["claim"]
        slug = rec["verdict"].replace(" ", "-")
        assert f'<span class="badge {slug}">{rec["verdict"]}</span>' in row.group(1)
    d2 = re.search(r'<tr id="claim-D2"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert "0.52" in d2 and "[0.21, 0.83]" in d2
    b1 = re.search(r'<tr id="claim-B1"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert "nan" not in b1.lower() and "–" in b1


def test_abstract_counts_match_the_claims(inputs):
    abstract = re.search(r'<section class="abstract".*?</section>', inputs["html"], re.S).group(0)
    counts = dict(re.findall(r'data-verdict="([^"]+)">(\d+)<', abstract))
    expected = inputs["claims"]["verdict"].value_counts().to_dict()
    assert {k: int(v) for k, v in counts.items()} == {
        v: expected.get(v, 0) for v in report.VERDICTS
    }
    assert "re-test 4 such rules" in " ".join(abstract.split())


def test_total_compute_time_is_the_sum_of_wall_times(inputs):
    total = sum(s["wall_time"].sum() for s in inputs["summaries"].values())
    n_runs = sum(len(s) for s in inputs["summaries"].values())
    assert total == pytest.approx(n_runs * EPOCHS * WALL)  # diverged seeds still cost time
    shown = re.search(r'id="total-compute" data-seconds="([^"]+)">([^<]+)<', inputs["html"])
    assert float(shown.group(1)) == pytest.approx(total)
    assert shown.group(2) == report.fmt_duration(total)


def test_conclusions_are_listed_supported_first(inputs):
    html = inputs["html"]
    section = re.search(r'<section id="conclusions">.*?</section>', html, re.S).group(0)
    positions = []
    for c in inputs["conclusions"]:
        text = str(markupsafe.escape(c["text"]))
        assert text in section, c["text"]
        positions.append((report.VERDICTS.index(c["verdict"]), section.index(text)))
    assert [p for _, p in sorted(positions)] == sorted(p for _, p in positions)


def test_self_contained_with_embedded_figures(inputs):
    html = inputs["html"]
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', html, re.I)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<style>" in html
    n_figures = sum(len(f) for f in inputs["figures"].values())
    assert html.count('<img src="data:image/svg+xml;base64,') == n_figures


def test_family_tables_count_diverged_seeds(inputs):
    html = inputs["html"]
    lr = re.search(r'<section class="family" id="family-lr">.*?</section>', html, re.S).group(0)
    assert "3 of 3 seeds" in lr
    depth = re.search(r'id="family-depth">.*?</section>', html, re.S).group(0)
    assert "1 of 3 seeds" in depth
    # Families appear in config order.
    assert html.index('id="family-depth"') < html.index('id="family-lr"')


def test_provenance(inputs):
    prov = inputs["provenance"]
    for key in [
        "python",
        "torch",
        "snakemake",
        "pandas",
        "numpy",
        "matplotlib",
        "scipy",
        "jinja2",
        "weasyprint",
    ]:
        assert key in prov["versions"]
        assert f"<td>{key}</td>" in inputs["html"]
    assert prov["code_revision"]
    assert "families:" in prov["config_yaml"]
    assert prov["config_yaml"] in inputs["html"] or "depth:" in inputs["html"]
    assert report.REGENERATE_COMMAND in inputs["html"]
    assert report.collect_provenance({}, "/")["code_revision"] == "unknown"


def test_number_formatting():
    assert report.fmt(float("nan")) == "–"
    assert report.fmt(None) == "–"
    assert report.fmt(0.0123456) == "0.0123"
    assert report.fmt(123456.0) == "1.23×10⁵"
    assert report.fmt_interval(np.nan, 1.0) == "–"
    assert report.fmt_interval(0.5, 1.25) == "[0.5, 1.25]"


def test_render_files_reads_the_pipeline_outputs(inputs, tmp_path):
    """The Snakemake entry point: claims CSV, summary CSVs and figure paths listed per family."""
    from bnstudy import claims as claims_lib

    claims_path = tmp_path / "claims.csv"
    inputs["claims"].to_csv(claims_path, index=False)
    summaries = {}
    for fam, summary in inputs["summaries"].items():
        summaries[fam] = str(tmp_path / f"{fam}_summary.csv")
        summary.to_csv(summaries[fam], index=False)
    html_out, pdf_out = tmp_path / "r" / "report.html", tmp_path / "r" / "report.pdf"
    report.render_files(
        study={"families": {"lr": {}, "depth": {}}},
        claims_path=claims_path,
        summaries=summaries,
        figures={fam: list(figs.values()) for fam, figs in inputs["figures"].items()},
        html_out=str(html_out),
        pdf_out=str(pdf_out),
    )
    html = html_out.read_text(encoding="utf-8")
    assert pdf_out.read_bytes().startswith(b"%PDF")
    assert str(markupsafe.escape(claims_lib.claim_statement("D2"))) in html
    assert html.index('id="family-lr"') < html.index('id="family-depth"')  # config order
    assert html.count('<img src="data:image/svg+xml;base64,') == 6
