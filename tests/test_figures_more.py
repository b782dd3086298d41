"""Figures of the families beyond depth and lr, the generic figures and the sample images.

Each family is a small synthetic grid (the helpers of ``test_figures``) with known
values, so each test checks that a figure shows the right panels, series and
labels, and that a diverged seed is counted, never drawn.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from test_figures import (
    BAD_ACC,
    BLOWUP,
    EPOCHS,
    SEEDS,
    _config,
    _data_axes,
    _finite_y,
    _labels,
    _runs,
)

from bnstudy import families, vocab
from bnstudy.families import KNOWN_FAMILIES, figure_names
from bnstudy.figures.captions import figure_caption
from bnstudy.figures.make import make_figure
from bnstudy.figures.samples import plot_samples, sample_figure
from bnstudy.summary import summarize

IMAGES = {"dataset": "images", "model": "wide_mlp"}
SCHEDULES = [s for s in vocab.SCHEDULES if s != "range_test"]  # the range test has its own
RANGE_STEPS = 30


def _family(family: str, grid: dict, fixed=None, diverged=None, extra=None):
    """(tidy, summary) of ``grid`` crossed; ``diverged(point)`` gives the seeds that diverge."""
    rows = []
    for point in itertools.product(*grid.values()):
        params = dict(zip(grid, point, strict=True))
        cfg = _config(family, **(fixed or {}), **params)
        rows += _runs(cfg, diverged(params) if diverged else set(), extra)
    tidy = pd.DataFrame(rows)
    return tidy, summarize(tidy)


def _bn_var_gap(cfg, seed):
    """Running variance error shrinking with the batch: 1 / batch size."""
    return [(EPOCHS, "bn_var_gap.1", 1.0 / cfg["batch_size"])] if cfg["bn"] != "none" else []


def _bn1_params(cfg, seed):
    """γ_c = 1 + 0.1·c + 0.01·seed, β_c = −0.05·c for the 6 channels of LeNet's first BN."""
    if cfg["bn"] == "none":
        return []
    rows = [(EPOCHS, f"bn1_gamma.{c}", 1 + 0.1 * c + 0.01 * seed) for c in range(1, 7)]
    return rows + [(EPOCHS, f"bn1_beta.{c}", -0.05 * c) for c in range(1, 7)]


def suggested(seed: int) -> float:
    return 0.01 * (1 + 0.1 * seed)


def _sweep(cfg, seed):
    """An LR range test: loss lowest at lr 1e-2, seed 0 ends in a non-finite loss."""
    lrs = 1e-4 * 1e4 ** (np.arange(RANGE_STEPS) / (RANGE_STEPS - 1))
    loss = 1 + (np.log10(lrs) + 2) ** 2 + 0.1 * seed
    if seed == 0:
        loss[-1] = np.inf
    rows = [(s, "range_lr", lr) for s, lr in enumerate(lrs, 1)]
    rows += [(s, "range_loss", v) for s, v in enumerate(loss, 1)]
    return rows + [(EPOCHS, "suggested_lr", suggested(seed))]


def simple_family():
    return _family(
        "simple",
        {"depth": [1, 4], "act": ["sigmoid", "tanh"], "bn": ["none", "pre"]},
        {"dataset": "linear"},
        lambda p: {1} if p == {"depth": 4, "act": "sigmoid", "bn": "none"} else set(),
    )


def batch_family():
    return _family(
        "batch",
        {"batch_size": [2, 8, 64, 256], "depth": [1, 3], "bn": ["none", "pre"]},
        diverged=lambda p: {0} if (p["batch_size"], p["bn"]) == (2, "pre") else set(),
        extra=_bn_var_gap,
    )


def schedule_family():
    tidy, _ = _family("schedule", {"schedule": SCHEDULES, "bn": ["none", "pre"]})
    # The lr metric is the lr used: halving halves it every epoch.
    halving = (tidy["metric"] == "lr") & (tidy["schedule"] == "halving")
    tidy.loc[halving, "value"] *= 0.5 ** (tidy.loc[halving, "epoch"] - 1)
    return tidy, summarize(tidy)


