"""The paper-style report (STUDY.md §6): one Jinja2 template rendered to HTML and to PDF.

Every number in the report is computed here from the inputs (claims, per-seed
summaries, figures, Snakemake's benchmark files, the previous build's snapshot);
the template holds words and layout only. The one exception is the literature's
numbers (STUDY.md §7), quoted from :data:`LITERATURE` with their references.
Every sentence that states a result is chosen by a verdict or built from numbers.

The HTML is self-contained: the stylesheet and subsets of the fonts are inlined
and the figures are SVG data URIs, which WeasyPrint also draws as vector graphics
in the PDF.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import importlib.metadata
import json
import math
import multiprocessing
import os
import platform
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import yaml

from bnstudy import changes
from bnstudy.families import FAMILY_DESCRIPTIONS, FAMILY_TITLES, KNOWN_FAMILIES
from bnstudy.figures import (
    SOURCE_NAMES,
    figure_caption,
    grid_axes,
    is_classification,
    loss_label,
    ordered_values,
    read_table,
    with_derived,
)
from bnstudy.io import atomic_write, write_text
from bnstudy.stats import CONFIDENCE, aggregate
from bnstudy.summary import FINAL_EPOCHS, SUMMARY_METRICS
from bnstudy.tables import failed_rows

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "report"
TEMPLATE = "report.html.j2"
STYLESHEET = "style.css"
REGENERATE_COMMAND = "snakemake --cores 8 results/report/report.html"
TITLE = (
    "Tuning networks with Batch Normalization: rules of thumb re-tested with seeds and intervals"
)

#: Packages whose versions the appendix lists (python is added first).
PACKAGES = ["torch", "snakemake", "pandas", "numpy", "matplotlib", "scipy", "jinja2", "weasyprint"]

#: Verdicts in the order the report presents them; others follow alphabetically.
VERDICTS = ["supported", "contradicted", "inconclusive", "not run"]
VERDICT_HEADINGS = {
    "supported": "Supported by the data",
    "contradicted": "Contradicted by the data",
    "inconclusive": "Inconclusive",
    "not run": "Not run in this configuration",
}

DATASET_TEXT = {
    "poly2": (
        "Regression on standard-normal features with a quadratic target, "
        "y = 2x₁² − x₂² + 3x₃² + x₄² + 2x₅² + ε, ε ~ N(0, 1)."
    ),
    "linear": (
        "The simple-data control: the same features with a linear target, "
        "y = 2x₁ − x₂ + 3x₃ + x₄ + 2x₅ + ε."
    ),
    "images": "Ten-class grey-scale images of 1×28×28 pixels.",
}
#: What the ``images`` dataset is, by the ``source`` its meta records.
IMAGE_SOURCE_TEXT = {
    "synthetic": (
        "Procedurally generated shapes (the study's default image set): each image is one of "
        "ten shapes drawn at a random position, size, aspect ratio, rotation, stroke thickness "
        "and contrast over a background of random brightness, with clutter strokes and pixel "
        "noise, from a seeded generator."
    ),
    "fashion_mnist": (
        "Fashion-MNIST (Xiao et al., 2017), read from its four standard IDX files: grey-scale "
        "photographs of clothing and accessories."
    ),
}
MODEL_TEXT = {
    "mlp": (
        "MLP-d: d hidden layers of equal width; BN placement none, pre "
        "(Linear → BN → activation) or post (Linear → activation → BN), with PyTorch's "
        "BN momentum and eps."
    ),
    "wide_mlp": (
        "Wide MLP for images: 784-512-256-128-64-10 (the image flattened, four hidden layers, "
        "ten outputs); BN (Linear → BN → activation) after the first k hidden layers."
    ),
    "lenet": (
        "LeNet-5 as in the Dive-into-Deep-Learning BN chapter: Conv(1→6, 5) → [BN] → sigmoid → "
        "avg-pool 2 → Conv(6→16, 5) → [BN] → sigmoid → avg-pool 2 → Linear(256→120) → [BN] → "
        "sigmoid → Linear(120→84) → [BN] → sigmoid → Linear(84→10); Xavier-uniform init, "
        "cross-entropy, accuracy measured in evaluation mode. Variants: none (no BN), library "
        "(torch.nn.BatchNorm1d/2d) and scratch (BN written in this project: batch statistics "
        "in training, running averages in evaluation, per-channel statistics over N·H·W for "
        "convolutions)."
    ),
}
#: The configuration columns that shape each model (the others do not apply to it).
MODEL_PARAMS = {
    "mlp": ("depth", "width", "act", "bn", "init"),
    "wide_mlp": ("act", "bn_layers", "init"),
    "lenet": ("bn",),
}
#: Readable names of configuration columns.
PARAM_NAMES = {
    "dataset": "dataset",
    "model": "model",
    "depth": "depth",
    "width": "width",
    "act": "activation",
    "bn": "BN",
    "bn_layers": "BN layers",
    "init": "initialization",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "momentum": "momentum",
    "nesterov_momentum": "Nesterov momentum",
    "schedule": "schedule",
    "schedule_k": "schedule time constant",
    "range_end": "range-test end lr",
    "batch_size": "batch size",
    "epochs": "epochs",
    "diverge_factor": "divergence factor",
}
#: The numbers of each family's table after its final metric (its figures show them too).
TABLE_EXTRAS = {
    "depth": ["grad_ratio"],
    "lr": ["grad_ratio"],
    "batch": ["bn_gap"],
    "schedule": ["volatility"],
    "optimizer": ["speed"],
    "bn_layers": ["speed"],
    "lr_range": ["suggested_lr"],
}
#: Table metric -> (column header, geometric mean?, what it is, for the table's caption).
TABLE_METRICS = {
    "final_acc": ("final accuracy", False, "test accuracy at the last epoch (mean)"),
    "grad_ratio": (
        "gradient ratio first/last",
        True,
        "the first layer's gradient norm over the last layer's (geometric mean)",
    ),
    "bn_gap": (
        "running-stat. error",
        True,
        "gap between BN's running mean and variance and the true statistics (geometric mean; "
        "BN runs only)",
    ),
    "volatility": (
        "volatility",
        True,
        "std of the epoch-to-epoch test-loss change over the last epochs (geometric mean)",
    ),
    "speed": ("speed", False, "mean over epochs of the log test loss, lower is faster (mean)"),
    "suggested_lr": ("suggested lr", True, "the LR range test's suggestion (geometric mean)"),
}

#: The references of STUDY.md §7, in the order the introduction cites them
#: (Fashion-MNIST only when the image families used it).
REFERENCES = [
    {
        "key": "ioffe2015",
        "text": (
            "S. Ioffe and C. Szegedy. Batch Normalization: accelerating deep network training "
            "by reducing internal covariate shift. ICML 2015."
        ),
    },
    {
        "key": "d2l",
        "text": (
            "A. Zhang, Z. C. Lipton, M. Li and A. J. Smola. Dive into Deep Learning, chapter "
            "“Batch Normalization”. Cambridge University Press, 2023."
        ),
    },
    {"key": "wu2018", "text": "Y. Wu and K. He. Group Normalization. ECCV 2018."},
    {
        "key": "xiao2017",
        "text": (
            "H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a novel image dataset for "
            "benchmarking machine learning algorithms. arXiv:1708.07747, 2017."
        ),
    },
]
#: The literature's numbers (STUDY.md §7), quoted as published: the only numbers in the
#: report that the runs do not compute. Text, so that they print exactly as published.
LITERATURE = {
    "ioffe2015": {"fewer_steps": "14×"},
    "d2l": {
        "lr": "1.0",
        "epochs": "10",
        "batch": "256",
        "library": "0.869",
        "library_train": "0.908",
        "scratch": "0.801",
        "library_again": "0.708",
        "scratch_again": "0.807",
        "library_rate": "60,220",
        "scratch_rate": "35,561",
        "plain_lr": "0.9",
        "plain": "0.779",
    },
    "wu2018": {"batch": "16"},
}
#: How sure a recommendation of the tuning strategy is, by its claim's verdict.
CERTAINTY = {
    "supported": (
        "recommended",
        f"supported: the {CONFIDENCE:.0%} interval lies on the claimed side".replace(
            "%", "\u00a0%"
        ),
    ),
    "contradicted": (
        "rule refuted",
        f"contradicted: the {CONFIDENCE:.0%} interval lies on the other side".replace(
            "%", "\u00a0%"
        ),
    ),
    "inconclusive": ("unproven", "inconclusive: the interval does not decide the claim"),
}
_NOT_PARAMS = {"family", "config_id", "seed", "grad_ratio", *SUMMARY_METRICS}
_DASH = "–"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# --------------------------------------------------------------------------- formatting


def fmt(x, digits: int = 3) -> str:
    """A number with ``digits`` significant digits; missing → "–", large/small → a×10ⁿ.

    >>> [fmt(0.012345), fmt(1234567.0), fmt(-2.5e-5), fmt(float("nan")), fmt(3)]
    ['0.0123', '1.23×10⁶', '−2.5×10⁻⁵', '–', '3']
    """
    if x is None or isinstance(x, str):
        return _DASH if not x else x
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    x = float(x)
    if math.isnan(x):
        return _DASH
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        exponent = str(int(exponent)).translate(_SUPERSCRIPT)
        text = f"{mantissa}×10{exponent}" if mantissa != "1" else f"10{exponent}"
    return text.replace("-", "−")


def fmt_interval(low, high) -> str:
    """``[low, high]``, or "–" when the interval is undefined (fewer than two seeds)."""
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return _DASH
    return f"[{fmt(low)}, {fmt(high)}]"


def fmt_duration(seconds: float) -> str:
    """Seconds (3 significant digits) with a readable larger unit.

    >>> [fmt_duration(2.5), fmt_duration(5432.1)]
    ['2.5 s', '5,430 s (1.51 h)']
    """
    if not np.isfinite(seconds):
        return _DASH
    text = f"{fmt(seconds)} s" if seconds < 1000 else f"{float(f'{seconds:.3g}'):,.0f} s"
    if seconds >= 3600:
        text += f" ({fmt(seconds / 3600)} h)"
    elif seconds >= 60:
        text += f" ({fmt(seconds / 60)} min)"
    return text


def fmt_seconds(x) -> str:
    """Seconds or megabytes: 3 significant digits, whole numbers from 1,000 on.

    >>> [fmt_seconds(2.345), fmt_seconds(40512.7), fmt_seconds(float("nan"))]
    ['2.35', '40,513', '–']
    """
    if x is None or not np.isfinite(float(x)):
        return _DASH
    return f"{float(x):,.0f}" if abs(float(x)) >= 1000 else fmt(x)


def fmt_param(value) -> str:
    """A configuration value as written in a config file."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _int(x) -> str:
    return _DASH if x is None or not np.isfinite(float(x)) else str(int(x))


