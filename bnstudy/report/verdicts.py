"""A claims row as the report reads it: its readings, its checks, its evidence.

A claim has an **as-run** reading (the tutorial's setting: one learning rate for
every arm) and, for the claims that compare with and without BN, a **tuned** one
(each arm at its own learning rate, chosen on validation data: the ``tuned_*``
columns). The reading the report acts on — the strategy's, the abstract's — is the
tuned one where it exists (:func:`final_verdict`). Beside them each row carries its
checks, each per reading: whether every compared arm learned, whether the verdict
survives Holm's correction, the minimum detectable effect (80 % power: an
inconclusive reading says "no effect larger than X"), and leave-one-seed-out
stability.

Claims tables written before these columns existed read as if each check were not
made ("–"): every function here takes a row that may lack any of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.advice import followed_reading
from bnstudy.claims.verdict import LEARNED_OK
from bnstudy.report.fmt import CI, DASH, fmt, fmt_count, fmt_interval, fmt_seeds, verdict_slug

#: The prefix of the tuned reading's columns.
TUNED = "tuned_"
#: Answers of the yes/no columns (holm, stable, readings_agree).
YES, NO = "yes", "no"


def cell(row: Mapping, col: str) -> str:
    """A text column's value, "" when missing (an old table, an empty cell or NaN).

    >>> cell({"holm": float("nan"), "seeds": 3}, "holm"), cell({"seeds": 3}, "seeds")
    ('', '3')
    """
    value = row.get(col)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def number(row: Mapping, col: str) -> float:
    """A numeric column's value, NaN when missing."""
    value = pd.to_numeric(row.get(col), errors="coerce")
    return float(value) if value is not None and pd.notna(value) else np.nan


def has_tuned(row: Mapping) -> bool:
    """Whether the claim has a tuned reading that ran (each arm at its validation-best lr):
    the one its advice follows (``bnstudy.claims.advice.followed_reading``)."""
    return followed_reading(row) == "tuned"


def final_verdict(row: Mapping) -> str:
    """The verdict the report acts on: the tuned reading's where there is one."""
    return cell(row, TUNED + "verdict") if has_tuned(row) else cell(row, "verdict")


#: What an interval reads when every seed gave the same effect and the exact sign-flip
#: test, too weak at this many seeds, left it unbounded.
UNBOUNDED = "unbounded: every seed equal"


def interval(row: Mapping, prefix: str = "") -> str:
    """A reading's interval as printed: ``[low, high]``, "–", or :data:`UNBOUNDED`.

    >>> interval({"ci_low": float("-inf"), "ci_high": float("inf")})
    'unbounded: every seed equal'
    """
    low, high = number(row, prefix + "ci_low"), number(row, prefix + "ci_high")
    if np.isinf(low) and np.isinf(high):
        return UNBOUNDED
    return fmt_interval(low, high)


def reading(row: Mapping, prefix: str = "") -> dict:
    """One reading (``prefix`` "" as run, :data:`TUNED` tuned): its verdict, effect and
    interval, and its checks (learned, Holm, minimum detectable effect, stability)."""
    verdict = cell(row, prefix + "verdict")
    mde = number(row, prefix + "mde")
    return {
        "verdict": verdict,
        "slug": verdict_slug(verdict),
        "effect": fmt(number(row, prefix + "effect")),
        "ci": interval(row, prefix),
        "n_seeds": fmt_count(number(row, prefix + "n_seeds")),
        "detail": cell(row, prefix + "detail"),
        "p_value": fmt(number(row, prefix + "p_value")),
        "learned": learned(cell(row, prefix + "learned")),
        "holm": cell(row, prefix + "holm") or DASH,
        "stable": cell(row, prefix + "stable") or DASH,
        "mde": fmt(mde),
        "mde_text": f"no effect larger than {fmt(mde)}" if np.isfinite(mde) else "",
    }


def disagree(row: Mapping) -> bool:
    """Whether the as-run and tuned readings give different verdicts."""
    said = cell(row, "readings_agree")
    if said:
        return said == NO
    return has_tuned(row) and cell(row, TUNED + "verdict") != cell(row, "verdict")


def learned(said: str) -> dict:
    """Whether every compared arm learned, as the claims table says it: ``text`` to print
    and ``failed`` (an arm that did not learn is named in the text).

    >>> learned("yes"), learned("")["text"], learned("BN none at lr 0.9: accuracy 0.10")["failed"]
    ({'text': 'yes', 'failed': False}, '–', True)
    """
    if not said:
        return {"text": DASH, "failed": False}
    return {"text": said, "failed": said not in LEARNED_OK}


def seeds_text(row: Mapping) -> str:
    """The seeds a claim used, runs of consecutive seeds joined: "0–4", "5, 7, 9".

    >>> seeds_text({"seeds": "0 1 2 3 4"}), seeds_text({"seeds": "5 7 8 9"}), seeds_text({})
    ('0–4', '5, 7–9', '')
    """
    words = cell(row, "seeds").replace(",", " ").split()
    try:
        seeds = sorted({int(w) for w in words})
    except ValueError:
        return " ".join(words)
    return fmt_seeds(seeds)


def evidence(row: Mapping) -> str:
    """A claims row's numbers as an advice sentence carries them: the tuned reading's where
    there is one (the strategy follows it and says which reading it is), else the as-run
    one."""
    prefix = TUNED if has_tuned(row) else ""
    n = number(row, prefix + "n_seeds")
    effect = number(row, prefix + "effect")
    if not (np.isfinite(n) and n > 0 and np.isfinite(effect)):
        return "no usable seed pairs"
    seeds = f"{int(n)} seed{'s' * (int(n) != 1)}"
    shown = interval(row, prefix)
    if shown == UNBOUNDED:
        return f"{fmt(effect)} in every seed, {seeds}: too few for the exact test to decide"
    return f"{fmt(effect)}, {CI} CI {shown}, {seeds}"