def init_family():
    grid = {
        "init": ["default", "xavier", "kaiming"],
        "bn": ["none", "pre"],
        "act": ["tanh", "relu"],
    }
    return _family("init", grid, {"depth": 4})


def optimizer_family():
    grid = {
        "optimizer": ["sgd", "nesterov", "adam"],
        "bn_layers": [0, 1],
        "act": ["sigmoid", "relu"],
    }
    bad = {"optimizer": "sgd", "bn_layers": 0, "act": "sigmoid"}
    return _family("optimizer", grid, IMAGES, lambda p: {2} if p == bad else set())


def bn_layers_family():
    return _family("bn_layers", {"bn_layers": [0, 1, 2, 3, 4], "act": ["sigmoid", "relu"]}, IMAGES)


def image_batch_family():
    return _family(
        "image_batch",
        {"batch_size": [4, 64, 256, 1024], "bn_layers": [0, 1]},
        {**IMAGES, "act": "sigmoid", "optimizer": "nesterov"},
        lambda p: {1} if p == {"batch_size": 4, "bn_layers": 1} else set(),
    )


def lenet_family():
    """At lr 1.0 every seed without BN diverges, and seed 0 of the hand-written BN."""

    def diverged(p):
        if p["lr"] == 1.0:
            return set(SEEDS) if p["bn"] == "none" else {0} if p["bn"] == "scratch" else set()
        return set()

    grid = {"bn": ["none", "library", "scratch"], "lr": [0.1, 0.3, 1.0]}
    fixed = {"dataset": "images", "model": "lenet", "batch_size": 256}
    return _family("lenet", grid, fixed, diverged, _bn1_params)


#: d2l's setting: (BN, lr) -> the final test accuracy of seeds 0, 1, 2 (None: diverged).
D2L_ACCURACY = {
    ("none", 0.9): (0.75, 0.76, 0.77),
    ("library", 1.0): (0.80, 0.85, 0.88),
    ("scratch", 1.0): (0.79, 0.81, None),
}


def lenet_d2l_family():
    """d2l's LeNet setting with known final accuracies; seed 2 of the hand-written BN
    diverges. Trained on the validation images too, as d2l did."""
    fixed = {"dataset": "images", "model": "lenet", "batch_size": 256, "validation": False}
    rows = []
    for (bn, lr), accs in D2L_ACCURACY.items():
        cfg = _config("lenet_d2l", **fixed, bn=bn, lr=lr)
        rows += _runs(cfg, {s for s, a in zip(SEEDS, accs, strict=True) if a is None})
    tidy = pd.DataFrame(rows)
    summary = summarize(tidy)
    for (bn, lr), accs in D2L_ACCURACY.items():
        for seed, acc in zip(SEEDS, accs, strict=True):
            if acc is not None:
                at = (summary["bn"] == bn) & (summary["lr"] == lr) & (summary["seed"] == seed)
                summary.loc[at, "final_acc"] = acc
    return tidy, summary


def lr_range_family():
    fixed = {"schedule": "range_test", "lr": 1e-4}
    return _family("lr_range", {"bn": ["none", "pre"], "depth": [3, 4]}, fixed, extra=_sweep)


def my_widths_family():
    """A family of the user's own; seed 0 of width 8 without BN diverges."""
    return _family(
        "my_widths",
        {"width": [2, 4, 8], "bn": ["none", "pre"]},
        diverged=lambda p: {0} if p == {"width": 8, "bn": "none"} else set(),
    )


FAMILIES = {
    "simple": simple_family,
    "batch": batch_family,
    "schedule": schedule_family,
    "init": init_family,
    "optimizer": optimizer_family,
    "bn_layers": bn_layers_family,
    "image_batch": image_batch_family,
    "lenet": lenet_family,
    "lenet_d2l": lenet_d2l_family,
    "lr_range": lr_range_family,
    "my_widths": my_widths_family,
}
GRIDS = {"my_widths": ["width", "bn"]}


def _draw(family: str, name: str):
    tidy, summary = FAMILIES[family]()
    return make_figure(family, name, tidy, summary), summary


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in _data_axes(fig)]


def _crosses(ax) -> int:
    return sum(line.get_label() == "_diverged" for line in ax.get_lines())


