"""Per-family tables: every run's tidy metrics with its configuration joined on.

Three tables per family: the tidy metrics of every run that trained, their
per-seed summary (``bnstudy.summary``), and one row per configuration saying
how it went (``RUNS_COLUMNS``): ``ok`` or ``failed`` (with the error and the
job's log), and how many of its seeds diverged ("2 of 5 seeds diverged").
A failed configuration has no rows in the first two: the claims that need it
find no runs and say so, and the runs table names it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from bnstudy import audit, io
from bnstudy.config import TrainConfig
from bnstudy.summary import SUMMARY_METRICS, TIDY_COLUMNS, summarize

OK, FAILED = "ok", "failed"
#: Columns of the runs table after the configuration's own (family, config_id, parameters).
RUNS_COLUMNS = ["status", "n_seeds", "n_diverged", "note", "error", "log"]


def read_resolved(resolved_path: str) -> dict:
    """A run's ``config.json``; runs written before statuses existed count as ``ok``.
    One that does not read raises ``audit.RunDamaged`` naming the file."""
    resolved = audit.load_resolved(resolved_path)
    resolved.setdefault("status", OK)
    return resolved


def run_config(resolved: dict) -> dict:
    """A run's configuration as table columns: a list (``lr_sweep``) becomes one cell."""
    config = {
        k: " ".join(f"{v:g}" for v in value) if isinstance(value, list) else value
        for k, value in resolved["config"].items()
    }
    return {"family": resolved["family"], "config_id": resolved["config_id"], **config}


def read_run(metrics_path: str, timing_path: str, resolved_path: str) -> pd.DataFrame:
    """One run's tidy metrics plus ``wall_time`` rows, its resolved configuration as columns."""
    resolved = read_resolved(resolved_path)
    metrics = pd.read_csv(metrics_path)
    timing = pd.read_csv(timing_path)
    wall = timing.rename(columns={"seconds": "value"}).assign(metric="wall_time")
    parts = [metrics, wall[TIDY_COLUMNS]]
    if "step_seconds" in timing:  # the optimizer steps alone (runs since it was recorded)
        steps = timing.rename(columns={"step_seconds": "value"}).assign(metric="step_seconds")
        parts.append(steps[TIDY_COLUMNS])
    tidy = pd.concat(parts, ignore_index=True)
    config = run_config(resolved)
    for key, value in config.items():
        tidy[key] = value
    return tidy[list(config) + TIDY_COLUMNS]


def diverged_note(n_diverged: int, n_seeds: int) -> str:
    """How many seeds of a configuration diverged, in words; empty when none did.

    >>> diverged_note(2, 5), diverged_note(0, 5), diverged_note(1, 1)
    ('2 of 5 seeds diverged', '', '1 of 1 seed diverged')
    """
    if not n_diverged:
        return ""
    return f"{n_diverged} of {n_seeds} seed{'s' if n_seeds != 1 else ''} diverged"


def failed_rows(runs: pd.DataFrame) -> list[dict]:
    """The failed configurations of a runs table (``runs_table``): ``config_id`` and ``error``."""
    if "status" not in runs:
        return []
    rows = runs[runs["status"] == FAILED]
    return [
        {"config_id": str(r["config_id"]), "error": "" if pd.isna(r["error"]) else str(r["error"])}
        for r in rows.to_dict("records")
    ]


