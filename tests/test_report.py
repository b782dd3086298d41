"""The report renders HTML and PDF from small synthetic inputs: structure, words and numbers.

No training: the families are small synthetic grids (the helpers of ``test_figures``),
the claims a fixed table, Snakemake's benchmark files and rule graph written by hand.
The tests assert the paper's structure (sections, contents, numbered figures, anchors),
that every number shown is the one computed from the inputs, and that the words that
state a result are the ones its verdict chooses. This module holds the fixture study the
other report tests share; ``test_report_sections`` checks the claims, methods and budget
sections on it, ``test_report_families`` every family of the study.
"""

from __future__ import annotations

import itertools
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
from bnstudy.claims.verdict import VERDICTS
from bnstudy.families import FAMILIES, figure_names
from bnstudy.figures.make import plot_family
from bnstudy.figures.rulegraph import draw_rulegraph
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
BASELINE = 1.5  # test MSE of predicting the training mean: a run learned below 0.9 × this
#: The claims table before it had tuned readings and checks: the report must still read it.
OLD_CLAIM_COLUMNS = ["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds"]
OLD_CLAIM_COLUMNS += ["detail"]
CLAIM_COLUMNS = [*OLD_CLAIM_COLUMNS, "p_value", "holm", "mde", "stable", "learned", "seeds"]
CLAIM_COLUMNS += ["tuned_verdict", "tuned_effect", "tuned_ci_low", "tuned_ci_high"]
CLAIM_COLUMNS += ["tuned_n_seeds", "tuned_lrs", "tuned_detail", "readings_agree"]
CLAIM_COLUMNS += ["tuned_p_value", "tuned_holm", "tuned_mde", "tuned_stable", "tuned_learned"]

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
#: CPU seconds of some jobs' benchmark files ("NA": not sampled; the others lack the column).
CPU_TIMES = {
    "train_config/depth/act~relu/bn~none.tsv": "11.5",
    "train_config/depth/act~relu/bn~pre.tsv": "13.0",
    "train_config/lr/bn~pre/lr~0.3.tsv": "NA",
}
#: The depth family's learning-rate sweep: each configuration also trains at this lr.
SWEEP_LR = 0.1


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
                    metrics["baseline_loss"] = BASELINE
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


NO_TUNED = ["", np.nan, np.nan, np.nan, np.nan, "", "", ""] + ["", np.nan, "", np.nan, ""]


def fixture_claims(d2=("supported", 0.52, 0.21, 0.83)) -> pd.DataFrame:
    """Four judged claims and one not run, with the columns of today's claims table.

    D2 is supported as run but not after Holm; D3 contradicted in both readings; D4
    supported as run and contradicted tuned (the readings disagree: the strategy follows
    the tuned one); L2 inconclusive, with an arm that did not learn and its MDE.
    """
    verdict, effect, low, high = d2
    checks = {
        "D2": [0.03, "no", 0.3, "yes", "yes", "0 1 2"],
        "D3": [0.004, "yes", 0.25, "no", "yes", "0 1 2"],
        "D4": [0.01, "yes", 0.2, "yes", "yes", "0 1 2"],
        "L2": [0.6, "no", 0.4, "", "BN none at lr 0.3 did not learn", "0 1"],
        "B1": [np.nan, "", np.nan, "", "", ""],
    }
    tuned = {
        "D3": ["contradicted", -0.5, -0.8, -0.2, 3, "none 0.01, pre 0.1", "", "yes"]
        + [0.002, "yes", 0.25, "no", "yes"],
        "D4": ["contradicted", -0.3, -0.5, -0.1, 3, "none 0.1, pre 0.01", "tuned detail", "no"]
        + [0.005, "yes", 0.2, "yes", "yes"],
    }
    rows = [
        ["D2", "depth", verdict, effect, low, high, 3, "effect(depth 3) > effect(depth 1)"],
        ["D3", "depth", "contradicted", -0.4, -0.7, -0.1, 3, "best depth is 1"],
        ["D4", "depth", "supported", 0.2, 0.05, 0.35, 3, "tanh gains more"],
        ["L2", "lr", "inconclusive", 0.05, -0.2, 0.3, 2, "minimum at an edge of the grid"],
        ["B1", "batch", "not run", np.nan, np.nan, np.nan, np.nan, "family not in config"],
    ]
    return pd.DataFrame(
        [row + checks[row[0]] + tuned.get(row[0], NO_TUNED) for row in rows],
        columns=CLAIM_COLUMNS,
    )


