"""Results you can trust after faults, through the real ``snakemake`` on copies of the
shared smoke run: a damaged run file stops the next run before any job, naming the
file and a command that, pasted, rebuilds it with the same verdicts; deleted runs
are retrained, exactly those and what reads them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from workflow_helpers import jobs_run, run_snakemake

from bnstudy.checkout import copy_run

pytestmark = pytest.mark.e2e

CONFIG = "config/smoke.yaml"
RUNS = Path("results/runs")
CLAIMS = "results/claims/claims.csv"


def _planned_trainings(output: str) -> set[str]:
    """family/config_id of every train_config job a (dry) run lists."""
    return {f"{f}/{c}" for f, c in re.findall(r"family=([^,\s]+), config_id=([^\s,]+)", output)}


def _planned(output: str, rule: str) -> set[str]:
    """The families of the jobs of ``rule`` a (dry) run lists."""
    blocks = re.split(r"\n(?=(?:local)?rule \w+:)", output)
    return {
        m[1]
        for b in blocks
        if re.match(rf"(?:local)?rule {rule}:", b)
        for m in [re.search(r"wildcards: family=([^,\s]+)", b)]
        if m
    }


def _verdicts(repo: Path) -> dict[str, str]:
    claims = pd.read_csv(repo / CLAIMS)
    return dict(zip(claims["claim"], claims["verdict"], strict=True))


def _ids(repo: Path, family: str) -> list[str]:
    root = repo / RUNS / family
    return sorted(str(p.parent.relative_to(root)) for p in root.rglob("config.json"))


@pytest.fixture
def repo(smoke_study, tmp_path):
    return copy_run(smoke_study[0], tmp_path / "repo")


def test_a_damaged_run_stops_the_next_run_and_the_printed_command_rebuilds_it(smoke_study, repo):
    smoke = smoke_study[0]
    lr, depth, simple = (f"{fam}/{_ids(repo, fam)[0]}" for fam in ("lr", "depth", "simple"))
    metrics = repo / RUNS / lr / "metrics.csv"  # cut to half its bytes
    metrics.write_bytes(metrics.read_bytes()[: metrics.stat().st_size // 2])
    timing = repo / RUNS / depth / "timing.csv"  # one row deleted
    lines = timing.read_text().splitlines(keepends=True)
    timing.write_text("".join(lines[:2] + lines[3:]))
    resolved = repo / RUNS / simple / "config.json"  # cut to half its bytes
    resolved.write_bytes(resolved.read_bytes()[: resolved.stat().st_size // 2])
    claims = (repo / CLAIMS).read_bytes()

    stopped = run_snakemake(repo, CONFIG)
    out = stopped.output
    assert stopped.returncode != 0, out[-3000:]
    assert "3 run(s) are damaged: their files are not what their jobs wrote" in out
    assert f"  results/runs/{lr}/metrics.csv: " in out and "cut short or rows deleted" in out
    assert f"  results/runs/{depth}/timing.csv: " in out
    assert f"  results/runs/{simple}/config.json: not readable JSON" in out
    assert jobs_run(out, "train_config") == 0 and jobs_run(out, "collect_metrics") == 0
    assert (repo / CLAIMS).read_bytes() == claims and "Traceback" not in out

    # Collecting the family alone (a target below the default one) stops at the damaged
    # run too: one line naming the file and the command, the traceback in the job's log.
    alone = run_snakemake(repo, CONFIG, "results/metrics/lr.csv")
    assert alone.returncode != 0
    line = next(x for x in alone.output.splitlines() if x.startswith("RunDamaged: "))
    assert line.startswith(f"RunDamaged: results/runs/{lr}/metrics.csv: ")
    assert "; rebuild it with: " in line and "(traceback: logs/collect_metrics/lr.log)" in line
    assert "Traceback" not in alone.output
    assert "Traceback" in (repo / "logs/collect_metrics/lr.log").read_text()

    command = re.search(r"^Rebuild them with: (.+)$", out, re.M)[1]
    assert "--cores 2" in command and f"--configfile {CONFIG}" in command
    pasted = subprocess.run(
        command, shell=True, cwd=repo, capture_output=True, text=True, timeout=1800
    )
    assert pasted.returncode == 0, (pasted.stdout + pasted.stderr)[-3000:]
    for run in (lr, depth, simple):  # the same training gives the same bytes
        name = "metrics.csv"
        assert (repo / RUNS / run / name).read_bytes() == (smoke / RUNS / run / name).read_bytes()
    assert _verdicts(repo) == _verdicts(smoke)
    assert "Nothing to be done" in run_snakemake(repo, CONFIG, "--dry-run").output


def test_deleted_runs_are_retrained_exactly_with_what_reads_them(smoke_study, repo):
    smoke = smoke_study[0]
    lost = {f"simple/{cid}" for cid in _ids(repo, "simple")}  # a whole family
    lr = _ids(repo, "lr")
    lost |= {f"lr/{lr[0]}", f"lr/{lr[1]}"}  # one run folder, and one run's metrics only
    shutil.rmtree(repo / RUNS / "simple")
    shutil.rmtree(repo / RUNS / "lr" / lr[0])
    (repo / RUNS / "lr" / lr[1] / "metrics.csv").unlink()

    dry = run_snakemake(repo, CONFIG, "--dry-run")
    assert dry.returncode == 0, dry.output[-3000:]
    assert f"{len(lost)} run(s) have files missing (deleted, or made before" in dry.output
    assert _planned_trainings(dry.output) == lost
    assert _planned(dry.output, "collect_metrics") == {"simple", "lr"}
    assert _planned(dry.output, "plot_figure") == {"simple", "lr"}
    assert jobs_run(dry.output, "make_dataset") == 0

    rebuilt = run_snakemake(repo, CONFIG)
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert jobs_run(rebuilt.output, "train_config") == len(lost)
    for run in lost:
        name = "metrics.csv"
        assert (repo / RUNS / run / name).read_bytes() == (smoke / RUNS / run / name).read_bytes()
    assert _verdicts(repo) == _verdicts(smoke)
    assert "Nothing to be done" in run_snakemake(repo, CONFIG, "--dry-run").output
