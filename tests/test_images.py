"""The ``images`` dataset: procedural shapes and Fashion-MNIST IDX files."""

import gzip
import hashlib
import time

import numpy as np
import pytest
import torch

from bnstudy import images
from bnstudy.images import (
    CLASS_NAMES,
    FASHION_CLASS_NAMES,
    DatasetError,
    download_fashion_mnist,
    load_fashion_mnist,
    make_images,
    make_shapes,
    render_shapes,
    write_idx,
)


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


# ---------------------------------------------------------------------------
# Fashion-MNIST


def _fake_fashion(folder, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        write_idx(folder / name, a)
    return arrays


def test_idx_round_trip(tmp_path):
    a = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x.gz", a)
    raw = gzip.decompress((tmp_path / "x.gz").read_bytes())
    assert int.from_bytes(raw[:4], "big") == 2051
    assert np.array_equal(images.read_idx(tmp_path / "x.gz", 2051), a)
    with pytest.raises(ValueError, match="unsigned bytes"):
        write_idx(tmp_path / "y.gz", a.astype(np.int32))


def test_load_fashion_mnist(tmp_path):
    arrays = _fake_fashion(tmp_path)
    d = load_fashion_mnist(tmp_path)
    assert d["name"] == "images" and d["task"] == "classification" and d["n_classes"] == 10
    assert d["class_names"] == FASHION_CLASS_NAMES
    assert d["meta"]["source"] == "fashion_mnist"
    assert d["x_train"].shape == (12, 1, 28, 28) and d["x_test"].shape == (5, 1, 28, 28)
    assert d["x_train"].dtype == torch.float32 and d["y_train"].dtype == torch.int64
    assert d["y_train"].tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist()
    # Pixels in [0, 1], standardized with the training set's scalar statistics.
    pixels = torch.from_numpy(arrays["t10k-images-idx3-ubyte.gz"]).float() / 255
    train_pixels = torch.from_numpy(arrays["train-images-idx3-ubyte.gz"]).float() / 255
    expected = (pixels - train_pixels.mean()) / train_pixels.std()
    torch.testing.assert_close(d["x_test"][:, 0], expected)
    sub = load_fashion_mnist(tmp_path, n_train=4, n_test=3)
    assert sub["x_train"].shape[0] == 4 and sub["y_test"].shape == (3,)
    with pytest.raises(DatasetError, match="asked for 13 images"):
        load_fashion_mnist(tmp_path, n_train=13)


def _corrupt(folder, case):
    """Break one file of a good fake dataset; return (file name, expected message part)."""
    img, lab = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
    if case == "missing":
        (folder / lab).unlink()
        return lab, "file not found"
    if case == "not_gzip":
        (folder / img).write_bytes(b"this is not gzip data at all")
        return img, "not a readable gzip"
    if case == "truncated_gzip":
        data = (folder / img).read_bytes()
        (folder / img).write_bytes(data[: len(data) // 2])
        return img, "truncated"
    if case == "wrong_magic":
        write_idx(folder / img, np.zeros(12, dtype=np.uint8))  # a labels file
        return img, "wrong magic number 2049, expected 2051"
    if case == "wrong_count":
        header = (2049).to_bytes(4, "big") + (20).to_bytes(4, "big")
        (folder / lab).write_bytes(gzip.compress(header + bytes(12)))
        return lab, "header says 20 labels"
    if case == "wrong_size":
        write_idx(folder / img, np.zeros((12, 28, 27), dtype=np.uint8))
        return img, "28×27 pixels, expected 28×28"
    if case == "count_mismatch":
        write_idx(folder / lab, np.zeros(11, dtype=np.uint8))
        return img, "12 images but train-labels-idx1-ubyte.gz holds 11 labels"
    if case == "bad_label":
        write_idx(folder / lab, np.full(12, 10, dtype=np.uint8))
        return lab, "label 10 outside"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not_gzip",
        "truncated_gzip",
        "wrong_magic",
        "wrong_count",
        "wrong_size",
        "count_mismatch",
        "bad_label",
    ],
)
def test_bad_files_raise_a_one_line_error_naming_the_file(tmp_path, case):
    _fake_fashion(tmp_path)
    name, problem = _corrupt(tmp_path, case)
    with pytest.raises(DatasetError) as info:
        load_fashion_mnist(tmp_path)
    message = str(info.value)
    assert name in message and problem in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def _checksums(folder):
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in images.FASHION_FILES.values()
    }


def test_download_checks_sha256(tmp_path):
    source = tmp_path / "mirror"
    _fake_fashion(source)
    sums = _checksums(source)
    target = tmp_path / "data"
    download_fashion_mnist(target, base_url=source.as_uri(), sha256=sums)
    assert _checksums(target) == sums
    assert load_fashion_mnist(target)["x_train"].shape == (12, 1, 28, 28)
    # Files already there with the right checksum are kept, not fetched again.
    download_fashion_mnist(target, base_url=(tmp_path / "nowhere").as_uri(), sha256=sums)

    bad = {**sums, "t10k-labels-idx1-ubyte.gz": "0" * 64}
    other = tmp_path / "other"
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: SHA-256 mismatch"):
        download_fashion_mnist(other, base_url=source.as_uri(), sha256=bad)
    assert not (other / "t10k-labels-idx1-ubyte.gz").exists()


def test_download_failure_names_the_file(tmp_path):
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz: download from"):
        download_fashion_mnist(
            tmp_path / "data", base_url=(tmp_path / "nowhere").as_uri(), sha256=_fake_sums()
        )


def _fake_sums():
    return {name: "0" * 64 for name in images.FASHION_FILES.values()}


def test_make_images_dispatches_on_source(tmp_path):
    d = make_images({"source": "synthetic", "n_train": 20, "n_test": 10, "seed": 1})
    assert d["meta"]["source"] == "synthetic" and d["x_train"].shape[0] == 20
    _fake_fashion(tmp_path / "fm")
    settings = {
        "source": "fashion_mnist",
        "fashion_mnist_dir": str(tmp_path / "fm"),
        "download": False,
        "n_train": 6,
        "n_test": 5,
    }
    d = make_images(settings)
    assert d["meta"]["source"] == "fashion_mnist" and d["x_train"].shape[0] == 6
    with pytest.raises(ValueError, match="allowed: synthetic, fashion_mnist"):
        make_images({**settings, "source": "mnist"})


def test_make_images_download_enforces_the_published_checksums(tmp_path):
    # Fake files on a mirror do not match the real Fashion-MNIST checksums.
    _fake_fashion(tmp_path / "mirror")
    settings = {
        "source": "fashion_mnist",
        "fashion_mnist_dir": str(tmp_path / "fm"),
        "download": True,
        "base_url": (tmp_path / "mirror").as_uri(),
    }
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        make_images(settings)
    with pytest.raises(DatasetError, match="file not found"):
        make_images({**settings, "download": False})
