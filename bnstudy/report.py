"""The paper-style report (STUDY.md §6): one Jinja2 template rendered to HTML and to PDF.

Every number in the report is computed here from the inputs (claims, per-seed
summaries, figures, provenance); the template holds words and layout only.
The HTML is self-contained: the stylesheet is inlined and the figures are SVG
data URIs, which WeasyPrint also draws as vector graphics in the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import yaml

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
    try:
        import torch  # only for the device name; training does not happen here
    except ImportError:
        return None
    try:
        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # a broken driver must not stop the report
        return None
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


def collect_provenance(config: dict, repo_dir) -> dict:
    """Versions, code revision, hardware, time and configuration of this report's run."""
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
        "hardware": hardware,
        "generated": _timestamp(),
        "config_yaml": yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True),
    }


# --------------------------------------------------------------------------- context


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


def _family_table(family: str, summary: pd.DataFrame, varying: list[str]) -> dict:
    """Per configuration: the family's numbers with intervals, and the divergences."""
    by = varying or ["config_id"]
    summary = with_derived(summary)
    metrics = _table_metrics(family, summary)
    table = None
    for i, (metric, _, log, _) in enumerate(metrics):
        cols = {"mean": f"mean_{i}", "ci_low": f"low_{i}", "ci_high": f"high_{i}"}
        agg = aggregate(summary, by, metric, log=log).rename(columns=cols)
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
) -> dict:
    """Everything the template shows, with every number already computed and formatted.

    ``datasets`` maps a dataset to its meta (``bnstudy.data.describe``: source, sizes,
    class names...); ``samples`` maps an image dataset to the SVG of its sample images.
    """
    known, additional = _family_order(config, [f for f, s in summaries.items() if not s.empty])
    families = known + additional
    declared = _declared(config)
    claims = claims.reset_index(drop=True)
    counts = _counts(claims["verdict"])
    by_count = {c["verdict"]: c["count"] for c in counts}

    total_seconds = float(
        sum(np.nansum(s["wall_time"].to_numpy(dtype=float)) for s in summaries.values())
    )
    n_runs = sum(len(summaries[f]) for f in families)
    n_configs = sum(summaries[f]["config_id"].nunique() for f in families)

    claim_rows = []
    for rec in claims.to_dict("records"):
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
            }
        )

    family_sections, grids, runtimes, figure_commands = [], [], [], []
    used_by: dict[str, list[str]] = {}
    models: dict[str, dict] = {}
    for fam in families:
        summary = summaries[fam]
        varying, fixed = _params(summary)
        for ds in ordered_values(summary, "dataset") if "dataset" in summary else []:
            used_by.setdefault(str(ds), []).append(fam)
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
        figs = []
        for name, path in figures.get(fam, {}).items():
            figs.append(
                {
                    "name": name,
                    "caption": figure_caption(fam, name, summary),
                    "src": _svg_data_uri(path),
                    "path": _display_path(path),
                }
            )
            figure_commands.append(f"snakemake --cores 8 {_display_path(path)}")
        family_claims = [c for c in claim_rows if c["family"] == fam]
        family_sections.append(
            {
                "family": fam,
                "title": FAMILY_TITLES.get(fam, fam),
                "text": _family_text(fam, declared.get(fam, {}), grid),
                "grid": grid,
                "figures": figs,
                "table": _family_table(fam, summary, varying),
                "claims": family_claims,
                "compute": fmt_duration(float(np.nansum(summary["wall_time"]))),
            }
        )
        per_config = summary.groupby("config_id", sort=True).agg(
            seeds=("seed", "size"), total=("wall_time", "sum"), per_seed=("wall_time", "mean")
        )
        jobs = [
            (str(r.Index), str(int(r.seeds)), fmt(r.total), fmt(r.per_seed))
            for r in per_config.itertuples()
        ]
        # Two jobs per table row (left column top to bottom, then right) to save pages.
        half = (len(jobs) + 1) // 2
        runtimes.append(
            {
                "family": fam,
                "rows": [
                    [jobs[i], jobs[i + half] if i + half < len(jobs) else None] for i in range(half)
                ],
            }
        )

    groups = []
    verdict_order = [c["verdict"] for c in counts]
    for verdict in verdict_order + sorted(
        {str(c["verdict"]) for c in conclusions} - set(verdict_order)
    ):
        items = [c for c in conclusions if str(c["verdict"]) == verdict]
        if items:
            groups.append(
                {
                    "verdict": verdict,
                    "slug": verdict_slug(verdict),
                    "heading": VERDICT_HEADINGS.get(verdict, verdict.capitalize()),
                    "items": [{"claim": str(c["claim"]), "text": str(c["text"])} for c in items],
                }
            )

    seeds_all = sorted({_n_seeds(summaries[f]) for f in families})
    title = (
        (config.get("report") or {}).get("title", TITLE) if isinstance(config, Mapping) else TITLE
    )
    return {
        "title": title,
        "abstract": {
            "n_claims": str(len(claims)),
            "counts": counts,
            "supported": by_count.get("supported", 0),
            "contradicted": by_count.get("contradicted", 0),
            "inconclusive": by_count.get("inconclusive", 0),
            "not_run": by_count.get("not run", 0),
            "supported_ids": [c["claim"] for c in claim_rows if c["verdict"] == "supported"],
            "contradicted_ids": [c["claim"] for c in claim_rows if c["verdict"] == "contradicted"],
            "n_families": str(len(families)),
            "families": families,
            "n_configs": str(n_configs),
            "n_runs": str(n_runs),
            "seeds": " or ".join(seeds_all),
        },
        "confidence": _ci_label(),
        "datasets": [
            _dataset_entry(ds, fams, config, (datasets or {}).get(ds), (samples or {}).get(ds))
            for ds, fams in used_by.items()
        ],
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
        "conclusions": groups,
        "provenance": {
            "versions": [(k, str(v)) for k, v in (provenance.get("versions") or {}).items()],
            "code_revision": str(provenance.get("code_revision", "unknown")),
            "command": str(provenance.get("command", REGENERATE_COMMAND)),
            "hardware": str(provenance.get("hardware", "unknown")),
            "generated": str(provenance.get("generated", "")),
            "config_yaml": str(
                provenance.get("config_yaml")
                or yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True)
            ),
            "regenerate": REGENERATE_COMMAND,
            "figure_commands": figure_commands,
        },
        "runtimes": runtimes,
    }


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


