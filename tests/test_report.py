"""The report renders HTML and PDF from small synthetic inputs: structure, words and numbers.

No training: the families are small synthetic grids (the helpers of ``test_figures``),
the claims a fixed table, Snakemake's benchmark files and rule graph written by hand.
The tests assert the paper's structure (sections, contents, numbered figures, anchors),
that every number shown is the one computed from the inputs, and that the words that
state a result are the ones its verdict chooses.
"""

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
from workflow_helpers import RULEGRAPH_DOT

from bnstudy.claims.catalogue import CLAIMS, claim_statement
from bnstudy.claims.verdict import COLUMNS, VERDICTS
from bnstudy.families import FAMILIES, KNOWN_FAMILIES, figure_names
from bnstudy.figures.captions import figure_caption
from bnstudy.figures.make import plot_family
from bnstudy.figures.rulegraph import draw_rulegraph
from bnstudy.report.context import build_context
from bnstudy.report.fmt import display_path, fmt, fmt_duration, fmt_interval
from bnstudy.report.inputs import ReportInputs, advice_texts
from bnstudy.report.jobs import read_benchmarks
from bnstudy.report.prose import LITERATURE
from bnstudy.report.provenance import collect_provenance, snakemake_prefix
from bnstudy.report.render import FONT_FACES, FONTS_MARKER, font_css, render_files, render_report
from bnstudy.report.resources import plot_job_resources
from bnstudy.stats import aggregate
from bnstudy.summary import summarize

