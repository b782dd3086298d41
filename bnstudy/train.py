"""The trainer: one configuration, several seeds, everything STUDY.md §3 asks to record.

Each seed changes only the initial weights (``torch.manual_seed``) and the
shuffling (its own ``torch.Generator``); the data and its split are fixed by
the dataset. Recorded per seed and epoch (metric names in ``bnstudy.summary``):
train and test loss, test accuracy for classification, the learning rate,
per-layer gradient norms (mean over the epoch's steps) and wall time; at the
end, each BN layer's gap between its running statistics and the true
statistics of its input over the full training set, and for ReLU models the
fraction of dead hidden units.

A seed whose loss turns non-finite, or grows past ``diverge_factor`` times its
first batch's loss, stops there and is recorded as ``diverged`` — never as a
crash and never as a number to plot.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn

from bnstudy import io
from bnstudy.config import TrainConfig
from bnstudy.models import activation_layers, bn_layers, make_model, weight_layers
from bnstudy.schedules import make_schedule, suggest_lr

if TYPE_CHECKING:  # pandas costs a training job 0.2 s to import; only tests want tables
    import pandas as pd

log = logging.getLogger("bnstudy.train")


@dataclass
class SeedRun:
    """What one seed produced: tidy metric rows and per-epoch wall times."""

    seed: int
    rows: list[tuple[int, int, str, float]] = field(default_factory=list)
    times: list[tuple[int, int, float]] = field(default_factory=list)
    diverged: bool = False

    def add(self, epoch: int, metric: str, value: float) -> None:
        self.rows.append((self.seed, epoch, metric, float(value)))


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def batch_slices(n: int, batch_size: int, has_bn: bool) -> tuple[list[slice], bool]:
    """Cut ``n`` shuffled samples into batches, never leaving BN a batch of one.

    A trailing batch of a single sample cannot be normalized in training mode,
    so for BN models it is merged into the batch before it. Returns the
    slices and whether a merge happened (the caller logs it).

    >>> batch_slices(7, 3, has_bn=True)
    ([slice(0, 3, None), slice(3, 7, None)], True)
    >>> batch_slices(7, 3, has_bn=False)
    ([slice(0, 3, None), slice(3, 6, None), slice(6, 7, None)], False)
    """
    starts = list(range(0, n, batch_size))
    slices = [slice(s, min(s + batch_size, n)) for s in starts]
    merged = False
    if has_bn and len(slices) > 1 and slices[-1].stop - slices[-1].start == 1:
        slices[-2:] = [slice(slices[-2].start, n)]
        merged = True
    return slices, merged


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "nesterov":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.nesterov_momentum, nesterov=True)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; allowed: sgd, nesterov, adam")


def build_model(cfg: TrainConfig, data: dict) -> nn.Module:
    in_shape = tuple(data["x_train"].shape[1:])
    n_out = data.get("n_classes", 1) if data["task"] == "classification" else 1
    return make_model(cfg, in_shape, n_out)


def _loss_fn(task: str) -> nn.Module:
    return nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str) -> dict[str, float]:
    """Loss (and accuracy) of the whole set in eval mode, without autograd."""
    model.eval()
    out = model(x)
    result = {"loss": _loss_fn(task)(out, y).item()}
    if task == "classification":
        result["acc"] = (out.argmax(1) == y).float().mean().item()
    return result


def bn_gaps(running_mean, running_var, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel |running − true| mean and variance; ``z`` is (C, values) of the BN's input.

    PyTorch keeps the unbiased variance in ``running_var``: compare like with like.
    """
    return (running_mean - z.mean(1)).abs(), (running_var - z.var(1, unbiased=True)).abs()


@torch.no_grad()
def end_of_training_probes(
    model: nn.Module, x_train: torch.Tensor, cfg: TrainConfig
) -> dict[str, float]:
    """BN running-statistics gaps and the dead-ReLU fraction, on the full training set.

    The true population statistics of each BN layer's input are those of the
    trained network's activations over all training samples (eval mode, so BN
    layers before it use their running statistics, as at inference).
    """
    model.eval()
    captured: dict[nn.Module, torch.Tensor] = {}
    hooks = []
    bns = bn_layers(model)
    for m in bns:
        hooks.append(
            m.register_forward_hook(lambda mod, inp, out: captured.__setitem__(mod, inp[0]))
        )
    relus = activation_layers(model, nn.ReLU) if cfg.act == "relu" else []
    for m in relus:
        hooks.append(m.register_forward_hook(lambda mod, inp, out: captured.__setitem__(mod, out)))
    try:
        model(x_train)
    finally:
        for h in hooks:
            h.remove()
    probes: dict[str, float] = {}
    for j, m in enumerate(bns, start=1):
        z = captured[m]  # (N, C) or (N, C, H, W): the input of this BN layer
        z = z.transpose(0, 1).flatten(1)  # (C, N·H·W): per-channel statistics, as BN takes them
        mean_gap, var_gap = bn_gaps(m.running_mean, m.running_var, z)
        probes[f"bn_mean_gap.{j}"] = mean_gap.mean().item()
        probes[f"bn_var_gap.{j}"] = var_gap.mean().item()
    if relus:
        dead = torch.cat([(captured[m] == 0).all(0).flatten() for m in relus])  # (units,)
        probes["dead_frac"] = dead.float().mean().item()
    if cfg.model == "lenet" and bns:
        # The learned scale and shift of the first BN layer, shown in the report.
        for c, (g, b) in enumerate(
            zip(bns[0].weight.tolist(), bns[0].bias.tolist(), strict=True), 1
        ):
            probes[f"bn1_gamma.{c}"] = g
            probes[f"bn1_beta.{c}"] = b
    return probes


