import copy
from pathlib import Path

import pytest
import yaml

from bnstudy import vocab
from bnstudy.config import TrainConfig, canonical, dataset_settings
from bnstudy.grid import config_id, expand_family, expand_study
from bnstudy.validate import ConfigError, check_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")

DEPTH = {
    "dataset": "poly2",
    "model": "mlp",
    "grid": {"depth": [1, 2, 3, 4], "act": ["sigmoid", "tanh"], "bn": ["none", "pre", "post"]},
    "fixed": {"lr": 0.03, "batch_size": 50, "epochs": 40},
}


def test_one_row_per_configuration_with_readable_ids():
    table = expand_family("depth", DEPTH)
    assert len(table) == 4 * 2 * 3
    assert table["config_id"].is_unique
    assert "act~tanh/bn~pre/depth~3" in set(table["config_id"])
    row = table.set_index("config_id").loc["act~tanh/bn~pre/depth~3"]
    assert (row["act"], row["bn"], row["depth"], row["lr"], row["epochs"]) == (
        "tanh",
        "pre",
        3,
        0.03,
        40,
    )


def test_ids_are_stable_across_order_and_fixed_values():
    reordered = copy.deepcopy(DEPTH)
    reordered["grid"] = dict(reversed(list(DEPTH["grid"].items())))
    reordered["grid"]["depth"] = [4, 3, 2, 1]
    reordered["fixed"]["epochs"] = 5  # fixed values shape the job, not its id
    assert sorted(expand_family("depth", DEPTH)["config_id"]) == sorted(
        expand_family("depth", reordered)["config_id"]
    )


def test_changing_one_value_changes_exactly_its_ids():
    lr_block = {
        "dataset": "poly2",
        "model": "mlp",
        "grid": {"lr": [0.3, 0.1, 0.03], "depth": [3, 4], "bn": ["none", "pre"]},
    }
    before = set(expand_family("lr", lr_block)["config_id"])
    changed = copy.deepcopy(lr_block)
    changed["grid"]["lr"] = [0.5, 0.1, 0.03]
    after = set(expand_family("lr", changed)["config_id"])
    assert before - after == {i for i in before if "lr~0.3/" in i or i.endswith("lr~0.3")}
    assert len(before - after) == 4 and len(after - before) == 4
    assert all("lr~0.5" in i for i in after - before)


def test_config_id_format():
    assert (
        config_id({"lr": 0.0003, "bn": "pre", "nesterov": True}) == "bn~pre/lr~0.0003/nesterov~true"
    )


def test_schema_defaults_match_trainconfig_defaults():
    schema = yaml.safe_load(open(SCHEMA))
    props = schema["$defs"]["params"]["properties"]
    defaults = TrainConfig().to_dict()
    for key, spec in props.items():
        assert "description" in spec, key
        if "default" in spec:
            assert spec["default"] == defaults[key], key
    assert set(props) == set(defaults)


def test_schema_lists_the_vocabularies_of_bnstudy_vocab():
    """The schema is the user's copy of the vocabularies; bnstudy.vocab is the code's."""
    schema = yaml.safe_load(open(SCHEMA))
    props = schema["$defs"]["params"]["properties"]
    assert tuple(props["act"]["enum"]) == vocab.ACTIVATIONS
    assert tuple(props["schedule"]["enum"]) == vocab.SCHEDULES
    assert tuple(props["optimizer"]["enum"]) == vocab.OPTIMIZERS
    assert tuple(props["init"]["enum"]) == vocab.INITS
    assert tuple(props["dataset"]["enum"]) == vocab.DATASETS
    assert tuple(props["model"]["enum"]) == vocab.MODELS
    assert set(props["bn"]["enum"]) == set(vocab.BN_PLACEMENTS) | set(vocab.LENET_BN)
    images = schema["properties"]["datasets"]["properties"]["images"]["properties"]
    assert tuple(images["source"]["enum"]) == vocab.IMAGE_SOURCES
    assert tuple(schema["properties"]["device"]["enum"]) == vocab.DEVICES


