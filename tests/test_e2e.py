"""End to end: the smoke config through real Snakemake, real training, real report."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bnstudy.checkout import copy_run
from bnstudy.claims.catalogue import CLAIM_IDS
from bnstudy.claims.verdict import COLUMNS
from bnstudy.grid import family_configs, grid_keys, sub_grids

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e
VERDICTS = {"supported", "contradicted", "inconclusive", "not run"}


def _snakemake(repo: Path, *args: str) -> str:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "2",
        "--configfile",
        "config/smoke.yaml",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out


def _run_mtimes(repo: Path) -> dict[str, float]:
    return {
        str(p.relative_to(repo)): p.stat().st_mtime_ns
        for p in (repo / "results" / "runs").rglob("metrics.csv")
    }


@pytest.fixture(scope="module")
def smoke(smoke_study, tmp_path_factory):
    """The shared smoke run, copied: this module edits its config and reruns."""
    repo, out = smoke_study
    return copy_run(repo, tmp_path_factory.mktemp("e2e")), out


def test_report_and_pdf_exist(smoke):
    repo, _ = smoke
    html = (repo / "results/report/report.html").read_text()
    assert "<html" in html and "D2" in html
    assert not re.search(r'(src|href)="https?://', html)
    assert (repo / "results/report/report.pdf").read_bytes()[:4] == b"%PDF"


def test_every_claim_has_a_verdict(smoke):
    repo, _ = smoke
    claims = pd.read_csv(repo / "results/claims/claims.csv", keep_default_na=False)
    assert list(claims.columns) == COLUMNS
    assert list(claims["claim"]) == CLAIM_IDS
    assert set(claims["verdict"]) <= VERDICTS
    # The smoke config runs every family of the study, so no claim may be "not run".
    assert (claims["verdict"] != "not run").all(), claims[claims["verdict"] == "not run"]


def test_tables_hold_every_configuration_and_seed(smoke):
    repo, _ = smoke
    cfg = yaml.safe_load((repo / "config/smoke.yaml").read_text())
    for family, block in cfg["families"].items():
        summary = pd.read_csv(repo / f"results/metrics/{family}_summary.csv")
        seeds = block.get("seeds", cfg["seeds"])
        n_seeds = len(seeds) if isinstance(seeds, list) else seeds
        assert len(summary) == len(family_configs(family, block)) * n_seeds
        tidy = pd.read_csv(repo / f"results/metrics/{family}.csv")
        assert {"config_id", "seed", "epoch", "metric", "value"} <= set(tidy.columns)
        assert set(grid_keys(block)) <= set(tidy.columns)
        assert (repo / f"results/runs/{family}").is_dir()


def test_second_run_has_nothing_to_do(smoke):
    repo, _ = smoke
    out = _snakemake(repo, "--dry-run")
    assert "Nothing to be done" in out, out[-3000:]


def _rewritten(repo: Path, edit) -> str:
    """Write the study's config back after ``edit(cfg)``, dry-run, restore it; the dry run."""
    path = repo / "config/smoke.yaml"
    original = path.read_text()
    cfg = yaml.safe_load(original)
    try:
        path.write_text(edit(cfg))
        return _snakemake(repo, "--dry-run")
    finally:
        path.write_text(original)


def test_reformatting_the_config_reruns_nothing(smoke):
    """Sorted keys, families in reverse order, flow style, no comments: values decide, not text."""
    repo, _ = smoke

    def reformat(cfg):
        cfg["families"] = dict(reversed(list(cfg["families"].items())))
        for block in cfg["families"].values():
            block["fixed"] = dict(reversed(list(block.get("fixed", {}).items())))
        return yaml.safe_dump(cfg, sort_keys=True, default_flow_style=True)

    out = _rewritten(repo, reformat)
    assert "Nothing to be done" in out, out[-3000:]


def test_reordering_grid_values_retrains_nothing(smoke):
    """The same grid values in another order are the same configurations."""
    repo, _ = smoke

    def reorder(cfg):
        for block in cfg["families"].values():
            block["grid"] = [
                {k: list(reversed(v)) for k, v in reversed(grid.items())}
                for grid in reversed(sub_grids(block))
            ]
        return yaml.safe_dump(cfg, sort_keys=False)

    out = _rewritten(repo, reorder)
    for rule in ("make_dataset", "train_config", "collect_metrics", "judge_claims"):
        assert rule not in out, out[-3000:]


def test_changing_one_lr_reruns_only_that_lr_and_its_dependents(smoke):
    repo, _ = smoke
    path = repo / "config/smoke.yaml"
    cfg = yaml.safe_load(path.read_text())
    old_lr = cfg["families"]["lr"]["grid"]["lr"][0]  # the lr family has one grid
    cfg["families"]["lr"]["grid"]["lr"][0] = 0.2
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))

    dry = _snakemake(repo, "--dry-run")
    trained = set(re.findall(r"config_id=([^\s,]+)", dry))
    families = set(re.findall(r"family=(\w+)", dry))
    assert trained and all("lr~0.2" in cid for cid in trained), trained
    assert families == {"lr"}, families
    for rule in ("train_config", "collect_metrics", "plot_figure", "judge_claims", "render_report"):
        assert rule in dry
    assert "make_dataset" not in dry

    before = _run_mtimes(repo)
    _snakemake(repo)
    after = _run_mtimes(repo)
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed and all(p.startswith("results/runs/lr/") and "lr~0.2" in p for p in changed)
    assert not any(f"lr~{old_lr}/" in p for p in after if p not in before)
    claims = pd.read_csv(repo / "results/claims/claims.csv")
    assert len(claims) == len(CLAIM_IDS)
