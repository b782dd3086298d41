"""The training configuration of one job, with the defaults every family starts from.

A family block of the config file gives ``dataset``, ``model``, a ``grid`` of
lists and ``fixed`` scalars. One configuration is ``TrainConfig`` defaults,
overridden by ``fixed``, overridden by one row of the crossed ``grid``
(``bnstudy.grid``). The config file is checked by ``bnstudy.validate`` first.

Values, not formatting, decide what reruns: ``TrainConfig.from_dict`` coerces
each value to its field's type (``lr: 1`` and ``lr: 1.0`` are one learning rate)
and :func:`canonical` sorts every mapping a job receives, so neither the order
of keys in the file nor the way a number is written changes a job's parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes one training job. Defaults follow docs/study.md §4."""

    dataset: str = "poly2"  # one of vocab.DATASETS
    model: str = "mlp"  # mlp (MLP-d), wide_mlp (784-512-256-128-64-10) or lenet
    depth: int = 3  # MLP-d: hidden layers (1…4 in the study)
    width: int = 4  # MLP-d: units per hidden layer (the tutorial's net_class1…4)
    act: str = "tanh"  # one of vocab.ACTIVATIONS (LeNet is always sigmoid)
    bn: str = "none"  # MLP-d: none | pre (Linear→BN→act) | post; LeNet: none | library | scratch
    bn_layers: int = 0  # wide_mlp: BN after the first k hidden layers (0…4)
    init: str = "default"  # default (PyTorch's) | xavier | kaiming
    optimizer: str = "sgd"  # sgd | nesterov (SGD, Nesterov momentum) | adam
    lr: float = 0.03  # learning rate; for range_test, the sweep's first lr
    momentum: float = 0.0  # momentum of plain SGD
    nesterov_momentum: float = 0.9  # momentum of the nesterov optimizer
    schedule: str = "constant"  # one of vocab.SCHEDULES
    schedule_k: float = 10.0  # epochs: time constant of inverse_time and exponential
    range_end: float = 1.0  # range_test: the lr the sweep ends at
    batch_size: int = 50
    epochs: int = 40
    # What counts as divergence: a non-finite loss, or a loss this many times
    # the first batch's loss.
    diverge_factor: float = 1e6
    # Hold the validation split out of training and measure it every epoch; false
    # trains on it too (a published setting that trained on all its data).
    validation: bool = True
    # Further learning rates trained in the same job as slots of the batched model,
    # the sweep an arm's own best lr is chosen from on validation data (sorted).
    lr_sweep: tuple[float, ...] = ()

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = set(cls.field_names())
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training parameter(s) {unknown}; allowed: {sorted(known)}")
        return cls(**{name: coerce(name, value) for name, value in values.items()})

    def to_dict(self) -> dict:
        """Plain values (a sweep as a list), as a job's params and config.json carry them."""
        values = {name: getattr(self, name) for name in self.field_names()}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


#: The type of each training parameter (the dataclass annotations, as types).
FIELD_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "tuple[float, ...]": tuple}
_TYPES = {f.name: FIELD_TYPES[f.type] for f in dataclasses.fields(TrainConfig)}


def coerce(name: str, value):
    """``value`` as training parameter ``name``'s type, where that loses nothing.

    >>> coerce("lr", 1), coerce("epochs", 10.0), coerce("act", "tanh"), coerce("epochs", 2.5)
    (1.0, 10, 'tanh', 2.5)
    >>> coerce("lr_sweep", [1, 0.1])
    (0.1, 1.0)
    """
    kind = _TYPES.get(name)
    if kind is tuple:  # a sweep of learning rates: floats, sorted, whatever the file's order
        return tuple(sorted(float(v) for v in value))
    if isinstance(value, bool) or kind is None:
        return value
    if kind is float and isinstance(value, int):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical(obj):
    """``obj`` with every mapping's keys sorted, recursively: what a job's params carry,
    so that the order of keys in a config file never decides a rerun.

    >>> canonical({"b": 1, "a": {"d": [{"z": 0, "y": 1}], "c": 2}})
    {'a': {'c': 2, 'd': [{'y': 1, 'z': 0}]}, 'b': 1}
    """
    if isinstance(obj, dict):
        return {key: canonical(obj[key]) for key in sorted(obj, key=str)}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    return obj


def dataset_settings(name: str, settings: dict) -> dict:
    """The part of the ``datasets`` settings that shapes dataset ``name`` (its job's params).

    Canonical (sorted keys). Here, not in ``bnstudy.data``, so the workflow can call it
    without importing torch.

    >>> dataset_settings("poly2", {"n_samples": 1000, "images": {"n_train": 60}})
    {'n_samples': 1000}"""
    if name == "images":
        return canonical({"images": dict(settings["images"])})
    return canonical({k: v for k, v in settings.items() if k != "images"})
