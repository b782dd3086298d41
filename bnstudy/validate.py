"""Checking a config file before any job runs: one readable line per mistake.

The config is validated against the JSON schema
(``workflow/schemas/config.schema.yaml``, which fills in defaults), then by the
checks across keys a schema cannot express (a model the dataset cannot feed, a
BN variant the model lacks, a batch larger than the training set, ...). Every
error is a :class:`ConfigError` whose message names the key, the bad value and
what is allowed, e.g.::

    families.depth.grid.act[1] = 'tanhh' is not allowed; allowed: sigmoid, tanh, relu
"""

from __future__ import annotations

import math

from bnstudy.config import TrainConfig
from bnstudy.vocab import BN_BY_MODEL, MODELS_BY_DATASET


class ConfigError(ValueError):
    """An invalid config value; the message names the key, the value and what is allowed."""


def _key_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "config (top level)"


#: How the schema's types read in a message.
_TYPE_WORDS = {
    "array": "a list of values, e.g. [1, 2]",
    "object": "a block of key: value lines",
    "number": "a number",
    "integer": "a whole number",
    "string": "a string",
    "boolean": "true or false",
}
#: Names a family may have: they become folder names and Snakemake wildcards.
FAMILY_NAME = "^[A-Za-z][A-Za-z0-9_-]*$"


def _last_key(path) -> str | None:
    """The last named key of a path (``grid.bn[1]`` → ``bn``)."""
    names = [part for part in path if isinstance(part, str)]
    return names[-1] if names else None


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


def _type_words(expected) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)


def _unknown_key_hint(key: str, known: list[str], is_family: bool) -> str:
    """A did-you-mean for a misspelt key (a training parameter at family level: grid/fixed)."""
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if is_family:
        params = TrainConfig.field_names()
        close = difflib.get_close_matches(key, params, n=1, cutoff=0.6)
        if close:
            return (
                f" (did you mean grid.{close[0]} or fixed.{close[0]}? "
                "training parameters go in the grid or fixed block)"
            )
    return ""


def describe_schema_error(error) -> str:
    """One readable line for a jsonschema ``ValidationError``."""
    where = _key_path(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        is_family = "grid" in known
        keys = ", ".join(repr(k) + _unknown_key_hint(k, known, is_family) for k in extra)
        return f"{where}: unknown key {keys}; allowed keys: {', '.join(known)}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return (
            f"{where}: missing key {', '.join(map(repr, missing))}; "
            f"required keys: {', '.join(error.validator_value)}"
        )
    if kind == "pattern" and list(error.relative_schema_path)[-2:] == ["propertyNames", "pattern"]:
        return (
            f"{where}: family name {value!r} is not allowed; allowed: a letter, then letters, "
            "digits, _ or - (names become folder names)"
        )
    if kind == "uniqueItems":
        return f"{where} = {value!r} lists a value twice; each grid value must be unique"
    if kind == "minItems":
        return f"{where} is empty; give at least one value"
    if kind == "minProperties":
        what = "family block" if where == "families" else "parameter list"
        return f"{where} is empty; give at least one {what}"
    if kind == "type":
        expected = error.validator_value
        allowed = _allowed(error.schema)
        if not allowed or allowed == f"allowed: {expected}":
            allowed = _type_words(expected)
        return f"{where} = {value!r} has the wrong type; expected {expected} ({allowed})"
    if kind == "maximum" and _last_key(error.absolute_path) == "bn_layers":
        return (
            f"{where} = {value!r} is not allowed; {_allowed(error.schema)} "
            "(BN after the first k of the wide MLP's 4 hidden layers)"
        )
    return f"{where} = {value!r} is not allowed; {_allowed(error.schema)}"


def _values(block: dict, key: str) -> list[tuple[str, object]]:
    """(where, value) for every value ``key`` takes in a family block (grid, fixed or top)."""
    grid, fixed = block.get("grid") or {}, block.get("fixed") or {}
    if key in grid:
        return [(f"grid.{key}[{i}]", v) for i, v in enumerate(grid[key])]
    if key in fixed:
        return [(f"fixed.{key}", fixed[key])]
    if key in block:
        return [(key, block[key])]
    return [(f"fixed.{key}", getattr(TrainConfig(), key))]