def old_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """A claims table as written before the tuned readings and checks existed."""
    return claims[OLD_CLAIM_COLUMNS]


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
        head, row = "s\th:m:s\tmax_rss\tmax_vms", f"{s}\t0:00:0{int(s) % 10}\t{rss}\t900"
        if rel in CPU_TIMES:
            head, row = f"{head}\tcpu_time", f"{row}\t{CPU_TIMES[rel]}"
        path.write_text(f"{head}\n{row}\n")
    (bench / "being_written.tsv").write_text("")  # Snakemake may be writing one: skipped
    dot = tmp / "rulegraph.dot"
    dot.write_text(RULEGRAPH_DOT)
    draw_rulegraph(dot, tmp / "rulegraph.svg")
    jobs_files = (str(tmp / "jobs.csv"), str(tmp / "job_resources.svg"))
    jobs = plot_job_resources(bench, dot, jobs_files[1], jobs_files[0])
    depth = summaries["depth"]
    sweeps = {
        "depth": pd.concat([depth.assign(slot_lr=depth["lr"]), depth.assign(slot_lr=SWEEP_LR)])
    }
    return {
        "summaries": summaries,
        "sweeps": sweeps,
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
        sweeps=study["sweeps"],
        jobs=study["jobs"],
        jobs_figure=study["jobs_files"][1],
        rulegraph=study["rulegraph"],
        **more,
    )


CONCLUSIONS = [
    {"claim": "L2", "verdict": "inconclusive", "text": "The lr curve's shape is unclear."},
    {"claim": "D2", "verdict": "supported", "text": "Use BN in deep sigmoid nets & tanh."},
    {"claim": "D3", "verdict": "contradicted", "text": "Shallow nets did best <here>."},
    {"claim": "D4", "verdict": "contradicted", "text": "Tuned, tanh gains no more than sigmoid."},
]
BUDGET_NOTE = "two of the eight learning rates, to fit 45 minutes"
CONFIG = {
    "families": {
        "depth": {"dataset": "poly2", "fixed": {"lr": 0.03, "lr_sweep": [SWEEP_LR]}},
        "lr": {"dataset": "poly2", "budget_note": BUDGET_NOTE},
    },
    "seeds": 3,
}
POLY2 = {"name": "poly2", "n_train": 700, "n_val": 300, "n_test": 300}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    study = write_study(tmp, depth_lr_tidies())
    claims = fixture_claims()
    provenance = collect_provenance(CONFIG, REPO)
    html_out, pdf_out = tmp / "out" / "report.html", tmp / "out" / "report.pdf"
    datasets = {"poly2": POLY2}
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


def prose(fragment: str) -> str:
    """Visible text of running prose: inline tags dropped without a space, so that
    "(<a>D3</a>, <a>D4</a>)" reads "(D3, D4)"."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def text(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace collapsed."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _tbody(html: str, claim: str) -> str:
    """A claim's entry of the claims table: its as-run row and its tuned row, if any."""
    start = html.index(f'<tr id="claim-{claim}"')
    return html[start : html.index("</tbody>", start)]