def runs_table(resolved: list[dict], summary: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its parameters, then ``RUNS_COLUMNS``."""
    rows = []
    for res in resolved:
        row = run_config(res)
        n_seeds = len(res.get("seeds", []))
        if res["status"] == OK:
            seeds = summary[summary["config_id"] == res["config_id"]]
            n_div = int((seeds["diverged"] == 1).sum())
            row.update(status=OK, n_seeds=len(seeds), n_diverged=n_div)
            row.update(note=diverged_note(n_div, len(seeds)), error="")
        else:
            row.update(status=FAILED, n_seeds=n_seeds, n_diverged=np.nan)
            row.update(note="failed: " + str(res.get("error") or "unknown error"))
            row.update(error=str(res.get("error") or ""))
        row["log"] = res.get("log", "")
        rows.append(row)
    cfg_cols = ["family", "config_id", *TrainConfig.field_names()]
    out = pd.DataFrame(rows, columns=cfg_cols + RUNS_COLUMNS)
    out["n_diverged"] = out["n_diverged"].astype("Int64")
    return out.sort_values("config_id", kind="stable", ignore_index=True)


def collect_family(
    metrics: list[str],
    timings: list[str],
    resolved: list[str],
    table_out: str,
    summary_out: str,
    runs_out: str | None = None,
) -> None:
    """Write the family's tidy table, its per-seed summary table and its runs table.

    Every run is verified first (``audit.verify_run``): one whose files are not what
    its job wrote, or lack what its configuration must contain, stops here with
    ``audit.RunDamaged`` naming the file and the command that rebuilds it.
    """
    for m, t, r in zip(metrics, timings, resolved, strict=True):
        audit.verify_run(Path(r).parent, [Path(m).name, Path(t).name, Path(r).name])
    statuses = [read_resolved(r) for r in resolved]
    runs = [
        read_run(m, t, r)
        for m, t, r, res in zip(metrics, timings, resolved, statuses, strict=True)
        if res["status"] == OK
    ]
    if runs:
        tidy = pd.concat(runs, ignore_index=True).sort_values(
            ["config_id", "seed", "metric", "epoch"], kind="stable", ignore_index=True
        )
        summary = summarize(tidy)
    else:  # every configuration failed: empty tables with the usual columns
        cfg_cols = ["family", "config_id", *TrainConfig.field_names()]
        tidy = pd.DataFrame(columns=cfg_cols + TIDY_COLUMNS)
        summary = pd.DataFrame(columns=[*cfg_cols, "seed", *SUMMARY_METRICS])
    io.write_csv(table_out, tidy)
    io.write_csv(summary_out, summary)
    if runs_out:
        io.write_csv(runs_out, runs_table(statuses, summary))


def failed_runs(configs: dict[str, list[str]], root: str = "results/runs") -> list[dict]:
    """The resolved configs of the runs on disk whose training failed, in study order.

    ``configs`` is family → config ids of the current study; runs not run yet,
    or of configurations no longer in the study, are not listed.
    """
    failed = []
    for family, ids in configs.items():
        for cid in ids:
            try:
                resolved = read_resolved(f"{root}/{family}/{cid}/config.json")
            except (OSError, ValueError, KeyError):
                continue
            if resolved["status"] == FAILED:
                failed.append(resolved)
    return failed


def failure_report(
    failed: list[dict], root: str = "results/runs", command: str = "snakemake"
) -> list[str]:
    """Lines telling the user which configurations failed, why, and how to rerun them.

    ``command`` starts the rerun command line: the one that started the workflow
    (``audit.rerun_base``), so that it works as printed.
    """
    if not failed:
        return []
    lines = [
        f"{len(failed)} configuration(s) failed; the tables, claims and report leave them out "
        "and mark them (results/metrics/<family>_runs.csv):"
    ]
    for res in failed:
        where = f" (log: {res['log']})" if res.get("log") else ""
        lines.append(f"  {res['family']}/{res['config_id']}: {res.get('error')}{where}")
    targets = " ".join(
        shlex.quote(f"{root}/{r['family']}/{r['config_id']}/metrics.csv") for r in failed
    )
    lines.append(f"Fix the cause, then rerun them with: {command} --forcerun {targets}")
    return lines


#: Peak memory a training job may use, in MB (10⁶ bytes), per model (issue 6).
MEMORY_LIMITS_MB = {"mlp": 1000, "wide_mlp": 1000, "lenet": 2000}
_MIB = 1.048576  # MB per MiB: Snakemake's max_rss is in MiB


def training_memory(results: str = "results") -> pd.DataFrame:
    """Peak memory of every training job on disk: one row per run, largest first.

    ``max_rss_mb`` is from Snakemake's benchmark file (sampled), ``peak_rss_mb``
    the job's own exact peak (``config.json``; NaN for runs made before it was
    recorded); ``peak_mb`` is the larger, ``limit_mb`` the model's limit.
    """
    bench_root = Path(results) / "benchmarks" / "train_config"
    rows = []
    for tsv in sorted(bench_root.rglob("*.tsv")):
        rel = tsv.relative_to(bench_root).with_suffix("")
        resolved_path = Path(results) / "runs" / rel / "config.json"
        if not resolved_path.exists():
            continue
        resolved = read_resolved(str(resolved_path))
        bench = pd.read_csv(tsv, sep="\t", na_values=["NA", "-"])
        model = resolved["config"]["model"]
        rows.append(
            {
                "family": resolved["family"],
                "config_id": resolved["config_id"],
                "model": model,
                "seeds": len(resolved.get("seeds", [])),
                "seconds": float(bench["s"].max()),
                "max_rss_mb": float(bench["max_rss"].max()) * _MIB,
                "peak_rss_mb": float(resolved.get("peak_rss_mb", np.nan)),
                "limit_mb": MEMORY_LIMITS_MB.get(model, np.nan),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "family",
            "config_id",
            "model",
            "seeds",
            "seconds",
            "max_rss_mb",
            "peak_rss_mb",
            "limit_mb",
        ],
    )
    out["peak_mb"] = out[["max_rss_mb", "peak_rss_mb"]].max(axis=1)
    return out.sort_values("peak_mb", ascending=False, ignore_index=True)


def memory_by_model(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per model: jobs, the largest peak and its run, the limit, and whether all are under it."""
    rows = []
    for model, grp in jobs.groupby("model", sort=True):
        top = grp.loc[grp["peak_mb"].idxmax()]
        rows.append(
            {
                "model": model,
                "jobs": len(grp),
                "peak_mb": round(float(top["peak_mb"]), 1),
                "run": f"{top['family']}/{top['config_id']}",
                "limit_mb": top["limit_mb"],
                "under_limit": bool((grp["peak_mb"] < grp["limit_mb"]).all()),
            }
        )
    return pd.DataFrame(
        rows, columns=["model", "jobs", "peak_mb", "run", "limit_mb", "under_limit"]
    )
