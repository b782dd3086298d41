"""Every schedule's lr trajectory, driven in the trainer's order, against its formula."""

import math

import numpy as np
import pytest
import torch

from bnstudy.training.schedules import (
    CYCLIC_HALF_PERIOD_EPOCHS,
    PLATEAU_FACTOR,
    PLATEAU_PATIENCE,
    SCHEDULES,
    make_schedule,
    piecewise_milestones,
    suggest_lr,
)

# A scheduler stepped in the wrong order, or any other warning, fails the test.
pytestmark = pytest.mark.filterwarnings("error")

LR, EPOCHS, STEPS, K = 0.03, 8, 5, 4.0


def _sgd(momentum=0.0):
    return torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], lr=LR, momentum=momentum)


def _adam():
    return torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], lr=LR)


def drive(name, optimizer=None, train_losses=None, epochs=EPOCHS, **kw):
    """Train a tiny parameter as the trainer does; the lr of every step, shape (epochs, STEPS).

    Per step: forward, backward, ``optimizer.step()``, ``after_batch()``; per
    epoch: ``after_epoch(train loss)``. Also returns the optimizer's momentum
    (SGD) or beta1 (Adam) seen at every step.
    """
    opt = optimizer if optimizer is not None else _sgd()
    sched = make_schedule(name, opt, lr=LR, epochs=epochs, steps_per_epoch=STEPS, **{"k": K, **kw})
    (param,) = opt.param_groups[0]["params"]
    lrs, moms = np.zeros((epochs, STEPS)), []
    for epoch in range(epochs):
        for step in range(STEPS):
            lrs[epoch, step] = sched.current_lr()
            group = opt.param_groups[0]
            moms.append(group["betas"][0] if "betas" in group else group["momentum"])
            opt.zero_grad()
            (param**2).sum().backward()
            opt.step()
            sched.after_batch()
        loss = train_losses[epoch] if train_losses is not None else 1.0 / (epoch + 1)
        sched.after_epoch(loss)
    return lrs, np.array(moms)


def _per_epoch(factors):
    """Expected (epochs, STEPS) lrs of a per-epoch schedule from its factor per epoch t."""
    return np.repeat(LR * np.asarray(factors, dtype=float)[:, None], STEPS, axis=1)


EPOCH_T = np.arange(EPOCHS)


@pytest.mark.parametrize(
    "name, factors",
    [
        ("constant", np.ones(EPOCHS)),
        ("halving", 0.5**EPOCH_T),
        ("inverse_time", 1.0 / (1.0 + EPOCH_T / K)),
        ("exponential", 10.0 ** (-EPOCH_T / K)),
        # Milestones at 50 % and 75 % of 8 epochs: epochs 1-4 at lr, 5-6 at lr/10, 7-8 at lr/100.
        ("piecewise", [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01]),
    ],
)
def test_per_epoch_schedules_follow_their_formula(name, factors):
    lrs, _ = drive(name)
    np.testing.assert_allclose(lrs, _per_epoch(factors), rtol=1e-12)


def test_piecewise_milestones_are_half_and_three_quarters_of_the_epochs():
    assert piecewise_milestones(40) == [20, 30]
    assert piecewise_milestones(8) == [4, 6]
    assert piecewise_milestones(10) == [5, 8]  # 7.5 rounds up, not to even
    assert piecewise_milestones(1) == [1]


def test_plateau_halves_the_lr_after_patience_on_a_flat_training_loss():
    lrs, _ = drive("plateau", train_losses=[1.0] * EPOCHS)
    # Epoch 1 sets the best loss; epochs 2..(2+patience) do not improve; the lr
    # drops after the (patience+1)-th bad epoch, then the count starts again.
    first_drop = 1 + PLATEAU_PATIENCE + 1  # epochs done before the first lower lr
    expected = [1.0] * first_drop
    expected += [PLATEAU_FACTOR] * (PLATEAU_PATIENCE + 1)
    expected += [PLATEAU_FACTOR**2] * (EPOCHS - len(expected))
    np.testing.assert_allclose(lrs, _per_epoch(expected), rtol=1e-12)


def test_plateau_keeps_the_lr_while_the_training_loss_falls():
    lrs, _ = drive("plateau", train_losses=[1.0 / (e + 1) for e in range(EPOCHS)])
    np.testing.assert_allclose(lrs, LR)


def test_cyclic_is_triangular_between_a_tenth_of_lr_and_lr():
    lrs, _ = drive("cyclic")
    s = np.arange(EPOCHS * STEPS)
    half = CYCLIC_HALF_PERIOD_EPOCHS * STEPS  # steps per rise
    tri = 1.0 - np.abs((s / half) % 2.0 - 1.0)  # 0 → 1 → 0 over 2·half steps
    np.testing.assert_allclose(lrs.ravel(), LR / 10 + (LR - LR / 10) * tri, rtol=1e-9)
    assert lrs.min() == pytest.approx(LR / 10) and lrs.max() == pytest.approx(LR)
    assert lrs.ravel()[half] == pytest.approx(LR) and lrs.ravel()[2 * half] == pytest.approx(
        LR / 10
    )


def test_one_cycle_warms_up_to_lr_then_anneals_far_below():
    lrs, _ = drive("one_cycle")
    flat = lrs.ravel()
    total = EPOCHS * STEPS
    assert flat[0] == pytest.approx(LR / 25)
    assert flat.max() == pytest.approx(LR)
    assert int(flat.argmax()) == round(0.3 * total) - 1  # PyTorch's default pct_start 0.3
    assert np.all(np.diff(flat[: flat.argmax() + 1]) > 0)
    assert np.all(np.diff(flat[flat.argmax() :]) < 0)
    assert flat[-1] < LR / 1000


