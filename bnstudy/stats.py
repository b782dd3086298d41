"""The study's statistics: intervals, tests, power and multiplicity for paired effects.

Everything here works on plain arrays of per-seed numbers (an effect per seed, or
a metric per seed) and knows nothing of claims or tables except ``aggregate``:

* ``mean_ci``: mean and Student-t interval, used by the figures and tables;
* ``aggregate``: per-configuration means with intervals over seeds;
* ``paired_test``: the interval and the two p-values a verdict is read from. With
  any spread in the effects it is the t test; when every effect is equal the t
  interval has zero width and would decide alone, so an exact sign-flip test
  takes over (docs/study.md §5);
* ``min_detectable_effect``: the smallest true effect the seeds would detect with
  80 % power;
* ``holm``: Holm's step-down adjustment of a family of p-values.

p-values are *doubled one-sided* p-values: a claim's effect is tested in the
direction the claim (or its contradiction) points, and doubling puts it on the
scale of the two-sided 95 % interval, so that a test decides exactly when its
p-value is below ``1 − CONFIDENCE`` and exactly when the interval excludes the
threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import nctdtr, stdtr, stdtrit

from bnstudy.vocab import CONFIDENCE

#: Power at which ``min_detectable_effect`` is computed.
POWER = 0.8
#: Up to this many seeds the sign-flip test enumerates every sign pattern.
EXACT_MAX_N = 16
#: Effects this close (relative to their size) count as equal: zero spread.
ZERO_SPREAD = 1e-12


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Mean and two-sided t interval of the finite values: ``(mean, low, high, n)``.

    With one value the interval is undefined (NaN); with zero spread it is the
    mean itself (a verdict never reads that: see ``paired_test``).

    >>> m, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    >>> (m, n, round(lo, 3), round(hi, 3))
    (2.0, 3, -0.484, 4.484)
    """
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return (np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return (mean, np.nan, np.nan, 1)
    sem = float(x.std(ddof=1)) / np.sqrt(n)
    if sem == 0.0:
        return (mean, mean, mean, n)
    half = float(stdtrit(n - 1, 0.5 + confidence / 2)) * sem
    return (mean, float(mean - half), float(mean + half), n)


def _finite(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def zero_spread(x: np.ndarray) -> bool:
    """Whether all of (at least two) values are equal, up to rounding."""
    return x.size >= 2 and float(np.ptp(x)) <= ZERO_SPREAD * max(1.0, float(np.abs(x).max()))


# ---- tests --------------------------------------------------------------------------------


def sign_flip_tails(d) -> tuple[float, float]:
    """Exact one-sided p-values of mean(d) > 0 and of mean(d) < 0 under random signs.

    Under the null the distribution of each d is symmetric about 0, so every one of
    the 2ⁿ sign patterns of |d| is equally likely; a tail is the share of patterns
    whose mean is at least as extreme as the observed one. With more than
    EXACT_MAX_N values a fixed-seed sample of patterns stands in for all of them.

    >>> sign_flip_tails([0.3] * 5)  # five equal positive effects: 1/32 and 1
    (0.03125, 1.0)
    """
    d = _finite(d)
    if d.size == 0:
        return (1.0, 1.0)
    n = d.size
    if n <= EXACT_MAX_N:
        bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    else:
        bits = np.random.default_rng(0).integers(0, 2, size=(2**EXACT_MAX_N, n))
    means = ((1 - 2 * bits) * np.abs(d)).mean(axis=1)
    observed, tol = d.mean(), ZERO_SPREAD * max(1.0, float(np.abs(d).max()))
    return (float((means >= observed - tol).mean()), float((means <= observed + tol).mean()))


def t_tails(d) -> tuple[float, float]:
    """One-sided t-test p-values of mean(d) > 0 and of mean(d) < 0 (needs spread)."""
    d = _finite(d)
    n = d.size
    t = float(d.mean() / (d.std(ddof=1) / math.sqrt(n)))
    below = float(stdtr(n - 1, t))
    return (1.0 - below, below)


@dataclass(frozen=True)
class PairedTest:
    """A paired effect's estimate, interval and p-values for one claimed region."""

    mean: float
    low: float
    high: float
    n: int
    p_support: float  # doubled one-sided p of "the effect lies where the claim says"
    p_contradict: float  # ... of "it lies entirely outside"
    exact: bool  # zero spread: decided by the sign-flip test, not the t interval
    sd: float


def paired_test(
    values, threshold: float = 0.0, sense: str = ">", confidence: float = CONFIDENCE
) -> PairedTest:
    """The interval and p-values of per-seed effects against what a claim says of them.

    ``sense`` ">": the claim puts the effect above ``threshold``; "<": below it;
    "within": inside ±``threshold`` (equivalence: two one-sided tests). Fewer than
    two values: NaN interval and p-values of 1. Zero spread: the exact sign-flip
    test, whose interval is the mean itself if any sign pattern can reach the
    level (6+ seeds at 95 %), else unbounded.

    >>> r = paired_test([0.2] * 5)
    >>> (r.exact, r.p_support, r.low, r.high)
    (True, 0.0625, -inf, inf)
    """
    x = _finite(values)
    mean, low, high, n = mean_ci(x, confidence)
    sd = float(x.std(ddof=1)) if n >= 2 else np.nan
    if n < 2:
        return PairedTest(mean, low, high, n, 1.0, 1.0, False, sd)
    exact = zero_spread(x)
    tails = sign_flip_tails if exact else t_tails
    if exact:
        reach = 2 * 0.5**n < 1 - confidence  # can one sign pattern reach the level?
        low, high = (mean, mean) if reach else (-math.inf, math.inf)

    def above(level: float) -> float:  # doubled p of "mean > level"
        return min(1.0, 2 * tails(x - level)[0])

    def below(level: float) -> float:  # doubled p of "mean < level"
        return min(1.0, 2 * tails(x - level)[1])

    if sense == ">":
        p_s, p_c = above(threshold), below(threshold)
    elif sense == "<":
        p_s, p_c = below(threshold), above(threshold)
    elif sense == "within":
        p_s = max(above(-threshold), below(threshold))
        p_c = min(above(threshold), below(-threshold))
    else:
        raise ValueError(f"unknown sense {sense!r}")
    return PairedTest(mean, low, high, n, p_s, p_c, exact, sd)


# ---- power and multiplicity ------------------------------------------------------------


def min_detectable_effect(
    n: int, sd: float, confidence: float = CONFIDENCE, power: float = POWER
) -> float:
    """Smallest |true mean − threshold| the paired t test detects with ``power``.

    Two-sided at level 1 − ``confidence`` with ``n`` seeds whose effects spread
    with standard deviation ``sd``: the noncentrality at which the noncentral t
    leaves ``power`` outside ±t_crit, back on the effect's scale. Fewer than 2
    seeds: NaN. Zero spread: 0 if the exact sign-flip test can decide at all with
    ``n`` seeds (6+ at 95 %), else infinite (no effect is detectable).

    >>> round(min_detectable_effect(5, 1.0), 2)  # 5 seeds: 1.68 standard deviations
    1.68
    """
    if n < 2 or not np.isfinite(sd):
        return np.nan
    if sd <= 0:
        return 0.0 if 2 * 0.5**n < 1 - confidence else math.inf
    from scipy.optimize import brentq

    df = n - 1
    crit = float(stdtrit(df, 0.5 + confidence / 2))

    def shortfall(ncp: float) -> float:
        # Deep in a tail nctdtr can return NaN for a probability that is ~0.
        inside = np.nan_to_num(nctdtr(df, ncp, crit)) - np.nan_to_num(nctdtr(df, ncp, -crit))
        return 1.0 - inside - power

    lo, hi = 0.0, 1.0
    while shortfall(hi) < 0:
        lo, hi = hi, 2 * hi
    return float(brentq(shortfall, lo, hi) * sd / math.sqrt(n))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are not tested and stay NaN).

    A hypothesis is rejected at level α after the correction exactly when its
    adjusted p-value is below α; the family is the finite entries.

    >>> holm([0.01, 0.04, 0.03, 0.005, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02, nan]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


# ---- per-configuration aggregates ---------------------------------------------------------


def aggregate(summary: pd.DataFrame, by: list[str], metric: str, log: bool = False) -> pd.DataFrame:
    """Mean and 95 % interval of ``metric`` over seeds, per group of ``by``.

    Diverged seeds are left out of the mean and counted in ``n_diverged``;
    ``n`` is the number of seeds averaged. With ``log=True`` the interval is
    computed on log(metric) and reported back on the original scale (a
    geometric mean), which suits losses spanning decades.
    """
    rows = []
    for key, grp in summary.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ok = grp[grp["diverged"] == 0][metric].to_numpy(dtype=float)
        if log:
            ok = np.log(ok[ok > 0])
        m, lo, hi, n = mean_ci(ok)
        if log:
            m, lo, hi = np.exp(m), np.exp(lo), np.exp(hi)
        row = dict(zip(by, key, strict=True))
        row.update(
            mean=m,
            ci_low=lo,
            ci_high=hi,
            n=n,
            n_seeds=int(len(grp)),
            n_diverged=int((grp["diverged"] == 1).sum()),
        )
        rows.append(row)
    return pd.DataFrame(rows)
