"""Where a build of the report comes from: code revision, software, hardware, time, config.

The appendix prints these, and the commands the report shows (regenerate a figure,
the whole report) start with :func:`snakemake_prefix`, so that they rerun *this*
study with its own config files.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import yaml

from bnstudy.report.fmt import display_path

#: What reruns the whole study's report (shown when no command was recorded).
REGENERATE_COMMAND = "snakemake --cores 8 results/report/report.html"
#: Packages whose versions the appendix lists (python is added first).
PACKAGES = ["torch", "snakemake", "pandas", "numpy", "matplotlib", "scipy", "jinja2", "weasyprint"]


def git_revision(repo_dir) -> str:
    """Short HEAD hash, with "-dirty" when tracked files differ; "unknown" without git."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        revision = git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--untracked-files=no"):
            revision += "-dirty"
        return revision or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_name() -> str:
    """The CPU's model name (Linux), else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    """The first NVIDIA GPU's model, from the driver's /proc entries (no torch import:
    it would cost the report seconds); None without one."""
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        try:
            for line in info.read_text().splitlines():
                if line.startswith("Model:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None


def hardware() -> str:
    """This machine in one line: CPU, cores, GPU, operating system."""
    text = f"{cpu_name()} ({platform.machine()}), {os.cpu_count()} CPU cores"
    gpu = gpu_name()
    text += f", GPU {gpu}" if gpu else ", no GPU"
    return text + f"; {platform.system()} {platform.release()}"


def versions() -> dict[str, str]:
    """Python's version and each of :data:`PACKAGES`' ("not installed" when missing)."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def plain(obj):
    """The config as plain Python containers, so that YAML can write it."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def config_yaml(config) -> str:
    """The configuration as run, as YAML in its own key order."""
    return yaml.safe_dump(plain(config), sort_keys=False, allow_unicode=True)


def timestamp() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    ).replace(microsecond=0)
    return when.isoformat().replace("+00:00", "Z")


def collect_provenance(config: dict, repo_dir, configfiles=()) -> dict:
    """Versions, code revision, hardware, time and configuration of this report's run.

    ``configfiles`` are the config files the study ran with (``--configfile``), so that
    the commands the report prints rerun this study, not the default one.
    """
    return {
        "versions": versions(),
        "code_revision": git_revision(repo_dir),
        "command": REGENERATE_COMMAND,
        "configfiles": [str(f) for f in configfiles],
        "hardware": hardware(),
        "generated": timestamp(),
        "config_yaml": config_yaml(config),
    }


def snakemake_prefix(configfiles: list[str]) -> str:
    """The start of a command that reruns part of this study with its configuration.

    >>> snakemake_prefix(["config/smoke.yaml"])
    'snakemake --cores 1 --configfile config/smoke.yaml'
    """
    extra = "".join(f" --configfile {display_path(f)}" for f in configfiles)
    return f"snakemake --cores 1{extra}"
