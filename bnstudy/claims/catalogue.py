"""The claims of docs/study.md §5 as data: THE file to edit to add or change a claim.

Each claim is one block of :data:`CLAIMS`, in the study's order: the family it
reads, the metric, which generic judge tests it (``test``, a key of
``bnstudy.claims.judges.JUDGES``) with which parameters and thresholds, any
further tests its verdict depends on (:class:`~bnstudy.claims.verdict.Part`),
and one advice sentence per verdict. A new claim that fits an existing judge is
one block here; the engine (``bnstudy.claims.engine``) judges every claim listed.

The thresholds below say what "about as fast", "at least as well" and "behaves
like" mean in numbers; each claim's block says which one it uses.
"""

from __future__ import annotations

import math

from bnstudy.claims.verdict import (
    BEST_OTHER,
    CONTRADICTED,
    INCONCLUSIVE,
    SUPPORTED,
    Claim,
    Part,
)

#: "At least as well" tolerates this much: a 5 % worse loss, on the log scale.
MARGIN_5PCT = math.log(1.05)
#: "About as fast": two ``speed`` values (mean log test loss over the epochs) are
#: equivalent within this, i.e. learning curves within 25 % of each other on
#: average (geometric) — well inside the factors of 2–10 between slow and fast runs.
EQUIV_MARGIN = math.log(1.25)
#: "Behaves like" for hand-written vs library BN in LeNet: test errors within 10 %
#: of each other (≈ 1.5 accuracy points at 85 % accuracy). 5 % (under one point)
#: is below the run-to-run spread of chaotic lr-1.0 training, where float rounding
#: alone makes two numerically equal implementations drift apart, so no feasible
#: seed count could show it; the exact match is tested in tests/test_norm.py.
N2_MARGIN = math.log(1.10)
#: The LR range test "predicts a good lr" if it lands within this factor of the best.
RANGE_FACTOR = 3.0
#: The decaying schedules of S1 (cyclic and one-cycle are not monotone decays).
DECAYING = ["halving", "inverse_time", "exponential", "piecewise", "plateau"]

#: Metrics of ``bnstudy.summary.DERIVED`` that a claim calls by another name. B2's
#: detail has always called BN's running-statistics error (``bn_gap`` there)
#: bn_stat_error; the alias keeps claims.csv as it was.
METRIC_ALIASES = {"bn_stat_error": "bn_gap"}


# ---- the claims, in docs/study.md order -----------------------------------------------
# Advice templates: one sentence per verdict, each stating the result the data chose;
# "{ci}" becomes the evidence: the effect with its interval and seed count
# (see bnstudy.claims.engine.advice_text).


def _advice(supported: str, contradicted: str, inconclusive: str) -> dict:
    return {SUPPORTED: supported, CONTRADICTED: contradicted, INCONCLUSIVE: inconclusive}


