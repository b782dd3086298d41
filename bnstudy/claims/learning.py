"""Did it learn? Per run, per cell, per family, and the check a comparison must pass.

A **run learned** (docs/study.md §3) when it did not diverge and

* regression: its final test MSE is at most LEARN_LOSS_FRACTION (0.9) × the test
  MSE of predicting the training mean (``baseline_loss``);
* classification: its final test accuracy is at least LEARN_CHANCE_FACTOR (2) ×
  chance (``chance_acc``).

A run that recorded neither reference cannot tell (NaN). A **cell** (one
configuration, at the lr the reading uses) **did not learn** when most of its
seeds did not: more than half of the seeds that can tell. A comparison needs
the cells of its arms (``Outcome.arms``) to have learned, as the claim's
``learn`` param says (see ``bnstudy.claims.catalogue``); if one did not, a
decided verdict becomes inconclusive and the detail names the cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.catalogue import LEARN_CHANCE_FACTOR, LEARN_LOSS_FRACTION
from bnstudy.claims.cells import LEARNED, matching
from bnstudy.claims.selection import varying_columns
from bnstudy.claims.verdict import DECIDED, INCONCLUSIVE, Outcome

#: The rule, as the detail of a claim held back by it says.
RULE = (
    f"a run learned if its test MSE is at most {LEARN_LOSS_FRACTION:g}× that of predicting "
    f"the mean, or its accuracy at least {LEARN_CHANCE_FACTOR:g}× chance; a cell did not learn "
    "if most of its seeds did not"
)


def learned_runs(table: pd.DataFrame) -> pd.Series:
    """Per run: 1.0 learned, 0.0 did not, NaN when it recorded no reference to tell.

    >>> t = pd.DataFrame({"final_test": [0.5, 0.95, np.nan], "baseline_loss": 1.0,
    ...                   "final_acc": np.nan, "chance_acc": np.nan, "diverged": [0, 0, 1]})
    >>> learned_runs(t).tolist()
    [1.0, 0.0, 0.0]
    """

    def col(name: str) -> pd.Series:
        return table[name].astype(float) if name in table else pd.Series(np.nan, table.index)

    by_loss = col("final_test") <= LEARN_LOSS_FRACTION * col("baseline_loss")
    by_acc = col("final_acc") >= LEARN_CHANCE_FACTOR * col("chance_acc")
    classify = col("chance_acc").notna()
    regress = ~classify & col("baseline_loss").notna()
    out = pd.Series(np.nan, index=table.index)
    out[classify] = by_acc[classify].astype(float)
    out[regress] = by_loss[regress].astype(float)
    out[(classify | regress) & (table["diverged"] == 1)] = 0.0
    return out


def with_learned(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the per-run ``learned`` column."""
    return table.assign(**{LEARNED: learned_runs(table)})


def learned_counts(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per family, how many runs learned: columns family, learned, runs, unknown.

    ``runs`` counts every run (configuration × seed) of the family's summary,
    ``learned`` those that learned, ``unknown`` those that recorded no reference.
    """
    rows = []
    for family, table in summaries.items():
        flags = learned_runs(table) if len(table) else pd.Series(dtype=float)
        rows.append(
            dict(
                family=family,
                learned=int((flags == 1).sum()),
                runs=int(len(flags)),
                unknown=int(flags.isna().sum()),
            )
        )
    return pd.DataFrame(rows, columns=["family", "learned", "runs", "unknown"])


def _cells(rows: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Per cell of some rows: its name (its values of ``cols``), the seeds that learned
    (``ok``) and the seeds that can tell (``known``)."""
    keys = ["config_id", "lr"] if "lr" in rows else ["config_id"]
    flags = rows[LEARNED] if LEARNED in rows else pd.Series(np.nan, rows.index)
    marked = rows.assign(_ok=(flags == 1).astype(int), _known=flags.notna().astype(int))
    grouped = marked.groupby(keys, sort=True, dropna=False)
    cells = grouped[["_ok", "_known"]].sum().rename(columns={"_ok": "ok", "_known": "known"})
    firsts = grouped[cols].first() if cols else pd.DataFrame(index=cells.index)
    cells["name"] = [
        "/".join(
            f"{c} {v:g}" if isinstance(v, float) else f"{c} {v}"
            for c, v in zip(cols, vals, strict=True)
        )
        for vals in firsts.itertuples(index=False, name=None)
    ]
    cells["failed"] = (cells["known"] > 0) & ((cells["known"] - cells["ok"]) * 2 > cells["known"])
    return cells.reset_index(drop=True)


def _needed(rows: pd.DataFrame, mode) -> pd.DataFrame:
    """The rows of an arm whose cells must learn under a where spec or a list of them."""
    if mode == "all":
        return rows
    mask = pd.Series(False, index=rows.index)
    for where in mode if isinstance(mode, list) else [mode]:
        hit = pd.Series(True, index=rows.index)
        for col, spec in where.items():
            hit &= rows[col].isin(matching(rows, col, spec)) if col in rows else False
        mask |= hit
    return rows[mask]


def check_learning(result: Outcome, mode="all") -> Outcome:
    """The outcome once the learning of the cells it compared is known.

    ``mode`` is the claim's ``learn`` param (see the catalogue). Sets ``learned``:
    "yes", "not required", "not recorded" (no run could tell) or the cells that
    did not learn; a decided verdict resting on such a cell becomes inconclusive.
    """
    if mode is None:
        return result.replace(learned="not required")
    if not result.arms:
        return result
    all_rows = pd.concat([rows for _, rows in result.arms])
    cols = varying_columns(all_rows)
    failures, known_any = [], False
    for arm, rows in result.arms:
        cells = _cells(rows if mode == "any" else _needed(rows, mode), cols)
        known_any |= bool((cells["known"] > 0).any())
        if mode == "any":
            if len(cells) and not ((cells["known"] > 0) & ~cells["failed"]).any():
                failures.append(f"{arm}: no cell learned ({len(cells)} cells)")
            continue
        failures += [
            f"{cell.name or arm} did not learn ({cell.ok} of {cell.known} seeds)"
            for cell in cells[cells["failed"]].itertuples()
        ]
    if not failures:
        return result.replace(learned="yes" if known_any else "not recorded")
    shown = "; ".join(failures[:3]) + (f"; … {len(failures) - 3} more" if len(failures) > 3 else "")
    note = f"{shown}: the comparison needs it to have learned ({RULE})"
    if result.verdict in DECIDED:
        note += f"; without this check: {result.verdict}"
        result = result.replace(verdict=INCONCLUSIVE)
    return result.replace(learned=shown).noted(note)
