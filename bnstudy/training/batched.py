"""The batched trainer: all seeds of one configuration train together as one stacked model.

Each seed keeps everything a run of its own would have: its initial weights
(``bnstudy.training.stacked``), its shuffling (its own ``torch.Generator``), its
learning rate (one torch scheduler per seed, so plateau scheduling stays per
seed), its divergence check (a diverged seed is frozen and recorded, the others
go on), gradient norms, running statistics and probes. The optimizer
(``bnstudy.training.optimizer``) applies torch's update rules with one lr per
seed. The per-seed reference trainer (``bnstudy.training.reference``) is the
tests' oracle: both give the same metrics to float32 rounding, and both record
through ``bnstudy.training.records``.

One step, for S seeds and a batch of B samples::

    idx  = perms[:, slice]            # (S, B): each seed's own shuffled samples
    out  = model(x_train[idx])        # (S, B, outputs)
    loss = per_seed_loss(out, y)      # (S,): each seed's mean batch loss
    loss[live].sum().backward()       # each seed's weights get only its own gradient
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from bnstudy.config import TrainConfig
from bnstudy.training import records
from bnstudy.training.evaluation import evaluate, per_seed_loss, probes
from bnstudy.training.optimizer import StackedOptimizer
from bnstudy.training.records import SeedRun
from bnstudy.training.schedules import LrHolder
from bnstudy.training.stacked import build_stacked, per_seed


@dataclass
class EpochTotals:
    """Per-seed sums over one epoch's steps."""

    loss: torch.Tensor  # (S,) sum of batch losses
    grads: torch.Tensor  # (layers, S) sum of weight-gradient norms
    lr: list[float]  # sum of the lrs used
    steps: list[int]  # steps taken
    stopped: list[bool]  # exploded during this epoch


