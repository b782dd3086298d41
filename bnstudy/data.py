"""The study's datasets (docs/study.md §1): built once per config, fixed by their own seed.

Regression, generated from one ``torch.Generator`` seeded with the dataset seed:

``poly2``  y = 2·x1² − x2² + 3·x3² + x4² + 2·x5² + ε
``linear`` y = 2·x1 − x2 + 3·x3 + x4 + 2·x5 + ε

with x ~ N(0, 1)⁵ and ε ~ N(0, noise²). Both share the same features and noise
for the same seed, so ``linear`` is the "simple data" control of ``poly2``. The
first ``train_fraction`` of the ``n_samples`` is the training set, the rest the
test set (the tutorial's 700 / 300); ``n_val`` further samples drawn from the
same generator afterwards are the validation set, so adding it changed none of
the other samples. Inputs are standardized with training statistics only.

Images (``bnstudy.images`` for the synthetic shapes, ``bnstudy.fashion`` for
Fashion-MNIST): ``n_val`` images of the training split, chosen by the dataset
seed, are held out as the validation set.

Validation data is what the study selects on (the best lr of an arm, the best
depth); test data is what verdicts read. Training never sees either — except a
configuration with ``validation: false``, which trains on the validation split
too, as a published setting that trained on all its data did (``training.job``).
The training seed never touches the data: every split is fixed by the dataset
seed alone.

>>> d = make_regression("linear", n_samples=10, seed=420, n_val=4)
>>> d["x_train"].shape, d["x_val"].shape, d["x_test"].shape
(torch.Size([7, 5]), torch.Size([4, 5]), torch.Size([3, 5]))
>>> bool(torch.equal(d["y_test"], make_regression("linear", n_samples=10, seed=420)["y_test"]))
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from bnstudy.io import atomic_write
from bnstudy.vocab import REGRESSION_DATASETS

N_FEATURES = 5
# Coefficients of docs/study.md §1, shared by both datasets.
COEFFICIENTS = torch.tensor([2.0, -1.0, 3.0, 1.0, 2.0])
#: The splits of every dataset, each an (x, y) pair of tensors.
SPLITS = ("train", "val", "test")


def _draw(kind: str, n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, N_FEATURES, generator=g)  # (n, 5)
    eps = noise * torch.randn(n, generator=g)  # (n,)
    features = x**2 if kind == "poly2" else x
    return x, (features @ COEFFICIENTS + eps).unsqueeze(1)  # (n, 5), (n, 1)


def make_regression(
    kind: str,
    n_samples: int = 1000,
    train_fraction: float = 0.7,
    noise: float = 1.0,
    seed: int = 420,
    n_val: int = 300,
) -> dict:
    """Generate ``poly2`` or ``linear``: standardized inputs, raw targets of shape (n, 1)."""
    if kind not in REGRESSION_DATASETS:
        allowed = ", ".join(REGRESSION_DATASETS)
        raise ValueError(f"unknown regression dataset {kind!r}; allowed: {allowed}")
    n_train = int(round(train_fraction * n_samples))
    if not 2 <= n_train <= n_samples - 1:
        raise ValueError(
            f"train_fraction {train_fraction} of {n_samples} samples leaves {n_train} "
            "training samples; need at least 2 for training and 1 for testing"
        )
    g = torch.Generator().manual_seed(seed)
    x, y = _draw(kind, n_samples, noise, g)
    x_val, y_val = _draw(kind, n_val, noise, g)  # after the others: they stay as they were
    mean = x[:n_train].mean(0)
    std = x[:n_train].std(0)
    x, x_val = (x - mean) / std, (x_val - mean) / std
    return {
        "name": kind,
        "task": "regression",
        "x_train": x[:n_train].contiguous(),
        "y_train": y[:n_train].contiguous(),
        "x_val": x_val.contiguous(),
        "y_val": y_val.contiguous(),
        "x_test": x[n_train:].contiguous(),
        "y_test": y[n_train:].contiguous(),
        "meta": {
            "seed": seed,
            "n_samples": n_samples,
            "train_fraction": train_fraction,
            "noise": noise,
        },
    }


def hold_out(data: dict, n_val: int, seed: int) -> dict:
    """``data`` with ``n_val`` of its training samples, chosen by ``seed``, as validation set.

    The remaining training samples keep their order.

    >>> d = {"x_train": torch.arange(10.0).unsqueeze(1), "y_train": torch.arange(10)}
    >>> out = hold_out(d, 3, seed=0)
    >>> out["x_train"].shape[0], out["x_val"].shape[0]
    (7, 3)
    >>> sorted(out["y_train"].tolist() + out["y_val"].tolist()) == list(range(10))
    True
    """
    n = data["x_train"].shape[0]
    if not 0 < n_val < n:
        raise ValueError(f"n_val = {n_val} must leave training samples: 0 < n_val < {n}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, train = perm[:n_val].sort().values, perm[n_val:].sort().values
    return {
        **data,
        "x_train": data["x_train"][train].contiguous(),
        "y_train": data["y_train"][train].contiguous(),
        "x_val": data["x_train"][val].contiguous(),
        "y_val": data["y_train"][val].contiguous(),
    }


def make_images(settings: dict) -> dict:
    """The ``images`` dataset from the config's ``datasets.images`` block: synthetic
    shapes or Fashion-MNIST, with ``n_val`` training images held out for validation."""
    from bnstudy import fashion, images

    source = settings.get("source", "synthetic")
    if source == "synthetic":
        raw = images.shape_splits(settings["n_train"], settings["n_test"], settings["seed"])
        names, meta = images.CLASS_NAMES, images.shape_meta(settings)
    elif source == "fashion_mnist":
        folder = Path(settings["fashion_mnist_dir"])
        if fashion.missing_files(folder) and settings.get("download"):
            fashion.download(folder, settings.get("base_url") or fashion.URL)
        verify = settings.get("verify_checksums", True)
        raw = fashion.load(folder, settings.get("n_train"), settings.get("n_test"), verify)
        names = fashion.CLASS_NAMES
        meta = {"source": "fashion_mnist", "folder": str(folder), "verified": verify}
    else:
        raise ValueError(f"unknown images source {source!r}; allowed: synthetic, fashion_mnist")
    x_train, y_train, x_test, y_test = raw
    n_val = settings.get("n_val", 0)
    split = {"x_train": x_train, "y_train": y_train}
    if n_val:
        split = hold_out(split, n_val, settings["seed"])
    return images.standardized(
        names,
        split,
        x_test,
        y_test,
        {**meta, "n_train": len(split["y_train"]), "n_val": n_val, "n_test": len(y_test)},
    )


def make_dataset(name: str, settings: dict) -> dict:
    """Build the dataset ``name`` from the config's ``datasets`` settings.

    ``poly2`` and ``linear`` read ``seed``, ``n_samples``, ``train_fraction``,
    ``n_val`` and ``noise``; ``images`` reads the ``images`` block.
    """
    if name == "images":
        return make_images(settings["images"])
    return make_regression(
        name,
        n_samples=settings["n_samples"],
        train_fraction=settings["train_fraction"],
        noise=settings["noise"],
        seed=settings["seed"],
        n_val=settings.get("n_val", 300),
    )


def describe(data: dict) -> dict:
    """What the report says about a dataset: its kind, sizes and where it came from."""
    return {
        "name": data["name"],
        "task": data["task"],
        "n_train": int(data["x_train"].shape[0]),
        "n_val": int(data["x_val"].shape[0]) if "x_val" in data else 0,
        "n_test": int(data["x_test"].shape[0]),
        "input_shape": list(data["x_train"].shape[1:]),
        "class_names": list(data.get("class_names", [])),
        **data["meta"],
    }


def build_dataset(name: str, settings: dict, data_out: str, meta_out: str) -> None:
    """Entry point of the ``make_dataset`` rule: the dataset file and its description."""
    data = make_dataset(name, settings)
    save_dataset(data, data_out)
    atomic_write(meta_out, lambda tmp: Path(tmp).write_text(json.dumps(describe(data), indent=2)))


def save_dataset(data: dict, path: str | os.PathLike) -> None:
    atomic_write(path, lambda tmp: torch.save(data, tmp))


def load_dataset(path: str | os.PathLike) -> dict:
    return torch.load(path, weights_only=True)
