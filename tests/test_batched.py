"""Batched seeds equal per-seed training (the reference) to float32 rounding."""

import pandas as pd
import pytest
import torch

from bnstudy.config import TrainConfig
from bnstudy.images import make_shapes
from bnstudy.models import make_model
from bnstudy.training.batched import train_seeds_batched
from bnstudy.training.job import train_config, train_runs
from bnstudy.training.records import METRICS_COLUMNS
from bnstudy.training.stacked import StackedModel, build_stacked

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def images():
    return make_shapes(96, 48, seed=3)


# The BN gaps are small differences of O(1) statistics: compare them absolutely.
CANCELLING = {
    "bn_mean_gap": (1e-3, 1e-3),
    "bn_var_gap": (1e-3, 1e-3),
    "bn_mean_rel": (1e-3, 1e-3),
    "bn_var_rel": (1e-3, 1e-3),
}
# Adam with BN: the bias of a Linear layer feeding BN has a zero gradient up to
# rounding noise (BN cancels any shift), and Adam rescales that noise into
# full-size steps, so those biases — and the running means that follow them —
# differ between any two float32 implementations. They cancel inside BN in
# training; in eval mode they move the test loss slightly. Compare them loosely.
NOISE_AMPLIFIED = {
    "bn_mean_gap": (0.5, 1e-2),
    "bn_var_gap": (5e-2, 1e-2),
    "bn_mean_rel": (0.5, 1e-2),
    "bn_var_rel": (0.5, 1e-2),
    "test_loss": (2e-2, 1e-6),
    "test_acc": (5e-2, 1e-6),
    "val_loss": (2e-2, 1e-6),
    "val_acc": (5e-2, 1e-6),
}


def _compare(cfg, data, seeds=SEEDS, rtol=1e-3, atol=1e-6, extra=None):
    ref, _ = train_config(cfg, data, seeds, batched=False)
    bat, _ = train_config(cfg, data, seeds, batched=True)
    return _assert_close(cfg, ref, bat, ["seed", "epoch", "metric"], rtol, atol, extra)


def _assert_close(cfg, ref, bat, key, rtol=1e-3, atol=1e-6, extra=None):
    ref, bat = ref.set_index(key).sort_index(), bat.set_index(key).sort_index()
    assert list(ref.index) == list(bat.index), set(ref.index) ^ set(bat.index)
    loose = cfg.optimizer == "adam" and (cfg.bn != "none" or cfg.bn_layers > 0)
    tolerances = {**CANCELLING, **(NOISE_AMPLIFIED if loose else {}), **(extra or {})}
    metric = ref.index.get_level_values("metric").str.split(".").str[0]
    for name, group_ref in ref.groupby(metric):
        r, a = tolerances.get(name, (rtol, atol))
        pd.testing.assert_series_equal(
            group_ref["value"], bat.loc[group_ref.index, "value"], rtol=r, atol=a
        )
    return ref


@pytest.mark.parametrize("bn", ["none", "pre", "post"])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
def test_mlp_matches_reference(poly2_small, bn, optimizer):
    cfg = TrainConfig(
        depth=3, act="relu", bn=bn, optimizer=optimizer, lr=0.01, batch_size=16, epochs=2
    )
    _compare(cfg, poly2_small)


@pytest.mark.parametrize("schedule", ["halving", "plateau", "cyclic", "one_cycle", "piecewise"])
def test_schedules_match_reference(poly2_small, schedule):
    cfg = TrainConfig(
        depth=2, act="tanh", bn="pre", schedule=schedule, momentum=0.5, batch_size=16, epochs=4
    )
    _compare(cfg, poly2_small)


def test_range_test_matches_reference(poly2_small):
    # Up to lr 0.03: past that the sweep explodes, chaotically, at a step that
    # rounding alone can move by one. The first BN layer's input variance grows
    # to O(100) during the sweep, so its gap is compared relative to that.
    cfg = TrainConfig(
        depth=3, bn="pre", schedule="range_test", lr=1e-4, range_end=0.03, batch_size=4, epochs=3
    )
    ref = _compare(cfg, poly2_small, extra={"bn_var_gap": (2e-2, 1e-3)})
    assert "suggested_lr" in set(ref.index.get_level_values("metric"))


