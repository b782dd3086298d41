"""The tuning advice: each judged claim's sentence for its verdict, filled with its evidence.

Every claim of the catalogue has one advice sentence per decided or undecided
verdict, with a ``{ci}`` slot for the evidence: the effect, its interval and the
seed count. :func:`advice_text` is the one place a sentence is filled; the
caller chooses how the evidence is written (:func:`evidence_text` here, the
report its own number formatting) and :func:`conclusions` fills the advice of a
whole claims table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.catalogue import CLAIMS_BY_ID
from bnstudy.claims.verdict import NOT_RUN
from bnstudy.vocab import CI_LABEL

#: What ``{ci}`` in an advice sentence becomes: the effect with its interval.
CI_TEXT = "{effect:.2f}, " + CI_LABEL + " CI [{ci_low:.2f}, {ci_high:.2f}], {n_seeds} seeds"
#: What ``{ci}`` becomes when the data gave no effect to show (no usable seed pairs).
NO_NUMBERS = "no usable seed pairs, so no effect or interval"


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
    return CI_TEXT.format(
        effect=row["effect"], ci_low=row["ci_low"], ci_high=row["ci_high"], n_seeds=row["n_seeds"]
    )


def conclusions(
    claims_df: pd.DataFrame, evidence: Callable[[Mapping], str] = evidence_text
) -> list[dict]:
    """Each judged claim's advice for its verdict: ``{"claim", "verdict", "text"}`` per claim.

    ``evidence(row)`` writes a claims row's numbers for the ``{ci}`` slot. Claims
    not run, and claims the catalogue has no sentence for, give no advice.
    """
    out = []
    for row in claims_df.to_dict("records"):
        if row["verdict"] == NOT_RUN:
            continue
        text = advice_text(str(row["claim"]), str(row["verdict"]), evidence(row))
        if text is not None:
            out.append({"claim": row["claim"], "verdict": row["verdict"], "text": text})
    return out