def _check_family(name: str, block: dict, datasets: dict) -> None:
    """Checks across keys that a JSON schema cannot express, one family at a time."""
    dataset, model = block["dataset"], block["model"]
    if model not in MODELS_BY_DATASET[dataset]:
        allowed = ", ".join(MODELS_BY_DATASET[dataset])
        raise ConfigError(
            f"families.{name}.model = {model!r} cannot train on dataset {dataset!r}; "
            f"allowed: {allowed}"
        )
    for where, bn in _values(block, "bn"):
        if bn not in BN_BY_MODEL[model]:
            allowed = ", ".join(BN_BY_MODEL[model])
            hint = " (the wide MLP sets BN with bn_layers)" if model == "wide_mlp" else ""
            raise ConfigError(
                f"families.{name}.{where} = {bn!r} is not allowed for model {model}; "
                f"allowed: {allowed}{hint}"
            )
    for where, k in _values(block, "bn_layers"):
        if k and model != "wide_mlp":
            raise ConfigError(
                f"families.{name}.{where} = {k} but bn_layers applies to model wide_mlp only; "
                "allowed for this model: 0 (use bn)"
            )
    if dataset == "images":
        n_train, source = datasets["images"]["n_train"], "datasets.images.n_train"
    else:
        n_train = round(datasets["train_fraction"] * datasets["n_samples"])
        source = "datasets.n_samples × datasets.train_fraction"
    for where, size in _values(block, "batch_size"):
        if size > n_train:
            raise ConfigError(
                f"families.{name}.{where} = {size} is larger than the training set; "
                f"allowed: 1 … {n_train} ({source})"
            )


def _check_finite(node, path=()) -> None:
    """NaN and infinity (YAML ``.nan``, ``.inf``) pass every numeric bound: refuse them here."""
    if isinstance(node, dict):
        for key, value in node.items():
            _check_finite(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, (*path, i))
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{_key_path(path)} = {node!r} is not allowed; allowed: a finite number")


def _bn_for_model(error, config: dict) -> str | None:
    """An unknown ``bn`` value inside a family: list what that family's model accepts."""
    path = list(error.absolute_path)
    if error.validator != "enum" or path[:1] != ["families"] or _last_key(path) != "bn":
        return None
    block = config["families"].get(path[1]) if len(path) > 2 else None
    model = block.get("model") if isinstance(block, dict) else None
    if model not in BN_BY_MODEL:
        return None
    hint = " (the wide MLP sets BN with bn_layers)" if model == "wide_mlp" else ""
    return (
        f"{_key_path(path)} = {error.instance!r} is not allowed for model {model}; "
        f"allowed: {', '.join(BN_BY_MODEL[model])}{hint}"
    )


#: Samples in the Fashion-MNIST files: the first n_train / n_test are used.
FASHION_MNIST_SIZES = {"n_train": 60000, "n_test": 10000}


def _check_images(images: dict) -> None:
    if images["source"] != "fashion_mnist":
        return
    for key, most in FASHION_MNIST_SIZES.items():
        if images[key] > most:
            raise ConfigError(
                f"datasets.images.{key} = {images[key]} is more than Fashion-MNIST holds; "
                f"allowed: 10 … {most}"
            )


def check_config(config: dict, schema_path: str) -> dict:
    """Validate the whole config before any job runs, fill defaults, expand every grid.

    Raises ``ConfigError`` naming the key, the bad value and what is allowed.
    Fills the schema's defaults into ``config``, in place, and returns it.
    """
    import jsonschema
    import yaml
    from snakemake.utils import validate

    with open(schema_path, encoding="utf-8") as fh:
        schema = yaml.safe_load(fh)
    validator_cls = jsonschema.validators.validator_for(schema)
    _check_finite(config)
    error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(config))
    if error is not None:
        raise ConfigError(_bn_for_model(error, config) or describe_schema_error(error))
    for name, block in config["families"].items():
        both = sorted(set(block.get("grid") or {}) & set(block.get("fixed") or {}))
        if both:
            raise ConfigError(
                f"families.{name}: {', '.join(both)} given both in grid and in fixed; "
                "a parameter is either varied (grid) or fixed"
            )
    # Fills the schema's defaults (which mirror TrainConfig's) into the config.
    validate(config, schema_path, set_default=True)

    _check_images(config["datasets"]["images"])
    for name, block in config["families"].items():
        _check_family(name, block, config["datasets"])
    return config
