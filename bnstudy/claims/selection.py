"""Selection on validation data: every "best" a claim picks, and the tuned tables.

Whatever a claim selects — the best depth, the best lr of an arm, the best other
setting, the lr each configuration is tuned to — is chosen here, on validation
numbers only (docs/study.md §1), never on the test numbers a verdict then reads:

* regression: the geometric mean over seeds of ``final_val`` (the validation
  loss of the last epochs), lower is better;
* classification: the mean over seeds of ``final_val_acc``, higher is better.

A diverged seed has no validation number; a choice among learning rates prefers
an lr where no seed diverged. Runs without validation numbers cannot be chosen
from: the claim is undecidable, never silently judged on test numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnstudy.claims.cells import LEARNED, select, spec_text
from bnstudy.claims.verdict import Undecidable
from bnstudy.summary import DERIVED, SUMMARY_METRICS, is_classification
from bnstudy.sweeps import SLOT_LR

#: Columns of a summary or sweep table that do not describe a configuration
#: (``lr_sweep`` says how one is tuned; a family may sweep some configurations only).
NOT_CONFIG = {*SUMMARY_METRICS, *DERIVED, "seed", "config_id", SLOT_LR, LEARNED, "lr_sweep"}


def classifies(df: pd.DataFrame) -> bool:
    """Whether the runs classify: they recorded a chance level (regression runs record a
    baseline loss instead); tables without either fall back to their dataset."""
    for name, answer in (("chance_acc", True), ("baseline_loss", False)):
        if name in df and df[name].notna().any():
            return answer
    return is_classification(df)


def score_name(df: pd.DataFrame) -> str:
    """What the validation score of these runs is, in words."""
    return "validation accuracy" if classifies(df) else "log validation loss"


def scores(df: pd.DataFrame) -> pd.Series:
    """Per run, the validation score to minimise: log ``final_val`` or −``final_val_acc``.

    NaN for a diverged run or one without validation numbers.

    >>> df = pd.DataFrame({"final_val": [np.e, 1.0], "diverged": [0, 1], "final_acc": np.nan})
    >>> scores(df).tolist()
    [1.0, nan]
    """
    if classifies(df):
        values = -df["final_val_acc"].astype(float)
    else:
        val = df["final_val"].astype(float)
        values = np.log(val.where(val > 0))
    return values.where(df["diverged"] != 1)


def best_key(means: pd.Series, what: str):
    """The index of the lowest finite mean score; undecidable when there is none."""
    finite = means[np.isfinite(means.to_numpy(dtype=float))]
    if finite.empty:
        raise Undecidable(f"no validation numbers to choose {what} on (final_val / final_val_acc)")
    return finite.idxmin()


def best_lr(rows: pd.DataFrame, lr_col: str):
    """The lr of some runs with the best validation score; None if none has one.

    An lr where a seed diverged ranks after every lr where none did (a diverging
    lr is not a good one whatever its other seeds did), then fewer divergences
    first, then the mean score.
    """
    ranked = (
        rows.assign(_score=scores(rows))
        .groupby(lr_col)
        .agg(gone=("diverged", "sum"), score=("_score", "mean"))
        .dropna(subset=["score"])
    )
    if ranked.empty:
        return None
    return ranked.sort_values(["gone", "score"], kind="stable").index[0]


def config_columns(df: pd.DataFrame) -> list[str]:
    """The columns of a table that describe a configuration (its grid and fixed values)."""
    return [c for c in df.columns if c not in NOT_CONFIG]


def varying_columns(df: pd.DataFrame) -> list[str]:
    """The configuration columns whose values differ across the rows: the grid axes.

    Compared as text, so a list-valued column (an in-memory ``lr_sweep``) is fine.
    """
    return [c for c in config_columns(df) if df[c].astype(str).nunique() > 1]


def tune_sweep(sweep: pd.DataFrame) -> tuple[pd.DataFrame, tuple, list[str]]:
    """Every configuration of a sweep table at its own validation-best ``slot_lr``.

    Returns the table (one row per configuration and seed, ``lr`` set to the lr it
    ran at), the choices as (config_id, lr) pairs, and the configurations that had
    no validation number at any lr (left out). The lrs rank as in :func:`best_lr`.
    """
    ranked = (
        sweep.assign(_score=scores(sweep))
        .groupby(["config_id", SLOT_LR], sort=True)
        .agg(gone=("diverged", "sum"), score=("_score", "mean"))
        .reset_index()
    )
    best = (
        ranked.dropna(subset=["score"])
        .sort_values(["config_id", "gone", "score"], kind="stable")
        .drop_duplicates("config_id")
    )
    blind = sorted(set(ranked["config_id"].astype(str)) - set(best["config_id"].astype(str)))
    table = sweep.merge(best[["config_id", SLOT_LR]], on=["config_id", SLOT_LR])
    table = table.assign(lr=table[SLOT_LR].astype(float))
    chosen = tuple(
        (str(c), float(lr)) for c, lr in zip(best["config_id"], best[SLOT_LR], strict=True)
    )
    return table, chosen, blind


def tune_grid(
    summary: pd.DataFrame, keep: dict, tune: dict
) -> tuple[pd.DataFrame, tuple, list[str]]:
    """A family whose grid has lr: the rows ``tune`` selects each at their best grid lr.

    Rows are grouped by every grid axis but lr; each group keeps only
    its validation-best lr. The rows ``keep`` selects stay as they are; all others
    are dropped. Returns the table, the choices and the groups without validation
    numbers, as :func:`tune_sweep` does.
    """
    kept = select(summary, keep)
    tuned = select(summary, tune)
    by = [c for c in varying_columns(tuned) if c != "lr"]
    groups = tuned.groupby(by, sort=True, dropna=False) if by else [((), tuned)]
    parts, chosen, blind = [kept], [], []
    for key, rows in groups:
        name = "/".join(f"{c} {v}" for c, v in zip(by, key, strict=True))
        name = name or "/".join(f"{c} {spec_text(s)}" for c, s in tune.items())
        lr = best_lr(rows, "lr")
        if lr is None:
            blind.append(name)
            continue
        chosen.append((name, float(lr)))
        parts.append(rows[rows["lr"] == lr])
    return pd.concat(parts, ignore_index=True), tuple(chosen), blind