def _ticklabels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def test_known_families_in_study_order_each_with_figures_and_words():
    # docs/study.md §4's order: the MLP families on regression, then images, then the range test.
    assert KNOWN_FAMILIES[:4] == ("depth", "simple", "batch", "lr")
    assert KNOWN_FAMILIES.index("optimizer") < KNOWN_FAMILIES.index("lenet")
    assert KNOWN_FAMILIES[-1] == "lr_range" and set(KNOWN_FAMILIES) == set(families.FAMILIES)
    for fam in KNOWN_FAMILIES:
        spec = families.FAMILIES[fam]
        assert spec.figures[0] == "curves"
        assert spec.title and spec.description
        for name in spec.figures:
            assert figure_caption(fam, name), (fam, name)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_figure_drawn_and_no_diverged_value_plotted(family):
    tidy, summary = FAMILIES[family]()
    for name in figure_names(family, GRIDS.get(family, [])):
        fig = make_figure(family, name, tidy, summary)
        axes = _data_axes(fig)
        assert axes and fig.get_figwidth() == pytest.approx(7.0), name
        for ax in axes:
            y = _finite_y(ax)
            assert not (y >= BLOWUP).any(), name
            assert not np.isclose(y, BAD_ACC).any(), name
    assert plt.get_fignums() == []


def test_simple_final_vs_depth_per_activation_with_bn_lines():
    fig, _ = _draw("simple", "final_vs_depth")
    axes = _data_axes(fig)
    assert _titles(fig) == ["sigmoid", "tanh"]
    for ax in axes:
        assert _labels(ax) == ["none", "pre"]
        assert [float(t) for t in ax.get_xticks()] == [1.0, 4.0]
    assert "MSE" in axes[0].get_ylabel()
    assert _crosses(axes[0]) == 1 and [t.get_text() for t in axes[0].texts] == ["1/3"]


def test_batch_figures_log_batch_axis_and_running_stats_for_bn_only():
    fig, _ = _draw("batch", "final_vs_batch")
    axes = _data_axes(fig)
    assert _titles(fig) == ["depth 1", "depth 3"]
    for ax in axes:
        assert ax.get_xscale() == "log" and _labels(ax) == ["none", "pre"]
        assert _ticklabels(ax) == ["2", "8", "64", "256"]
        assert [t.get_text() for t in ax.texts] == ["1/3"]  # BN pre at batch 2, seed 0
    fig, summary = _draw("batch", "running_stats")
    (ax,) = _data_axes(fig)
    assert ax.get_title() == "BN pre"
    assert _labels(ax) == ["1", "3"]  # one line per depth
    means = [np.asarray(c.lines[0].get_ydata(), dtype=float) for c in ax.containers]
    expected = 0.01 + 1.0 / np.array([2, 8, 64, 256])
    for y in means:
        assert np.allclose(y, expected)
    curves = make_figure("batch", "curves", *batch_family())
    assert [a.get_title() for a in _data_axes(curves)][:2] == [
        "depth 1 · BN none",
        "depth 1 · BN pre",
    ]
    assert _labels(_data_axes(curves)[0]) == ["2", "8", "64", "256"]


def test_schedule_final_and_volatility_per_schedule_and_lr_trajectories():
    fig, _ = _draw("schedule", "final_vs_schedule")
    axes = _data_axes(fig)
    assert _titles(fig) == ["final loss", "volatility"]
    for ax in axes:
        assert _ticklabels(ax) == SCHEDULES
        assert _labels(ax) == ["none", "pre"]
        # Categories: points with intervals, not a line through the schedules.
        assert all(c.lines[0].get_linestyle() == "None" for c in ax.containers)
    fig, _ = _draw("schedule", "lr_trajectories")
    axes = _data_axes(fig)
    assert _titles(fig) == ["BN none", "BN pre"]
    assert axes[0].get_yscale() == "log" and "learning rate" in axes[0].get_ylabel()
    assert _labels(axes[0]) == SCHEDULES
    halving = next(line for line in axes[0].get_lines() if line.get_label() == "halving")
    assert np.allclose(halving.get_ydata(), 0.03 * 0.5 ** np.arange(EPOCHS))


