"""The training configuration of one job, with the defaults every family starts from.

A family block of the config file gives ``dataset``, ``model``, a ``grid`` of
lists and ``fixed`` scalars. One configuration is ``TrainConfig`` defaults,
overridden by ``fixed``, overridden by one row of the crossed ``grid``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

ACTIVATIONS = ("sigmoid", "tanh", "relu")
BN_PLACEMENTS = ("none", "pre", "post")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant",)
INITS = ("default", "xavier", "kaiming")
DATASETS = ("poly2", "linear")
MODELS = ("mlp",)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes one training job. Defaults follow STUDY.md §4."""

    dataset: str = "poly2"  # one of DATASETS
    model: str = "mlp"  # one of MODELS
    depth: int = 3  # hidden layers of the MLP (1…4 in the study)
    width: int = 4  # units per hidden layer (the tutorial's net_class1…4)
    act: str = "tanh"  # one of ACTIVATIONS
    bn: str = "none"  # none | pre (Linear→BN→act) | post (Linear→act→BN)
    init: str = "default"  # default (PyTorch's) | xavier | kaiming
    optimizer: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.0  # SGD momentum
    nesterov: bool = False
    schedule: str = "constant"
    batch_size: int = 50
    epochs: int = 40
    # What counts as divergence: a non-finite loss, or a loss this many times
    # the first batch's loss.
    diverge_factor: float = 1e6
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = set(cls.field_names())
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training parameter(s) {unknown}; allowed: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.field_names()}


class ConfigError(ValueError):
    """An invalid config value; the message names the key, the value and what is allowed."""


def _key_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<config>"


def _allowed(schema: dict) -> str:
    if "enum" in schema:
        return "allowed: " + ", ".join(map(str, schema["enum"]))
    bounds = []
    for key, sym in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            bounds.append(f"{sym} {schema[key]}")
    kind = schema.get("type")
    text = "allowed: " + (f"{kind} " if isinstance(kind, str) else "") + " and ".join(bounds)
    return text.strip() if bounds or kind else (schema.get("description") or "")


def describe_schema_error(error) -> str:
    """One readable line for a jsonschema ``ValidationError``."""
    where = _key_path(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        keys = ", ".join(repr(k) for k in extra)
        return f"{where}: unknown key {keys}; allowed keys: {', '.join(known)}"
    if kind == "required":
        return f"{where}: {error.message}"
    if kind == "uniqueItems":
        return f"{where} = {value!r} lists a value twice; each grid value must be unique"
    if kind == "minItems":
        return f"{where} is empty; give at least one value"
    if kind == "minProperties":
        return f"{where} is empty; {error.schema.get('description', '').strip()}"
    if kind == "type":
        expected = error.validator_value
        allowed = _allowed(error.schema)
        return f"{where} = {value!r} has the wrong type; expected {expected} ({allowed})"
    return f"{where} = {value!r} is not allowed; {_allowed(error.schema)}"


def check_config(config: dict, schema_path: str) -> dict[str, list[dict]]:
    """Validate the whole config before any job runs, fill defaults, expand every grid.

    Raises ``ConfigError`` naming the key, the bad value and what is allowed.
    Returns family name → its resolved configurations (see ``bnstudy.grid``).
    """
    import jsonschema
    import yaml
    from snakemake.utils import validate

    from bnstudy.grid import expand_study

    with open(schema_path, encoding="utf-8") as fh:
        schema = yaml.safe_load(fh)
    validator_cls = jsonschema.validators.validator_for(schema)
    error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(config))
    if error is not None:
        raise ConfigError(describe_schema_error(error))
    for name, block in config["families"].items():
        both = sorted(set(block.get("grid") or {}) & set(block.get("fixed") or {}))
        if both:
            raise ConfigError(
                f"families.{name}: {', '.join(both)} given both in grid and in fixed; "
                "a parameter is either varied (grid) or fixed"
            )
    # Fills the schema's defaults (which mirror TrainConfig's) into the config.
    validate(config, schema_path, set_default=True)

    n_train = round(config["datasets"]["train_fraction"] * config["datasets"]["n_samples"])
    for name, block in config["families"].items():
        grid, fixed = block.get("grid") or {}, block.get("fixed") or {}
        for key, values in [
            *((k, v) for k, v in grid.items()),
            *((k, [v]) for k, v in fixed.items()),
        ]:
            where = f"families.{name}.{'grid' if key in grid else 'fixed'}.{key}"
            if key == "batch_size":
                too_big = [v for v in values if v > n_train]
                if too_big:
                    raise ConfigError(
                        f"{where} = {too_big[0]} is larger than the training set; "
                        f"allowed: 1 … {n_train} (datasets.n_samples × datasets.train_fraction)"
                    )
    return expand_study(config)
