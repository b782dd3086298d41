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


def train_job(
    root: Path, data_path: str, config_id: str, cfg, seeds, files=("metrics", "timing"), **kw
) -> dict[str, str]:
    """Run ``train_config``'s entry point for ``cfg`` (a ``TrainConfig``) as the rule
    would, family ``fam``, into ``root/fam/<config_id>``; its outputs (``kw``: ``log_path``).
    ``files``: which of ``metrics``, ``timing``, ``sweep`` it writes besides ``config.json``."""
    from bnstudy.training import job

    folder = root / "fam" / config_id
    outputs = {name: str(folder / f"{name}.csv") for name in files}
    outputs["resolved"] = str(folder / "config.json")
    params = {
        "family": "fam",
        "config_id": config_id,
        "config": cfg.to_dict(),
        "seeds": list(seeds),
        "device": "cpu",
    }
    job.run_job(params, data_path, outputs, **kw)
    return outputs


def files_under(root: Path) -> set[str]:
    """Every file below ``root``, relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def checkout_with(dest: Path, files: dict[str, str]) -> Path:
    """A fresh-clone copy of the checkout in ``dest``, plus ``files`` (path → text): the
    results a user already has, which a run stopped before any job must leave alone."""
    repo = copy_checkout(dest)
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return repo


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


#: A rule graph as ``snakemake --rulegraph`` prints it (abridged styling).
RULEGRAPH_DOT = """digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
    node[shape=box, style=rounded, fontname=sans, fontsize=10, penwidth=2];
	0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
	1[label = "render_report", color = "0.52 0.6 0.85", style="rounded"];
	2[label = "collect_metrics", color = "0.07 0.6 0.85", style="rounded"];
	3[label = "train_config", color = "0.59 0.6 0.85", style="rounded"];
	4[label = "make_dataset", color = "0.30 0.6 0.85", style="rounded"];
	5[label = "judge_claims", color = "0.22 0.6 0.85", style="rounded"];
	6[label = "plot_figure", color = "0.37 0.6 0.85", style="rounded"];
	7[label = "draw_rulegraph", color = "0.15 0.6 0.85", style="rounded"];
	1 -> 0
	5 -> 0
	2 -> 1
	6 -> 1
	7 -> 1
	5 -> 1
	3 -> 2
	4 -> 3
	2 -> 5
	2 -> 6
}
"""