REPO = Path(__file__).resolve().parent.parent
EPOCHS = 5
SEEDS = [0, 1, 2]
WALL = 0.125  # seconds per epoch, so the fixture's total compute time is known exactly
CLAIM_COLUMNS = ["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "detail"]

#: Benchmark files: path under results/benchmarks → (s, max_rss); "-" is Snakemake's
#: "not measured" (a job too short to be sampled).
BENCHMARKS = {
    "make_dataset/poly2.tsv": (2.5, "250.5"),
    "train_config/depth/act~relu/bn~none.tsv": (12.0, "300.25"),
    "train_config/depth/act~relu/bn~pre.tsv": (14.0, "310.5"),
    "train_config/lr/bn~pre/lr~0.3.tsv": (30.0, "-"),
    "plot_figure/depth/curves.tsv": (4.0, "160"),
    "judge_claims.tsv": (3.0, "140"),
}


def _family(family: str, grid: dict, diverged: dict, shift: float = 0.0) -> pd.DataFrame:
    """Tidy table of a synthetic family: ``grid`` is crossed; ``diverged`` maps a grid point
    (tuple in grid order) to the seeds that diverge; ``shift`` raises every loss."""
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
                    else (1 + cfg["depth"] + shift)
                    * np.exp(-0.4 * epoch)
                    * (1 + 0.1 * rng.random())
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


def depth_lr_tidies(shift: float = 0.0, depths=(1, 3)) -> dict[str, pd.DataFrame]:
    """The two families of the fixture study: depth (with one diverged seed) and lr."""
    return {
        "depth": _family(
            "depth",
            {"depth": list(depths), "act": ["sigmoid", "relu"], "bn": ["none", "pre"]},
            {(3, "sigmoid", "none"): [2]},
            shift,
        ),
        "lr": _family(
            "lr",
            {"lr": [0.3, 0.03], "depth": [3], "bn": ["none", "pre"]},
            {(0.3, 3, "none"): SEEDS},
            shift,
        ),
    }


def fixture_claims(d2=("supported", 0.52, 0.21, 0.83)) -> pd.DataFrame:
    verdict, effect, low, high = d2
    return pd.DataFrame(
        [
            ["D2", "depth", verdict, effect, low, high, 3, "effect(depth 3) > effect(depth 1)"],
            ["D3", "depth", "contradicted", -0.4, -0.7, -0.1, 3, "best depth is 1"],
            ["L2", "lr", "inconclusive", 0.05, -0.2, 0.3, 2, "minimum at an edge of the grid"],
            ["B1", "batch", "not run", np.nan, np.nan, np.nan, np.nan, "family not in config"],
        ],
        columns=CLAIM_COLUMNS,
    )


def write_study(tmp: Path, tidies: dict[str, pd.DataFrame], placeholder_figures=False) -> dict:
    """The pipeline's files of a fixture study under ``tmp``: tables, figures, benchmarks,
    the rule graph, and the jobs table and figure drawn from the last two."""
    summaries, figs, tables = {}, {}, {}
    for fam, tidy in tidies.items():
        summary = summarize(tidy)
        tidy_path, summary_path = (
            tmp / "metrics" / f"{fam}.csv",
            tmp / "metrics" / f"{fam}_summary.csv",
        )
        tidy_path.parent.mkdir(parents=True, exist_ok=True)
        tidy.to_csv(tidy_path, index=False)
        summary.to_csv(summary_path, index=False)
        summaries[fam] = summary
        tables[fam] = [str(tidy_path), str(summary_path)]
        figs[fam] = {n: str(tmp / "figures" / fam / f"{n}.svg") for n in figure_names(fam, [])}
        if placeholder_figures:
            for n, path in figs[fam].items():
                _placeholder_svg(Path(path), f"{fam}/{n}")
        else:
            plot_family(fam, tidy_path, summary_path, figs[fam])
    bench = tmp / "benchmarks"
    for rel, (s, rss) in BENCHMARKS.items():
        path = bench / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\th:m:s\tmax_rss\tmax_vms\n{s}\t0:00:0{int(s) % 10}\t{rss}\t900\n")
    (bench / "being_written.tsv").write_text("")  # Snakemake may be writing one: skipped
    dot = tmp / "rulegraph.dot"
    dot.write_text(RULEGRAPH_DOT)
    draw_rulegraph(dot, tmp / "rulegraph.svg")
    jobs_files = (str(tmp / "jobs.csv"), str(tmp / "job_resources.svg"))
    jobs = plot_job_resources(bench, dot, jobs_files[1], jobs_files[0])
    return {
        "summaries": summaries,
        "figures": figs,
        "tables": tables,
        "benchmarks": bench,
        "jobs": jobs,
        "jobs_files": jobs_files,
        "rulegraph": (RULEGRAPH_DOT, str(tmp / "rulegraph.svg")),
    }


def study_inputs(study: dict, claims: pd.DataFrame, provenance: dict, **more) -> ReportInputs:
    """The report's inputs for a fixture study of ``write_study``."""
    return ReportInputs(
        config=CONFIG,
        claims=claims,
        conclusions=CONCLUSIONS,
        summaries=study["summaries"],
        figures=study["figures"],
        provenance=provenance,
        tables=study["tables"],
        jobs=study["jobs"],
        jobs_figure=study["jobs_files"][1],
        rulegraph=study["rulegraph"],
        **more,
    )


CONCLUSIONS = [
    {"claim": "L2", "verdict": "inconclusive", "text": "The lr curve's shape is unclear."},
    {"claim": "D2", "verdict": "supported", "text": "Use BN in deep sigmoid nets & tanh."},
    {"claim": "D3", "verdict": "contradicted", "text": "Shallow nets did best <here>."},
]
CONFIG = {"families": {"depth": {"dataset": "poly2"}, "lr": {"dataset": "poly2"}}, "seeds": 3}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    study = write_study(tmp, depth_lr_tidies())
    claims = fixture_claims()
    provenance = collect_provenance(CONFIG, REPO)
    html_out, pdf_out = tmp / "out" / "report.html", tmp / "out" / "report.pdf"
    datasets = {"poly2": {"name": "poly2", "n_train": 700, "n_test": 300}}
    context = render_report(
        study_inputs(study, claims, provenance, datasets=datasets), html_out, pdf_out
    )
    return {
        **study,
        "html": html_out.read_text(encoding="utf-8"),
        "pdf": pdf_out.read_bytes(),
        "pdf_path": pdf_out,
        "html_path": html_out,
        "claims": claims,
        "conclusions": CONCLUSIONS,
        "provenance": provenance,
        "context": context,
        "out": html_out.parent,
    }


def section(html: str, sid: str) -> str:
    """The HTML of the top-level ``<section id=sid>``, up to the next one."""
    start = html.index(f'<section id="{sid}"')
    ends = [
        i for i in (html.find("\n<section id=", start + 1), html.find("<script>", start)) if i > 0
    ]
    return html[start : min(ends)]


def text(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace collapsed."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_writes_html_and_pdf_atomically(inputs):
    assert inputs["html"].startswith("<!DOCTYPE html>")
    assert inputs["pdf"].startswith(b"%PDF")
    assert len(inputs["pdf"]) > 10_000
    # Beside them only the snapshot the next build compares with; no temporary file is left.
    names = sorted(p.name for p in inputs["out"].iterdir())
    assert names == ["last_build", "report.html", "report.pdf"]


def test_sections_in_paper_order_with_contents(inputs):
    html = inputs["html"]
    order = ["abstract", "contents", "introduction", "setup", "results", "claims"]
    order += ["strategy", "limitations", "changes", "references", "appendix"]
    positions = [html.index(f'id="{sid}"') for sid in order]
    assert positions == sorted(positions)
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S)[0]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets[:3] == ["introduction", "setup", "results"]
    assert targets[3:5] == ["family-depth", "family-lr"]  # the results' subsections
    for target in targets:
        assert f'id="{target}"' in html, target
    # Numbered as the contents say.
    assert re.search(r'<h3><span class="secno">3\.1</span> ' + FAMILIES["depth"].title, html)
    assert re.search(r'<h2 data-number="4"><span class="secno">4</span> Claims', html)


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


def test_claims_table_sorts_in_the_page_with_inline_code(inputs):
    claims = section(inputs["html"], "claims")
    assert '<table class="claims sortable">' in claims
    heads = re.findall(r'<th[^>]*data-type="(\w+)"[^>]*>([^<]+)</th>', claims)
    assert [h for _, h in heads] == ["claim", "family", "verdict", "effect", "seeds"]
    d2 = re.search(r'<tr id="claim-D2"[^>]*>(.*?)</tr>', claims, re.S)[1]
    sorts = re.findall(r'data-sort="([^"]*)"', d2)
    assert sorts == ["0", "depth", "0", repr(0.52), "3"]  # study order, verdict order, raw
    b1 = re.search(r'<tr id="claim-B1"[^>]*>(.*?)</tr>', claims, re.S)[1]
    assert re.findall(r'data-sort="([^"]*)"', b1)[3:] == ["", ""]  # blanks sort last
    html = inputs["html"]
    assert html.count("<script>") == 1 and "<script src" not in html
    assert 'querySelectorAll("table.sortable")' in html


def test_abstract_counts_and_strongest_effects(inputs):
    abstract = section(inputs["html"], "abstract") if False else ""
    abstract = re.search(r'<section class="abstract".*?</section>', inputs["html"], re.S)[0]
    counts = dict(re.findall(r'data-verdict="([^"]+)">(\d+)<', abstract))
    expected = inputs["claims"]["verdict"].value_counts().to_dict()
    assert {k: int(v) for k, v in counts.items()} == {v: expected.get(v, 0) for v in VERDICTS}
    words = text(abstract)
    assert "re-test 4 such rules" in words
    # The decided claims, largest |effect| first: D2 (0.52) then D3 (−0.4); L2 is open.
    strongest = words[words.index("The largest effects") :]
    assert strongest.index("D2") < strongest.index("D3") and "L2" not in strongest
    assert "effect 0.52, 95 % interval [0.21, 0.83], 3 seeds" in strongest
    assert "effect −0.4, 95 % interval [−0.7, −0.1]" in strongest


def test_introduction_quotes_the_literature_with_references(inputs):
    intro = text(section(inputs["html"], "introduction"))
    for key, numbers in LITERATURE.items():
        for value in numbers.values():
            assert value in intro, (key, value)
    assert "Batch Normalization [1]" in intro and "Dive into Deep Learning [2]" in intro
    assert "Group Normalization [3]" in intro
    refs = section(inputs["html"], "references")
    labels = re.findall(r'<span class="ref-label">([^<]+)</span>', refs)
    assert labels == ["[1]", "[2]", "[3]"]  # no Fashion-MNIST: the study did not use it
    assert "Ioffe" in refs and "Group Normalization" in refs


def test_total_compute_time_is_the_sum_of_wall_times(inputs):
    total = sum(s["wall_time"].sum() for s in inputs["summaries"].values())
    n_runs = sum(len(s) for s in inputs["summaries"].values())
    assert total == pytest.approx(n_runs * EPOCHS * WALL)  # diverged seeds still cost time
    shown = re.search(r'id="total-compute" data-seconds="([^"]+)">([^<]+)<', inputs["html"])
    assert float(shown.group(1)) == pytest.approx(total)
    assert shown.group(2) == fmt_duration(total)
    jobs = re.search(r'id="total-jobs" data-seconds="([^"]+)">([^<]+)<', inputs["html"])
    assert float(jobs.group(1)) == pytest.approx(sum(s for s, _ in BENCHMARKS.values()))


def test_figures_numbered_in_order_with_key_numbers_and_provenance(inputs):
    html = inputs["html"]
    numbers = [int(n) for n in re.findall(r'<span class="fig-label">Figure (\d+)\.</span>', html)]
    n_family = sum(len(f) for f in inputs["figures"].values())
    assert numbers == list(range(1, n_family + 3))  # + the jobs and the rule graph
    depth = _section(html, "depth")
    fig = re.search(r'<figure id="fig-depth-final_vs_depth".*?</figure>', depth, re.S)[0]
    caption = text(fig)
    # The caption's key numbers are the family's best and worst configurations.
    summary = inputs["summaries"]["depth"]
    agg = aggregate(summary, ["depth", "act", "bn"], "final_test", log=True)
    best = agg.loc[agg["mean"].idxmin()]
    assert f"lowest final test MSE {fmt(best['mean'])} " in caption
    assert fmt_interval(best["ci_low"], best["ci_high"]) in caption
    assert f"depth {best['depth']} · {best['act']} · BN {best['bn']}" in caption
    assert "1 of 24 runs diverged" in caption
    # Provenance: the command for just this figure, its tables, its configurations.
    path = display_path(inputs["figures"]["depth"]["final_vs_depth"])
    assert f"Regenerate: snakemake --cores 1 --force {path}" in caption
    for table in inputs["tables"]["depth"]:
        assert display_path(table) in caption
    assert "8 configurations: results/runs/depth/<configuration>/config.json" in caption
    rev = inputs["provenance"]["code_revision"]
    assert f"bnstudy/figures/ at revision {rev}" in caption
    # The family text points at its figures by number, with links.
    first = numbers[0]
    assert f'<a href="#fig-depth-curves">Figures {first}–{first + 2}</a>' in depth


def test_family_text_is_chosen_by_the_verdicts(inputs):
    depth = text(_section(inputs["html"], "depth"))
    assert "Of the 2 claims judged on this family, 1 is supported, 1 contradicted" in depth
    assert "D2 supported" in depth and "Use BN in deep sigmoid nets & tanh." in depth
    assert "D3 contradicted" in depth and "Shallow nets did best <here>." in depth
    lr = text(_section(inputs["html"], "lr"))
    assert "L2 inconclusive" in lr and "The lr curve's shape is unclear." in lr
    # The literature next to this family's numbers: BN and the largest stable lr.
    assert "The BN paper [1] reports that BN allows higher learning rates" in lr
    assert "BN none: 0.03, BN pre: 0.3" in lr


def test_strategy_is_a_numbered_list_from_the_verdicts(inputs):
    strategy = section(inputs["html"], "strategy")
    items = re.findall(
        r'<li class="([\w-]+)">\s*<span class="certainty[^"]*">([^<]+)</span>', strategy
    )
    assert items == [
        ("supported", "recommended"),
        ("contradicted", "rule refuted"),
        ("inconclusive", "unproven"),
    ]
    words = text(strategy)
    assert words.index("Use BN in deep sigmoid nets") < words.index("Shallow nets did best")
    assert "How sure: supported: the 95 % interval lies on the claimed side (3 seeds)" in words
    assert "1 rule of thumb is neither confirmed nor refuted" in words
    assert "B1" not in words  # not run: nothing to recommend


def test_no_failed_configuration_no_note(inputs):
    assert "failed-note" not in inputs["html"].split("</style>")[-1]
    assert "Failed configurations" not in inputs["html"]


def test_limitations_follow_what_was_used(inputs):
    items = [
        text(li)
        for li in re.findall(r"<li>(.*?)</li>", section(inputs["html"], "limitations"), re.S)
    ]
    joined = " ".join(items)
    assert "Hardware: the runs trained on the CPU" in joined
    assert "Synthetic data: poly2 are generated by the pipeline" in joined
    assert "Seeds: 3 seeds per configuration" in joined
    assert "Divergence: 4 of 36 runs diverged" in joined
    # 3 judged claims at 95 %: 0.15 expected wrong by chance; D2 and D3 decided.
    assert "3 claims are judged" in joined and "about 0.15 verdicts" in joined
    assert "(2 are decided)" in joined
    assert "Not run: the families of B1" in joined
    assert "training sets small (poly2 700 samples)" in joined


def test_first_build_says_so(inputs):
    changes = text(section(inputs["html"], "changes"))
    assert "This is the first build" in changes
    assert (inputs["out"] / "last_build" / "manifest.json").is_file()


def test_conclusions_are_listed_supported_first(inputs):
    strategy = section(inputs["html"], "strategy")
    positions = []
    for c in inputs["conclusions"]:
        escaped = str(markupsafe.escape(c["text"]))
        assert escaped in strategy, c["text"]
        positions.append((VERDICTS.index(c["verdict"]), strategy.index(escaped)))
    assert [p for _, p in sorted(positions)] == sorted(p for _, p in positions)


def test_self_contained_with_embedded_figures_and_fonts(inputs):
    html = inputs["html"]
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', html, re.I)
    assert "<link" not in html and "@import" not in html
    assert re.findall(r"url\((?!data:)", html) == []  # every url() is a data URI
    assert "<style>" in html
    n_figures = sum(len(f) for f in inputs["figures"].values()) + 2  # + jobs, rule graph
    assert html.count('<img src="data:image/svg+xml;base64,') == n_figures
    faces = re.findall(r'@font-face \{ font-family: "([^"]+)"', html)
    assert len(faces) == len(FONT_FACES)
    assert html.count("src: url(data:font/woff;base64,") == len(FONT_FACES)
    assert FONTS_MARKER not in html


def test_font_subsets_cover_the_text():
    import base64
    import io

    from fontTools.ttLib import TTFont

    css = font_css("γ → ×10⁻³ – “quoted”")
    first = re.search(r"base64,([^)]+)\)", css)[1]
    font = TTFont(io.BytesIO(base64.b64decode(first)))
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in "γ→×⁻³–“”Az09")


