"""Means with 95 % t intervals, and per-configuration aggregates of seed summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit

CONFIDENCE = 0.95


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Mean and two-sided t interval of the finite values: ``(mean, low, high, n)``.

    With one value the interval is undefined (NaN); with zero spread it is the
    mean itself.

    >>> m, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    >>> (m, n, round(lo, 3), round(hi, 3))
    (2.0, 3, -0.484, 4.484)
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
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
