"""The report renders HTML and PDF from small synthetic inputs, self-contained and computed."""

from __future__ import annotations

import itertools
import json
import re
import zlib
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest
from test_figures import CONFIG_DEFAULTS

from bnstudy import claims as claims_lib
from bnstudy import figures, report
from bnstudy.families import FAMILY_DESCRIPTIONS, FAMILY_TITLES, KNOWN_FAMILIES
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
        cfg = {**CONFIG_DEFAULTS, "epochs": EPOCHS, **p}
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
        figs[fam] = {
            n: str(tmp / "figures" / fam / f"{n}.svg") for n in figures.figure_names(fam, [])
        }
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
    # The study's families follow STUDY.md's order, whatever the config's.
    assert html.index('id="family-depth"') < html.index('id="family-lr"')
    assert html.count('<img src="data:image/svg+xml;base64,') == 6
    assert 'id="additional"' not in html  # no family of the user's own


# --------------------------------------------------------------------------- every family

IMAGES_META = {
    "name": "images",
    "task": "classification",
    "n_train": 6000,
    "n_test": 2000,
    "input_shape": [1, 28, 28],
    "class_names": ["ring", "square outline", "filled square", "triangle", "plus"]
    + ["x", "double bar", "vertical line", "diagonal", "arc"],
    "source": "synthetic",
    "seed": 420,
    "shape_params": {"scale": [0.3, 0.6]},
    "pixel_mean": 0.123456,
    "pixel_std": 0.5,
}
POLY2_META = {"name": "poly2", "task": "regression", "n_train": 700, "n_test": 300}