def test_family_tables_count_diverged_seeds(inputs):
    html = inputs["html"]
    assert "3 of 3 seeds" in _section(html, "lr")
    assert "1 of 3 seeds" in _section(html, "depth")
    # Families appear in config order.
    assert html.index('id="family-depth"') < html.index('id="family-lr"')


def test_appendix_jobs_from_benchmarks_and_rule_graph(inputs):
    appendix = section(inputs["html"], "appendix")
    per_rule = re.search(r'<table class="per-rule">.*?</table>', appendix, re.S)[0]
    rows = {
        m[0]: m[1:]
        for m in re.findall(
            r"<tr><td><code>(\w+)</code></td>" + r'<td class="num">([^<]*)</td>' * 5, per_rule
        )
    }
    # In the rule graph's order (by layer, sources first), only rules with benchmark files.
    assert list(rows) == ["make_dataset", "train_config", "judge_claims", "plot_figure"]
    assert rows["train_config"] == ("3", "56", "14", "30", "310")  # "-" memory is missing
    every = re.search(r'<table class="runtimes">.*?</table>', appendix, re.S)[0]
    assert every.count("<code>train_config</code>") == 3
    assert "<code>depth/act~relu/bn~pre</code>" in every
    assert 'id="fig-jobs"' in appendix and 'id="fig-rulegraph"' in appendix
    assert "The workflow's 8 rules and their dependencies" in text(appendix)
    index = re.search(r'<table class="figure-index">.*?</table>', appendix, re.S)[0]
    assert index.count("<tr>") == 1 + sum(len(f) for f in inputs["figures"].values()) + 2


