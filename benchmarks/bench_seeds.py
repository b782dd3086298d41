"""Seeds batched vs one by one, in one warm process (no start-up cost counted).

For the tiny MLP of the depth family, the wide image MLP at batch 4 and 128,
and LeNet: the time to train 5 seeds one after another with the per-seed
reference trainer, 5 seeds as one batched model, and 1 seed batched.

    .venv/bin/python benchmarks/bench_seeds.py  → results/benchmarks/seeds.json
"""

from __future__ import annotations

import time

import torch
from _common import write_result

from bnstudy.config import TrainConfig
from bnstudy.data import make_regression
from bnstudy.images import make_shapes
from bnstudy.training.job import train_config

SEEDS = [0, 1, 2, 3, 4]


def timed(cfg: TrainConfig, data: dict, seeds: list[int], batched: bool, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        train_config(cfg, data, seeds, batched=batched)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    torch.set_num_threads(1)
    poly2 = make_regression("poly2")
    images = make_shapes(6000, 2000, seed=420)
    cases = {
        "tiny_mlp (depth 4, tanh, BN pre, 40 epochs)": (
            TrainConfig(depth=4, act="tanh", bn="pre"),
            poly2,
            3,
        ),
        "wide_mlp batch 128 (1 epoch)": (
            TrainConfig(
                dataset="images",
                model="wide_mlp",
                bn_layers=1,
                act="sigmoid",
                optimizer="nesterov",
                lr=0.01,
                batch_size=128,
                epochs=1,
            ),
            images,
            1,
        ),
        "wide_mlp batch 4 (1 epoch)": (
            TrainConfig(
                dataset="images",
                model="wide_mlp",
                bn_layers=1,
                act="sigmoid",
                optimizer="nesterov",
                lr=0.01,
                batch_size=4,
                epochs=1,
            ),
            images,
            1,
        ),
        "lenet library BN (1 epoch)": (
            TrainConfig(
                dataset="images", model="lenet", bn="library", lr=1.0, batch_size=256, epochs=1
            ),
            images,
            1,
        ),
    }
    train_config(TrainConfig(epochs=1), poly2, [0], batched=False)  # warm up torch.optim
    rows = {}
    for name, (cfg, data, repeat) in cases.items():
        serial = timed(cfg, data, SEEDS, batched=False, repeat=repeat)
        batched = timed(cfg, data, SEEDS, batched=True, repeat=repeat)
        one = timed(cfg, data, SEEDS[:1], batched=True, repeat=repeat)
        rows[name] = {
            "serial_5_seeds_s": round(serial, 3),
            "batched_5_seeds_s": round(batched, 3),
            "batched_1_seed_s": round(one, 3),
            "speedup_batched_vs_serial": round(serial / batched, 2),
            "five_seeds_vs_one_seed": round(batched / one, 2),
        }
        print(name, rows[name], flush=True)
    write_result("seeds", {"threads": 1, "cases": rows})


if __name__ == "__main__":
    main()