def test_init_final_per_init_panels_per_activation():
    fig, _ = _draw("init", "final_vs_init")
    assert _titles(fig) == ["tanh", "relu"]
    for ax in _data_axes(fig):
        assert _ticklabels(ax) == ["default", "xavier", "kaiming"]
        assert _labels(ax) == ["none", "pre"]


def test_optimizer_speed_and_accuracy_panels_per_activation():
    fig, summary = _draw("optimizer", "speed_acc_vs_optimizer")
    axes = _data_axes(fig)
    assert _titles(fig) == ["sigmoid", "relu", "sigmoid", "relu"]
    assert "speed" in axes[0].get_ylabel() and "accuracy" in axes[2].get_ylabel()
    for ax in axes:
        assert ax.get_yscale() == "linear"
        assert _labels(ax) == ["0", "1"]
    assert _ticklabels(axes[2]) == _ticklabels(axes[3]) == ["sgd", "nesterov", "adam"]
    # sigmoid, no BN, sgd: seed 2 diverged; its accuracy is left out of the mean.
    acc = summary[(summary["act"] == "sigmoid") & (summary["bn_layers"] == 0)]
    acc = acc[(acc["optimizer"] == "sgd") & (acc["diverged"] == 0)]["final_acc"]
    none_line = axes[2].containers[0].lines[0]
    assert np.asarray(none_line.get_ydata())[0] == pytest.approx(acc.mean())
    assert [t.get_text() for t in axes[2].texts] == ["1/3"]
    curves = make_figure("optimizer", "curves", *optimizer_family())
    ax = _data_axes(curves)[0]
    assert ax.get_title() == "sigmoid · sgd" and ax.get_ylabel() == "test accuracy"
    assert ax.get_yscale() == "linear" and _labels(ax) == ["0", "1"]
    assert "1/3 diverged" in " ".join(t.get_text() for t in ax.texts)


def test_bn_layers_speed_and_accuracy_against_k():
    fig, _ = _draw("bn_layers", "speed_acc_vs_bn_layers")
    axes = _data_axes(fig)
    assert _titles(fig) == ["speed", "final accuracy"]
    for ax in axes:
        assert _labels(ax) == ["sigmoid", "relu"]
        assert [float(t) for t in ax.get_xticks()] == [0, 1, 2, 3, 4]
        assert ax.get_xlabel() == "BN layers k"


def test_image_batch_accuracy_against_log_batch():
    fig, _ = _draw("image_batch", "acc_vs_batch")
    (ax,) = _data_axes(fig)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert _labels(ax) == ["0", "1"]
    assert _ticklabels(ax) == ["4", "64", "256", "1024"]
    assert [t.get_text() for t in ax.texts] == ["1/3"]


def test_lenet_accuracy_curves_per_lr_and_accuracy_vs_lr():
    fig, _ = _draw("lenet", "curves")
    axes = _data_axes(fig)
    assert _titles(fig) == ["lr 1", "lr 0.3", "lr 0.1"]
    assert _labels(axes[0]) == ["library", "scratch"]  # no BN at lr 1.0: all diverged
    assert _labels(axes[1]) == ["none", "library", "scratch"]
    assert any("all seeds diverged: none (3/3)" in t.get_text() for t in axes[0].texts)
    assert axes[0].get_ylabel() == "test accuracy"
    fig, _ = _draw("lenet", "acc_vs_lr")
    (ax,) = _data_axes(fig)
    assert ax.get_xscale() == "log" and _labels(ax) == ["none", "library", "scratch"]
    assert sorted(t.get_text() for t in ax.texts) == ["1/3", "3/3"]


