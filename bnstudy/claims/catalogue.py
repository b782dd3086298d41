"""The claims of docs/study.md §5 as data: THE file to edit to add or change a claim.

Each claim is one block of :data:`CLAIMS`, in the study's order: the family it
reads, the metric, which generic judge tests it (``test``, a key of
``bnstudy.claims.judges.JUDGES``) with which parameters and thresholds, any
further tests its verdict depends on (:class:`~bnstudy.claims.verdict.Part`),
its tuned reading (:class:`~bnstudy.claims.verdict.Tuned`, each arm at its own
validation-best lr), and one advice sentence per verdict. A new claim that fits
an existing judge is one block here; the engine (``bnstudy.claims.engine``)
judges every claim listed.

The thresholds below say what "did it learn", "about as fast", "at least as
well" and "behaves like" mean in numbers; each claim's block says which one it
uses. The ``learn`` param says which of the cells a comparison reads must have
learned (``bnstudy.claims.learning``): "all" (the default), "any" (each arm
learned somewhere: for claims whose subject is where training fails), a where
spec or a list of them (only those cells), or None (not required, with why).
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
    Tuned,
)

#: "Did it learn?" (docs/study.md §3), regression: the final test MSE is at most
#: this fraction of the MSE of predicting the training mean.
LEARN_LOSS_FRACTION = 0.9
#: ... classification: the final test accuracy is at least this multiple of chance.
LEARN_CHANCE_FACTOR = 2.0
#: "At least as well" tolerates this much: a 5 % worse loss, on the log scale.
MARGIN_5PCT = math.log(1.05)
#: "About as fast": two ``speed`` values (mean log test loss over the epochs) are
#: equivalent within this, i.e. learning curves within 25 % of each other on
#: average (geometric) — well inside the factors of 2–10 between slow and fast runs.
EQUIV_MARGIN = math.log(1.25)
#: "The init stops mattering": with BN the losses of the inits spread (std of log
#: loss across inits) by less than this, i.e. within about 25 % of each other.
I1_MARGIN = math.log(1.25)
#: The inits of I1: ones that really differ. Kaiming is left out: on the 4×4 layers
#: it draws Xavier's uniform weights up to a scale (docs/study.md §5).
I1_INITS = ["default", "xavier", "small_normal", "unit_normal"]
#: "Behaves like" for hand-written vs library BN in LeNet: test errors within 10 %
#: of each other (≈ 1.5 accuracy points at 85 % accuracy). 5 % (under one point)
#: is below the run-to-run spread of chaotic lr-1.0 training, where float rounding
#: alone makes two numerically equal implementations drift apart, so no feasible
#: seed count could show it; the exact match is tested in tests/test_norm.py.
N2_MARGIN = math.log(1.10)
#: The LR range test "predicts a good lr" if it lands within this factor of the best.
RANGE_FACTOR = 3.0
#: The decaying schedules of S1: monotone decays, without halving (S2's subject).
DECAYING = ["inverse_time", "exponential", "piecewise", "plateau"]
#: B1's reminder that its batch sizes train for a fixed number of epochs.
FIXED_EPOCHS_NOTE = (
    "epochs are fixed, so a tiny batch takes many more optimizer steps than a large one "
    "(batch 2: 16× the steps of batch 32)"
)


# ---- the claims, in docs/study.md order -----------------------------------------------
# Advice templates: one sentence per verdict, each stating the result the data chose;
# "{ci}" becomes the evidence: the effect with its interval and seed count
# (see bnstudy.claims.advice). Claims with a tuned reading get the advice of its verdict.


def _advice(supported: str, contradicted: str, inconclusive: str) -> dict:
    return {SUPPORTED: supported, CONTRADICTED: contradicted, INCONCLUSIVE: inconclusive}


#: The tuned reading of a sweep family: every configuration at its validation-best lr.
TUNED = Tuned()

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
        tuned=TUNED,
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
        # The trend, and (a veto) BN must actually help at the deepest depth.
        params={"where": {"act": "sigmoid"}, "over": "depth", "high": "max", "low": "min",
                "high_helps": True},
        tuned=TUNED,
        advice=_advice(
            "Add BN first to deep sigmoid networks: it helps there, and its gain grows with "
            "depth (deepest-depth minus shallowest-depth gain in log-units: {ci}).",
            "Do not count on BN paying off more as sigmoid networks get deeper: its gain does "
            "not grow with depth, or it does not help at the deepest (deepest minus shallowest "
            "gain in log-units: {ci}; see the detail).",
            "These runs cannot tell whether BN's gain grows with depth in sigmoid networks "
            "(deepest minus shallowest gain in log-units: {ci}); weigh BN at each depth.",
        ),
    ),
    Claim(
        "D3", "depth", "Without BN, going deeper helps up to a point, then hurts", "final_test",
        test="interior_optimum",
        # Best interior and best end depth chosen on validation; the optimum must learn.
        params={"where": {"bn": "none"}, "over": "depth", "average_over": ["act"]},
        tuned=TUNED,
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
        tuned=TUNED,
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
        tuned=TUNED,
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
        # No log: a dead fraction can be exactly 0. A net whose units die may not learn:
        # that is the claim's subject, so each arm need only learn at some depth.
        params={"arms": ("none", "pre"), "where": {"act": "relu"}, "average_over": ["depth"],
                "log": False, "learn": "any"},
        tuned=TUNED,
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
        # Both halves: the gain at batch ≥ 32 is above 0 (the effect), and (a veto) the
        # gain at batch ≤ 4 is surely below 5 %. BN failing to learn at a tiny batch is
        # the claim's subject: the large-batch cells and no BN at tiny batches must learn.
        params={"over": "batch_size", "low": {"to": 4}, "high": {"from": 32},
                "average_over": ["depth"], "effect": "high", "low_below": MARGIN_5PCT,
                "learn": [{"batch_size": {"from": 32}}, {"bn": "none"}],
                "note": FIXED_EPOCHS_NOTE},
        # The images MLP repeats the test (BN = one BN layer; its large batches start at
        # 64): both families must say the same.
        parts=(Part("image_batch", "both", family="image_batch",
                    params={"arm_col": "bn_layers", "arms": (0, 1), "high": {"from": 64},
                            "average_over": [],
                            "learn": [{"batch_size": {"from": 64}}, {"bn_layers": 0}]}),),
        tuned=TUNED,
        advice=_advice(
            "Use BN only with batches of 32 or more: it helps there, and at tiny batches of 4 "
            "or fewer it brings no real gain (BN gain at batch ≥ 32 in log-units: {ci}).",
            "BN's dependence on the batch size is not the tutorials': it does not help at "
            "batches of 32 or more, or it helps clearly at tiny batches too (BN gain at batch "
            "≥ 32 in log-units: {ci}; see the detail), so batch size alone does not decide BN.",
            "These runs do not establish that BN needs a large batch (BN gain at batch ≥ 32 in "
            "log-units: {ci}); check BN at the batch size you train with.",
        ),
    ),
    Claim(
        "B2", "batch", "Running statistics get more accurate as batch size grows",
        "bn_rel_gap",
        test="arm_contrast",
        # bn_rel_gap: running-stat error relative to the population statistic's scale
        # (mean and variance parts summed); effect log(error smallest / largest batch).
        # Running statistics are measured whether or not the net learned.
        params={"arm_col": "batch_size", "arms": ("min", "max"), "where": {"bn": "pre"},
                "average_over": ["depth"], "learn": None,
                "profile": {"by": ["batch_size"], "where": {"bn": "pre"}}},
        tuned=TUNED,
        advice=_advice(
            "Trust BN's running statistics more at large batches: their relative error shrinks "
            "from the smallest to the largest batch (log error ratio: {ci}); with small "
            "batches, recompute them on the training set before evaluating.",
            "BN's running statistics are no worse at small batches: their relative error grows "
            "from the smallest to the largest batch (log error ratio smallest/largest: {ci}).",
            "The running statistics' relative accuracy does not clearly change with batch size "
            "(log error ratio smallest/largest batch: {ci}).",
        ),
    ),
    Claim(
        "L1", "lr", "Models with BN are more sensitive to the learning rate", "final_test",
        test="spread_contrast",
        # An lr at which a net does not learn is part of its sensitivity.
        params={"stat": "std", "arms": ("pre", "none"), "learn": "any"},
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
        # An end lr that does not learn is part of the U; the optimum must learn.
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
        params={"stat": "range", "arms": ("pre", "none"), "learn": "any"},
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
        test="max_learning_lr",
        # Learning is what it measures: the largest lr that still learns.
        params={"arms": ("none", "pre"), "learn": None},
        advice=_advice(
            "With BN, try higher learning rates: both the largest lr that still learns and the "
            "best lr are higher with BN (log2 ratio of largest learning lr, BN/none: {ci}).",
            "BN does not let the learning rate go higher: the largest lr that still learns, or "
            "the best lr, is lower with BN (log2 ratio of largest learning lr, BN/none: {ci}; "
            "see the detail).",
            "These runs do not show BN tolerating higher learning rates in both senses, the "
            "largest lr that still learns and the best lr (log2 ratio of largest learning lr, "
            "BN/none: {ci}); tune the lr with BN as without.",
        ),
    ),
    Claim(
        "S1", "schedule", "A decaying schedule beats a constant lr and calms late training",
        "final_test",
        test="arm_contrast",
        # log(constant/decaying) of the final loss, and (a veto) the volatility's plain
        # difference, constant minus decaying: a volatility of exactly 0 is a value.
        params={"arm_col": "schedule", "arms": ("constant", DECAYING), "average_over": ["bn"],
                "profile": {"by": ["schedule"], "best": True}},
        parts=(Part("volatility, constant minus decaying", "veto", {"log": False},
                    metric="volatility"),),
        advice=_advice(
            "Decay the learning rate: decaying schedules end with a lower test loss than a "
            "constant lr and calm late training (log constant/decaying loss ratio: {ci}).",
            "A decaying schedule does not deliver both promises here: it ends with a higher "
            "test loss than a constant lr, or it is not calmer late in training (log "
            "constant/decaying loss ratio: {ci}; see the detail).",
            "Decaying schedules are not shown to both lower the final loss and calm late "
            "training (log constant/decaying loss ratio: {ci}); the detail names the best "
            "schedule of these runs on validation data.",
        ),
    ),
    Claim(
        "S2", "schedule", "Halving the lr every epoch decays too fast and under-trains",
        "final_test",
        test="arm_contrast",
        # Under-training, down to not learning at all, is the claim's subject: only the
        # constant schedule it is compared with must learn.
        params={"arm_col": "schedule", "arms": ("halving", "constant"), "average_over": ["bn"],
                "learn": {"schedule": "constant"}},
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
        # Spread (std) over inits that differ of log loss per act, without BN minus with
        # BN; and (a veto) with BN that spread is surely below I1_MARGIN. An init that
        # does not learn is part of the spread; each arm must learn with some init.
        params={"stat": "std", "arms": ("none", "pre"), "over": "init", "per": "act",
                "where": {"init": I1_INITS}, "learn": "any"},
        parts=(Part(f"spread across inits with BN, below {I1_MARGIN:.2f}", "veto",
                    {"arms": ("pre", None), "threshold": I1_MARGIN, "sense": "<"}),),
        advice=_advice(
            "With BN, keep the default initialization: the inits' losses stay within about "
            "25 % of each other, and spread less than without BN (std of log loss across "
            "inits, none minus BN: {ci}).",
            "BN does not make the initialization irrelevant: with BN the inits' losses still "
            "spread widely, or more than without BN (std of log loss across inits, none minus "
            "BN: {ci}; see the detail); choose the init with care.",
            "These runs cannot tell whether BN makes the initialization stop mattering (std of "
            "log loss across inits, none minus BN: {ci}); compare inits on your task.",
        ),
    ),
    Claim(
        "O1", "optimizer", "Adam without BN speeds up convergence about as much as BN with "
        "SGD; Adam + BN is fastest", "speed",
        test="arm_contrast",
        # speed is already a mean log loss: differences, no log. Effect: the best other
        # (optimizer, bn_layers) cell on validation minus Adam + BN; the equivalence
        # part can veto.
        params={"where": {"act": "sigmoid"}, "cells": ["optimizer", "bn_layers"], "log": False,
                "arms": (BEST_OTHER, {"optimizer": "adam", "bn_layers": 1})},
        parts=(Part(f"Adam without BN minus SGD with BN, equivalent within ±{EQUIV_MARGIN:.2f}",
                    "veto", {"arms": ({"optimizer": "adam", "bn_layers": 0},
                                      {"optimizer": "sgd", "bn_layers": 1}),
                             "threshold": EQUIV_MARGIN, "sense": "within"}),),
        # Tuned: every optimizer × BN cell at its own validation-best lr of its sweep
        # (one lr for all, as run, suits some optimizers and not others).
        tuned=TUNED,
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
        # As run: test_error = 1 − final_acc at the grid's largest lr (1.0 by default).
        # No BN failing to learn there is the claim's first half: only BN must learn.
        params={"where": {"lr": "max"}, "arms": ("none", "library"),
                "learn": {"bn": "library"},
                "profile": {"by": ["bn", "lr"], "metric": "final_acc",
                            "where": {"bn": ["none", "library"]}}},
        # Tuned: BN at lr 1.0 against no BN at its own validation-best lr of the grid.
        tuned=Tuned(source="grid", keep={"bn": "library", "lr": "max"}, tune={"bn": "none"},
                    params={"where": {}, "learn": "all"}),
        advice=_advice(
            "With BN, LeNet trains at lr 1.0 and ends with a lower test error than without "
            "BN (log error ratio none/BN: {ci}): raise the lr when adding BN.",
            "LeNet with BN at lr 1.0 ends with a higher test error than without BN (log error "
            "ratio none/BN: {ci}): do not raise the lr just because BN is there.",
            "BN's effect on LeNet's test error at lr 1.0 is not resolved (log error ratio "
            "none/BN: {ci}); the detail lists accuracy per lr.",
        ),
    ),
    Claim(
        "N2", "lenet_d2l", "Hand-written BN behaves like the library's", "test_error",
        test="arm_contrast",
        # d2l's setting, where both BN variants run (5 seeds, lr 1.0, no selection to
        # make). Equivalence within ±N2_MARGIN (see its comment), pooled over the stable
        # lrs a smaller config may add.
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
        "layers; BN evens them out", "grad_ratio_rms",
        test="gradient_evenness",
        # Per-weight (RMS) gradient norms; "vanishing" is a veto with its own interval.
        # Gradients are measured whether or not a net learns (one whose gradients vanish
        # may well not: that is the claim's subject).
        params={"where": {"act": "sigmoid"}, "arms": ("none", "pre"), "learn": None},
        tuned=TUNED,
        advice=_advice(
            "Use BN against vanishing gradients in deep sigmoid nets: without it the "
            "early-layer gradients vanish, and BN evens out the first-to-last-layer ratio "
            "(|log RMS ratio| none minus BN: {ci}).",
            "BN is no cure for vanishing gradients here: without BN the early-layer gradients "
            "of deep sigmoid nets do not vanish, or BN makes the profile less even (|log RMS "
            "ratio| none minus BN: {ci}; see the detail).",
            "These runs do not establish that deep sigmoid nets' gradients vanish without BN "
            "and even out with it (|log RMS ratio| none minus BN: {ci}).",
        ),
    ),
    Claim(
        "R1", "lr_range", "The LR range test predicts a good lr", "final_test",
        test="suggestion_error",
        reference="lr",
        # Mean |ln(suggested / best grid lr on validation)| below ln 3: within 3×.
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
