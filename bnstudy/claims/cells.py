"""Selecting a family's grid levels and pairing its runs by seed: the judges' helpers.

A *level spec* names grid levels of one column: a level, a list of levels (those
the grid has), "min"/"max" (the grid's ends) or ``{"from": a, "to": b}`` (the
levels in [a, b], either end optional). A *where spec* maps columns to level
specs; a *cell* maps columns to lists of levels. Naming no level the grid has
raises ``Undecidable``: the claim is inconclusive with the reason.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from bnstudy.claims.verdict import Undecidable

#: The per-run column that says whether a run learned: 1, 0, or NaN when the run
#: recorded no reference to tell (added by ``bnstudy.claims.learning``).
LEARNED = "learned"


def as_list(v) -> list:
    return list(v) if isinstance(v, list | tuple) else [v]


def spec_text(spec) -> str:
    """A level spec in words: ``{"from": 32}`` → "≥ 32", ``[3, 4]`` → "3/4"."""
    if isinstance(spec, dict):
        ends = [
            f"≥ {spec['from']}" if "from" in spec else "",
            f"≤ {spec['to']}" if "to" in spec else "",
        ]
        return " and ".join(e for e in ends if e)
    return "/".join(map(str, as_list(spec)))


def matching(df: pd.DataFrame, col: str, spec) -> list:
    """The grid levels of ``col`` that a level spec names, in grid order ([] if none)."""
    if col not in df:
        return []
    have = sorted(df[col].dropna().unique())
    if isinstance(spec, dict):
        lo, hi = spec.get("from", -math.inf), spec.get("to", math.inf)
        return [v for v in have if lo <= v <= hi]
    if isinstance(spec, str) and spec in ("min", "max"):
        return have[:1] if spec == "min" else have[-1:]
    return [v for v in have if v in as_list(spec)]


def levels(df: pd.DataFrame, col: str, spec) -> list:
    """:func:`matching`, but naming no level the grid has is undecidable."""
    if col not in df:
        raise Undecidable(f"the summaries have no {col} column")
    picked = matching(df, col, spec)
    if not picked:
        raise Undecidable(f"{col} {spec_text(spec)} missing from the grid")
    return picked


def select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Rows whose columns take the levels ``where`` names."""
    for col, spec in where.items():
        df = df[df[col].isin(levels(df, col, spec))]
    return df


def require(df: pd.DataFrame, col: str, wanted) -> None:
    missing = [v for v in as_list(wanted) if not (df[col] == v).any()]
    if missing:
        raise Undecidable(f"{col} {'/'.join(map(str, missing))} missing from the grid")


def in_cell(df: pd.DataFrame, cell: dict) -> pd.Series:
    """Mask of the rows in a cell: column → list of levels."""
    mask = pd.Series(True, index=df.index)
    for col, wanted in cell.items():
        mask &= df[col].isin(wanted)
    return mask


def label(cell: dict) -> str:
    """A cell in words: ``{"bn": ["none"], "depth": [3, 4]}`` → "bn none/depth 3/4"."""
    return "/".join(f"{col} {'/'.join(map(str, wanted))}" for col, wanted in cell.items())


def usable(summary: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Copy with the metrics blanked for diverged seeds: such numbers are not results."""
    df = summary.copy()
    df.loc[df["diverged"] == 1, metrics] = np.nan
    return df


def recorded(df: pd.DataFrame, metrics: list[str]) -> None:
    """A metric the runs never recorded (e.g. dead_frac without ReLU) cannot decide a claim."""
    for m in metrics:
        if m not in df or df[m].isna().all():
            raise Undecidable(f"no finite {m} in the selected runs (not recorded or diverged)")


def log_values(values: pd.Series) -> pd.Series:
    """log of the positive values, NaN for the others."""
    values = values.astype(float)
    return np.log(values.where(values > 0))


def seeds_of(df: pd.DataFrame) -> list:
    return sorted(df["seed"].unique())


def wide(df: pd.DataFrame, keys: list[str], values: pd.Series, seeds, need=None) -> pd.DataFrame:
    """Seeds × cells table of ``values`` over the full cross of the keys' levels.

    A cell with no run at all makes the claim undecidable (``need`` names levels
    that must be there even if absent from ``df``). A seed missing any cell is
    blanked whole: later means over cells then never mix seeds that averaged
    different cells, and the seed still counts as a dropped pair.
    """
    need = need or {}
    grid = [need.get(k) or sorted(df[k].unique()) for k in keys]
    present = set(df[keys].itertuples(index=False, name=None))
    missing = [cell for cell in itertools.product(*grid) if cell not in present]
    if missing:
        cells = ["/".join(f"{k} {v}" for k, v in zip(keys, c, strict=True)) for c in missing]
        raise Undecidable(f"no runs for {', '.join(cells[:4])}" + (" …" if len(cells) > 4 else ""))
    frame = df[["seed", *keys]].assign(_v=values.to_numpy(dtype=float))
    if frame.duplicated(["seed", *keys]).any():
        raise Undecidable(f"several configurations per ({', '.join(keys)}, seed)")
    table = frame.set_index(["seed", *keys])["_v"].unstack(keys).reindex(seeds)
    table.loc[table.isna().any(axis=1)] = np.nan
    return table


def fmt_levels(values: dict) -> str:
    """``{"bn none": 0.123}`` → "bn none: 0.123"."""
    return ", ".join(f"{k}: {v:.3g}" for k, v in values.items())


def diverged_note(df: pd.DataFrame, keys: list[str]) -> str:
    """Which cells of ``df`` had diverged seeds, e.g. "diverged: bn pre/batch_size 2 (3 of 5)"."""
    counts = df.groupby(keys)["diverged"].agg(["sum", "size"])
    cells = [
        "/".join(f"{k} {v}" for k, v in zip(keys, as_list(key), strict=True))
        + f" ({int(row['sum'])} of {int(row['size'])})"
        for key, row in counts[counts["sum"] > 0].iterrows()
    ]
    return f"diverged: {', '.join(cells)}" if cells else ""


def stable_levels(sub: pd.DataFrame, over: str) -> tuple[list, list]:
    """(levels of ``over`` where no seed of any arm diverged, the others) of some rows."""
    bad = sub.groupby(over)["diverged"].max() == 1
    return sorted(bad.index[~bad]), sorted(bad.index[bad])
