"""Deterministic synthetic datasets (docs/study.md §1).

``poly2``  y = 2·x1² − x2² + 3·x3² + x4² + 2·x5² + ε
``linear`` y = 2·x1 − x2 + 3·x3 + x4 + 2·x5 + ε

with x ~ N(0, 1)⁵ and ε ~ N(0, noise²), drawn from one ``torch.Generator``
seeded with the dataset seed. Both datasets share the same features and noise
for the same seed, so ``linear`` is the "simple data" control of ``poly2``.
The first ``train_fraction`` of the samples is the training set; inputs are
standardized with training statistics only. The training seed never touches
the data: the split is fixed by the dataset seed alone.

>>> d = make_regression("linear", n_samples=10, seed=420)
>>> d["x_train"].shape, d["y_train"].shape, d["x_test"].shape
(torch.Size([7, 5]), torch.Size([7, 1]), torch.Size([3, 5]))
>>> bool(torch.equal(d["y_train"], make_regression("linear", n_samples=10, seed=420)["y_train"]))
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from bnstudy.io import atomic_write

N_FEATURES = 5
# Coefficients of docs/study.md §1, shared by both datasets.
COEFFICIENTS = torch.tensor([2.0, -1.0, 3.0, 1.0, 2.0])
REGRESSION = ("poly2", "linear")


def make_regression(
    kind: str,
    n_samples: int = 1000,
    train_fraction: float = 0.7,
    noise: float = 1.0,
    seed: int = 420,
) -> dict:
    """Generate ``poly2`` or ``linear``: standardized inputs, raw targets of shape (n, 1)."""
    if kind not in REGRESSION:
        raise ValueError(f"unknown regression dataset {kind!r}; allowed: {', '.join(REGRESSION)}")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, N_FEATURES, generator=g)  # (n, 5)
    eps = noise * torch.randn(n_samples, generator=g)  # (n,)
    features = x**2 if kind == "poly2" else x
    y = (features @ COEFFICIENTS + eps).unsqueeze(1)  # (n, 1)

    n_train = int(round(train_fraction * n_samples))
    if not 2 <= n_train <= n_samples - 1:
        raise ValueError(
            f"train_fraction {train_fraction} of {n_samples} samples leaves {n_train} "
            "training samples; need at least 2 for training and 1 for testing"
        )
    mean = x[:n_train].mean(0)
    std = x[:n_train].std(0)
    x = (x - mean) / std
    return {
        "name": kind,
        "task": "regression",
        "x_train": x[:n_train].contiguous(),
        "y_train": y[:n_train].contiguous(),
        "x_test": x[n_train:].contiguous(),
        "y_test": y[n_train:].contiguous(),
        "meta": {
            "seed": seed,
            "n_samples": n_samples,
            "train_fraction": train_fraction,
            "noise": noise,
        },
    }


def make_dataset(name: str, settings: dict) -> dict:
    """Build the dataset ``name`` from the config's ``datasets`` settings.

    ``poly2`` and ``linear`` read ``seed``, ``n_samples``, ``train_fraction`` and
    ``noise``; ``images`` reads the ``images`` block (synthetic or Fashion-MNIST).
    """
    if name == "images":
        from bnstudy.images import make_images

        return make_images(settings["images"])
    return make_regression(
        name,
        n_samples=settings["n_samples"],
        train_fraction=settings["train_fraction"],
        noise=settings["noise"],
        seed=settings["seed"],
    )


def describe(data: dict) -> dict:
    """What the report says about a dataset: its kind, sizes and where it came from."""
    return {
        "name": data["name"],
        "task": data["task"],
        "n_train": int(data["x_train"].shape[0]),
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
