"""The budget's counts agree with what the trainers do, and read every learning rate run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bnstudy.report.budget import (
    examples_per_second,
    family_budget,
    steps_per_epoch,
    train_samples,
)
from bnstudy.report.verdicts import disagree, evidence, final_verdict, learned, reading
from bnstudy.training.records import batch_slices


@pytest.mark.parametrize("n", [7, 50, 55000, 60000, 700, 701])
@pytest.mark.parametrize("batch", [1, 2, 3, 4, 50, 128, 256, 1024])
@pytest.mark.parametrize("bn", [True, False])
def test_steps_per_epoch_is_the_trainers_batches(n, batch, bn):
    if batch == 1 and bn:
        pytest.skip("BN never trains on batches of one")
    assert steps_per_epoch(n, batch, bn) == len(batch_slices(n, batch, bn)[0])


META = {"images": {"n_train": 55000, "n_val": 5000, "n_test": 10000}}


def test_training_samples_include_the_validation_split_only_when_trained_on():
    assert train_samples({"dataset": "images", "validation": True}, META) == 55000
    assert train_samples({"dataset": "images", "validation": False}, META) == 60000
    assert train_samples({"dataset": "images", "validation": "False"}, META) == 60000
    assert train_samples({"dataset": "images"}, META) == 55000  # tables from before
    assert train_samples({"dataset": "poly2"}, META) is None


def _runs(n_configs=2, lrs=(0.1,), seeds=(0, 1, 2), **cols) -> pd.DataFrame:
    rows = [
        {
            "family": "f",
            "config_id": f"c{c}",
            "dataset": "images",
            "batch_size": 128,
            "epochs": 10,
            "bn": "none",
            "bn_layers": c,
            "lr": 0.1,
            "slot_lr": lr,
            "seed": s,
            "epochs_done": 10,
            "wall_time": 2.0,
            "step_seconds": 1.5,
            **cols,
        }
        for c in range(n_configs)
        for lr in lrs
        for s in seeds
    ]
    return pd.DataFrame(rows)


def test_family_budget_counts_every_learning_rate_of_the_sweep():
    summary = _runs().drop(columns="slot_lr")
    sweep = _runs(lrs=(0.1, 0.03, 0.3))
    jobs = pd.DataFrame(
        {
            "rule": ["train_config", "train_config", "train_config", "plot_figure"],
            "job": ["f/c0", "f/c1", "other/c0", "f/curves"],
            "s": [10.0, 12.0, 99.0, 1.0],
            "max_rss": [1.0] * 4,
            "cpu_time": [9.5, np.nan, 50.0, 1.0],
        }
    )
    config = {"families": {"f": {"budget_note": "  kept two\n configurations "}}}
    b = family_budget("f", summary, sweep, META, jobs, config)
    assert (b.n_configs, b.n_runs, b.lrs_per_config, b.seeds) == (2, 18, [3], [0, 1, 2])
    steps = 430 * 10  # ceil(55,000 / 128) per epoch
    assert b.steps == (steps, steps) and b.total_steps == 18 * steps
    assert b.examples == 18 * 55000 * 10
    assert (b.wall, b.cpu, b.n_jobs, b.from_jobs) == (22.0, 9.5, 2, True)
    assert b.note == "kept two configurations"
    # Without a sweep table or benchmark files: one lr each, the runs' own timing.
    b = family_budget("f", summary, None, META, None, {})
    assert (b.n_runs, b.lrs_per_config, b.from_jobs, b.wall) == (6, [1], False, 12.0)
    assert np.isnan(b.cpu) and b.note == ""


def test_examples_per_second_sums_over_the_seeds():
    runs = _runs(n_configs=1)
    assert examples_per_second(runs, 60000) == pytest.approx(60000 * 30 / 4.5)
    assert np.isnan(examples_per_second(runs.drop(columns="step_seconds"), 60000))
    assert np.isnan(examples_per_second(runs, None))


def test_a_claims_row_reads_its_tuned_reading_and_checks():
    row = {
        "verdict": "supported",
        "effect": 0.2,
        "ci_low": 0.05,
        "ci_high": 0.35,
        "n_seeds": 5,
        "holm": "no",
        "mde": 0.12,
        "learned": "yes",
        "tuned_verdict": "inconclusive",
        "tuned_effect": 0.05,
        "tuned_ci_low": -0.1,
        "tuned_ci_high": 0.2,
        "tuned_n_seeds": 5.0,
        "tuned_mde": 0.15,
        "tuned_learned": "BN none at lr 1 did not learn",
        "readings_agree": "no",
    }
    assert final_verdict(row) == "inconclusive" and disagree(row)
    as_run, tuned = reading(row), reading(row, "tuned_")
    assert (as_run["verdict"], as_run["ci"], as_run["holm"], as_run["stable"]) == (
        "supported",
        "[0.05, 0.35]",
        "no",
        "–",
    )
    assert tuned["n_seeds"] == "5" and tuned["mde_text"] == "no effect larger than 0.15"
    assert tuned["learned"] == {"text": "BN none at lr 1 did not learn", "failed": True}
    assert learned("not required")["failed"] is False
    assert evidence(row) == "0.05, 95\u00a0% CI [−0.1, 0.2], 5 seeds"  # the tuned reading's
    # An old row: no tuned reading, no checks.
    old = {k: row[k] for k in ("verdict", "effect", "ci_low", "ci_high", "n_seeds")}
    assert final_verdict(old) == "supported" and not disagree(old)
    assert reading(old)["learned"]["text"] == "–" and reading(old)["mde_text"] == ""
    assert evidence(old) == "0.2, 95\u00a0% CI [0.05, 0.35], 5 seeds"