def test_range_test_grows_exponentially_from_lr_to_range_end():
    opt = _sgd()
    sched = make_schedule("range_test", opt, lr=1e-4, epochs=EPOCHS, steps_per_epoch=STEPS)
    used = []
    for _ in range(EPOCHS):
        for _ in range(STEPS):
            used.append(sched.current_lr())
            opt.step()
            sched.after_batch()
        sched.after_epoch(1.0)
    used = np.array(used)
    assert used[0] == pytest.approx(1e-4, rel=1e-12)
    assert used[-1] == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(np.diff(np.log(used)), np.log(1e4) / (len(used) - 1), rtol=1e-9)
    assert sched.current_lr() == pytest.approx(1.0)  # the scheduler's last step overshoots nothing


@pytest.mark.parametrize("name", ["cyclic", "one_cycle"])
def test_cyclic_schedules_leave_sgd_momentum_alone(name):
    lrs, moms = drive(name, optimizer=_sgd(momentum=0.9))
    assert np.all(moms == 0.9)
    assert lrs.max() == pytest.approx(LR)


@pytest.mark.parametrize("name", ["cyclic", "one_cycle", "range_test", "plateau", "halving"])
def test_schedules_work_with_adam_and_leave_beta1_alone(name):
    opt = _adam()
    lrs, betas1 = drive(name, optimizer=opt)
    assert np.all(betas1 == 0.9)
    assert np.isfinite(lrs).all() and lrs.min() > 0
    assert not torch.equal(opt.param_groups[0]["params"][0], torch.ones(3))  # it did train


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_reports_when_it_steps(name):
    sched = make_schedule(name, _sgd(), lr=LR, epochs=EPOCHS, steps_per_epoch=STEPS)
    assert sched.per_batch == (name in ("cyclic", "one_cycle", "range_test"))
    lrs, _ = drive(name)
    if not sched.per_batch:  # per-epoch schedules hold the lr within an epoch
        assert np.all(lrs == lrs[:, :1])


def test_the_warning_check_is_live():
    """Stepping a scheduler before its optimizer does warn, so the other tests would notice."""
    opt = _sgd()
    sched = make_schedule("halving", opt, lr=LR, epochs=EPOCHS, steps_per_epoch=STEPS)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        sched.after_epoch(1.0)


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("cosine", {}, "unknown schedule 'cosine'; allowed: constant, halving"),
        ("range_test", {"range_end": 0.01}, "range_end"),
        ("exponential", {"k": 0.0}, "k > 0"),
        ("constant", {"epochs": 0}, "epochs"),
    ],
)
def test_bad_arguments_raise_with_the_allowed_values(name, kw, match):
    args = {"lr": LR, "epochs": EPOCHS, "steps_per_epoch": STEPS, **kw}
    with pytest.raises(ValueError, match=match):
        make_schedule(name, _sgd(), **args)


# --- suggest_lr ---------------------------------------------------------------


def _range_curve(n, noise, seed=0, steepest=-2.5):
    """A range-test sweep 1e-4 → 1: a loss falling fastest at lr = 10**steepest, then exploding."""
    lrs = np.logspace(-4, 0, n)
    x = np.log10(lrs)
    loss = 1.0 - 0.8 * np.tanh(1.5 * (x - steepest)) + np.exp(5.0 * (x + 0.5))
    rng = np.random.default_rng(seed)
    return lrs, loss * (1.0 + noise * rng.standard_normal(n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggest_lr_finds_the_steepest_descent(seed):
    lrs, losses = _range_curve(280, noise=0.05, seed=seed)
    assert 1 / 1.5 < suggest_lr(lrs, losses) / 10**-2.5 < 1.5


def test_suggest_lr_is_not_shifted_by_the_moving_average_lag():
    # 140 steps over four decades: the average lags ~19 steps (0.55 decade, ×3.5).
    lrs, losses = _range_curve(140, noise=0.0, steepest=-3.0)
    assert 1 / 1.5 < suggest_lr(lrs, losses) / 1e-3 < 1.5


def test_suggest_lr_ignores_everything_after_the_explosion():
    lrs, losses = _range_curve(600, noise=0.0)
    crash = np.searchsorted(lrs, 0.3)
    losses[crash:] = np.linspace(1e4, 0.0, len(lrs) - crash)  # a steep fall after blowing up
    assert 1 / 1.5 < suggest_lr(lrs, losses) / 10**-2.5 < 1.5


def test_suggest_lr_stops_at_the_first_non_finite_loss():
    lrs, losses = _range_curve(600, noise=0.0)
    losses[np.searchsorted(lrs, 0.3) :] = np.nan
    assert 1 / 1.5 < suggest_lr(lrs, losses) / 10**-2.5 < 1.5


def test_suggest_lr_is_nan_without_enough_points_or_descent():
    lrs, losses = _range_curve(600, noise=0.0)
    assert math.isnan(suggest_lr(lrs[:40], losses[:40]))
    assert math.isnan(suggest_lr(lrs[:4], losses[:4], smoothing=0.0))
    assert math.isnan(suggest_lr(lrs, np.linspace(1.0, 2.0, len(lrs))))  # never falls
    losses[3] = np.inf  # explodes at once
    assert math.isnan(suggest_lr(lrs, losses))


def test_suggest_lr_rejects_a_sweep_that_does_not_rise():
    lrs, losses = _range_curve(600, noise=0.0)
    with pytest.raises(ValueError, match="increasing"):
        suggest_lr(lrs[::-1], losses)
