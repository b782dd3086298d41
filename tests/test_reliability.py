"""Interruption, determinism and one failing configuration, through the real ``snakemake``.

One copy of the checkout runs a small study (one family, 8 configurations) that
is interrupted twice in the middle of training — SIGINT, then SIGKILL, each to
snakemake's whole process group — and then finished. The tests then rerun one
training job and the judge (same bytes), and inject a failure into one
configuration (the ``BNSTUDY_FAIL`` test hook of ``bnstudy.training.job``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import copy_checkout, jobs_run, run_snakemake, snakemake_cmd

pytestmark = pytest.mark.e2e

CONFIG = "config/reliability.yaml"
STUDY = {
    "seeds": 2,
    "device": "cpu",
    "datasets": {"seed": 420, "n_samples": 200, "train_fraction": 0.7, "noise": 1.0},
    "families": {
        "lr": {
            "dataset": "poly2",
            "model": "mlp",
            "grid": {"lr": [0.3, 0.1, 0.03, 0.01], "depth": [3], "bn": ["none", "pre"]},
            # Long enough (≈ 2 s a job) that the run is still going when it is interrupted.
            "fixed": {"act": "tanh", "batch_size": 20, "epochs": 300},
        }
    },
}
N_CONFIGS = 8
OUTPUTS = ("metrics.csv", "timing.csv", "config.json")
#: Summary columns that are measured times, which a rerun does not repeat exactly.
TIMES = ["wall_time", "step_seconds"]


def _runs(repo: Path) -> Path:
    return repo / "results" / "runs" / "lr"


def _incomplete(repo: Path) -> set[str]:
    """Run folders (config ids) with an output snakemake marked incomplete (job not finished)."""
    folder = repo / ".snakemake" / "incomplete"
    ids = set()
    for marker in folder.glob("*") if folder.is_dir() else []:
        name = marker.name + "=" * (-len(marker.name) % 4)
        path = base64.urlsafe_b64decode(name).decode()
        if path.startswith("results/runs/lr/"):
            ids.add(str(Path(path).parent.relative_to("results/runs/lr")))
    return ids


def _finished(repo: Path) -> set[str]:
    """Config ids whose job snakemake saw finish: every output there, none marked incomplete."""
    if not _runs(repo).exists():
        return set()
    done = {
        str(p.parent.relative_to(_runs(repo)))
        for p in _runs(repo).rglob("config.json")
        if all((p.parent / name).exists() for name in OUTPUTS)
    }
    return done - _incomplete(repo)


def _mtimes(repo: Path, ids) -> dict[str, int]:
    return {cid: (_runs(repo) / cid / "metrics.csv").stat().st_mtime_ns for cid in ids}


def _assert_outputs_whole(repo: Path) -> None:
    """No half-written output: each run folder has all its outputs or none, each one parses."""
    for folder in {p.parent for p in _runs(repo).rglob("*") if p.is_file()}:
        present = {name for name in OUTPUTS if (folder / name).exists()}
        assert present in (set(), set(OUTPUTS)), (folder, present)
        if present:
            metrics = pd.read_csv(folder / "metrics.csv")
            assert list(metrics.columns) == ["seed", "epoch", "metric", "value"]
            assert len(metrics) and metrics["value"].notna().all()
            pd.read_csv(folder / "timing.csv")
            json.loads((folder / "config.json").read_text())
    promoted = [p for p in (repo / "results").rglob("*") if p.name.endswith(".tmp") and p.is_file()]
    assert not [p for p in promoted if not p.name.startswith(".")], promoted


def _as_from_a_terminal() -> None:
    """In the child before exec: Ctrl-C as a shell gives it, default and unblocked.

    A process inherits an ignored or blocked SIGINT from its parent, and Python
    then never installs its KeyboardInterrupt handler; inside a long pytest
    session (CI) the study's snakemake ignored the interrupt and ran to the end.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _interrupt(repo: Path, sig: int, after: int) -> dict:
    """Start the study, send ``sig`` to snakemake's process group once ``after`` runs finished."""
    proc = subprocess.Popen(
        snakemake_cmd(CONFIG),
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C would reach
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 240
    while len(_finished(repo)) < after:
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "training did not progress"
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    # Snakemake can miss a Ctrl-C that lands while its scheduler is inside an
    # asyncio call; a user then presses Ctrl-C again, and so does this test.
    for _ in range(5):
        try:
            out, _ = proc.communicate(timeout=5)
            break
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, sig)
    else:
        out, _ = proc.communicate(timeout=120)
    return {"code": proc.returncode, "output": out}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    repo = copy_checkout(tmp_path_factory.mktemp("checkout"))
    (repo / CONFIG).write_text(yaml.safe_dump(STUDY, sort_keys=False))
    record = {"repo": repo}
    record["sigint"] = _interrupt(repo, signal.SIGINT, after=2)
    record["after_sigint"] = _finished(repo)
    assert len(record["after_sigint"]) < N_CONFIGS, (
        f"SIGINT did not stop the run (here: handler {signal.getsignal(signal.SIGINT)}, "
        f"blocked {signal.pthread_sigmask(signal.SIG_BLOCK, [])})"
        f"\n{record['sigint']['output'][-3000:]}"
    )
    _assert_outputs_whole(repo)
    record["sigkill"] = _interrupt(repo, signal.SIGKILL, after=len(record["after_sigint"]) + 2)
    record["after_sigkill"] = _finished(repo)
    # A killed snakemake leaves its lock behind; --unlock is the documented way out.
    run_snakemake(repo, CONFIG, "--unlock")
    dry = run_snakemake(repo, CONFIG, "--dry-run")
    assert dry.returncode == 0, dry.output[-3000:]
    record["planned"] = set(re.findall(r"config_id=([^\s,]+)", dry.output))
    record["mtimes"] = _mtimes(repo, record["after_sigkill"])
    final = run_snakemake(repo, CONFIG)
    assert final.returncode == 0, final.output[-5000:]
    record["final"] = final.output
    return record