def _placeholder_svg(path: Path, text: str) -> str:
    """A small valid SVG: the report embeds figures, it does not look inside them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="504" height="200" viewBox="0 0 504 200">'
        f'<rect width="504" height="200" fill="#eee"/><text x="10" y="30">{text}</text></svg>'
    )
    return str(path)


@pytest.fixture(scope="module")
def every_family(tmp_path_factory):
    """A report of all the study's families plus one of the user's own, through render_files."""
    from test_figures import depth_family, lr_family
    from test_figures_more import FAMILIES, GRIDS, my_widths_family

    builders = {**FAMILIES, "depth": depth_family, "lr": lr_family}
    tmp = tmp_path_factory.mktemp("every")
    summaries, paths, figs = {}, {}, {}
    for fam, build in builders.items():
        summaries[fam] = build()[1]
        paths[fam] = str(tmp / f"{fam}_summary.csv")
        summaries[fam].to_csv(paths[fam], index=False)
        figs[fam] = [
            _placeholder_svg(tmp / "figures" / fam / f"{name}.svg", f"{fam}/{name}")
            for name in figures.figure_names(fam, GRIDS.get(fam, []))
        ]
    claims = pd.DataFrame(
        [
            ["D2", "depth", "supported", 0.52, 0.21, 0.83, 3, "effect(depth 3) > effect(depth 1)"],
            ["N1", "lenet", "not run", np.nan, np.nan, np.nan, np.nan, "judge not implemented"],
        ],
        columns=["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "detail"],
    )
    claims.to_csv(tmp / "claims.csv", index=False)
    metas = {}
    for ds, meta in {"images": IMAGES_META, "poly2": POLY2_META}.items():
        metas[ds] = str(tmp / f"{ds}.json")
        Path(metas[ds]).write_text(json.dumps(meta))
    samples = {"images": _placeholder_svg(tmp / "figures" / "data" / "images_samples.svg", "S")}
    # The user's family comes first in the config: it is still reported after the study's.
    study = {"families": {"my_widths": {"description": "Does width matter?"}, "lr": {}}}
    html_out, pdf_out = tmp / "out" / "report.html", tmp / "out" / "report.pdf"
    report.render_files(
        study=study,
        claims_path=tmp / "claims.csv",
        summaries=paths,
        figures=figs,
        html_out=str(html_out),
        pdf_out=str(pdf_out),
        datasets_meta=metas,
        samples=samples,
    )
    return {
        "html": html_out.read_text(encoding="utf-8"),
        "pdf": pdf_out.read_bytes(),
        "summaries": summaries,
        "figures": figs,
        "my_widths": my_widths_family()[1],
    }


def _section(html: str, family: str) -> str:
    return re.search(rf'<section class="family" id="family-{family}">.*?</section>', html, re.S)[0]


def test_every_family_has_a_section_in_study_order(every_family):
    html = every_family["html"]
    assert every_family["pdf"].startswith(b"%PDF")
    positions = [html.index(f'id="family-{fam}"') for fam in KNOWN_FAMILIES]
    assert positions == sorted(positions)
    for fam in KNOWN_FAMILIES:
        section = _section(html, fam)
        assert FAMILY_TITLES[fam] in section
        assert str(markupsafe.escape(FAMILY_DESCRIPTIONS[fam])) in section
        assert section.count("<figure") == len(every_family["figures"][fam])
    n_figures = sum(len(f) for f in every_family["figures"].values()) + 1  # + samples
    assert html.count('<img src="data:image/svg+xml;base64,') == n_figures
    assert "γ" in figures.figure_caption("lenet", "bn_affine")
    assert 'id="fig-lenet-bn_affine"' in _section(html, "lenet")


def test_user_family_under_additional_experiments(every_family):
    html = every_family["html"]
    additional = html[html.index('<section id="additional">') :]
    additional = additional[: additional.index('<section id="claims">')]
    assert "<h2>Additional experiments</h2>" in additional
    section = _section(additional, "my_widths")
    assert "Does width matter?" in section
    assert section.count("<figure") == 3  # curves, final_vs_bn, final_vs_width
    assert "One line per BN" in section  # the generic caption names its lines
    assert not any(f'id="family-{fam}"' in additional for fam in KNOWN_FAMILIES)
    assert html.index('id="family-lr_range"') < html.index('<section id="additional">')
    # The grids table lists it with the others.
    assert '<a href="#family-my_widths">my_widths</a>' in html


def test_setup_describes_the_image_source_and_shows_samples(every_family):
    setup = re.search(r'<section id="setup">.*?</section>', every_family["html"], re.S)[0]
    assert "Procedurally generated shapes" in setup
    assert "6,000 training and 2,000 test samples of shape 1×28×28" in setup
    assert "square outline" in setup and "pixel mean 0.123" in setup
    samples = re.search(r'<figure class="samples" id="samples-images">.*?</figure>', setup, re.S)
    assert samples and "data:image/svg+xml;base64," in samples[0]
    assert "700 training and 300 test samples" in setup
    # Models: each model used, with the settings that shape it.
    assert "784-512-256-128-64-10" in setup and "LeNet-5" in setup
    wide = re.search(r"<dt><code>wide_mlp</code></dt>\s*<dd>(.*?)</dd>", setup, re.S)[1]
    assert "BN layers 0, 1, 2, 3, 4" in wide and "depth" not in wide.split("In these runs")[1]
    lenet_grid = re.search(r'<td><a href="#family-lenet">.*?</tr>', setup, re.S)[0]
    assert "width" not in lenet_grid and "activation" not in lenet_grid


def test_fashion_mnist_source_is_named(every_family):
    meta = {**IMAGES_META, "source": "fashion_mnist", "class_names": ["T-shirt/top"] * 10}
    context = report.build_context(
        config={},
        claims=pd.DataFrame(columns=claims_lib.COLUMNS),
        conclusions=[],
        summaries={"lenet": every_family["summaries"]["lenet"]},
        figures={},
        provenance={},
        datasets={"images": meta},
    )
    (images,) = context["datasets"]
    assert images["text"].startswith("Fashion-MNIST") and images["samples"] is None
    assert [m["id"] for m in context["models"]] == ["lenet"]


def test_classification_tables_report_accuracy(every_family):
    html = every_family["html"]
    optimizer = _section(html, "optimizer")
    head = re.search(r"<thead>(.*?)</thead>", optimizer, re.S)[1]
    assert "final accuracy" in head and "speed" in head and "MSE" not in head
    summary = every_family["summaries"]["optimizer"]
    ok = summary[(summary["diverged"] == 0) & (summary["optimizer"] == "sgd")]
    ok = ok[(ok["bn_layers"] == 0) & (ok["act"] == "sigmoid")]
    row = re.search(r"<tr>\s*<td>sigmoid</td><td>0</td><td>sgd</td>(.*?)</tr>", optimizer, re.S)
    assert row and f">{report.fmt(ok['final_acc'].mean())}<" in row[1]
    assert "1 of 3 seeds" in row[1]
    depth_head = re.search(r"<thead>(.*?)</thead>", _section(html, "depth"), re.S)[1]
    assert "final test MSE" in depth_head and "gradient ratio" in depth_head
    assert "running-stat. error" in _section(html, "batch")
    assert "suggested lr" in _section(html, "lr_range")
