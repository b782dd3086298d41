"""Verdicts of the claims (bnstudy.claims) on synthetic summary tables whose answer is known."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from bnstudy.claims.advice import conclusions
from bnstudy.claims.catalogue import CLAIM_IDS, CLAIMS, claim_statement
from bnstudy.claims.engine import judge_all
from bnstudy.claims.judges import JUDGES
from bnstudy.claims.verdict import COLUMNS, VERDICTS
from bnstudy.summary import SUMMARY_METRICS

STUDY_ORDER = "D1 D2 D3 D4 D5 D6 B1 B2 L1 L2 L3 L4 S1 S2 I1 O1 O2 N1 N2 G1 R1".split()

DEPTH_GRID = {
    "depth": [1, 2, 3, 4],
    "act": ["sigmoid", "tanh", "relu"],
    "bn": ["none", "pre", "post"],
}
LR_GRID = {
    "lr": [0.3, 0.1, 0.03, 0.01, 0.005, 0.003, 0.001, 0.0003],
    "depth": [3, 4],
    "bn": ["none", "pre"],
}

BASE = dict(
    dataset="poly2",
    model="mlp",
    depth=3,
    width=4,
    act="tanh",
    bn="none",
    bn_layers=0,
    init="default",
    optimizer="sgd",
    lr=0.03,
    momentum=0.0,
    nesterov_momentum=0.9,
    schedule="constant",
    schedule_k=10.0,
    range_end=1.0,
    batch_size=50,
    epochs=40,
    diverge_factor=1e6,
)


def make_summary(
    family, grid, loss, seeds=5, noise=0.05, rng_seed=0, diverged=None, extra=None, baseline=100.0
):
    """A summarize()-shaped table: one row per (grid point, seed).

    ``final_test = loss(cfg) * exp(noise * N(0, 1))`` and ``final_val`` the same with
    an independent draw, from a seeded generator; ``diverged(cfg, seed)`` marks rows
    as diverged (their loss summaries NaN); ``extra`` maps a metric to
    ``fn(cfg, seed, rng)``. A table with a ``final_acc`` extra is a classifier's: its
    ``final_val_acc`` is a second draw of that extra (unless given) and chance is 0.1;
    otherwise ``baseline_loss`` is ``baseline`` (every loss below 0.9 × it learned).
    """
    rng = np.random.default_rng(rng_seed)
    extra = dict(extra or {})
    classify = "final_acc" in extra
    if classify and "final_val_acc" not in extra:
        extra["final_val_acc"] = extra["final_acc"]
    rows = []
    for i, values in enumerate(itertools.product(*grid.values())):
        cfg = {**BASE, "family": family, **dict(zip(grid, values, strict=True))}
        for seed in range(seeds):
            gone = bool(diverged and diverged(cfg, seed))
            row = {**cfg, "config_id": f"{family}-{i}", "seed": seed, "diverged": float(gone)}
            row["final_test"] = np.nan if gone else loss(cfg) * math.exp(noise * rng.normal())
            row["final_val"] = np.nan if gone else loss(cfg) * math.exp(noise * rng.normal())
            row["epochs_done"] = 3.0 if gone else float(cfg["epochs"])
            row["chance_acc" if classify else "baseline_loss"] = 0.1 if classify else baseline
            for name, fn in extra.items():
                row[name] = fn(cfg, seed, rng)
            rows.append(row)
    table = pd.DataFrame(rows)
    for name in SUMMARY_METRICS:  # summarize() always has every metric column
        if name not in table:
            table[name] = np.nan
    return table


def verdict(summaries, claim_id, **kwargs):
    """A claim's row of the claims table (without the leave-one-seed-out reruns)."""
    return judge_all(summaries, stable=False, **kwargs).set_index("claim").loc[claim_id]


def bn_gain(per_depth):
    """Loss where BN (pre and post) divides the no-BN loss by exp(per_depth(depth))."""
    return lambda c: 1.0 if c["bn"] == "none" else math.exp(-per_depth(c["depth"]))


# ---- shape of the output ------------------------------------------------------------


def test_every_claim_listed_in_study_order_with_exact_columns():
    out = judge_all({})
    assert list(out.columns) == COLUMNS
    assert list(out["claim"]) == STUDY_ORDER == CLAIM_IDS
    assert (out["verdict"] == "not run").all()
    assert out.set_index("claim").loc["L2", "detail"] == "family lr did not run"


