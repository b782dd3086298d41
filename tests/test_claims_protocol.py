"""The verdict protocol of docs/study.md §5 on data whose answer is known.

Selection on validation data only, "did it learn?", the tuned readings, and the
statistics every verdict obeys (exact test on zero spread, p-values, Holm, minimum
detectable effect, leave-one-seed-out stability, the seeds used), with the claims
table's columns and the advice that follows the tuned reading.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_claims import DEPTH_GRID, LR_GRID, bn_gain, make_summary, u_curve, verdict
from test_claims_more import (
    ADAM_BN_FASTEST,
    BATCH_GRID,
    BN_HELPS_AT_LR_1,
    CALMER,
    DECAY_WINS,
    SIMPLE_GRID,
    bn_gaps,
    lenet_summary,
    metric,
    range_summary,
    schedule_summary,
)

from bnstudy.claims.advice import conclusions
from bnstudy.claims.catalogue import CLAIMS, CLAIMS_BY_ID
from bnstudy.claims.engine import judge_all, judge_files, judge_readings, with_holm
from bnstudy.claims.learning import learned_counts, learned_runs
from bnstudy.claims.readings import Study
from bnstudy.claims.verdict import COLUMNS
from bnstudy.stats import holm, min_detectable_effect

SWEEP_LRS = [0.003, 0.01, 0.03, 0.1, 0.3]


def make_sweep(family, grid, loss, val_loss=None, own_lr=0.03, **kwargs):
    """(summary, sweep table) of a family whose configurations trained at SWEEP_LRS.

    ``loss(cfg)`` sees the lr the run trained at as ``cfg["lr"]``; ``val_loss``
    (default: ``loss``) gives the validation loss, so a test can make validation and
    test disagree. The summary is the sweep at the configuration's own lr.
    """
    val_loss = val_loss or loss
    sweep = make_summary(family, grid | {"lr": SWEEP_LRS}, loss, **kwargs)
    val = make_summary(family, grid | {"lr": SWEEP_LRS}, val_loss, rng_seed=99, **kwargs)
    sweep["final_val"] = val["final_test"]
    keys = list(grid)
    sweep["config_id"] = sweep[keys].astype(str).agg("/".join, axis=1)
    sweep = sweep.rename(columns={"lr": "slot_lr"}).assign(lr=own_lr)
    summary = sweep[sweep["slot_lr"] == own_lr].drop(columns="slot_lr").reset_index(drop=True)
    return summary, sweep


def at_lr(best_none, best_pre, gain=0.0):
    """Loss U-shaped in lr around each arm's best lr; BN lowers the minimum by exp(gain)."""

    def loss(c):
        best = best_none if c["bn"] == "none" else best_pre
        floor = 1.0 if c["bn"] == "none" else math.exp(-gain)
        return floor * math.exp(0.8 * math.log10(c["lr"] / best) ** 2)

    return loss


# ---- 1. every selection reads validation numbers only --------------------------------------


def full_study():
    """Every family with a selection to make: summaries and (lr-swept families) sweeps."""
    depth, depth_sweep = make_sweep("depth", DEPTH_GRID, at_lr(0.01, 0.1, 0.3))
    simple, simple_sweep = make_sweep("simple", SIMPLE_GRID, at_lr(0.1, 0.03))
    lr = make_summary("lr", LR_GRID, u_curve(0.01))
    optimizer, optimizer_sw = optimizer_sweep({"sgd": 0.1, "nesterov": 0.01, "adam": 0.001},
                                              ADAM_BN_FASTEST)  # fmt: skip
    summaries = {
        "depth": depth,
        "simple": simple,
        "lr": lr,
        "lr_range": range_summary(lambda c, s: 0.015),
        "schedule": schedule_summary(DECAY_WINS, CALMER),
        "optimizer": optimizer,
        "lenet": lenet_summary(BN_HELPS_AT_LR_1),
    }
    return summaries, {"depth": depth_sweep, "simple": simple_sweep, "optimizer": optimizer_sw}


TEST_SIDE = ["final_test", "final_acc", "speed", "volatility", "final_train"]


def perturbed(table, rng):
    """The table with every test-side number scrambled; validation numbers untouched."""
    out = table.copy()
    for col in TEST_SIDE:
        new = out[col] * np.exp(rng.normal(0.0, 1.0, len(out)))
        if col == "final_acc":
            new = pd.Series(rng.uniform(0.2, 0.9, len(out)), index=out.index)
        out[col] = new.where(out[col].notna())
    return out