class BatchedTraining:
    """The state of one batched training: model, optimizer, one schedule per slot, records.

    A slot is one seed at one base learning rate: the configuration's ``lr`` for every
    seed, then each lr of ``lrs`` beyond it (a learning-rate sweep in the same job).
    Slots of one seed share its initial weights and its shuffling.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        data: dict,
        seeds: list[int],
        device: torch.device,
        lrs: list[float] | None = None,
    ):
        self.cfg, self.task, self.device = cfg, data["task"], device
        slots = [(lr, seed) for lr in (lrs or [cfg.lr]) for seed in seeds]
        self.s = len(slots)
        self.runs = [SeedRun(seed, lr=lr) for lr, seed in slots]
        self.x_train, self.y_train = data["x_train"].to(device), data["y_train"].to(device)
        self.splits = {
            split: (data[f"x_{split}"].to(device), data[f"y_{split}"].to(device))
            for split in ("test", "val")
            if len(data.get(f"y_{split}", ()))
        }
        self.references = records.data_references(data)
        self.range_test = cfg.schedule == "range_test"

        self.model = build_stacked(cfg, data, [seed for _, seed in slots]).to(device)
        self.shuffles = [torch.Generator().manual_seed(seed) for _, seed in slots]
        self.optimizer = StackedOptimizer(cfg, list(self.model.parameters()), self.s)
        self.layers = self.model.weight_layers()
        self.n = self.x_train.shape[0]
        self.slices, merged = records.batch_slices(
            self.n, cfg.batch_size, bool(self.model.bn_layers())
        )
        if merged:
            records.log_merge(self.n, cfg.batch_size)
        self.schedules = [
            records.run_schedule(cfg, LrHolder(lr), len(self.slices), lr) for lr, _ in slots
        ]
        self.active = [True] * self.s  # still training (not diverged, range test not stopped)
        self.first_loss: list[float | None] = [None] * self.s
        self.sweeps: list[list[tuple[float, float]]] = [[] for _ in slots]
        self.last_epoch = [0] * self.s

    def train(self) -> list[SeedRun]:
        for epoch in range(1, self.cfg.epochs + 1):
            if not any(self.active):
                break
            self.epoch(epoch)
        self.finish()
        return self.runs

    def epoch(self, epoch: int) -> None:
        """One epoch of every live seed: shuffle, step through the batches, evaluate, record."""
        start = time.perf_counter()
        perms = torch.stack([torch.randperm(self.n, generator=g) for g in self.shuffles])
        perms = perms.to(self.device)
        self.model.train()
        totals = self.new_totals()
        for sl in self.slices:
            if not self.step(perms[:, sl], totals):
                break
        stepping = time.perf_counter() - start
        evaluations = self.evaluate()
        elapsed = time.perf_counter() - start
        self.record(epoch, totals, evaluations, (elapsed, stepping))

    def evaluate(self) -> list[records.Evaluation]:
        """Every slot's test (and validation) loss and accuracy, in evaluation mode."""
        out = {
            split: evaluate(self.model, x, y, self.task) for split, (x, y) in self.splits.items()
        }
        test_loss, test_acc = out["test"]
        val_loss, val_acc = out.get("val", (None, None))
        return [
            records.Evaluation(
                test_loss[i],
                None if test_acc is None else test_acc[i],
                None if val_loss is None else val_loss[i],
                None if val_acc is None else val_acc[i],
            )
            for i in range(self.s)
        ]

    def new_totals(self) -> EpochTotals:
        s, device = self.s, self.device
        return EpochTotals(
            loss=torch.zeros(s, device=device),
            grads=torch.zeros(len(self.layers), s, device=device),
            lr=[0.0] * s,
            steps=[0] * s,
            stopped=[False] * s,
        )

    def step(self, idx: torch.Tensor, totals: EpochTotals) -> bool:
        """One optimizer step on each live seed's batch ``idx`` (S, B); False once none is live."""
        s = self.s
        lrs = [sch.current_lr() if self.active[i] else 0.0 for i, sch in enumerate(self.schedules)]
        out = self.model(self.x_train[idx])
        losses = per_seed_loss(out, self.y_train[idx], self.task)
        values = losses.tolist()
        for i, v in enumerate(values):
            if not self.active[i]:
                continue
            if self.first_loss[i] is None:
                self.first_loss[i] = v
            if records.exploded(v, self.first_loss[i], self.cfg.diverge_factor):
                self.active[i], totals.stopped[i], lrs[i] = False, True, 0.0
        live = torch.tensor(lrs, device=self.device) > 0
        if not bool(live.any()):
            return False
        self.optimizer.zero_grad()
        losses[live].sum().backward()  # each seed's weights get only its own gradient
        norms = torch.stack([per_seed(m.weight.grad, s).norm(dim=1) for m in self.layers])
        totals.grads += torch.where(live, norms, 0.0)  # (layers, S)
        self.optimizer.step(lrs)
        totals.loss += torch.where(live, losses.detach(), 0.0)
        for i in range(s):
            if self.active[i]:
                self.schedules[i].optimizer.step()  # a no-op that tells torch a step was taken
                self.schedules[i].after_batch()
                totals.lr[i] += lrs[i]
                totals.steps[i] += 1
                if self.range_test:
                    self.sweeps[i].append((lrs[i], values[i]))
        return True

    def record(self, epoch: int, totals: EpochTotals, evaluations, seconds) -> None:
        """The epoch's rows of every seed that trained in it; a non-finite test loss
        counts as an explosion. A range test's explosion ends its sweep, not the run.
        ``seconds`` is (the epoch's wall time, its optimizer steps' wall time)."""
        elapsed, stepping = seconds
        busy = [
            i for i in range(self.s) if self.active[i] or (totals.stopped[i] and totals.steps[i])
        ]
        for i, run in enumerate(self.runs):
            stopped = totals.stopped[i]
            if not (self.active[i] or stopped):
                continue
            if self.active[i] and not math.isfinite(evaluations[i].test_loss):
                self.active[i], stopped = False, True
            if stopped and not self.range_test:
                records.record_divergence(run, epoch)
                continue
            steps = totals.steps[i]
            if steps == 0:
                continue
            train_loss = totals.loss[i].item() / steps
            self.schedules[i].after_epoch(train_loss)
            records.record_epoch(
                run,
                epoch,
                train_loss,
                None if stopped else evaluations[i],
                totals.lr[i] / steps,
                (totals.grads[:, i] / steps).tolist(),
            )
            share = max(len(busy), 1)
            run.times.append((run.seed, epoch, elapsed / share, stepping / share))
            self.last_epoch[i] = epoch
            if stopped:
                records.log.info("seed %d: LR range test stopped where the loss exploded", run.seed)

    def finish(self) -> None:
        """End-of-training probes and the closing rows of every seed that did not diverge."""
        measured = probes(self.model, self.x_train, self.cfg)
        sizes = records.weight_counts(m.weight.numel() // self.s for m in self.layers)
        for i, run in enumerate(self.runs):
            if not run.diverged:
                sweep = self.sweeps[i] if self.range_test else None
                found = {**measured[i], **sizes, **self.references}
                records.finish_run(run, self.last_epoch[i], found, sweep)


def train_seeds_batched(
    cfg: TrainConfig,
    data: dict,
    seeds: list[int],
    device: torch.device,
    lrs: list[float] | None = None,
) -> list[SeedRun]:
    """Train all ``seeds`` of ``cfg`` at once, at each lr of ``lrs`` (default: ``cfg.lr``);
    one ``SeedRun`` per seed and lr, lr-major."""
    return BatchedTraining(cfg, data, seeds, device, lrs).train()
