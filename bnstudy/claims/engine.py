"""Judging every claim of the catalogue: summary and sweep tables in, the claims table out.

For each claim, :func:`judge` gives its row of the claims table (COLUMNS): the
as-run reading (the families' summaries, one fixed lr for both arms) and, for
claims with one, the tuned reading (each arm at its own validation-best lr),
each with its p-value, minimum detectable effect, learning check and
leave-one-seed-out stability. Configurations whose training failed hold a claim
back to inconclusive. :func:`judge_all` judges the whole catalogue in
docs/study.md order and adds Holm's correction across every reading that was
tested; :func:`judge_files` does it from the pipeline's CSV tables (rule
judge_claims).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.catalogue import CLAIMS
from bnstudy.claims.readings import (
    AS_RUN,
    TUNED,
    Study,
    families_read,
    read_claim,
    reading_tables,
    tuned_claim,
)
from bnstudy.claims.verdict import (
    ALPHA,
    COLUMNS,
    DECIDED,
    INCONCLUSIVE,
    NOT_RUN,
    Claim,
    Outcome,
    join_notes,
)
from bnstudy.io import read_table, write_csv
from bnstudy.stats import holm
from bnstudy.tables import failed_rows

#: Per reading, the prefix of its columns in the claims table.
PREFIX = {AS_RUN: "", TUNED: "tuned_"}

# ---- one reading of one claim ---------------------------------------------------------------


def judge_reading(claim: Claim, study: Study, reading: str) -> Outcome:
    """A claim's outcome in one reading (AS_RUN or TUNED) of the study's tables."""
    tables, note, chosen = reading_tables(claim, study, reading)
    if reading == TUNED:
        claim = tuned_claim(claim)
        if claim.family in study.summaries and claim.family not in tables:
            return Outcome(NOT_RUN, detail=join_notes(note, f"no tuned table for {claim.family}"))
    result = read_claim(claim, tables).noted(note)
    return result.replace(selected=chosen + result.selected)


def judge_readings(claim: Claim, study: Study) -> dict[str, Outcome]:
    """The claim's readings: AS_RUN always, TUNED when the claim has a tuned reading."""
    readings = {AS_RUN: judge_reading(claim, study, AS_RUN)}
    if claim.tuned is not None:
        readings[TUNED] = judge_reading(claim, study, TUNED)
    return readings


def _failed_note(claim: Claim, failed: Mapping[str, list[str]]) -> str:
    """Why a claim cannot stand when configurations it reads failed ('' when none did)."""
    lost = [f"{fam}/{cid}" for fam in families_read(claim) for cid in failed.get(fam, [])]
    if not lost:
        return ""
    return (
        f"{len(lost)} configuration(s) it reads failed ({', '.join(lost)}; see "
        "results/metrics/<family>_runs.csv), so the comparison is incomplete"
    )


def held_back(result: Outcome, claim: Claim, failed: Mapping[str, list[str]]) -> Outcome:
    """A reading of a claim that reads failed configurations is at most inconclusive."""
    lost = _failed_note(claim, failed)
    if not lost or result.verdict == NOT_RUN:
        return result
    return result.replace(
        verdict=INCONCLUSIVE,
        detail=join_notes(f"{lost} (without them: {result.verdict})", result.detail),
    )


def stability(claim: Claim, study: Study, reading: str, result: Outcome, loo: Mapping) -> str:
    """Whether a decided verdict survives leaving out each of its seeds in turn.

    "yes", "no: without seed 3 inconclusive, …", or "" for an undecided reading.
    ``loo`` maps each seed to the study without it.
    """
    if result.verdict not in DECIDED:
        return ""
    flips = []
    for seed in result.seeds:
        again = judge_reading(claim, loo[seed], reading).verdict
        if again != result.verdict:
            flips.append(f"without seed {seed} {again}")
    return "no: " + ", ".join(flips) if flips else "yes"


# ---- the claims table ------------------------------------------------------------------------


def _reading_cells(result: Outcome | None, reading: str) -> dict:
    """A reading's columns of the claims table (blank when the claim has no such reading)."""
    pre = PREFIX[reading]
    if result is None:
        return (
            {f"{pre}{k}": np.nan for k in ("effect", "ci_low", "ci_high", "p_value", "mde")}
            | {f"{pre}{k}": "" for k in ("verdict", "detail", "holm", "stable", "learned")}
            | {f"{pre}n_seeds": np.nan}
        )
    return {
        f"{pre}verdict": result.verdict,
        f"{pre}effect": result.effect,
        f"{pre}ci_low": result.ci_low,
        f"{pre}ci_high": result.ci_high,
        f"{pre}n_seeds": result.n_seeds,
        f"{pre}p_value": result.p_value,
        f"{pre}holm": "",
        f"{pre}mde": result.mde,
        f"{pre}stable": "",
        f"{pre}learned": result.learned,
        f"{pre}detail": result.detail,
    }


