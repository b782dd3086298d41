"""Helpers of the tests that drive the real ``snakemake`` command on a copy of the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bnstudy import checkout

ROOT = Path(__file__).resolve().parents[1]


def copy_checkout(dest: Path) -> Path:
    """Copy the files a fresh clone would have (tracked + untracked-not-ignored) into ``dest``."""
    return checkout.copy_checkout(ROOT, dest)


def snakemake_cmd(configfile: str, *args: str, cores: int = 2) -> list[str]:
    """The command line; targets go in ``args`` (before the options: --configfile takes lists)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        *args,
        "--cores",
        str(cores),
        "--configfile",
        configfile,
    ]


def run_snakemake(
    repo: Path, configfile: str, *args: str, env: dict | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess:
    """Run snakemake in ``repo``; ``.output`` is stdout and stderr together."""
    proc = subprocess.run(
        snakemake_cmd(configfile, *args),
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    proc.output = proc.stdout
    return proc


def jobs_run(output: str, rule: str) -> int:
    """How many jobs of ``rule`` a snakemake run (or dry run) lists."""
    return sum(
        1 for line in output.splitlines() if line.strip() in (f"rule {rule}:", f"localrule {rule}:")
    )
