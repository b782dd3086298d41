"""What changed since the last build: two renders of different fixture studies, compared.

The first render finds no snapshot and says so; the second, on a changed study
(configurations added and removed, losses shifted, a verdict changed), lists exactly
those changes; a third on the same data says nothing changed. The snapshot is
replaced atomically and only by a successful render.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from test_report import (
    CONCLUSIONS,
    CONFIG,
    depth_lr_tidies,
    fixture_claims,
    section,
    text,
    write_study,
)

from bnstudy.report import changes
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.render import DEFAULT_TEMPLATE_DIR, STYLESHEET, TEMPLATE, render_report
from bnstudy.stats import aggregate
from bnstudy.summary import summarize


def _render(tmp, study, claims, out, revision="abc1234", template_dir=DEFAULT_TEMPLATE_DIR):
    inputs = ReportInputs(
        config=CONFIG,
        claims=claims,
        conclusions=CONCLUSIONS,
        summaries=study["summaries"],
        figures=study["figures"],
        provenance={"code_revision": revision, "generated": "now"},
        tables=study["tables"],
    )
    return render_report(inputs, out / "report.html", out / "report.pdf", template_dir)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Three renders into one folder: a first build, a changed study, the same again."""
    tmp = tmp_path_factory.mktemp("builds")
    out = tmp / "out"
    first = write_study(tmp / "one", depth_lr_tidies(), placeholder_figures=True)
    _render(tmp, first, fixture_claims(), out, revision="rev1")
    html1 = (out / "report.html").read_text(encoding="utf-8")
    snapshot1 = changes.load_snapshot(out / "last_build")
    # Depth 1 dropped, depth 4 added; every loss raised (lr: the same configurations).
    second = write_study(
        tmp / "two", depth_lr_tidies(shift=5.0, depths=(3, 4)), placeholder_figures=True
    )
    claims2 = fixture_claims(d2=("inconclusive", 0.1, -0.2, 0.4))
    _render(tmp, second, claims2, out, revision="rev2")
    html2 = (out / "report.html").read_text(encoding="utf-8")
    _render(tmp, second, claims2, out, revision="rev3")
    html3 = (out / "report.html").read_text(encoding="utf-8")
    return {
        "out": out,
        "first": first,
        "second": second,
        "html1": html1,
        "html2": html2,
        "html3": html3,
        "snapshot1": snapshot1,
    }


def test_first_build_has_no_previous(builds):
    words = text(section(builds["html1"], "changes"))
    assert "This is the first build" in words
    assert "last_build" in words
    snap = builds["snapshot1"]
    assert snap["manifest"]["code_revision"] == "rev1"
    assert snap["manifest"]["families"] == ["depth", "lr"]
    assert list(snap["claims"]["claim"]) == ["D2", "D3", "D4", "L2", "B1"]
    assert set(snap["summaries"]) == {"depth", "lr"}


def test_second_build_lists_configurations_added_and_removed(builds):
    sec = section(builds["html2"], "changes")
    words = text(sec)
    assert "Compared with the previous build" in words and "rev1" in words
    first = set(builds["first"]["summaries"]["depth"]["config_id"])
    second = set(builds["second"]["summaries"]["depth"]["config_id"])
    item = re.search(r"<li><code>depth</code>:(.*?)</li>", sec, re.S)[1]
    added = re.findall(r"<code>([^<]+)</code>", item.split("removed")[0])
    removed = re.findall(r"<code>([^<]+)</code>", item.split("removed")[1])
    assert set(added) == second - first and all("depth4" in c for c in added)
    assert set(removed) == first - second and all("depth1" in c for c in removed)
    assert "<code>lr</code>:" not in sec  # the lr family kept its configurations
    assert "Families added: none; removed: none." in words


def test_second_build_lists_the_verdict_that_changed(builds):
    sec = section(builds["html2"], "changes")
    table = re.search(r'<table class="verdict-changes">.*?</table>', sec, re.S)[0]
    rows = re.findall(r"<tr><td><a href=\"#claim-(\w+)\">", table)
    assert rows == ["D2"]  # D3, D4 and L2 kept theirs
    assert '<span class="badge supported">supported</span>' in table
    assert '<span class="badge inconclusive">inconclusive</span>' in table
    assert "0.52 [0.21, 0.83]" in table and "0.1 [−0.2, 0.4]" in table


