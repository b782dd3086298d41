"""Shared helpers of the benchmark scripts: a scratch checkout, timed Snakemake runs, JSON out."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bnstudy.checkout import copy_checkout

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "results" / "benchmarks"


def scratch_checkout(dest: Path) -> Path:
    """Copy the files a fresh clone has (tracked + untracked-not-ignored) to ``dest``."""
    return copy_checkout(ROOT, dest)


def snakemake(workdir: Path, *args: str, cores: int = 2) -> tuple[float, str]:
    """Run Snakemake in ``workdir``; return (wall seconds, output). Raises on failure."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-4000:]}")
    return wall, out


def jobs_run(output: str) -> dict[str, int]:
    """Jobs per rule that a Snakemake run executed (from its 'Job stats' table)."""
    counts: dict[str, int] = {}
    in_table = False
    for line in output.splitlines():
        if line.startswith("Job stats:"):
            in_table, counts = True, {}
            continue
        if in_table:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("job", "total"):
                counts[parts[0]] = int(parts[1])
            elif parts and parts[0] == "total":
                in_table = False
    return counts


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def write_result(name: str, result: dict) -> Path:
    """Print the figures and write them to results/benchmarks/<name>.json."""
    result = {"benchmark": name, "machine": machine(), **result}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(ROOT)}")
    return path
