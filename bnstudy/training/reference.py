"""The per-seed reference trainer: one seed, one plain PyTorch model, ``torch.optim``.

This is the textbook training loop the study's runs must equal. The pipeline
trains with the batched trainer (``bnstudy.training.batched``); the tests train
the same configurations here and check that both give the same metrics to
float32 rounding. It records through ``bnstudy.training.records``, like the
batched trainer, so only the arithmetic differs between the two.

Each seed changes only the initial weights (``torch.manual_seed``) and the
shuffling (its own ``torch.Generator``); the data and its split are fixed by
the dataset. A seed whose loss turns non-finite, or grows past
``diverge_factor`` times its first batch's loss, stops there and is recorded as
diverged. With the ``range_test`` schedule (the LR range test) an exploding
loss ends the sweep instead (that is its purpose), and the suggested lr is
recorded at the end.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.models import activation_layers, bn_layers, make_model, weight_layers
from bnstudy.training import records
from bnstudy.training.records import SeedRun


def build_model(cfg: TrainConfig, data: dict) -> nn.Module:
    return make_model(cfg, *records.model_shape(data))


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "nesterov":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.nesterov_momentum, nesterov=True)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; allowed: sgd, nesterov, adam")


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


@torch.no_grad()
def end_of_training_probes(
    model: nn.Module, x_train: torch.Tensor, cfg: TrainConfig
) -> dict[str, float]:
    """BN running-statistics gaps, the dead-ReLU fraction and LeNet's first γ/β.

    The true population statistics of each BN layer's input are those of the
    trained network's activations over all training samples (eval mode, so BN
    layers before it use their running statistics, as at inference). PyTorch
    keeps the unbiased variance in ``running_var``: compare like with like.
    """
    model.eval()
    captured: dict[nn.Module, torch.Tensor] = {}
    bns = bn_layers(model)
    relus = activation_layers(model, nn.ReLU) if cfg.act == "relu" else []
    hooks = [
        m.register_forward_hook(lambda mod, i, o: captured.__setitem__(mod, i[0])) for m in bns
    ]
    hooks += [
        m.register_forward_hook(lambda mod, i, o: captured.__setitem__(mod, o)) for m in relus
    ]
    try:
        model(x_train)
    finally:
        for h in hooks:
            h.remove()
    probes: dict[str, float] = {}
    for j, m in enumerate(bns, start=1):
        z = captured[m].transpose(0, 1).flatten(1)  # (C, N·H·W): per-channel, as BN takes them
        gaps = records.relative_gaps(
            m.running_mean, m.running_var, z.mean(1), z.var(1, unbiased=True)
        )
        probes.update(records.bn_gap_probes(j, *(g.mean().item() for g in gaps)))
    if relus:
        dead = torch.cat([(captured[m] == 0).all(0).flatten() for m in relus])  # (units,)
        probes[records.DEAD_FRAC] = dead.float().mean().item()
    if cfg.model == "lenet" and bns:
        probes.update(records.affine_probes(bns[0].weight.tolist(), bns[0].bias.tolist()))
    return probes


def _evaluation(model: nn.Module, data: dict, device: torch.device) -> records.Evaluation:
    """Test (and validation, when the data has it) loss and accuracy after an epoch."""
    found = {}
    for split in ("test", "val"):
        if len(data.get(f"y_{split}", ())):
            x, y = data[f"x_{split}"].to(device), data[f"y_{split}"].to(device)
            found[split] = evaluate(model, x, y, data["task"])
    val = found.get("val", {})
    return records.Evaluation(
        found["test"]["loss"], found["test"].get("acc"), val.get("loss"), val.get("acc")
    )


def train_seed(
    cfg: TrainConfig, data: dict, seed: int, device: torch.device, lr: float | None = None
) -> SeedRun:
    """Train one seed of ``cfg`` on ``data`` at base lr ``lr`` (default ``cfg.lr``);
    never raises on divergence."""
    lr0 = cfg.lr if lr is None else lr
    run = SeedRun(seed, lr=lr0)
    task = data["task"]
    x_train, y_train = data["x_train"].to(device), data["y_train"].to(device)
    range_test = cfg.schedule == "range_test"

    torch.manual_seed(seed)
    model = build_model(cfg, data).to(device)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = make_optimizer(cfg, model.parameters())
    loss_fn = _loss_fn(task)
    layers = weight_layers(model)
    n = x_train.shape[0]
    slices, merged = records.batch_slices(n, cfg.batch_size, bool(bn_layers(model)))
    if merged:
        records.log_merge(n, cfg.batch_size)
    schedule = records.run_schedule(cfg, optimizer, len(slices), lr0)
    first_loss = None
    last_epoch = 0
    sweep: list[tuple[float, float]] = []  # (lr, loss) per step of an LR range test
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(n, generator=shuffle).to(device)
        model.train()
        loss_sum = torch.zeros((), device=device)
        grad_sum = torch.zeros(len(layers), device=device)
        lr_sum, steps, exploded = 0.0, 0, False
        start = time.perf_counter()
        for sl in slices:
            idx = perm[sl]
            lr = schedule.current_lr()
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            value = loss.item()
            first_loss = value if first_loss is None else first_loss
            if records.exploded(value, first_loss, cfg.diverge_factor):
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
        if exploded and range_test and steps == 0:
            break
        stepping = time.perf_counter() - start
        test = None if exploded else _evaluation(model, data, device)
        exploded = exploded or not math.isfinite(test.test_loss)
        if exploded and not range_test:
            records.record_divergence(run, epoch)
            return run
        train_loss = loss_sum.item() / steps
        schedule.after_epoch(train_loss)
        records.record_epoch(
            run,
            epoch,
            train_loss,
            None if exploded else test,
            lr_sum / steps,
            (grad_sum / steps).tolist(),
        )
        run.times.append((seed, epoch, time.perf_counter() - start, stepping))
        last_epoch = epoch
        if exploded:
            break
    probes = end_of_training_probes(model, x_train, cfg)
    probes.update(records.weight_counts(layer.weight.numel() for layer in layers))
    probes.update(records.data_references(data))
    records.finish_run(run, last_epoch, probes, sweep if range_test else None)
    return run