def test_d2l_accuracy_places_the_published_runs_beside_the_seeds():
    from bnstudy.report.published import d2l_runs

    fig, summary = _draw("lenet_d2l", "d2l_accuracy")
    (ax,) = _data_axes(fig)
    assert _ticklabels(ax) == ["BN none\nlr 0.9", "BN library\nlr 1", "BN scratch\nlr 1"]
    bns = [lab for lab in _labels(ax) if not lab.startswith("d2l")]
    assert bns == ["none", "library", "scratch"]
    # Each setting's mean over its non-diverged seeds, at its own position.
    means = {
        round(float(c.lines[0].get_xdata()[0])): float(c.lines[0].get_ydata()[0])
        for c in ax.containers
    }
    assert means == pytest.approx({0: 0.76, 1: np.mean([0.80, 0.85, 0.88]), 2: 0.80})
    seeds = [line for line in ax.get_lines() if line.get_label() == "_seeds"]
    assert sorted(len(line.get_xdata()) for line in seeds) == [2, 3, 3]  # diverged: not drawn
    assert [t.get_text() for t in ax.texts] == ["1/3"]
    # The five published runs as diamonds beside their settings, by execution.
    published = [line for line in ax.get_lines() if line.get_label().startswith("d2l")]
    drawn = sorted(
        (round(float(line.get_xdata()[0])), float(line.get_ydata()[0])) for line in published
    )
    expected = {("none", 0.9): 0, ("library", 1.0): 1, ("scratch", 1.0): 2}
    want = sorted((expected[(r["bn"], r["lr"])], r["value"]) for r in d2l_runs())
    assert drawn == want
    assert {line.get_label() for line in published} == {
        "d2l, the book's run",
        "d2l, second execution",
    }


def test_lenet_learned_gamma_beta_per_channel_for_bn_variants():
    fig, _ = _draw("lenet", "bn_affine")
    axes = _data_axes(fig)
    assert _titles(fig) == [f"{s} · lr {lr}" for s in "γβ" for lr in ("1", "0.3", "0.1")]
    gamma_lr01 = axes[2]
    assert _labels(gamma_lr01) == ["library", "scratch"]
    assert [float(t) for t in gamma_lr01.get_xticks()] == [1, 2, 3, 4, 5, 6]
    for container in gamma_lr01.containers:
        mean = np.asarray(container.lines[0].get_ydata(), dtype=float)
        assert np.allclose(mean, 1 + 0.1 * np.arange(1, 7) + 0.01 * np.mean(SEEDS))
        assert container.lines[0].get_linestyle() == "None"  # channels are not joined
    seeds = [line for line in gamma_lr01.get_lines() if line.get_label() == "_seeds"]
    assert [len(line.get_xdata()) for line in seeds] == [6 * len(SEEDS)] * 2
    # Seed 0 of the hand-written BN diverged at lr 1.0: counted in both rows, not drawn.
    assert [t.get_text() for t in axes[0].texts] == ["1/3"] * 6
    assert [t.get_text() for t in axes[3].texts] == ["1/3"] * 6
    beta = np.asarray(axes[5].containers[0].lines[0].get_ydata(), dtype=float)
    assert np.allclose(beta, -0.05 * np.arange(1, 7))


def test_lr_range_smoothed_loss_against_lr_with_suggestion_marked():
    fig, _ = _draw("lr_range", "range_test")
    axes = _data_axes(fig)
    assert _titles(fig) == ["depth 3", "depth 4"]
    expected = float(np.exp(np.mean(np.log([suggested(s) for s in SEEDS]))))
    for ax in axes:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert _labels(ax)[:2] == ["none", "pre"]
        marks = [line for line in ax.get_lines() if line.get_label() == "_suggested"]
        assert len(marks) == 2
        assert all(np.allclose(line.get_xdata(), expected) for line in marks)
        curve = next(line for line in ax.get_lines() if line.get_label() == "none")
        x = np.asarray(curve.get_xdata(), dtype=float)
        assert len(x) == RANGE_STEPS and np.all(np.diff(x) > 0)
        assert x[0] == pytest.approx(1e-4) and x[-1] < 1.0  # the smoothed lr lags behind
        assert np.isfinite(curve.get_ydata()).all()
        # Smoothed as the suggestion is (β = vocab.RANGE_TEST_SMOOTHING): the mean over
        # seeds 0, 1, 2 of the smoothed losses, before seed 0's sweep ends.
        lrs = 1e-4 * 1e4 ** (np.arange(RANGE_STEPS) / (RANGE_STEPS - 1))
        base = pd.Series(1 + (np.log10(lrs) + 2) ** 2)
        smooth = base.ewm(alpha=1 - vocab.RANGE_TEST_SMOOTHING, adjust=True).mean() + 0.1
        assert np.allclose(curve.get_ydata()[:-1], smooth.to_numpy()[:-1])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["none", "pre", "suggested lr"]
    assert f"β = {vocab.RANGE_TEST_SMOOTHING}" in figure_caption("lr_range", "range_test")