def train_seed(cfg: TrainConfig, data: dict, seed: int, device: torch.device) -> SeedRun:
    """Train one seed of ``cfg`` on ``data``; never raises on divergence.

    With the ``range_test`` schedule (the LR range test) the loss of every step
    is recorded against its lr, an exploding loss ends the sweep (that is its
    purpose, not a divergence), and the suggested lr is recorded at the end.
    """
    run = SeedRun(seed)
    task = data["task"]
    x_train, y_train = data["x_train"].to(device), data["y_train"].to(device)
    x_test, y_test = data["x_test"].to(device), data["y_test"].to(device)
    range_test = cfg.schedule == "range_test"

    torch.manual_seed(seed)
    model = build_model(cfg, data).to(device)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = make_optimizer(cfg, model.parameters())
    loss_fn = _loss_fn(task)
    layers = weight_layers(model)
    has_bn = bool(bn_layers(model))

    n = x_train.shape[0]
    slices, merged = batch_slices(n, cfg.batch_size, has_bn)
    if merged:
        log.info(
            "seed %d: %d training samples in batches of %d leave a last batch of 1; "
            "merged it into the previous batch so BN never normalizes a single sample",
            seed,
            n,
            cfg.batch_size,
        )
    schedule = make_schedule(
        cfg.schedule,
        optimizer,
        lr=cfg.lr,
        epochs=cfg.epochs,
        steps_per_epoch=len(slices),
        k=cfg.schedule_k,
        range_end=cfg.range_end,
    )
    first_loss = None
    last_epoch = 0
    sweep: list[tuple[float, float]] = []  # (lr, loss) per step of an LR range test
    exploded = False
    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(n, generator=shuffle).to(device)
        model.train()
        loss_sum = torch.zeros((), device=device)
        grad_sum = torch.zeros(len(layers), device=device)
        lr_sum, steps = 0.0, 0
        for sl in slices:
            idx = perm[sl]
            lr = schedule.current_lr()
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            value = loss.item()
            if first_loss is None:
                first_loss = value
            if not math.isfinite(value) or value > cfg.diverge_factor * max(first_loss, 1e-12):
                exploded = True
                break
            loss.backward()
            grad_sum += torch.stack([layer.weight.grad.norm() for layer in layers])
            optimizer.step()
            schedule.after_batch()
            loss_sum += loss.detach()
            lr_sum += lr
            steps += 1
            if range_test:
                sweep.append((lr, value))
        if exploded and range_test:
            log.info("seed %d: LR range test stopped at lr %g where the loss exploded", seed, lr)
            if steps == 0:
                break
        if not exploded:
            test = evaluate(model, x_test, y_test, task)
            exploded = not math.isfinite(test["loss"])
        if exploded and not range_test:
            log.warning("seed %d diverged in epoch %d (lr %g); stopped this seed", seed, epoch, lr)
            run.diverged = True
            run.add(epoch, "diverged", 1.0)
            return run
        train_loss = loss_sum.item() / steps
        schedule.after_epoch(train_loss)
        run.add(epoch, "train_loss", train_loss)
        if not exploded:
            run.add(epoch, "test_loss", test["loss"])
            if "acc" in test:
                run.add(epoch, "test_acc", test["acc"])
        run.add(epoch, "lr", lr_sum / steps)  # the mean lr this epoch's steps used
        for i, g in enumerate((grad_sum / steps).tolist(), start=1):
            run.add(epoch, f"grad_norm.{i}", g)
        run.times.append((seed, epoch, time.perf_counter() - start))
        last_epoch = epoch
        if exploded:
            break
    if range_test:
        for step, (lr, value) in enumerate(sweep, start=1):
            run.add(step, "range_lr", lr)
            run.add(step, "range_loss", value)
        lrs, losses = [lr for lr, _ in sweep], [v for _, v in sweep]
        run.add(last_epoch, "suggested_lr", suggest_lr(lrs, losses))
    for name, value in end_of_training_probes(model, x_train, cfg).items():
        run.add(last_epoch, name, value)
    run.add(last_epoch, "diverged", 0.0)
    return run


