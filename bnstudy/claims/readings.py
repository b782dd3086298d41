"""One reading of one claim: its judge, its learning check, its parts and its context.

A reading runs a claim on a set of family tables: the summaries as the tutorial
ran them (one fixed lr), or the tuned tables (each configuration at its own
validation-best lr, ``bnstudy.claims.selection``). :func:`read_claim` gives the
outcome; :func:`reading_tables` builds the tables of either reading from the
study's summaries and sweep tables, and :class:`Study` holds those once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from bnstudy.claims.judges import JUDGES, profile
from bnstudy.claims.learning import check_learning, with_learned
from bnstudy.claims.selection import tune_grid, tune_sweep
from bnstudy.claims.verdict import (
    INCONCLUSIVE,
    NOT_RUN,
    Claim,
    Outcome,
    Part,
    Undecidable,
    combine,
    join_notes,
)
from bnstudy.summary import DERIVED

AS_RUN = "as run"
TUNED = "tuned"


@dataclass
class Study:
    """Every table the claims read, prepared once: per family, with ``learned`` added.

    ``tuned`` holds each sweep family at its validation-best lrs, ``tuned_lrs`` the
    choices ((config_id, lr) pairs), ``tuned_notes`` the configurations that could
    not be tuned (no validation numbers).
    """

    summaries: dict[str, pd.DataFrame]
    sweeps: dict[str, pd.DataFrame] = field(default_factory=dict)
    tuned: dict[str, pd.DataFrame] = field(default_factory=dict)
    tuned_lrs: dict[str, tuple] = field(default_factory=dict)
    tuned_notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def prepare(
        cls, summaries: Mapping[str, pd.DataFrame], sweeps: Mapping[str, pd.DataFrame] | None
    ) -> Study:
        """The study's tables from the families' summary and sweep tables."""
        study = cls(
            {f: with_learned(t) for f, t in summaries.items() if not t.empty},
            {f: with_learned(t) for f, t in (sweeps or {}).items() if not t.empty},
        )
        for family, sweep in study.sweeps.items():
            table, chosen, blind = tune_sweep(sweep)
            if not table.empty:
                study.tuned[family], study.tuned_lrs[family] = table, chosen
            if blind:
                study.tuned_notes[family] = f"no validation numbers to tune {', '.join(blind)}"
        return study

    def without_seed(self, seed) -> Study:
        """The same study with one seed left out of every table (selections redone)."""
        return Study.prepare(
            {f: t[t["seed"] != seed] for f, t in self.summaries.items()},
            {f: t[t["seed"] != seed] for f, t in self.sweeps.items()},
        )


def reading_tables(claim: Claim, study: Study, reading: str) -> tuple[dict, str, tuple]:
    """The family tables a reading of the claim reads, a note on how they were made, and
    the lrs the tuning chose ((cell, lr) pairs, on validation data)."""
    if reading == AS_RUN:
        return study.summaries, "", ()
    spec = claim.tuned
    if spec.source == "grid":
        summary = study.summaries.get(claim.family)
        if summary is None:
            return {}, "", ()
        try:
            table, chosen, blind = tune_grid(summary, spec.keep, spec.tune)
        except Undecidable as why:
            return {}, str(why), ()
        note = f"no validation numbers to tune {', '.join(blind)}" if blind else ""
        return {**study.summaries, claim.family: table}, note, chosen
    read = families_read(claim)
    notes = [study.tuned_notes.get(f, "") for f in read]
    if claim.family in study.summaries and claim.family not in study.tuned:
        notes.append(f"no lr sweep table for {claim.family}")
    chosen = tuple(pick for f in read for pick in study.tuned_lrs.get(f, ()))
    return study.tuned, join_notes(*notes), chosen


def tuned_claim(claim: Claim) -> Claim:
    """The claim as its tuned reading judges it (its params updated by the Tuned spec)."""
    return dataclasses.replace(claim, params={**claim.params, **claim.tuned.params})


def families_read(claim: Claim) -> list[str]:
    """The families whose runs a claim's verdict reads: its own, its parts', its reference's."""
    names = [claim.family, *(p.family for p in claim.parts), claim.reference]
    return list(dict.fromkeys(n for n in names if n))


def with_metric(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The summary with a derived metric added (other metrics are columns already)."""
    if metric not in DERIVED:
        return summary
    try:
        return summary.assign(**{metric: DERIVED[metric](summary)})
    except KeyError as why:
        raise Undecidable(f"{metric} needs column {why} in the summaries") from None


def _test(claim: Claim, tables: Mapping[str, pd.DataFrame]) -> Outcome:
    """The claim's judge on its family's table, then the learning of what it compared."""
    table = with_metric(tables[claim.family], claim.metric)
    fn = JUDGES[claim.test]
    if claim.reference is None:
        result = fn(table, claim)
    else:
        result = fn(table, claim, tables.get(claim.reference))
    return check_learning(result, claim.params.get("learn", "all"))


def _part(claim: Claim, part: Part, tables: Mapping[str, pd.DataFrame]) -> Outcome:
    """A part's outcome: the claim with the part's family, judge, metric and params."""
    sub = dataclasses.replace(
        claim,
        family=part.family or claim.family,
        test=part.test or claim.test,
        metric=part.metric or claim.metric,
        params={**claim.params, **part.params},
        parts=(),
    )
    table = tables.get(sub.family)
    if table is None or table.empty:
        return Outcome(NOT_RUN, detail=f"family {sub.family} did not run")
    try:
        return _test(sub, tables)
    except Undecidable as why:
        return Outcome(INCONCLUSIVE, detail=str(why))


def read_claim(claim: Claim, tables: Mapping[str, pd.DataFrame]) -> Outcome:
    """One reading of a claim: its judge, the learning check, its parts, then context.

    A missing family is "not run"; a missing grid level or too few seeds is
    inconclusive with the reason, never an exception.
    """
    summary = tables.get(claim.family)
    if summary is None or summary.empty:
        return Outcome(NOT_RUN, detail=f"family {claim.family} did not run")
    try:
        result = _test(claim, tables)
        if result.verdict != NOT_RUN:
            for part in claim.parts:
                result = combine(result, _part(claim, part, tables), part.role, part.label)
            if "profile" in claim.params:
                table = with_metric(summary, claim.metric)
                text, picked = profile(table, claim.params["profile"], claim.metric)
                result = result.noted(text).replace(selected=result.selected + picked)
    except Undecidable as why:
        result = Outcome(INCONCLUSIVE, detail=str(why))
    return result.noted(claim.params.get("note", ""))
