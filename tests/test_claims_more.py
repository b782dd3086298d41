"""Verdicts of the claims on the other families (D1, B1, B2, S1, S2, I1, O1, O2, N1, N2, R1).

Synthetic summary tables whose answer is known, built with the helpers of
test_claims.py; each claim gets a supported case and a contradicted or
inconclusive one, and reduced (smoke) grids must give reasons, not exceptions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_claims import LR_GRID, make_summary, u_curve, verdict

from bnstudy.claims.advice import conclusions
from bnstudy.claims.catalogue import CLAIM_IDS, EQUIV_MARGIN, MARGIN_5PCT, N2_MARGIN
from bnstudy.claims.engine import failed_configs, judge_all, judge_files
from bnstudy.claims.verdict import VERDICTS

SIMPLE_GRID = {"depth": [1, 4], "act": ["sigmoid", "tanh"], "bn": ["none", "pre"]}
BATCH_GRID = {"batch_size": [2, 4, 8, 16, 32, 64, 128, 256], "depth": [1, 3], "bn": ["none", "pre"]}
IMAGE_BATCH_GRID = {"batch_size": [4, 64, 256, 1024], "bn_layers": [0, 1]}
SCHEDULES = ["constant", "halving", "inverse_time", "exponential", "piecewise", "plateau",
             "cyclic", "one_cycle"]  # fmt: skip
SCHEDULE_GRID = {"schedule": SCHEDULES, "bn": ["none", "pre"]}
INIT_GRID = {
    "init": ["default", "xavier", "kaiming"],
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


def test_b1_gain_only_at_large_batches_is_supported():
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)))
    row = verdict({"batch": summary}, "B1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.5, abs=0.05)
    assert "gain at batch_size ≥ 32: 0.4" in row["detail"]
    assert "batch_size 2: -0.1" in row["detail"] and "batch_size 256: 0.4" in row["detail"]


def test_b1_larger_gain_at_tiny_batches_is_contradicted():
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(0.4, 0.1)))
    assert verdict({"batch": summary}, "B1")["verdict"] == "contradicted"


def test_b1_trend_without_a_gain_at_large_batches_is_inconclusive():
    summary = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.5, 0.0)))
    row = verdict({"batch": summary}, "B1")
    assert row["ci_low"] > 0  # BN hurts less at large batches …
    assert row["verdict"] == "inconclusive"  # … but does not help there
    assert "does not clearly help at the high end" in row["detail"]


def test_b1_families_that_disagree_make_it_inconclusive():
    batch = make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)))
    row = verdict({"batch": batch, "image_batch": image_batch(0.5, 0.0)}, "B1")
    assert row["verdict"] == "inconclusive"
    assert "image_batch: -0.4" in row["detail"] and "→ contradicted" in row["detail"]
    assert "the families disagree" in row["detail"]
    row = verdict({"batch": batch, "image_batch": image_batch(0.0, 0.5)}, "B1")
    assert row["verdict"] == "supported"
    assert "image_batch: 0.5" in row["detail"] and "→ supported" in row["detail"]
    assert "mean BN gain log(bn_layers 0/1): batch_size 4:" in row["detail"]


def test_b1_seeds_diverged_at_tiny_batches_drop_out_and_the_detail_says_so():
    def gone(c, seed):
        return seed == 0 and c["bn"] == "pre" and c["batch_size"] == 2

    summary = make_summary(
        "batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)), diverged=gone
    )
    row = verdict({"batch": summary}, "B1")
    assert row["verdict"] == "supported" and row["n_seeds"] == 4
    assert "1 of 5 seed pairs dropped" in row["detail"]
    assert "diverged: bn pre/batch_size 2/depth 1 (1 of 5)" in row["detail"]


def bn_gaps(per_batch):
    """bn_mean_gap and bn_var_gap of per_batch(batch) each (NaN without BN, as recorded)."""
    gap = log_normal(lambda c: per_batch(c["batch_size"]) / 2)
    return {
        name: lambda c, s, rng: gap(c, s, rng) if c["bn"] == "pre" else math.nan
        for name in ("bn_mean_gap", "bn_var_gap")
    }


def test_b2_running_statistics_error_falling_with_batch_is_supported():
    extra = bn_gaps(lambda b: b**-0.5)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.5 * math.log(256 / 2), abs=0.1)
    assert "mean bn_stat_error per batch_size: 2 0.7" in row["detail"]


def test_b2_flat_error_is_inconclusive_and_growing_error_contradicted():
    extra = bn_gaps(lambda b: 1.0)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "inconclusive"
    extra = bn_gaps(lambda b: b**0.5)
    row = verdict({"batch": make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=extra)}, "B2")
    assert row["verdict"] == "contradicted"


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
    assert row["effect"] == pytest.approx(np.mean(-np.log([0.8, 0.8, 0.8, 0.7, 0.8])), abs=0.03)
    assert "volatility, log constant/decaying: 1.6" in row["detail"]
    assert "best schedule: piecewise" in row["detail"]


def test_s1_better_but_not_calmer_is_inconclusive_and_worse_is_contradicted():
    same = dict.fromkeys(SCHEDULES, 0.05)
    row = verdict({"schedule": schedule_summary(DECAY_WINS, same)}, "S1")
    assert row["verdict"] == "inconclusive"
    assert "not supported by volatility" in row["detail"]
    worse = {s: 1.0 if s == "constant" else 1.3 for s in SCHEDULES}
    assert verdict({"schedule": schedule_summary(worse, CALMER)}, "S1")["verdict"] == "contradicted"


def test_s1_zero_volatility_is_dropped_not_logged():
    summary = schedule_summary(DECAY_WINS, CALMER)
    summary.loc[(summary["seed"] == 0) & (summary["schedule"] == "halving"), "volatility"] = 0.0
    row = verdict({"schedule": summary}, "S1")
    assert row["verdict"] == "supported"
    assert "volatility, log constant/decaying" in row["detail"]
    assert "1 of 5 seed pairs dropped" in row["detail"]


def test_s2_halving_that_under_trains_is_supported_and_one_that_wins_contradicted():
    final = {s: 1.3 if s == "halving" else 1.0 for s in SCHEDULES}
    row = verdict({"schedule": schedule_summary(final, CALMER)}, "S2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(math.log(1.3), abs=0.05)
    final = {s: 0.7 if s == "halving" else 1.0 for s in SCHEDULES}
    assert verdict({"schedule": schedule_summary(final, CALMER)}, "S2")["verdict"] == "contradicted"


# ---- I1: initialization ----------------------------------------------------------------

INIT_LOSS = {"default": 1.0, "xavier": 2.0, "kaiming": 0.5}


def test_i1_init_mattering_only_without_bn_is_supported():
    def loss(c):
        return INIT_LOSS[c["init"]] if c["bn"] == "none" else 1.0

    row = verdict({"init": make_summary("init", INIT_GRID, loss)}, "I1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(np.std(np.log(list(INIT_LOSS.values())), ddof=1), abs=0.1)
    assert "act relu: init default, kaiming, xavier used" in row["detail"]


def test_i1_init_mattering_more_with_bn_is_contradicted():
    def loss(c):
        return INIT_LOSS[c["init"]] if c["bn"] == "pre" else 1.0

    assert (
        verdict({"init": make_summary("init", INIT_GRID, loss)}, "I1")["verdict"] == "contradicted"
    )


# ---- O1, O2: optimizer and number of BN layers (speed: differences, no log) --------------


def optimizer_summary(sigmoid_speed):
    def speed(c):
        return sigmoid_speed[c["optimizer"], c["bn_layers"]] if c["act"] == "sigmoid" else 0.0

    return make_summary("optimizer", OPTIMIZER_GRID, lambda c: 1.0, extra={"speed": metric(speed)})


ADAM_BN_FASTEST = {("sgd", 0): 1.0, ("sgd", 1): 0.0, ("nesterov", 0): 0.5,
                   ("nesterov", 1): -0.2, ("adam", 0): 0.05, ("adam", 1): -0.6}  # fmt: skip


def test_o1_adam_bn_fastest_and_adam_matching_sgd_bn_is_supported():
    row = verdict({"optimizer": optimizer_summary(ADAM_BN_FASTEST)}, "O1")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.4, abs=0.03)  # nesterov+BN − adam+BN
    assert "best other (optimizer nesterov/bn_layers 1)" in row["detail"]
    assert "Adam without BN minus SGD with BN, equivalent within ±0.22: 0.05" in row["detail"]


def test_o1_adam_alone_clearly_slower_than_sgd_bn_contradicts_via_the_equivalence_part():
    row = verdict({"optimizer": optimizer_summary(ADAM_BN_FASTEST | {("adam", 0): 0.6})}, "O1")
    assert row["verdict"] == "contradicted"
    assert row["ci_low"] > 0  # Adam + BN is still fastest …
    assert "contradicted by Adam without BN minus SGD with BN" in row["detail"]


def test_o1_adam_alone_near_the_margin_is_inconclusive_and_adam_bn_not_fastest_contradicted():
    near = ADAM_BN_FASTEST | {("adam", 0): EQUIV_MARGIN}
    row = verdict({"optimizer": optimizer_summary(near)}, "O1")
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

    row = verdict({"lenet": lenet_summary(BN_HELPS_AT_LR_1, diverged=gone)}, "N2")
    assert row["verdict"] == "supported"
    assert row["n_seeds"] == 5
    assert "lr 1.0 excluded (diverged)" in row["detail"]
    assert "tests/test_norm.py" in row["detail"]


def test_n2_a_clearly_different_error_is_contradicted():
    acc = BN_HELPS_AT_LR_1 | {"scratch": dict.fromkeys(LENET_GRID["lr"], 0.70)}
    row = verdict({"lenet": lenet_summary(acc)}, "N2")
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


# ---- reduced (smoke) grids and partial tables -------------------------------------------


def smoke_summaries():
    """Every family on the reduced grids of config/smoke.yaml, 2 seeds."""
    grids = {
        "depth": {"depth": [1, 2, 4], "act": ["sigmoid", "relu"], "bn": ["none", "pre", "post"]},
        "simple": {"depth": [1], "act": ["tanh"], "bn": ["none", "pre"]},
        "batch": {"batch_size": [4, 32], "depth": [1], "bn": ["none", "pre"]},
        "lr": {"lr": [0.3, 0.03, 0.003], "depth": [3], "bn": ["none", "pre"]},
        "schedule": {"schedule": ["constant", "halving", "one_cycle"], "bn": ["pre"]},
        "init": {"init": ["default", "kaiming"], "bn": ["none", "pre"], "act": ["relu"]},
        "optimizer": {"optimizer": ["sgd", "adam"], "bn_layers": [0, 1], "act": ["sigmoid"]},
        "bn_layers": {"bn_layers": [0, 1, 4], "act": ["sigmoid"]},
        "image_batch": {"batch_size": [64, 256], "bn_layers": [0, 1]},
        "lenet": {"bn": ["none", "library", "scratch"], "lr": [1.0]},
        "lr_range": {"bn": ["none", "pre"], "depth": [3]},
    }
    rng = np.random.default_rng(3)
    extra = {
        name: (lambda c, s, rng: float(rng.uniform(0.01, 1.0)))
        for name in ("speed", "volatility", "final_acc", "bn_mean_gap", "bn_var_gap",
                     "suggested_lr", "dead_frac", "grad_first", "grad_last")
    }  # fmt: skip
    return {
        family: make_summary(family, grid, lambda c: float(rng.uniform(0.5, 2.0)), seeds=2,
                             extra=extra)
        for family, grid in grids.items()
    }  # fmt: skip


def test_smoke_grids_give_verdicts_or_reasons_never_exceptions():
    out = judge_all(smoke_summaries()).set_index("claim")
    assert list(out.index) == CLAIM_IDS
    assert set(out["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    assert "depth 4 missing from the grid" in out.loc["D1", "detail"]
    assert (
        "image_batch: inconclusive (batch_size ≤ 4 missing from the grid)"
        in (out.loc["B1", "detail"])
    )
    assert "act relu missing from the grid" in out.loc["O2", "detail"]
    assert out.loc["O2", "verdict"] != "supported"
    assert out.loc["N1", "n_seeds"] == 2
    assert len(conclusions(out.reset_index())) == len(CLAIM_IDS)


def test_single_level_grids_are_inconclusive_with_reasons():
    summaries = {
        "batch": make_summary("batch", {"batch_size": [32], "bn": ["none", "pre"]}, lambda c: 1.0),
        "bn_layers": make_summary("bn_layers", {"bn_layers": [0, 1], "act": ["sigmoid"]},
                                  lambda c: 1.0, extra={"speed": metric(lambda c: 0.0)}),
        "schedule": make_summary("schedule", {"schedule": ["constant"], "bn": ["pre"]},
                                 lambda c: 1.0),
    }  # fmt: skip
    out = judge_all(summaries).set_index("claim")
    assert out.loc["B1", "verdict"] == "inconclusive"
    assert "batch_size ≤ 4 missing from the grid" in out.loc["B1", "detail"]
    assert out.loc["B2", "verdict"] == "inconclusive"
    assert "both arms are batch_size 32" in out.loc["B2", "detail"]
    assert "both arms are bn_layers 1" in out.loc["O2", "detail"]
    assert "schedule halving/inverse_time" in out.loc["S1", "detail"]


def test_partial_tables_of_the_new_families_never_crash():
    rng = np.random.default_rng(11)
    full = {
        "simple": make_summary("simple", SIMPLE_GRID, gain_where(is_pre, lambda c: 0.1)),
        "batch": make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)),
                              extra=bn_gaps(lambda b: b**-0.5)),
        "image_batch": image_batch(0.0, 0.5),
        "schedule": schedule_summary(DECAY_WINS, CALMER),
        "init": make_summary("init", INIT_GRID, lambda c: INIT_LOSS[c["init"]]),
        "optimizer": optimizer_summary(ADAM_BN_FASTEST),
        "bn_layers": bn_layers_summary(lambda k: -0.2 * k, lambda k: 0.0),
        "lenet": lenet_summary(BN_HELPS_AT_LR_1),
        "lr_range": range_summary(lambda c, s: 0.015),
        "lr": LR_FAMILY,
    }  # fmt: skip
    for trial in range(10):
        frac = rng.uniform(0.05, 1.0)
        part = {f: s.sample(frac=frac, random_state=trial) for f, s in full.items()}
        out = judge_all(part)
        assert list(out["claim"]) == CLAIM_IDS
        assert set(out["verdict"]) <= set(VERDICTS)
        assert len(conclusions(out)) == (out["verdict"] != "not run").sum()


def test_judging_from_csv_files_gives_the_same_verdicts(tmp_path):
    summaries = {
        "batch": make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)),
                              extra=bn_gaps(lambda b: b**-0.5)),
        "image_batch": image_batch(0.0, 0.5),
        "optimizer": optimizer_summary(ADAM_BN_FASTEST),
        "lenet": lenet_summary(BN_HELPS_AT_LR_1),
        "lr_range": range_summary(lambda c, s: 0.015),
        "lr": LR_FAMILY,
    }  # fmt: skip
    paths = {}
    for family, table in summaries.items():
        paths[family] = tmp_path / f"{family}.csv"
        table.to_csv(paths[family], index=False)
    from_files = judge_files(paths, tmp_path / "claims.csv")
    in_memory = judge_all(summaries)
    assert list(from_files["verdict"]) == list(in_memory["verdict"])
    assert (from_files.set_index("claim").loc[["B1", "B2", "O1", "N1", "N2", "R1"], "verdict"]
            == "supported").all()  # fmt: skip


# ---- failed configurations -------------------------------------------------------------


def test_a_failed_configuration_holds_back_every_claim_that_reads_its_family():
    summaries = {"lr_range": range_summary(lambda c, s: 0.015), "lr": LR_FAMILY}
    assert verdict(summaries, "R1")["verdict"] == "supported"
    failed = {"lr": ["bn~pre/depth~3/lr~1"]}
    out = judge_all(summaries, failed).set_index("claim")
    # R1 reads the lr family as its reference; L1–L4 are the lr family's own.
    for claim in ("R1", "L1", "L2", "L3", "L4"):
        row = out.loc[claim]
        assert row["verdict"] == "inconclusive", (claim, row["verdict"])
        assert row["detail"].startswith(
            "1 configuration(s) it reads failed (lr/bn~pre/depth~3/lr~1;"
        ), row["detail"]
    assert "(without them: supported)" in out.loc["R1", "detail"]
    # The numbers stay: the reader sees what the incomplete data said.
    assert np.isfinite(out.loc["R1", "effect"])
    # Families that did not fail, and families that did not run, are untouched.
    assert out.loc["D2", "verdict"] == "not run"
    assert judge_all(summaries, {"depth": ["x"]}).set_index("claim").loc["R1", "verdict"] == (
        "supported"
    )


def test_failed_configs_are_read_from_the_runs_table(tmp_path):
    import pandas as pd

    runs = pd.DataFrame(
        {"config_id": ["a", "b", "c"], "status": ["ok", "failed", "failed"], "error": [""] * 3}
    )
    assert failed_configs(runs) == ["b", "c"]
    assert failed_configs(pd.DataFrame({"config_id": ["a"]})) == []
    summary_path, runs_path = tmp_path / "lr_summary.csv", tmp_path / "lr_runs.csv"
    LR_FAMILY.to_csv(summary_path, index=False)
    runs.to_csv(runs_path, index=False)
    out = judge_files(
        {"lr": str(summary_path)}, str(tmp_path / "claims.csv"), {"lr": str(runs_path)}
    ).set_index("claim")
    assert "2 configuration(s) it reads failed (lr/b, lr/c;" in out.loc["L1", "detail"]