def test_values_not_formatting_shape_a_configuration():
    """1 and 1.0 are one learning rate; 10.0 epochs are 10; key order decides nothing."""
    a = {"dataset": "poly2", "model": "mlp", "grid": {"lr": [1, 0.1]}, "fixed": {"epochs": 10.0}}
    b = {"model": "mlp", "fixed": {"epochs": 10}, "grid": {"lr": [1.0, 0.1]}, "dataset": "poly2"}
    ta, tb = expand_family("f", a), expand_family("f", b)
    assert list(ta["config_id"]) == list(tb["config_id"]) == ["lr~0.1", "lr~1.0"]
    assert ta.to_dict("records") == tb.to_dict("records")
    assert isinstance(ta["epochs"][0].item(), int)
    settings = {"seed": 1, "noise": 1.0, "images": {"n_test": 5, "source": "synthetic"}}
    reordered = {"images": {"source": "synthetic", "n_test": 5}, "noise": 1.0, "seed": 1}
    for name in ("poly2", "images"):
        assert repr(dataset_settings(name, settings)) == repr(dataset_settings(name, reordered))
    assert repr(canonical(settings)) == repr(canonical(reordered))


def _config(**families):
    return {"seeds": 2, "families": families or {"depth": copy.deepcopy(DEPTH)}}


def test_valid_config_gets_defaults_and_expands():
    cfg = _config()
    study = expand_study(check_config(cfg, SCHEMA))
    assert cfg["device"] == "auto" and cfg["datasets"]["seed"] == 420
    assert list(study) == ["depth"] and len(study["depth"]) == 24


def test_shipped_configs_are_valid():
    for name in ("config.yaml", "smoke.yaml"):
        cfg = yaml.safe_load(open(ROOT / "config" / name))
        study = expand_study(check_config(cfg, SCHEMA))
        assert {"depth", "lr"} <= set(study), name


BAD = [
    (
        ("grid", "act"),
        ["tanh", "swish"],
        "families.depth.grid.act[1] = 'swish'",
        "sigmoid, tanh, relu",
    ),
    (("grid", "bn"), ["inside"], "families.depth.grid.bn[0] = 'inside'", "none, pre, post"),
    (("fixed", "lr"), 0, "families.depth.fixed.lr = 0", "> 0"),
    (("fixed", "lr"), -0.1, "families.depth.fixed.lr = -0.1", "> 0"),
    (("fixed", "lr"), "fast", "families.depth.fixed.lr = 'fast'", "expected number"),
    (("fixed", "batch_size"), 0, "families.depth.fixed.batch_size = 0", ">= 1"),
    (("fixed", "batch_size"), 100000, "families.depth.fixed.batch_size = 100000", "1 … 700"),
    (("fixed", "epochs"), 0, "families.depth.fixed.epochs = 0", ">= 1"),
    (
        ("fixed", "optimizer"),
        "rmsprop",
        "families.depth.fixed.optimizer = 'rmsprop'",
        "sgd, nesterov, adam",
    ),
    (("grid", "depth"), [0, 1], "families.depth.grid.depth[0] = 0", ">= 1"),
    (("grid", "depth"), [], "families.depth.grid.depth is empty", "at least one"),
    (("grid", "depth"), [2, 2], "families.depth.grid.depth = [2, 2]", "twice"),
    (("grid", "lrs"), [0.1], "families.depth.grid: unknown key 'lrs'", "allowed keys: act,"),
    (("fixed", "depth"), 3, "families.depth: depth given both in grid and in fixed", "either"),
]


@pytest.mark.parametrize("where, value, names, allowed", BAD, ids=[b[2] for b in BAD])
def test_bad_values_name_key_value_and_allowed(where, value, names, allowed):
    cfg = _config()
    cfg["families"]["depth"][where[0]][where[1]] = value
    with pytest.raises(ConfigError) as err:
        check_config(cfg, SCHEMA)
    message = str(err.value)
    assert names in message and allowed in message
    assert "\n" not in message


def test_bad_global_values():
    for key, value, text in [("seeds", 0, "seeds = 0"), ("device", "tpu", "device = 'tpu'")]:
        cfg = _config()
        cfg[key] = value
        with pytest.raises(ConfigError, match=text):
            check_config(cfg, SCHEMA)
    cfg = _config()
    cfg["families"]["depth"]["dataset"] = "mnist"
    with pytest.raises(ConfigError, match="poly2, linear"):
        check_config(cfg, SCHEMA)