# The table is laid out by hand, one block per claim, to read like docs/study.md §5.
# fmt: off
CLAIMS = [
    Claim(
        "D1", "simple", "On simple data with a simple model, BN brings no real gain",
        "final_test",
        test="arm_contrast",
        # "No real gain": the gain log(none/pre) is surely below 5 %.
        params={"arms": ("none", "pre"), "where": {"depth": 1}, "average_over": ["act"],
                "threshold": MARGIN_5PCT, "sense": "<"},
        parts=(Part("gain at depth 4, for context", "info", {"where": {"depth": 4}}),),
        advice=_advice(
            "On simple data with a one-layer network, skip BN: its gain on the test loss is "
            "surely below 5 % (log none/BN loss ratio at depth 1: {ci}).",
            "Even on simple data with a one-layer network, BN improves the test loss by more "
            "than 5 % (log none/BN loss ratio at depth 1: {ci}): add it there too.",
            "On simple data with a one-layer network, these runs cannot tell whether BN's gain "
            "exceeds 5 % (log none/BN loss ratio at depth 1: {ci}); BN is optional there.",
        ),
    ),
    Claim(
        "D2", "depth", "On harder data, BN's gain grows with depth", "final_test",
        test="gain_contrast",
        params={"where": {"act": "sigmoid"}, "over": "depth", "high": "max", "low": "min"},
        advice=_advice(
            "Add BN first to deep sigmoid networks: its gain grows with depth (deepest-depth "
            "minus shallowest-depth gain in log-units: {ci}).",
            "Do not count on BN paying off more as sigmoid networks get deeper: its gain "
            "shrinks with depth (deepest minus shallowest gain in log-units: {ci}).",
            "These runs cannot tell whether BN's gain grows with depth in sigmoid networks "
            "(deepest minus shallowest gain in log-units: {ci}); weigh BN at each depth.",
        ),
    ),
    Claim(
        "D3", "depth", "Without BN, going deeper helps up to a point, then hurts", "final_test",
        test="interior_optimum",
        params={"where": {"bn": "none"}, "over": "depth", "average_over": ["act"]},
        advice=_advice(
            "Without BN, tune the depth instead of maximising it: an interior depth beats both "
            "the shallowest and the deepest network (best end minus best interior in "
            "log-units: {ci}).",
            "Without BN, the best depth lies at an end of the grid, not in between (best end "
            "minus best interior in log-units: {ci}): search depth beyond the grid.",
            "Without BN, these runs do not show whether an interior depth beats both ends "
            "(best end minus best interior in log-units: {ci}).",
        ),
    ),
    Claim(
        "D4", "depth", "tanh gains more from BN than sigmoid", "final_test",
        test="gain_contrast",
        # "depth 3–4": the deep end, averaged; a reduced grid uses whichever of them it has.
        params={"where": {"depth": [3, 4]}, "over": "act", "high": "tanh", "low": "sigmoid",
                "average_over": ["depth"]},
        advice=_advice(
            "Expect more from BN in deep tanh networks than in sigmoid ones (tanh gain minus "
            "sigmoid gain in log-units: {ci}).",
            "In deep networks BN helps sigmoid more than tanh, contrary to the tutorials (tanh "
            "gain minus sigmoid gain in log-units: {ci}).",
            "In deep networks, BN's gain for tanh and for sigmoid cannot be told apart (tanh "
            "minus sigmoid gain in log-units: {ci}).",
        ),
    ),
    Claim(
        "D5", "depth", "BN before the activation works at least as well as after it",
        "final_test",
        test="arm_contrast",
        # Non-inferiority: "at least as well" forgives pre a 5 % worse loss than post.
        params={"arms": ("post", "pre"), "average_over": ["act", "depth"],
                "threshold": -MARGIN_5PCT},
        advice=_advice(
            "Place BN before the activation: it is within 5 % of, or better than, BN after it "
            "(log post/pre loss ratio: {ci}).",
            "Place BN after the activation: before it, the loss is more than 5 % worse (log "
            "post/pre loss ratio: {ci}).",
            "These runs cannot rule out that BN before the activation is more than 5 % worse "
            "than after it (log post/pre loss ratio: {ci}); try both placements.",
        ),
    ),
    Claim(
        "D6", "depth", "With ReLU stacks, BN keeps units alive (fewer dead ReLUs)", "dead_frac",
        test="arm_contrast",
        # No log: a dead fraction can be exactly 0.
        params={"arms": ("none", "pre"), "where": {"act": "relu"}, "average_over": ["depth"],
                "log": False},
        advice=_advice(
            "Use BN in ReLU stacks to keep units alive: it lowers the dead-unit fraction by "
            "{ci}.",
            "BN does not keep ReLU units alive here: with BN more units die (dead fraction "
            "without minus with BN: {ci}).",
            "BN's effect on dead ReLU units is not resolved by these runs (dead fraction "
            "without minus with BN: {ci}).",
        ),
    ),
    Claim(
        "B1", "batch", "BN needs a large enough batch: at tiny batches it gives no gain or "
        "hurts, at ≥ 32 it helps", "final_test",
        test="gain_contrast",
        # The trend: BN's gain at batch ≥ 32 minus at batch ≤ 4, and it must help at ≥ 32.
        params={"over": "batch_size", "low": {"to": 4}, "high": {"from": 32},
                "average_over": ["depth"], "high_helps": True},
        # The images MLP repeats the test (BN = one BN layer; its large batches start at 64).
        parts=(Part("image_batch", "agree", family="image_batch",
                    params={"arm_col": "bn_layers", "arms": (0, 1), "high": {"from": 64},
                            "average_over": []}),),
        advice=_advice(
            "Use BN only with batches of 32 or more: it helps there, and clearly less at tiny "
            "batches of 4 or fewer (large-batch minus tiny-batch gain in log-units: {ci}).",
            "BN does not need a large batch here: its gain is larger at tiny batches than at "
            "32 or more (large-batch minus tiny-batch gain in log-units: {ci}), so a small "
            "batch is no reason to drop BN.",
            "These runs do not establish that BN needs a large batch (large-batch minus "
            "tiny-batch gain in log-units: {ci}); check BN at the batch size you train with.",
        ),
    ),
    Claim(
        "B2", "batch", "Running statistics get more accurate as batch size grows",
        "bn_stat_error",
        test="arm_contrast",
        # bn_stat_error = bn_mean_gap + bn_var_gap; effect log(error smallest / largest batch).
        params={"arm_col": "batch_size", "arms": ("min", "max"), "where": {"bn": "pre"},
                "average_over": ["depth"],
                "profile": {"by": ["batch_size"], "where": {"bn": "pre"}}},
        advice=_advice(
            "Trust BN's running statistics more at large batches: their error shrinks from the "
            "smallest to the largest batch (log error ratio: {ci}); with small batches, "
            "recompute them on the training set before evaluating.",
            "BN's running statistics are no worse at small batches: their error grows from the "
            "smallest to the largest batch (log error ratio smallest/largest: {ci}).",
            "The running statistics' accuracy does not clearly change with batch size (log "
            "error ratio smallest/largest batch: {ci}).",
        ),
    ),
    Claim(
        "L1", "lr", "Models with BN are more sensitive to the learning rate", "final_test",
        test="spread_contrast",
        params={"stat": "std", "arms": ("pre", "none")},
        advice=_advice(
            "With BN, budget for a careful learning-rate search: the loss varies more across "
            "lr than without BN (std of log loss, BN minus none: {ci}).",
            "BN makes the loss less sensitive to the learning rate, not more (std of log loss "
            "across lr, BN minus none: {ci}): a coarser lr search suffices with BN.",
            "BN's effect on learning-rate sensitivity is not resolved (std of log loss across "
            "lr, BN minus none: {ci}).",
        ),
    ),
    Claim(
        "L2", "lr", "The error-vs-lr curve is U-shaped", "final_test",
        test="interior_optimum",
        params={"over": "lr", "average_over": ["depth", "bn"], "diverged_is_worst": True},
        advice=_advice(
            "Search the learning rate on both sides: the loss curve is U-shaped with its "
            "minimum inside the grid (best end minus best interior in log-units: {ci}).",
            "The best learning rate sits at an end of the grid (best end minus best interior "
            "in log-units: {ci}): extend the lr search beyond the grid.",
            "The lr curve's minimum is not clearly inside the grid (best end minus best "
            "interior in log-units: {ci}).",
        ),
    ),
    Claim(
        "L3", "lr", "Tuning the lr pays off more with BN (deeper U)", "final_test",
        test="spread_contrast",
        params={"stat": "range", "arms": ("pre", "none")},
        advice=_advice(
            "Tune the learning rate especially with BN: the worst-to-best gap across lr is "
            "larger with BN (BN minus none in log-units: {ci}).",
            "Tuning the learning rate pays off less with BN than without (worst-to-best gap, "
            "BN minus none in log-units: {ci}).",
            "Whether lr tuning pays off more with BN is not resolved (worst-to-best gap, BN "
            "minus none in log-units: {ci}).",
        ),
    ),
    Claim(
        "L4", "lr", "BN tolerates higher learning rates", "final_test",
        test="max_stable_lr",
        params={"arms": ("none", "pre")},
        advice=_advice(
            "With BN, try higher learning rates: the largest non-diverging lr is higher with "
            "BN (log2 ratio BN/none: {ci}).",
            "BN lowers the largest learning rate that trains without diverging (log2 ratio "
            "BN/none: {ci}): keep lr moderate with BN.",
            "These runs do not show BN tolerating higher learning rates (log2 ratio of largest "
            "stable lr, BN/none: {ci}).",
        ),
    ),
    Claim(
        "S1", "schedule", "A decaying schedule beats a constant lr and calms late training",
        "final_test",
        test="arm_contrast",
        # log(constant/decaying) of the final loss, and of the volatility (a gate).
        params={"arm_col": "schedule", "arms": ("constant", DECAYING), "average_over": ["bn"],
                "profile": {"by": ["schedule"], "best": "min"}},
        parts=(Part("volatility, log constant/decaying", "gate", metric="volatility"),),
        advice=_advice(
            "Decay the learning rate: decaying schedules end with a lower test loss than a "
            "constant lr and calm late training (log constant/decaying loss ratio: {ci}).",
            "Keep the learning rate constant at this budget: it ends with a lower test loss "
            "than the decaying schedules (log constant/decaying loss ratio: {ci}).",
            "Decaying schedules are not shown to both lower the final loss and calm late "
            "training (log constant/decaying loss ratio: {ci}); the detail names the best "
            "schedule of these runs.",
        ),
    ),
    Claim(
        "S2", "schedule", "Halving the lr every epoch decays too fast and under-trains",
        "final_test",
        test="arm_contrast",
        params={"arm_col": "schedule", "arms": ("halving", "constant"), "average_over": ["bn"]},
        advice=_advice(
            "Do not halve the learning rate every epoch: it decays too fast and ends worse "
            "than a constant lr (log halving/constant loss ratio: {ci}).",
            "Halving the learning rate every epoch does not under-train here: it ends better "
            "than a constant lr (log halving/constant loss ratio: {ci}).",
            "Halving the lr every epoch and keeping it constant end up indistinguishable (log "
            "halving/constant loss ratio: {ci}).",
        ),
    ),
    Claim(
        "I1", "init", "With BN, the choice of initialization stops mattering", "final_test",
        test="spread_contrast",
        # Spread (std) over init of log loss per act, without BN minus with BN.
        params={"stat": "std", "arms": ("none", "pre"), "over": "init", "per": "act"},
        advice=_advice(
            "With BN, keep the default initialization: the choice of init matters less than "
            "without BN (std of log loss across inits, none minus BN: {ci}).",
            "BN does not make the initialization irrelevant: the loss varies more across inits "
            "with BN than without (std of log loss, none minus BN: {ci}); choose it with care.",
            "These runs cannot tell whether BN makes the initialization matter less (std of "
            "log loss across inits, none minus BN: {ci}); compare the usual inits.",
        ),
    ),
    Claim(
        "O1", "optimizer", "Adam without BN speeds up convergence about as much as BN with "
        "SGD; Adam + BN is fastest", "speed",
        test="arm_contrast",
        # speed is already a mean log loss: differences, no log. Effect: the best other
        # (optimizer, bn_layers) cell minus Adam + BN; the equivalence part can veto.
        params={"where": {"act": "sigmoid"}, "cells": ["optimizer", "bn_layers"], "log": False,
                "arms": (BEST_OTHER, {"optimizer": "adam", "bn_layers": 1})},
        parts=(Part(f"Adam without BN minus SGD with BN, equivalent within ±{EQUIV_MARGIN:.2f}",
                    "veto", {"arms": ({"optimizer": "adam", "bn_layers": 0},
                                      {"optimizer": "sgd", "bn_layers": 1}),
                             "threshold": EQUIV_MARGIN, "sense": "within"}),),
        advice=_advice(
            "For sigmoid networks use Adam with BN: it converges fastest, and Adam alone is "
            "about as fast as SGD with BN (best other setting minus Adam + BN in mean log "
            "loss: {ci}).",
            "Adam + BN is not the recipe the tutorials promise: another optimizer/BN setting "
            "converges faster, or Adam alone clearly differs from SGD with BN (best other "
            "setting minus Adam + BN in mean log loss: {ci}; see the detail).",
            "These runs do not show Adam + BN converging fastest with Adam alone matching SGD "
            "with BN (best other setting minus Adam + BN in mean log loss: {ci}); compare "
            "optimizers with BN on your task.",
        ),
    ),
    Claim(
        "O2", "bn_layers", "With sigmoid, more BN layers converge faster; with ReLU one BN "
        "layer is enough", "speed",
        test="arm_contrast",
        # Sigmoid: speed(1 BN layer) − speed(most BN layers); ReLU must be equivalent.
        params={"where": {"act": "sigmoid"}, "arm_col": "bn_layers", "arms": (1, "max"),
                "log": False},
        parts=(Part(f"relu, most minus one BN layer, equivalent within ±{EQUIV_MARGIN:.2f}",
                    "veto", {"where": {"act": "relu"}, "arms": ("max", 1),
                             "threshold": EQUIV_MARGIN, "sense": "within"}),),
        advice=_advice(
            "Give sigmoid networks BN after every hidden layer, which converges faster than one "
            "BN layer; for ReLU one BN layer is enough (sigmoid, one minus most BN layers in "
            "mean log loss: {ci}).",
            "More BN layers do not pay off as claimed: sigmoid networks converge slower with "
            "them, or ReLU networks clearly differ between one and most BN layers (sigmoid, "
            "one minus most in mean log loss: {ci}; see the detail).",
            "The number of BN layers has no clear effect on convergence as claimed (sigmoid, "
            "one minus most BN layers in mean log loss: {ci}); one BN layer is a fair start.",
        ),
    ),
    Claim(
        "N1", "lenet", "BN lets LeNet train at lr 1.0 and reach higher accuracy in 10 epochs",
        "test_error",
        test="arm_contrast",
        # test_error = 1 − final_acc, at the grid's largest lr (1.0 by default).
        params={"where": {"lr": "max"}, "arms": ("none", "library"),
                "profile": {"by": ["bn", "lr"], "metric": "final_acc",
                            "where": {"bn": ["none", "library"]}}},
        advice=_advice(
            "With BN, LeNet trains at its largest lr and ends with a lower test error than "
            "without BN (log error ratio none/BN: {ci}): raise the lr when adding BN.",
            "At the largest lr, LeNet with BN ends with a higher test error than without (log "
            "error ratio none/BN: {ci}): do not raise the lr just because BN is there.",
            "At the largest lr, BN's effect on LeNet's test error is not resolved (log error "
            "ratio none/BN: {ci}); the detail lists accuracy per lr.",
        ),
    ),
    Claim(
        "N2", "lenet", "Hand-written BN behaves like the library's", "test_error",
        test="arm_contrast",
        # Equivalence within ±N2_MARGIN (see its comment), pooled over the stable lrs.
        params={"arms": ("scratch", "library"), "average_over": ["lr"], "drop_diverged": "lr",
                "threshold": N2_MARGIN, "sense": "within",
                "note": "the exact numerical match is tested in tests/test_norm.py"},
        advice=_advice(
            "A hand-written BN can stand in for the library's: test errors agree within 10 % "
            "(log error ratio scratch/library: {ci}); prefer the library's for speed.",
            "The hand-written BN trains to a different test error than the library's (log "
            "error ratio scratch/library: {ci}): check it against the library before use.",
            "Test errors of hand-written and library BN are not shown to agree within 10 % "
            "(log error ratio scratch/library: {ci}); rely on the exact numerical test.",
        ),
    ),
    Claim(
        "G1", "depth", "Without BN, deep sigmoid nets have vanishing gradients in early "
        "layers; BN evens them out", "grad_first/grad_last",
        test="gradient_evenness",
        params={"where": {"act": "sigmoid"}, "arms": ("none", "pre")},
        advice=_advice(
            "Use BN against vanishing gradients in deep sigmoid nets: it evens out the "
            "first-to-last-layer gradient ratio (|log ratio| none minus BN: {ci}).",
            "BN makes the layer-to-layer gradient profile of deep sigmoid nets less even, not "
            "more (|log ratio| none minus BN: {ci}).",
            "These runs do not establish that BN cures vanishing gradients in deep sigmoid "
            "nets (|log ratio| none minus BN: {ci}).",
        ),
    ),
    Claim(
        "R1", "lr_range", "The LR range test predicts a good lr", "final_test",
        test="suggestion_error",
        reference="lr",
        # Mean |ln(suggested / best grid lr)| below ln 3: within 3× of the best.
        params={"arm_cols": ["bn", "depth"], "threshold": math.log(RANGE_FACTOR),
                "sense": "<"},
        advice=_advice(
            "Start from the LR range test's suggestion: it lands within 3× of the grid's best "
            "lr (mean |ln suggested/best|, 1.10 = 3×: {ci}).",
            "Do not take the LR range test's suggestion as the lr: it misses the grid's best "
            "by more than 3× (mean |ln suggested/best|, 1.10 = 3×: {ci}); search an lr grid.",
            "The LR range test's suggestion is not shown to land within 3× of the best lr "
            "(mean |ln suggested/best|, 1.10 = 3×: {ci}); use it to bracket an lr grid.",
        ),
    ),
]
# fmt: on

CLAIM_IDS = [c.id for c in CLAIMS]
CLAIMS_BY_ID = {c.id: c for c in CLAIMS}


def claim_statement(claim_id: str) -> str:
    """The claim as tutorials state it (docs/study.md §5).

    >>> claim_statement("D2")
    "On harder data, BN's gain grows with depth"
    """
    return CLAIMS_BY_ID[claim_id].statement