def test_read_benchmarks(inputs):
    jobs = read_benchmarks(inputs["benchmarks"])
    assert len(jobs) == len(BENCHMARKS)  # the empty file is skipped
    judge = jobs[jobs["rule"] == "judge_claims"].iloc[0]
    assert judge["job"] == "–" and judge["s"] == 3.0 and judge["max_rss"] == 140
    lr = jobs[jobs["job"] == "lr/bn~pre/lr~0.3"].iloc[0]
    assert lr["rule"] == "train_config" and np.isnan(lr["max_rss"])
    assert read_benchmarks(inputs["benchmarks"] / "missing").empty


def test_provenance(inputs):
    prov = inputs["provenance"]
    for key in ["python", "torch", "snakemake", "pandas", "numpy", "matplotlib", "scipy"]:
        assert key in prov["versions"]
        assert f"<td>{key}</td>" in inputs["html"]
    assert prov["code_revision"]
    assert "families:" in prov["config_yaml"]
    assert "depth:" in section(inputs["html"], "appendix")
    assert "snakemake --cores 1 results/report/report.html" in inputs["html"]
    assert collect_provenance({}, "/")["code_revision"] == "unknown"
    smoke = collect_provenance({}, "/", ["config/smoke.yaml"])
    assert smoke["configfiles"] == ["config/smoke.yaml"]
    assert snakemake_prefix(smoke["configfiles"]) == (
        "snakemake --cores 1 --configfile config/smoke.yaml"
    )


