"""A real cluster: jobs that SLURM runs give the local run's claims and metrics, exactly.

The test installs Debian's slurm-wlm and munge if they are missing, starts a
private one-node cluster on localhost (tests/slurm/start_cluster.sh: its own
munged, slurmctld and slurmd, every file in a temporary folder), takes a copy of
the shared local smoke run (conftest.smoke_study) with one dataset and three
families' runs deleted (regression and image, a dozen trainings), rebuilds them
with profiles/slurm, compares the claims table and every run's metrics with the
local run and stops the cluster again. (The whole smoke study through the toy
cluster took seven minutes of CI's twenty; a dozen jobs show the same.) It needs
root; outside CI it skips when it cannot have root or apt-get, under CI=true it
always runs.
"""

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bnstudy.checkout import copy_run

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "slurm"
CLAIMS = "results/claims/claims.csv"
#: What the cluster rebuilds: the dataset of the simple family, and the runs of a
#: regression family on another dataset and of an image family.
REBUILT_DATA = "results/data/linear.pt"
REBUILT_FAMILIES = ("simple", "lr", "lenet_d2l")
pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

# Settings for this toy cluster only, on top of profiles/slurm: there is no
# slurmdbd, so job states come from squeue; jobs take seconds, so poll often;
# the disk is local, so outputs appear at once; keep every job's SLURM log.
TOY_CLUSTER_ARGS = (
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "1",
    "--latency-wait",
    "5",
    "--slurm-keep-successful-logs",
)


def _skip_reason() -> str | None:
    """Why this machine cannot host the test cluster; None if it can (or under CI)."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return None
    if os.geteuid() != 0:
        return "needs root to run slurmctld, slurmd and munged (CI=true makes it mandatory)"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is unavailable to install it"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain `text` (our cluster's folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def _slurmstepd_pids() -> set[str]:
    return {line.split()[0] for line in _processes_mentioning("slurmstepd")}


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running one-node cluster; yields the folder whose bin/ holds its commands."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.fail(
            "snakemake-executor-plugin-slurm is missing: bash envs/setup.sh installs the lock"
        )
    subprocess.run(["bash", SCRIPTS / "install_slurm.sh"], check=True, timeout=900)
    folder = tmp_path_factory.mktemp("slurm")
    env = {
        **os.environ,
        "SLURM_CTLD_PORT": str(_free_port()),
        "SLURM_SLURMD_PORT": str(_free_port()),
    }
    steps_before = _slurmstepd_pids()
    try:
        subprocess.run(
            ["bash", SCRIPTS / "start_cluster.sh", folder], check=True, env=env, timeout=120
        )
        yield folder
    finally:
        stopped = subprocess.run(["bash", SCRIPTS / "stop_cluster.sh", folder], timeout=120)
        left = _processes_mentioning(str(folder)) + sorted(_slurmstepd_pids() - steps_before)
        assert stopped.returncode == 0 and not left, f"the cluster in {folder} left {left}"
        shutil.rmtree(folder, ignore_errors=True)


def _snakemake(repo: Path, *args: str, env: dict | None = None) -> tuple[str, float]:
    """Run the smoke config in `repo`: its output and wall time in seconds."""
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "config/smoke.yaml", *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=1800, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out, time.monotonic() - start


def _claims(repo: Path) -> pd.DataFrame:
    return pd.read_csv(repo / CLAIMS, keep_default_na=False)


def test_slurm_jobs_give_the_local_claims(slurm_cluster, smoke_study, tmp_path):
    local, _ = smoke_study
    cluster = copy_run(local, tmp_path / "slurm")
    (cluster / REBUILT_DATA).unlink()
    trainings = 0
    for family in REBUILT_FAMILIES:
        trainings += len(list((cluster / "results/runs" / family).rglob("config.json")))
        shutil.rmtree(cluster / "results/runs" / family)
    assert trainings > 0

    env = {**os.environ, "PATH": f"{slurm_cluster / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    log, slurm_s = _snakemake(cluster, "--profile", "profiles/slurm", *TOY_CLUSTER_ARGS, env=env)
    print(f"\nwall time of {trainings} trainings and one dataset through SLURM: {slurm_s:.0f} s")

    # Every job the main process did not run itself went through sbatch and left
    # its SLURM log: the dataset and every deleted training; the seconds-long steps
    # (localrules) ran where Snakemake runs.
    submitted = log.count("has been submitted with SLURM jobid")
    assert submitted == log.count("\nrule ") == trainings + 1, submitted
    assert log.count("\nrule train_config:") == trainings
    assert log.count("\nrule make_dataset:") == 1
    for rule in ("collect_metrics", "plot_figure", "judge_claims", "render_report"):
        assert f"\nlocalrule {rule}:" in log, rule
    assert len(list((cluster / ".snakemake/slurm_logs").rglob("*.log"))) == submitted
    assert (cluster / "results/report/report.pdf").is_file()

    # The same verdicts and the same numbers, to the last digit.
    pd.testing.assert_frame_equal(_claims(cluster), _claims(local), check_exact=True)
    # Training is deterministic on one machine with one thread, whoever starts it.
    for metrics in (local / "results/runs").rglob("metrics.csv"):
        twin = cluster / metrics.relative_to(local)
        assert twin.read_bytes() == metrics.read_bytes(), twin
    # What the cluster made counts as done for a local run too.
    out, _ = _snakemake(cluster, "--cores", "2", "--dry-run")
    assert "Nothing to be done" in out, out[-3000:]
