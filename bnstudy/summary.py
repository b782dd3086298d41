"""Per-seed summary numbers of docs/study.md §3, computed from a tidy metrics table.

A tidy table has one row per (configuration, seed, epoch, metric) with the
columns ``config_id, seed, epoch, metric, value`` plus the configuration's
parameters (``depth``, ``act``, ``bn``, ``lr``, ...) joined on.

Metric names written by the trainer (``bnstudy.training.records``):

* per epoch: ``train_loss``, ``test_loss``, ``test_acc`` (classification only),
  ``val_loss``, ``val_acc`` (runs that measure a validation split), ``lr``,
  ``grad_norm.<i>`` (i = 1 … L, the weight layers in forward order, L = the
  output layer; mean over the epoch's steps), ``wall_time`` (seconds, joined
  from the run's timing file by the collect step);
* once, at the last recorded epoch: ``diverged`` (0 or 1), ``bn_mean_gap.<j>``
  and ``bn_var_gap.<j>`` (j = 1 … number of BN layers: mean absolute gap
  between running and true population statistics) and ``bn_mean_rel.<j>``,
  ``bn_var_rel.<j>`` (the same relative to the statistic's own scale),
  ``dead_frac`` (ReLU models: fraction of hidden units that are zero on every
  training sample), ``bn1_gamma.<c>`` and ``bn1_beta.<c>`` (the first BN layer's
  learned scale and shift per channel), ``weights.<i>`` (layer i's weights),
  ``baseline_loss`` / ``chance_acc`` (the data's reference points for "did it
  learn?"), ``suggested_lr`` (LR range test only);
* per optimizer step, LR range test only: ``range_lr`` and ``range_loss``, with
  the step number (1, 2, …) in the ``epoch`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnstudy.vocab import ACTIVATIONS, INITS, OPTIMIZERS, REGRESSION_DATASETS, SCHEDULES

#: Columns of a tidy table that are not configuration parameters.
TIDY_COLUMNS = ["seed", "epoch", "metric", "value"]

#: Number of final epochs averaged into ``final_test``.
FINAL_EPOCHS = 5
#: Number of final epochs whose epoch-to-epoch changes give ``volatility``.
VOLATILITY_EPOCHS = 10

SUMMARY_METRICS = [
    "diverged",
    "epochs_done",
    "final_test",  # mean test loss over the last FINAL_EPOCHS epochs
    "final_train",
    "final_acc",  # test accuracy at the last epoch
    "final_val",  # mean validation loss over the last FINAL_EPOCHS epochs
    "final_val_acc",  # validation accuracy at the last epoch
    "speed",  # mean over epochs of log(test loss)
    "volatility",  # std of the epoch-to-epoch test-loss change, last VOLATILITY_EPOCHS
    "grad_first",  # first weight layer's gradient norm, mean over epochs
    "grad_last",
    "grad_first_rms",  # the same per weight (norm / √weights): comparable across sizes
    "grad_last_rms",
    "dead_frac",
    "bn_mean_gap",
    "bn_var_gap",
    "bn_mean_rel",
    "bn_var_rel",
    "baseline_loss",  # regression: test MSE of predicting the training mean
    "chance_acc",  # classification: 1 / classes
    "wall_time",  # seconds of training and evaluation (this run's share of its job)
    "step_seconds",  # seconds of optimizer steps alone: examples/s = samples × epochs / this
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
    if out["diverged"] == 0.0 and len(test) > 0:
        out.update(_finals(curves, test))
    out.update(_gradients(curves))
    for name in ("bn_mean_gap", "bn_var_gap", "bn_mean_rel", "bn_var_rel"):
        cols = [c for c in curves.columns if c.startswith(name + ".")]
        if cols:
            out[name] = float(curves[cols].stack().mean())
    for name in ("dead_frac", "suggested_lr", "baseline_loss", "chance_acc"):
        if name in curves:
            out[name] = float(curves[name].dropna().iloc[-1])
    for name in ("wall_time", "step_seconds"):
        if name in curves:
            out[name] = float(curves[name].sum())
    return out


def _last(curves: pd.DataFrame, name: str, n: int = 1) -> float:
    """Mean of the last ``n`` recorded values of metric ``name`` (NaN if none)."""
    if name not in curves or not curves[name].notna().any():
        return np.nan
    return float(curves[name].dropna().iloc[-n:].mean())


def _finals(curves: pd.DataFrame, test: pd.Series) -> dict[str, float]:
    """The end-of-training numbers of a seed that did not diverge."""
    changes = test.diff().dropna().iloc[-VOLATILITY_EPOCHS:]
    return {
        "final_test": float(test.iloc[-FINAL_EPOCHS:].mean()),
        "speed": float(np.log(test).mean()),
        "volatility": float(changes.std(ddof=1)) if len(changes) > 1 else np.nan,
        "final_train": _last(curves, "train_loss", FINAL_EPOCHS),
        "final_acc": _last(curves, "test_acc"),
        "final_val": _last(curves, "val_loss", FINAL_EPOCHS),
        "final_val_acc": _last(curves, "val_acc"),
    }


def _gradients(curves: pd.DataFrame) -> dict[str, float]:
    """First and last layer's gradient norm (mean over epochs), also per weight (RMS)."""
    grads = sorted(
        (c for c in curves.columns if c.startswith("grad_norm.")),
        key=lambda c: int(c.split(".")[1]),
    )
    if not grads:
        return {}
    out = {
        "grad_first": float(curves[grads[0]].mean()),
        "grad_last": float(curves[grads[-1]].mean()),
    }
    for end, col in (("first", grads[0]), ("last", grads[-1])):
        weights = _last(curves, "weights." + col.split(".")[1])
        out[f"grad_{end}_rms"] = out[f"grad_{end}"] / np.sqrt(weights)
    return out