def test_sigint_and_sigkill_stop_the_run(study):
    print(  # for the record (pytest -s)
        f"finished after SIGINT: {len(study['after_sigint'])}, after SIGKILL: "
        f"{len(study['after_sigkill'])} of {N_CONFIGS}; rerun planned {len(study['planned'])}"
    )
    assert study["sigint"]["code"] != 0 and study["sigkill"]["code"] == -signal.SIGKILL
    assert 1 <= len(study["after_sigint"]) < N_CONFIGS
    assert len(study["after_sigint"]) < len(study["after_sigkill"]) < N_CONFIGS


def test_rerun_trains_only_the_unfinished_configurations(study):
    repo, finished = study["repo"], study["after_sigkill"]
    all_ids = {str(p.parent.relative_to(_runs(repo))) for p in _runs(repo).rglob("config.json")}
    assert len(all_ids) == N_CONFIGS
    assert study["planned"] == all_ids - finished
    assert jobs_run(study["final"], "train_config") == N_CONFIGS - len(finished)
    assert _mtimes(repo, finished) == study["mtimes"]  # finished runs untouched


def test_outputs_are_complete_after_the_rerun(study):
    repo = study["repo"]
    _assert_outputs_whole(repo)
    summary = pd.read_csv(repo / "results/metrics/lr_summary.csv")
    assert summary.groupby("config_id").size().to_dict() == {
        cid: 2 for cid in summary["config_id"].unique()
    }
    assert summary["config_id"].nunique() == N_CONFIGS
    assert (pd.read_csv(repo / "results/metrics/lr_runs.csv")["status"] == "ok").all()
    assert (repo / "results/report/report.html").stat().st_size > 0
    dry = run_snakemake(repo, CONFIG, "--dry-run")
    assert "Nothing to be done" in dry.output, dry.output[-3000:]


