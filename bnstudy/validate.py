"""Checking a config file before any job runs: one readable line per mistake.

The config files are read strictly first (:func:`check_config_files`: a file that is
missing, not YAML, or gives a key twice). The config is then validated against the
JSON schema (``workflow/schemas/config.schema.yaml``, which fills in defaults), then
by the checks across keys a schema cannot express (a model the dataset cannot feed,
a BN variant the model lacks, a batch larger than the training set, splits that
leave nothing to train or test on, a range test that ends below its start, ...),
and last by what it asks of this machine (:func:`check_environment`: the
Fashion-MNIST files, a CUDA device). Every error is a :class:`ConfigError` whose
message names the key, the bad value and what is allowed, e.g.::

    families.depth.grid.act[1] = 'tanhh' is not allowed; allowed: sigmoid, tanh, relu
"""

from __future__ import annotations

import gzip
import itertools
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import yaml

from bnstudy import fashion
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


def _grids(block: dict) -> list[tuple[str, dict]]:
    """(where, grid) of each grid of a family block: one, or a list whose union it runs."""
    grid = block.get("grid") or {}
    if isinstance(grid, list):
        return [(f"grid[{i}]", g) for i, g in enumerate(grid)]
    return [("grid", grid)]


def _grid_values(block: dict, where: str, grid: dict, key: str) -> list[tuple[str, object]]:
    """(where, value) for every value ``key`` takes in the configurations of one grid."""
    fixed = block.get("fixed") or {}
    if key in grid:
        return [(f"{where}.{key}[{i}]", v) for i, v in enumerate(grid[key])]
    if key in fixed:
        return [(f"fixed.{key}", fixed[key])]
    if key in block:
        return [(key, block[key])]
    return [(f"fixed.{key}", getattr(TrainConfig(), key))]


def _values(block: dict, key: str) -> list[tuple[str, object]]:
    """(where, value) for every value ``key`` takes in a family block (grid, fixed or top)."""
    found = []
    for where, grid in _grids(block):
        found += [v for v in _grid_values(block, where, grid, key) if v not in found]
    return found


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
    n_train, source = training_set_size(dataset, datasets)
    for where, size in _values(block, "batch_size"):
        if size > n_train:
            raise ConfigError(
                f"families.{name}.{where} = {size} is larger than the training set; "
                f"allowed: 1 … {n_train} ({source})"
            )
    _check_range_test(name, block)


def training_set_size(dataset: str, datasets: dict) -> tuple[int, str]:
    """Training samples of ``dataset`` with its validation split held out, and how they
    follow from the config, in words (for a message)."""
    if dataset == "images":
        images = datasets["images"]
        if not images.get("n_val"):
            return images["n_train"], "datasets.images.n_train"
        return images["n_train"] - images["n_val"], "datasets.images.n_train − n_val"
    n_train = int(round(datasets["train_fraction"] * datasets["n_samples"]))
    return n_train, "datasets.n_samples × datasets.train_fraction"


def _check_range_test(name: str, block: dict) -> None:
    """The LR range test sweeps up from lr to range_end: every such configuration needs
    range_end above its lr."""
    for where, grid in _grids(block):
        schedules = [s for _, s in _grid_values(block, where, grid, "schedule")]
        if "range_test" in schedules:
            _check_range_end(name, block, where, grid)


def _check_range_end(name: str, block: dict, where: str, grid: dict) -> None:
    for (lr_where, lr), (end_where, end) in itertools.product(
        _grid_values(block, where, grid, "lr"), _grid_values(block, where, grid, "range_end")
    ):
        if end <= lr:
            raise ConfigError(
                f"families.{name}.{end_where} = {end} is not above families.{name}.{lr_where} "
                f"= {lr}; allowed: range_end > lr (schedule range_test sweeps from lr up to "
                "range_end)"
            )