def summarize(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per (configuration, seed) with the summary numbers of docs/study.md §3.

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


#: Metrics computed from the summary columns, for the figures, tables and claims.
DERIVED = {
    # first-to-last layer gradient-norm ratio (vanishing gradients when far below 1)
    "grad_ratio": lambda df: df["grad_first"] / df["grad_last"],
    # the same per weight (RMS), so that layer sizes do not bias it (claim G1)
    "grad_ratio_rms": lambda df: df["grad_first_rms"] / df["grad_last_rms"],
    # error of BN's running statistics: mean gap + variance gap
    "bn_gap": lambda df: df["bn_mean_gap"] + df["bn_var_gap"],
    # the same relative to the statistics' own scale (claim B2)
    "bn_rel_gap": lambda df: df["bn_mean_rel"] + df["bn_var_rel"],
    # test and validation error of a classifier
    "test_error": lambda df: 1.0 - df["final_acc"],
    "val_error": lambda df: 1.0 - df["final_val_acc"],
}


def with_derived(summary: pd.DataFrame, names=tuple(DERIVED)) -> pd.DataFrame:
    """The summary plus the derived metrics ``names`` (default: all of :data:`DERIVED`).

    >>> s = pd.DataFrame({c: [np.nan] for c in SUMMARY_METRICS})
    >>> s = s.assign(grad_first=1.0, grad_last=4.0, final_acc=0.75)
    >>> with_derived(s)[["grad_ratio", "test_error"]].iloc[0].tolist()
    [0.25, 0.25]
    """
    return summary.assign(**{name: DERIVED[name](summary) for name in names})


# ---- reading a summary table: its grid, its task, its values in order ----------------

#: Natural order of categorical configuration values (others follow alphabetically).
VALUE_ORDER = {
    "bn": ["none", "pre", "post", "library", "scratch"],
    "act": list(ACTIVATIONS),
    "schedule": list(SCHEDULES),
    "init": list(INITS),
    "optimizer": list(OPTIMIZERS),
}


def ordered_values(frame: pd.DataFrame, col: str) -> list:
    """The distinct values of a configuration column, in a natural order (lr: largest first).

    >>> ordered_values(pd.DataFrame({"bn": ["pre", "none", "pre"]}), "bn")
    ['none', 'pre']
    """
    vals = list(pd.unique(frame[col].dropna()))
    if col == "lr":
        return sorted(vals, reverse=True)
    if col in VALUE_ORDER:
        known = [v for v in VALUE_ORDER[col] if v in vals]
        return known + sorted(v for v in vals if v not in known)
    return sorted(vals)


def grid_axes(summary: pd.DataFrame) -> list[str]:
    """The configuration columns that vary across the runs (the family's grid axes).

    ``lr_sweep`` is not one: it says how a configuration is tuned, not what it is."""
    skip = {"family", "config_id", "seed", "lr_sweep", *SUMMARY_METRICS, *DERIVED}
    return [c for c in summary.columns if c not in skip and summary[c].nunique() > 1]


def _datasets(frame: pd.DataFrame) -> set:
    return set(frame["dataset"].dropna()) if "dataset" in frame else set()


def is_classification(summary: pd.DataFrame) -> bool:
    """Whether the runs classify (they report accuracy, or use a non-regression dataset)."""
    if "final_acc" in summary and summary["final_acc"].notna().any():
        return True
    datasets = _datasets(summary)
    return bool(datasets) and not datasets <= set(REGRESSION_DATASETS)


def loss_label(frame: pd.DataFrame) -> str:
    """What the runs' test loss is called: MSE for regression, else plain loss."""
    datasets = _datasets(frame)
    return "test MSE" if datasets and datasets <= set(REGRESSION_DATASETS) else "test loss"
