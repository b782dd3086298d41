"""How the study was run and judged: the Methods section (how a verdict is computed, in
plain words, with this build's numbers) and the Budget section (what ran, for how long,
on what)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from bnstudy.claims.learning import RULE as LEARNED_RULE
from bnstudy.claims.verdict import CONTRADICTED, NOT_RUN, SUPPORTED
from bnstudy.report.budget import FamilyBudget, batch_steps, family_budget
from bnstudy.report.fmt import CI, DASH, fmt, fmt_duration, fmt_param, fmt_seconds, fmt_seeds
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.sections.front import trains_on_all
from bnstudy.report.sections.shared import Shared
from bnstudy.report.verdicts import (
    TUNED,
    cell,
    disagree,
    has_tuned,
    learned,
    number,
)
from bnstudy.vocab import CONFIDENCE

#: The verdicts that decide a claim one way or the other.
DECIDED = (SUPPORTED, CONTRADICTED)

# --------------------------------------------------------------------------- methods


def sign_flip(seed_counts: list[int]) -> dict:
    """What an exact sign-flip test can reach: its smallest two-sided p-value with each
    seed count used, and the fewest seeds that can reach the study's level."""
    alpha = 1 - CONFIDENCE
    fewest = next(n for n in range(1, 64) if 2.0 ** (1 - n) <= alpha)
    return {
        "smallest": [(str(n), fmt(2.0 ** (1 - n))) for n in sorted(set(seed_counts))],
        "alpha": fmt(alpha),
        "fewest": str(fewest),
    }


def lr_sweeps(config: Mapping, families: list[str]) -> list[tuple[str, str, str]]:
    """(family, its own lr, the sweep's learning rates) of each family with an lr sweep:
    in ``fixed``, or in some of its grids (then the own lr says which configurations)."""
    out = []
    blocks = config.get("families") if isinstance(config, Mapping) else None
    for fam in families:
        block = blocks.get(fam) if isinstance(blocks, Mapping) else None
        block = block if isinstance(block, Mapping) else {}
        fixed = block.get("fixed") if isinstance(block.get("fixed"), Mapping) else {}
        own = fmt_param(fixed["lr"]) if "lr" in fixed else "its grid's"
        grids = block.get("grid")
        grids = grids if isinstance(grids, list) else [grids]
        for grid in (g for g in grids if isinstance(g, Mapping)):
            if "lr_sweep" not in grid:
                continue
            where = ", ".join(
                f"{key} {'/'.join(fmt_param(v) for v in values)}"
                for key, values in sorted(grid.items())
                if key != "lr_sweep" and isinstance(values, list)
            )
            for sweep in grid["lr_sweep"]:
                lrs = ", ".join(fmt_param(float(v)) for v in sorted(sweep or ()))
                if lrs:
                    out.append((fam, f"{own} (at {where})", lrs))
        if fixed.get("lr_sweep"):
            lrs = ", ".join(fmt_param(float(v)) for v in sorted(fixed["lr_sweep"]))
            out.append((fam, own, lrs))
    return out


def validation_sizes(inputs: ReportInputs) -> list[tuple[str, str]]:
    """(dataset, validation samples) of every dataset with a validation split."""
    return [
        (ds, f"{int(meta['n_val']):,}")
        for ds, meta in inputs.datasets.items()
        if int(meta.get("n_val") or 0) > 0
    ]


def on_all_data(inputs: ReportInputs, families: list[str]) -> list[str]:
    """The families that trained on their validation split too (``validation: false``)."""
    return [fam for fam in families if trains_on_all(inputs.summaries[fam])]


def claim_checks(claims) -> dict:
    """Counts over the judged claims: tuned, disagreeing, Holm, stability, p-values; the
    checks of the reading the report acts on (tuned where there is one)."""
    judged = [r for r in claims.to_dict("records") if cell(r, "verdict") != NOT_RUN]
    final = [(r, TUNED if has_tuned(r) else "") for r in judged]
    decided = [(r, p) for r, p in final if cell(r, p + "verdict") in DECIDED]
    tuned = [r for r in judged if has_tuned(r)]
    return {
        "n_judged": str(len(judged)),
        "n_decided": str(len(decided)),
        "tuned": [str(r["claim"]) for r in tuned],
        "n_disagree": str(sum(disagree(r) for r in tuned)),
        "n_holm": str(sum(np.isfinite(number(r, "p_value")) for r in judged)),
        "holm_yes": str(sum(cell(r, p + "holm") == "yes" for r, p in decided)),
        "holm_known": any(cell(r, "holm") for r in judged),
        "stable_yes": str(sum(cell(r, p + "stable") == "yes" for r, p in decided)),
        "stable_known": any(cell(r, p + "stable") for r, p in decided),
        "mde_known": any(np.isfinite(number(r, "mde")) for r in judged),
        "learned_known": any(cell(r, "learned") for r in judged),
        "n_not_learned": str(sum(learned(cell(r, p + "learned"))["failed"] for r, p in final)),
    }


