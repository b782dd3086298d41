"""What a verdict is: the claim types, the outcome of a test, and how outcomes combine.

A claim (:class:`Claim`) is a row of data: the family it reads, the generic judge
that tests it (a key of ``bnstudy.claims.judges.JUDGES``) with its parameters, the
further tests its verdict depends on (:class:`Part`), how it is read again with
each arm at its own best learning rate (:class:`Tuned`), and one advice sentence
per verdict.

Every test ends in :func:`decide`: effects are paired by seed, a seed contributes
only when every cell its effect needs is a finite number (diverged seeds have NaN
summaries and drop out), and the verdict reads the effect's interval and p-values
(``bnstudy.stats.paired_test``) against what the claim says of the effect
(docs/study.md §5). An :class:`Outcome` carries the verdict with everything the
claims table shows about it; :func:`combine` joins a claim's tests (its parts,
or the halves of a judge's own test) into one outcome.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import pandas as pd

from bnstudy.stats import min_detectable_effect, paired_test
from bnstudy.vocab import CONFIDENCE

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)
DECIDED = (SUPPORTED, CONTRADICTED)
#: A test decides when its p-value is below this (the interval excludes the threshold).
ALPHA = 1 - CONFIDENCE

#: The columns of a claims row that each reading has (the tuned ones prefixed "tuned_").
READING_FIELDS = (
    "verdict",
    "effect",
    "ci_low",
    "ci_high",
    "n_seeds",
    "p_value",
    "holm",
    "mde",
    "stable",
    "learned",
    "detail",
)
#: Columns of the claims table (claims.csv), one row per claim: the as-run reading,
#: then the tuned one (each arm at its own validation-best lr), then whether they agree.
COLUMNS = [
    "claim",
    "family",
    *READING_FIELDS[:-1],  # the as-run reading ...
    "seeds",
    "detail",  # ... its detail last
    *(f"tuned_{k}" for k in ("verdict", "effect", "ci_low", "ci_high", "n_seeds")),
    "tuned_lrs",
    "tuned_detail",
    "readings_agree",
    *(f"tuned_{k}" for k in ("p_value", "holm", "mde", "stable", "learned")),
]

#: Fewer usable paired seeds than this cannot give an interval.
MIN_SEEDS = 2
#: An arm of judge arm_contrast: the best (on validation data) of the other cells.
BEST_OTHER = "best other"
#: What the ``learned`` field says when no failure was found (see bnstudy.claims.learning).
LEARNED_OK = ("yes", "not required", "not recorded", "")


@dataclass(frozen=True)
class Part:
    """A further test a claim's verdict depends on, reported in its detail.

    It runs the claim's judge (or ``test``) on the claim's family (or ``family``)
    with the claim's params updated by ``params``. Its ``role`` (see combine):
    ``info`` (reported only), ``gate`` (the claim is supported only if the part
    is too), ``veto`` (a gate whose contradiction contradicts the claim: the
    second half of a conjunction) or ``both`` (a second reading of the same
    statement: supported only if both are, inconclusive if they point opposite
    ways, contradicted if one is and the other is not supported).
    """

    label: str
    role: str
    params: dict = field(default_factory=dict)
    test: str | None = None
    metric: str | None = None
    family: str | None = None


@dataclass(frozen=True)
class Tuned:
    """How a claim is read again with each arm at its own validation-best lr.

    ``source`` "sweep": every configuration of every family the claim reads at the
    ``slot_lr`` of its lr sweep with the best validation score. ``source`` "grid":
    the claim's family has lr as a grid axis; the rows ``tune`` selects (a where
    spec) are each taken at their best grid lr, the rows ``keep`` selects stay as
    they are. ``params`` update the claim's params for this reading.
    """

    source: str = "sweep"
    params: dict = field(default_factory=dict)
    keep: dict = field(default_factory=dict)
    tune: dict = field(default_factory=dict)


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
    tuned: Tuned | None = None  # the tuned reading, for claims that have one


class Undecidable(Exception):
    """The data cannot decide the claim (a grid level is missing, ...): inconclusive."""


@dataclass(frozen=True, eq=False)
class Outcome:
    """A test's verdict and everything the claims table shows about it.

    ``p_support``/``p_contradict`` are the doubled one-sided p-values of the
    effect lying where the claim says / entirely outside (bnstudy.stats); ``arms``
    are (label, rows) of the cells the comparison read, whose learning it needs;
    ``selected`` lists (what, choice) for every selection the test made, all on
    validation data; ``learned`` is what the learning check found.
    """

    verdict: str
    effect: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    n_seeds: int = 0
    detail: str = ""
    p_support: float = math.nan
    p_contradict: float = math.nan
    mde: float = math.nan
    seeds: tuple = ()
    arms: tuple = ()
    selected: tuple = ()
    learned: str = ""

    @property
    def p_value(self) -> float:
        """The p-value of the verdict given; undecided: the smaller of the two."""
        if self.verdict == SUPPORTED:
            return self.p_support
        if self.verdict == CONTRADICTED:
            return self.p_contradict
        if self.verdict == NOT_RUN:
            return math.nan
        return min(self.p_support, self.p_contradict)

    def replace(self, **changes) -> Outcome:
        return dataclasses.replace(self, **changes)

    def noted(self, *notes: str) -> Outcome:
        """The outcome with notes appended to its detail."""
        return self.replace(detail=join_notes(self.detail, *notes))


def join_notes(*notes) -> str:
    """The non-empty notes joined into one detail text."""
    return "; ".join(n for n in notes if n)


def numbers_text(res: Outcome) -> str:
    """An outcome's effect, interval and seeds as a detail shows them.

    >>> numbers_text(Outcome("supported", 0.12, 0.05, 0.191, 5))
    '0.12 [0.05, 0.19], 5 seeds'
    """
    return f"{res.effect:.2f} [{res.ci_low:.2f}, {res.ci_high:.2f}], {res.n_seeds} seeds"


def decide(per_seed: pd.Series, threshold=0.0, detail: str = "", sense: str = ">") -> Outcome:
    """Verdict from the per-seed effects (indexed by seed); non-finite entries are dropped.

    ``sense`` is what the claim says of the effect: ">" above ``threshold``, "<"
    below it, "within" inside ±``threshold``. The effect surely where the claim
    puts it (p_support below ALPHA: the interval lies there) → supported, surely
    outside → contradicted, else (or with fewer than MIN_SEEDS usable seeds)
    inconclusive. When every effect is equal the exact sign-flip test decides.
    """
    values = per_seed.astype(float)
    ok = values[values.map(math.isfinite)]
    notes = [detail]
    if len(ok) < len(values):
        notes.append(
            f"{len(values) - len(ok)} of {len(values)} seed pairs dropped (diverged or missing)"
        )
    test = paired_test(ok.to_numpy(), threshold, sense)
    seeds = tuple(ok.index)
    if test.n < MIN_SEEDS:
        notes.append(f"only {test.n} usable paired seed(s), {MIN_SEEDS} needed")
        return Outcome(
            INCONCLUSIVE, test.mean, n_seeds=test.n, detail=join_notes(*notes), seeds=seeds
        )
    verdict = (
        SUPPORTED
        if test.p_support < ALPHA
        else CONTRADICTED
        if test.p_contradict < ALPHA
        else INCONCLUSIVE
    )
    if test.exact:
        p = min(test.p_support, test.p_contradict)
        note = f"all {test.n} paired effects equal: exact sign-flip test, p = {p:.3g}"
        if verdict == INCONCLUSIVE and p >= 1:
            note += " (the effect sits on the threshold)"
        elif verdict == INCONCLUSIVE:
            note += f" (with {test.n} seeds it cannot reach {ALPHA:.0%})"
        notes.append(note)
    mde = min_detectable_effect(test.n, 0.0 if test.exact else test.sd)
    return Outcome(
        verdict,
        test.mean,
        test.low,
        test.high,
        test.n,
        join_notes(*notes),
        test.p_support,
        test.p_contradict,
        mde,
        seeds,
    )


def decide_by(per_seed: pd.Series, params: dict, detail: str = "") -> Outcome:
    """:func:`decide` with the claim's ``threshold`` and ``sense`` (default: above 0)."""
    return decide(per_seed, params.get("threshold", 0.0), detail, params.get("sense", ">"))


