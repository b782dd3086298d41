"""Verdicts of the claims on the other families (D1, B1, B2, S1, S2, I1, O1, O2, N1, N2, R1).

Synthetic summary tables whose answer is known, built with the helpers of
test_claims.py; each claim gets a supported case and a contradicted or
inconclusive one (whole-table behaviour: test_claims_tables.py; the verdict protocol:
test_claims_protocol.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_claims import LR_GRID, make_summary, u_curve, verdict

from bnstudy.claims.catalogue import EQUIV_MARGIN, MARGIN_5PCT, N2_MARGIN

SIMPLE_GRID = {"depth": [1, 4], "act": ["sigmoid", "tanh"], "bn": ["none", "pre"]}
BATCH_GRID = {"batch_size": [2, 4, 8, 16, 32, 64, 128, 256], "depth": [1, 3], "bn": ["none", "pre"]}
IMAGE_BATCH_GRID = {"batch_size": [4, 64, 256, 1024], "bn_layers": [0, 1]}
SCHEDULES = ["constant", "halving", "inverse_time", "exponential", "piecewise", "plateau",
             "cyclic", "one_cycle"]  # fmt: skip
SCHEDULE_GRID = {"schedule": SCHEDULES, "bn": ["none", "pre"]}
INIT_GRID = {
    "init": ["default", "xavier", "kaiming", "small_normal", "unit_normal"],
    "bn": ["none", "pre"],
    "act": ["tanh", "relu"],
}
OPTIMIZER_GRID = {"optimizer": ["sgd", "nesterov", "adam"], "bn_layers": [0, 1],
                  "act": ["sigmoid", "relu"]}  # fmt: skip
BN_LAYERS_GRID = {"bn_layers": [0, 1, 2, 3, 4], "act": ["sigmoid", "relu"]}
LENET_GRID = {"bn": ["none", "library", "scratch"], "lr": [0.1, 0.3, 1.0]}
RANGE_GRID = {"bn": ["none", "pre"], "depth": [3, 4]}


def gain_where(with_bn, gain):
    """Loss 1 without BN, exp(−gain(cfg)) with BN (``with_bn(cfg)`` says which arm)."""
    return lambda c: math.exp(-gain(c)) if with_bn(c) else 1.0


def is_pre(c):
    return c["bn"] == "pre"


def metric(values, noise=0.02):
    """An ``extra`` metric: values(cfg) plus N(0, noise) drawn per row."""
    return lambda c, seed, rng: values(c) + noise * rng.normal()


def log_normal(values, noise=0.05):
    """An ``extra`` positive metric: values(cfg) · exp(noise · N(0, 1)) per row."""
    return lambda c, seed, rng: values(c) * math.exp(noise * rng.normal())


# ---- D1: no real gain on simple data ---------------------------------------------------


def test_d1_no_gain_at_depth_1_is_supported_with_depth_4_for_context():
    loss = gain_where(is_pre, lambda c: 0.0 if c["depth"] == 1 else 0.5)
    row = verdict({"simple": make_summary("simple", SIMPLE_GRID, loss, noise=0.02)}, "D1")
    assert row["verdict"] == "supported"
    assert row["ci_high"] < MARGIN_5PCT
    assert "at depth 1:" in row["detail"]
    assert "gain at depth 4, for context: 0.5" in row["detail"]


def test_d1_a_real_gain_at_depth_1_contradicts():
    loss = gain_where(is_pre, lambda c: 0.3)
    row = verdict({"simple": make_summary("simple", SIMPLE_GRID, loss, noise=0.02)}, "D1")
    assert row["verdict"] == "contradicted"
    assert row["effect"] == pytest.approx(0.3, abs=0.03)
    assert row["ci_low"] > MARGIN_5PCT


def test_d1_a_gain_near_the_margin_is_inconclusive():
    loss = gain_where(is_pre, lambda c: MARGIN_5PCT)
    row = verdict({"simple": make_summary("simple", SIMPLE_GRID, loss, noise=0.05)}, "D1")
    assert row["verdict"] == "inconclusive"


# ---- B1, B2: batch size ----------------------------------------------------------------


def batch_gain(tiny, large, middle=0.2):
    return lambda c: tiny if c["batch_size"] <= 4 else large if c["batch_size"] >= 32 else middle


def image_batch(tiny, large):
    loss = gain_where(lambda c: c["bn_layers"] == 1, batch_gain(tiny, large))
    return make_summary("image_batch", IMAGE_BATCH_GRID, loss, rng_seed=1)


def test_b1_gain_only_at_large_batches_is_supported_in_both_halves_and_families():
    batch = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)))
    row = verdict({"batch": batch, "image_batch": image_batch(-0.1, 0.5)}, "B1")
    assert row["verdict"] == "supported", row["detail"]
    assert row["effect"] == pytest.approx(0.4, abs=0.05)  # the gain at batch ≥ 32
    assert "gain at batch_size ≤ 4 below 0.05: -0.0" in row["detail"]
    assert "gain at batch_size ≥ 32 minus at batch_size ≤ 4: 0.4" in row["detail"]
    assert "batch_size 2: -0.0" in row["detail"] and "batch_size 256: 0.4" in row["detail"]
    assert "image_batch: 0.4" in row["detail"] and "→ supported" in row["detail"]
    assert "a tiny batch takes many more optimizer steps" in row["detail"]


def test_b1_larger_gain_at_tiny_batches_is_contradicted():
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(0.4, 0.1)))
    row = verdict({"batch": summary}, "B1")
    assert row["verdict"] == "contradicted"
    assert "contradicted by gain at batch_size ≤ 4 below 0.05" in row["detail"]


def test_b1_a_gain_at_tiny_batches_too_contradicts_even_if_the_trend_holds():
    # Counter-example to the old trend test: BN's gain grows with batch size (0.2 → 0.6),
    # but it helps at tiny batches too, which the claim denies.
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(0.2, 0.6)))
    row = verdict({"batch": summary}, "B1")
    assert row["ci_low"] > 0  # helps at large batches …
    assert row["verdict"] == "contradicted"  # … but also at tiny ones


def test_b1_trend_without_a_gain_at_large_batches_is_not_supported():
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.5, 0.0)))
    row = verdict({"batch": summary}, "B1")
    assert row["verdict"] == "inconclusive"  # BN hurts less at large batches, but no gain


def test_b1_families_that_disagree_make_it_inconclusive_and_both_are_needed():
    batch = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)))
    row = verdict({"batch": batch, "image_batch": image_batch(0.5, 0.0)}, "B1")
    assert row["verdict"] == "inconclusive"
    assert "image_batch: -0.0" in row["detail"] and "→ contradicted" in row["detail"]
    assert "image_batch says contradicted: the two point opposite ways" in row["detail"]
    row = verdict({"batch": batch}, "B1")  # no image_batch family: one of two is not enough
    assert row["verdict"] == "inconclusive"
    assert "not supported by image_batch" in row["detail"]


def test_b1_bn_failing_to_learn_at_a_tiny_batch_is_its_subject_not_a_hold_back():
    def gone(c, seed):  # BN at batch 2 diverges in every seed; the seeds drop out there
        return c["bn"] == "pre" and c["batch_size"] == 2

    batch = make_summary(
        "batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)), diverged=gone
    )
    row = verdict({"batch": batch, "image_batch": image_batch(-0.1, 0.5)}, "B1")
    assert row["learned"] == "yes"
    assert "diverged: bn pre/batch_size 2/depth 1 (5 of 5)" in row["detail"]


def test_b1_a_large_batch_cell_that_did_not_learn_holds_it_back():
    def loss(c):  # no BN at batch 256 sits at the baseline: it did not learn
        return (
            120.0
            if c["bn"] == "none" and c["batch_size"] == 256
            else gain_where(is_pre, batch_gain(-0.1, 0.4))(c)
        )

    batch = make_summary("batch", BATCH_GRID, loss)
    row = verdict({"batch": batch, "image_batch": image_batch(-0.1, 0.5)}, "B1")
    assert row["verdict"] == "inconclusive"
    assert "depth 1/bn none/batch_size 256 did not learn (0 of 5 seeds)" in row["learned"]
    assert "without this check: supported" in row["detail"]


def bn_gaps(per_batch, absolute=lambda b: 1.0):
    """Relative running-stat errors (mean and variance parts) of per_batch(batch) each, and
    absolute ones of absolute(batch); NaN without BN, as recorded."""
    rel = log_normal(lambda c: per_batch(c["batch_size"]) / 2)
    gap = log_normal(lambda c: absolute(c["batch_size"]) / 2)
    out = {
        name: lambda c, s, rng: rel(c, s, rng) if c["bn"] == "pre" else math.nan
        for name in ("bn_mean_rel", "bn_var_rel")
    }
    return out | {
        name: lambda c, s, rng: gap(c, s, rng) if c["bn"] == "pre" else math.nan
        for name in ("bn_mean_gap", "bn_var_gap")
    }


def test_b2_relative_running_statistics_error_falling_with_batch_is_supported():
    extra = bn_gaps(lambda b: b**-0.5)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.5 * math.log(256 / 2), abs=0.1)
    assert "mean bn_rel_gap per batch_size: 2 0.7" in row["detail"]


def test_b2_flat_error_is_inconclusive_and_growing_error_contradicted():
    extra = bn_gaps(lambda b: 1.0)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "inconclusive"
    extra = bn_gaps(lambda b: b**0.5)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "contradicted"


def test_b2_reads_the_relative_error_not_the_absolute_one():
    # Counter-example: the absolute gap falls with batch size (the activations' scale
    # shrinks), the error relative to the statistics' own scale does not.
    extra = bn_gaps(lambda b: 1.0, absolute=lambda b: b**-0.5)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "inconclusive"


# ---- S1, S2: schedules -----------------------------------------------------------------


def schedule_summary(final, volatility):
    extra = {"volatility": log_normal(lambda c: volatility[c["schedule"]])}
    return make_summary("schedule", SCHEDULE_GRID, lambda c: final[c["schedule"]], extra=extra)


DECAY_WINS = {s: 1.0 if s == "constant" else 0.9 if s in ("cyclic", "one_cycle") else 0.8
              for s in SCHEDULES} | {"piecewise": 0.7}  # fmt: skip
CALMER = {s: 0.1 if s == "constant" else 0.02 for s in SCHEDULES}


def test_s1_decay_that_is_better_and_calmer_is_supported_and_names_the_best_schedule():
    row = verdict({"schedule": schedule_summary(DECAY_WINS, CALMER)}, "S1")
    assert row["verdict"] == "supported"
    # halving is S2's subject, not one of S1's decaying schedules
    assert row["effect"] == pytest.approx(np.mean(-np.log([0.8, 0.8, 0.7, 0.8])), abs=0.03)
    assert "schedule exponential/inverse_time/piecewise/plateau" in row["detail"]
    assert "volatility, constant minus decaying: 0.08" in row["detail"]
    assert "best schedule piecewise on log validation loss" in row["detail"]


def test_s1_better_but_not_calmer_is_inconclusive_and_worse_is_contradicted():
    same = dict.fromkeys(SCHEDULES, 0.05)
    row = verdict({"schedule": schedule_summary(DECAY_WINS, same)}, "S1")
    assert row["verdict"] == "inconclusive"
    assert "not supported by volatility" in row["detail"]
    worse = {s: 1.0 if s == "constant" else 1.3 for s in SCHEDULES}
    assert verdict({"schedule": schedule_summary(worse, CALMER)}, "S1")["verdict"] == "contradicted"


def test_s1_a_volatility_of_exactly_zero_is_a_value_and_halving_is_left_out():
    # Counter-example to the old test: halving's volatility is exactly 0 in every seed
    # (its lr is ~0 by the last epochs), the decaying schedules are not calmer than
    # constant. Halving must not make the decay look calm, and no seed may be dropped.
    vol = dict.fromkeys(SCHEDULES, 0.05) | {"halving": 0.0}
    summary = schedule_summary(DECAY_WINS, vol)
    summary.loc[summary["schedule"] == "halving", "volatility"] = 0.0
    row = verdict({"schedule": summary}, "S1")
    assert row["verdict"] == "inconclusive"
    assert "not supported by volatility" in row["detail"]
    assert "dropped" not in row["detail"]
    # A decaying schedule whose volatility is exactly 0 keeps its seeds.
    summary = schedule_summary(DECAY_WINS, CALMER)
    summary.loc[summary["schedule"] == "piecewise", "volatility"] = 0.0
    row = verdict({"schedule": summary}, "S1")
    assert row["verdict"] == "supported"
    assert "dropped" not in row["detail"] and row["n_seeds"] == 5


def test_s2_halving_that_under_trains_is_supported_and_one_that_wins_contradicted():
    final = {s: 1.3 if s == "halving" else 1.0 for s in SCHEDULES}
    row = verdict({"schedule": schedule_summary(final, CALMER)}, "S2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(math.log(1.3), abs=0.05)
    final = {s: 0.7 if s == "halving" else 1.0 for s in SCHEDULES}
    assert verdict({"schedule": schedule_summary(final, CALMER)}, "S2")["verdict"] == "contradicted"


# ---- I1: initialization ----------------------------------------------------------------

INIT_LOSS = {"default": 1.0, "xavier": 2.0, "kaiming": 2.0, "small_normal": 0.5,
             "unit_normal": 4.0}  # fmt: skip


def test_i1_init_mattering_only_without_bn_is_supported():
    def loss(c):
        return INIT_LOSS[c["init"]] if c["bn"] == "none" else 1.0

    row = verdict({"init": make_summary("init", INIT_GRID, loss)}, "I1")
    assert row["verdict"] == "supported", row["detail"]
    used = [INIT_LOSS[i] for i in ("default", "xavier", "small_normal", "unit_normal")]
    assert row["effect"] == pytest.approx(np.std(np.log(used), ddof=1), abs=0.1)
    assert "act relu: init default, small_normal, unit_normal, xavier used" in row["detail"]
    assert "spread across inits with BN, below 0.22" in row["detail"]


def test_i1_init_mattering_more_with_bn_is_contradicted():
    def loss(c):
        return INIT_LOSS[c["init"]] if c["bn"] == "pre" else 1.0

    assert (
        verdict({"init": make_summary("init", INIT_GRID, loss)}, "I1")["verdict"] == "contradicted"
    )


def test_i1_init_still_mattering_with_bn_though_less_is_contradicted_by_the_margin():
    # Counter-example to the old test: the spread shrinks with BN (so "smaller than
    # without" holds), but with BN the inits still differ by a factor of 2–3.
    def loss(c):
        factor = INIT_LOSS[c["init"]]
        return factor if c["bn"] == "none" else factor**0.5

    row = verdict({"init": make_summary("init", INIT_GRID, loss)}, "I1")
    assert row["ci_low"] > 0
    assert row["verdict"] == "contradicted"
    assert "contradicted by spread across inits with BN" in row["detail"]


# ---- O1, O2: optimizer and number of BN layers (speed: differences, no log) --------------


def optimizer_summary(sigmoid_speed):
    """Sigmoid speeds as given (ReLU 0); a faster setting also ends more accurate, on
    the test and on the validation images alike (what "best other" is chosen on)."""

    def speed(c):
        return sigmoid_speed[c["optimizer"], c["bn_layers"]] if c["act"] == "sigmoid" else 0.0

    def accuracy(c):
        return 0.8 - 0.1 * speed(c)

    extra = {"speed": metric(speed), "final_acc": metric(accuracy, 0.003),
             "final_val_acc": metric(accuracy, 0.003)}  # fmt: skip
    return make_summary("optimizer", OPTIMIZER_GRID, lambda c: 1.0, extra=extra)


ADAM_BN_FASTEST = {("sgd", 0): 1.0, ("sgd", 1): 0.0, ("nesterov", 0): 0.5,
                   ("nesterov", 1): -0.2, ("adam", 0): 0.05, ("adam", 1): -0.6}  # fmt: skip


def test_o1_adam_bn_fastest_and_adam_matching_sgd_bn_is_supported():
    row = verdict({"optimizer": optimizer_summary(ADAM_BN_FASTEST)}, "O1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.4, abs=0.03)  # nesterov+BN − adam+BN
    assert "best other (optimizer nesterov/bn_layers 1)" in row["detail"]
    assert "Adam without BN minus SGD with BN, equivalent within ±0.22: 0.0" in row["detail"]


def test_o1_adam_alone_clearly_slower_than_sgd_bn_contradicts_via_the_equivalence_part():
    row = verdict({"optimizer": optimizer_summary(ADAM_BN_FASTEST | {("adam", 0): 0.6})}, "O1")
    assert row["verdict"] == "contradicted"
    assert row["ci_low"] > 0  # Adam + BN is still fastest …
    assert "contradicted by Adam without BN minus SGD with BN" in row["detail"]


def test_o1_adam_alone_near_the_margin_is_inconclusive_and_adam_bn_not_fastest_contradicted():
    summary = optimizer_summary(ADAM_BN_FASTEST)
    adam_alone = (summary["optimizer"] == "adam") & (summary["bn_layers"] == 0)
    adam_alone &= summary["act"] == "sigmoid"
    # Adam alone straddles the margin: SGD + BN's speed + the margin ± 0.1 by seed.
    spread = np.where(summary["seed"] % 2 == 0, 0.1, -0.1)
    summary.loc[adam_alone, "speed"] = (EQUIV_MARGIN + spread)[adam_alone.to_numpy()]
    row = verdict({"optimizer": summary}, "O1")
    assert row["verdict"] == "inconclusive"
    assert "not supported by Adam without BN" in row["detail"]
    slow = ADAM_BN_FASTEST | {("adam", 1): 0.0}
    row = verdict({"optimizer": optimizer_summary(slow)}, "O1")
    assert row["verdict"] == "contradicted"
    assert row["effect"] == pytest.approx(-0.2, abs=0.03)


def bn_layers_summary(sigmoid, relu, grid=BN_LAYERS_GRID):
    def speed(c):
        return (sigmoid if c["act"] == "sigmoid" else relu)(c["bn_layers"])

    return make_summary("bn_layers", grid, lambda c: 1.0, extra={"speed": metric(speed)})


def test_o2_more_layers_for_sigmoid_one_for_relu_is_supported():
    summary = bn_layers_summary(lambda k: -0.2 * k, lambda k: 0.0 if k else 0.5)
    row = verdict({"bn_layers": summary}, "O2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.6, abs=0.03)  # speed(1) − speed(4)
    assert "at act sigmoid:" in row["detail"] and "bn_layers 4" in row["detail"]
    assert "relu, most minus one BN layer, equivalent within ±0.22: " in row["detail"]


def test_o2_more_layers_clearly_helping_relu_too_is_contradicted():
    summary = bn_layers_summary(lambda k: -0.2 * k, lambda k: -0.3 * k)
    row = verdict({"bn_layers": summary}, "O2")
    assert row["verdict"] == "contradicted"
    assert "contradicted by relu" in row["detail"]


def test_o2_sigmoid_slower_with_more_layers_is_contradicted():
    summary = bn_layers_summary(lambda k: 0.2 * k, lambda k: 0.0)
    assert verdict({"bn_layers": summary}, "O2")["verdict"] == "contradicted"


# ---- N1, N2: LeNet ---------------------------------------------------------------------

BN_HELPS_AT_LR_1 = {"none": {0.1: 0.70, 0.3: 0.75, 1.0: 0.60},
                    "library": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87},
                    "scratch": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87}}  # fmt: skip


def lenet_summary(acc, diverged=None, seeds=5):
    extra = {"final_acc": metric(lambda c: acc[c["bn"]][c["lr"]], noise=0.003)}
    return make_summary("lenet", LENET_GRID, lambda c: 1.0, seeds, diverged=diverged, extra=extra)


def test_n1_bn_lowering_the_error_at_lr_1_is_supported():
    row = verdict({"lenet": lenet_summary(BN_HELPS_AT_LR_1)}, "N1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(math.log(0.40 / 0.13), abs=0.05)
    assert "at lr 1.0:" in row["detail"]
    assert "mean final_acc per bn/lr: library/0.1 0.8" in row["detail"]
    assert "none/1.0 0.6" in row["detail"] and "scratch" not in row["detail"]


def test_n1_worse_with_bn_is_contradicted_and_divergence_is_listed():
    worse = {"none": dict.fromkeys(LENET_GRID["lr"], 0.85),
             "library": dict.fromkeys(LENET_GRID["lr"], 0.80)}  # fmt: skip
    worse["scratch"] = worse["library"]
    assert verdict({"lenet": lenet_summary(worse)}, "N1")["verdict"] == "contradicted"

    def gone(c, seed):
        return c["bn"] == "none" and c["lr"] == 1.0

    row = verdict({"lenet": lenet_summary(BN_HELPS_AT_LR_1, diverged=gone)}, "N1")
    assert row["verdict"] == "inconclusive"
    assert "5 of 5 seed pairs dropped" in row["detail"]
    assert "none/1.0 nan (5 diverged)" in row["detail"]


def test_n2_equal_errors_are_equivalent_and_diverged_lrs_are_left_out():
    def gone(c, seed):
        return c["bn"] == "scratch" and c["lr"] == 1.0 and seed == 0

    row = verdict({"lenet_d2l": lenet_summary(BN_HELPS_AT_LR_1, diverged=gone)}, "N2")
    assert row["verdict"] == "supported"
    assert row["n_seeds"] == 5
    assert "lr 1.0 excluded (diverged)" in row["detail"]
    assert "tests/test_norm.py" in row["detail"]


def test_n2_a_clearly_different_error_is_contradicted():
    acc = BN_HELPS_AT_LR_1 | {"scratch": dict.fromkeys(LENET_GRID["lr"], 0.70)}
    row = verdict({"lenet_d2l": lenet_summary(acc)}, "N2")
    assert row["verdict"] == "contradicted"
    assert row["ci_low"] > N2_MARGIN


# ---- R1: the LR range test -------------------------------------------------------------


def range_summary(suggested):
    extra = {"suggested_lr": lambda c, seed, rng: suggested(c, seed) * math.exp(0.2 * rng.normal())}
    return make_summary("lr_range", RANGE_GRID, lambda c: 1.0, extra=extra)


# Best lr 0.01 in every arm, by a margin the noise cannot blur.
LR_FAMILY = make_summary("lr", LR_GRID, u_curve(0.01, 2.0, 2.0), noise=0.01)


def test_r1_suggestion_near_the_best_lr_is_supported():
    summaries = {"lr_range": range_summary(lambda c, s: 0.015), "lr": LR_FAMILY}
    row = verdict(summaries, "R1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(math.log(1.5), abs=0.15)
    assert "bn pre/depth 3: suggested 0.01" in row["detail"] and "vs best 0.01" in row["detail"]


def test_r1_suggestion_10x_off_is_contradicted_and_without_lr_family_not_run():
    far = range_summary(lambda c, s: 0.1)
    row = verdict({"lr_range": far, "lr": LR_FAMILY}, "R1")
    assert row["verdict"] == "contradicted"
    assert row["effect"] == pytest.approx(math.log(10), abs=0.15)
    row = verdict({"lr_range": far}, "R1")
    assert row["verdict"] == "not run"
    assert row["detail"] == "needs the lr family"


def test_r1_missing_suggestions_drop_a_seed_or_an_arm():
    def suggested(c, seed):
        if c["bn"] == "none" and c["depth"] == 4:
            return math.nan  # this arm never suggests
        return math.nan if seed == 0 else 0.015

    row = verdict({"lr_range": range_summary(suggested), "lr": LR_FAMILY}, "R1")
    assert row["verdict"] == "supported" and row["n_seeds"] == 4
    assert "bn none/depth 4 left out (no suggestion)" in row["detail"]
    assert "1 of 5 seed pairs dropped" in row["detail"]


def test_r1_best_lr_skips_lrs_where_a_seed_diverged():
    def gone(c, seed):  # the lr family's lowest loss would be at 0.3, but a seed diverged there
        return c["lr"] == 0.3 and seed == 0

    lr = make_summary("lr", LR_GRID, u_curve(0.3, 2.0, 2.0), noise=0.01, diverged=gone)
    row = verdict({"lr_range": range_summary(lambda c, s: 0.1), "lr": lr}, "R1")
    assert "vs best 0.1" in row["detail"]
    assert row["verdict"] == "supported"
