"""The synthetic ``images`` dataset: procedural shapes (Fashion-MNIST: test_fashion.py)."""

import time

import pytest
import torch

from bnstudy import images
from bnstudy.images import CLASS_NAMES, make_shapes, render_shapes


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=600, n_test=200, seed=3)


def test_shapes_dict_has_the_dataset_layout(shapes):
    d = shapes
    assert d["name"] == "images" and d["task"] == "classification"
    assert d["n_classes"] == 10 and d["class_names"] == CLASS_NAMES
    assert len(set(CLASS_NAMES)) == 10
    assert d["x_train"].shape == (600, 1, 28, 28) and d["x_train"].dtype == torch.float32
    assert d["x_test"].shape == (200, 1, 28, 28) and d["x_test"].dtype == torch.float32
    assert d["y_train"].shape == (600,) and d["y_train"].dtype == torch.int64
    assert d["y_test"].shape == (200,) and d["y_test"].dtype == torch.int64
    assert {"source": "synthetic", "seed": 3, "n_train": 600, "n_test": 200}.items() <= d[
        "meta"
    ].items()
    # Balanced classes in both splits.
    assert d["y_train"].bincount(minlength=10).tolist() == [60] * 10
    assert d["y_test"].bincount(minlength=10).tolist() == [20] * 10


def test_pixels_are_standardized_with_training_statistics_only(shapes):
    x = shapes["x_train"]
    assert abs(x.mean().item()) < 1e-4 and abs(x.std().item() - 1) < 1e-4
    # The test set went through the training set's transform, not its own.
    mean, std = shapes["meta"]["pixel_mean"], shapes["meta"]["pixel_std"]
    raw_test = shapes["x_test"] * std + mean
    assert not torch.allclose(shapes["x_test"], (raw_test - raw_test.mean()) / raw_test.std())


def test_same_seed_same_data_other_seed_other_data(shapes):
    again = make_shapes(n_train=600, n_test=200, seed=3)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(shapes[key], again[key])
    other = make_shapes(n_train=600, n_test=200, seed=4)
    assert not torch.equal(shapes["x_train"], other["x_train"])


def test_test_set_is_its_own_stream_independent_of_n_train(shapes):
    # Equal sizes would give identical splits if both came from one stream.
    d = make_shapes(n_train=50, n_test=50, seed=3)
    assert not torch.equal(d["y_train"], d["y_test"])
    assert not torch.allclose(d["x_train"], d["x_test"])
    bigger = make_shapes(n_train=900, n_test=200, seed=3)
    assert torch.equal(bigger["y_test"], shapes["y_test"])
    raw = shapes["x_test"] * shapes["meta"]["pixel_std"] + shapes["meta"]["pixel_mean"]
    raw_big = bigger["x_test"] * bigger["meta"]["pixel_std"] + bigger["meta"]["pixel_mean"]
    torch.testing.assert_close(raw, raw_big, atol=1e-5, rtol=0)


def test_every_class_draws_a_visible_shape_inside_the_frame(monkeypatch):
    monkeypatch.setitem(images.SHAPE_PARAMS, "noise", 0.0)
    monkeypatch.setitem(images.SHAPE_PARAMS, "clutter_strokes", 0)
    monkeypatch.setitem(images.SHAPE_PARAMS, "background", (0.0, 0.0))
    x, y = render_shapes(300, torch.Generator().manual_seed(0))
    ink = x[:, 0]  # (n, 28, 28), only the shape now
    inked = (ink > 0.3).sum((1, 2))
    assert inked.min() >= 10, "some image has (almost) no shape on it"
    border = torch.cat([ink[:, 0], ink[:, -1], ink[:, :, 0], ink[:, :, -1]], dim=1)
    assert (border > 0.3).float().mean() < 0.01, "shapes run off the image"
    # Classes differ: a nearest-class-mean classifier separates clean shapes well.
    means = torch.stack([ink[y == c].mean(0) for c in range(10)])  # (10, 28, 28)
    assert torch.cdist(means.flatten(1), means.flatten(1)).add(100 * torch.eye(10)).min() > 0.5


def test_labels_carry_signal_in_the_noisy_images(shapes):
    x_tr, y_tr = shapes["x_train"].flatten(1), shapes["y_train"]
    centroids = torch.stack([x_tr[y_tr == c].mean(0) for c in range(10)])
    pred = torch.cdist(shapes["x_test"].flatten(1), centroids).argmin(1)
    acc = (pred == shapes["y_test"]).float().mean().item()
    assert acc > 0.25  # chance is 0.1


def test_generation_is_fast():
    start = time.perf_counter()
    make_shapes(n_train=3000, n_test=1000, seed=0)
    assert time.perf_counter() - start < 5.0


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="n_train"):
        make_shapes(n_train=1, n_test=10, seed=0)