def render_html(context: dict, template_dir=DEFAULT_TEMPLATE_DIR) -> str:
    """The report's HTML: the template filled with ``context`` and the stylesheet inlined."""
    template_dir = Path(template_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = (template_dir / STYLESHEET).read_text(encoding="utf-8")
    return env.get_template(TEMPLATE).render(css=css, **context)


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
) -> None:
    """Write the report as a self-contained HTML file and as a PDF, both atomically.

    ``datasets`` (dataset -> its meta) and ``samples`` (image dataset -> SVG of sample
    images) feed the Setup's description of the data; both are optional.
    """
    import weasyprint  # slow to import; only the report job needs it

    context = build_context(
        config=config,
        claims=claims,
        conclusions=conclusions,
        summaries=summaries,
        figures=figures,
        provenance=provenance,
        datasets=datasets,
        samples=samples,
    )
    html = render_html(context, template_dir)
    write_text(html_out, html)
    document = weasyprint.HTML(string=html, base_url=str(Path(template_dir).resolve()))
    atomic_write(pdf_out, lambda tmp: document.write_pdf(tmp))


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
) -> None:
    """The report from the pipeline's files: claims CSV, summary CSVs and figure SVGs.

    ``figures`` maps a family to ``{figure name: svg path}`` or to a list of SVG paths
    (the name is then the file's stem). ``datasets_meta`` maps a dataset to the JSON
    file of its meta; ``samples`` an image dataset to the SVG of its sample images.
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
    render_report(
        config=study,
        claims=claims,
        conclusions=claims_lib.conclusions(claims),
        summaries={fam: read_table(path) for fam, path in summaries.items()},
        figures={
            fam: dict(paths) if isinstance(paths, Mapping) else {Path(p).stem: p for p in paths}
            for fam, paths in figures.items()
        },
        provenance=collect_provenance(study, repo_dir),
        html_out=html_out,
        pdf_out=pdf_out,
        template_dir=template_dir,
        datasets={
            ds: json.loads(Path(path).read_text(encoding="utf-8"))
            for ds, path in (datasets_meta or {}).items()
        },
        samples=dict(samples or {}),
    )
