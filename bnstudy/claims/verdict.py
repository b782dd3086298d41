"""What a verdict is: the claim and part types, and the decision from per-seed effects.

A claim (:class:`Claim`) is a row of data: the family it reads, the generic judge
that tests it (a key of ``bnstudy.claims.judges.JUDGES``) with its parameters, the
further tests its verdict depends on (:class:`Part`), and one advice sentence per
verdict. Every judge ends in :func:`decide`: effects are paired by seed, a seed
contributes only when every cell its effect needs is a finite number (diverged
seeds have NaN summaries and drop out), and the verdict reads the mean effect's
t interval against what the claim says of the effect (docs/study.md §5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bnstudy.stats import mean_ci
from bnstudy.vocab import CONFIDENCE

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)
#: Columns of the claims table (claims.csv), one row per claim.
COLUMNS = ["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "detail"]

#: Fewer usable paired seeds than this cannot give an interval.
MIN_SEEDS = 2
#: An arm of judge arm_contrast: the best (lowest mean metric) of the other cells.
BEST_OTHER = "best other"


@dataclass(frozen=True)
class Part:
    """A further test a claim's verdict depends on, reported in its detail.

    It runs the claim's judge (or ``test``) on the claim's family (or ``family``)
    with the claim's params updated by ``params``. Its ``role``:

    * ``info``: reported only;
    * ``gate``: the claim is supported only if the part is supported too;
    * ``veto``: a gate whose contradiction contradicts the claim;
    * ``agree``: a second family's test; if one is supported and the other
      contradicted, the claim is inconclusive.
    """

    label: str
    role: str
    params: dict = field(default_factory=dict)
    test: str | None = None
    metric: str | None = None
    family: str | None = None


@dataclass(frozen=True)
class Claim:
    """One rule of thumb of docs/study.md §5 and how its verdict is computed."""

    id: str
    family: str  # the experiment family whose summaries it reads
    statement: str  # the claim as tutorials state it
    metric: str  # the summary metric (or a derived one) the effect is computed from
    test: str  # key of JUDGES
    params: dict = field(default_factory=dict)  # the judge's arguments and thresholds
    advice: dict = field(default_factory=dict)  # verdict -> sentence template
    parts: tuple[Part, ...] = ()  # further tests the verdict depends on
    reference: str | None = None  # a second family the judge compares against (R1)


class Undecidable(Exception):
    """The data cannot decide the claim (a grid level is missing, ...): inconclusive."""


def outcome(verdict, effect=np.nan, low=np.nan, high=np.nan, n=0, detail="") -> dict:
    """A verdict with its effect, interval, seeds and detail (a claims row less claim, family)."""
    return dict(
        verdict=verdict,
        effect=float(effect),
        ci_low=float(low),
        ci_high=float(high),
        n_seeds=int(n),
        detail=detail,
    )


def join_notes(*notes) -> str:
    """The non-empty notes joined into one detail text."""
    return "; ".join(n for n in notes if n)


def numbers_text(res: dict) -> str:
    """An outcome's effect, interval and seeds as a detail shows them.

    >>> numbers_text(outcome("supported", 0.12, 0.05, 0.191, 5))
    '0.12 [0.05, 0.19], 5 seeds'
    """
    return (
        f"{res['effect']:.2f} [{res['ci_low']:.2f}, {res['ci_high']:.2f}], {res['n_seeds']} seeds"
    )


def decide(per_seed: pd.Series, threshold=0.0, detail: str = "", sense: str = ">") -> dict:
    """Verdict from the per-seed effects; non-finite entries are dropped pairs.

    ``sense`` is what the claim says of the effect: ">" above ``threshold``,
    "<" below it, "within" inside ±``threshold``. The interval entirely where the
    claim puts the effect → supported, entirely outside → contradicted, else (or
    with fewer than MIN_SEEDS usable seeds) inconclusive.
    """
    x = per_seed.to_numpy(dtype=float)
    ok = x[np.isfinite(x)]
    mean, low, high, n = mean_ci(ok, confidence=CONFIDENCE)
    notes = [detail]
    if len(ok) < len(x):
        notes.append(f"{len(x) - len(ok)} of {len(x)} seed pairs dropped (diverged or missing)")
    claimed = {
        ">": (threshold, math.inf),
        "<": (-math.inf, threshold),
        "within": (-threshold, threshold),
    }[sense]
    if n < MIN_SEEDS:
        notes.append(f"only {n} usable paired seed(s), {MIN_SEEDS} needed")
        verdict = INCONCLUSIVE
    elif claimed[0] < low and high < claimed[1]:
        verdict = SUPPORTED
    elif high < claimed[0] or low > claimed[1]:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return outcome(verdict, mean, low, high, n, join_notes(*notes))


def decide_by(per_seed: pd.Series, params: dict, detail: str = "") -> dict:
    """:func:`decide` with the claim's ``threshold`` and ``sense`` (default: above 0)."""
    return decide(per_seed, params.get("threshold", 0.0), detail, params.get("sense", ">"))
