"""Fashion-MNIST from IDX files: reading, integrity of the content, download, and the
validation split held out of the training images."""

import gzip
import hashlib

import numpy as np
import pytest
import torch

from bnstudy import fashion
from bnstudy.data import hold_out, make_images
from bnstudy.fashion import DatasetError, write_idx


def load_fashion_mnist(folder, n_train=None, n_test=None, n_val=0, verify=False):
    """The images dataset from the IDX files in ``folder`` (fakes: no published checksums)."""
    settings = {
        "source": "fashion_mnist",
        "fashion_mnist_dir": str(folder),
        "seed": 420,
        "n_val": n_val,
        "verify_checksums": verify,
    }
    return make_images({**settings, "n_train": n_train, "n_test": n_test})


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
    assert np.array_equal(fashion.read_idx(tmp_path / "x.gz", 2051), a)
    with pytest.raises(ValueError, match="unsigned bytes"):
        write_idx(tmp_path / "y.gz", a.astype(np.int32))


def test_load_fashion_mnist(tmp_path):
    arrays = _fake_fashion(tmp_path)
    d = load_fashion_mnist(tmp_path)
    assert d["name"] == "images" and d["task"] == "classification" and d["n_classes"] == 10
    assert d["class_names"] == fashion.CLASS_NAMES
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
        for name in fashion.FILES.values()
    }


def test_download_checks_sha256(tmp_path):
    source = tmp_path / "mirror"
    _fake_fashion(source)
    sums = _checksums(source)
    target = tmp_path / "data"
    fashion.download(target, base_url=source.as_uri(), sha256=sums)
    assert _checksums(target) == sums
    assert load_fashion_mnist(target)["x_train"].shape == (12, 1, 28, 28)
    # Files already there with the right checksum are kept, not fetched again.
    fashion.download(target, base_url=(tmp_path / "nowhere").as_uri(), sha256=sums)

    bad = {**sums, "t10k-labels-idx1-ubyte.gz": "0" * 64}
    other = tmp_path / "other"
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: SHA-256 mismatch"):
        fashion.download(other, base_url=source.as_uri(), sha256=bad)
    assert not (other / "t10k-labels-idx1-ubyte.gz").exists()


def test_download_failure_names_the_file(tmp_path):
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz: download from"):
        fashion.download(
            tmp_path / "data", base_url=(tmp_path / "nowhere").as_uri(), sha256=_fake_sums()
        )


def _fake_sums():
    return {name: "0" * 64 for name in fashion.FILES.values()}


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
        "seed": 1,
        "verify_checksums": False,
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


def _publish(monkeypatch, folder):
    """Make the fake files in ``folder`` "the published ones": their counts and content."""
    monkeypatch.setattr(fashion, "COUNTS", {"train": 12, "test": 5})
    content = {
        name: hashlib.sha256(gzip.decompress((folder / name).read_bytes())).hexdigest()
        for name in fashion.FILES.values()
    }
    monkeypatch.setattr(fashion, "CONTENT_SHA256", content)


def test_integrity_is_checked_on_the_decompressed_content(tmp_path, monkeypatch):
    arrays = _fake_fashion(tmp_path)
    _publish(monkeypatch, tmp_path)
    fashion.verify_folder(tmp_path)
    # Recompressed (as Debian ships them): other .gz bytes, the same content — passes.
    name = "train-images-idx3-ubyte.gz"
    raw = gzip.decompress((tmp_path / name).read_bytes())
    (tmp_path / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=123))
    fashion.verify_folder(tmp_path)
    assert load_fashion_mnist(tmp_path, verify=True)["x_train"].shape == (12, 1, 28, 28)
    # One pixel changed, the file still well-formed: the content check names the file.
    changed = arrays[name].copy()
    changed[0, 0, 0] ^= 1
    write_idx(tmp_path / name, changed)
    with pytest.raises(DatasetError, match=f"{name}: content differs from the published"):
        fashion.verify_folder(tmp_path)


def test_the_published_sample_counts_are_required(tmp_path, monkeypatch):
    _fake_fashion(tmp_path, n_train=12)
    _publish(monkeypatch, tmp_path)
    monkeypatch.setattr(fashion, "CONTENT_SHA256", {})  # counts alone
    monkeypatch.setattr(fashion, "COUNTS", {"train": 60000, "test": 5})
    with pytest.raises(DatasetError, match="holds 12 images, Fashion-MNIST's train split has"):
        fashion.verify_folder(tmp_path)
    fashion.verify_folder(tmp_path, verify=False)  # files of one's own: structure only


def test_a_missing_folder_says_how_to_get_the_data(tmp_path):
    with pytest.raises(DatasetError) as info:
        fashion.verify_folder(tmp_path / "nowhere")
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz: Fashion-MNIST file not found" in message
    assert "apt-get install dataset-fashion-mnist" in message and "\n" not in message


def test_a_verified_folder_is_remembered_until_a_file_changes(tmp_path, monkeypatch):
    _fake_fashion(tmp_path)
    _publish(monkeypatch, tmp_path)
    cache = tmp_path / "cache.json"
    fashion.verify_folder(tmp_path, cache=str(cache))
    reads = []
    monkeypatch.setattr(fashion, "read_split", lambda *a: reads.append(a))
    fashion.verify_folder(tmp_path, cache=str(cache))
    assert reads == []  # remembered: nothing read again
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    fashion.verify_folder(tmp_path, cache=str(cache))
    assert len(reads) == 2  # a file changed: both splits read again


@pytest.mark.skipif(
    not (fashion.Path(fashion.DEBIAN_DIR) / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_debians_recompressed_files_pass_the_content_check():
    fashion.verify_folder(fashion.DEBIAN_DIR)
    images, labels = fashion.read_split(fashion.DEBIAN_DIR, "test")
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10


def test_validation_is_held_out_of_the_training_images(tmp_path):
    arrays = _fake_fashion(tmp_path, n_train=40)
    d = load_fashion_mnist(tmp_path, n_val=10)
    assert d["x_train"].shape[0] == 30 and d["x_val"].shape[0] == 10
    assert d["meta"]["n_train"] == 30 and d["meta"]["n_val"] == 10
    labels = arrays["train-labels-idx1-ubyte.gz"].tolist()
    assert sorted(d["y_train"].tolist() + d["y_val"].tolist()) == sorted(labels)
    # The same seed holds out the same images; standardized by the training part alone.
    again = load_fashion_mnist(tmp_path, n_val=10)
    assert torch.equal(d["x_val"], again["x_val"])
    assert abs(d["x_train"].mean().item()) < 1e-5


def test_hold_out_refuses_to_leave_nothing_to_train():
    data = {"x_train": torch.zeros(5, 1), "y_train": torch.zeros(5)}
    with pytest.raises(ValueError, match="n_val = 5 must leave training samples"):
        hold_out(data, 5, seed=0)