def selections(summaries, sweeps):
    study = Study.prepare(summaries, sweeps)
    return {
        (claim.id, reading): result.selected
        for claim in CLAIMS
        for reading, result in judge_readings(claim, study).items()
    }


def test_no_selection_changes_when_only_test_numbers_change():
    summaries, sweeps = full_study()
    before = selections(summaries, sweeps)
    # the test is only as good as the selections it covers
    for key in [("D3", "as run"), ("D3", "tuned"), ("L2", "as run"), ("L4", "as run"),
                ("O1", "as run"), ("R1", "as run"), ("S1", "as run"), ("N1", "tuned"),
                ("D1", "tuned"), ("O1", "tuned")]:  # fmt: skip
        assert before[key], key
    rng = np.random.default_rng(5)
    for _ in range(3):
        after = selections(
            {f: perturbed(t, rng) for f, t in summaries.items()},
            {f: perturbed(t, rng) for f, t in sweeps.items()},
        )
        assert after == before
    # and the tuned lrs the claims table shows stay too
    out = judge_all(summaries, sweeps=sweeps, stable=False)
    again = judge_all(
        {f: perturbed(t, rng) for f, t in summaries.items()},
        sweeps={f: perturbed(t, rng) for f, t in sweeps.items()},
        stable=False,
    )
    assert list(out["tuned_lrs"]) == list(again["tuned_lrs"])


def test_the_tuned_reading_picks_each_lr_on_validation_even_when_test_disagrees():
    # Validation says 0.1 is best for no BN, the test numbers say 0.3.
    def val(c):
        return at_lr(0.1, 0.03)(c)

    def test(c):
        return at_lr(0.3, 0.03)(c)

    summary, sweep = make_sweep("simple", SIMPLE_GRID, test, val_loss=val, noise=0.01)
    row = verdict({"simple": summary}, "D1", sweeps={"simple": sweep})
    assert row["tuned_lrs"] == "bn none 0.1, bn pre 0.03"


def test_r1_reads_the_best_lr_on_validation():
    # Counter-example: the test numbers put the best lr at 0.01 (where the range test
    # points), the validation numbers at 0.1; R1 must measure against 0.1.
    lr = make_summary("lr", LR_GRID, u_curve(0.01, 2.0, 2.0), noise=0.01)
    lr["final_val"] = make_summary("lr", LR_GRID, u_curve(0.1, 2.0, 2.0), noise=0.01)["final_test"]
    row = verdict({"lr_range": range_summary(lambda c, s: 0.01), "lr": lr}, "R1")
    assert "vs best 0.1" in row["detail"]
    assert row["verdict"] == "contradicted"


def test_without_validation_numbers_nothing_is_selected_on_test_numbers():
    lr = make_summary("lr", LR_GRID, u_curve(0.01)).assign(final_val=np.nan)
    row = verdict({"lr": lr}, "L2")
    assert row["verdict"] == "inconclusive"
    assert "no validation numbers to choose the best interior lr" in row["detail"]


# ---- 2. did it learn? -------------------------------------------------------------------------


def test_a_run_learned_by_the_thresholds_of_the_catalogue():
    table = pd.DataFrame(
        {
            "final_test": [0.89, 0.91, np.nan, np.nan, np.nan, 1.0],
            "baseline_loss": [1.0, 1.0, 1.0, np.nan, np.nan, np.nan],
            "final_acc": [np.nan, np.nan, np.nan, 0.2, 0.19, np.nan],
            "chance_acc": [np.nan, np.nan, np.nan, 0.1, 0.1, np.nan],
            "diverged": [0, 0, 1, 0, 0, 0],
        }
    )
    assert learned_runs(table).tolist()[:5] == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert math.isnan(learned_runs(table).iloc[5])  # no reference: cannot tell
    counts = learned_counts({"fam": table, "empty": table.iloc[0:0]}).set_index("family")
    assert counts.loc["fam"].tolist() == [2, 6, 1]
    assert counts.loc["empty"].tolist() == [0, 0, 0]


def test_n2_on_chance_level_nets_is_not_supported():
    # The smoke run's counter-example: two identical chance-level seeds "agreed".
    chance = {bn: dict.fromkeys([0.1, 0.3, 1.0], 0.1) for bn in ("none", "library", "scratch")}
    summary = lenet_summary(chance, seeds=2)
    summary["final_acc"] = 0.1  # every seed exactly at chance
    row = verdict({"lenet_d2l": summary}, "N2")
    assert row["verdict"] == "inconclusive"
    assert "did not learn (0 of 2 seeds)" in row["learned"]
    assert "the comparison needs it to have learned" in row["detail"]


