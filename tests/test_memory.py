"""Peak memory of training jobs: whole-set passes in chunks, and default-size jobs under limits."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
import yaml
from workflow_helpers import copy_checkout, jobs_run, run_snakemake

from bnstudy.config import TrainConfig
from bnstudy.data import make_regression
from bnstudy.images import make_shapes
from bnstudy.tables import MEMORY_LIMITS_MB, memory_by_model, training_memory
from bnstudy.training import evaluation, stacked


@pytest.mark.parametrize(
    "cfg, data",
    [
        (
            TrainConfig(model="mlp", act="relu", bn="pre", depth=3, epochs=2, batch_size=20),
            make_regression("poly2", n_samples=300, seed=420),
        ),
        (
            TrainConfig(dataset="images", model="lenet", bn="scratch", lr=0.1, batch_size=50),
            make_shapes(150, 90, seed=420),
        ),
    ],
    ids=["mlp_relu_bn", "lenet_scratch_bn"],
)
def test_chunked_evaluation_and_probes_match_one_pass(monkeypatch, cfg, data):
    model = stacked.build_stacked(cfg, data, [0, 1, 2])
    model.train()
    with torch.no_grad():  # running statistics away from their initial values
        for _ in range(3):
            x = data["x_train"][:64]
            model(x.unsqueeze(0).expand(3, *x.shape))
    monkeypatch.setattr(evaluation, "EVAL_CHUNK", 10**9)
    whole = (
        evaluation.evaluate(model, data["x_test"], data["y_test"], data["task"]),
        evaluation.probes(model, data["x_train"], cfg),
    )
    monkeypatch.setattr(evaluation, "EVAL_CHUNK", 37)  # uneven chunks, a short last one
    chunked = (
        evaluation.evaluate(model, data["x_test"], data["y_test"], data["task"]),
        evaluation.probes(model, data["x_train"], cfg),
    )
    (loss_w, acc_w), probes_w = whole
    (loss_c, acc_c), probes_c = chunked
    assert loss_c == pytest.approx(loss_w, rel=1e-5) and acc_c == acc_w
    for seed_w, seed_c in zip(probes_w, probes_c, strict=True):
        assert seed_w.keys() == seed_c.keys() and any(k.startswith("bn_var_gap") for k in seed_w)
        for key in seed_w:
            assert seed_c[key] == pytest.approx(seed_w[key], rel=1e-4, abs=1e-6), key


def test_memory_table_reads_benchmarks_and_run_peaks(tmp_path):
    for family, cid, model, rss, peak in [
        ("lenet", "bn~none", "lenet", 1500.0, 1700.0),
        ("opt", "bn_layers~1", "wide_mlp", 400.0, None),
        ("opt", "bn_layers~0", "wide_mlp", 1200.0, 300.0),
    ]:
        bench = tmp_path / "benchmarks" / "train_config" / family / f"{cid}.tsv"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text(f"s\th:m:s\tmax_rss\n3.2\t0:00:03\t{rss}\n")
        run = tmp_path / "runs" / family / cid / "config.json"
        run.parent.mkdir(parents=True, exist_ok=True)
        resolved = {"family": family, "config_id": cid, "config": {"model": model}, "seeds": [0]}
        if peak is not None:
            resolved["peak_rss_mb"] = peak
        run.write_text(json.dumps(resolved))
    jobs = training_memory(str(tmp_path))
    assert len(jobs) == 3
    table = memory_by_model(jobs).set_index("model")
    assert table.loc["lenet", "peak_mb"] == 1700.0 and table.loc["lenet", "under_limit"]
    # 1200 MiB sampled by Snakemake is 1258 MB: over the wide MLP's 1000 MB.
    assert table.loc["wide_mlp", "peak_mb"] == pytest.approx(1258.3, abs=0.1)
    assert table.loc["wide_mlp", "run"] == "opt/bn_layers~0"
    assert not table.loc["wide_mlp", "under_limit"]


#: Default data sizes (6000 training and 2000 test images, 5 seeds); one epoch is enough
#: for the peak, which comes from the whole-set passes after each epoch.
DEFAULT_SIZE = {
    "seeds": 5,
    "device": "cpu",
    "families": {
        "lenet": {
            "dataset": "images",
            "model": "lenet",
            "grid": {"bn": ["scratch"]},  # hand-written BN keeps the most temporaries
            "fixed": {"lr": 0.1, "batch_size": 256, "epochs": 1},
        },
        "wide": {
            "dataset": "images",
            "model": "wide_mlp",
            "grid": {"bn_layers": [4]},
            "fixed": {
                "act": "relu",
                "optimizer": "nesterov",
                "lr": 0.01,
                "batch_size": 1024,
                "epochs": 1,
            },
        },
    },
}


@pytest.mark.e2e
def test_default_size_training_jobs_stay_under_their_memory_limits(tmp_path):
    repo = copy_checkout(tmp_path)
    (repo / "config" / "memory.yaml").write_text(yaml.safe_dump(DEFAULT_SIZE))
    targets = [
        "results/runs/lenet/bn~scratch/metrics.csv",
        "results/runs/wide/bn_layers~4/metrics.csv",
    ]
    proc = run_snakemake(repo, "config/memory.yaml", *targets)
    assert proc.returncode == 0, proc.output[-3000:]
    assert jobs_run(proc.output, "train_config") == 2
    jobs = training_memory(str(repo / "results"))
    print(jobs.to_string())  # the measured peaks, for the record (pytest -s)
    assert set(jobs["model"]) == {"lenet", "wide_mlp"} and jobs["peak_rss_mb"].notna().all()
    for row in jobs.itertuples():
        assert row.peak_mb < MEMORY_LIMITS_MB[row.model], row
    assert pd.read_csv(repo / targets[0])["metric"].eq("bn_var_gap.1").any()