def test_missing_family_is_not_run_and_every_claim_has_a_judge():
    depth = make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.2 * d))
    simple = make_summary("simple", {"depth": [1, 4], "bn": ["none", "pre"]}, lambda c: 1.0)
    out = judge_all({"depth": depth, "simple": simple}, stable=False).set_index("claim")
    assert out.loc["L4", "verdict"] == "not run"
    assert out.loc["L4", "detail"] == "family lr did not run"
    assert out.loc["D1", "verdict"] != "not run"
    assert out.loc["D2", "verdict"] != "not run"
    assert all(claim.test in JUDGES for claim in CLAIMS)


def test_claim_statement():
    assert claim_statement("D2") == "On harder data, BN's gain grows with depth"


def test_every_claim_has_three_distinct_advice_sentences_with_numbers():
    for claim in CLAIMS:
        assert claim.test in JUDGES
        texts = [claim.advice[v] for v in ("supported", "contradicted", "inconclusive")]
        assert len(set(texts)) == 3, claim.id
        assert all("{ci}" in text for text in texts), claim.id


# ---- D2: supported / contradicted / inconclusive on known data -----------------------


def test_d2_gain_growing_with_depth_is_supported():
    row = verdict({"depth": make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * d))}, "D2")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.9, abs=0.1)  # gain(4) − gain(1) = 1.2 − 0.3
    assert row["ci_low"] > 0 and row["n_seeds"] == 5


def test_d2_gain_shrinking_with_depth_is_contradicted():
    row = verdict(
        {"depth": make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * (5 - d)))}, "D2"
    )
    assert row["verdict"] == "contradicted"
    assert row["ci_high"] < 0


def test_d2_noise_only_is_inconclusive():
    row = verdict({"depth": make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.0))}, "D2")
    assert row["verdict"] == "inconclusive"
    assert row["ci_low"] < 0 < row["ci_high"]


def test_diverged_seeds_drop_out_of_their_pair():
    def gone(c, seed):
        return seed == 0 and c["depth"] == 4 and c["bn"] == "none"

    summary = make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * d), diverged=gone)
    row = verdict({"depth": summary}, "D2")
    assert row["n_seeds"] == 4
    assert "1 of 5 seed pairs dropped" in row["detail"]
    assert row["verdict"] == "supported"


def test_too_few_usable_seeds_is_inconclusive():
    def gone(c, seed):
        return seed == 0 and c["bn"] == "pre"

    summary = make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * d), seeds=2, diverged=gone)
    row = verdict({"depth": summary}, "D2")
    assert row["verdict"] == "inconclusive"
    assert row["n_seeds"] == 1
    assert "only 1 usable paired seed" in row["detail"]


# ---- the other depth-family claims ----------------------------------------------------


def test_d3_interior_depth_optimum_is_supported_and_monotone_is_contradicted():
    u_shape = {1: 2.0, 2: 1.0, 3: 1.2, 4: 3.0}
    row = verdict({"depth": make_summary("depth", DEPTH_GRID, lambda c: u_shape[c["depth"]])}, "D3")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(math.log(2.0 / 1.0), abs=0.05)  # depth 1 vs depth 2
    assert "best depth 2" in row["detail"]
    deeper_better = {1: 3.0, 2: 2.0, 3: 1.5, 4: 1.0}
    summary = make_summary("depth", DEPTH_GRID, lambda c: deeper_better[c["depth"]])
    row = verdict({"depth": summary}, "D3")
    assert row["verdict"] == "contradicted"
    assert "best depth 4" in row["detail"]


def test_d4_tanh_gains_more_than_sigmoid_in_deep_nets_only():
    def loss(c):  # shallow nets favour sigmoid strongly; only depths 3-4 may count
        if c["depth"] >= 3:
            gain = {"tanh": 0.6, "sigmoid": 0.2, "relu": 0.0}[c["act"]]
        else:
            gain = {"tanh": 0.0, "sigmoid": 2.0, "relu": 0.0}[c["act"]]
        return 1.0 if c["bn"] == "none" else math.exp(-gain)

    row = verdict({"depth": make_summary("depth", DEPTH_GRID, loss)}, "D4")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.4, abs=0.07)


