"""Copies of a checkout as a fresh clone has it, for tests and benchmarks that run the workflow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_checkout(root: str | Path, dest: str | Path) -> Path:
    """Copy the files a fresh clone of ``root`` has (tracked + untracked-not-ignored) to ``dest``.

    Ignored paths (``.venv/``, ``results/``, ``.snakemake/``) stay behind, so a
    workflow run in ``dest`` starts cold, as it would from ``git clone``.
    """
    root, dest = Path(root), Path(dest)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, files):
        src = root / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def copy_run(src: str | Path, dest: str | Path) -> Path:
    """Copy a checkout together with its results and Snakemake's records of them.

    Modification times are kept, so Snakemake sees in ``dest`` exactly what it
    saw in ``src`` (a finished run stays finished).
    """
    shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True, ignore=_locks)
    return Path(dest)


def _locks(folder: str, names: list[str]) -> list[str]:
    return ["locks"] if Path(folder).name == ".snakemake" else []