def test_number_formatting():
    assert fmt(float("nan")) == "–"
    assert fmt(None) == "–"
    assert fmt(0.0123456) == "0.0123"
    assert fmt(123456.0) == "1.23×10⁵"
    assert fmt_interval(np.nan, 1.0) == "–"
    assert fmt_interval(0.5, 1.25) == "[0.5, 1.25]"


def test_advice_texts_fill_the_claims_sentences():
    claims = fixture_claims()
    advice = {a["claim"]: a for a in advice_texts(claims)}
    assert set(advice) == {"D2", "D3", "L2"}  # not run: no advice
    template = next(c for c in CLAIMS if c.id == "D2").advice["supported"]
    assert advice["D2"]["text"] == template.format(ci="0.52, 95\u00a0% CI [0.21, 0.83], 3 seeds")
    empty = claims.assign(n_seeds=[0, 3, 2, np.nan], effect=[np.nan, -0.4, 0.05, np.nan])
    assert "no usable seed pairs" in advice_texts(empty)[0]["text"]


def test_render_files_reads_the_pipeline_outputs(inputs, tmp_path):
    """The Snakemake entry point: claims CSV, summary CSVs and figure paths listed per family."""
    claims_path = tmp_path / "claims.csv"
    inputs["claims"].to_csv(claims_path, index=False)
    dot = tmp_path / "rulegraph.dot"
    dot.write_text(RULEGRAPH_DOT)
    html_out, pdf_out = tmp_path / "r" / "report.html", tmp_path / "r" / "report.pdf"
    runs = {}
    for fam in ("lr", "depth"):
        runs[fam] = tmp_path / f"{fam}_runs.csv"
        pd.DataFrame(
            {
                "config_id": ["bn~pre/lr~9", "bn~none/lr~9"],
                "status": ["failed" if fam == "lr" else "ok", "ok"],
                "error": ["RuntimeError: out of memory" if fam == "lr" else "", ""],
            }
        ).to_csv(runs[fam], index=False)
    render_files(
        study={"families": {"lr": {}, "depth": {}}},
        runs={fam: str(path) for fam, path in runs.items()},
        claims_path=claims_path,
        summaries={fam: paths[1] for fam, paths in inputs["tables"].items()},
        figures={fam: list(figs.values()) for fam, figs in inputs["figures"].items()},
        html_out=str(html_out),
        pdf_out=str(pdf_out),
        jobs=inputs["jobs_files"],
        rulegraph=(dot, inputs["rulegraph"][1]),
        configfiles=["config/smoke.yaml"],
    )
    html = html_out.read_text(encoding="utf-8")
    assert pdf_out.read_bytes().startswith(b"%PDF")
    assert str(markupsafe.escape(claim_statement("D2"))) in html
    # The claims' own advice, with the report's numbers.
    d2 = next(a for a in advice_texts(inputs["claims"]) if a["claim"] == "D2")
    assert str(markupsafe.escape(d2["text"])) in html
    # The study's families follow docs/study.md's order, whatever the config's.
    assert html.index('id="family-depth"') < html.index('id="family-lr"')
    assert html.count('<img src="data:image/svg+xml;base64,') == 6 + 2
    assert 'id="additional"' not in html  # no family of the user's own
    # Commands rerun this study: its config file, not the default one.
    assert "snakemake --cores 1 --configfile config/smoke.yaml --force " in html
    assert (tmp_path / "r" / "last_build" / "claims.csv").is_file()
    # A failed configuration is marked in its family's section and in the limitations.
    assert 'id="failed-depth"' not in html
    note = text(html[html.index('id="failed-lr"') :].split("</p>")[0])
    assert "1 configuration failed" in note
    assert "bn~pre/lr~9 (RuntimeError: out of memory)." in note
    limits = text(section(html, "limitations"))
    assert "Failed configurations: 1 configuration(s) failed to train" in limits
    assert "(lr/bn~pre/lr~9)" in limits


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