def test_diverged_seeds_are_frozen_and_the_others_go_on(poly2_small):
    # At this lr some seeds of a BN-free ReLU net blow up and some do not.
    cfg = TrainConfig(depth=3, act="relu", bn="none", lr=0.35, batch_size=16, epochs=4)
    seeds = [0, 1, 2, 3, 4, 5]
    ref = _compare(cfg, poly2_small, seeds=seeds)
    diverged = ref.xs("diverged", level="metric")["value"]
    assert 0 < diverged.sum() < len(seeds), "the test needs a mix of diverged and healthy seeds"


@pytest.mark.parametrize("bn_layers", [0, 2])
@pytest.mark.parametrize("optimizer", ["nesterov", "adam"])
def test_wide_mlp_matches_reference(images, bn_layers, optimizer):
    cfg = TrainConfig(
        dataset="images",
        model="wide_mlp",
        bn_layers=bn_layers,
        act="relu",
        optimizer=optimizer,
        lr=0.01,
        batch_size=32,
        epochs=2,
    )
    _compare(cfg, images, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("bn", ["none", "library", "scratch"])
def test_lenet_matches_reference(images, bn):
    cfg = TrainConfig(dataset="images", model="lenet", bn=bn, lr=0.3, batch_size=32, epochs=2)
    _compare(cfg, images, rtol=1e-3, atol=1e-5)


def test_stacked_forward_is_per_seed_forward(images):
    cfg = TrainConfig(dataset="images", model="lenet", bn="library")
    stacked = build_stacked(cfg, images, SEEDS)
    x = images["x_train"][:8]
    out = stacked(x.unsqueeze(0).expand(len(SEEDS), *x.shape))
    for i, seed in enumerate(SEEDS):
        torch.manual_seed(seed)
        ref = make_model(cfg, (1, 28, 28), 10)
        torch.testing.assert_close(out[i], ref(x), rtol=1e-5, atol=1e-5)
    assert isinstance(stacked, StackedModel)


def test_one_seed_per_call_equals_all_at_once(poly2_small):
    cfg = TrainConfig(depth=2, bn="pre", batch_size=16, epochs=2)
    together = train_seeds_batched(cfg, poly2_small, [0, 1], torch.device("cpu"))
    alone = train_seeds_batched(cfg, poly2_small, [1], torch.device("cpu"))
    a = pd.DataFrame(together[1].rows).set_index([0, 1, 2])[3]
    b = pd.DataFrame(alone[0].rows).set_index([0, 1, 2])[3]
    pd.testing.assert_series_equal(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
def test_every_slot_of_an_lr_sweep_matches_its_own_reference_run(poly2_small, optimizer):
    """The sweep's slots (each seed at each lr, one batched model, per-seed lrs) train as
    separate reference runs at those lrs would."""
    # Adam with BN amplifies rounding noise in the biases before BN (see NOISE_AMPLIFIED),
    # whatever the lrs: the sweep is checked on Adam without BN.
    bn = "none" if optimizer == "adam" else "pre"
    cfg = TrainConfig(depth=3, act="tanh", bn=bn, optimizer=optimizer, lr=0.01,
                      lr_sweep=(0.003, 0.03), batch_size=16, epochs=2)  # fmt: skip

    def table(batched):
        runs = train_runs(cfg, poly2_small, SEEDS, batched=batched)
        assert sorted({r.lr for r in runs}) == [0.003, 0.01, 0.03]
        rows = [(*row, r.lr) for r in runs for row in r.rows]
        return pd.DataFrame(rows, columns=[*METRICS_COLUMNS, "lr"])

    ref, bat = table(False), table(True)
    _assert_close(cfg, ref, bat, ["lr", "seed", "epoch", "metric"])
