"""Learning-rate schedules of the ``schedule`` and ``lr_range`` families (docs/study.md §4).

Every schedule is a ``torch.optim.lr_scheduler`` object wrapped in a small
``Schedule`` that knows whether it is stepped per batch or per epoch, so the
trainer drives all of them the same way::

    schedule = make_schedule(cfg.schedule, optimizer, lr=cfg.lr, epochs=cfg.epochs,
                             steps_per_epoch=len(slices), k=cfg.schedule_k,
                             range_end=cfg.range_end)
    for epoch in ...:
        for batch in ...:
            ...; loss.backward(); optimizer.step()
            schedule.after_batch()          # steps per-batch schedules only
        schedule.after_epoch(train_loss)    # steps per-epoch schedules only

The optimizer is always stepped before its scheduler, which is the order
PyTorch expects (it warns otherwise). Epochs are counted from t = 0: the first
epoch trains at ``lr``, the second at ``lr·f(1)``, and so on.

Schedules (``t`` = epochs done, ``s`` = optimizer steps done):

* ``constant``: ``lr``.
* ``halving``: ``lr·0.5^t``.
* ``inverse_time``: ``lr / (1 + t/k)``.
* ``exponential``: ``lr·10^(−t/k)``.
* ``piecewise``: ``lr``, ×0.1 after 50 % of the epochs and ×0.1 again after 75 %.
* ``plateau``: ``ReduceLROnPlateau`` on the mean *training* loss of each epoch
  (the test set never steers training), ×``PLATEAU_FACTOR`` once the loss has
  not improved for more than ``PLATEAU_PATIENCE`` epochs.
* ``cyclic``: triangular cycles between ``lr/10`` and ``lr``, rising for
  ``CYCLIC_HALF_PERIOD_EPOCHS`` epochs' worth of steps and falling as long.
* ``one_cycle``: PyTorch's 1cycle, peaking at ``lr`` (from ``lr/25`` up over 30 %
  of the steps, then cosine down to ``lr/25/10⁴``).
* ``range_test``: the LR range test: ``lr·(range_end/lr)^(s/(S−1))`` over all
  ``S = epochs·steps_per_epoch`` steps, so the first step uses ``lr`` and the
  last ``range_end``.

The cyclic and one-cycle schedulers of PyTorch also cycle the optimizer's
momentum (SGD's ``momentum``, Adam's ``beta1``) by default; here
``cycle_momentum=False`` so that the schedule family compares learning rates
only, at the momentum the configuration fixes.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.optim import lr_scheduler

from bnstudy.vocab import RANGE_TEST_SMOOTHING, SCHEDULES

#: ``piecewise``: the lr drops ×PIECEWISE_GAMMA after these fractions of the epochs.
PIECEWISE_FRACTIONS = (0.5, 0.75)
PIECEWISE_GAMMA = 0.1
#: ``plateau``: the lr is multiplied by PLATEAU_FACTOR when the training loss has
#: not improved (by PyTorch's default relative threshold 1e-4) for more than
#: PLATEAU_PATIENCE epochs in a row.
PLATEAU_FACTOR = 0.5
PLATEAU_PATIENCE = 2
#: ``cyclic``: the lower bound is lr / CYCLIC_LOW_DIVISOR; a rise (and a fall)
#: lasts CYCLIC_HALF_PERIOD_EPOCHS epochs' worth of steps, so a cycle lasts twice that.
CYCLIC_LOW_DIVISOR = 10.0
CYCLIC_HALF_PERIOD_EPOCHS = 2

#: Schedules whose torch scheduler is stepped after every optimizer step.
PER_BATCH = frozenset({"cyclic", "one_cycle", "range_test"})


class Schedule:
    """A torch lr scheduler plus when to step it.

    ``per_batch`` says whether the scheduler advances after each optimizer step
    (``after_batch``) or after each epoch (``after_epoch``); the other hook does
    nothing, so the trainer calls both unconditionally.
    """

    def __init__(self, name: str, optimizer: torch.optim.Optimizer, scheduler, per_batch: bool):
        self.name = name
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.per_batch = per_batch

    def after_batch(self) -> None:
        """Call after every ``optimizer.step()``."""
        if self.per_batch:
            self.scheduler.step()

    def after_epoch(self, train_loss: float) -> None:
        """Call once at the end of every epoch with its mean training loss."""
        if self.per_batch:
            return
        if isinstance(self.scheduler, lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(float(train_loss))
        else:
            self.scheduler.step()

    def current_lr(self) -> float:
        """The lr the next optimizer step will use."""
        return float(self.optimizer.param_groups[0]["lr"])

    def __repr__(self) -> str:
        kind = "per batch" if self.per_batch else "per epoch"
        return f"Schedule({self.name!r}, {type(self.scheduler).__name__}, {kind})"


def piecewise_milestones(epochs: int) -> list[int]:
    """Epoch counts after which ``piecewise`` drops the lr (rounded half up, at least 1).

    >>> piecewise_milestones(40), piecewise_milestones(8), piecewise_milestones(5)
    ([20, 30], [4, 6], [3, 4])
    """
    return sorted({max(1, math.floor(f * epochs + 0.5)) for f in PIECEWISE_FRACTIONS})


class LrHolder(torch.optim.Optimizer):
    """A parameter-less stand-in optimizer that only carries an lr for a torch scheduler.

    The batched trainer (``bnstudy.training.batched``) updates its stacked weights itself,
    with one lr per seed; it steps one scheduler per seed on an ``LrHolder`` to
    get that seed's lr (so plateau scheduling stays per seed).
    ``Optimizer.__init__`` is deliberately not called: its first call in a
    process imports ``torch._dynamo`` (~0.9 s), which a holder of one number
    does not need.
    """

    def __init__(self, lr: float):  # noqa: D107 - no super().__init__, see the class docstring
        self.defaults = {"lr": lr}
        self.param_groups = [{"params": [], "lr": lr}]
        self.state = {}

    def step(self, closure=None):  # the trainer's own optimizer did the step
        return None


def make_schedule(
    name: str,
    optimizer: torch.optim.Optimizer,
    *,
    lr: float,
    epochs: int,
    steps_per_epoch: int,
    k: float = 10.0,
    range_end: float = 1.0,
) -> Schedule:
    """The schedule ``name`` (one of ``SCHEDULES``) for ``optimizer``.

    ``lr`` is the schedule's base lr (the peak for ``cyclic`` and ``one_cycle``,
    the start for ``range_test``); every param group's lr is set from it.
    ``steps_per_epoch`` must be the number of optimizer steps the trainer really
    makes per epoch (after any merged last batch): the per-batch schedules are
    laid out over ``epochs·steps_per_epoch`` steps. ``k`` is the time constant
    (epochs) of ``inverse_time`` and ``exponential``; ``range_end`` the lr
    ``range_test`` ends at.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; allowed: {', '.join(SCHEDULES)}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr = {lr!r} must be a positive number")
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(
            f"epochs = {epochs} and steps_per_epoch = {steps_per_epoch} must both be >= 1"
        )
    if name in ("inverse_time", "exponential") and not k > 0:
        raise ValueError(f"schedule {name!r} needs a time constant k > 0, got {k!r}")
    if name == "range_test" and not range_end > lr:
        raise ValueError(f"range_test sweeps upwards: range_end = {range_end!r} must be > lr")
    for group in optimizer.param_groups:
        group["lr"] = lr

    total = epochs * steps_per_epoch
    if name == "constant":
        sched = lr_scheduler.LambdaLR(optimizer, lambda t: 1.0)
    elif name == "halving":
        sched = lr_scheduler.LambdaLR(optimizer, lambda t: 0.5**t)
    elif name == "inverse_time":
        sched = lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + t / k))
    elif name == "exponential":
        sched = lr_scheduler.LambdaLR(optimizer, lambda t: 10.0 ** (-t / k))
    elif name == "piecewise":
        sched = lr_scheduler.MultiStepLR(
            optimizer, milestones=piecewise_milestones(epochs), gamma=PIECEWISE_GAMMA
        )
    elif name == "plateau":
        sched = lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE
        )
    elif name == "cyclic":
        sched = lr_scheduler.CyclicLR(
            optimizer,
            base_lr=lr / CYCLIC_LOW_DIVISOR,
            max_lr=lr,
            step_size_up=CYCLIC_HALF_PERIOD_EPOCHS * steps_per_epoch,
            mode="triangular",
            cycle_momentum=False,
        )
    elif name == "one_cycle":
        sched = lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=total, cycle_momentum=False
        )
    elif name == "range_test":
        ratio = range_end / lr
        last = max(total - 1, 1)
        # Clamped at the last step: the scheduler's final step (after the last
        # batch) must not push the lr past range_end.
        sched = lr_scheduler.LambdaLR(optimizer, lambda s: ratio ** (min(s, last) / last))
    else:  # pragma: no cover - SCHEDULES lists a name without a branch here
        raise AssertionError(f"schedule {name!r} is listed in SCHEDULES but not built")
    return Schedule(name, optimizer, sched, per_batch=name in PER_BATCH)


