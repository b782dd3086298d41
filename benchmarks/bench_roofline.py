"""Training near the machine's arithmetic limit: our training steps vs its own matmul speed.

Measured in one process on one core (``torch.set_num_threads(1)``, as every training
job runs under ``snakemake --cores N``), so the two numbers share the machine's
state and their ratio means something on a shared, noisy machine:

(a) the fp32 matrix-multiply throughput of the wide MLP's own layer shapes: every
    batched product of one training step (forward, input gradient, weight
    gradient of 784-512-256-128-64-10 for 5 seeds), each timed on its own into
    a preallocated output (best of several), FLOPs over the sum of their times;
(b) the FLOP-counted throughput of real training steps of the batched trainer
    (``bnstudy.training.batched``): wide MLP at batch 128 and 1024, 5 seeds, BN
    after 0 and 1 hidden layers, sigmoid, Nesterov (the image families' setting):
    the same matmul FLOPs per step over the measured step time.

The ratio (b)/(a) says how close training runs to the arithmetic limit. LeNet's
convolutions are not matrix products of a fixed shape; its figure is images per
second per core (5 seeds, batch 256, lr 1.0, each BN variant), measured for the
trainer as it is and, interleaved in the same run, for the previous layout of its
convolutions (one convolution per seed over the default memory layout): their
ratio is the speed-up of the channels-last grouped convolution.

    .venv/bin/python benchmarks/bench_roofline.py  → results/benchmarks/roofline.json
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from _common import write_result

from bnstudy.config import TrainConfig
from bnstudy.images import make_shapes
from bnstudy.training import stacked
from bnstudy.training.batched import BatchedTraining

WIDE = (784, 512, 256, 128, 64, 10)
SEEDS = [0, 1, 2, 3, 4]
# LeNet forward multiply-accumulates per image: conv1 6·24·24·25, conv2 16·8·8·150,
# then 256·120 + 120·84 + 84·10.
LENET_MACS = 6 * 24 * 24 * 25 + 16 * 8 * 8 * 150 + 256 * 120 + 120 * 84 + 84 * 10


def step_flops(batch: int, seeds: int = len(SEEDS), widths=WIDE) -> float:
    """FLOPs of one training step's matrix products: forward, input and weight gradients."""
    macs = sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    return 3 * 2 * macs * batch * seeds


def best_time(fn, repeat: int = 5, number: int = 3) -> float:
    """Best mean time of ``number`` calls, over ``repeat`` tries."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def matmul_limit(batch: int, dtype=torch.float32) -> float:
    """(a): FLOP/s of the step's own batched products, each timed alone."""
    s, total_time, total_flops = len(SEEDS), 0.0, 0.0
    for fan_in, fan_out in zip(WIDE, WIDE[1:], strict=False):
        x = torch.randn(s, batch, fan_in, dtype=dtype)
        w = torch.randn(s, fan_in, fan_out, dtype=dtype)
        b = torch.randn(s, 1, fan_out, dtype=dtype)
        g = torch.randn(s, batch, fan_out, dtype=dtype)
        products = (
            (torch.baddbmm, (b, x, w), torch.empty(s, batch, fan_out, dtype=dtype)),  # forward
            (torch.bmm, (g, w.transpose(1, 2)), torch.empty_like(x)),  # gradient of the input
            (torch.bmm, (x.transpose(1, 2), g), torch.empty_like(w)),  # gradient of the weights
        )
        for op, operands, out in products:
            total_time += best_time(lambda op=op, a=operands, o=out: op(*a, out=o))
            total_flops += 2 * s * batch * fan_in * fan_out
    return total_flops / total_time


def training_throughput(cfg: TrainConfig, data: dict, steps: int) -> float:
    """(b) for the wide MLP, or images/s for LeNet: seconds per step of the real trainer."""
    trainer = BatchedTraining(cfg, data, SEEDS, torch.device("cpu"))
    perms = torch.stack([torch.randperm(trainer.n, generator=g) for g in trainer.shuffles])
    totals = trainer.new_totals()
    trainer.model.train()
    slices = trainer.slices[:steps]
    for sl in slices[:3]:  # warm up
        trainer.step(perms[:, sl], totals)
    start = time.perf_counter()
    for sl in slices:
        trainer.step(perms[:, sl], totals)
    return (time.perf_counter() - start) / len(slices)


def per_seed_convolution(self, x: torch.Tensor) -> torch.Tensor:
    """The previous StackedConv.forward on the CPU: one convolution per seed, default layout."""
    c = self.conv
    xs, ws, bs = x.chunk(c.groups, dim=1), c.weight.chunk(c.groups), c.bias.chunk(c.groups)
    seeds = zip(xs, ws, bs, strict=True)
    return torch.cat([F.conv2d(*seed, c.stride, c.padding) for seed in seeds], dim=1)


def lenet_rates(bn: str, images: dict, steps: int) -> dict:
    """Images per second per core of LeNet training, now and with the previous layout."""
    cfg = TrainConfig(dataset="images", model="lenet", bn=bn, lr=1.0, batch_size=256)
    current = stacked.StackedConv.forward
    best = {"now": float("inf"), "before": float("inf")}
    for _ in range(3):  # interleaved: both see the machine in the same state
        for name, forward in (("now", current), ("before", per_seed_convolution)):
            stacked.StackedConv.forward = forward
            best[name] = min(best[name], training_throughput(cfg, images, steps))
    stacked.StackedConv.forward = current
    per_step = 256 * len(SEEDS)
    return {
        "images_per_s_per_core": round(per_step / best["now"]),
        "images_per_s_per_core_before": round(per_step / best["before"]),
        "speedup": round(best["before"] / best["now"], 2),
        "training_gflops": round(3 * 2 * LENET_MACS * per_step / best["now"] / 1e9, 1),
        "step_ms": round(1e3 * best["now"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="training steps timed per case")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    images = make_shapes(20000, 100, seed=420)
    wide = dict(dataset="images", model="wide_mlp", act="sigmoid", optimizer="nesterov", lr=0.01)
    cases = {}
    for batch in (128, 1024):
        for bn_layers in (0, 1):
            cfg = TrainConfig(**wide, bn_layers=bn_layers, batch_size=batch, epochs=1)
            # Interleaved, best of three each: both see the machine in the same state.
            limit, seconds = 0.0, float("inf")
            for _ in range(3):
                limit = max(limit, matmul_limit(batch))
                seconds = min(seconds, training_throughput(cfg, images, args.steps))
            achieved = step_flops(batch) / seconds
            cases[f"wide_mlp batch {batch} bn_layers {bn_layers}"] = {
                "matmul_gflops": round(limit / 1e9, 1),
                "training_gflops": round(achieved / 1e9, 1),
                "ratio": round(achieved / limit, 3),
                "step_ms": round(1e3 * seconds, 2),
            }
            print(cases, flush=True)
    for bn in ("none", "library", "scratch"):
        cases[f"lenet {bn} BN batch 256"] = lenet_rates(bn, images, args.steps // 2)
        print(cases, flush=True)
    print(cases, flush=True)
    write_result("roofline", {"threads": 1, "seeds": len(SEEDS), "cases": cases})


if __name__ == "__main__":
    main()
