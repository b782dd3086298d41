"""The claims table as a whole: reduced (smoke) grids, partial tables, CSV files, and
failed configurations holding claims back — reasons, never exceptions.

Synthetic summary tables built with the helpers of test_claims.py and
test_claims_more.py.
"""

from __future__ import annotations

import numpy as np
from test_claims import make_summary, verdict
from test_claims_more import (
    ADAM_BN_FASTEST,
    BATCH_GRID,
    BN_HELPS_AT_LR_1,
    CALMER,
    DECAY_WINS,
    INIT_GRID,
    INIT_LOSS,
    LR_FAMILY,
    SIMPLE_GRID,
    batch_gain,
    bn_gaps,
    bn_layers_summary,
    gain_where,
    image_batch,
    is_pre,
    lenet_summary,
    metric,
    optimizer_summary,
    range_summary,
    schedule_summary,
)

from bnstudy.claims.advice import conclusions
from bnstudy.claims.catalogue import CLAIM_IDS
from bnstudy.claims.engine import failed_configs, judge_all, judge_files
from bnstudy.claims.verdict import VERDICTS

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
        "lenet_d2l": {"bn": ["none", "library", "scratch"], "lr": [1.0]},
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
    out = judge_all(smoke_summaries(), stable=False).set_index("claim")
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
    out = judge_all(summaries, stable=False).set_index("claim")
    assert out.loc["B1", "verdict"] == "inconclusive"
    assert "batch_size ≤ 4 missing from the grid" in out.loc["B1", "detail"]
    assert out.loc["B2", "verdict"] == "inconclusive"
    assert "both arms are batch_size 32" in out.loc["B2", "detail"]
    assert "both arms are bn_layers 1" in out.loc["O2", "detail"]
    assert "schedule inverse_time/exponential" in out.loc["S1", "detail"]


def test_partial_tables_of_the_new_families_never_crash():
    rng = np.random.default_rng(11)
    full = {
        "simple": make_summary("simple", SIMPLE_GRID, gain_where(is_pre, lambda c: 0.1)),
        "batch": make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)),
                              extra=bn_gaps(lambda b: b**-0.5)),
        "image_batch": image_batch(-0.1, 0.5),
        "schedule": schedule_summary(DECAY_WINS, CALMER),
        "init": make_summary("init", INIT_GRID, lambda c: INIT_LOSS[c["init"]]),
        "optimizer": optimizer_summary(ADAM_BN_FASTEST),
        "bn_layers": bn_layers_summary(lambda k: -0.2 * k, lambda k: 0.0),
        "lenet": lenet_summary(BN_HELPS_AT_LR_1),
        "lenet_d2l": lenet_summary(BN_HELPS_AT_LR_1),
        "lr_range": range_summary(lambda c, s: 0.015),
        "lr": LR_FAMILY,
    }  # fmt: skip
    for trial in range(10):
        frac = rng.uniform(0.05, 1.0)
        part = {f: s.sample(frac=frac, random_state=trial) for f, s in full.items()}
        out = judge_all(part, stable=False)
        assert list(out["claim"]) == CLAIM_IDS
        assert set(out["verdict"]) <= set(VERDICTS)
        assert len(conclusions(out)) == (out["verdict"] != "not run").sum()


def test_judging_from_csv_files_gives_the_same_verdicts(tmp_path):
    summaries = {
        "batch": make_summary("batch", BATCH_GRID, gain_where(is_pre, batch_gain(-0.1, 0.4)),
                              extra=bn_gaps(lambda b: b**-0.5)),
        "image_batch": image_batch(-0.1, 0.5),
        "optimizer": optimizer_summary(ADAM_BN_FASTEST),
        "lenet": lenet_summary(BN_HELPS_AT_LR_1),
        "lenet_d2l": lenet_summary(BN_HELPS_AT_LR_1),
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
    out = judge_all(summaries, failed, stable=False).set_index("claim")
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
    assert judge_all(summaries, {"depth": ["x"]}, stable=False).set_index("claim").loc[
        "R1", "verdict"
    ] == ("supported")


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