def test_a_comparison_with_an_arm_that_did_not_learn_is_inconclusive_and_names_it():
    def loss(c):  # BN at depth 1 sits above 0.9 × the baseline of 1.0: it did not learn
        return 0.95 if c["bn"] == "pre" and c["depth"] == 1 else 0.5

    summary = make_summary("simple", SIMPLE_GRID, loss, noise=0.01, baseline=1.0)
    row = verdict({"simple": summary}, "D1")
    assert row["verdict"] == "inconclusive"
    assert row["learned"].startswith("act sigmoid/bn pre did not learn (0 of 5 seeds)")
    assert "without this check: supported" in row["detail"]


# ---- 3. the tuned reading ------------------------------------------------------------------


def test_tuned_reading_disagrees_with_the_as_run_one_and_the_advice_follows_it():
    # At the fixed lr 0.03 no BN is far from its best lr (0.3): as run BN "helps";
    # each arm at its own best lr, the two are alike.
    summary, sweep = make_sweep("simple", SIMPLE_GRID, at_lr(0.3, 0.03), noise=0.01)
    out = judge_all({"simple": summary}, sweeps={"simple": sweep}, stable=False)
    row = out.set_index("claim").loc["D1"]
    assert row["verdict"] == "contradicted"  # as run: BN gains more than 5 %
    assert row["tuned_verdict"] == "supported"  # tuned: no real gain
    assert row["readings_agree"] == "no"
    assert row["tuned_lrs"] == "bn none 0.3, bn pre 0.03"
    assert abs(row["tuned_effect"]) < 0.03 and row["tuned_n_seeds"] == 5
    (advice,) = [a for a in conclusions(out) if a["claim"] == "D1"]
    assert advice["reading"] == "tuned" and advice["verdict"] == "supported"
    assert advice["text"].startswith("On simple data with a one-layer network, skip BN")
    assert (
        "As run, with one fixed learning rate for both arms, the verdict was contradicted"
        in (advice["note"])
    )


def test_claims_without_a_sweep_table_have_their_tuned_reading_not_run():
    summary, _ = make_sweep("simple", SIMPLE_GRID, at_lr(0.03, 0.03))
    row = verdict({"simple": summary}, "D1")
    assert row["tuned_verdict"] == "not run" and row["readings_agree"] == ""
    assert verdict({"simple": summary}, "S1")["tuned_verdict"] == ""  # S1 has none
    (advice,) = [
        a for a in conclusions(judge_all({"simple": summary}, stable=False)) if a["claim"] == "D1"
    ]
    assert advice["reading"] == "as run"


def test_which_claims_have_a_tuned_reading():
    tuned = {c.id for c in CLAIMS if c.tuned is not None}
    assert {"D1", "D2", "D4", "D5", "B1", "N1", "O1"} <= tuned
    assert CLAIMS_BY_ID["N1"].tuned.source == "grid"


def test_n1_tuned_against_no_bn_at_its_own_best_lr():
    # Counter-example: no BN at lr 1.0 is poor, so as run BN "wins"; at its own best lr
    # (0.3 on validation) no BN is more accurate than BN at 1.0.
    acc = {"none": {0.1: 0.70, 0.3: 0.89, 1.0: 0.60},
           "library": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87},
           "scratch": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87}}  # fmt: skip
    row = verdict({"lenet": lenet_summary(acc)}, "N1")
    assert row["verdict"] == "supported"
    assert row["tuned_verdict"] in ("inconclusive", "contradicted")
    assert row["tuned_lrs"] == "bn none 0.3, bn library 1"
    assert row["readings_agree"] == "no"


def optimizer_sweep(best_lr, speed_at_best, as_run=0.01):
    """(summary, sweep) of the optimizer family: each (optimizer, BN) cell learns best at
    ``best_lr[optimizer]``, its speed there ``speed_at_best``, and 10× off that lr it
    stays at chance (accuracy 0.1, speed 2.3); the summary is the sweep at ``as_run``."""

    def off_best(c):
        return abs(math.log10(c["lr"] / best_lr[c["optimizer"]])) > 0.5

    def speed(c):
        return speed_at_best[c["optimizer"], c["bn_layers"]] + (2.3 if off_best(c) else 0.0)

    def accuracy(c):
        return 0.1 if off_best(c) else 0.85 - 0.1 * speed(c)

    grid = {"optimizer": ["sgd", "nesterov", "adam"], "bn_layers": [0, 1], "act": ["sigmoid"]}
    extra = {"speed": metric(speed), "final_acc": metric(accuracy, 0.003)}
    sweep = make_summary("optimizer", grid | {"lr": [0.001, 0.01, 0.1, 1.0]}, lambda c: 1.0,
                         extra=extra)  # fmt: skip
    sweep["config_id"] = sweep["optimizer"] + "/" + sweep["bn_layers"].astype(str)
    sweep = sweep.rename(columns={"lr": "slot_lr"}).assign(lr=as_run)
    summary = sweep[sweep["slot_lr"] == as_run].drop(columns="slot_lr").reset_index(drop=True)
    return summary, sweep


