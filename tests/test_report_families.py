"""The report of every family of the study, plus one of the user's own: their sections,
the image data as the setup describes it, d2l's reproduction and the batch families' steps.

The families are the small synthetic grids of ``test_figures``/``test_figures_more`` with
placeholder figures (the report embeds figures; it does not look inside them), rendered
through ``render_files`` as the pipeline does, from a claims table written before the
tuned readings and checks existed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest
from test_figures import EPOCHS as EPOCHS_FIG
from test_figures import STEP_SECONDS
from test_report import (
    OLD_CLAIM_COLUMNS,
    _placeholder_svg,
    _section,
    _tbody,
    prose,
    section,
    text,
)

from bnstudy.claims.verdict import COLUMNS
from bnstudy.families import FAMILIES, KNOWN_FAMILIES, figure_names
from bnstudy.figures.captions import figure_caption
from bnstudy.report.context import build_context
from bnstudy.report.fmt import fmt, fmt_interval
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.prose import INTEGRITY_TEXT, LITERATURE, VALIDATION_TEXT
from bnstudy.report.provenance import hardware
from bnstudy.report.render import render_files
from bnstudy.stats import aggregate, mean_ci

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


def every_family_study(tmp: Path) -> dict:
    """Summaries, placeholder figures and metas of all the study's families plus a user's."""
    from test_figures import depth_family, lr_family
    from test_figures_more import FAMILIES, GRIDS

    builders = {**FAMILIES, "depth": depth_family, "lr": lr_family}
    summaries, paths, figs = {}, {}, {}
    for fam, build in builders.items():
        summaries[fam] = build()[1]
        paths[fam] = str(tmp / f"{fam}_summary.csv")
        summaries[fam].to_csv(paths[fam], index=False)
        figs[fam] = [
            _placeholder_svg(tmp / "figures" / fam / f"{name}.svg", f"{fam}/{name}")
            for name in figure_names(fam, GRIDS.get(fam, []))
        ]
    metas = {}
    for ds, meta in {"images": IMAGES_META, "poly2": POLY2_META}.items():
        metas[ds] = str(tmp / f"{ds}.json")
        Path(metas[ds]).write_text(json.dumps(meta))
    samples = {"images": _placeholder_svg(tmp / "figures" / "data" / "images_samples.svg", "S")}
    return {
        "summaries": summaries,
        "paths": paths,
        "figures": figs,
        "metas": metas,
        "samples": samples,
    }


@pytest.fixture(scope="module")
def every_family(tmp_path_factory):
    """A report of all the study's families plus one of the user's own, through render_files."""
    from test_figures_more import my_widths_family

    tmp = tmp_path_factory.mktemp("every")
    study = every_family_study(tmp)
    claims = pd.DataFrame(
        [
            ["D2", "depth", "supported", 0.52, 0.21, 0.83, 3, "effect(depth 3) > effect(depth 1)"],
            ["N1", "lenet", "not run", np.nan, np.nan, np.nan, np.nan, "judge not implemented"],
        ],
        columns=OLD_CLAIM_COLUMNS,  # a table from before the tuned readings and checks
    )
    claims.to_csv(tmp / "claims.csv", index=False)
    # The user's family comes first in the config: it is still reported after the study's.
    config = {"families": {"my_widths": {"description": "Does width matter?"}, "lr": {}}}
    html_out, pdf_out = tmp / "out" / "report.html", tmp / "out" / "report.pdf"
    render_files(
        study=config,
        claims_path=tmp / "claims.csv",
        summaries=study["paths"],
        figures=study["figures"],
        html_out=str(html_out),
        pdf_out=str(pdf_out),
        datasets_meta=study["metas"],
        samples=study["samples"],
    )
    return {
        **study,
        "html": html_out.read_text(encoding="utf-8"),
        "pdf": pdf_out.read_bytes(),
        "pdf_path": pdf_out,
        "my_widths": my_widths_family()[1],
    }


def test_every_family_has_a_section_in_study_order(every_family):
    html = every_family["html"]
    assert every_family["pdf"].startswith(b"%PDF")
    positions = [html.index(f'id="family-{fam}"') for fam in KNOWN_FAMILIES]
    assert positions == sorted(positions)
    for fam in KNOWN_FAMILIES:
        sec = _section(html, fam)
        assert str(markupsafe.escape(FAMILIES[fam].title)) in sec
        assert str(markupsafe.escape(FAMILIES[fam].description)) in sec
        # d2l's figure is shown in the reproduction section instead.
        shown = len(every_family["figures"][fam]) - (fam == "lenet_d2l")
        assert sec.count("<figure") == shown
        assert sec.count("Key numbers:") == shown
    assert 'id="fig-lenet_d2l-d2l_accuracy"' in section(html, "reproduction")
    n_figures = sum(len(f) for f in every_family["figures"].values()) + 1  # + samples
    assert html.count('<img src="data:image/svg+xml;base64,') == n_figures
    assert "γ" in figure_caption("lenet", "bn_affine")
    assert 'id="fig-lenet-bn_affine"' in _section(html, "lenet")
    # Without benchmark files or a rule graph the appendix says so.
    appendix = text(section(html, "appendix"))
    assert "No benchmark files were found" in appendix
    assert "The rule graph was not given to this render." in appendix


def test_user_family_under_additional_experiments(every_family):
    html = every_family["html"]
    results = section(html, "results")
    additional = results[results.index('id="additional"') :]
    assert "beyond the study's own" in additional
    sec = _section(additional, "my_widths")
    assert "Does width matter?" in sec
    assert sec.count("<figure") == 3  # curves, final_vs_bn, final_vs_width
    assert "One line per BN" in sec  # the generic caption names its lines
    assert not any(f'id="family-{fam}"' in additional for fam in KNOWN_FAMILIES)
    assert html.index('id="family-lr_range"') < html.index('id="additional"')
    # The grids table and the contents list it with the others.
    assert '<a href="#family-my_widths">my_widths</a>' in html
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S)[0]
    assert toc.index("#family-lr_range") < toc.index("#family-my_widths")


def test_setup_describes_the_image_source_and_shows_samples(every_family):
    setup = section(every_family["html"], "setup")
    assert "Procedurally generated shapes" in setup
    assert "6,000 training and 2,000 test samples of shape 1×28×28" in setup
    assert "square outline" in setup and "pixel mean 0.123" in setup
    samples = re.search(
        r'<figure id="samples-images" class="figure samples">.*?</figure>', setup, re.S
    )
    assert samples and "data:image/svg+xml;base64," in samples[0]
    assert '<span class="fig-label">Figure 1.</span>' in samples[0]
    assert "700 training and 300 test samples" in setup
    # Models: each model used, with the settings that shape it.
    assert "784-512-256-128-64-10" in setup and "LeNet-5" in setup
    wide = re.search(r"<dt><code>wide_mlp</code></dt>\s*<dd>(.*?)</dd>", setup, re.S)[1]
    assert "BN layers 0, 1, 2, 3, 4" in wide and "depth" not in wide.split("In these runs")[1]
    lenet_grid = re.search(r'<td><a href="#family-lenet">.*?</tr>', setup, re.S)[0]
    assert "width" not in lenet_grid and "activation" not in lenet_grid
    # Synthetic images are a limitation the report names.
    limitations = text(section(every_family["html"], "limitations"))
    assert "images (procedurally generated shapes) are generated by the pipeline" in limitations


FASHION_META = {
    **IMAGES_META,
    "source": "fashion_mnist",
    "folder": "/usr/share/datasets/fashion-mnist",
    "verified": True,
    "n_train": 55000,
    "n_val": 5000,
    "n_test": 10000,
    "class_names": ["T-shirt/top"] * 10,
}


def fashion_context(every_family, meta: dict) -> dict:
    """The context of a report of the two LeNet families on Fashion-MNIST ``meta``."""
    return build_context(
        ReportInputs(
            config={},
            claims=pd.DataFrame(columns=COLUMNS),
            conclusions=[],
            summaries={f: every_family["summaries"][f] for f in ("lenet", "lenet_d2l")},
            figures={},
            provenance={},
            datasets={"images": meta},
        )
    )


def test_fashion_mnist_source_is_named_and_cited(every_family):
    sections = fashion_context(every_family, FASHION_META)["sections"]
    (images,) = sections["setup"]["datasets"]
    assert images["text"].startswith("Fashion-MNIST") and images["samples"] is None
    assert "the study's default image data" in images["text"]
    assert "Read from /usr/share/datasets/fashion-mnist." in images["text"]
    assert INTEGRITY_TEXT[True] in images["text"]
    assert (
        "55,000 training, 5,000 validation and 10,000 test samples of shape 1×28×28."
        in (images["text"])
    )
    assert VALIDATION_TEXT in images["text"]
    assert images["text"].endswith("[4]")
    # lenet_d2l trains on the validation images too (d2l's setting); lenet does not.
    assert images["families"] == ["lenet", "lenet_d2l"] and images["on_all"] == ["lenet_d2l"]
    assert sections["methods"]["validation"] == [("images", "5,000")]
    assert sections["methods"]["on_all_data"] == ["lenet_d2l"]
    assert sections["abstract"]["data"] == "Fashion-MNIST images"
    references = sections["references"]["items"]
    assert [r["label"] for r in references] == ["[1]", "[2]", "[3]", "[4]"]
    assert "Xiao" in references[-1]["text"]
    assert [m["id"] for m in sections["setup"]["models"]] == ["lenet"]
    limitations = sections["limitations"]["points"]
    assert any("Fashion-MNIST" in item for item in limitations)
    assert not any("Synthetic data" in item for item in limitations)
    # Files whose content was not checked are said to be so.
    unchecked = fashion_context(every_family, {**FASHION_META, "verified": False})
    (images,) = unchecked["sections"]["setup"]["datasets"]
    assert INTEGRITY_TEXT[False] in images["text"] and INTEGRITY_TEXT[True] not in images["text"]


def test_reproduction_places_each_published_run_among_the_seeds(every_family):
    html = every_family["html"]
    repro = section(html, "reproduction")
    table = re.search(r'<table class="reproduction">.*?</table>', repro, re.S)[0]
    rows = [text(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S)]
    d2l = LITERATURE["d2l"]
    library = np.array([0.80, 0.85, 0.88])
    mean, low, high, _ = mean_ci(library)
    ours = f"{fmt(mean)} {fmt_interval(low, high)} {fmt(0.80)}–{fmt(0.88)} 3"
    assert rows[0] == (
        f"library 1 the book's run {d2l['library']} {ours} "
        "within the seeds' range (2 of 3 seeds lower); inside the 95 % interval"
    )
    assert rows[2] == (
        f"library 1 second execution {d2l['library_again']} {ours} "
        "below every seed; outside the 95 % interval (below it)"
    )
    assert rows[3].endswith(
        "within the seeds' range (1 of 2 seeds lower); inside the 95 % interval"
    )
    assert "2 (1 of 3 diverged)" in rows[1]  # scratch: seed 2 diverged
    assert rows[4].startswith(f"none 0.9 second execution {d2l['plain']}")
    assert rows[4].endswith("above every seed; inside the 95 % interval")
    assert "1 of the 5 published runs fall outside our 95 % interval" in text(repro)
    # We record no training accuracy: said plainly, with the training loss instead.
    assert f"a training accuracy of {d2l['library_train']}" in text(repro)
    assert "The runs here do not record a training accuracy" in text(repro)
    # Our setting beside d2l's: the fixture trains 6,000 images, not 60,000.
    setting = text(re.search(r'<table class="setting">.*?</table>', repro, re.S)[0])
    assert "training images 6,000 60,000 no" in setting
    assert f"batch size 256 {d2l['batch']} yes" in setting
    # Throughput: samples × epochs over the seconds of the steps, summed over the seeds.
    rate = 6000 * EPOCHS_FIG * 3 / (STEP_SECONDS * EPOCHS_FIG * 3)
    throughput = text(re.search(r'<table class="throughput">.*?</table>', repro, re.S)[0])
    ratio = fmt(float(d2l["library_rate"].replace(",", "")) / rate)
    assert f"library 1 3 {rate:,.0f} {d2l['library_rate']} {ratio}×" in throughput
    assert "none 0.9 3" in throughput and "not published" in throughput
    assert f"Measured on {hardware()} (training device setting" in prose(repro)
    # Its figure: the seeds and the published runs; the family's section links here.
    assert 'id="fig-lenet_d2l-d2l_accuracy"' in repro
    assert '<a href="#reproduction">' in _section(html, "lenet_d2l")


def test_batch_families_say_how_many_steps_each_batch_takes(every_family):
    html = every_family["html"]
    batch = text(_section(html, "batch"))
    steps = {b: math.ceil(700 / b) * EPOCHS_FIG for b in (2, 8, 64, 256)}
    cells = "; ".join(f"batch {b}: {n:,}" for b, n in steps.items())
    assert f"Every configuration trains {EPOCHS_FIG} epochs" in batch and cells in batch
    assert f"{fmt(steps[2] / steps[256])}× as many steps at the smallest batch" in batch
    images = text(_section(html, "image_batch"))
    assert f"batch 4: {6000 // 4 * EPOCHS_FIG:,}" in images
    assert "steps-note" not in _section(html, "depth")
    budget = prose(section(html, "budget"))
    fewest = f"batch 256 only {steps[256]}, {fmt(steps[2] / steps[256])}× fewer"
    assert f"in batch, batch 2 takes {steps[2]:,} optimizer steps per run and {fewest}" in budget
    # Without benchmark files the times are the runs' own, and the CPU time unknown.
    assert "No benchmark files were given" in budget


def test_lenet_next_to_the_literature(every_family):
    lenet = text(_section(every_family["html"], "lenet"))
    d2l = LITERATURE["d2l"]
    assert f"a test accuracy of {d2l['library']} with the library's BN" in lenet
    summary = every_family["summaries"]["lenet"]
    at = summary[summary["lr"] == summary["lr"].max()]
    agg = aggregate(at, ["bn"], "final_acc").set_index("bn")
    library = agg.loc["library"]
    expected = f"library {fmt(library['mean'])} "
    expected += fmt_interval(library["ci_low"], library["ci_high"])
    assert expected in lenet
    assert "none – –, 3 of 3 diverged" in lenet  # every seed without BN diverged


def test_classification_tables_report_accuracy(every_family):
    html = every_family["html"]
    optimizer = _section(html, "optimizer")
    head = re.search(r"<thead>(.*?)</thead>", optimizer, re.S)[1]
    assert "final accuracy" in head and "speed" in head and "MSE" not in head
    summary = every_family["summaries"]["optimizer"]
    ok = summary[(summary["diverged"] == 0) & (summary["optimizer"] == "sgd")]
    ok = ok[(ok["bn_layers"] == 0) & (ok["act"] == "sigmoid")]
    row = re.search(r"<tr>\s*<td>sigmoid</td><td>0</td><td>sgd</td>(.*?)</tr>", optimizer, re.S)
    assert row and f">{fmt(ok['final_acc'].mean())}<" in row[1]
    assert "1 of 3 seeds" in row[1]
    depth_head = re.search(r"<thead>(.*?)</thead>", _section(html, "depth"), re.S)[1]
    assert "final test MSE" in depth_head and "gradient ratio" in depth_head
    assert "running-stat. error" in _section(html, "batch")
    assert "suggested lr" in _section(html, "lr_range")
    # Figure captions of classification families give accuracies.
    assert "highest final accuracy" in _section(html, "optimizer")


def test_old_claims_tables_read_without_checks(every_family):
    claims = section(every_family["html"], "claims")
    d2 = text(_tbody(claims, "D2"))
    assert "as run supported 0.52 [0.21, 0.83] 3 – – – –" in d2
    assert "tuned" not in d2 and "no claim has a tuned reading in this build" in text(claims)
    strategy = text(section(every_family["html"], "strategy"))
    assert "(as run, 3 seeds)" in strategy and "Holm" not in strategy.split("no claim")[0]
