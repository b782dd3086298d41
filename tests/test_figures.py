"""The figures show the right series from small synthetic families, and never a diverged seed."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
import zlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from bnstudy.families import DRAWN_FIGURES, figure_names
from bnstudy.figures.make import DRAWERS, make_figure, plot_family
from bnstudy.summary import summarize

EPOCHS = 6
SEEDS = [0, 1, 2]
BLOWUP = 1e8  # test loss of a diverging seed before it turns NaN: must never be drawn


BAD_ACC = 0.0123  # test accuracy of a diverging seed: must never be drawn

#: Every configuration column of a run (bnstudy.config.TrainConfig), at its default.
CONFIG_DEFAULTS = {
    "dataset": "poly2",
    "model": "mlp",
    "depth": 3,
    "width": 4,
    "act": "tanh",
    "bn": "none",
    "bn_layers": 0,
    "init": "default",
    "optimizer": "sgd",
    "lr": 0.03,
    "momentum": 0.0,
    "nesterov_momentum": 0.9,
    "schedule": "constant",
    "schedule_k": 10.0,
    "range_end": 1.0,
    "batch_size": 50,
    "epochs": EPOCHS,
    "diverge_factor": 1e6,
    "validation": True,
}
STEP_SECONDS = 0.2  # seconds of optimizer steps per epoch of every run


def _config(family: str, **params) -> dict:
    cid = f"{family}-" + "-".join(
        f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in params.items()
    )
    return {"family": family, "config_id": cid, **CONFIG_DEFAULTS, **params}


def _has_bn(cfg: dict) -> bool:
    return cfg["bn"] != "none" or cfg["bn_layers"] > 0


def _runs(cfg: dict, diverged_seeds: set[int], extra=None) -> list[dict]:
    """Tidy rows of every seed of one configuration; ``diverged_seeds`` blow up at epoch 3.

    Classification (dataset ``images``) adds a test accuracy; ``extra(cfg, seed)`` gives
    further ``(epoch, metric, value)`` rows of a seed that did not diverge.
    """
    rows = []
    base = 1.0 + cfg["depth"] + (-0.5 if _has_bn(cfg) else 0.0) + cfg["lr"]
    n_linear = cfg["depth"] + 1
    for seed in SEEDS:
        rng = np.random.default_rng([zlib.crc32(cfg["config_id"].encode()), seed])
        diverged = seed in diverged_seeds
        for epoch in range(1, EPOCHS + 1):
            test = base * np.exp(-0.3 * epoch) * (1 + 0.1 * rng.random())
            if diverged:
                test = BLOWUP if epoch <= 2 else np.nan
            metrics = {
                "train_loss": 0.9 * test,
                "test_loss": test,
                "lr": cfg["lr"],
                "wall_time": 0.25,
                "step_seconds": STEP_SECONDS,
            }
            if cfg["dataset"] == "images":
                metrics["test_acc"] = BAD_ACC if diverged else 1 - 0.1 * test
            for i in range(1, n_linear + 1):
                metrics[f"grad_norm.{i}"] = 0.1 * i * (1.0 if _has_bn(cfg) else 1.5)
            if epoch == EPOCHS:
                metrics["diverged"] = float(diverged)
                if _has_bn(cfg):
                    metrics["bn_mean_gap.1"] = 0.01
                if cfg["act"] == "relu":
                    metrics["dead_frac"] = 0.1
            for metric, value in metrics.items():
                rows.append({**cfg, "seed": seed, "epoch": epoch, "metric": metric, "value": value})
        if extra is not None and not diverged:
            rows += [
                {**cfg, "seed": seed, "epoch": e, "metric": m, "value": v}
                for e, m, v in extra(cfg, seed)
            ]
    return rows


def depth_family() -> tuple[pd.DataFrame, pd.DataFrame]:
    """depth {1, 3} × act {sigmoid, relu} × bn {none, pre}; seed 2 of depth 3 sigmoid none
    diverges."""
    rows = []
    for depth, act, bn in itertools.product([1, 3], ["sigmoid", "relu"], ["none", "pre"]):
        cfg = _config("depth", depth=depth, act=act, bn=bn)
        bad = {2} if (depth, act, bn) == (3, "sigmoid", "none") else set()
        rows += _runs(cfg, bad)
    tidy = pd.DataFrame(rows)
    return tidy, summarize(tidy)


def lr_family() -> tuple[pd.DataFrame, pd.DataFrame]:
    """lr {0.3, 0.03, 0.003} × depth {3, 4} × bn {none, pre}; at lr 0.3 every seed without BN
    diverges and seed 0 with BN."""
    rows = []
    for lr, depth, bn in itertools.product([0.3, 0.03, 0.003], [3, 4], ["none", "pre"]):
        cfg = _config("lr", lr=lr, depth=depth, bn=bn)
        bad = set(SEEDS) if (lr, bn) == (0.3, "none") else {0} if lr == 0.3 else set()
        rows += _runs(cfg, bad)
    tidy = pd.DataFrame(rows)
    return tidy, summarize(tidy)


FAMILIES = {"depth": depth_family, "lr": lr_family}


def _labels(ax) -> list[str]:
    return [lab for lab in ax.get_legend_handles_labels()[1] if not lab.startswith("_")]


def _data_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.get_title()]


def _finite_y(ax) -> np.ndarray:
    """Every finite y value drawn in data coordinates by the lines of ``ax``."""
    ys = [
        np.asarray(line.get_ydata(), dtype=float)
        for line in ax.get_lines()
        if line.get_label() != "_diverged" and line.get_transform().contains_branch(ax.transData)
    ]
    y = np.concatenate(ys) if ys else np.array([])
    return y[np.isfinite(y)]


def test_figure_names():
    grid = ["depth", "act", "bn"]
    assert figure_names("depth", grid) == ["curves", "final_vs_depth", "grad_ratio"]
    assert figure_names("lr", ["lr", "depth", "bn"]) == [
        "curves",
        "error_vs_lr",
        "grad_ratio",
    ]
    # A family of the user's own: curves and the final metric against each grid axis.
    assert figure_names("no-such-family", ["width", "bn"]) == [
        "curves",
        "final_vs_bn",
        "final_vs_width",
    ]
    assert figure_names("no-such-family", []) == ["curves"]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_figure_is_drawn_without_pyplot(family):
    tidy, summary = FAMILIES[family]()
    for name in figure_names(family, []):
        fig = make_figure(family, name, tidy, summary)
        assert _data_axes(fig), name
        assert all(ax.get_yscale() == "log" for ax in _data_axes(fig)), name
        assert fig.get_figwidth() == pytest.approx(7.0)
    assert plt.get_fignums() == []


def test_depth_curves_one_line_per_bn_without_the_diverged_seed():
    tidy, summary = depth_family()
    fig = make_figure("depth", "curves", tidy, summary)
    axes = _data_axes(fig)
    assert len(axes) == 2 * 2  # rows = depth {1, 3}, columns = act {sigmoid, relu}
    assert [ax.get_title() for ax in axes[:2]] == ["depth 1 · sigmoid", "depth 1 · relu"]
    for ax in axes:
        assert _labels(ax) == ["none", "pre"]
        assert _finite_y(ax).max() < BLOWUP
    # The panel of the diverged seed says so.
    assert any("none: 1/3 diverged" in t.get_text() for t in axes[2].texts)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["none", "pre"]


def test_lr_curves_one_line_per_lr_and_all_diverged_named():
    tidy, summary = lr_family()
    fig = make_figure("lr", "curves", tidy, summary)
    axes = _data_axes(fig)
    assert len(axes) == 2 * 2  # rows = depth {3, 4}, columns = bn {none, pre}
    none_panel, pre_panel = axes[0], axes[1]
    assert none_panel.get_title() == "depth 3 · BN none"
    assert _labels(none_panel) == ["0.03", "0.003"]  # lr 0.3 diverged on every seed
    assert _labels(pre_panel) == ["0.3", "0.03", "0.003"]
    assert any("all seeds diverged: 0.3 (3/3)" in t.get_text() for t in none_panel.texts)
    for ax in axes:
        assert _finite_y(ax).max() < BLOWUP
    # Each lr has its own colour.
    colours = {tuple(line.get_color()) for line in pre_panel.get_lines()}
    assert len(colours) == 3


def test_final_vs_depth_interval_lines_per_bn():
    tidy, summary = depth_family()
    fig = make_figure("depth", "final_vs_depth", tidy, summary)
    axes = _data_axes(fig)
    assert [ax.get_title() for ax in axes] == ["sigmoid", "relu"]
    for ax in axes:
        assert _labels(ax) == ["none", "pre"]
        assert len(ax.containers) == 2  # one errorbar series per BN placement
        assert _finite_y(ax).max() < BLOWUP
    # The sigmoid, depth-3, no-BN point has one diverged seed: marked with a cross and 1/3.
    crosses = [line for line in axes[0].get_lines() if line.get_label() == "_diverged"]
    assert len(crosses) == 1
    assert [t.get_text() for t in axes[0].texts] == ["1/3"]
    # The axis leaves room above the data (and interval caps) for the cross.
    top = _finite_y(axes[0]).max()
    to_axes = axes[0].transAxes.inverted()
    assert to_axes.transform(axes[0].transData.transform((1.0, top)))[1] < 0.85
    assert not [line for line in axes[1].get_lines() if line.get_label() == "_diverged"]


def test_error_vs_lr_marks_diverged_lrs_instead_of_plotting_them():
    tidy, summary = lr_family()
    fig = make_figure("lr", "error_vs_lr", tidy, summary)
    axes = _data_axes(fig)
    assert [ax.get_title() for ax in axes] == ["depth 3", "depth 4"]
    for ax in axes:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert _labels(ax) == ["none", "pre"]
        none_line = ax.containers[0].lines[0]
        xs = np.asarray(none_line.get_xdata(), dtype=float)
        ys = np.asarray(none_line.get_ydata(), dtype=float)
        at_03 = np.isclose(xs, 0.3, rtol=0.2)
        assert at_03.sum() == 1 and not np.isfinite(ys[at_03]).any()
        assert np.isfinite(ys[~at_03]).all()
        assert sorted(t.get_text() for t in ax.texts) == ["1/3", "3/3"]


@pytest.mark.parametrize(
    "family,panels,x",
    [("depth", ["sigmoid", "relu"], "depth"), ("lr", ["depth 3", "depth 4"], "lr")],
)
def test_grad_ratio_has_reference_line_and_a_line_per_bn(family, panels, x):
    tidy, summary = FAMILIES[family]()
    fig = make_figure(family, "grad_ratio", tidy, summary)
    axes = _data_axes(fig)
    assert [ax.get_title() for ax in axes] == panels
    ratio = summary["grad_first"] / summary["grad_last"]
    for ax in axes:
        assert _labels(ax) == ["none", "pre"]
        flat = [line for line in ax.get_lines() if list(line.get_ydata()) == [1.0, 1.0]]
        assert len(flat) == 1
        y = _finite_y(ax)
        assert ratio.min() - 1e-9 <= y[y != 1.0].min() and y.max() <= ratio.max() + 1e-9
        assert ax.get_xscale() == ("log" if x == "lr" else "linear")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_plot_family_writes_identical_parseable_svgs(family, tmp_path):
    tidy, summary = FAMILIES[family]()
    tidy_path, summary_path = tmp_path / "tidy.csv", tmp_path / "summary.csv"
    tidy.to_csv(tidy_path, index=False)
    summary.to_csv(summary_path, index=False)
    names = figure_names(family, [])
    runs = []
    for run in ("a", "b"):
        outputs = {name: str(tmp_path / run / f"{name}.svg") for name in names}
        plot_family(family, tidy_path, summary_path, outputs)
        runs.append({name: open(path, "rb").read() for name, path in outputs.items()})
    for name in names:
        data = runs[0][name]
        assert len(data) > 1000
        assert ET.fromstring(data).tag.endswith("svg")
        assert data == runs[1][name], f"{name} is not reproducible"
    assert not list(tmp_path.glob("*/.*.tmp"))
    assert plt.get_fignums() == []


def test_unknown_figure_is_an_error():
    tidy, summary = depth_family()
    with pytest.raises(ValueError, match="unknown figure"):
        make_figure("depth", "nonsense", tidy, summary)


def test_every_figure_drawn_its_own_way_has_a_drawer():
    assert set(DRAWERS) == set(DRAWN_FIGURES)
