"""What no value check can see is caught before any job too: what the config asks of this
machine (the Fashion-MNIST files, a CUDA device), the config files themselves (missing,
not YAML, a key given twice), and the size of the run (its plan printed; a stop above
a limit unless confirmed). Each through ``bnstudy.validate`` / ``bnstudy.scale`` and
through the real ``snakemake`` on a copy of the checkout, ``results/`` untouched.
The values themselves are in tests/test_bad_config.py.
"""

from __future__ import annotations

import copy
import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from workflow_helpers import (
    ROOT,
    checkout_with,
    copy_checkout,
    files_under,
    jobs_run,
    run_snakemake,
)

from bnstudy import fashion
from bnstudy.fashion import write_idx
from bnstudy.validate import ConfigError, check_config, check_config_files, check_environment

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
SMOKE = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
#: Files a user already has: a run stopped before any job must leave them as they are.
KEEP = {
    "results/runs/depth/act~relu/bn~none/depth~1/metrics.csv": "seed,epoch,metric,value\n",
    "results/claims/claims.csv": "claim,verdict\nD1,supported\n",
    "results/data/images.pt": "the previous images dataset",
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return checkout_with(tmp_path_factory.mktemp("checkout"), KEEP)


# ---- what the config asks of this machine: data files, CUDA ---------------------------

FASHION = {
    "seeds": 2,
    "device": "cpu",
    "datasets": {
        "images": {
            "source": "fashion_mnist",
            "fashion_mnist_dir": "fashion",
            "n_train": 100,
            "n_val": 20,
            "n_test": 50,
        }
    },
    "families": {
        "lenet": {
            "dataset": "images",
            "model": "lenet",
            "grid": {"bn": ["none"]},
            "fixed": {"batch_size": 50, "epochs": 1},
        }
    },
}
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"


def _fashion(folder: str = "fashion", **images) -> dict:
    cfg = copy.deepcopy(FASHION)
    cfg["datasets"]["images"].update(fashion_mnist_dir=folder, **images)
    return cfg


def _fake_fashion(folder: Path, n_train: int = 100, n_test: int = 50) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), "u1"))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, "u1"))


def _env_error(cfg: dict, tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        check_environment(check_config(cfg, SCHEMA), cache=str(tmp_path / "verified.json"))
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_missing_fashion_mnist_folder_says_how_to_get_it(tmp_path):
    message = _env_error(_fashion(str(tmp_path / "nothere")), tmp_path)
    assert message.startswith(f"datasets.images.fashion_mnist_dir = '{tmp_path / 'nothere'}': ")
    assert f"{tmp_path / 'nothere' / TRAIN_IMAGES}: Fashion-MNIST file not found" in message
    assert fashion.HOW_TO_GET in message


def test_a_corrupt_or_foreign_fashion_mnist_file_is_named(tmp_path):
    _fake_fashion(tmp_path / "f")
    message = _env_error(_fashion(str(tmp_path / "f")), tmp_path)  # not the published content
    assert f"{tmp_path / 'f' / TRAIN_IMAGES}: content differs from the published" in message
    (tmp_path / "f" / TRAIN_IMAGES).write_bytes(b"\x1f\x8b truncated")
    message = _env_error(_fashion(str(tmp_path / "f"), verify_checksums=False), tmp_path)
    assert f"{tmp_path / 'f' / TRAIN_IMAGES}: not a readable gzip file or truncated" in message


def test_files_of_ones_own_must_hold_the_samples_asked_for(tmp_path):
    _fake_fashion(tmp_path / "f", n_train=100, n_test=30)
    cfg = _fashion(str(tmp_path / "f"), verify_checksums=False, n_test=30)
    check_environment(check_config(cfg, SCHEMA))  # as many as the files hold
    message = _env_error(_fashion(str(tmp_path / "f"), verify_checksums=False), tmp_path)
    assert message == (
        f"datasets.images.n_test = 50 is more than {tmp_path / 'f' / 't10k-images-idx3-ubyte.gz'}"
        " holds; allowed: 10 … 30"
    )


def test_fashion_mnist_to_download_and_unused_fashion_mnist_pass(tmp_path):
    check_environment(check_config(_fashion(str(tmp_path / "x"), download=True), SCHEMA))
    cfg = _fashion(str(tmp_path / "x"))
    cfg["families"] = {"depth": {"dataset": "poly2", "model": "mlp", "grid": {"depth": [1]}}}
    check_environment(check_config(cfg, SCHEMA))  # no family reads the images


def test_a_passing_fashion_mnist_folder_is_remembered(tmp_path, monkeypatch):
    _fake_fashion(tmp_path / "f")
    cfg = check_config(_fashion(str(tmp_path / "f"), verify_checksums=False), SCHEMA)
    check_environment(cfg, cache=str(tmp_path / "verified.json"))
    assert (tmp_path / "verified.json").exists()
    monkeypatch.setattr(fashion, "read_split", lambda *a, **k: pytest.fail("read again"))
    check_environment(cfg, cache=str(tmp_path / "verified.json"))


def test_device_cuda_needs_a_cuda_device(monkeypatch):
    import torch

    cfg = check_config({**copy.deepcopy(SMOKE), "device": "cuda"}, SCHEMA)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="device = 'cuda' but torch finds no CUDA device"):
        check_environment(cfg)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    check_environment(cfg)


