"""The tuning advice: each judged claim's sentence for its verdict, filled with its evidence.

Every claim of the catalogue has one advice sentence per decided or undecided
verdict, with a ``{ci}`` slot for the evidence: the effect, its interval and the
seed count. :func:`advice_text` is the one place a sentence is filled; the
caller chooses how the evidence is written (:func:`evidence_text` here, the
report its own number formatting) and :func:`conclusions` fills the advice of a
whole claims table. A claim with a tuned reading (each arm at its own best lr)
gets the advice of that reading's verdict (docs/study.md §4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.catalogue import CLAIMS_BY_ID
from bnstudy.claims.verdict import (
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_RUN,
    READING_FIELDS,
    SUPPORTED,
)
from bnstudy.vocab import CI_LABEL

#: What ``{ci}`` in an advice sentence becomes: the effect with its interval.
CI_TEXT = "{effect:.2f}, " + CI_LABEL + " CI [{ci_low:.2f}, {ci_high:.2f}], {n_seeds} seeds"
#: What ``{ci}`` becomes when the data gave no effect to show (no usable seed pairs).
NO_NUMBERS = "no usable seed pairs, so no effect or interval"
#: What ``{ci}`` becomes when the effects were all equal and the exact test left the
#: interval unbounded.
UNBOUNDED = "{effect:.2f} in every seed, {n_seeds} seeds: too few for the exact test to decide"


def advice_text(claim_id: str, verdict: str, evidence: str) -> str | None:
    """The claim's advice sentence for ``verdict``, with ``evidence`` in its ``{ci}`` slot.

    None when the catalogue has no sentence for it: the verdict is "not run", or
    the claim is not (or no longer) in the catalogue.

    >>> advice_text("D6", "supported", "0.30")
    'Use BN in ReLU stacks to keep units alive: it lowers the dead-unit fraction by 0.30.'
    >>> advice_text("D6", "not run", "0.30") is None
    True
    """
    claim = CLAIMS_BY_ID.get(claim_id)
    template = claim.advice.get(verdict) if claim is not None else None
    return None if template is None else template.format(ci=evidence)


def evidence_text(row: Mapping) -> str:
    """A claims row's effect, interval and seeds as :data:`CI_TEXT`, or :data:`NO_NUMBERS`.

    >>> evidence_text({"effect": 0.3, "ci_low": 0.21, "ci_high": 0.392, "n_seeds": 5})
    '0.30, 95 % CI [0.21, 0.39], 5 seeds'
    """
    if not np.isfinite(row["effect"]):
        return NO_NUMBERS
    if np.isinf(row.get("ci_low", np.nan)) and np.isinf(row.get("ci_high", np.nan)):
        return UNBOUNDED.format(effect=row["effect"], n_seeds=row["n_seeds"])
    return CI_TEXT.format(
        effect=row["effect"], ci_low=row["ci_low"], ci_high=row["ci_high"], n_seeds=row["n_seeds"]
    )


def followed_reading(row: Mapping) -> str:
    """Which reading of a claims row its advice follows: "tuned" when the claim has a
    tuned reading that ran (docs/study.md §4: the strategy follows it), else "as run"."""
    tuned = row.get("tuned_verdict")
    if isinstance(tuned, str) and tuned in (SUPPORTED, CONTRADICTED, INCONCLUSIVE):
        return "tuned"
    return "as run"


def reading_row(row: Mapping, reading: str) -> dict:
    """The row with a reading's numbers in the as-run columns (effect, ci_low, ci_high,
    n_seeds, verdict, p_value, holm, mde, stable, learned, detail)."""
    if reading != "tuned":
        return dict(row)
    return dict(row) | {k: row.get(f"tuned_{k}", np.nan) for k in READING_FIELDS}


def conclusions(
    claims_df: pd.DataFrame, evidence: Callable[[Mapping], str] = evidence_text
) -> list[dict]:
    """Each judged claim's advice: ``{"claim", "verdict", "text", "reading", "holm", "note"}``.

    The advice follows the **tuned** reading of a claim that has one (each arm at
    its own validation-best lr), else the as-run one: ``reading`` says which, and
    ``verdict``, ``holm`` and the numbers ``evidence(row)`` writes into the
    sentence's ``{ci}`` slot are that reading's (``evidence`` gets the row with
    the followed reading's numbers in the as-run columns). ``holm`` is "yes"/"no"
    for a decided verdict ("" otherwise or when the table has no Holm column);
    ``note`` says what the other reading found when the two disagree. Claims not
    run, and claims the catalogue has no sentence for, give no advice.
    """
    out = []
    for row in claims_df.to_dict("records"):
        if row["verdict"] == NOT_RUN:
            continue
        reading = followed_reading(row)
        shown = reading_row(row, reading)
        text = advice_text(str(row["claim"]), str(shown["verdict"]), evidence(shown))
        if text is None:
            continue
        note = ""
        if reading == "tuned" and row["tuned_verdict"] != row["verdict"]:
            note = (
                f"As run, with one fixed learning rate for both arms, the verdict was "
                f"{row['verdict']}; with each arm at its own best learning rate it is "
                f"{row['tuned_verdict']}."
            )
        holm = shown.get("holm", "")
        out.append(
            {
                "claim": row["claim"],
                "verdict": shown["verdict"],
                "text": text,
                "reading": reading,
                "holm": holm if isinstance(holm, str) else "",
                "note": note,
            }
        )
    return out