def tuned_lrs(result: Outcome | None) -> str:
    """Each arm's chosen lr: "bn none 0.1, bn pre 0.3"; an arm of several cells lists
    each lr with its number of cells ("bn pre 0.1×3/0.3×1")."""
    if result is None:
        return ""
    texts = []
    for arm, rows in result.arms:
        if "lr" not in rows or rows.empty:
            continue
        per_cell = rows.drop_duplicates("config_id")["lr"].value_counts().sort_index()
        if len(per_cell) == 1:
            texts.append(f"{arm} {per_cell.index[0]:g}")
        else:
            texts.append(f"{arm} " + "/".join(f"{lr:g}×{n}" for lr, n in per_cell.items()))
    return ", ".join(texts)


def judge(
    claim: Claim,
    study: Study,
    failed: Mapping[str, list[str]] | None = None,
    loo: Mapping | None = None,
) -> dict:
    """One claim's row of the claims table, Holm left blank (see judge_all).

    ``failed`` is family → ids of configurations whose training failed; ``loo``
    maps each seed to the study without it (stability is "" without it).
    """
    row = {"claim": claim.id, "family": claim.family}
    readings = {
        k: held_back(r, claim, failed or {}) for k, r in judge_readings(claim, study).items()
    }
    for reading in (AS_RUN, TUNED):
        result = readings.get(reading)
        row |= _reading_cells(result, reading)
        if result is not None and loo is not None:
            row[f"{PREFIX[reading]}stable"] = stability(claim, study, reading, result, loo)
    as_run, tuned = readings[AS_RUN], readings.get(TUNED)
    row["seeds"] = " ".join(str(s) for s in as_run.seeds)
    row["tuned_lrs"] = tuned_lrs(tuned)
    row["readings_agree"] = (
        ""
        if tuned is None or NOT_RUN in (tuned.verdict, as_run.verdict)
        else "yes"
        if tuned.verdict == as_run.verdict
        else "no"
    )
    return row


def with_holm(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table with Holm's correction across every tested reading of every claim.

    The family is every finite p-value, as-run and tuned; a decided reading gets
    "yes" if its Holm-adjusted p-value is still below 1 − CONFIDENCE, else "no".
    """
    out = claims.copy()
    cols = [(PREFIX[r] + "p_value", PREFIX[r] + "verdict", PREFIX[r] + "holm") for r in PREFIX]
    pvals = np.concatenate([out[p].to_numpy(dtype=float) for p, _, _ in cols])
    adjusted = holm(pvals).reshape(len(cols), len(out))
    for (_, verdict, name), adj in zip(cols, adjusted, strict=True):
        decided = out[verdict].isin(DECIDED).to_numpy()
        out[name] = np.where(decided, np.where(adj < ALPHA, "yes", "no"), "")
    return out


def judge_all(
    summaries: Mapping[str, pd.DataFrame],
    failed: Mapping[str, list[str]] | None = None,
    sweeps: Mapping[str, pd.DataFrame] | None = None,
    stable: bool = True,
) -> pd.DataFrame:
    """One row per claim of docs/study.md §5, in that order (columns: COLUMNS).

    ``sweeps`` (family → sweep table) give the tuned readings; ``stable=False``
    skips the leave-one-seed-out reruns (the ``stable`` columns stay blank).
    """
    study = Study.prepare(summaries, sweeps)
    loo = None
    if stable:
        seeds = sorted({s for t in study.summaries.values() for s in t["seed"].unique()})
        loo = {seed: study.without_seed(seed) for seed in seeds}
    rows = [judge(c, study, failed, loo) for c in CLAIMS]
    return with_holm(pd.DataFrame(rows, columns=COLUMNS))


def failed_configs(runs: pd.DataFrame) -> list[str]:
    """Ids of the configurations a family's runs table marks as failed."""
    return [r["config_id"] for r in failed_rows(runs)]


def judge_files(
    summary_paths: Mapping[str, str],
    claims_out: str,
    runs_paths: Mapping[str, str] | None = None,
    sweep_paths: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Judge every claim from the families' CSV tables; write the claims table atomically.

    ``runs_paths`` (family → runs table) tell which configurations failed (the
    claims that read them are held back); ``sweep_paths`` (family → sweep table)
    give the tuned readings.
    """
    summaries = {family: read_table(path) for family, path in summary_paths.items()}
    sweeps = {family: read_table(path) for family, path in (sweep_paths or {}).items()}
    failed = {fam: failed_configs(read_table(p)) for fam, p in (runs_paths or {}).items()}
    claims = judge_all(summaries, failed, sweeps)
    write_csv(claims_out, claims)
    return claims