def test_d5_is_a_non_inferiority_test_with_a_5_percent_margin():
    same = make_summary("depth", DEPTH_GRID, lambda c: 1.0, noise=0.02)
    assert verdict({"depth": same}, "D5")["verdict"] == "supported"

    def post_better(c):
        return {"none": 1.0, "pre": 1.0, "post": 0.8}[c["bn"]]

    row = verdict({"depth": make_summary("depth", DEPTH_GRID, post_better, noise=0.02)}, "D5")
    assert row["verdict"] == "contradicted"
    assert row["effect"] == pytest.approx(math.log(0.8), abs=0.03)


def test_d6_fewer_dead_relus_with_bn_and_all_zero_is_inconclusive():
    def dead(c, seed, rng):
        return 0.3 + 0.05 * rng.random() if c["bn"] == "none" else 0.05 * rng.random()

    summary = make_summary("depth", DEPTH_GRID, lambda c: 1.0, extra={"dead_frac": dead})
    row = verdict({"depth": summary}, "D6")
    assert row["verdict"] == "supported"
    assert row["effect"] == pytest.approx(0.3, abs=0.05)

    summary = make_summary("depth", DEPTH_GRID, lambda c: 1.0, extra={"dead_frac": lambda *a: 0.0})
    row = verdict({"depth": summary}, "D6")
    assert row["verdict"] == "inconclusive"
    assert row["effect"] == 0.0


def _grads(ratio_none, first="grad_first_rms", last="grad_last_rms"):
    """First/last-layer gradient (per weight by default) = ratio_none without BN, ≈ 1 with."""
    return {
        first: lambda c, s, rng: (
            (ratio_none if c["bn"] == "none" else 1.0) * math.exp(0.1 * rng.normal())
        ),
        last: lambda c, s, rng: 1.0,
    }


def test_g1_vanishing_gradients_evened_out_by_bn():
    summary = make_summary("depth", DEPTH_GRID, lambda c: 1.0, extra=_grads(0.01))
    row = verdict({"depth": summary}, "G1")
    assert row["verdict"] == "supported"
    assert "depth 4" in row["detail"] and "none 0.0095" in row["detail"]
    assert "vanishing without BN" in row["detail"] and "→ supported" in row["detail"]


def test_g1_exploding_rather_than_vanishing_is_contradicted():
    summary = make_summary("depth", DEPTH_GRID, lambda c: 1.0, extra=_grads(100.0))
    row = verdict({"depth": summary}, "G1")
    assert row["ci_low"] > 0  # BN does even the profile out …
    assert row["verdict"] == "contradicted"  # … but nothing vanished without it
    assert "contradicted by vanishing without BN" in row["detail"]


def test_g1_reads_gradients_per_weight_not_whole_matrix_norms():
    # Counter-example: even gradients per weight (RMS ratio 1), but the first layer's
    # whole-matrix norm is smaller (a 4×5 against a 1×4 matrix: ratio 0.8 with or without
    # BN). G1 must not call that vanishing.
    extra = _grads(1.0) | _grads(0.8, "grad_first", "grad_last")
    summary = make_summary("depth", DEPTH_GRID, lambda c: 1.0, extra=extra)
    row = verdict({"depth": summary}, "G1")
    assert row["verdict"] in ("inconclusive", "contradicted")
    assert "mean grad_first_rms/grad_last_rms none 1" in row["detail"]


# ---- lr family ------------------------------------------------------------------------


def u_curve(best_lr, depth_none=2.0, depth_pre=0.5):
    """Loss U-shaped in log lr around best_lr; curvature per BN arm."""

    def loss(c):
        curvature = depth_none if c["bn"] == "none" else depth_pre
        return math.exp(0.3 * curvature * math.log10(c["lr"] / best_lr) ** 2)

    return loss


def diverges_without_bn_above(limit):
    return lambda c, seed: c["bn"] == "none" and c["lr"] > limit


def test_l1_l3_flatter_bn_curve_contradicts_more_sensitivity_with_bn():
    summary = make_summary("lr", LR_GRID, u_curve(0.01), diverged=diverges_without_bn_above(0.1))
    out = judge_all({"lr": summary}, stable=False).set_index("claim")
    for claim_id in ("L1", "L3"):
        assert out.loc[claim_id, "verdict"] == "contradicted"
        assert out.loc[claim_id, "effect"] < 0
    assert "0.3 excluded (diverged)" in out.loc["L1", "detail"]


