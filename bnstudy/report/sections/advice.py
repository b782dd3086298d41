"""The sections that read the verdicts: the claims table, the tuning strategy, and the
limitations, each point chosen by what this study used and found."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from bnstudy.claims.verdict import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED, VERDICTS
from bnstudy.report.fmt import CI, DASH, fmt, fmt_count, fmt_interval, fmt_param, verdict_slug
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.prose import CERTAINTY
from bnstudy.report.sections.shared import Shared
from bnstudy.summary import ordered_values
from bnstudy.vocab import CONFIDENCE

#: The verdicts that decide a claim one way or the other.
DECIDED = (SUPPORTED, CONTRADICTED)


def verdict_rank(verdict: str) -> int:
    """A verdict's place in the report's order (others last)."""
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def claim_rows(claims: pd.DataFrame, families: list[str]) -> list[dict]:
    """One formatted row per claim, in the claims table's order, with its sort keys."""
    rows = []
    for order, rec in enumerate(claims.reset_index(drop=True).to_dict("records")):
        effect = float(rec["effect"]) if pd.notna(rec["effect"]) else math.nan
        seeds = fmt_count(rec["n_seeds"])
        rows.append(
            {
                "claim": str(rec["claim"]),
                "statement": str(rec.get("statement", "") or ""),
                "family": str(rec["family"]),
                "family_anchor": rec["family"] in families,
                "verdict": str(rec["verdict"]),
                "slug": verdict_slug(rec["verdict"]),
                "effect": fmt(rec["effect"]),
                "ci": fmt_interval(rec["ci_low"], rec["ci_high"]),
                "n_seeds": seeds,
                "detail": "" if pd.isna(rec["detail"]) else str(rec["detail"]),
                "abs_effect": abs(effect) if math.isfinite(effect) else 0.0,
                "sort": {
                    "claim": order,
                    "verdict": verdict_rank(rec["verdict"]),
                    "effect": repr(effect) if math.isfinite(effect) else "",
                    "n_seeds": seeds.replace(DASH, ""),
                },
            }
        )
    return rows


def claims(shared: Shared) -> dict:
    """The Claims section: every claim with its verdict, effect and interval."""
    return {"rows": shared.claims}


def strongest(rows: list[dict], k: int = 3) -> list[dict]:
    """The decided claims with the largest effects (|effect|), largest first."""
    decided = [c for c in rows if c["verdict"] in DECIDED and c["abs_effect"]]
    return sorted(decided, key=lambda c: -c["abs_effect"])[:k]


def strategy(shared: Shared) -> dict:
    """The Tuning strategy: one numbered item per decided claim, then the unproven ones.

    What to do is the claim's advice for its verdict (with its numbers); how sure comes
    from the verdict: supported → recommended, contradicted → the rule is refuted,
    inconclusive → unproven.
    """
    items = []
    for verdict in DECIDED:
        rows = [c for c in shared.claims if c["verdict"] == verdict]
        for c in sorted(rows, key=lambda c: -c["abs_effect"]):
            label, why = CERTAINTY[verdict]
            items.append(
                {
                    "claim": c["claim"],
                    "statement": c["statement"],
                    "label": label,
                    "slug": verdict_slug(verdict),
                    "advice": shared.advice.get(c["claim"], ""),
                    "how_sure": f"{why} ({c['n_seeds']} seeds)",
                }
            )
    unproven = [
        {
            "claim": c["claim"],
            "statement": c["statement"],
            "advice": shared.advice.get(c["claim"], ""),
        }
        for c in shared.claims
        if c["verdict"] == INCONCLUSIVE
    ]
    return {"items": items, "unproven": unproven, "unproven_label": CERTAINTY[INCONCLUSIVE]}


# --------------------------------------------------------------------------- limitations


def scale_limit(runs: pd.DataFrame, datasets: Mapping[str, Mapping]) -> str:
    """How small the networks, data and training are."""
    sizes = [f"{ds} {int(meta['n_train']):,}" for ds, meta in datasets.items() if "n_train" in meta]
    text = f"Scale: the networks are small ({', '.join(sorted({str(m) for m in runs['model']}))}"
    if "width" in runs and "mlp" in set(runs["model"]):
        widths = ordered_values(runs[runs["model"] == "mlp"], "width")
        text += f"; MLP-d width {', '.join(fmt_param(w) for w in widths)}"
    text += ")"
    if sizes:
        text += f", the training sets small ({', '.join(sizes)} samples)"
    epochs = runs["epochs"] if "epochs" in runs else pd.Series(dtype=float)
    if not epochs.empty:
        lo, hi = epochs.min(), epochs.max()
        span = f"{fmt_param(lo)}–{fmt_param(hi)}" if lo != hi else fmt_param(lo)
        text += f" and training short ({span} epochs)"
    return (
        text + ". Effects reported at ImageNet scale in the literature need not appear "
        "here, and effects found here need not carry over to large networks."
    )