def test_o1_tuned_reads_each_optimizer_at_its_own_best_lr():
    # Counter-example to reading O1 at one lr: at 0.01 plain SGD is 10× below its best
    # lr and stays at chance, so as run O1 cannot be decided; each optimizer at its own
    # best lr (chosen on validation), Adam + BN is fastest and Adam alone matches SGD + BN.
    best = {"sgd": 0.1, "nesterov": 0.01, "adam": 0.001}
    summary, sweep = optimizer_sweep(best, ADAM_BN_FASTEST)
    out = judge_all({"optimizer": summary}, sweeps={"optimizer": sweep}, stable=False)
    row = out.set_index("claim").loc["O1"]
    assert row["verdict"] == "inconclusive"
    assert "optimizer sgd" in row["learned"] and "did not learn" in row["learned"]
    assert row["tuned_verdict"] == "supported"
    assert row["tuned_lrs"] == (
        "best other (optimizer nesterov/bn_layers 1) 0.01, optimizer adam/bn_layers 1 0.001, "
        "optimizer adam/bn_layers 0 0.001, optimizer sgd/bn_layers 1 0.1"
    )
    # The equivalence part reads Adam alone and SGD + BN at their own best lrs too.
    assert (
        "equivalent within ±0.22: 0.06 [0.04, 0.09], 5 seeds → supported" in (row["tuned_detail"])
    )
    assert "bn_layers 1/optimizer sgd did not learn" in row["learned"]
    assert row["readings_agree"] == "no"


def test_n1_no_bn_failing_to_learn_at_lr_1_is_its_subject_as_run():
    acc = {"none": {0.1: 0.70, 0.3: 0.75, 1.0: 0.10},
           "library": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87},
           "scratch": {0.1: 0.80, 0.3: 0.85, 1.0: 0.87}}  # fmt: skip
    row = verdict({"lenet": lenet_summary(acc)}, "N1")
    assert row["verdict"] == "supported" and row["learned"] == "yes"
    assert row["tuned_verdict"] == "supported"


# ---- 4. the revised claim tests not covered elsewhere -----------------------------------------


def test_d2_needs_bn_to_help_at_the_deepest_depth():
    # Counter-example: the gain grows with depth (−0.6 → −0.2) but BN hurts everywhere.
    summary = make_summary("depth", DEPTH_GRID, bn_gain(lambda d: -0.6 + 0.4 * (d - 1) / 3))
    row = verdict({"depth": summary}, "D2")
    assert row["ci_low"] > 0  # the trend holds …
    assert row["verdict"] == "contradicted"  # … but BN does not help at depth 4
    assert "contradicted by gain at depth 4" in row["detail"]


# ---- 5. statistics: exact test, p-values, Holm, MDE, stability, seeds -----------------------


def effects_summary(effects, seeds=None):
    """A simple-family table whose D1 effect (log none/pre at depth 1) per seed is given."""
    seeds = len(effects) if seeds is None else seeds
    table = make_summary("simple", SIMPLE_GRID, lambda c: 1.0, seeds=seeds, noise=0.0)
    none = (table["bn"] == "none") & (table["depth"] == 1)
    table.loc[none, "final_test"] = np.exp(np.asarray(effects)[table.loc[none, "seed"]])
    return table


def test_equal_effects_in_every_seed_are_decided_by_the_exact_test():
    row = verdict({"simple": effects_summary([0.3] * 5)}, "D1")
    assert row["verdict"] == "inconclusive"  # 5 seeds: the exact p is 2/32 at best
    assert row["p_value"] == pytest.approx(2 / 32)
    assert "all 5 paired effects equal: exact sign-flip test" in row["detail"]
    assert row["mde"] == math.inf
    row = verdict({"simple": effects_summary([0.3] * 6)}, "D1")
    assert row["verdict"] == "contradicted" and row["p_value"] == pytest.approx(2 / 64)