def test_l1_steeper_bn_curve_is_supported():
    loss = u_curve(0.01, depth_none=0.5, depth_pre=2.0)
    assert verdict({"lr": make_summary("lr", LR_GRID, loss)}, "L1")["verdict"] == "supported"


def test_l2_u_shape_supported_and_edge_minimum_contradicted():
    summary = make_summary("lr", LR_GRID, u_curve(0.01), diverged=diverges_without_bn_above(0.1))
    row = verdict({"lr": summary}, "L2")
    assert row["verdict"] == "supported"
    assert "best lr 0.01" in row["detail"] and "0.3 excluded" in row["detail"]
    row = verdict({"lr": make_summary("lr", LR_GRID, u_curve(1.0))}, "L2")
    assert row["verdict"] == "contradicted"
    assert "best lr 0.3" in row["detail"]


def lr_runs(best, top, noise=0.01):
    """An lr family whose best lr is best(cfg, seed) and whose runs learn up to top(cfg, seed).

    Above top a run does not learn (its loss sits at 2 × the baseline) without diverging.
    """

    def loss(c, seed, rng):
        if c["lr"] > top(c, seed):
            return 200.0
        return math.exp(0.6 * math.log10(c["lr"] / best(c, seed)) ** 2 + noise * rng.normal())

    extra = {"final_test": loss, "final_val": loss}
    return make_summary("lr", LR_GRID, lambda c: 1.0, extra=extra)


def by_arm(none, pre):
    """(cfg, seed) → none(seed) without BN, pre(seed) with BN."""
    return lambda c, seed: none(seed) if c["bn"] == "none" else pre(seed)


def test_l4_higher_largest_learning_lr_and_higher_best_lr_with_bn_is_supported():
    best = by_arm(lambda s: 0.01, lambda s: 0.03 if s % 2 else 0.1)
    top = by_arm(lambda s: 0.03 if s % 2 else 0.1, lambda s: 1.0)
    row = verdict({"lr": lr_runs(best, top)}, "L4")
    assert row["verdict"] == "supported", row["detail"]
    # seeds 0, 2, 4: log2(0.3 / 0.1); seeds 1, 3: log2(0.3 / 0.03)
    assert row["effect"] == pytest.approx(np.mean([np.log2(3), np.log2(10)] * 2 + [np.log2(3)]))
    assert "largest lr that still learned (geometric mean)" in row["detail"]
    assert row["learned"] == "not required"


def test_l4_largest_lr_up_but_best_lr_down_with_bn_is_inconclusive():
    # The counter-example: BN learns at higher lrs, but its best lr is lower.
    best = by_arm(lambda s: 0.03, lambda s: 0.003 if s % 2 else 0.005)
    top = by_arm(lambda s: 0.03 if s % 2 else 0.1, lambda s: 1.0)
    row = verdict({"lr": lr_runs(best, top)}, "L4")
    assert row["ci_low"] > 0  # the largest learning lr is higher with BN …
    assert row["verdict"] == "inconclusive"  # … but the best lr is lower
    assert "→ contradicted" in row["detail"] and "point opposite ways" in row["detail"]


def test_l4_an_lr_that_does_not_learn_is_a_limit_even_without_divergence():
    best = by_arm(lambda s: 0.01, lambda s: 0.03 if s % 2 else 0.1)
    top = by_arm(lambda s: 0.03 if s % 2 else 0.1, lambda s: 1.0)
    summary = lr_runs(best, top)
    assert (summary["diverged"] == 0).all()
    assert verdict({"lr": summary}, "L4")["ci_low"] > 0


def test_l4_when_every_run_learns_is_inconclusive():
    row = verdict({"lr": make_summary("lr", LR_GRID, u_curve(0.01))}, "L4")
    assert row["verdict"] == "inconclusive"
    assert row["effect"] == 0.0
    assert "every run learned: no arm reached its limit within the grid" in row["detail"]
    assert "all 5 paired effects equal: exact sign-flip test" in row["detail"]


# ---- reduced (smoke) grids ------------------------------------------------------------