def _placeholder_svg(path: Path, label: str) -> str:
    """A small valid SVG: the report embeds figures, it does not look inside them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="504" height="200" viewBox="0 0 504 200">'
        f'<rect width="504" height="200" fill="#eee"/><text x="10" y="30">{label}</text></svg>'
    )
    return str(path)


def _section(html: str, family: str) -> str:
    return re.search(rf'<section class="family" id="family-{family}">.*?</section>', html, re.S)[0]


def test_writes_html_and_pdf_atomically(inputs):
    assert inputs["html"].startswith("<!DOCTYPE html>")
    assert inputs["pdf"].startswith(b"%PDF")
    assert len(inputs["pdf"]) > 10_000
    # Beside them only the snapshot the next build compares with; no temporary file is left.
    names = sorted(p.name for p in inputs["out"].iterdir())
    assert names == ["last_build", "report.html", "report.pdf"]


def test_sections_in_paper_order_with_contents(inputs):
    html = inputs["html"]
    order = ["abstract", "contents", "introduction", "setup", "methods", "budget", "results"]
    order += ["reproduction", "claims", "strategy", "limitations", "changes", "references"]
    order += ["appendix"]
    positions = [html.index(f'id="{sid}"') for sid in order]
    assert positions == sorted(positions)
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S)[0]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets[:5] == ["introduction", "setup", "methods", "budget", "results"]
    assert targets[5:7] == ["family-depth", "family-lr"]  # the results' subsections
    assert targets[7:9] == ["reproduction", "claims"]
    for target in targets:
        assert f'id="{target}"' in html, target
    # Numbered as the contents say.
    assert re.search(r'<h3><span class="secno">5\.1</span> ' + FAMILIES["depth"].title, html)
    assert re.search(r'<h2 data-number="7"><span class="secno">7</span> Claims', html)


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
    # One <tbody> per claim, so that a claim and its tuned reading sort together.
    assert claims.count('<tbody class="claim">') == len(inputs["claims"])
    assert "table.tBodies" in inputs["html"]
    html = inputs["html"]
    assert html.count("<script>") == 1 and "<script src" not in html
    assert 'querySelectorAll("table.sortable")' in html


def test_abstract_counts_and_strongest_effects(inputs):
    abstract = section(inputs["html"], "abstract") if False else ""
    abstract = re.search(r'<section class="abstract".*?</section>', inputs["html"], re.S)[0]
    counts = dict(re.findall(r'data-verdict="([^"]+)">(\d+)<', abstract))
    claims = inputs["claims"]
    # Counted by the reading the report acts on: the tuned one where there is one (D4).
    final = claims["tuned_verdict"].where(claims["tuned_verdict"] != "", claims["verdict"])
    expected = final.value_counts().to_dict()
    assert {k: int(v) for k, v in counts.items()} == {v: expected.get(v, 0) for v in VERDICTS}
    assert expected["contradicted"] == 2
    words = text(abstract)
    assert "re-test 5 such rules" in words
    assert "2 claims counted by their tuned reading" in words
    assert "for 1 of them it differs from the reading as run" in words
    assert 'on <span class="data-used">poly2</span>.' in abstract  # which data
    # The decided claims, largest |effect| first: D2 (0.52) then D3 (−0.4); L2 is open.
    strongest = words[words.index("The largest effects") :]
    assert strongest.index("D2") < strongest.index("D3") and "L2" not in strongest
    assert "effect 0.52, 95 % interval [0.21, 0.83], 3 seeds" in strongest
    assert "D3 (“" not in strongest  # no statement: not a catalogue claim in the fixture
    assert "is contradicted (tuned), effect −0.5, 95 % interval [−0.8, −0.2]" in strongest


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
    assert "Of the 3 claims judged on this family, 1 is supported, 2 contradicted" in depth
    assert "(counting the tuned reading of the 2 judged also with each arm" in depth
    assert "D2 supported" in depth and "Use BN in deep sigmoid nets & tanh." in depth
    assert "D3 contradicted tuned" in depth and "Shallow nets did best <here>." in depth
    assert "D4 contradicted tuned" in depth  # the tuned reading, not the as-run one
    assert "seeds 0–2)" in depth
    # How many runs learned: not diverged, final test MSE at most 0.9 × the baseline.
    for fam in ("depth", "lr"):
        summary = inputs["summaries"][fam]
        ok = (summary["diverged"] == 0) & (summary["final_test"] <= 0.9 * BASELINE)
        assert fam == "lr" or 0 < ok.sum() < len(summary)  # depth 1 learned, depth 3 not
        assert f"{ok.sum()} of {len(summary)} runs learned" in text(_section(inputs["html"], fam))
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
        ("contradicted", "rule refuted"),
        ("inconclusive", "unproven"),
    ]
    words = text(strategy)
    assert words.index("Use BN in deep sigmoid nets") < words.index("Shallow nets did best")
    # D3 (|−0.5|) before D4 (|−0.3|): the tuned effects.
    assert words.index("Shallow nets did best") < words.index("Tuned, tanh gains no more")
    assert (
        "How sure: supported: the 95 % interval lies on the claimed side (as run, 3 seeds;" in words
    )
    assert "(tuned reading, 3 seeds; it survives leaving out any one seed)" in words  # D4
    assert "(tuned reading, 3 seeds; leaving out one seed changes it)" in words  # D3
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
    # 4 judged claims; D2, D3 and D4 (tuned) decided, D3 and D4 survive Holm.
    assert "4 claims are judged, each at 95 % confidence" in joined
    assert "2 of the 3 decided verdicts also hold after Holm's correction" in joined
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
    assert np.isnan(lr["cpu_time"]) and np.isnan(judge["cpu_time"])  # "NA", no column
    depth = jobs[jobs["job"].str.startswith("depth/") & (jobs["rule"] == "train_config")]
    assert depth["cpu_time"].sum() == pytest.approx(24.5)
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
    assert set(advice) == {"D2", "D3", "D4", "L2"}  # not run: no advice
    template = next(c for c in CLAIMS if c.id == "D2").advice["supported"]
    assert advice["D2"]["text"] == template.format(ci="0.52, 95\u00a0% CI [0.21, 0.83], 3 seeds")
    # A claim with a tuned reading gives that reading's numbers, marked as tuned.
    assert "−0.3, 95\u00a0% CI [−0.5, −0.1], 3 seeds" in advice["D4"]["text"]
    empty = claims.assign(n_seeds=[0, 3, 3, 2, np.nan], effect=[np.nan, -0.4, 0.2, 0.05, np.nan])
    assert "no usable seed pairs" in advice_texts(empty)[0]["text"]
    # An old claims table (no tuned columns) reads as before.
    old = {a["claim"]: a["text"] for a in advice_texts(old_claims(claims))}
    assert old["D2"] == advice["D2"]["text"] and "0.2, 95\u00a0% CI [0.05, 0.35]" in old["D4"]


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