def test_p_value_mde_and_seeds_of_a_decided_claim():
    effects = np.array([0.30, 0.32, 0.31, 0.29, 0.35])
    row = verdict({"simple": effects_summary(effects)}, "D1")
    assert row["verdict"] == "contradicted"
    assert 0 < row["p_value"] < 0.05
    assert row["mde"] == pytest.approx(min_detectable_effect(5, effects.std(ddof=1)), rel=1e-6)
    assert row["seeds"] == "0 1 2 3 4"
    assert row["learned"] == "yes"


def test_seeds_lists_those_the_comparison_used():
    table = effects_summary([0.30, 0.32, 0.31, 0.29, 0.35])
    gone = (table["seed"] == 2) & (table["bn"] == "pre")
    table.loc[gone, "diverged"], table.loc[gone, "final_test"] = 1.0, np.nan
    assert verdict({"simple": table}, "D1")["seeds"] == "0 1 3 4"


def test_leave_one_seed_out_stability():
    steady = judge_all({"simple": effects_summary([0.30, 0.32, 0.31, 0.29, 0.33])})
    assert steady.set_index("claim").loc["D1", "stable"] == "yes"
    # Seed 0 alone keeps the interval from collapsing to four equal effects, which the
    # exact test cannot decide; leaving it (or another seed) out flips the verdict.
    shaky = judge_all({"simple": effects_summary([0.0, 0.3, 0.3, 0.3, 0.3])}).set_index("claim")
    assert shaky.loc["D1", "verdict"] == "contradicted"
    assert shaky.loc["D1", "stable"].startswith("no: without seed 0 inconclusive")
    assert shaky.loc["D6", "stable"] == ""  # undecided (here: not run)


def test_holm_across_every_reading_of_every_claim():
    claims = pd.DataFrame(
        {
            "verdict": ["supported", "contradicted", "inconclusive", "not run"],
            "p_value": [0.001, 0.03, 0.2, np.nan],
            "tuned_verdict": ["supported", "", "", ""],
            "tuned_p_value": [0.02, np.nan, np.nan, np.nan],
        }
    )
    out = with_holm(claims)
    # family of 4 p-values: 0.001·4, 0.02·3, 0.03·2, 0.2
    assert list(out["holm"]) == ["yes", "no", "", ""]
    assert list(out["tuned_holm"]) == ["no", "", "", ""]
    assert holm([0.001, 0.03, 0.2, 0.02])[1] == pytest.approx(0.06)


def test_the_claims_table_columns_and_a_csv_round_trip(tmp_path):
    depth, depth_sweep = make_sweep("depth", DEPTH_GRID, at_lr(0.01, 0.1, 0.3))
    batch = make_summary("batch", BATCH_GRID, lambda c: 1.0, extra=bn_gaps(lambda b: b**-0.5))
    paths, sweep_paths = {}, {}
    for family, table in {"depth": depth, "batch": batch}.items():
        paths[family] = tmp_path / f"{family}_summary.csv"
        table.to_csv(paths[family], index=False)
    sweep_paths["depth"] = tmp_path / "depth_sweep.csv"
    depth_sweep.to_csv(sweep_paths["depth"], index=False)
    out = judge_files(paths, tmp_path / "claims.csv", sweep_paths=sweep_paths)
    assert list(out.columns) == COLUMNS
    back = pd.read_csv(tmp_path / "claims.csv", keep_default_na=False)
    assert list(back.columns) == COLUMNS
    rows = out.set_index("claim")
    assert rows.loc["B2", "verdict"] == "supported" and rows.loc["B2", "holm"] == "yes"
    assert rows.loc["B2", "stable"] == "yes" and rows.loc["B2", "seeds"] == "0 1 2 3 4"
    assert rows.loc["D5", "tuned_verdict"] == "supported" and rows.loc["D5", "tuned_holm"] == "yes"
    assert rows.loc["D5", "readings_agree"] == "yes"
    assert rows.loc["D5", "tuned_lrs"] == "bn post 0.1, bn pre 0.1"
    assert rows.loc["B2", "tuned_verdict"] == "not run"  # no batch sweep given
    assert set(rows["holm"]) <= {"yes", "no", ""}
    decided = rows[rows["verdict"].isin(["supported", "contradicted"])]
    assert (decided["holm"] != "").all() and (decided["stable"] != "").all()
    assert (rows.loc[rows["verdict"] == "not run", "learned"] == "").all()