def runs_limits(runs: pd.DataFrame, datasets: Mapping[str, Mapping], seeds: str) -> list[str]:
    """The limits of the runs themselves: their scale, their seeds, their divergences."""
    out = [
        scale_limit(runs, datasets),
        f"Seeds: {seeds} seeds per configuration. An inconclusive verdict means the interval "
        "includes no effect at this number of seeds, not that there is no effect; more seeds "
        "narrow the intervals.",
    ]
    k = int((runs["diverged"] == 1).sum())
    if k:
        out.append(
            f"Divergence: {k} of {len(runs)} runs diverged. They are left out of the "
            "means and intervals (and counted in every table), so a configuration that "
            "often diverges is judged on its surviving seeds."
        )
    return out


def hardware_limit(config: Mapping, hardware: str) -> list[str]:
    """That the runs trained on the CPU, when they did."""
    device = str(config.get("device", "cpu")) if isinstance(config, Mapping) else "cpu"
    if "gpu" in hardware.lower() and "no gpu" not in hardware.lower() and device != "cpu":
        return []
    return [
        f"Hardware: the runs trained on the CPU (device {device}). Times and throughputs "
        "are not comparable with published GPU numbers, and they do not enter any verdict."
    ]


def data_limit(datasets: Mapping[str, Mapping]) -> list[str]:
    """What the data are: synthetic (generated here) or small natural images."""
    synthetic = [ds for ds in ("poly2", "linear") if ds in datasets]
    images = datasets.get("images")
    source = str((images or {}).get("source", "")) if images is not None else ""
    if synthetic or source == "synthetic":
        names = list(synthetic)
        if source == "synthetic":
            names.append("images (procedurally generated shapes)")
        end = (
            "; in particular the image families do not use natural photographs."
            if source == "synthetic"
            else "."
        )
        return [
            f"Synthetic data: {', '.join(names)} are generated by the pipeline. They are "
            f"controlled and reproducible, but simpler than natural data{end}"
        ]
    if source == "fashion_mnist":
        return [
            "Data: the image families use Fashion-MNIST, small 28×28 grey-scale images; "
            "natural colour images at higher resolution may behave differently."
        ]
    return []


def verdict_limits(rows: list[dict]) -> list[str]:
    """Multiplicity of the verdicts, and the claims this configuration did not run."""
    out = []
    decided = [c for c in rows if c["verdict"] in DECIDED]
    judged = [c for c in rows if c["verdict"] != NOT_RUN]
    if judged:
        out.append(
            f"Multiple claims: {len(judged)} claims are judged, each at {CI} confidence "
            "without correction for multiplicity; at that level about "
            f"{fmt(len(judged) * (1 - CONFIDENCE), 2)} verdicts would be expected to err by "
            f"chance ({len(decided)} are decided)."
        )
    not_run = [c["claim"] for c in rows if c["verdict"] == NOT_RUN]
    if not_run:
        out.append(
            f"Not run: the families of {', '.join(not_run)} are not part of this "
            "configuration; those claims are listed but not judged."
        )
    return out


def failed_limit(failed: Mapping[str, list[dict]]) -> list[str]:
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


def limitations(inputs: ReportInputs, shared: Shared) -> dict:
    """The Limitations section: what the reader should keep in mind, each point chosen
    by what this study used."""
    points = []
    if shared.runs:
        runs = pd.concat([inputs.summaries[f] for f in shared.runs], ignore_index=True)
        if not runs.empty:
            points += runs_limits(runs, inputs.datasets, shared.seeds)
    hardware = str(inputs.provenance.get("hardware", "unknown"))
    points += hardware_limit(inputs.config, hardware)
    points += data_limit(inputs.datasets)
    points += verdict_limits(shared.claims)
    points += failed_limit(inputs.failed)
    return {"points": points}