def test_second_build_lists_metrics_beyond_their_interval(builds):
    sec = section(builds["html2"], "changes")
    table = re.search(r'<table class="moved">.*?</table>', sec, re.S)[0]
    shown = set(re.findall(r"<td><code>([^<]+)</code></td><td>([^<]+)</td>", table))
    # Expected: configurations in both builds whose new geometric-mean final loss lies
    # outside the previous interval (computed here independently).
    expected = set()
    for fam in ("depth", "lr"):
        old = builds["first"]["summaries"][fam]
        new = builds["second"]["summaries"][fam]
        common = sorted(set(old["config_id"]) & set(new["config_id"]))
        a = aggregate(old, ["config_id"], "final_test", log=True).set_index("config_id")
        b = aggregate(new, ["config_id"], "final_test", log=True).set_index("config_id")
        for cid in common:
            lo, hi, m = a.loc[cid, "ci_low"], a.loc[cid, "ci_high"], b.loc[cid, "mean"]
            if np.isfinite(lo) and np.isfinite(m) and not lo <= m <= hi:
                expected.add((cid, "final test MSE"))
    assert expected and {s for s in shown if s[1] == "final test MSE"} == expected
    # The shift raised every loss: each change is an increase, shown with its sign.
    changes_col = re.findall(r'<td class="num">([+−][^<]+)</td></tr>', table)
    assert changes_col and all(c.startswith("+") for c in changes_col)
    n = re.search(r"\((\d+) of (\d+) compared\)", text(sec))
    assert int(n[1]) == len(re.findall(r"<tr><td><a", table))


def test_same_data_again_says_nothing_changed(builds):
    words = text(section(builds["html3"], "changes"))
    assert "nothing changed" in words and "rev2" in words
    assert "Claims whose verdict changed" not in words


def test_snapshot_is_replaced_atomically(builds):
    out = builds["out"]
    # Only the finished snapshot remains: no temporary or old folder.
    assert sorted(p.name for p in out.iterdir()) == ["last_build", "report.html", "report.pdf"]
    manifest = json.loads((out / "last_build" / "manifest.json").read_text())
    assert manifest["code_revision"] == "rev3"
    # A crash between the two renames leaves the previous snapshot as .last_build.old:
    # it is read in its place.
    crashed = out.parent / "crashed"
    shutil.copytree(out / "last_build", crashed / ".last_build.old")
    assert changes.load_snapshot(crashed / "last_build")["manifest"]["code_revision"] == "rev3"
    # A snapshot without its manifest (being written) is never read.
    partial = out.parent / "partial" / "last_build"
    shutil.copytree(out / "last_build", partial)
    (partial / "manifest.json").unlink()
    assert changes.load_snapshot(partial) is None


def test_failed_render_keeps_the_previous_snapshot(builds, tmp_path):
    out = builds["out"]
    before = (out / "last_build" / "manifest.json").read_text()
    broken = tmp_path / "template"
    broken.mkdir()
    (broken / TEMPLATE).write_text("{{ no_such_value.anywhere }}")
    (broken / STYLESHEET).write_text("")
    with pytest.raises(Exception):  # noqa: B017 (any error: the render must not finish)
        _render(tmp_path, builds["second"], fixture_claims(), out, template_dir=broken)
    assert (out / "last_build" / "manifest.json").read_text() == before


def test_compare_counts_diverged_seeds_and_families():
    tidies = depth_lr_tidies()
    summaries = {fam: summarize(t) for fam, t in tidies.items()}
    previous = {
        "manifest": {"generated": "then"},
        "claims": fixture_claims(),
        "summaries": {"depth": summaries["depth"], "gone": summaries["lr"]},
    }
    now = {"depth": summaries["depth"].copy(), "lr": summaries["lr"]}
    cid = now["depth"]["config_id"].iloc[0]
    now["depth"].loc[now["depth"]["config_id"] == cid, "diverged"] = 1
    diff = changes.compare(
        previous, fixture_claims(), now, lambda fam, s: [("final_test", "final loss", True)]
    )
    assert diff["added"]["families"] == ["lr"] and diff["removed"]["families"] == ["gone"]
    diverged = [m for m in diff["moved"] if m["metric"] == "diverged seeds"]
    assert [(m["config_id"], m["diverged_before"], m["diverged_after"]) for m in diverged] == [
        (cid, "0 of 3", "3 of 3")
    ]
    assert diff["changed"] and not diff["verdicts"]
