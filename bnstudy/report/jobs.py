"""The workflow's jobs: Snakemake's benchmark files read into one table, and its summary.

Every job writes a benchmark file (``results/benchmarks/<rule>/<job>.tsv``: wall
time, peak memory). The ``plot_job_resources`` job reads them with
:func:`read_benchmarks`, orders the rows by the rule graph (:func:`order_jobs`) and
writes that table next to the figure it draws; the report reads the table back and
:func:`jobs_context` formats the appendix's job tables from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnstudy.report.fmt import DASH, fmt_duration, fmt_seconds

#: Columns of the jobs table: rule, job (its wildcards as a path), wall seconds, peak MB,
#: CPU seconds (user + system of the job's processes).
COLUMNS = ["rule", "job", "s", "max_rss", "cpu_time"]


def read_benchmarks(folder) -> pd.DataFrame:
    """One row per job from Snakemake's benchmark files under ``folder`` (``**/*.tsv``).

    The first path component is the rule (``train_config/depth/act~tanh/….tsv``), the rest
    the job; a file directly in ``folder`` is a rule without wildcards. ``s`` is the job's
    wall time in seconds and ``max_rss`` its peak resident memory in MB ("-" or "NA" when
    the job was too short to be sampled: missing), ``cpu_time`` its CPU seconds (missing
    likewise, and in files of older Snakemake versions). Files Snakemake is still
    writing, or that cannot be read, are skipped.
    """
    rows = []
    folder = Path(folder)
    if not folder.is_dir():
        return pd.DataFrame(columns=COLUMNS)
    for path in sorted(folder.rglob("*.tsv")):
        rel = path.relative_to(folder).with_suffix("")
        try:
            table = pd.read_csv(path, sep="\t", na_values=["-", "NA", ""])
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        if table.empty or "s" not in table:
            continue
        first = table.iloc[0]
        rows.append(
            {
                "rule": rel.parts[0],
                "job": "/".join(rel.parts[1:]) or DASH,
                "s": pd.to_numeric(first.get("s"), errors="coerce"),
                "max_rss": pd.to_numeric(first.get("max_rss"), errors="coerce"),
                "cpu_time": pd.to_numeric(first.get("cpu_time"), errors="coerce"),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def order_jobs(jobs: pd.DataFrame, rule_order: list[str]) -> pd.DataFrame:
    """The jobs by rule in workflow order (rules the order lacks last), then by name."""
    rank = {r: i for i, r in enumerate(rule_order)}
    ranked = jobs.assign(_rank=[rank.get(r, len(rank)) for r in jobs["rule"]])
    ranked = ranked.sort_values(["_rank", "rule", "job"], kind="stable")
    return ranked.drop(columns="_rank").reset_index(drop=True)


def _max(values: np.ndarray) -> str:
    return fmt_seconds(np.nanmax(values)) if np.isfinite(values).any() else DASH


def rule_row(rule: str, grp: pd.DataFrame) -> dict:
    """One rule's line of the appendix: its jobs, total, median and longest time, memory."""
    s = grp["s"].to_numpy(dtype=float)
    return {
        "rule": rule,
        "jobs": str(len(grp)),
        "total": fmt_seconds(np.nansum(s)),
        "median": fmt_seconds(np.nanmedian(s)) if np.isfinite(s).any() else DASH,
        "max": _max(s),
        "rss": _max(grp["max_rss"].to_numpy(dtype=float)),
    }


def jobs_context(jobs: pd.DataFrame) -> dict | None:
    """The appendix's job tables from an ordered jobs table: per rule, then every job (two
    jobs per row); None without jobs."""
    if jobs is None or jobs.empty:
        return None
    per_rule = [rule_row(rule, grp) for rule, grp in jobs.groupby("rule", sort=False)]
    cells = [(r.rule, r.job, fmt_seconds(r.s), fmt_seconds(r.max_rss)) for r in jobs.itertuples()]
    half = (len(cells) + 1) // 2
    total = float(np.nansum(jobs["s"].to_numpy(dtype=float)))
    return {
        "per_rule": per_rule,
        "rows": [
            [cells[i], cells[i + half] if i + half < len(cells) else None] for i in range(half)
        ],
        "n_jobs": str(len(jobs)),
        "total": fmt_duration(total),
        "total_seconds": repr(total),
        "max_rss": _max(jobs["max_rss"].to_numpy(dtype=float)),
    }