def _images_family(**over):
    block = {"dataset": "images", "model": "lenet", "grid": {"bn": ["none", "library"]}}
    block.update(over)
    return block


@pytest.mark.parametrize(
    "block, message",
    [
        (
            _images_family(grid={"bn": ["none", "pre"]}),
            "families.x.grid.bn[1] = 'pre' is not allowed for model lenet; "
            "allowed: none, library, scratch",
        ),
        (
            _images_family(model="mlp"),
            "families.x.model = 'mlp' cannot train on dataset 'images'; allowed: wide_mlp, lenet",
        ),
        (
            {"dataset": "poly2", "model": "mlp", "grid": {"bn_layers": [0, 1]}},
            "bn_layers applies to model wide_mlp only",
        ),
        (
            {"dataset": "images", "model": "wide_mlp", "grid": {"bn": ["pre"]}},
            "the wide MLP sets BN with bn_layers",
        ),
        (
            {"dataset": "images", "model": "wide_mlp", "grid": {"bn_layers": [5]}},
            "families.x.grid.bn_layers[0] = 5 is not allowed; allowed: integer >= 0 and <= 4",
        ),
        (
            _images_family(fixed={"batch_size": 70000}),
            "families.x.fixed.batch_size = 70000 is larger than the training set",
        ),
        (
            _images_family(fixed={"schedule": "warmup"}),
            "families.x.fixed.schedule = 'warmup' is not allowed; allowed: constant, halving",
        ),
    ],
)
def test_cross_key_checks(block, message):
    with pytest.raises(ConfigError) as err:
        check_config({"families": {"x": block}}, SCHEMA)
    assert message in str(err.value)


def test_family_overrides_seeds_and_typos_warn():
    from bnstudy.families import family_name_warnings

    cfg = {"seeds": 5, "families": {"lenet": _images_family(seeds=2)}}
    check_config(cfg, SCHEMA)
    assert cfg["families"]["lenet"]["seeds"] == 2
    warnings = family_name_warnings(
        {"depthh": {}, "lenet": {}, "my_widths": {}}, ["depth", "lenet"]
    )
    assert len(warnings) == 1 and "did you mean 'depth'" in warnings[0]


def test_a_grid_of_a_list_of_grids_may_set_its_own_lr_sweep():
    """Only the configurations of that grid sweep; the sweep is in their ids (so editing
    it reruns exactly them), and it is no grid axis of the figures or claims."""
    from bnstudy.report.sections.methods import lr_sweeps
    from bnstudy.summary import grid_axes

    block = {
        "dataset": "poly2",
        "model": "mlp",
        "grid": [
            {"batch_size": [4], "bn": ["none", "pre"]},
            {"batch_size": [64], "bn": ["none", "pre"], "lr_sweep": [[0.3, 0.1]]},
        ],
        "fixed": {"lr": 0.03},
    }
    table = expand_family("batch", block).set_index("config_id")
    assert sorted(table.index) == [
        "batch_size~4/bn~none",
        "batch_size~4/bn~pre",
        "batch_size~64/bn~none/lr_sweep~0.1+0.3",
        "batch_size~64/bn~pre/lr_sweep~0.1+0.3",
    ]
    assert table.loc["batch_size~4/bn~pre", "lr_sweep"] == []
    assert table.loc["batch_size~64/bn~pre/lr_sweep~0.1+0.3", "lr_sweep"] == [0.1, 0.3]
    assert sorted(grid_axes(table.reset_index())) == ["batch_size", "bn"]
    cfg = _config()
    cfg["families"] = {"batch": block}
    check_config(cfg, SCHEMA)  # valid as it is
    assert lr_sweeps(cfg, ["batch"]) == [
        ("batch", "0.03 (at batch_size 64, bn none/pre)", "0.1, 0.3")
    ]
    block["grid"][1]["lr_sweep"] = [[0.1, -1]]
    with pytest.raises(ConfigError, match=r"families.batch.grid\[1\].lr_sweep\[0\]\[1\] = -1"):
        check_config(cfg, SCHEMA)
