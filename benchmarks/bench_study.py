"""The whole study, cold, then a no-op rerun and a rerun after changing one lr value.

Runs in a scratch copy of the checkout (so results/ here is untouched) with
``--cores 2`` by default. The cold run's wall time is split, from Snakemake's
per-job benchmark files and each run's timing.csv, into training compute (the
epochs themselves) and everything else: per-job start-up (process, imports,
data loading), the other steps (datasets, tables, figures, verdicts, report),
and the scheduler's own time.

    .venv/bin/python benchmarks/bench_study.py [--config config/config.yaml] [--cores 2]
    → results/benchmarks/study.json
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import yaml
from _common import jobs_run, scratch_checkout, snakemake, write_result


def benchmark_rows(workdir: Path) -> list[dict]:
    rows = []
    for path in sorted((workdir / "results" / "benchmarks").rglob("*.tsv")):
        with path.open() as fh:
            last = list(csv.DictReader(fh, delimiter="\t"))[-1]
        rule = path.relative_to(workdir / "results" / "benchmarks").parts[0].removesuffix(".tsv")
        rows.append({"rule": rule, "s": float(last["s"]), "max_rss_mb": _mb(last["max_rss"])})
    return rows


def _mb(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "-" when the job was too short to sample
        return 0.0


def training_compute(workdir: Path) -> dict[str, float]:
    """Seconds spent in training epochs (timing.csv), per family."""
    runs = workdir / "results" / "runs"
    per_family: dict[str, float] = {}
    for path in runs.rglob("timing.csv"):
        family = path.relative_to(runs).parts[0]
        with path.open() as fh:
            seconds = sum(float(r["seconds"]) for r in csv.DictReader(fh))
        per_family[family] = round(per_family.get(family, 0.0) + seconds, 1)
    return dict(sorted(per_family.items(), key=lambda kv: -kv[1]))


def cold_verdicts(workdir: Path) -> list[dict]:
    """The claims table of the cold run (the default study's verdicts), before any rerun."""
    with (workdir / "results" / "claims" / "claims.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    keep = ("claim", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "holm", "learned")
    keep += ("tuned_verdict", "tuned_effect", "tuned_ci_low", "tuned_ci_high", "tuned_lrs")
    return [{k: r.get(k, "") for k in keep} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", help="scratch folder (default: a new temporary one)")
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bnstudy-bench-"))
    scratch_checkout(workdir)
    flags = ["--configfile", args.config]
    cold, out = snakemake(workdir, *flags, cores=args.cores)
    jobs = jobs_run(out)
    rows = benchmark_rows(workdir)
    per_rule: dict[str, dict] = {}
    for r in rows:
        agg = per_rule.setdefault(r["rule"], {"jobs": 0, "job_seconds": 0.0, "max_rss_mb": 0.0})
        agg["jobs"] += 1
        agg["job_seconds"] = round(agg["job_seconds"] + r["s"], 2)
        agg["max_rss_mb"] = max(agg["max_rss_mb"], r["max_rss_mb"])
    compute_by_family = training_compute(workdir)
    compute = sum(compute_by_family.values())
    verdicts = cold_verdicts(workdir)
    train_jobs = per_rule.get("train_config", {}).get("job_seconds", 0.0)
    all_jobs = sum(r["s"] for r in rows)

    noop, _ = snakemake(workdir, *flags, cores=args.cores)

    cfg_path = workdir / args.config
    cfg = yaml.safe_load(cfg_path.read_text())
    lrs = cfg["families"]["lr"]["grid"]["lr"]
    old = lrs[0]
    lrs[0] = old / 2
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    changed, out = snakemake(workdir, *flags, cores=args.cores)

    write_result(
        "study",
        {
            "config": args.config,
            "cores": args.cores,
            "cold": {
                "wall_s": round(cold, 1),
                "jobs": jobs,
                "training_compute_cpu_s": round(compute, 1),
                "training_compute_by_family_cpu_s": compute_by_family,
                "train_job_startup_cpu_s": round(train_jobs - compute, 1),
                "other_steps_cpu_s": round(all_jobs - train_jobs, 1),
                "scheduling_and_idle_s": round(cold * args.cores - all_jobs, 1),
                "training_share_of_core_time": round(compute / (cold * args.cores), 3),
                "per_rule": per_rule,
            },
            "verdicts": verdicts,
            "noop_rerun": {"wall_s": round(noop, 2)},
            "one_lr_changed": {
                "change": f"families.lr.grid.lr[0]: {old} -> {old / 2}",
                "wall_s": round(changed, 1),
                "jobs": jobs_run(out),
            },
            "workdir": str(workdir),
        },
    )


if __name__ == "__main__":
    main()
