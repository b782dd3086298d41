"""Per-seed summary numbers of STUDY.md §3, computed from a tidy metrics table.

A tidy table has one row per (configuration, seed, epoch, metric) with the
columns ``config_id, seed, epoch, metric, value`` plus the configuration's
parameters (``depth``, ``act``, ``bn``, ``lr``, ...) joined on.

Metric names written by the trainer (``bnstudy.train``):

* per epoch: ``train_loss``, ``test_loss``, ``test_acc`` (classification only),
  ``lr``, ``grad_norm.<i>`` (i = 1 … L, the Linear layers in forward order,
  L = the output layer; mean over the epoch's steps), ``wall_time`` (seconds,
  joined from the run's timing file by the collect step);
* once, at the last recorded epoch: ``diverged`` (0 or 1), ``bn_mean_gap.<j>``
  and ``bn_var_gap.<j>`` (j = 1 … number of BN layers: mean absolute gap
  between running and true population statistics), ``dead_frac`` (ReLU
  models: fraction of hidden units that are zero on every training sample),
  ``bn1_gamma.<c>`` and ``bn1_beta.<c>`` (the first BN layer's learned scale
  and shift per channel), ``suggested_lr`` (LR range test only);
* per optimizer step, LR range test only: ``range_lr`` and ``range_loss``, with
  the step number (1, 2, …) in the ``epoch`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of a tidy table that are not configuration parameters.
TIDY_COLUMNS = ["seed", "epoch", "metric", "value"]

#: Number of final epochs averaged into ``final_test``.
FINAL_EPOCHS = 5
#: Number of final epochs whose epoch-to-epoch changes give ``volatility``.
VOLATILITY_EPOCHS = 10

SUMMARY_METRICS = [
    "diverged",
    "epochs_done",
    "final_test",
    "final_train",
    "final_acc",
    "speed",
    "volatility",
    "grad_first",
    "grad_last",
    "dead_frac",
    "bn_mean_gap",
    "bn_var_gap",
    "wall_time",
    "suggested_lr",
]


def config_columns(tidy: pd.DataFrame) -> list[str]:
    """The configuration columns of a tidy table (everything but seed/epoch/metric/value)."""
    return [c for c in tidy.columns if c not in TIDY_COLUMNS]


def _per_seed(curves: pd.DataFrame) -> dict[str, float]:
    """Summary of one seed from its wide per-epoch frame (index: epoch, columns: metrics)."""
    out: dict[str, float] = {}
    diverged = curves["diverged"].dropna()
    out["diverged"] = float(diverged.iloc[-1]) if len(diverged) else 0.0
    test = curves["test_loss"].dropna() if "test_loss" in curves else pd.Series(dtype=float)
    out["epochs_done"] = float(len(test))
    finite = out["diverged"] == 0.0 and len(test) > 0
    if finite:
        out["final_test"] = float(test.iloc[-FINAL_EPOCHS:].mean())
        out["speed"] = float(np.log(test).mean())
        changes = test.diff().dropna().iloc[-VOLATILITY_EPOCHS:]
        out["volatility"] = float(changes.std(ddof=1)) if len(changes) > 1 else np.nan
        train = curves["train_loss"].dropna()
        out["final_train"] = float(train.iloc[-FINAL_EPOCHS:].mean()) if len(train) else np.nan
        if "test_acc" in curves and curves["test_acc"].notna().any():
            out["final_acc"] = float(curves["test_acc"].dropna().iloc[-1])
    grads = sorted(
        (c for c in curves.columns if c.startswith("grad_norm.")),
        key=lambda c: int(c.split(".")[1]),
    )
    if grads:
        out["grad_first"] = float(curves[grads[0]].mean())
        out["grad_last"] = float(curves[grads[-1]].mean())
    for name in ("bn_mean_gap", "bn_var_gap"):
        cols = [c for c in curves.columns if c.startswith(name + ".")]
        if cols:
            out[name] = float(curves[cols].stack().mean())
    if "dead_frac" in curves:
        out["dead_frac"] = float(curves["dead_frac"].dropna().iloc[-1])
    if "suggested_lr" in curves:
        out["suggested_lr"] = float(curves["suggested_lr"].dropna().iloc[-1])
    if "wall_time" in curves:
        out["wall_time"] = float(curves["wall_time"].sum())
    return out


def summarize(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per (configuration, seed) with the summary numbers of STUDY.md §3.

    Diverged seeds keep their row with ``diverged == 1`` and NaN loss summaries,
    so they are counted but never averaged or plotted as numbers.

    >>> tidy = pd.DataFrame({"config_id": "a", "depth": 1, "seed": 0,
    ...     "epoch": [1, 2, 1, 2, 2], "metric": ["test_loss"] * 2 + ["train_loss"] * 2
    ...     + ["diverged"], "value": [2.0, 1.0, 3.0, 2.0, 0.0]})
    >>> summarize(tidy)[["config_id", "depth", "seed", "final_test", "diverged"]]
      config_id  depth  seed  final_test  diverged
    0         a      1     0         1.5       0.0
    """
    cfg_cols = config_columns(tidy)
    rows = []
    for (_, seed), one in tidy.groupby(["config_id", "seed"], sort=True):
        curves = one.pivot_table(index="epoch", columns="metric", values="value", aggfunc="first")
        if "diverged" not in curves:
            curves["diverged"] = np.nan
        row = {c: one[c].iloc[0] for c in cfg_cols}
        row["seed"] = seed
        row.update(_per_seed(curves.sort_index()))
        rows.append(row)
    out = pd.DataFrame(rows)
    for m in SUMMARY_METRICS:
        if m not in out:
            out[m] = np.nan
    return out[cfg_cols + ["seed"] + SUMMARY_METRICS]