def merge_learned(a: str, b: str) -> str:
    """Two learning-check texts as one: failures joined, else the more informative."""
    failures = [t for t in (a, b) if t not in LEARNED_OK]
    if failures:
        return "; ".join(dict.fromkeys(failures))
    for text in LEARNED_OK:
        if text in (a, b):
            return text
    return ""


def combine(main: Outcome, part: Outcome, role: str, label: str) -> Outcome:
    """The claim's outcome once a further test's outcome is known (see Part for the roles).

    Support needs every gating test supported, so its p-value is the largest of
    theirs (an intersection-union test); a contradiction by any one of them has
    that test's p-value. The effect, interval, seeds and MDE stay the main test's.
    """
    verdict, seen = main.verdict, part.verdict
    shown = numbers_text(part) if part.n_seeds and math.isfinite(part.ci_low) else ""
    if part.n_seeds and not shown:
        shown = f"{part.effect:.2f} (exact test), {part.n_seeds} seeds"
    if role != "info" or not shown:
        shown = f"{shown} → {seen}" if shown else seen
    note = f"{label}: {shown}" + (f" ({part.detail})" if part.detail else "")
    why, p_s, p_c = "", main.p_support, main.p_contradict
    if role != "info":
        p_s = max(main.p_support, part.p_support)
    if role in ("veto", "both"):
        p_c = min(main.p_contradict, part.p_contradict)
    if role == "both" and {verdict, seen} == {SUPPORTED, CONTRADICTED}:
        verdict, why = INCONCLUSIVE, f"{label} says {seen}: the two point opposite ways"
    elif role in ("veto", "both") and seen == CONTRADICTED and verdict != CONTRADICTED:
        verdict, why = CONTRADICTED, f"contradicted by {label}"
    elif role != "info" and verdict == SUPPORTED and seen != SUPPORTED:
        verdict, why = INCONCLUSIVE, f"not supported by {label}"
    learned = merge_learned(main.learned, part.learned) if role != "info" else main.learned
    # A deciding part's arms join the claim's, so the tuned lrs of every compared arm show.
    named = {arm for arm, _ in main.arms}
    more = tuple(a for a in part.arms if a[0] not in named) if role != "info" else ()
    return main.replace(
        verdict=verdict,
        detail=join_notes(main.detail, note, why),
        p_support=p_s,
        p_contradict=p_c,
        selected=main.selected + part.selected,
        learned=learned,
        arms=main.arms + more,
    )