#: (id, config, snakemake's one line) of inputs only this machine can refuse.
ENV_CASES = [
    (
        "fashion_mnist_missing",
        _fashion("nothere"),
        "datasets.images.fashion_mnist_dir = 'nothere': nothere/train-images-idx3-ubyte.gz: "
        "Fashion-MNIST file not found; install them with `apt-get install dataset-fashion-mnist`",
    ),
    (
        "fashion_mnist_corrupt",
        _fashion("corrupt"),
        "datasets.images.fashion_mnist_dir = 'corrupt': corrupt/train-images-idx3-ubyte.gz: "
        "not a readable gzip file or truncated",
    ),
    (
        "device_cuda_without_cuda",
        {**copy.deepcopy(SMOKE), "device": "cuda"},
        "device = 'cuda' but torch finds no CUDA device on this machine; allowed here: auto",
    ),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name, cfg, line", ENV_CASES, ids=[c[0] for c in ENV_CASES])
def test_snakemake_checks_the_machine_before_any_job(checkout, name, cfg, line):
    if name == "device_cuda_without_cuda":
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    _fake_fashion(checkout / "corrupt")
    (checkout / "corrupt" / TRAIN_IMAGES).write_bytes(gzip.compress(b"\0\0\x08\x03 no IDX")[:20])
    (checkout / "config" / f"env_{name}.yaml").write_text(yaml.safe_dump(cfg))
    before = files_under(checkout / "results")
    proc = run_snakemake(checkout, f"config/env_{name}.yaml", timeout=120)
    assert proc.returncode != 0
    lines = [x for x in proc.output.splitlines() if x.startswith("invalid config: ")]
    assert len(lines) == 1 and line in lines[0], proc.output
    assert "Traceback" not in proc.output and "Building DAG" not in proc.output
    assert files_under(checkout / "results") == before
    for rel, text in KEEP.items():
        assert (checkout / rel).read_text() == text


# ---- the config files themselves ------------------------------------------------------


def test_a_key_given_twice_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("seeds: 2\nfamilies:\n  lr:\n    dataset: poly2\n    dataset: linear\n")
    with pytest.raises(ConfigError) as err:
        check_config_files([str(path)])
    assert str(err.value) == (
        f"{os.path.relpath(path)}, line 5: key 'dataset' given twice in one block "
        "(first on line 4); allowed: each key once"
    )
    path.write_text("a: {b: 1, c: 2}\nd: [{b: 1}, {b: 2}]\n")  # the same key in other blocks
    check_config_files([str(path)])


def test_a_missing_or_malformed_config_file_is_named_with_its_line(tmp_path):
    with pytest.raises(ConfigError, match="config file .*nothere.yaml not found"):
        check_config_files([str(tmp_path / "nothere.yaml")])
    path = tmp_path / "bad.yaml"
    path.write_text("seeds: 2\nfamilies:\n  depth: {dataset: poly2\n  model: mlp\n")
    with pytest.raises(ConfigError) as err:
        check_config_files([str(path)])
    assert str(err.value).startswith(f"{os.path.relpath(path)}, line 4, column 8: not valid YAML")


DUPLICATE_SEEDS = """seeds: 2
device: cpu
families: {depth: {dataset: poly2, model: mlp, grid: {depth: [1]}}}
seeds: 3
"""
#: (id, what config/config.yaml holds or None for no file, args, snakemake's one line)
FILE_CASES = [
    (
        "default_config_missing",
        None,
        (),
        "invalid config: config file config/config.yaml not found",
    ),
    (
        "default_config_not_yaml",
        "seeds: 2\nfamilies: {depth: [1, 2}\n",
        (),
        "invalid config: config/config.yaml, line 2, column 24: not valid YAML",
    ),
    (
        "configfile_with_a_key_twice",
        None,
        ("--configfile", "config/dup.yaml"),
        "invalid config: config/dup.yaml, line 4: key 'seeds' given twice in one block "
        "(first on line 1); allowed: each key once",
    ),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name, text, args, line", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_snakemake_names_a_bad_config_file(tmp_path, name, text, args, line):
    repo = copy_checkout(tmp_path)
    (repo / "config" / "dup.yaml").write_text(DUPLICATE_SEEDS)
    (repo / "config" / "config.yaml").unlink()
    if text is not None:
        (repo / "config" / "config.yaml").write_text(text)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", *args]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and line in out, out
    assert "Traceback" not in out and "Building DAG" not in out, out


# ---- the size of a run ------------------------------------------------------------------

#: (id, edit of config/smoke.yaml, extra snakemake arguments, the stop line or None to run)
SCALE_CASES = [
    ("over_max_trainings", {}, ("--config", "max_trainings=5"), "trainings > max_trainings = 5"),
    ("confirmed", {}, ("--config", "max_trainings=5", "confirm_scale=true"), None),
    ("a_million_seeds", {"seeds": 1000000}, (), "CPU-hours > max_cpu_hours = 24"),
    ("a_billion_epochs", {"families.depth.fixed.epochs": 10**9}, (), "> max_cpu_hours = 24"),
    ("confirmed_in_the_file", {"seeds": 1000000, "confirm_scale": True}, (), None),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name, edits, args, stop", SCALE_CASES, ids=[c[0] for c in SCALE_CASES])
def test_snakemake_says_the_plans_size_and_stops_above_its_limits(
    checkout, name, edits, args, stop
):
    cfg = copy.deepcopy(SMOKE)
    for path, value in edits.items():
        *parents, key = path.split(".")
        node = cfg
        for part in parents:
            node = node[part]
        node[key] = value
    (checkout / "config" / f"scale_{name}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    before = files_under(checkout / "results")
    proc = run_snakemake(checkout, f"config/scale_{name}.yaml", *args, "--dry-run", timeout=120)
    plan = [x for x in proc.output.splitlines() if x.startswith("plan: ")]
    assert len(plan) == 1 and "trainings in 12 families; to train now:" in plan[0], proc.output
    assert "seed·epoch·samples), about " in plan[0]
    if stop is None:
        assert proc.returncode == 0 and jobs_run(proc.output, "train_config") > 0, proc.output
    else:
        lines = [x for x in proc.output.splitlines() if x.startswith("scale: ")]
        assert proc.returncode != 0 and len(lines) == 1 and stop in lines[0], proc.output
        assert "--config confirm_scale=true" in lines[0]
        assert jobs_run(proc.output, "train_config") == 0 and "Traceback" not in proc.output
    assert files_under(checkout / "results") == before