def test_generic_figures_of_a_user_family():
    assert figure_names("my_widths", ["width", "bn"]) == [
        "curves",
        "final_vs_bn",
        "final_vs_width",
    ]
    fig, _ = _draw("my_widths", "final_vs_width")
    (ax,) = _data_axes(fig)
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    assert _labels(ax) == ["none", "pre"]
    assert [float(t) for t in ax.get_xticks()] == [2, 4, 8]
    assert [t.get_text() for t in ax.texts] == ["1/3"]
    fig, _ = _draw("my_widths", "final_vs_bn")
    (ax,) = _data_axes(fig)
    assert _ticklabels(ax) == ["none", "pre"] and _labels(ax) == ["2", "4", "8"]
    fig, _ = _draw("my_widths", "curves")
    assert _titles(fig) == ["width 2", "width 4", "width 8"]
    assert all(_labels(ax) == ["none", "pre"] for ax in _data_axes(fig))
    caption = figure_caption("my_widths", "final_vs_width", my_widths_family()[1])
    assert "geometric mean" in caption and "One line per BN" in caption


def test_generic_figures_use_accuracy_and_panels_for_more_axes():
    tidy, summary = _family(
        "my_images",
        {"width": [2, 8], "bn_layers": [0, 1], "lr": [0.01, 0.1]},
        IMAGES,
    )
    fig = make_figure("my_images", "final_vs_lr", tidy, summary)
    axes = _data_axes(fig)
    # Lines: the first other axis in column order (width); panels: the next (BN layers).
    assert _titles(fig) == ["0 BN layers", "1 BN layer"]
    assert axes[0].get_ylabel() == "final test accuracy" and axes[0].get_xscale() == "log"
    assert _labels(axes[0]) == ["2", "8"]
    # A known figure name on a user family is still the generic plot.
    fig = make_figure("my_images", "final_vs_depth", tidy, summary)
    assert _data_axes(fig)
    curves = make_figure("my_images", "curves", tidy, summary)
    assert _data_axes(curves)[0].get_ylabel() == "test accuracy"
    with pytest.raises(ValueError, match="no configuration column"):
        make_figure("my_images", "final_vs_nothing", tidy, summary)


def _fake_images(n_per_class: list[int]) -> dict:
    g = torch.Generator().manual_seed(0)
    y = torch.cat([torch.full((n,), c, dtype=torch.int64) for c, n in enumerate(n_per_class)])
    y = y[torch.randperm(len(y), generator=g)]
    return {
        "name": "images",
        "x_train": torch.randn(len(y), 1, 28, 28, generator=g),
        "y_train": y,
        "class_names": [f"class {c}" for c in range(len(n_per_class))],
        "meta": {"source": "synthetic"},
    }


def test_plot_samples_first_images_of_each_class(tmp_path):
    data = _fake_images([5, 4, 4, 4, 4, 4, 4, 4, 4, 2])  # the last class has only 2
    path = tmp_path / "images.pt"
    torch.save(data, path)
    out = tmp_path / "samples.svg"
    plot_samples(str(path), str(out), per_class=4)
    svg = out.read_bytes()
    assert ET.fromstring(svg).tag.endswith("svg") and svg.count(b"<image") == 9 * 4 + 2

    fig = sample_figure(
        {**data, "x_train": data["x_train"].numpy(), "y_train": data["y_train"].numpy()}
    )
    axes = np.array(fig.axes).reshape(4, 10)
    assert [ax.get_title() for ax in axes[0]] == data["class_names"]
    first_of_class_0 = int(torch.nonzero(data["y_train"] == 0)[1])  # the second image
    shown = axes[1, 0].get_images()[0].get_array()
    assert np.allclose(shown, data["x_train"][first_of_class_0, 0].numpy())
    assert not axes[3, 9].get_images() and axes[1, 9].get_images()
    assert "procedurally generated shapes" in fig.get_suptitle()
    assert plt.get_fignums() == []
