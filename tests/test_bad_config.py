"""Bad values are caught before any job starts, with one line naming the key, the value
and what is allowed, and ``results/`` untouched: values out of range, values that do
not fit together (a model and its dataset, splits that leave nothing to train or test
on, a range test ending below its start).

Every case runs through the real ``snakemake`` command on a copy of the checkout
(config/smoke.yaml with one edit), and the same edit through ``check_config``. Data
files, CUDA, the config files themselves and the size of a run: tests/test_before_any_job.py.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from workflow_helpers import (
    ROOT,
    checkout_with,
    files_under,
    jobs_run,
    run_snakemake,
)

from bnstudy.validate import ConfigError, check_config

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
SMOKE = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
DELETE = object()

# (id, path of the edited key in config/smoke.yaml, new value, key = value text, allowed text)
CASES = [
    ("lr_zero", "families.lr.grid.lr", [0.3, 0, 0.003], "families.lr.grid.lr[1] = 0", "> 0"),
    ("lr_negative", "families.depth.fixed.lr", -0.1, "families.depth.fixed.lr = -0.1", "> 0"),
    (
        "batch_size_zero",
        "families.batch.grid.batch_size",
        [0, 32],
        "families.batch.grid.batch_size[0] = 0",
        "allowed: integer >= 1",
    ),
    (
        "batch_size_over_training_set",
        "families.batch.grid.batch_size",
        [4, 5000],
        "families.batch.grid.batch_size[1] = 5000 is larger than the training set",
        "allowed: 1 … 140",
    ),
    (
        "batch_size_over_image_set",
        "families.lenet.fixed.batch_size",
        401,
        "families.lenet.fixed.batch_size = 401 is larger than the training set",
        "allowed: 1 … 400 (datasets.images.n_train − n_val)",
    ),
    (
        "unknown_activation",
        "families.depth.grid.act",
        ["sigmoid", "swish"],
        "families.depth.grid.act[1] = 'swish'",
        "allowed: sigmoid, tanh, relu",
    ),
    (
        "unknown_bn_placement",
        "families.depth.grid.bn",
        ["none", "inside"],
        "families.depth.grid.bn[1] = 'inside' is not allowed for model mlp",
        "allowed: none, pre, post",
    ),
    (
        "bn_of_another_model",
        "families.lenet.grid.1.bn",
        ["library", "pre"],
        "families.lenet.grid[1].bn[1] = 'pre' is not allowed for model lenet",
        "allowed: none, library, scratch",
    ),
    (
        "unknown_scheduler",
        "families.schedule.grid.schedule",
        ["constant", "warmup"],
        "families.schedule.grid.schedule[1] = 'warmup'",
        "allowed: constant, halving, inverse_time",
    ),
    (
        "unknown_optimizer",
        "families.optimizer.grid.optimizer",
        ["sgd", "rmsprop"],
        "families.optimizer.grid.optimizer[1] = 'rmsprop'",
        "allowed: sgd, nesterov, adam",
    ),
    (
        "unknown_init",
        "families.init.grid.init",
        ["default", "he"],
        "families.init.grid.init[1] = 'he'",
        "allowed: default, xavier, kaiming",
    ),
    (
        "unknown_dataset",
        "families.depth.dataset",
        "mnist",
        "families.depth.dataset = 'mnist'",
        "allowed: poly2, linear, images",
    ),
    (
        "unknown_model",
        "families.depth.model",
        "resnet",
        "families.depth.model = 'resnet'",
        "allowed: mlp, wide_mlp, lenet",
    ),
    (
        "model_for_another_dataset",
        "families.depth.model",
        "lenet",
        "families.depth.model = 'lenet' cannot train on dataset 'poly2'",
        "allowed: mlp",
    ),
    (
        "depth_zero",
        "families.depth.grid.depth",
        [0, 1],
        "families.depth.grid.depth[0] = 0",
        "allowed: integer >= 1",
    ),
    (
        "more_bn_layers_than_hidden_layers",
        "families.bn_layers.grid.bn_layers",
        [0, 5],
        "families.bn_layers.grid.bn_layers[1] = 5",
        "allowed: integer >= 0 and <= 4 (BN after the first k of the wide MLP's 4 hidden",
    ),
    (
        "bn_layers_on_mlp",
        "families.depth.fixed.bn_layers",
        2,
        "families.depth.fixed.bn_layers = 2 but bn_layers applies to model wide_mlp only",
        "allowed for this model: 0",
    ),
    ("seeds_zero", "seeds", 0, "seeds = 0", "allowed: integer >= 1"),
    ("family_seeds_zero", "families.lenet.seeds", 0, "families.lenet.seeds = 0", ">= 1"),
    (
        "empty_grid_list",
        "families.depth.grid.depth",
        [],
        "families.depth.grid.depth is empty",
        "give at least one value",
    ),
    (
        "duplicate_grid_values",
        "families.depth.grid.depth",
        [1, 2, 2],
        "families.depth.grid.depth = [1, 2, 2] lists a value twice",
        "each grid value must be unique",
    ),
    (
        "string_for_a_number",
        "families.depth.fixed.lr",
        "fast",
        "families.depth.fixed.lr = 'fast' has the wrong type",
        "expected number (allowed: number > 0)",
    ),
    (
        "fraction_for_an_integer",
        "families.depth.grid.depth",
        [1, 2.5],
        "families.depth.grid.depth[1] = 2.5 has the wrong type",
        "expected integer (allowed: integer >= 1",
    ),
    (
        "scalar_for_a_grid_list",
        "families.depth.grid.depth",
        3,
        "families.depth.grid.depth = 3 has the wrong type",
        "expected array (a list of values, e.g. [1, 2])",
    ),
    (
        "typo_key_in_family_block",
        "families.lr.lrs",
        [0.1],
        "families.lr: unknown key 'lrs' (did you mean grid.lr or fixed.lr?",
        "allowed keys: budget_note, dataset, description, fixed, grid, model, seeds",
    ),
    (
        "typo_key_in_grid",
        "families.lr.grid.lrs",
        [0.1],
        "families.lr.grid: unknown key 'lrs' (did you mean 'lr'?)",
        "allowed keys: act, batch_size, bn,",
    ),
    (
        "epochs_zero",
        "families.depth.fixed.epochs",
        0,
        "families.depth.fixed.epochs = 0",
        "allowed: integer >= 1",
    ),
    (
        "not_a_number",
        "families.depth.fixed.lr",
        float("nan"),
        "families.depth.fixed.lr = nan",
        "allowed: a finite number",
    ),
    (
        "typo_top_level_key",
        "seed",
        3,
        "config (top level): unknown key 'seed' (did you mean 'seeds'?)",
        "allowed keys: confirm_scale, datasets, device, families, max_cpu_hours, max_trainings, "
        "seeds",
    ),
    (
        "missing_grid",
        "families.depth.grid",
        DELETE,
        "families.depth: missing key 'grid'",
        "required keys: dataset, model, grid",
    ),
    (
        "grid_and_fixed_both",
        "families.depth.fixed.depth",
        2,
        "families.depth: depth given both in grid and in fixed",
        "either varied (grid) or fixed",
    ),
    (
        "unknown_image_source",
        "datasets.images.source",
        "mnist",
        "datasets.images.source = 'mnist'",
        "allowed: fashion_mnist, synthetic",
    ),
    (
        "train_fraction_leaves_no_test_set",
        "datasets.train_fraction",
        0.999,
        "datasets.train_fraction = 0.999 leaves 200 training and 0 test samples",
        "allowed: a fraction leaving at least 2 training and 1 test sample (0.01 … 0.995)",
    ),
    (
        "train_fraction_leaves_one_training_sample",
        "datasets.train_fraction",
        0.005,
        "datasets.train_fraction = 0.005 leaves 1 training and 199 test samples",
        "at least 2 training and 1 test sample",
    ),
    (
        "validation_images_leave_nothing_to_train_on",
        "datasets.images.n_val",
        500,
        "datasets.images.n_val = 500 leaves no training images of datasets.images.n_train = 500",
        "allowed: 0 … 499",
    ),
    (
        "validation_images_leave_less_than_a_batch",
        "datasets.images.n_val",
        450,
        "families.optimizer.fixed.batch_size = 128 is larger than the training set",
        "allowed: 1 … 50 (datasets.images.n_train − n_val)",
    ),
    (
        "range_test_ending_below_its_start",
        "families.lr_range.fixed.range_end",
        0.00001,
        "families.lr_range.fixed.range_end = 1e-05 is not above "
        "families.lr_range.fixed.lr = 0.0001",
        "allowed: range_end > lr (schedule range_test sweeps from lr up to range_end)",
    ),
    (
        "range_test_in_a_grid_ending_below_its_lr",
        "families.schedule.grid",
        {"schedule": ["constant", "range_test"], "range_end": [0.01, 1.0], "bn": ["pre"]},
        "families.schedule.grid.range_end[0] = 0.01 is not above families.schedule.fixed.lr = 0.03",
        "allowed: range_end > lr",
    ),
    (
        "more_images_than_fashion_mnist_has",
        "datasets.images",
        {"source": "fashion_mnist", "n_train": 70000, "n_test": 100},
        "datasets.images.n_train = 70000 is more than Fashion-MNIST holds",
        "allowed: 10 … 60000",
    ),
]
IDS = [case[0] for case in CASES]


def _edited(path: str, value) -> dict:
    cfg = copy.deepcopy(SMOKE)
    *parents, key = path.split(".")
    node = cfg
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return cfg


@pytest.mark.parametrize("name, path, value, names, allowed", CASES, ids=IDS)
def test_check_config_names_key_value_and_allowed(name, path, value, names, allowed):
    with pytest.raises(ConfigError) as err:
        check_config(_edited(path, value), SCHEMA)
    assert names in str(err.value) and allowed in str(err.value)
    assert "\n" not in str(err.value)


def test_a_bad_family_name_is_refused():
    cfg = copy.deepcopy(SMOKE)
    cfg["families"]["my depth"] = cfg["families"].pop("depth")
    with pytest.raises(ConfigError, match="family name 'my depth' is not allowed; allowed: a"):
        check_config(cfg, SCHEMA)


# ---- through snakemake ------------------------------------------------------------------

#: Files a user already has: a bad config must leave them as they are.
KEEP = {
    "results/runs/depth/act~relu/bn~none/depth~1/metrics.csv": "seed,epoch,metric,value\n",
    "results/claims/claims.csv": "claim,verdict\nD1,supported\n",
    "results/data/images.pt": "the previous images dataset",
    "results/data/poly2.pt": "the previous poly2 dataset",
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return checkout_with(tmp_path_factory.mktemp("checkout"), KEEP)


@pytest.fixture(scope="module")
def bad_runs(checkout):
    """Every case through ``snakemake --cores 1``, two at a time: id → (exit code, output)."""
    before = files_under(checkout / "results")
    for name, path, value, _, _ in CASES:
        text = yaml.safe_dump(_edited(path, value), sort_keys=False)
        (checkout / "config" / f"bad_{name}.yaml").write_text(text)

    def run(name):
        proc = run_snakemake(checkout, f"config/bad_{name}.yaml", timeout=120)
        return name, (proc.returncode, proc.output)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, IDS))
    assert files_under(checkout / "results") == before
    return results


@pytest.mark.e2e
@pytest.mark.parametrize("name, path, value, names, allowed", CASES, ids=IDS)
def test_snakemake_stops_with_one_line(bad_runs, checkout, name, path, value, names, allowed):
    code, out = bad_runs[name]
    assert code != 0, out
    lines = [line for line in out.splitlines() if line.startswith("invalid config: ")]
    assert len(lines) == 1, out
    assert names in lines[0] and allowed in lines[0], lines[0]
    assert "Traceback" not in out and 'File "' not in out, out
    assert "Building DAG" not in out and jobs_run(out, "make_dataset") == 0, out
    for rel, text in KEEP.items():
        assert (checkout / rel).read_text() == text
    assert not (checkout / "logs").exists()
