"""A family's grid, expanded into one row per configuration with a stable, readable id.

The id is the configuration's grid values as ``key~value`` path segments in
sorted key order — the same layout as Snakemake's ``Paramspace`` — e.g.
``act~tanh/bn~pre/depth~3``. It depends only on that configuration's own
grid values, so editing one value of a grid changes exactly the ids that
carry it, and Snakemake reruns exactly those jobs.

>>> block = {"dataset": "poly2", "model": "mlp",
...          "grid": {"depth": [1, 2], "bn": ["none", "pre"]}, "fixed": {"lr": 0.03}}
>>> table = expand_family("depth", block)
>>> list(table["config_id"])
['bn~none/depth~1', 'bn~none/depth~2', 'bn~pre/depth~1', 'bn~pre/depth~2']
>>> {k: family_configs("depth", block)[0][k] for k in ("lr", "act", "bn")}
{'lr': 0.03, 'act': 'tanh', 'bn': 'none'}

A grid may also be a list of grids, whose configurations are their union: a
family that needs some combinations only (no BN at four learning rates, BN at
two of them) lists one grid for each part. A grid may set ``lr_sweep`` (a list
of sweeps), so that only some configurations pay for one: how a configuration
is tuned, not a grid axis (``bnstudy.summary.grid_axes`` leaves it out).

>>> block["grid"] = [{"bn": ["none"], "lr": [0.1, 1.0]}, {"bn": ["pre"], "lr": [1.0]}]
>>> list(expand_family("lenet", block)["config_id"])
['bn~none/lr~0.1', 'bn~none/lr~1.0', 'bn~pre/lr~1.0']
"""

from __future__ import annotations

import itertools

import pandas as pd

from bnstudy.config import TrainConfig, coerce
from bnstudy.families import ordered_families


def format_value(value) -> str:
    """A grid value as it appears in an id: ``0.03`` → ``0.03``, ``True`` → ``true``,
    an lr sweep ``(0.01, 0.1)`` → ``0.01+0.1`` (none: ``none``).

    >>> format_value(0.03), format_value(True), format_value((0.01, 0.1)), format_value(())
    ('0.03', 'true', '0.01+0.1', 'none')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "+".join(format_value(v) for v in value) or "none"
    return str(value)


def config_id(values: dict) -> str:
    return "/".join(f"{key}~{format_value(values[key])}" for key in sorted(values))


def sub_grids(block: dict) -> list[dict]:
    """A family's grid as a list of grids (one, unless the config lists several).

    >>> sub_grids({"grid": {"bn": ["none"]}}), sub_grids({"grid": [{"a": [1]}, {"b": [2]}]})
    ([{'bn': ['none']}], [{'a': [1]}, {'b': [2]}])
    """
    grid = block.get("grid") or {}
    return list(grid) if isinstance(grid, list) else [grid]


def grid_keys(block: dict) -> list[str]:
    """The parameters a family's grid varies, over all its grids, sorted."""
    return sorted({key for grid in sub_grids(block) for key in grid})


def family_configs(name: str, block: dict) -> list[dict]:
    """The resolved configurations of one family block, in id order.

    Each is ``TrainConfig`` defaults, overridden by the block's ``dataset``,
    ``model`` and ``fixed`` values, overridden by one row of a crossed grid;
    plus ``family`` and ``config_id``. Values stay plain Python types. A
    combination two grids share is one configuration.
    """
    base = {**TrainConfig().to_dict(), "dataset": block["dataset"], "model": block["model"]}
    base.update(block.get("fixed") or {})
    configs = {}
    for grid in sub_grids(block):
        keys = sorted(grid)
        for combo in itertools.product(*(grid[k] for k in keys)):
            values = {k: coerce(k, v) for k, v in zip(keys, combo, strict=True)}
            resolved = TrainConfig.from_dict({**base, **values}).to_dict()
            configs[config_id(values)] = {
                "family": name,
                "config_id": config_id(values),
                **resolved,
            }
    return [configs[cid] for cid in sorted(configs)]


def expand_family(name: str, block: dict) -> pd.DataFrame:
    """One row per configuration: ``family, config_id`` and every training parameter."""
    return pd.DataFrame(family_configs(name, block))


def expand_study(config: dict) -> dict[str, list[dict]]:
    """Every family of the config, in canonical order (``families.ordered_families``:
    the study's families in study order, then the others sorted) → its configurations."""
    blocks = config["families"]
    return {name: family_configs(name, blocks[name]) for name in ordered_families(blocks)}


def run_priority(cfg: dict) -> int:
    """Scheduling priority of a training job: higher for the ones that run longer.

    Measured at default sizes on 2 cores: an image MLP at batch 4 trains for
    ~100 s, LeNet ~27 s, the image MLP at larger batches ~16 s, a regression
    MLP under 3 s. Started first, the long jobs overlap with the many short
    ones; started last, one of them runs alone while a core idles.

    >>> [run_priority(c) for c in ({"model": "mlp", "batch_size": 2},
    ...     {"model": "wide_mlp", "batch_size": 128}, {"model": "lenet", "batch_size": 256},
    ...     {"model": "wide_mlp", "batch_size": 4})]
    [0, 1, 2, 3]
    """
    if cfg.get("model") == "mlp":
        return 0
    if cfg.get("batch_size", 128) <= 16:
        return 3
    return 2 if cfg.get("model") == "lenet" else 1
