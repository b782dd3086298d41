"""The sections that read the verdicts: the claims table, the tuning strategy, and the
limitations, each point chosen by what this study used and found."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from bnstudy.claims.verdict import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED, VERDICTS
from bnstudy.report.fmt import CI, DASH, fmt, fmt_param, verdict_slug
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.prose import CERTAINTY
from bnstudy.report.sections.shared import Shared
from bnstudy.report.verdicts import TUNED, cell, disagree, has_tuned, number, reading, seeds_text
from bnstudy.summary import ordered_values
from bnstudy.vocab import CONFIDENCE

#: The verdicts that decide a claim one way or the other.
DECIDED = (SUPPORTED, CONTRADICTED)


def verdict_rank(verdict: str) -> int:
    """A verdict's place in the report's order (others last)."""
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def claim_row(order: int, rec: Mapping, families: list[str]) -> dict:
    """One claim's row: its as-run reading, its tuned one (None without), the reading the
    report acts on (``final``), its checks, and its sort keys."""
    as_run = reading(rec)
    tuned = reading(rec, TUNED) if has_tuned(rec) else None
    final = tuned or as_run
    effect = number(rec, TUNED + "effect" if tuned else "effect")
    return {
        "claim": str(rec["claim"]),
        "statement": str(rec.get("statement", "") or ""),
        "family": str(rec["family"]),
        "family_anchor": rec["family"] in families,
        **as_run,
        "tuned": tuned,
        "tuned_lrs": cell(rec, TUNED + "lrs"),
        "final": final,
        "disagree": disagree(rec),
        "seeds": seeds_text(rec),
        "abs_effect": abs(effect) if math.isfinite(effect) else 0.0,
        "sort": {
            "claim": order,
            "verdict": verdict_rank(as_run["verdict"]),
            "effect": repr(number(rec, "effect")) if math.isfinite(number(rec, "effect")) else "",
            "n_seeds": as_run["n_seeds"].replace(DASH, ""),
        },
    }


def claim_rows(claims: pd.DataFrame, families: list[str]) -> list[dict]:
    """One formatted row per claim, in the claims table's order."""
    records = claims.reset_index(drop=True).to_dict("records")
    return [claim_row(order, rec, families) for order, rec in enumerate(records)]


def claims(shared: Shared) -> dict:
    """The Claims section: every claim with both readings, its checks and its seeds."""
    rows = shared.claims
    return {
        "rows": rows,
        "n_tuned": str(sum(c["tuned"] is not None for c in rows)),
        "disagree": [c["claim"] for c in rows if c["disagree"]],
        "checks": any(c["final"][k] != DASH for c in rows for k in ("holm", "stable", "mde")),
    }


def strongest(rows: list[dict], k: int = 3) -> list[dict]:
    """The decided claims with the largest effects (|effect| of the reading acted on)."""
    decided = [c for c in rows if c["final"]["verdict"] in DECIDED and c["abs_effect"]]
    return sorted(decided, key=lambda c: -c["abs_effect"])[:k]


def how_sure(c: dict, verdict: str) -> str:
    """How sure a recommendation is: its verdict, its reading, its seeds, Holm, stability."""
    _, why = CERTAINTY[verdict]
    reading_word = "tuned reading" if c["tuned"] is not None else "as run"
    text = f"{why} ({reading_word}, {c['final']['n_seeds']} seeds"
    if c["final"]["stable"] == "yes":
        text += "; it survives leaving out any one seed"
    elif c["final"]["stable"] == "no":
        text += "; leaving out one seed changes it"
    return text + ")"


def strategy(shared: Shared) -> dict:
    """The Tuning strategy: one numbered item per decided claim, then the unproven ones.

    What to do is the claim's advice for its verdict (with its numbers); how sure comes
    from the verdict: supported → recommended, contradicted → the rule is refuted,
    inconclusive → unproven. Where a claim was also judged tuned (each arm at its own
    best learning rate), the strategy follows that reading; a recommendation whose
    verdict does not survive Holm's correction is marked.
    """
    items = []
    for verdict in DECIDED:
        rows = [c for c in shared.claims if c["final"]["verdict"] == verdict]
        for c in sorted(rows, key=lambda c: -c["abs_effect"]):
            items.append(
                {
                    "claim": c["claim"],
                    "statement": c["statement"],
                    "label": CERTAINTY[verdict][0],
                    "slug": verdict_slug(verdict),
                    "advice": shared.advice.get(c["claim"], ""),
                    "how_sure": how_sure(c, verdict),
                    "not_holm": c["final"]["holm"] == "no",
                    "tuned": c["tuned"] is not None,
                    "disagree": c["disagree"],
                    "as_run": c["verdict"],
                }
            )
    unproven = [
        {
            "claim": c["claim"],
            "statement": c["statement"],
            "advice": shared.advice.get(c["claim"], ""),
            "mde_text": c["final"]["mde_text"],
            "disagree": c["disagree"],
            "as_run": c["verdict"],
        }
        for c in shared.claims
        if c["final"]["verdict"] == INCONCLUSIVE
    ]
    return {
        "items": items,
        "unproven": unproven,
        "unproven_label": CERTAINTY[INCONCLUSIVE],
        "n_not_holm": str(sum(i["not_holm"] for i in items)),
    }


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
        "includes no effect at this number of seeds, not that there is no effect (the claims "
        "table gives the smallest effect each claim's seeds could detect); more seeds narrow "
        "the intervals.",
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
    decided = [c for c in rows if c["final"]["verdict"] in DECIDED]
    judged = [c for c in rows if c["verdict"] != NOT_RUN]
    holm = [c for c in decided if c["final"]["holm"] in ("yes", "no")]
    if judged and holm:
        kept = sum(c["final"]["holm"] == "yes" for c in holm)
        out.append(
            f"Multiple claims: {len(judged)} claims are judged, each at {CI} confidence; "
            f"{kept} of the {len(holm)} decided verdicts also hold after Holm's correction "
            "across all claims, and the strategy marks the recommendations that rest on the "
            "others."
        )
    elif judged:
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