def _ci_label() -> str:
    """The confidence level as printed, e.g. "95 %" (kept on one line)."""
    return f"{CONFIDENCE:.0%}".replace("%", "\u00a0%")


def verdict_slug(verdict: str) -> str:
    return str(verdict).strip().lower().replace(" ", "-")


# --------------------------------------------------------------------------- provenance


def _git_revision(repo_dir) -> str:
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


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_name() -> str | None:
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


def _plain(obj):
    """The config as plain Python containers, so that YAML can write it."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _timestamp() -> str:
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
    versions = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    hardware = f"{_cpu_name()} ({platform.machine()}), {os.cpu_count()} CPU cores"
    gpu = _gpu_name()
    hardware += f", GPU {gpu}" if gpu else ", no GPU"
    hardware += f"; {platform.system()} {platform.release()}"
    return {
        "versions": versions,
        "code_revision": _git_revision(repo_dir),
        "command": REGENERATE_COMMAND,
        "configfiles": [str(f) for f in configfiles],
        "hardware": hardware,
        "generated": _timestamp(),
        "config_yaml": yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True),
    }


def rulegraph_dot(snakefile, configfiles=()) -> str:
    """The rule graph, in DOT, that ``snakemake --rulegraph`` prints for this study.

    Snakemake runs in a subprocess in the working directory with ``--nolock`` (a running
    workflow holds the lock: this is called from one of its jobs) and the study's config
    files (none: the workflow's default config).
    """
    import sys

    cmd = [sys.executable, "-m", "snakemake", "--rulegraph", "--nolock", "--snakefile", snakefile]
    if configfiles:
        cmd += ["--configfile", *map(str, configfiles), "--replace-workflow-config"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    start, end = proc.stdout.find("digraph"), proc.stdout.rfind("}")
    if proc.returncode or start < 0 or end < start:
        raise RuntimeError(
            f"snakemake --rulegraph failed (exit {proc.returncode}): {proc.stderr[-3000:]}"
        )
    return proc.stdout[start : end + 1] + "\n"


# --------------------------------------------------------------------------- families


def _declared(config: dict) -> dict[str, dict]:
    """The config's family blocks by name (a list of names or of blocks also works)."""
    declared = config.get("families", []) if isinstance(config, Mapping) else []
    if isinstance(declared, Mapping):
        items = list(declared.items())
    else:
        items = [(f["name"], f) if isinstance(f, Mapping) else (f, {}) for f in declared]
    return {str(k): dict(v) if isinstance(v, Mapping) else {} for k, v in items}


def _family_order(config: dict, families: list[str]) -> tuple[list[str], list[str]]:
    """(the study's families in STUDY.md order, the user's own in config order).

    Only families with results are listed; a user family missing from the config
    follows the declared ones.
    """
    known = [f for f in KNOWN_FAMILIES if f in families]
    declared = [f for f in _declared(config) if f in families and f not in KNOWN_FAMILIES]
    return known, declared + [f for f in families if f not in known and f not in declared]


def _applies(col: str, runs: pd.DataFrame) -> bool:
    """Whether configuration column ``col`` shapes ``runs`` (width does not shape LeNet)."""
    values = {c: set(runs[c].dropna()) for c in ("model", "optimizer", "schedule") if c in runs}
    models = values.get("model", set())
    if models and all(m in MODEL_PARAMS for m in models):
        by_model = {c for m in models for c in MODEL_PARAMS[m]}
        if col in {c for cols in MODEL_PARAMS.values() for c in cols} - by_model:
            return False
    optimizers, schedules = values.get("optimizer", set()), values.get("schedule", set())
    needs = {
        "momentum": optimizers and "sgd" in optimizers,
        "nesterov_momentum": optimizers and "nesterov" in optimizers,
        "schedule_k": schedules and schedules & {"inverse_time", "exponential"},
        "range_end": schedules and "range_test" in schedules,
    }
    return bool(needs.get(col, True))


def _params(summary: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The configuration columns of a summary: (varying, fixed and relevant)."""
    varying = grid_axes(summary)
    cols = [c for c in summary.columns if c not in _NOT_PARAMS and c not in varying]
    return varying, [c for c in cols if _applies(c, summary)]


def _sort_natural(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows ordered by each column's natural order (BN none/pre/post, lr high to low...)."""
    if frame.empty or not cols:
        return frame
    keys = {c: {v: i for i, v in enumerate(ordered_values(frame, c))} for c in cols}
    ranks = pd.DataFrame({c: frame[c].map(keys[c]) for c in cols})
    return frame.iloc[np.lexsort([ranks[c].to_numpy() for c in reversed(cols)])]


def _n_seeds(summary: pd.DataFrame) -> str:
    per_config = summary.groupby("config_id")["seed"].nunique()
    lo, hi = int(per_config.min()), int(per_config.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _table_metrics(family: str, summary: pd.DataFrame) -> list[tuple[str, str, bool, str]]:
    """(metric, header, geometric mean?, description) of each number in a family's table."""
    if is_classification(summary):
        first = ("final_acc", *TABLE_METRICS["final_acc"])
    else:
        loss = loss_label(summary)
        what = f"mean {loss} of the last {FINAL_EPOCHS} epochs (geometric mean over seeds)"
        first = ("final_test", f"final {loss}", True, what)
    extras = [(m, *TABLE_METRICS[m]) for m in TABLE_EXTRAS.get(family, [])]
    return [first, *extras]


#: Aggregates and derived tables computed during one build_context, by the frame's id
#: (a family's figures and its table ask for the same ones). The frame is kept with its
#: result, so an id cannot be reused while the entry lives; build_context empties it.
_MEMO: dict = {}


def _aggregate(summary: pd.DataFrame, by: list[str], metric: str, log: bool) -> pd.DataFrame:
    """``stats.aggregate``, remembered for the current build."""
    key = (id(summary), "aggregate", tuple(by), metric, log)
    if key not in _MEMO:
        _MEMO[key] = (summary, aggregate(summary, list(by), metric, log=log))
    return _MEMO[key][1]


def _derived(summary: pd.DataFrame) -> pd.DataFrame:
    """``figures.with_derived``, remembered for the current build."""
    key = (id(summary), "derived")
    if key not in _MEMO:
        _MEMO[key] = (summary, with_derived(summary))
    return _MEMO[key][1]


def _family_table(family: str, summary: pd.DataFrame, varying: list[str]) -> dict:
    """Per configuration: the family's numbers with intervals, and the divergences."""
    by = varying or ["config_id"]
    summary = _derived(summary)
    metrics = _table_metrics(family, summary)
    table = None
    for i, (metric, _, log, _) in enumerate(metrics):
        cols = {"mean": f"mean_{i}", "ci_low": f"low_{i}", "ci_high": f"high_{i}"}
        agg = _aggregate(summary, by, metric, log).rename(columns=cols)
        table = agg if table is None else table.merge(agg[[*by, *cols.values()]], on=by)
    table = _sort_natural(table, by)
    ci = _ci_label()
    columns = [PARAM_NAMES.get(c, c) for c in by]
    for _, header, _, _ in metrics:
        columns += [header, f"{ci} interval"]
    rows = []
    for rec in table.to_dict("records"):
        k, n = int(rec["n_diverged"]), int(rec["n_seeds"])
        cells = []
        for i in range(len(metrics)):
            cells += [
                fmt(rec[f"mean_{i}"]),
                fmt_interval(rec[f"low_{i}"], rec[f"high_{i}"]),
            ]
        rows.append(
            {
                "params": [fmt_param(rec[c]) for c in by],
                "cells": cells,
                "diverged": f"{k} of {n} seeds",
                "any_diverged": k > 0,
            }
        )
    described = "; ".join(f"{header}: {what}" for _, header, _, what in metrics)
    return {
        "columns": [*columns, "diverged"],
        "n_params": len(by),
        "rows": rows,
        "caption": f"over the non-diverged seeds with {ci} intervals. Columns: {described}.",
    }


def _svg_data_uri(path) -> str:
    data = Path(path).read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _display_path(path) -> str:
    """A path relative to the working directory when it lies below it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(p)
    return str(p)


def _counts(verdicts: pd.Series) -> list[dict]:
    present = [str(v) for v in verdicts]
    order = VERDICTS + sorted(set(present) - set(VERDICTS))
    return [
        {"verdict": v, "slug": verdict_slug(v), "count": present.count(v)}
        for v in order
        if v in VERDICTS or v in present
    ]


# --------------------------------------------------------------------------- key numbers


def _config_label(rec: Mapping, cols: list[str]) -> str:
    """A configuration in words from its varying columns: "depth 2 · relu · BN pre"."""
    if not cols:
        return "the only configuration"
    parts = []
    for c in cols:
        value = fmt_param(rec[c])
        parts.append(
            value if c in ("act", "optimizer", "schedule") else f"{PARAM_NAMES.get(c, c)} {value}"
        )
    return " · ".join(parts)


def _extremes(
    summary: pd.DataFrame, metric: str, log: bool, varying: list[str], what: str, high_first: bool
) -> str:
    """The configurations with the highest and lowest ``metric``, with intervals."""
    if metric not in summary or not summary[metric].notna().any():
        return ""
    agg = _aggregate(summary, varying or ["config_id"], metric, log)
    agg = agg[np.isfinite(agg["mean"].to_numpy(dtype=float))]
    if agg.empty:
        return ""
    agg = agg.sort_values("mean", ascending=not high_first, kind="stable")
    ends = [("highest", "lowest") if high_first else ("lowest", "highest")][0]
    rows = [agg.iloc[0]] + ([agg.iloc[-1]] if len(agg) > 1 else [])
    texts = []
    for word, rec in zip(ends, rows, strict=False):
        texts.append(
            f"{word} {what} {fmt(rec['mean'])} {fmt_interval(rec['ci_low'], rec['ci_high'])} "
            f"({_config_label(rec, varying)})"
        )
    return "; ".join(texts)


def _diverged_text(summary: pd.DataFrame) -> str:
    k, n = int((summary["diverged"] == 1).sum()), len(summary)
    return f"{k} of {n} runs diverged" if k else f"none of the {n} runs diverged"


def _suggestions(summary: pd.DataFrame, varying: list[str]) -> str:
    if "suggested_lr" not in summary or not summary["suggested_lr"].notna().any():
        return "no suggested learning rate was recorded"
    agg = aggregate(summary, varying or ["config_id"], "suggested_lr", log=True)
    return "suggested lr " + "; ".join(
        f"{fmt(r['mean'])} {fmt_interval(r['ci_low'], r['ci_high'])} ({_config_label(r, varying)})"
        for r in agg.to_dict("records")
    )


def figure_numbers(family: str, name: str, summary: pd.DataFrame) -> str:
    """The key numbers of a figure, from the family's per-seed summary (one sentence).

    Means are over the non-diverged seeds; losses and ratios are geometric means, all
    with their 95 % intervals.
    """
    varying = grid_axes(summary)
    summary = _derived(summary)
    classification = is_classification(summary)
    if classification:
        final = _extremes(summary, "final_acc", False, varying, "final accuracy", True)
    else:
        final = _extremes(
            summary, "final_test", True, varying, f"final {loss_label(summary)}", False
        )
    parts = []
    if name == "grad_ratio":
        parts.append(_extremes(summary, "grad_ratio", True, varying, "gradient ratio", False))
    elif name == "running_stats":
        bn = summary[summary["bn"] != "none"] if "bn" in summary else summary
        parts.append(_extremes(bn, "bn_gap", True, varying, "running-statistics error", False))
    elif name.startswith("speed_acc"):
        parts += [_extremes(summary, "speed", False, varying, "speed", False), final]
    elif name == "final_vs_schedule":
        parts += [final, _extremes(summary, "volatility", True, varying, "volatility", False)]
    elif name == "range_test":
        parts.append(_suggestions(summary, varying))
    else:
        parts.append(final)
    parts.append(_diverged_text(summary))
    text = "; ".join(p for p in parts if p)
    return f"Key numbers: {text}." if text else ""


# --------------------------------------------------------------------------- literature


def _agg_at(summary: pd.DataFrame, where: Mapping, by: str, metric: str, log: bool) -> dict:
    """Mean [interval] of ``metric`` per level of ``by`` among the rows matching ``where``."""
    rows = summary
    for col, value in where.items():
        rows = rows[rows[col] == value]
    if rows.empty or metric not in rows:
        return {}
    agg = aggregate(rows, [by], metric, log=log)
    return {
        str(r[by]): f"{fmt(r['mean'])} {fmt_interval(r['ci_low'], r['ci_high'])}"
        + (f", {int(r['n_diverged'])} of {int(r['n_seeds'])} diverged" if r["n_diverged"] else "")
        for r in agg.to_dict("records")
    }


def literature_note(family: str, summary: pd.DataFrame, refs: Mapping[str, str]) -> str:
    """This family's numbers next to the literature's (STUDY.md §7), or "" if none applies.

    ``refs`` maps a reference key of ``REFERENCES`` to its citation label ("[2]").
    """
    lit = LITERATURE
    if family == "lenet" and {"bn", "lr", "final_acc"} <= set(summary.columns):
        lr = max(summary["lr"])
        acc = _agg_at(summary, {"lr": lr}, "bn", "final_acc", False)
        here = "; ".join(f"{bn} {text}" for bn, text in acc.items())
        d2l = lit["d2l"]
        return (
            f"Dive into Deep Learning {refs['d2l']} reports, from one run each at lr "
            f"{fmt_param(d2l['lr'])}, a test accuracy of {d2l['library']} with the library's BN "
            f"and {d2l['scratch']} with a hand-written BN; another published execution of the "
            f"same code gave {d2l['library_again']} and {d2l['scratch_again']}. Here, at lr "
            f"{fmt_param(lr)} with {_n_seeds(summary)} seeds, the mean final test accuracy "
            f"[{_ci_label()} interval] is: {here}."
        )
    if family in ("batch", "image_batch") and "batch_size" in summary:
        bn_col = "bn" if "bn" in summary and summary["bn"].nunique() > 1 else "bn_layers"
        if bn_col not in summary or summary[bn_col].nunique() < 2:
            return ""
        metric, log = ("final_acc", False) if is_classification(summary) else ("final_test", True)
        ends = [min(summary["batch_size"]), max(summary["batch_size"])]
        texts = []
        for b in ends:
            agg = _agg_at(summary, {"batch_size": b}, bn_col, metric, log)
            cells = "; ".join(f"{PARAM_NAMES.get(bn_col, bn_col)} {k}: {v}" for k, v in agg.items())
            texts.append(f"at batch {fmt_param(b)}, {cells}")
        what = (
            "final accuracy (mean)" if metric == "final_acc" else "final test loss (geometric mean)"
        )
        return (
            f"Group Normalization {refs['wu2018']} reports that BN's error rises sharply at "
            f"batch sizes below about {lit['wu2018']['batch']} per device. Here, the {what} "
            f"over the grid's other settings is {' and '.join(texts)}."
        )
    if family == "lr" and {"bn", "lr"} <= set(summary.columns):
        stable = summary.groupby(["bn", "lr"])["diverged"].max() == 0
        tops = {
            bn: max((lr for (b, lr), ok in stable.items() if b == bn and ok), default=None)
            for bn in ordered_values(summary, "bn")
        }
        cells = ", ".join(
            f"BN {bn}: {fmt_param(lr) if lr is not None else 'none of the grid'}"
            for bn, lr in tops.items()
        )
        return (
            f"The BN paper {refs['ioffe2015']} reports that BN allows higher learning rates. "
            f"Here, the largest learning rate of the grid at which no seed diverged is: {cells}."
        )
    if family == "init" and {"bn", "init", "final_test"} <= set(summary.columns):
        agg = aggregate(summary, ["bn", "init"], "final_test", log=True)
        cells = []
        for bn in ordered_values(summary, "bn"):
            means = agg.loc[agg["bn"] == bn, "mean"].to_numpy(dtype=float)
            means = means[np.isfinite(means)]
            if means.size > 1:
                cells.append(f"BN {bn}: {fmt(means.max() / means.min())}×")
        if not cells:
            return ""
        return (
            f"The BN paper {refs['ioffe2015']} reports that BN lets one take less care about "
            "the initialization. Here, the worst initialization's final test loss over the "
            f"best one's (geometric means over seeds and activations) is {', '.join(cells)}."
        )
    return ""


# --------------------------------------------------------------------------- job resources


def read_benchmarks(folder) -> pd.DataFrame:
    """One row per job from Snakemake's benchmark files under ``folder`` (``**/*.tsv``).

    The first path component is the rule (``train_config/depth/act~tanh/….tsv``), the rest
    the job; a file directly in ``folder`` is a rule without wildcards. ``s`` is the job's
    wall time in seconds and ``max_rss`` its peak resident memory in MB ("-" or "NA" when
    the job was too short to be sampled: missing). Files Snakemake is still writing, or
    that cannot be read, are skipped.
    """
    rows = []
    folder = Path(folder)
    if not folder.is_dir():
        return pd.DataFrame(columns=["rule", "job", "s", "max_rss"])
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
                "job": "/".join(rel.parts[1:]) or _DASH,
                "s": pd.to_numeric(first.get("s"), errors="coerce"),
                "max_rss": pd.to_numeric(first.get("max_rss"), errors="coerce"),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "job", "s", "max_rss"])


def _rule_order(dot: str | None) -> list[str]:
    """Rule names in workflow order (the rule graph's layers, sources first)."""
    if not dot:
        return []
    from bnstudy.figures import _layers, parse_dot

    labels, edges = parse_dot(dot)
    layer = _layers(list(labels), edges)
    return [labels[n] for n in sorted(labels, key=lambda n: (layer[n], labels[n]))]


def _jobs_context(jobs: pd.DataFrame, order: list[str]) -> tuple[dict, pd.DataFrame]:
    """The appendix's job table: per rule, then per job (two jobs per row)."""
    if jobs.empty:
        return None
    rank = {r: i for i, r in enumerate(order)}
    jobs = jobs.assign(_rank=[rank.get(r, len(rank)) for r in jobs["rule"]])
    jobs = jobs.sort_values(["_rank", "rule", "job"], kind="stable").drop(columns="_rank")
    per_rule = []
    for rule, grp in jobs.groupby("rule", sort=False):
        s = grp["s"].to_numpy(dtype=float)
        rss = grp["max_rss"].to_numpy(dtype=float)
        per_rule.append(
            {
                "rule": rule,
                "jobs": str(len(grp)),
                "total": fmt_seconds(np.nansum(s)),
                "median": fmt_seconds(np.nanmedian(s)) if np.isfinite(s).any() else _DASH,
                "max": fmt_seconds(np.nanmax(s)) if np.isfinite(s).any() else _DASH,
                "rss": fmt_seconds(np.nanmax(rss)) if np.isfinite(rss).any() else _DASH,
            }
        )
    cells = [(r.rule, r.job, fmt_seconds(r.s), fmt_seconds(r.max_rss)) for r in jobs.itertuples()]
    half = (len(cells) + 1) // 2
    total = float(np.nansum(jobs["s"].to_numpy(dtype=float)))
    rss = jobs["max_rss"].to_numpy(dtype=float)
    return {
        "per_rule": per_rule,
        "rows": [
            [cells[i], cells[i + half] if i + half < len(cells) else None] for i in range(half)
        ],
        "n_jobs": str(len(jobs)),
        "total": fmt_duration(total),
        "total_seconds": repr(total),
        "max_rss": fmt_seconds(np.nanmax(rss)) if np.isfinite(rss).any() else _DASH,
    }, jobs


# --------------------------------------------------------------------------- prose


def advice_texts(claims: pd.DataFrame) -> list[dict]:
    """Each judged claim's advice for its verdict, with its numbers as the report prints them.

    The sentences are the claims' own (``bnstudy.claims``: one per verdict, with a
    ``{ci}`` slot); the evidence filled in is the effect, its interval and the seeds, or
    says that no seed pair could be used.
    """
    from bnstudy import claims as claims_lib

    by_id = {c.id: c for c in claims_lib.CLAIMS}
    out = []
    for rec in claims.to_dict("records"):
        claim, verdict = str(rec["claim"]), str(rec["verdict"])
        template = by_id[claim].advice.get(verdict) if claim in by_id else None
        if verdict == "not run" or template is None:
            continue
        n = int(rec["n_seeds"]) if pd.notna(rec["n_seeds"]) else 0
        if n and pd.notna(rec["effect"]):
            interval = fmt_interval(rec["ci_low"], rec["ci_high"])
            ci = f"{fmt(rec['effect'])}, {_ci_label()} CI {interval}, {n} seed{'s' * (n != 1)}"
        else:
            ci = "no usable seed pairs"
        out.append({"claim": claim, "verdict": verdict, "text": template.format(ci=ci)})
    return out


def _strongest(claim_rows: list[dict], k: int = 3) -> list[dict]:
    """The decided claims with the largest effects (|effect|), largest first."""
    decided = [
        c for c in claim_rows if c["verdict"] in ("supported", "contradicted") and c["abs_effect"]
    ]
    return sorted(decided, key=lambda c: -c["abs_effect"])[:k]


def _strategy(claim_rows: list[dict], advice: Mapping[str, str]) -> dict:
    """The tuning strategy: one numbered item per decided claim, then the unproven ones.

    What to do is the claim's advice for its verdict (with its numbers); how sure comes
    from the verdict: supported → recommended, contradicted → the rule is refuted,
    inconclusive → unproven.
    """
    items = []
    for verdict in ("supported", "contradicted"):
        rows = [c for c in claim_rows if c["verdict"] == verdict]
        for c in sorted(rows, key=lambda c: -c["abs_effect"]):
            label, why = CERTAINTY[verdict]
            items.append(
                {
                    "claim": c["claim"],
                    "statement": c["statement"],
                    "label": label,
                    "slug": verdict_slug(verdict),
                    "advice": advice.get(c["claim"], ""),
                    "how_sure": f"{why} ({c['n_seeds']} seeds)",
                }
            )
    unproven = [
        {"claim": c["claim"], "statement": c["statement"], "advice": advice.get(c["claim"], "")}
        for c in claim_rows
        if c["verdict"] == "inconclusive"
    ]
    return {"items": items, "unproven": unproven, "unproven_label": CERTAINTY["inconclusive"]}


def _failed_limitation(failed: Mapping[str, list[dict]]) -> list[str]:
    """The limitation that failed configurations impose, if any failed."""
    lost = [f"{fam}/{r['config_id']}" for fam, rows in failed.items() for r in rows]
    if not lost:
        return []
    return [
        f"Failed configurations: {len(lost)} configuration(s) failed to train and are missing "
        f"from every table and figure ({', '.join(lost)}); the claims that read their "
        "families are at most inconclusive. Their errors are in "
        "results/metrics/<family>_runs.csv; Snakemake names the command that reruns them."
    ]


def _limitations(
    config: Mapping,
    summaries: Mapping[str, pd.DataFrame],
    families: list[str],
    claim_rows: list[dict],
    datasets: Mapping[str, Mapping],
    hardware: str,
) -> list[str]:
    """What the reader should keep in mind, each point chosen by what this study used."""
    out = []
    runs = pd.concat([summaries[f] for f in families], ignore_index=True) if families else None
    if runs is not None and not runs.empty:
        epochs = runs["epochs"] if "epochs" in runs else pd.Series(dtype=float)
        sizes = []
        for ds, meta in datasets.items():
            if "n_train" in meta:
                sizes.append(f"{ds} {int(meta['n_train']):,}")
        scale = (
            f"Scale: the networks are small ({', '.join(sorted({str(m) for m in runs['model']}))}"
        )
        if "width" in runs and "mlp" in set(runs["model"]):
            widths = ordered_values(runs[runs["model"] == "mlp"], "width")
            scale += f"; MLP-d width {', '.join(fmt_param(w) for w in widths)}"
        scale += ")"
        if sizes:
            scale += f", the training sets small ({', '.join(sizes)} samples)"
        if not epochs.empty:
            scale += (
                f" and training short ({fmt_param(epochs.min())}–{fmt_param(epochs.max())} epochs)"
                if epochs.min() != epochs.max()
                else f" and training short ({fmt_param(epochs.min())} epochs)"
            )
        out.append(
            scale + ". Effects reported at ImageNet scale in the literature need not appear "
            "here, and effects found here need not carry over to large networks."
        )
        seeds = sorted({_n_seeds(summaries[f]) for f in families})
        out.append(
            f"Seeds: {' or '.join(seeds)} seeds per configuration. An inconclusive verdict "
            "means the interval includes no effect at this number of seeds, not that there "
            "is no effect; more seeds narrow the intervals."
        )
        k = int((runs["diverged"] == 1).sum())
        if k:
            out.append(
                f"Divergence: {k} of {len(runs)} runs diverged. They are left out of the "
                "means and intervals (and counted in every table), so a configuration that "
                "often diverges is judged on its surviving seeds."
            )
    device = str(config.get("device", "cpu")) if isinstance(config, Mapping) else "cpu"
    if "gpu" not in hardware.lower() or "no gpu" in hardware.lower() or device == "cpu":
        out.append(
            f"Hardware: the runs trained on the CPU (device {device}). Times and throughputs "
            "are not comparable with published GPU numbers, and they do not enter any verdict."
        )
    synthetic = [ds for ds in ("poly2", "linear") if ds in datasets]
    images = datasets.get("images")
    source = str((images or {}).get("source", "")) if images is not None else ""
    if synthetic or source == "synthetic":
        names = list(synthetic) + (
            ["images (procedurally generated shapes)"] if source == "synthetic" else []
        )
        out.append(
            f"Synthetic data: {', '.join(names)} are generated by the pipeline. They are "
            "controlled and reproducible, but simpler than natural data"
            + (
                "; in particular the image families do not use natural photographs."
                if source == "synthetic"
                else "."
            )
        )
    elif source == "fashion_mnist":
        out.append(
            "Data: the image families use Fashion-MNIST, small 28×28 grey-scale images; "
            "natural colour images at higher resolution may behave differently."
        )
    decided = [c for c in claim_rows if c["verdict"] in ("supported", "contradicted")]
    judged = [c for c in claim_rows if c["verdict"] != "not run"]
    if judged:
        out.append(
            f"Multiple claims: {len(judged)} claims are judged, each at "
            f"{_ci_label()} confidence without correction for multiplicity; at that level "
            f"about {fmt(len(judged) * (1 - CONFIDENCE), 2)} verdicts would be expected to "
            f"err by chance ({len(decided)} are decided)."
        )
    not_run = [c["claim"] for c in claim_rows if c["verdict"] == "not run"]
    if not_run:
        out.append(
            f"Not run: the families of {', '.join(not_run)} are not part of this "
            "configuration; those claims are listed but not judged."
        )
    return out


def _changes_context(diff: dict, previous_dir: str) -> dict:
    """The "what changed" section's rows, formatted."""
    if diff.get("first_build"):
        return {"first_build": True, "where": previous_dir}
    manifest = diff.get("manifest") or {}
    verdicts = []
    for v in diff["verdicts"]:
        b, a = v["before"], v["after"]
        verdicts.append(
            {
                "claim": v["claim"],
                "before": str(b["verdict"]),
                "before_slug": verdict_slug(b["verdict"]),
                "after": str(a["verdict"]),
                "after_slug": verdict_slug(a["verdict"]),
                "before_effect": f"{fmt(b['effect'])} {fmt_interval(b['ci_low'], b['ci_high'])}",
                "after_effect": f"{fmt(a['effect'])} {fmt_interval(a['ci_low'], a['ci_high'])}",
            }
        )
    moved = []
    for m in diff["moved"]:
        if m["metric"] == "diverged seeds":
            before, after, change = m["diverged_before"], m["diverged_after"], _DASH
        else:
            before = f"{fmt(m['before'])} {fmt_interval(m['before_low'], m['before_high'])}"
            after = f"{fmt(m['after'])} {fmt_interval(m['after_low'], m['after_high'])}"
            change = f"{m['change']:+.1%}".replace("-", "−").replace("%", "\u00a0%")
        moved.append(
            {
                "family": m["family"],
                "config": m["config_id"],
                "metric": m["metric"],
                "before": before,
                "after": after,
                "change": change,
            }
        )
    return {
        "first_build": False,
        "where": previous_dir,
        "previous_generated": str(manifest.get("generated", _DASH)),
        "previous_revision": str(manifest.get("code_revision", "unknown")),
        "configs": diff["configs"],
        "verdicts": verdicts,
        "moved": moved,
        "n_compared": str(diff["n_compared"]),
        "added": diff["added"],
        "removed": diff["removed"],
        "changed": diff["changed"],
    }


# --------------------------------------------------------------------------- context


def _figure_entry(
    number: int, anchor: str, src: str, caption: str, provenance: dict, path=None
) -> dict:
    """A numbered figure: ``src`` (a data URI) for the HTML; the PDF reads ``path``."""
    return {
        "number": number,
        "id": anchor,
        "src": src,
        "pdf_src": Path(path).resolve().as_uri() if path else src,
        "caption": caption,
        "provenance": {"configs": "", **provenance},
    }


def build_context(
    *,
    config: dict,
    claims: pd.DataFrame,
    conclusions: list[dict],
    summaries: dict[str, pd.DataFrame],
    figures: dict[str, dict[str, str]],
    provenance: dict,
    datasets: Mapping[str, Mapping] | None = None,
    samples: Mapping[str, str] | None = None,
    tables: Mapping[str, list[str]] | None = None,
    jobs: pd.DataFrame | None = None,
    rulegraph: tuple[str, str] | None = None,
    changes: dict | None = None,
    failed: Mapping[str, list[dict]] | None = None,
) -> dict:
    """Everything the template shows, with every number already computed and formatted.

    ``datasets`` maps a dataset to its meta (``bnstudy.data.describe``: source, sizes,
    class names...); ``samples`` maps an image dataset to the SVG of its sample images;
    ``tables`` a family to the tables its figures draw on (default: the pipeline's
    ``results/metrics/<family>.csv`` and ``…_summary.csv``); ``jobs`` is
    ``read_benchmarks``' table; ``rulegraph`` is (DOT text, SVG path) of the workflow's
    rule graph; ``changes`` is ``bnstudy.changes.compare``'s result; ``failed`` maps a
    family to its configurations whose training failed (``config_id``, ``error``).
    """
    _MEMO.clear()
    try:
        return _build_context(
            config=config,
            claims=claims,
            conclusions=conclusions,
            summaries=summaries,
            figures=figures,
            provenance=provenance,
            datasets=datasets,
            samples=samples,
            tables=tables,
            jobs=jobs,
            rulegraph=rulegraph,
            changes=changes,
            failed=failed or {},
        )
    finally:
        _MEMO.clear()


def _build_context(
    *,
    config,
    claims,
    conclusions,
    summaries,
    figures,
    provenance,
    datasets,
    samples,
    tables,
    jobs,
    rulegraph,
    changes,
    failed,
) -> dict:
    datasets = dict(datasets or {})
    known, additional = _family_order(config, [f for f, s in summaries.items() if not s.empty])
    families = known + additional
    declared = _declared(config)
    claims = claims.reset_index(drop=True)
    counts = _counts(claims["verdict"])
    by_count = {c["verdict"]: c["count"] for c in counts}
    revision = str(provenance.get("code_revision", "unknown"))
    prefix = snakemake_prefix(provenance.get("configfiles") or [])

    total_seconds = float(
        sum(np.nansum(s["wall_time"].to_numpy(dtype=float)) for s in summaries.values())
    )
    n_runs = sum(len(summaries[f]) for f in families)
    n_configs = sum(summaries[f]["config_id"].nunique() for f in families)
    advice = {str(c["claim"]): str(c["text"]) for c in conclusions}
    claim_order = {str(c): i for i, c in enumerate(claims["claim"])}

    claim_rows = []
    for rec in claims.to_dict("records"):
        effect = float(rec["effect"]) if pd.notna(rec["effect"]) else math.nan
        claim_rows.append(
            {
                "claim": str(rec["claim"]),
                "statement": str(rec.get("statement", "") or ""),
                "family": str(rec["family"]),
                "family_anchor": rec["family"] in families,
                "verdict": str(rec["verdict"]),
                "slug": verdict_slug(rec["verdict"]),
                "effect": fmt(rec["effect"]),
                "ci": fmt_interval(rec["ci_low"], rec["ci_high"]),
                "n_seeds": _int(rec["n_seeds"]),
                "detail": "" if pd.isna(rec["detail"]) else str(rec["detail"]),
                "abs_effect": abs(effect) if math.isfinite(effect) else 0.0,
                "sort": {
                    "claim": claim_order[str(rec["claim"])],
                    "verdict": VERDICTS.index(rec["verdict"])
                    if rec["verdict"] in VERDICTS
                    else len(VERDICTS),
                    "effect": repr(effect) if math.isfinite(effect) else "",
                    "n_seeds": _int(rec["n_seeds"]).replace(_DASH, ""),
                },
            }
        )

    # References are numbered in the order the text cites them.
    fashion = str((datasets.get("images") or {}).get("source", "")) == "fashion_mnist"
    cited = [r for r in REFERENCES if r["key"] != "xiao2017" or fashion]
    refs = {r["key"]: f"[{i}]" for i, r in enumerate(cited, start=1)}

    number = 0
    dataset_entries = []
    used_by: dict[str, list[str]] = {}
    for fam in families:
        summary = summaries[fam]
        for ds in ordered_values(summary, "dataset") if "dataset" in summary else []:
            used_by.setdefault(str(ds), []).append(fam)
    for ds, fams in used_by.items():
        entry = _dataset_entry(ds, fams, config, datasets.get(ds), (samples or {}).get(ds))
        if entry["samples"]:
            number += 1
            entry["samples"] = _figure_entry(
                number,
                f"samples-{ds}",
                entry["samples"]["src"],
                entry["samples"]["caption"],
                {
                    "command": f"{prefix} --force {_display_path((samples or {})[ds])}",
                    "inputs": [f"results/data/{ds}.pt"],
                    "code": f"bnstudy/figures.py at revision {revision}",
                },
                (samples or {})[ds],
            )
        if fashion and ds == "images":
            entry["text"] += f" {refs['xiao2017']}"
        dataset_entries.append(entry)

    family_sections, grids = [], []
    models: dict[str, dict] = {}
    for fam in families:
        summary = summaries[fam]
        varying, fixed = _params(summary)
        for model in ordered_values(summary, "model") if "model" in summary else []:
            models.setdefault(str(model), {"families": [], "parts": []})
            models[str(model)]["families"].append(fam)
            models[str(model)]["parts"].append(summary[summary["model"] == model])
        grid = {
            "family": fam,
            "varying": [
                (PARAM_NAMES.get(c, c), ", ".join(fmt_param(v) for v in ordered_values(summary, c)))
                for c in varying
            ],
            "fixed": [
                (PARAM_NAMES.get(c, c), fmt_param(summary[c].iloc[0]))
                for c in fixed
                if c not in ("dataset", "model")
            ],
            "dataset": ", ".join(str(v) for v in summary["dataset"].unique()),
            "model": ", ".join(str(v) for v in summary["model"].unique()),
            "n_configs": str(summary["config_id"].nunique()),
            "n_seeds": _n_seeds(summary),
            "n_runs": str(len(summary)),
            "n_diverged": str(int((summary["diverged"] == 1).sum())),
        }
        grids.append(grid)
        sources = list((tables or {}).get(fam) or pipeline_tables(fam))
        figs = []
        for name, path in figures.get(fam, {}).items():
            number += 1
            caption = figure_caption(fam, name, summary)
            numbers = figure_numbers(fam, name, summary)
            figs.append(
                _figure_entry(
                    number,
                    f"fig-{fam}-{name}",
                    _svg_data_uri(path),
                    f"{caption} {numbers}".strip(),
                    {
                        "command": f"{prefix} --force {_display_path(path)}",
                        "inputs": [_display_path(p) for p in sources],
                        "configs": (
                            f"{grid['n_configs']} configurations: "
                            f"results/runs/{fam}/<configuration>/config.json "
                            f"(config key families.{fam})"
                        ),
                        "code": f"bnstudy/figures.py at revision {revision}",
                    },
                    path,
                )
            )
        family_claims = [c for c in claim_rows if c["family"] == fam]
        judged = [
            {**c, "advice": advice.get(c["claim"], "")}
            for c in family_claims
            if c["verdict"] != "not run"
        ]
        fam_counts = {v: sum(c["verdict"] == v for c in judged) for v in VERDICTS[:3]}
        family_sections.append(
            {
                "family": fam,
                "title": FAMILY_TITLES.get(fam, fam),
                "text": _family_text(fam, declared.get(fam, {}), grid),
                "grid": grid,
                "figures": figs,
                "figure_range": _figure_range(figs),
                "table": _family_table(fam, summary, varying),
                "claims": family_claims,
                "judged": judged,
                "counts": fam_counts,
                "literature": literature_note(fam, summary, refs),
                "compute": fmt_duration(float(np.nansum(summary["wall_time"]))),
                "failed": list(failed.get(fam, [])),
            }
        )

    # Appendix figures: the jobs' runtime and memory, and the rule graph.
    jobs_ctx, jobs_figure = None, None
    dot = rulegraph[0] if rulegraph else None
    if jobs is not None and not jobs.empty:
        jobs_ctx, ordered_jobs = _jobs_context(jobs, _rule_order(dot))
        import matplotlib

        from bnstudy.figures import job_resources_figure, svg_text

        with matplotlib.rc_context({"font.size": 8}):
            svg = svg_text(job_resources_figure(ordered_jobs))
        number += 1
        jobs_figure = _figure_entry(
            number,
            "fig-jobs",
            "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii"),
            f"Wall time (left) and peak resident memory (right) of each of the "
            f"{jobs_ctx['n_jobs']} jobs with a benchmark file, one row per rule, log scale; "
            f"the bar marks each rule's median. Key numbers: {jobs_ctx['total']} of job time "
            f"in all; the largest peak memory {jobs_ctx['max_rss']} MB.",
            {
                "command": "drawn by the report itself: "
                f"{prefix} --force results/report/report.html",
                "inputs": ["results/benchmarks/**/*.tsv"],
                "code": f"bnstudy/figures.py and bnstudy/report.py at revision {revision}",
            },
        )
    rulegraph_figure = None
    if rulegraph:
        labels = _rule_order(dot)
        number += 1
        rulegraph_figure = _figure_entry(
            number,
            "fig-rulegraph",
            _svg_data_uri(rulegraph[1]),
            f"The workflow's {len(labels)} rules and their dependencies, as "
            "snakemake --rulegraph reports them for this configuration (an arrow points "
            "from a rule to the rules that use its outputs).",
            {
                "command": f"{prefix} --force {_display_path(rulegraph[1])}",
                "inputs": ["Snakefile", "workflow/rules/*.smk"],
                "code": f"bnstudy/figures.py at revision {revision}",
            },
            rulegraph[1],
        )

    hardware = str(provenance.get("hardware", "unknown"))
    seeds_all = sorted({_n_seeds(summaries[f]) for f in families})
    title = (
        (config.get("report") or {}).get("title", TITLE) if isinstance(config, Mapping) else TITLE
    )
    strongest = _strongest(claim_rows)
    sections = _sections(family_sections[: len(known)], family_sections[len(known) :])
    return {
        "title": title,
        "sections": sections,
        "abstract": {
            "n_claims": str(len(claims)),
            "counts": counts,
            "supported": by_count.get("supported", 0),
            "contradicted": by_count.get("contradicted", 0),
            "inconclusive": by_count.get("inconclusive", 0),
            "not_run": by_count.get("not run", 0),
            "supported_ids": [c["claim"] for c in claim_rows if c["verdict"] == "supported"],
            "contradicted_ids": [c["claim"] for c in claim_rows if c["verdict"] == "contradicted"],
            "strongest": strongest,
            "n_families": str(len(families)),
            "families": families,
            "n_configs": str(n_configs),
            "n_runs": str(n_runs),
            "seeds": " or ".join(seeds_all),
        },
        "literature": LITERATURE,
        "refs": refs,
        "references": [{**r, "label": refs[r["key"]]} for r in cited],
        "confidence": _ci_label(),
        "datasets": dataset_entries,
        "models": [
            {
                "id": m,
                "text": MODEL_TEXT.get(m, ""),
                "families": info["families"],
                "params": _model_params(m, pd.concat(info["parts"], ignore_index=True)),
            }
            for m, info in models.items()
        ],
        "grids": grids,
        "total_compute": fmt_duration(total_seconds),
        "total_seconds": repr(total_seconds),
        "families": family_sections[: len(known)],
        "additional": family_sections[len(known) :],
        "claims": claim_rows,
        "strategy": _strategy(claim_rows, advice),
        "limitations": _limitations(config, summaries, families, claim_rows, datasets, hardware)
        + _failed_limitation(failed),
        "changes": _changes_context(changes or {"first_build": True}, "results/report/last_build"),
        "provenance": {
            "versions": [(k, str(v)) for k, v in (provenance.get("versions") or {}).items()],
            "code_revision": revision,
            "command": str(provenance.get("command", REGENERATE_COMMAND)),
            "hardware": hardware,
            "generated": str(provenance.get("generated", "")),
            "config_yaml": str(
                provenance.get("config_yaml")
                or yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True)
            ),
            "regenerate": f"{prefix} results/report/report.html",
        },
        "figure_index": [
            f
            for f in [
                *(d["samples"] for d in dataset_entries if d["samples"]),
                *(f for s in family_sections for f in s["figures"]),
                jobs_figure,
                rulegraph_figure,
            ]
            if f
        ],
        "jobs": jobs_ctx,
        "jobs_figure": jobs_figure,
        "rulegraph_figure": rulegraph_figure,
    }


def _figure_range(figs: list[dict]) -> str:
    if not figs:
        return ""
    first, last = figs[0]["number"], figs[-1]["number"]
    return f"Figure {first}" if first == last else f"Figures {first}–{last}"


def _sections(known: list[dict], additional: list[dict]) -> list[dict]:
    """The numbered sections of the report (and its table of contents)."""
    results = [
        {"id": f"family-{s['family']}", "number": f"3.{i}", "title": s["title"]}
        for i, s in enumerate(known + additional, start=1)
    ]
    for entry, section in zip(results, known + additional, strict=True):
        section["number"] = entry["number"]
    out = [
        ("introduction", "1", "Introduction"),
        ("setup", "2", "Setup"),
        ("results", "3", "Results"),
        ("claims", "4", "Claims and verdicts"),
        ("strategy", "5", "Tuning strategy"),
        ("limitations", "6", "Limitations"),
        ("changes", "7", "What changed since the last build"),
        ("references", "", "References"),
        ("appendix", "A", "Appendix: provenance"),
    ]
    out = [
        {"id": i, "number": n, "title": t, "children": results if i == "results" else []}
        for i, n, t in out
    ]
    return out


def pipeline_tables(family: str) -> list[str]:
    """The tables a family's figures draw on, as the pipeline names them."""
    return [f"results/metrics/{family}.csv", f"results/metrics/{family}_summary.csv"]


def snakemake_prefix(configfiles: list[str]) -> str:
    """The start of a command that reruns part of this study with its configuration."""
    extra = "".join(f" --configfile {_display_path(f)}" for f in configfiles)
    return f"snakemake --cores 1{extra}"


def _family_text(family: str, block: Mapping, grid: dict) -> str:
    """The question a family asks: the study's words, the config's, or its grid."""
    if family in FAMILY_DESCRIPTIONS:
        return FAMILY_DESCRIPTIONS[family]
    if block.get("description"):
        return str(block["description"]).strip()
    axes = " × ".join(name for name, _ in grid["varying"]) or "a single configuration"
    return f"A family of this configuration's own: {grid['model']} on {grid['dataset']}, {axes}."


def _model_params(model: str, runs: pd.DataFrame) -> list[tuple[str, str]]:
    """The architecture settings the runs of one model used, e.g. ("depth", "1, 2, 3, 4")."""
    return [
        (PARAM_NAMES.get(c, c), ", ".join(fmt_param(v) for v in ordered_values(runs, c)))
        for c in MODEL_PARAMS.get(model, ("depth", "width", "act", "bn"))
        if c in runs
    ]


#: Meta entries the dataset text already says in words (or that are too long to list).
_META_IN_TEXT = {"name", "task", "source", "class_names", "input_shape", "n_train", "n_test"}


def _dataset_entry(
    ds: str, families: list[str], config: dict, meta: Mapping | None, sample_svg: str | None
) -> dict:
    """One dataset of the Setup: what it is, its size and settings, its sample images."""
    text = DATASET_TEXT.get(ds, "")
    meta = dict(meta or {})
    source = meta.get("source")
    if source is not None:
        text = IMAGE_SOURCE_TEXT.get(str(source), f"Source: {source}.")
    elif ds == "images":
        text += " Its source (procedural shapes or Fashion-MNIST) was not recorded."
    if "n_train" in meta and "n_test" in meta:
        shape = "×".join(str(int(d)) for d in meta.get("input_shape") or [])
        text += (
            f" {meta['n_train']:,} training and {meta['n_test']:,} test samples"
            + (f" of shape {shape}" if shape else "")
            + "."
        )
    if meta.get("class_names"):
        text += f" Classes: {', '.join(str(c) for c in meta['class_names'])}."
    if meta:
        params = [
            (str(k).replace("_", " "), fmt(v) if isinstance(v, float) else fmt_param(v))
            for k, v in meta.items()
            if k not in _META_IN_TEXT and not isinstance(v, Mapping | list | tuple)
        ]
    else:
        block = (config.get("datasets") or {}).get(ds) if isinstance(config, Mapping) else None
        block = block if isinstance(block, Mapping) else {}
        params = [
            (str(k), fmt_param(v)) for k, v in block.items() if not isinstance(v, Mapping | list)
        ]
    figure = None
    if sample_svg:
        origin = SOURCE_NAMES.get(str(source), str(source)) if source else "source not recorded"
        figure = {
            "src": _svg_data_uri(sample_svg),
            "caption": (
                f"The first training images of each class of {ds} ({origin}), after "
                "standardization, on one grey scale."
            ),
        }
    return {"id": ds, "text": text, "families": families, "params": params, "samples": figure}


# --------------------------------------------------------------------------- rendering

#: The report's fonts: DejaVu, as matplotlib ships it (so the lock provides the files),
#: embedded in the HTML as subsets of the characters the report uses.
FONT_FACES = [
    ("Report Serif", "normal", "normal", "DejaVuSerif.ttf"),
    ("Report Serif", "bold", "normal", "DejaVuSerif-Bold.ttf"),
    ("Report Serif", "normal", "italic", "DejaVuSerif-Italic.ttf"),
    ("Report Sans", "normal", "normal", "DejaVuSans.ttf"),
    ("Report Sans", "bold", "normal", "DejaVuSans-Bold.ttf"),
    ("Report Mono", "normal", "normal", "DejaVuSansMono.ttf"),
]
#: Where the stylesheet wants the @font-face rules.
FONTS_MARKER = "/* @font-face rules are inserted here */"


def font_css(text: str) -> str:
    """@font-face rules embedding FONT_FACES as WOFF subsets covering ``text``."""
    from bnstudy.figures import subset_font

    rules = []
    for family, weight, style, filename in FONT_FACES:
        data = base64.b64encode(subset_font(filename, text)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f"font-style: {style}; src: url(data:font/woff;base64,{data}) format('woff'); }}"
        )
    return "\n".join(rules)


#: The font a figure embeds for browsers (``figures._with_font``); the PDF has DejaVu.
_SVG_FONT = re.compile(r'<defs><style type="text/css">@font-face \{.*?</style></defs>', re.S)


def _pdf_fetcher():
    """WeasyPrint's URL fetcher, serving figure files without their embedded font."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FigureFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:") and url.endswith(".svg"):
                svg = Path(unquote(urlparse(url).path)).read_text(encoding="utf-8")
                body = _SVG_FONT.sub("", svg, count=1).encode("utf-8")
                return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)

    return FigureFetcher()


@contextlib.contextmanager
def _background(fn, *args):
    """Run ``fn(*args)`` in a forked process; yields a function that waits for its result.

    Where fork is not available it runs in this process, when the result is asked for.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: fn(*args)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        future = pool.submit(fn, *args)
        yield future.result


def render_html(
    context: dict, template_dir=DEFAULT_TEMPLATE_DIR, fonts: bool = True, for_pdf: bool = False
) -> str:
    """The report's HTML: the template filled with ``context``, stylesheet and fonts inlined.

    ``for_pdf``: the figures are read from their files (see ``_pdf_fetcher``) rather than
    inlined, which WeasyPrint parses much faster.
    """
    template_dir = Path(template_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = (template_dir / STYLESHEET).read_text(encoding="utf-8")
    html = env.get_template(TEMPLATE).render(css=css, for_pdf=for_pdf, **context)
    if fonts and FONTS_MARKER in html:
        html = html.replace(FONTS_MARKER, font_css(html), 1)
    return html


def render_report(
    *,
    config: dict,
    claims: pd.DataFrame,
    conclusions: list[dict],
    summaries: dict[str, pd.DataFrame],
    figures: dict[str, dict[str, str]],
    provenance: dict,
    html_out: str,
    pdf_out: str,
    template_dir: str | os.PathLike = DEFAULT_TEMPLATE_DIR,
    datasets: Mapping[str, Mapping] | None = None,
    samples: Mapping[str, str] | None = None,
    tables: Mapping[str, list[str]] | None = None,
    jobs: pd.DataFrame | None = None,
    rulegraph: tuple[str, str] | None = None,
    snapshot_dir: str | os.PathLike | None = None,
    failed: Mapping[str, list[dict]] | None = None,
) -> dict:
    """Write the report as a self-contained HTML file and as a PDF, both atomically.

    ``datasets`` (dataset -> its meta) and ``samples`` (image dataset -> SVG of sample
    images) feed the Setup's description of the data; ``tables``, ``jobs`` and
    ``rulegraph`` the provenance (see ``build_context``). The claims and summaries are
    compared with the snapshot of the last build in ``snapshot_dir`` (default:
    ``last_build/`` next to the HTML), and once both files are written they replace
    it. Returns the context rendered.
    """
    import weasyprint  # slow to import; only the report job needs it

    snapshot_dir = Path(snapshot_dir or Path(html_out).parent / "last_build")
    known, additional = _family_order(config, [f for f, s in summaries.items() if not s.empty])
    diff = changes.compare(
        changes.load_snapshot(snapshot_dir),
        claims,
        {f: summaries[f] for f in known + additional},
        lambda fam, summary: [
            (metric, header, log) for metric, header, log, _ in _table_metrics(fam, summary)
        ],
    )
    context = build_context(
        config=config,
        claims=claims,
        conclusions=conclusions,
        summaries=summaries,
        figures=figures,
        provenance=provenance,
        datasets=datasets,
        samples=samples,
        tables=tables,
        jobs=jobs,
        rulegraph=rulegraph,
        changes=diff,
        failed=failed,
    )
    context["changes"]["where"] = _display_path(snapshot_dir)
    # The PDF takes DejaVu from the system (WeasyPrint embeds what it uses), so the
    # HTML's embedded font subsets are made meanwhile, in a second process.
    html = render_html(context, template_dir, fonts=False)
    pdf_html = render_html(context, template_dir, fonts=False, for_pdf=True)
    with _background(font_css, html) as fonts:
        document = weasyprint.HTML(
            string=pdf_html.replace(FONTS_MARKER, ""),
            base_url=str(Path(template_dir).resolve()),
            url_fetcher=_pdf_fetcher(),
        )
        atomic_write(pdf_out, lambda tmp: document.write_pdf(tmp))
        write_text(html_out, html.replace(FONTS_MARKER, fonts(), 1))
    changes.save_snapshot(
        snapshot_dir,
        claims,
        {f: summaries[f] for f in known + additional},
        {
            "generated": context["provenance"]["generated"],
            "code_revision": context["provenance"]["code_revision"],
        },
    )
    return context


def render_files(
    *,
    study: dict,
    claims_path,
    summaries: dict[str, str],
    figures: Mapping[str, Mapping[str, str] | list[str]],
    html_out: str,
    pdf_out: str,
    repo_dir=DEFAULT_TEMPLATE_DIR.parent,
    template_dir=DEFAULT_TEMPLATE_DIR,
    datasets_meta: Mapping[str, str] | None = None,
    samples: Mapping[str, str] | None = None,
    benchmarks: str | os.PathLike | None = None,
    rulegraph: tuple[str, str] | None = None,
    configfiles: list[str] | None = None,
    snapshot_dir: str | os.PathLike | None = None,
    runs: Mapping[str, str] | None = None,
) -> dict:
    """The report from the pipeline's files: claims CSV, summary CSVs and figure SVGs.

    ``figures`` maps a family to ``{figure name: svg path}`` or to a list of SVG paths
    (the name is then the file's stem). ``datasets_meta`` maps a dataset to the JSON
    file of its meta; ``samples`` an image dataset to the SVG of its sample images;
    ``benchmarks`` is the folder of Snakemake's benchmark files (read as they are at
    render time); ``rulegraph`` (DOT path, SVG path) the workflow's rule graph;
    ``configfiles`` the config files the study ran with (for the commands shown);
    ``runs`` maps a family to its runs table, whose failed configurations the report marks.
    """
    from bnstudy import claims as claims_lib

    claims = read_table(claims_path)
    if "statement" not in claims:

        def statement(claim_id: str) -> str:
            try:
                return claims_lib.claim_statement(claim_id)
            except KeyError:  # a claim the library no longer defines
                return ""

        claims["statement"] = [statement(c) for c in claims["claim"]]
    tables = {}
    for fam, path in summaries.items():
        tidy = Path(str(path).removesuffix("_summary.csv") + ".csv")
        tables[fam] = [str(tidy), str(path)] if tidy.is_file() else [str(path)]
    return render_report(
        config=study,
        claims=claims,
        conclusions=advice_texts(claims),
        summaries={fam: read_table(path) for fam, path in summaries.items()},
        figures={
            fam: dict(paths) if isinstance(paths, Mapping) else {Path(p).stem: p for p in paths}
            for fam, paths in figures.items()
        },
        provenance=collect_provenance(study, repo_dir, configfiles or []),
        html_out=html_out,
        pdf_out=pdf_out,
        template_dir=template_dir,
        datasets={
            ds: json.loads(Path(path).read_text(encoding="utf-8"))
            for ds, path in (datasets_meta or {}).items()
        },
        samples=dict(samples or {}),
        tables=tables,
        jobs=read_benchmarks(benchmarks) if benchmarks else None,
        rulegraph=(
            (Path(rulegraph[0]).read_text(encoding="utf-8"), str(rulegraph[1]))
            if rulegraph
            else None
        ),
        snapshot_dir=snapshot_dir,
        failed={fam: failed_rows(read_table(path)) for fam, path in (runs or {}).items()},
    )
