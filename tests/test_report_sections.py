"""The report's sections on how the verdicts were reached and what ran: the claims table
with both readings and their checks, the strategy that follows the tuned reading, the
methods in plain words, and the compute budget.

The fixture study of ``test_report`` (depth with a learning-rate sweep, lr with a budget
note, benchmark files with and without CPU times), rendered to HTML only: these tests
read words and numbers, not the PDF.
"""

from __future__ import annotations

import re

import pytest
from test_report import (
    BUDGET_NOTE,
    CONFIG,
    EPOCHS,
    POLY2,
    REPO,
    _tbody,
    depth_lr_tidies,
    fixture_claims,
    prose,
    section,
    study_inputs,
    text,
    write_study,
)

from bnstudy.report.context import build_context
from bnstudy.report.fmt import fmt
from bnstudy.report.provenance import collect_provenance
from bnstudy.report.render import render_html


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The fixture study's report as HTML, with what it was made from."""
    study = write_study(tmp_path_factory.mktemp("sections"), depth_lr_tidies(), True)
    provenance = collect_provenance(CONFIG, REPO)
    report = study_inputs(study, fixture_claims(), provenance, datasets={"poly2": POLY2})
    html = render_html(build_context(report), fonts=False)
    return {**study, "html": html, "provenance": provenance}


def test_claims_table_shows_both_readings_and_their_checks(inputs):
    claims = section(inputs["html"], "claims")
    intro = text(claims.split("<table")[0])
    assert "2 claims are also read tuned" in intro
    assert "The readings disagree for D4; the tuning strategy (Section 8)" in prose(
        claims.split("<table")[0]
    )
    # D4: supported as run, contradicted tuned, the learning rates each arm was judged at.
    d4 = _tbody(claims, "D4")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", d4, re.S)
    assert len(rows) == 2
    as_run, tuned = text(rows[0]), text(rows[1])
    assert (
        as_run.startswith("D4") and "as run supported 0.2 [0.05, 0.35] 3 yes yes 0.2 yes" in as_run
    )
    assert tuned == "tuned: none 0.1, pre 0.01 contradicted −0.3 [−0.5, −0.1] 3 yes yes 0.2 yes"
    assert "Tuned: tuned detail" in as_run and "The readings disagree" in as_run
    assert 'class="verdict-supported disagree"' in d4
    # D2: as run only, not after Holm; its seeds.
    d2 = _tbody(claims, "D2")
    assert d2.count("<tr") == 1
    assert "as run supported 0.52 [0.21, 0.83] 3 yes no 0.3 yes" in text(d2)
    assert "seeds 0–2" in text(d2)
    # L2: an arm that did not learn is named, and marked.
    l2 = _tbody(claims, "L2")
    assert '<td class="check not-learned">BN none at lr 0.3 did not learn</td>' in l2
    assert "seeds 0–1" in text(l2)
    # Not run: every check a dash.
    assert "as run not run – – – – – – – family not in config" in text(_tbody(claims, "B1"))


def test_strategy_follows_the_tuned_reading_and_marks_holm(inputs):
    strategy = section(inputs["html"], "strategy")
    words = text(strategy)
    assert "1 recommendation rests on a verdict that does not survive Holm's correction" in words
    items = re.findall(r'<li class="[\w-]+">(.*?)</li>', strategy, re.S)
    d2 = next(i for i in items if "claim-D2" in i)
    assert '<span class="holm-mark">not after Holm</span>' in d2
    d4 = text(next(i for i in items if "claim-D4" in i))
    assert d4.startswith("rule refuted Tuned, tanh gains no more than sigmoid.")
    assert "As run, with one learning rate for every arm, it was supported" in d4
    assert "holm-mark" not in next(i for i in items if "claim-D4" in i)
    assert "L2 The lr curve's shape is unclear. Its seeds show no effect larger than 0.4" in words


def test_methods_say_how_verdicts_are_computed(inputs):
    methods = section(inputs["html"], "methods")
    heads = re.findall(r"<dt>([^<]+)</dt>", methods)
    assert heads == [
        "Paired effects",
        "Intervals",
        "No decision from zero spread",
        "Selection on validation data",
        "Did it learn?",
        "As run and tuned",
        "Many claims at once (Holm)",
        "Power",
        "Stability",
    ]
    words = prose(methods)
    assert "the same seeds (seeds 0–2)" in words
    assert "95 % Student-t interval" in words
    # The sign-flip test: 2/2ⁿ for the seed counts the claims used; 6 seeds reach 0.05.
    assert "2/2ⁿ (0.5 with 2 seeds; 0.25 with 3 seeds)" in words
    assert "Reaching 0.05 takes at least 6 seeds" in words
    assert "(poly2: 300 validation samples)" in words
    assert "In this build 1 of the 4 judged claims has an arm that did not learn" in words
    assert "(depth: 0.1 besides 0.03)" in words
    assert (
        "In this build 2 claims have a tuned reading (D3, D4), and the two readings disagree for 1"
        in words
    )
    assert "4 claims judged at 95 % each would give about 0.2 wrong verdicts" in words
    assert "p-values of all 4 claims that have one" in words
    assert "2 of the 3 decided verdicts hold after the correction" in words
    assert "detect 80 % of the time" in words and '"no effect larger than the MDE"' in words
    assert "2 of the 3 decided verdicts are stable" in words
    assert '<a href="#claims">Section 7</a>' in methods


def test_budget_counts_runs_steps_examples_and_compute(inputs):
    budget = section(inputs["html"], "budget")
    rows = {
        text(r).split()[0]: text(r)
        for r in re.findall(r"<tr>(.*?)</tr>", budget.split("<tbody>")[1], re.S)
    }
    # depth: 8 configurations × 2 learning rates (its own and the sweep's) × 3 seeds.
    sweep = inputs["sweeps"]["depth"]
    examples = 700 * sweep["epochs_done"].sum()
    steps = 700 // 50 * EPOCHS
    assert rows["depth"] == (
        f"depth poly2 700 8 3 (0–2) 2 48 {EPOCHS} {steps} {fmt(examples)} 26 24.5"
    )
    # lr: no sweep; its benchmark file did not sample the CPU time.
    assert (
        rows["lr"]
        == f"lr poly2 700 4 3 (0–2) 1 12 {EPOCHS} {steps} "
        + fmt(700 * inputs["summaries"]["lr"]["epochs_done"].sum())
        + " 30 –"
    )
    total = text(re.search(r'<tr class="total">.*?</tr>', budget, re.S)[0])
    assert total.startswith("the study 12 60 ") and total.endswith(" 56 24.5")
    words = prose(budget)
    assert "In all: 56 s of training and 24.5 s of CPU time, on " in words
    assert inputs["provenance"]["hardware"] in words
    assert f"lr: {BUDGET_NOTE}" in words
    assert "from Snakemake's benchmark files" in words
    assert '<a href="#family-lr">lr</a>' in budget
