"""Judging every claim of the catalogue: summary tables in, the claims table out.

:func:`judge` gives one claim its verdict row: the claim's judge on its family's
per-seed summaries (with a derived metric added when the claim reads one), then
its parts (see :class:`~bnstudy.claims.verdict.Part`), then context for the
detail, and last the configurations whose training failed, which hold the claim
back to inconclusive. A missing family makes a claim "not run"; a missing grid
level or too few seeds makes it inconclusive with the reason, never an
exception. :func:`judge_all` judges the whole catalogue in docs/study.md order;
:func:`judge_files` does it from the pipeline's CSV tables (rule judge_claims).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from bnstudy.claims.catalogue import CLAIMS, METRIC_ALIASES
from bnstudy.claims.judges import JUDGES, profile
from bnstudy.claims.verdict import (
    COLUMNS,
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_RUN,
    SUPPORTED,
    Claim,
    Part,
    Undecidable,
    join_notes,
    numbers_text,
    outcome,
)
from bnstudy.io import read_table, write_csv
from bnstudy.summary import DERIVED
from bnstudy.tables import failed_rows

# ---- one claim ---------------------------------------------------------------------------


def _with_metric(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The summary with a derived metric added (other metrics are columns already)."""
    source = METRIC_ALIASES.get(metric, metric)
    if source not in DERIVED:
        return summary
    try:
        return summary.assign(**{metric: DERIVED[source](summary)})
    except KeyError as why:
        raise Undecidable(f"{metric} needs column {why} in the summaries") from None


def _run(claim: Claim, summaries: dict[str, pd.DataFrame]) -> dict:
    """The claim's judge on its family's summary."""
    summary = _with_metric(summaries[claim.family], claim.metric)
    fn = JUDGES[claim.test]
    if claim.reference is None:
        return fn(summary, claim)
    return fn(summary, claim, summaries.get(claim.reference))


def _run_part(claim: Claim, part: Part, summaries: dict[str, pd.DataFrame]) -> dict:
    """A part's outcome: the claim with the part's family, judge, metric and params."""
    sub = dataclasses.replace(
        claim,
        family=part.family or claim.family,
        test=part.test or claim.test,
        metric=part.metric or claim.metric,
        params={**claim.params, **part.params},
        parts=(),
    )
    summary = summaries.get(sub.family)
    if summary is None or summary.empty:
        return outcome(NOT_RUN, detail=f"family {sub.family} did not run")
    try:
        return _run(sub, summaries)
    except Undecidable as why:
        return outcome(INCONCLUSIVE, detail=str(why))


def _with_part(result: dict, part: Part, got: dict) -> dict:
    """The claim's outcome once a part's outcome is known (see Part for the roles)."""
    verdict, seen = result["verdict"], got["verdict"]
    shown = numbers_text(got) if got["n_seeds"] else ""
    if part.role != "info" or not shown:
        shown = f"{shown} → {seen}" if shown else seen
    note = f"{part.label}: {shown}" + (f" ({got['detail']})" if got["detail"] else "")
    why = ""
    if part.role == "veto" and seen == CONTRADICTED:
        verdict, why = CONTRADICTED, f"contradicted by {part.label}"
    elif part.role in ("gate", "veto") and verdict == SUPPORTED and seen != SUPPORTED:
        verdict, why = INCONCLUSIVE, f"not supported by {part.label}"
    elif part.role == "agree" and {verdict, seen} == {SUPPORTED, CONTRADICTED}:
        verdict, why = INCONCLUSIVE, f"{part.label} says {seen}: the families disagree"
    return result | {"verdict": verdict, "detail": join_notes(result["detail"], note, why)}


def _judged(claim: Claim, summaries: dict[str, pd.DataFrame]) -> dict:
    """The claim's outcome from its judge and parts, with its profile in the detail."""
    try:
        result = _run(claim, summaries)
        if result["verdict"] != NOT_RUN:
            for part in claim.parts:
                result = _with_part(result, part, _run_part(claim, part, summaries))
            if "profile" in claim.params:
                table = _with_metric(summaries[claim.family], claim.metric)
                cells = profile(table, claim.params["profile"], claim.metric)
                result["detail"] = join_notes(result["detail"], cells)
    except Undecidable as why:
        result = outcome(INCONCLUSIVE, detail=str(why))
    return result


# ---- failed configurations ---------------------------------------------------------------


def families_read(claim: Claim) -> list[str]:
    """The families whose runs a claim's verdict reads: its own, its parts', its reference's."""
    names = [claim.family, *(p.family for p in claim.parts), claim.reference]
    return list(dict.fromkeys(n for n in names if n))


def _failed_note(claim: Claim, failed: dict[str, list[str]]) -> str:
    """Why a claim cannot stand when configurations it reads failed ('' when none did)."""
    lost = [f"{fam}/{cid}" for fam in families_read(claim) for cid in failed.get(fam, [])]
    if not lost:
        return ""
    return (
        f"{len(lost)} configuration(s) it reads failed ({', '.join(lost)}; see "
        "results/metrics/<family>_runs.csv), so the comparison is incomplete"
    )


def failed_configs(runs: pd.DataFrame) -> list[str]:
    """Ids of the configurations a family's runs table marks as failed."""
    return [r["config_id"] for r in failed_rows(runs)]


# ---- every claim ---------------------------------------------------------------------------


def judge(
    claim: Claim, summaries: dict[str, pd.DataFrame], failed: dict[str, list[str]] | None = None
) -> dict:
    """One claim's verdict row: its judge, then its parts, then context for the detail.

    ``failed`` is family → ids of configurations whose training failed: a claim
    that reads such a family is at most ``inconclusive``, with the ids in its detail.
    """
    row = {"claim": claim.id, "family": claim.family}
    summary = summaries.get(claim.family)
    if summary is None or summary.empty:
        return row | outcome(NOT_RUN, detail=f"family {claim.family} did not run")
    result = _judged(claim, summaries)
    result["detail"] = join_notes(result["detail"], claim.params.get("note", ""))
    lost = _failed_note(claim, failed or {})
    if lost and result["verdict"] != NOT_RUN:
        was = result["verdict"]
        result["verdict"] = INCONCLUSIVE
        result["detail"] = join_notes(f"{lost} (without them: {was})", result["detail"])
    return row | result


def judge_all(
    summaries: dict[str, pd.DataFrame], failed: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """One verdict row per claim of docs/study.md §5, in that order (columns: COLUMNS)."""
    return pd.DataFrame([judge(c, summaries, failed) for c in CLAIMS], columns=COLUMNS)


def judge_files(
    summary_paths: dict[str, str], claims_out: str, runs_paths: dict[str, str] | None = None
) -> pd.DataFrame:
    """Judge every claim from the families' summary CSVs; write the claims table atomically.

    ``runs_paths`` (family → runs table) tells which configurations failed; the
    claims that read them are marked (see ``judge``).
    """
    summaries = {family: read_table(path) for family, path in summary_paths.items()}
    failed = {fam: failed_configs(read_table(p)) for fam, p in (runs_paths or {}).items()}
    claims = judge_all(summaries, failed)
    write_csv(claims_out, claims)
    return claims