#: ``suggest_lr``: the sweep is cut where the smoothed loss first exceeds this
#: multiple of its running minimum.
EXPLOSION_FACTOR = 4.0
#: ``suggest_lr``: fewer usable points than this give no suggestion (NaN).
MIN_POINTS = 5


def _ema(values: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average: avg_i / (1 − beta^i)."""
    out = np.empty_like(values)
    avg = 0.0
    for i, v in enumerate(values, start=1):
        avg = beta * avg + (1.0 - beta) * v
        out[i - 1] = avg / (1.0 - beta**i)
    return out


def suggest_lr(lrs, losses, smoothing: float = RANGE_TEST_SMOOTHING) -> float:
    """The lr an LR range test suggests: where the smoothed loss falls fastest.

    The rule, on the per-step ``(lr, loss)`` pairs of one sweep (lrs rising):

    1. Keep the steps before the first non-finite loss.
    2. Smooth the loss with a bias-corrected exponential moving average,
       ``a_i = β·a_{i−1} + (1−β)·loss_i``, ``smoothed_i = a_i / (1 − β^i)``, with
       ``β = smoothing``; smooth ``log(lr)`` with the same average, so that each
       smoothed loss is placed at the lrs it actually averages. (Placed at the
       step's own lr instead, the curve lags by about ``β/(1−β)`` steps, 19 at
       β = 0.95: 0.55 decade, a factor 3.5, on a 140-step sweep over four
       decades, so the suggestion would grow as the sweep gets shorter.)
    3. Cut the curve at the explosion: drop every step from the first one whose
       smoothed loss exceeds ``EXPLOSION_FACTOR`` (4) times the smallest
       smoothed loss before it.
    4. Return the lr at the steepest descent: the most negative finite-difference
       slope ``Δ smoothed / Δ log(lr)``, taken across one averaging window of
       ``W = round(1/(1−β))`` steps (20 at β = 0.95) between points that each
       average at least ``W`` steps, and placed at the middle of that span.
       (A one-step difference of the average is ``(1−β)`` times a single batch's
       deviation: batch noise, not the curve's slope.)

    The default β = 0.95 is lighter than fastai's 0.98 because the average also
    blurs the curve over about ``W`` steps, which pulls the suggestion towards
    smaller lrs: on synthetic 140-step sweeps over four decades, by a factor of
    1.4–2 at β = 0.95 but up to 6 at β = 0.98. On 10-epoch poly2 sweeps,
    β = 0.95 already keeps the seed-to-seed spread to about 0.1 decade.

    Needs at least ``2W − 1 + MIN_POINTS`` steps before the explosion (44 at
    β = 0.95, 104 at β = 0.98); with fewer, or when the smoothed loss never
    falls, the answer is NaN. Losses are assumed non-negative (MSE,
    cross-entropy), since the explosion cut is a ratio.

    >>> lrs = np.logspace(-4, 0, 400)
    >>> losses = 1.0 - np.tanh(np.log10(lrs) + 2.0)  # falls fastest at lr = 1e-2
    >>> round(float(np.log10(suggest_lr(lrs, losses, smoothing=0.9))), 1)
    -2.0
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing = {smoothing!r} must be in [0, 1)")
    lrs = np.asarray(lrs, dtype=float)
    losses = np.asarray(losses, dtype=float)
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(f"lrs {lrs.shape} and losses {losses.shape} must be equal-length 1-D")
    if not (np.all(np.isfinite(lrs)) and np.all(lrs > 0) and np.all(np.diff(lrs) > 0)):
        raise ValueError("lrs must be positive, finite and strictly increasing (an LR sweep)")
    bad = ~np.isfinite(losses)
    n = int(np.argmax(bad)) if bad.any() else len(losses)
    window = max(1, round(1.0 / (1.0 - smoothing)))
    if n < 2 * window - 1 + MIN_POINTS:
        return math.nan
    y = _ema(losses[:n], smoothing)
    x = _ema(np.log(lrs[:n]), smoothing)
    exploded = y > EXPLOSION_FACTOR * np.minimum.accumulate(y)
    if exploded.any():
        n = int(np.argmax(exploded))
    ends = np.arange(2 * window - 1, n)  # both ends of each span average >= window steps
    if len(ends) < MIN_POINTS:
        return math.nan
    starts = ends - window
    slope = (y[ends] - y[starts]) / (x[ends] - x[starts])
    best = int(np.argmin(slope))
    if not slope[best] < 0:
        return math.nan
    return float(np.exp((x[ends[best]] + x[starts[best]]) / 2.0))
