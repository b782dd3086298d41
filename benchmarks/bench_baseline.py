"""The baseline a user would otherwise run: the tutorials' way, one process, one seed each.

Loops over the same configurations as the study (expanded from the config),
one seed each, the way BN tutorials do: a plain ``nn.Module``, a
``DataLoader`` over a ``TensorDataset`` with shuffling, a ``torch.optim``
optimizer (and a torch scheduler where the family has one), an evaluation of
the test set every epoch; torch's default number of threads. Then the ratio
of our 5-seed study's wall time (results/benchmarks/study.json, if present)
to this 1-seed serial baseline.

    .venv/bin/python benchmarks/bench_baseline.py [--config config/config.yaml] [--families a,b]
    → results/benchmarks/baseline.json
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import yaml
from _common import OUT_DIR, ROOT, write_result
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from bnstudy.config import TrainConfig
from bnstudy.data import make_dataset
from bnstudy.grid import expand_study
from bnstudy.models import make_model
from bnstudy.training.reference import make_optimizer
from bnstudy.training.schedules import make_schedule


def train_tutorial_style(cfg: TrainConfig, data: dict, seed: int = 0) -> float:
    torch.manual_seed(seed)
    classification = data["task"] == "classification"
    model = make_model(cfg, tuple(data["x_train"].shape[1:]), 10 if classification else 1)
    loader = DataLoader(
        TensorDataset(data["x_train"], data["y_train"]),
        batch_size=cfg.batch_size,
        shuffle=True,
        drop_last=data["x_train"].shape[0] % cfg.batch_size == 1,  # BN cannot take 1 sample
    )
    optimizer = make_optimizer(cfg, model.parameters())
    schedule = make_schedule(
        cfg.schedule,
        optimizer,
        lr=cfg.lr,
        epochs=cfg.epochs,
        steps_per_epoch=len(loader),
        k=cfg.schedule_k,
        range_end=cfg.range_end,
    )
    loss_fn = nn.CrossEntropyLoss() if classification else nn.MSELoss()
    test_loss = float("nan")
    for _ in range(cfg.epochs):
        model.train()
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            schedule.after_batch()
            total += loss.item()
        schedule.after_epoch(total / len(loader))
        model.eval()
        with torch.no_grad():
            test_loss = loss_fn(model(data["x_test"]), data["y_test"]).item()
    return test_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--families", help="comma-separated subset (default: all)")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / args.config).read_text())
    from bnstudy.validate import check_config

    check_config(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    study = expand_study(config)
    if args.families:
        study = {f: study[f] for f in args.families.split(",")}
    start = time.perf_counter()
    datasets = {
        name: make_dataset(name, config["datasets"])
        for name in {c["dataset"] for cs in study.values() for c in cs}
    }
    per_family = {}
    for family, configs in study.items():
        t0 = time.perf_counter()
        for c in configs:
            cfg = TrainConfig.from_dict(
                {k: v for k, v in c.items() if k not in ("family", "config_id")}
            )
            train_tutorial_style(cfg, datasets[cfg.dataset])
        per_family[family] = {"configs": len(configs), "s": round(time.perf_counter() - t0, 1)}
        print(family, per_family[family], flush=True)
    wall = time.perf_counter() - start
    result = {
        "config": args.config,
        "threads": torch.get_num_threads(),
        "seeds": 1,
        "wall_s": round(wall, 1),
        "per_family": per_family,
    }
    study_json = OUT_DIR / "study.json"
    if study_json.exists() and not args.families:
        ours = json.loads(study_json.read_text())["cold"]["wall_s"]
        result["our_5_seed_study_wall_s"] = ours
        result["ratio_ours_to_baseline"] = round(ours / wall, 2)
        # The same 5 seeds the tutorials' way would cost 5 such loops (each seed is a
        # separate training there); extrapolated, not run.
        result["baseline_5_seeds_extrapolated_s"] = round(5 * wall, 1)
        result["ratio_ours_to_5_seed_baseline"] = round(ours / (5 * wall), 2)
    write_result("baseline", result)


if __name__ == "__main__":
    main()
