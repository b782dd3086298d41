import logging

import pandas as pd
import pytest
import torch
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.summary import summarize
from bnstudy.training.job import train_config
from bnstudy.training.records import batch_slices
from bnstudy.training.reference import train_seed


def _cfg(**kw):
    base = dict(depth=2, width=4, act="tanh", bn="pre", epochs=3, batch_size=16, lr=0.03)
    return TrainConfig(**{**base, **kw})


def test_records_every_metric_per_seed_and_epoch(poly2_small):
    metrics, timing = train_config(_cfg(act="relu"), poly2_small, seeds=[0, 1])
    per_epoch = {"train_loss", "test_loss", "lr", "grad_norm.1", "grad_norm.2", "grad_norm.3"}
    for (seed, epoch), grp in metrics.groupby(["seed", "epoch"]):
        assert per_epoch <= set(grp["metric"]), (seed, epoch)
    final = metrics[metrics["epoch"] == 3]
    assert {"bn_mean_gap.1", "bn_var_gap.2", "dead_frac", "diverged"} <= set(final["metric"])
    assert sorted(timing["seed"].unique()) == [0, 1] and (timing["seconds"] > 0).all()
    assert (metrics.query("metric == 'lr'")["value"] == 0.03).all()


def test_same_seed_gives_identical_metrics(poly2_small):
    a, _ = train_config(_cfg(), poly2_small, seeds=[3])
    b, _ = train_config(_cfg(), poly2_small, seeds=[3])
    pd.testing.assert_frame_equal(a, b)
    c, _ = train_config(_cfg(), poly2_small, seeds=[4])
    assert not a["value"].equals(c["value"])


def test_divergence_is_recorded_not_raised(poly2_small, caplog):
    cfg = _cfg(bn="none", act="relu", lr=50.0, epochs=5)
    with caplog.at_level(logging.WARNING, logger="bnstudy.train"):
        metrics, _ = train_config(cfg, poly2_small, seeds=[0])
    diverged = metrics.query("metric == 'diverged'")
    assert diverged["value"].tolist() == [1.0]
    assert "diverged" in caplog.text
    assert metrics["value"].map(lambda v: v == v and abs(v) != float("inf")).all()
    summary = summarize(metrics.assign(config_id="x"))
    assert summary.loc[0, "diverged"] == 1 and pd.isna(summary.loc[0, "final_test"])


def test_loss_explosion_counts_as_divergence(poly2_small):
    # A tiny factor makes any rise over the first loss "explode".
    cfg = _cfg(bn="none", lr=5.0, diverge_factor=1.0001, epochs=2)
    run = train_seed(cfg, poly2_small, 0, torch.device("cpu"))
    assert run.diverged


def test_bn_never_sees_a_single_sample_batch(poly2_small, caplog):
    n = poly2_small["x_train"].shape[0]  # 84 training samples
    batch = 83  # leaves a last batch of exactly one sample
    assert n % batch == 1
    sizes = []
    cfg = _cfg(batch_size=batch, epochs=2)
    original = nn.BatchNorm1d.forward

    def spy(self, x):
        if self.training:
            sizes.append(x.shape[0])
        return original(self, x)

    nn.BatchNorm1d.forward = spy
    try:
        with caplog.at_level(logging.INFO, logger="bnstudy.train"):
            train_seed(cfg, poly2_small, 0, torch.device("cpu"))
    finally:
        nn.BatchNorm1d.forward = original
    assert sizes and min(sizes) > 1
    assert "last batch of 1" in caplog.text


def test_batch_slices_keep_every_sample():
    for n, b in [(84, 83), (100, 7), (10, 10), (11, 5)]:
        slices, _ = batch_slices(n, b, has_bn=True)
        covered = [i for s in slices for i in range(s.start, s.stop)]
        assert covered == list(range(n))
        assert all(s.stop - s.start > 1 for s in slices)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_reduces_the_loss(poly2_small, optimizer):
    cfg = _cfg(optimizer=optimizer, epochs=8, lr=0.03 if optimizer == "sgd" else 0.01)
    metrics, _ = train_config(cfg, poly2_small, seeds=[0])
    test = metrics.query("metric == 'test_loss'")["value"].tolist()
    assert test[-1] < test[0]