def methods(inputs: ReportInputs, shared: Shared) -> dict:
    """The Methods section: how a verdict is computed, with this build's numbers."""
    counts = [int(n) for n in inputs.claims.get("n_seeds", []) if np.isfinite(float(n))]
    seeds = sorted({int(s) for f in shared.families for s in inputs.summaries[f]["seed"]})
    return {
        "ci": CI,
        "checks": claim_checks(inputs.claims),
        "sign_flip": sign_flip([c for c in counts if c > 0] or [len(seeds) or 1]),
        "expected_errors": fmt(
            sum(cell(r, "verdict") != NOT_RUN for r in inputs.claims.to_dict("records"))
            * (1 - CONFIDENCE),
            2,
        ),
        "learned_rule": LEARNED_RULE,
        "sweeps": lr_sweeps(inputs.config, shared.families),
        "validation": validation_sizes(inputs),
        "on_all_data": on_all_data(inputs, shared.families),
        "seeds": fmt_seeds(seeds),
    }


# --------------------------------------------------------------------------- budget


def span(values: list, fmt_one=lambda v: f"{v:,}") -> str:
    """Values as a range "a–b", one value, or "–"."""
    if not values:
        return DASH
    lo, hi = min(values), max(values)
    return fmt_one(lo) if lo == hi else f"{fmt_one(lo)}–{fmt_one(hi)}"


def steps_text(steps: tuple[float, float]) -> str:
    lo, hi = steps
    if not np.isfinite(lo):
        return DASH
    return f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}–{hi:,.0f}"


def budget_row(b: FamilyBudget) -> dict:
    """One family's line of the budget table, formatted."""
    return {
        "family": b.family,
        "data": ", ".join(b.datasets),
        "samples": span(b.samples),
        "configs": str(b.n_configs),
        "seeds": f"{len(b.seeds)} ({fmt_seeds(b.seeds)})",
        "lrs": span(b.lrs_per_config, str),
        "runs": f"{b.n_runs:,}",
        "epochs": span(b.epochs, str),
        "steps": steps_text(b.steps),
        "examples": fmt(b.examples),
        "wall": fmt_seconds(b.wall),
        "cpu": fmt_seconds(b.cpu),
        "from_jobs": b.from_jobs,
        "note": b.note,
    }


def batch_contrast(family: str, inputs: ReportInputs) -> str:
    """How many more steps the smallest batch takes than the largest, in one sentence."""
    steps = batch_steps(inputs.summaries[family], inputs.datasets)
    if len(steps) < 2 or not all(math.isfinite(s) for _, s in steps):
        return ""
    (small, most), (large, fewest) = steps[0], steps[-1]
    return (
        f"in {family}, batch {fmt_param(small)} takes {most:,.0f} optimizer steps per run and "
        f"batch {fmt_param(large)} only {fewest:,.0f}, {fmt(most / fewest)}× fewer"
    )


def budget(inputs: ReportInputs, shared: Shared) -> dict:
    """The Budget section: per family what ran and for how long, the total, the hardware."""
    budgets = [
        family_budget(
            fam,
            inputs.summaries[fam],
            inputs.sweeps.get(fam),
            inputs.datasets,
            inputs.jobs,
            inputs.config,
        )
        for fam in shared.families
    ]
    wall = float(np.nansum([b.wall for b in budgets]))
    cpus = [b.cpu for b in budgets if np.isfinite(b.cpu)]
    batch = [f for f in shared.families if inputs.summaries[f].get("batch_size") is not None]
    contrasts = [
        batch_contrast(f, inputs) for f in batch if inputs.summaries[f]["batch_size"].nunique() > 1
    ]
    device = inputs.config.get("device", "cpu") if isinstance(inputs.config, Mapping) else "cpu"
    return {
        "rows": [budget_row(b) for b in budgets],
        "total": {
            "configs": str(sum(b.n_configs for b in budgets)),
            "runs": f"{sum(b.n_runs for b in budgets):,}",
            "examples": fmt(float(np.nansum([b.examples for b in budgets]))),
            "steps": fmt(float(np.nansum([b.total_steps for b in budgets]))),
            "wall": fmt_seconds(wall),
            "wall_text": fmt_duration(wall),
            "cpu": fmt_seconds(float(sum(cpus))) if cpus else DASH,
            "cpu_text": fmt_duration(float(sum(cpus))) if cpus else DASH,
        },
        "from_jobs": all(b.from_jobs for b in budgets) and bool(budgets),
        "some_from_jobs": any(b.from_jobs for b in budgets),
        "notes": [(b.family, b.note) for b in budgets if b.note],
        "batch": [c for c in contrasts if c],
        "hardware": str(inputs.provenance.get("hardware", "unknown")),
        "device": str(device),
    }