def test_reduced_grid_gives_inconclusive_with_reason_not_a_crash():
    grid = {"depth": [1, 4], "act": ["sigmoid", "relu"], "bn": ["none", "pre", "post"]}
    lr_grid = {"lr": [0.3, 0.03, 0.003], "depth": [3, 4], "bn": ["none", "pre"]}
    summaries = {
        "depth": make_summary("depth", grid, bn_gain(lambda d: 0.3 * d), seeds=2),
        "lr": make_summary("lr", lr_grid, u_curve(0.03), seeds=2),
    }
    out = judge_all(summaries, stable=False).set_index("claim")
    assert set(out["verdict"]) <= {"supported", "contradicted", "inconclusive", "not run"}
    assert out.loc["D3", "verdict"] == "inconclusive"
    assert "needs at least 3 depth levels" in out.loc["D3", "detail"]
    assert out.loc["D4", "verdict"] == "inconclusive"
    assert "act tanh missing" in out.loc["D4", "detail"]
    for claim_id in ("D2", "D5", "D6", "G1", "L1", "L2", "L3", "L4"):
        assert out.loc[claim_id, "verdict"] != "not run"
    assert out.loc["D2", "n_seeds"] == 2


# ---- conclusions ----------------------------------------------------------------------


def test_conclusions_follow_the_verdict_and_carry_the_numbers():
    grows = judge_all({"depth": make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * d))})
    shrinks = judge_all(
        {"depth": make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * (5 - d)))}
    )
    text_up = {c["claim"]: c for c in conclusions(grows)}
    text_down = {c["claim"]: c for c in conclusions(shrinks)}
    assert set(text_up) == set(grows.loc[grows["verdict"] != "not run", "claim"])
    assert "L1" not in text_up  # not run: no advice
    assert text_up["D2"]["verdict"] == "supported" and text_down["D2"]["verdict"] == "contradicted"
    assert text_up["D2"]["text"] != text_down["D2"]["text"]
    row = grows.set_index("claim").loc["D2"]
    for number in (row["effect"], row["ci_low"], row["ci_high"]):
        assert f"{number:.2f}" in text_up["D2"]["text"]
    assert f"{row['n_seeds']} seeds" in text_up["D2"]["text"]


def test_partial_tables_never_crash():
    rng = np.random.default_rng(7)
    depth = make_summary("depth", DEPTH_GRID, bn_gain(lambda d: 0.3 * d), extra=_grads(0.01))
    lr = make_summary("lr", LR_GRID, u_curve(0.01), diverged=diverges_without_bn_above(0.1))
    for trial in range(15):
        frac = rng.uniform(0.01, 1.0)
        part = {"depth": depth.sample(frac=frac, random_state=trial),
                "lr": lr.sample(frac=frac, random_state=trial)}  # fmt: skip
        out = judge_all(part, stable=False)
        assert list(out["claim"]) == CLAIM_IDS
        assert set(out["verdict"]) <= set(VERDICTS)
        assert len(conclusions(out)) == (out["verdict"] != "not run").sum()


def test_conclusions_without_numbers_say_so_instead_of_nan():
    import pandas as pd

    nan = float("nan")
    row = {"claim": "D2", "family": "depth", "verdict": "inconclusive", "effect": nan,
           "ci_low": nan, "ci_high": nan, "n_seeds": 0, "detail": "x"}  # fmt: skip
    (text,) = conclusions(pd.DataFrame([row]))
    assert "nan" not in text["text"]
    assert "no usable seed pairs, so no effect or interval" in text["text"]


def test_advice_takes_the_callers_evidence_and_skips_claims_without_a_sentence():
    import pandas as pd

    from bnstudy.claims.advice import advice_text

    rows = [
        {"claim": "D2", "verdict": "supported", "effect": 0.9, "n_seeds": 5},
        {"claim": "L1", "verdict": "not run", "effect": float("nan"), "n_seeds": 0},
        {"claim": "Z9", "verdict": "supported", "effect": 0.1, "n_seeds": 3},  # not a claim
    ]
    out = conclusions(pd.DataFrame(rows), evidence=lambda row: f"<{row['effect']}>")
    assert [c["claim"] for c in out] == ["D2"]
    assert out[0]["text"] == advice_text("D2", "supported", "<0.9>")
    assert "<0.9>" in out[0]["text"] and "{ci}" not in out[0]["text"]
    assert advice_text("D2", "not run", "x") is None
    assert advice_text("Z9", "supported", "x") is None