def _check_splits(config: dict) -> None:
    """Split sizes that leave every dataset a family trains on samples to train, validate
    and test (only datasets in use: the others are never made). That a batch fits into
    what is left to train on is checked per family (``_check_family``)."""
    datasets = config["datasets"]
    used = {block["dataset"] for block in config["families"].values()}
    if used - {"images"}:
        n, fraction = datasets["n_samples"], datasets["train_fraction"]
        n_train = training_set_size("poly2", datasets)[0]
        if not 2 <= n_train <= n - 1:
            raise ConfigError(
                f"datasets.train_fraction = {fraction} leaves {n_train} training and "
                f"{n - n_train} test samples of datasets.n_samples = {n}; allowed: a fraction "
                f"leaving at least 2 training and 1 test sample ({2 / n:.3g} … {(n - 1) / n:.3g})"
            )
    if "images" in used:
        images = datasets["images"]
        if images["n_val"] >= images["n_train"]:
            raise ConfigError(
                f"datasets.images.n_val = {images['n_val']} leaves no training images of "
                f"datasets.images.n_train = {images['n_train']}; "
                f"allowed: 0 … {images['n_train'] - 1}"
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


def _check_images(images: dict) -> None:
    if images["source"] != "fashion_mnist" or not images["verify_checksums"]:
        return
    for key, split in (("n_train", "train"), ("n_test", "test")):
        if images[key] > fashion.COUNTS[split]:
            raise ConfigError(
                f"datasets.images.{key} = {images[key]} is more than Fashion-MNIST holds; "
                f"allowed: 10 … {fashion.COUNTS[split]}"
            )


def _command_line_booleans(config: dict, schema: dict) -> None:
    """``--config confirm_scale=true`` gives the string 'true' (Snakemake reads only True
    and False as booleans): a top-level boolean key takes 'true' and 'false' too."""
    for key, spec in schema.get("properties", {}).items():
        value = config.get(key)
        if spec.get("type") == "boolean" and str(value).lower() in ("true", "false"):
            config[key] = str(value).lower() == "true"


def check_config(config: dict, schema_path: str) -> dict:
    """Validate the whole config before any job runs, fill defaults, expand every grid.

    Raises ``ConfigError`` naming the key, the bad value and what is allowed.
    Fills the schema's defaults into ``config``, in place, and returns it.
    """
    import jsonschema
    from snakemake.utils import validate

    with open(schema_path, encoding="utf-8") as fh:
        schema = yaml.safe_load(fh)
    _command_line_booleans(config, schema)
    validator_cls = jsonschema.validators.validator_for(schema)
    _check_finite(config)
    error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(config))
    if error is not None:
        raise ConfigError(_bn_for_model(error, config) or describe_schema_error(error))
    for name, block in config["families"].items():
        varied = {key for _, grid in _grids(block) for key in grid}
        both = sorted(varied & set(block.get("fixed") or {}))
        if both:
            raise ConfigError(
                f"families.{name}: {', '.join(both)} given both in grid and in fixed; "
                "a parameter is either varied (grid) or fixed"
            )
    # Fills the schema's defaults (which mirror TrainConfig's) into the config.
    validate(config, schema_path, set_default=True)

    _check_images(config["datasets"]["images"])
    _check_splits(config)
    for name, block in config["families"].items():
        _check_family(name, block, config["datasets"])
    return config


def check_environment(config: dict, cache: str | None = None) -> None:
    """What a valid config asks of this machine, checked before any job: a CUDA device
    for ``device: cuda``, and the Fashion-MNIST files (present, readable, the published
    content unless ``verify_checksums`` is false) when an image family reads them.

    ``cache`` is a JSON file remembering Fashion-MNIST folders that passed
    (``bnstudy.fashion.verify_folder``), so that a rerun does not hash them again.
    """
    if config["device"] == "cuda":
        import torch  # only here: the workflow must not wait for torch otherwise

        if not torch.cuda.is_available():
            raise ConfigError(
                "device = 'cuda' but torch finds no CUDA device on this machine; "
                "allowed here: auto (CUDA when present, else CPU), cpu"
            )
    images = config["datasets"]["images"]
    used = any(block["dataset"] == "images" for block in config["families"].values())
    if not used or images["source"] != "fashion_mnist":
        return
    folder = images["fashion_mnist_dir"]
    if images["download"] and fashion.missing_files(folder):
        return  # the dataset step downloads them, SHA-256 checked
    try:
        fashion.verify_folder(folder, verify=images["verify_checksums"], cache=cache)
    except fashion.DatasetError as err:
        raise ConfigError(f"datasets.images.fashion_mnist_dir = {folder!r}: {err}") from err
    if not images["verify_checksums"]:  # files of one's own: as many samples as asked for?
        for key, split in (("n_train", "train"), ("n_test", "test")):
            path = Path(folder) / fashion.FILES[f"{split}_images"]
            count = _idx_count(path)
            if images[key] > count:
                raise ConfigError(
                    f"datasets.images.{key} = {images[key]} is more than {path} holds; "
                    f"allowed: 10 … {count}"
                )


def _idx_count(path: Path) -> int:
    """The number of samples an IDX file's header announces (its first dimension)."""
    with gzip.open(path, "rb") as fh:
        return int.from_bytes(fh.read(8)[4:8], "big")


# ---- the config files themselves ---------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one block is an error (YAML
    itself would keep the last value without a word)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: YAML's own error follows
                continue
            if first != line:
                raise ConfigError(
                    f"{self.name}, line {line}: key {key!r} given twice in one block (first on "
                    f"line {first}); allowed: each key once"
                )
        return super().construct_mapping(node, deep)


def check_config_files(paths: list[str]) -> None:
    """Each config file exists and is YAML with no key given twice; raises ``ConfigError``
    naming the file, and the line for a YAML mistake."""
    for path in map(os.path.relpath, paths):
        if not Path(path).is_file():
            raise ConfigError(f"config file {path} not found")
        try:
            with open(path, encoding="utf-8") as fh:
                yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 (a safe loader)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            what = "; ".join(str(t) for t in (err.context, err.problem) if t)
            raise ConfigError(f"{path}{where}: not valid YAML ({what})") from err
        except (UnicodeDecodeError, yaml.YAMLError) as err:
            raise ConfigError(f"{path}: not valid YAML ({err})") from err


@contextmanager
def stop_on_config_error():
    """In the workflow: a ``ConfigError`` ends the run with its one line, no traceback (a
    ``WorkflowError`` would add a file and line of the workflow's own code)."""
    try:
        yield
    except ConfigError as err:
        print(f"invalid config: {err}", file=sys.stderr)
        sys.exit(1)