def _placeholder_svg(path: Path, label: str) -> str:
    """A small valid SVG: the report embeds figures, it does not look inside them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="504" height="200" viewBox="0 0 504 200">'
        f'<rect width="504" height="200" fill="#eee"/><text x="10" y="30">{label}</text></svg>'
    )
    return str(path)


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
        columns=CLAIM_COLUMNS,
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


def _section(html: str, family: str) -> str:
    return re.search(rf'<section class="family" id="family-{family}">.*?</section>', html, re.S)[0]


def test_every_family_has_a_section_in_study_order(every_family):
    html = every_family["html"]
    assert every_family["pdf"].startswith(b"%PDF")
    positions = [html.index(f'id="family-{fam}"') for fam in KNOWN_FAMILIES]
    assert positions == sorted(positions)
    for fam in KNOWN_FAMILIES:
        sec = _section(html, fam)
        assert FAMILIES[fam].title in sec
        assert str(markupsafe.escape(FAMILIES[fam].description)) in sec
        assert sec.count("<figure") == len(every_family["figures"][fam])
        assert sec.count("Key numbers:") == len(every_family["figures"][fam])
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


def test_fashion_mnist_source_is_named_and_cited(every_family):
    meta = {**IMAGES_META, "source": "fashion_mnist", "class_names": ["T-shirt/top"] * 10}
    context = build_context(
        ReportInputs(
            config={},
            claims=pd.DataFrame(columns=COLUMNS),
            conclusions=[],
            summaries={"lenet": every_family["summaries"]["lenet"]},
            figures={},
            provenance={},
            datasets={"images": meta},
        )
    )
    sections = context["sections"]
    (images,) = sections["setup"]["datasets"]
    assert images["text"].startswith("Fashion-MNIST") and images["samples"] is None
    assert images["text"].endswith("[4]")
    references = sections["references"]["items"]
    assert [r["label"] for r in references] == ["[1]", "[2]", "[3]", "[4]"]
    assert "Xiao" in references[-1]["text"]
    assert [m["id"] for m in sections["setup"]["models"]] == ["lenet"]
    limitations = sections["limitations"]["points"]
    assert any("Fashion-MNIST" in item for item in limitations)
    assert not any("Synthetic data" in item for item in limitations)


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
