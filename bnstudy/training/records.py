"""What a training run records, and the bookkeeping both trainers share.

A seed's record is a list of tidy rows ``(seed, epoch, metric, value)`` plus
per-epoch wall times (:class:`SeedRun`). The metric names are defined here
once; ``bnstudy.summary`` turns the rows into the summary numbers of
docs/study.md §3:

* per epoch: ``train_loss``, ``test_loss``, ``test_acc`` (classification),
  ``val_loss``, ``val_acc`` (when the run measures a validation split), ``lr``
  (the mean lr of the epoch's steps), ``grad_norm.<i>`` (layer i's
  weight-gradient norm, mean over the epoch's steps; i = 1 … L in forward order);
* once, at the last recorded epoch: ``diverged`` (0 or 1), the end-of-training
  probes ``bn_mean_gap.<j>``, ``bn_var_gap.<j>`` (absolute) and ``bn_mean_rel.<j>``,
  ``bn_var_rel.<j>`` (relative to the statistic's own scale), ``dead_frac``,
  ``bn1_gamma.<c>``, ``bn1_beta.<c>``, ``weights.<i>`` (layer i's number of
  weights, for per-parameter gradient sizes), the data's reference points
  ``baseline_loss`` (regression: the test MSE of predicting the training mean)
  or ``chance_acc`` (classification: 1 / classes), and ``suggested_lr`` (LR range test);
* per optimizer step of an LR range test: ``range_lr`` and ``range_loss``, the
  step number in the ``epoch`` column.

The batched trainer (``bnstudy.training.batched``, used by the pipeline) and the
per-seed reference trainer (``bnstudy.training.reference``, the tests' oracle)
both record through the functions below, so the two cannot drift apart in what
they write, in which order, or in what counts as divergence.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from bnstudy.training.schedules import Schedule, make_schedule, suggest_lr

log = logging.getLogger("bnstudy.train")

#: Columns of a run's metrics.csv and timing.csv. Wall times live apart from the
#: metrics, so that the same configuration and seeds give byte-identical metrics.
#: ``seconds`` is the epoch's wall time, ``step_seconds`` that of its optimizer steps
#: alone (no evaluation); each a run's share when several train in one model.
METRICS_COLUMNS = ["seed", "epoch", "metric", "value"]
TIMING_COLUMNS = ["seed", "epoch", "seconds", "step_seconds"]

# Metric names, as written to metrics.csv.
TRAIN_LOSS = "train_loss"
TEST_LOSS = "test_loss"
TEST_ACC = "test_acc"
VAL_LOSS = "val_loss"
VAL_ACC = "val_acc"
LR = "lr"
GRAD_NORM = "grad_norm"  # grad_norm.<i>
DIVERGED = "diverged"
RANGE_LR = "range_lr"
RANGE_LOSS = "range_loss"
SUGGESTED_LR = "suggested_lr"
BN_MEAN_GAP = "bn_mean_gap"  # bn_mean_gap.<j>
BN_VAR_GAP = "bn_var_gap"  # bn_var_gap.<j>
BN_MEAN_REL = "bn_mean_rel"  # bn_mean_rel.<j>: |running − true mean| / true std
BN_VAR_REL = "bn_var_rel"  # bn_var_rel.<j>: |running − true variance| / true variance
DEAD_FRAC = "dead_frac"
WEIGHTS = "weights"  # weights.<i>
BASELINE_LOSS = "baseline_loss"
CHANCE_ACC = "chance_acc"
BN1_GAMMA = "bn1_gamma"  # bn1_gamma.<c>
BN1_BETA = "bn1_beta"  # bn1_beta.<c>


@dataclass
class SeedRun:
    """What one seed produced at one learning rate: tidy metric rows and per-epoch wall times.

    ``lr`` is the run's base learning rate: the configuration's own, or one of its
    ``lr_sweep`` (trained in the same job, written to its ``sweep.csv``).
    """

    seed: int
    rows: list[tuple[int, int, str, float]] = field(default_factory=list)
    times: list[tuple[int, int, float, float]] = field(default_factory=list)
    diverged: bool = False
    lr: float | None = None

    def add(self, epoch: int, metric: str, value: float) -> None:
        self.rows.append((self.seed, epoch, metric, float(value)))


# ---- the data a trainer sees --------------------------------------------------------------


def model_shape(data: dict) -> tuple[tuple[int, ...], int]:
    """(input shape without the batch dimension, number of outputs) of a dataset."""
    in_shape = tuple(data["x_train"].shape[1:])
    n_out = data.get("n_classes", 1) if data["task"] == "classification" else 1
    return in_shape, n_out


def batch_slices(n: int, batch_size: int, has_bn: bool) -> tuple[list[slice], bool]:
    """Cut ``n`` shuffled samples into batches, never leaving BN a batch of one.

    A trailing batch of a single sample cannot be normalized in training mode,
    so for BN models it is merged into the batch before it. Returns the
    slices and whether a merge happened (:func:`log_merge` says so in the log).

    >>> batch_slices(7, 3, has_bn=True)
    ([slice(0, 3, None), slice(3, 7, None)], True)
    >>> batch_slices(7, 3, has_bn=False)
    ([slice(0, 3, None), slice(3, 6, None), slice(6, 7, None)], False)
    """
    starts = list(range(0, n, batch_size))
    slices = [slice(s, min(s + batch_size, n)) for s in starts]
    merged = False
    if has_bn and len(slices) > 1 and slices[-1].stop - slices[-1].start == 1:
        slices[-2:] = [slice(slices[-2].start, n)]
        merged = True
    return slices, merged


def log_merge(n: int, batch_size: int) -> None:
    log.info(
        "%d training samples in batches of %d leave a last batch of 1; merged it into "
        "the previous batch so BN never normalizes a single sample",
        n,
        batch_size,
    )


def run_schedule(cfg, optimizer, steps_per_epoch: int, lr: float | None = None) -> Schedule:
    """The lr schedule ``cfg`` (a ``TrainConfig``) asks for, over the run's real steps,
    from base learning rate ``lr`` (default: the configuration's)."""
    return make_schedule(
        cfg.schedule,
        optimizer,
        lr=cfg.lr if lr is None else lr,
        epochs=cfg.epochs,
        steps_per_epoch=steps_per_epoch,
        k=cfg.schedule_k,
        range_end=cfg.range_end,
    )


def exploded(loss: float, first_loss: float, factor: float) -> bool:
    """Divergence: a non-finite loss, or one ``factor`` times the first batch's loss.

    >>> exploded(float("nan"), 1.0, 1e6), exploded(2e6, 1.0, 1e6), exploded(5.0, 1.0, 1e6)
    (True, True, False)
    """
    return not math.isfinite(loss) or loss > factor * max(first_loss, 1e-12)


# ---- rows -------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """One seed's losses (and accuracies) on the test and validation splits after an epoch."""

    test_loss: float
    test_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None


def record_epoch(
    run: SeedRun,
    epoch: int,
    train_loss: float,
    evaluation: Evaluation | None,
    lr: float,
    grad_norms: list[float],
) -> None:
    """One epoch's rows; ``evaluation`` None when the epoch ended in an explosion."""
    run.add(epoch, TRAIN_LOSS, train_loss)
    if evaluation is not None:
        for name, value in (
            (TEST_LOSS, evaluation.test_loss),
            (TEST_ACC, evaluation.test_acc),
            (VAL_LOSS, evaluation.val_loss),
            (VAL_ACC, evaluation.val_acc),
        ):
            if value is not None:
                run.add(epoch, name, value)
    run.add(epoch, LR, lr)
    for i, g in enumerate(grad_norms, start=1):
        run.add(epoch, f"{GRAD_NORM}.{i}", g)


def record_divergence(run: SeedRun, epoch: int) -> None:
    """A seed that diverged stops here: its only end-of-run row says so."""
    log.warning("seed %d diverged in epoch %d; stopped this seed", run.seed, epoch)
    run.diverged = True
    run.add(epoch, DIVERGED, 1.0)


def finish_run(
    run: SeedRun,
    last_epoch: int,
    probes: dict[str, float],
    sweep: list[tuple[float, float]] | None = None,
) -> None:
    """The rows of a seed that did not diverge: its LR sweep (``sweep``: (lr, loss) per
    step, range test only) and suggestion, its end-of-training probes, ``diverged`` 0."""
    if sweep is not None:
        for step, (lr, value) in enumerate(sweep, start=1):
            run.add(step, RANGE_LR, lr)
            run.add(step, RANGE_LOSS, value)
        lrs, losses = [lr for lr, _ in sweep], [v for _, v in sweep]
        run.add(last_epoch, SUGGESTED_LR, suggest_lr(lrs, losses))
    for name, value in probes.items():
        run.add(last_epoch, name, value)
    run.add(last_epoch, DIVERGED, 0.0)


def bn_gap_probes(
    j: int, mean_gap: float, var_gap: float, mean_rel: float, var_rel: float
) -> dict[str, float]:
    """The probes of BN layer ``j``: mean over its channels of |running − true| of the mean
    and the variance, absolute and relative to the statistic's own scale (the true
    standard deviation for the mean, the true variance for the variance)."""
    return {
        f"{BN_MEAN_GAP}.{j}": mean_gap,
        f"{BN_VAR_GAP}.{j}": var_gap,
        f"{BN_MEAN_REL}.{j}": mean_rel,
        f"{BN_VAR_REL}.{j}": var_rel,
    }


def relative_gaps(running_mean, running_var, true_mean, true_var):
    """Per channel: |Δmean| and |Δvar|, absolute and relative (tensors of shape (C,)).

    The relative gaps divide by the true standard deviation and variance, so that
    layers and networks whose activations differ in scale compare (claim B2).
    """
    mean_gap = (running_mean - true_mean).abs()
    var_gap = (running_var - true_var).abs()
    return mean_gap, var_gap, mean_gap / true_var.sqrt(), var_gap / true_var


def data_references(data: dict) -> dict[str, float]:
    """The data's reference points for "did it learn?": the test MSE of predicting the
    training mean (regression) or the chance accuracy (classification)."""
    if data["task"] == "classification":
        return {CHANCE_ACC: 1.0 / data.get("n_classes", 10)}
    y_train, y_test = data["y_train"], data["y_test"]
    return {BASELINE_LOSS: ((y_test - y_train.mean(0)) ** 2).mean().item()}


def weight_counts(layers) -> dict[str, float]:
    """Each weight layer's number of weights (per seed), in forward order."""
    return {f"{WEIGHTS}.{i}": float(n) for i, n in enumerate(layers, start=1)}


def affine_probes(gamma: list[float], beta: list[float]) -> dict[str, float]:
    """The first BN layer's learned scale and shift per channel (LeNet, shown in the report)."""
    out = {}
    for c, (g, b) in enumerate(zip(gamma, beta, strict=True), start=1):
        out[f"{BN1_GAMMA}.{c}"] = g
        out[f"{BN1_BETA}.{c}"] = b
    return out
