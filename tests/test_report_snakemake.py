"""End to end: the smoke study's report from a fresh copy, and Snakemake's own report of it.

The shared run of ``config/smoke.yaml`` through real Snakemake (conftest.smoke_study):
the paper report has every section, its appendix reads the real benchmark files and
rule graph, a rerun of the render compares with the snapshot the first one left, and
``snakemake --report`` packs the registered figures with their captions.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from test_report import section, text

from bnstudy.checkout import copy_run
from bnstudy.families import FAMILIES

pytestmark = pytest.mark.e2e


def _snakemake(repo: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/smoke.yaml"]
    proc = subprocess.run([*cmd, *args], cwd=repo, capture_output=True, text=True, timeout=1500)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out


@pytest.fixture(scope="module")
def smoke(smoke_study, tmp_path_factory):
    """The shared smoke run, copied: this module renders again and packs a report."""
    repo = copy_run(smoke_study[0], tmp_path_factory.mktemp("report"))
    first = (repo / "results/report/report.html").read_text(encoding="utf-8")
    return repo, first


def test_smoke_report_reads_as_a_paper(smoke):
    repo, html = smoke
    cfg = yaml.safe_load((repo / "config/smoke.yaml").read_text())
    for sid in ("introduction", "setup", "methods", "budget", "results", "reproduction", "claims"):
        assert f'<section id="{sid}">' in html, sid
    for family in cfg["families"]:
        assert f'id="family-{family}"' in html, family
        for name in FAMILIES[family].figures:
            assert f'id="fig-{family}-{name}"' in html, (family, name)
    # The first build of this checkout says so.
    assert "This is the first build" in text(section(html, "changes"))
    assert (repo / "results/report/last_build/manifest.json").is_file()
    # Commands rerun this study with its own config file.
    assert "snakemake --cores 1 --configfile config/smoke.yaml --force results/figures/" in html
    pdf = (repo / "results/report/report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")


def test_appendix_reads_the_real_benchmarks_and_rule_graph(smoke):
    repo, html = smoke
    appendix = section(html, "appendix")
    per_rule = re.search(r'<table class="per-rule">.*?</table>', appendix, re.S)[0]
    rules = re.findall(r"<tr><td><code>(\w+)</code></td>", per_rule)
    assert {"make_dataset", "train_config", "collect_metrics", "plot_figure"} <= set(rules)
    n_train = len(list((repo / "results/benchmarks/train_config").rglob("*.tsv")))
    row = re.search(r'<tr><td><code>train_config</code></td><td class="num">(\d+)<', per_rule)
    assert int(row[1]) == n_train
    dot = (repo / "results/report/rulegraph.dot").read_text()
    for rule in ("make_dataset", "train_config", "render_report", "draw_rulegraph", "all"):
        assert f'label = "{rule}"' in dot, rule
    assert 'id="fig-rulegraph"' in appendix
    # The jobs' figure is drawn by a job of its own, which the report only reads.
    assert 'label = "plot_job_resources"' in dot
    assert (repo / "results/report/job_resources.svg").is_file()
    assert 'id="fig-jobs"' in appendix


def test_rerendering_compares_with_the_last_build(smoke):
    repo, _ = smoke
    _snakemake(repo, "--forcerun", "render_report")
    html = (repo / "results/report/report.html").read_text(encoding="utf-8")
    words = text(section(html, "changes"))
    assert "Compared with the previous build" in words and "nothing changed" in words


def test_snakemakes_own_report(smoke):
    repo, _ = smoke
    zip_path = repo / "results/report/snakemake-report.zip"
    _snakemake(repo, "--report", str(zip_path.relative_to(repo)))
    cfg = yaml.safe_load((repo / "config/smoke.yaml").read_text())
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        # Each registered file under data/raw/<id>/<name>; one SVG per figure + rule graph.
        svgs = [n for n in names if n.endswith(".svg")]
        assert len(svgs) == sum(len(FAMILIES[f].figures) for f in cfg["families"]) + 1
        for end in ("report.html", "report.pdf", "claims.csv", "rulegraph.svg"):
            assert any(n.endswith(f"/{end}") for n in names), end
        # The captions (rst rendered by docutils) travel in the report's page.
        page = " ".join(z.read("snakemake-report/report.html").decode("utf-8").split())
        assert "Learning curves: test loss per epoch" in page
        assert "Regenerate just this figure with" in page.replace("\\n", " ")