def test_same_configuration_and_seed_give_identical_bytes(study):
    repo = study["repo"]
    one = "results/runs/lr/bn~pre/depth~3/lr~0.1/metrics.csv"
    before = (repo / one).read_bytes()
    summary = repo / "results/metrics/lr_summary.csv"
    summary_before = pd.read_csv(summary).drop(columns=TIMES, errors="ignore")
    claims = repo / "results/claims/claims.csv"
    claims_before = claims.read_bytes()

    rerun = run_snakemake(repo, CONFIG, one, "--forcerun", one)
    assert rerun.returncode == 0 and jobs_run(rerun.output, "train_config") == 1
    assert (repo / one).read_bytes() == before

    judge = run_snakemake(repo, CONFIG, str(claims.relative_to(repo)), "--forcerun", "judge_claims")
    assert judge.returncode == 0 and jobs_run(judge.output, "judge_claims") == 1
    assert claims.read_bytes() == claims_before
    after = pd.read_csv(summary).drop(columns=TIMES, errors="ignore")
    pd.testing.assert_frame_equal(after, summary_before)


def test_a_failing_configuration_leaves_the_rest_and_the_report(study):
    repo = study["repo"]
    bad = "bn~pre/depth~3/lr~0.1"
    target = f"results/runs/lr/{bad}/metrics.csv"
    others = {str(p.parent.relative_to(_runs(repo))) for p in _runs(repo).rglob("config.json")}
    others.discard(bad)
    mtimes = _mtimes(repo, others)
    report = repo / "results/report/report.html"
    report_mtime = report.stat().st_mtime_ns

    failing = run_snakemake(
        repo, CONFIG, "--forcerun", target, "--keep-going", env={"BNSTUDY_FAIL": bad}
    )
    out = failing.output
    assert failing.returncode != 0, out[-3000:]
    assert "1 configuration(s) failed" in out and f"lr/{bad}: RuntimeError" in out
    # The rerun command is the one that ran (its --cores, --configfile), pasteable.
    command = re.search(r"^Fix the cause, then rerun them with: (.+)$", out, re.M)[1]
    assert command.endswith(f"--cores 2 --configfile {CONFIG} --forcerun '{target}'"), command
    assert _mtimes(repo, others) == mtimes
    assert report.stat().st_mtime_ns > report_mtime  # the report rendered without it

    runs = pd.read_csv(repo / "results/metrics/lr_runs.csv", keep_default_na=False)
    row = runs.set_index("config_id").loc[bad]
    assert row["status"] == "failed" and "BNSTUDY_FAIL" in row["error"]
    assert row["log"] == f"logs/train_config/lr/{bad}.log"
    assert "injected" in (repo / row["log"]).read_text()
    assert (runs.drop(index=runs.index[runs["config_id"] == bad])["status"] == "ok").all()
    summary = pd.read_csv(repo / "results/metrics/lr_summary.csv")
    assert bad not in set(summary["config_id"]) and summary["config_id"].nunique() == 7
    claims = pd.read_csv(repo / "results/claims/claims.csv").set_index("claim")
    # Every claim read from the lr family is held back and names the lost configuration.
    lr_claims = claims[claims["family"] == "lr"]
    assert len(lr_claims) == 4 and (lr_claims["verdict"] == "inconclusive").all()
    for detail in lr_claims["detail"]:
        assert f"1 configuration(s) it reads failed (lr/{bad};" in detail, detail
    # The report marks the family and the configuration, with its error.
    html = report.read_text(encoding="utf-8")
    note = html[html.index('id="failed-lr"') :][:2000]
    assert "1 configuration failed" in note and f"<code>{bad}</code>" in note
    assert "BNSTUDY_FAIL" in note

    # The failure is kept and named on the next run, until rerun with --forcerun.
    dry = run_snakemake(repo, CONFIG, "--dry-run")
    assert "earlier run: 1 configuration(s) failed" in dry.output
    fixed = subprocess.run(command, shell=True, cwd=repo, capture_output=True, text=True)
    assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
    assert (pd.read_csv(repo / "results/metrics/lr_runs.csv")["status"] == "ok").all()