#: Columns of a run's metrics.csv and timing.csv.
METRICS_COLUMNS = ["seed", "epoch", "metric", "value"]
TIMING_COLUMNS = ["seed", "epoch", "seconds"]


def train_runs(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> list[SeedRun]:
    """Train every seed of one configuration; one ``SeedRun`` per seed.

    ``batched`` trains all seeds as one stacked model (``bnstudy.batched``);
    ``batched=False`` trains them one after another with this module's
    reference trainer. Both give the same metrics to float32 rounding.
    """
    dev = resolve_device(device)
    if batched:
        from bnstudy.batched import train_seeds_batched

        return train_seeds_batched(cfg, data, seeds, dev)
    return [train_seed(cfg, data, seed, dev) for seed in seeds]


def train_config(
    cfg: TrainConfig, data: dict, seeds: list[int], device: str = "cpu", batched: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``train_runs`` as tables: (tidy metrics, per-epoch wall times)."""
    import pandas as pd

    runs = train_runs(cfg, data, seeds, device, batched)
    metrics = pd.DataFrame([row for r in runs for row in r.rows], columns=METRICS_COLUMNS)
    timing = pd.DataFrame([t for r in runs for t in r.times], columns=TIMING_COLUMNS)
    return metrics, timing


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": version("numpy"),
        "pandas": version("pandas"),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (10⁶ bytes).

    Exact, unlike the benchmark files' ``max_rss``, which Snakemake samples
    (every 0.5 s, then every 30 s) and so can miss a short peak.
    """
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak * (1 if sys.platform == "darwin" else 1024) / 1e6, 1)


#: Test hook: a run whose ``<family>/<config_id>`` contains this variable's value
#: raises before training, as a crash would (tests/test_failures.py sets it).
FAIL_ENV = "BNSTUDY_FAIL"


def _injected_failure(params: dict) -> None:
    import os

    wanted = os.environ.get(FAIL_ENV)
    if wanted and wanted in f"{params['family']}/{params['config_id']}":
        raise RuntimeError(f"failure injected by {FAIL_ENV}={wanted} (a test hook)")


def run_job(
    params: dict, data_path: str, outputs: dict[str, str], threads: int = 1, log_path: str = ""
) -> None:
    """Entry point of the ``train_config`` rule: train, then write outputs atomically.

    ``params`` is the job's own configuration: ``{"family": ..., "config_id": ...,
    "config": {...}, "seeds": [...], "device": ...}``. ``outputs`` names the
    ``metrics``, ``timing`` and ``resolved`` files.

    A configuration that raises is recorded, not lost with the rest: its
    resolved config says ``"status": "failed"`` with the error, its metrics and
    timing files hold only their header, and the job still succeeds, so the
    other configurations' tables, the claims and the report are made; the
    workflow then names the failed runs and exits non-zero (common.smk). A
    diverging seed is not a failure (``diverged`` in the metrics).
    """
    from bnstudy.data import load_dataset

    torch.set_num_threads(threads)
    cfg = TrainConfig.from_dict(params["config"])
    log.info(
        "training %s with seeds %s", json.dumps(cfg.to_dict(), sort_keys=True), params["seeds"]
    )
    start = time.perf_counter()
    status, error = "ok", None
    try:
        _injected_failure(params)
        data = load_dataset(data_path)
        if data["task"] != "regression" and cfg.model == "mlp" and data["x_train"].ndim > 2:
            flat = {"x_train": data["x_train"].flatten(1), "x_test": data["x_test"].flatten(1)}
            data = {**data, **flat}
        runs = train_runs(cfg, data, params["seeds"], params.get("device", "cpu"))
        n_div = sum(r.diverged for r in runs)
        log.info(
            "done in %.2f s: %d of %d seeds diverged",
            time.perf_counter() - start,
            n_div,
            len(params["seeds"]),
        )
    except Exception as err:  # not KeyboardInterrupt: an interrupted job must not look done
        log.exception("training failed; recorded as a failed configuration")
        status, error = "failed", f"{type(err).__name__}: {err}"
        runs = []
    resolved = {
        **params,
        "config": cfg.to_dict(),
        "status": status,
        "error": error,
        "log": str(log_path),
        "device_used": str(resolve_device(params.get("device", "cpu"))),
        "threads": threads,
        "peak_rss_mb": peak_rss_mb(),
        "versions": library_versions(),
    }
    io.write_rows(outputs["metrics"], METRICS_COLUMNS, [row for r in runs for row in r.rows])
    io.write_rows(outputs["timing"], TIMING_COLUMNS, [t for r in runs for t in r.times])
    io.write_json(outputs["resolved"], resolved)