def test_classification_records_accuracy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 5, generator=g)
    y = (x[:, 0] > 0).long()
    data = {
        "task": "classification",
        "n_classes": 2,
        "x_train": x[:40],
        "y_train": y[:40],
        "x_test": x[40:],
        "y_test": y[40:],
    }
    metrics, _ = train_config(_cfg(epochs=2, batch_size=10), data, seeds=[0])
    acc = metrics.query("metric == 'test_acc'")["value"]
    assert len(acc) == 2 and ((acc >= 0) & (acc <= 1)).all()


def _images(n_train=64, n_test=32):
    from bnstudy.images import make_shapes

    return make_shapes(n_train, n_test, seed=1)


@pytest.mark.parametrize("bn", ["none", "library", "scratch"])
def test_lenet_trains_and_records_bn_affine_parameters(bn):
    cfg = TrainConfig(
        dataset="images", model="lenet", bn=bn, lr=0.3, batch_size=32, epochs=2, act="sigmoid"
    )
    metrics, _ = train_config(cfg, _images(), seeds=[0])
    names = set(metrics["metric"])
    assert {"test_acc", "grad_norm.1", "grad_norm.5"} <= names  # 2 conv + 3 linear layers
    gammas = {m for m in names if m.startswith("bn1_gamma.")}
    assert len(gammas) == (0 if bn == "none" else 6)
    if bn != "none":
        assert {"bn_mean_gap.1", "bn_var_gap.4"} <= names


def test_scratch_and_library_bn_give_the_same_first_epoch():
    base = dict(dataset="images", model="lenet", lr=0.1, batch_size=32, epochs=1)
    lib, _ = train_config(TrainConfig(bn="library", **base), _images(), seeds=[0])
    scr, _ = train_config(TrainConfig(bn="scratch", **base), _images(), seeds=[0])
    a = lib.set_index(["metric", "epoch"])["value"]
    b = scr.set_index(["metric", "epoch"])["value"]
    assert abs(a[("test_loss", 1)] - b[("test_loss", 1)]) < 1e-4


def test_wide_mlp_with_bn_layers_and_nesterov():
    cfg = TrainConfig(
        dataset="images",
        model="wide_mlp",
        bn_layers=2,
        act="relu",
        optimizer="nesterov",
        lr=0.01,
        batch_size=16,
        epochs=1,
    )
    metrics, _ = train_config(cfg, _images(), seeds=[0])
    names = set(metrics["metric"])
    assert {"bn_mean_gap.1", "bn_mean_gap.2", "dead_frac", "test_acc"} <= names
    assert "bn_mean_gap.3" not in names


def test_range_test_sweeps_lr_per_step_and_suggests_one(poly2_small):
    cfg = _cfg(schedule="range_test", lr=1e-4, range_end=1.0, batch_size=4, epochs=3, bn="none")
    metrics, _ = train_config(cfg, poly2_small, seeds=[0])
    lrs = metrics.query("metric == 'range_lr'").sort_values("epoch")["value"].to_numpy()
    assert len(lrs) > 40 and lrs[0] == pytest.approx(1e-4)
    assert (lrs[1:] > lrs[:-1]).all()
    assert metrics.query("metric == 'diverged'")["value"].tolist() == [0.0]
    suggested = metrics.query("metric == 'suggested_lr'")["value"].iloc[0]
    assert 1e-4 <= suggested <= 1.0


def test_recorded_lr_follows_the_schedule(poly2_small):
    metrics, _ = train_config(_cfg(schedule="halving", epochs=4), poly2_small, seeds=[0])
    lrs = metrics.query("metric == 'lr'").sort_values("epoch")["value"].tolist()
    assert lrs == pytest.approx([0.03, 0.015, 0.0075, 0.00375])
