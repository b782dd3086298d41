"""How the report prints numbers: significant digits, intervals, durations, config values.

Every number the report shows goes through one of these functions, so that the same
quantity always reads the same way (``0.0123``, ``1.23×10⁶``, ``[0.21, 0.83]``), and a
missing one is a dash, never ``nan``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bnstudy.stats import POWER
from bnstudy.vocab import CI_LABEL

#: What the report prints for a missing number.
DASH = "–"
#: The confidence level of every interval as the report prints it, on one line: "95 %".
CI = CI_LABEL.replace(" ", "\u00a0")
#: The power of every minimum detectable effect, printed the same way: "80 %".
POWER_LABEL = f"{POWER:.0%}".replace("%", "\u00a0%")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x, digits: int = 3) -> str:
    """A number with ``digits`` significant digits; missing → "–", large/small → a×10ⁿ.

    >>> [fmt(0.012345), fmt(1234567.0), fmt(-2.5e-5), fmt(float("nan")), fmt(3)]
    ['0.0123', '1.23×10⁶', '−2.5×10⁻⁵', '–', '3']
    """
    if x is None or isinstance(x, str):
        return DASH if not x else x
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    x = float(x)
    if math.isnan(x):
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        exponent = str(int(exponent)).translate(_SUPERSCRIPT)
        text = f"{mantissa}×10{exponent}" if mantissa != "1" else f"10{exponent}"
    return text.replace("-", "−")


def fmt_interval(low, high) -> str:
    """``[low, high]``, or "–" when the interval is undefined (fewer than two seeds).

    >>> fmt_interval(0.5, 1.25), fmt_interval(float("nan"), 1.0)
    ('[0.5, 1.25]', '–')
    """
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return DASH
    return f"[{fmt(low)}, {fmt(high)}]"


def fmt_estimate(mean, low, high) -> str:
    """A mean followed by its interval: ``0.52 [0.21, 0.83]``."""
    return f"{fmt(mean)} {fmt_interval(low, high)}"


def fmt_duration(seconds: float) -> str:
    """Seconds (3 significant digits) with a readable larger unit.

    >>> [fmt_duration(2.5), fmt_duration(5432.1)]
    ['2.5 s', '5,430 s (1.51 h)']
    """
    if not np.isfinite(seconds):
        return DASH
    text = f"{fmt(seconds)} s" if seconds < 1000 else f"{float(f'{seconds:.3g}'):,.0f} s"
    if seconds >= 3600:
        text += f" ({fmt(seconds / 3600)} h)"
    elif seconds >= 60:
        text += f" ({fmt(seconds / 60)} min)"
    return text


def fmt_seconds(x) -> str:
    """Seconds or megabytes: 3 significant digits, whole numbers from 1,000 on.

    >>> [fmt_seconds(2.345), fmt_seconds(40512.7), fmt_seconds(float("nan"))]
    ['2.35', '40,513', '–']
    """
    if x is None or not np.isfinite(float(x)):
        return DASH
    return f"{float(x):,.0f}" if abs(float(x)) >= 1000 else fmt(x)


def fmt_param(value) -> str:
    """A configuration value as written in a config file.

    >>> [fmt_param(0.1), fmt_param(np.int64(3)), fmt_param(True), fmt_param("relu")]
    ['0.1', '3', 'yes', 'relu']
    """
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def fmt_count(x) -> str:
    """A count such as a number of seeds; missing → "–"."""
    return DASH if x is None or not np.isfinite(float(x)) else str(int(x))


def fmt_seeds(seeds) -> str:
    """Seeds, sorted, with runs of consecutive seeds joined.

    >>> fmt_seeds([2, 0, 1, 5]), fmt_seeds([3]), fmt_seeds([])
    ('0–2, 5', '3', '')
    """
    seeds = sorted({int(s) for s in seeds})
    parts, start = [], None
    for i, s in enumerate(seeds):
        if start is None:
            start = s
        if i + 1 == len(seeds) or seeds[i + 1] != s + 1:
            parts.append(str(start) if start == s else f"{start}–{s}")
            start = None
    return ", ".join(parts)


def fmt_change(fraction: float) -> str:
    """A relative change as a signed percentage kept on one line: ``+12.5 %``."""
    return f"{fraction:+.1%}".replace("-", "−").replace("%", "\u00a0%")


def verdict_slug(verdict: str) -> str:
    """A verdict as a CSS class and anchor: ``not run`` → ``not-run``."""
    return str(verdict).strip().lower().replace(" ", "-")


def display_path(path) -> str:
    """A path relative to the working directory when it lies below it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(p)
    return str(p)
