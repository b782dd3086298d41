"""Measuring a stacked model: per-seed losses, whole-set evaluation, end-of-training probes.

Every function takes the S seeds of a ``StackedModel`` at once and answers per
seed. A whole set (the test set, or the training set for the probes) passes
through in chunks of :data:`EVAL_CHUNK` samples, so a job's peak memory stays
near its training step's; statistics are merged across chunks exactly
(Chan's parallel mean/variance), so chunking changes no number.

The probes (docs/study.md §3) are each BN layer's gap between its running
mean/variance and the true statistics of its input over the full training set
(the trained network in eval mode, as at inference), the fraction of dead ReLU
units (zero on every training sample), and LeNet's first-BN-layer γ and β.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.training.records import DEAD_FRAC, affine_probes, bn_gap_probes, relative_gaps
from bnstudy.training.stacked import StackedModel


def per_seed_loss(out: torch.Tensor, y: torch.Tensor, task: str) -> torch.Tensor:
    """Mean loss of each seed's batch: out (S, B, K), y (S, B[, 1]) → (S,)."""
    if task == "classification":
        s, b, k = out.shape
        return (
            F.cross_entropy(out.reshape(s * b, k), y.reshape(s * b), reduction="none")
            .view(s, b)
            .mean(1)
        )
    return ((out - y) ** 2).mean(dim=(1, 2))


#: Samples per forward pass when evaluating or probing a whole set: all 6000
#: training images of 5 LeNet seeds at once need over 2 GB; chunks keep a job's
#: peak memory near its training step's.
EVAL_CHUNK = 1000


def chunks(n: int) -> list[slice]:
    return [slice(i, min(i + EVAL_CHUNK, n)) for i in range(0, n, EVAL_CHUNK)]


@torch.no_grad()
def evaluate(model: StackedModel, x, y, task: str) -> tuple[list[float], list[float] | None]:
    model.eval()
    s, n = model.seeds, x.shape[0]
    loss_sum = torch.zeros(s, dtype=torch.float64, device=x.device)
    hits = torch.zeros(s, dtype=torch.float64, device=x.device)
    for sl in chunks(n):
        xb, yb = x[sl], y[sl]
        out = model(xb.unsqueeze(0).expand(s, *xb.shape))
        yy = yb.unsqueeze(0).expand(s, *yb.shape)
        loss_sum += per_seed_loss(out, yy, task).double() * xb.shape[0]
        if task == "classification":
            hits += (out.argmax(2) == yy).double().sum(1)
    loss = (loss_sum / n).tolist()
    acc = (hits / n).tolist() if task == "classification" else None
    return loss, acc


class ChannelStats:
    """Per-channel count, mean and sum of squared deviations, merged chunk by chunk (Chan)."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, None, None

    def add(self, z: torch.Tensor) -> None:  # z: (C, values)
        z = z.double()
        n_b, mean_b = z.shape[1], z.mean(1)
        m2_b = ((z - mean_b[:, None]) ** 2).sum(1)
        if self.mean is None:
            self.n, self.mean, self.m2 = n_b, mean_b, m2_b
            return
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * n_b / n)
        self.n = n

    def gaps(self, running_mean, running_var) -> tuple[torch.Tensor, ...]:
        """Per channel |running − true| mean and (unbiased) variance, as BN keeps them,
        absolute and relative (``records.relative_gaps``)."""
        var = self.m2 / (self.n - 1)
        gaps = relative_gaps(running_mean.double(), running_var.double(), self.mean, var)
        return tuple(g.float() for g in gaps)


@torch.no_grad()
def probes(model: StackedModel, x_train, cfg: TrainConfig) -> list[dict[str, float]]:
    """Per seed: BN running-statistics gaps, dead ReLUs, the first BN layer's γ and β.

    The training set passes through in chunks (``EVAL_CHUNK``); each BN layer's
    input statistics and each ReLU's "never active" mask are merged across them.
    """
    model.eval()
    s = model.seeds
    bns = model.bn_layers()
    relus = [m for m in model.layers if isinstance(m, nn.ReLU)] if cfg.act == "relu" else []
    stats, dead = _training_set_pass(model, x_train, bns, relus)
    out: list[dict[str, float]] = [{} for _ in range(s)]
    for j, m in enumerate(bns, start=1):
        gaps = [g.view(s, -1) for g in stats[m].gaps(m.bn.running_mean, m.bn.running_var)]
        for i in range(s):
            out[i].update(bn_gap_probes(j, *(g[i].mean().item() for g in gaps)))
    if relus:
        all_dead = torch.cat([dead[m] for m in relus], dim=1)
        for i in range(s):
            out[i][DEAD_FRAC] = all_dead[i].float().mean().item()
    if cfg.model == "lenet" and bns:
        gamma, beta = bns[0].bn.weight.view(s, -1), bns[0].bn.bias.view(s, -1)
        for i in range(s):
            out[i].update(affine_probes(gamma[i].tolist(), beta[i].tolist()))
    return out


def _training_set_pass(model: StackedModel, x_train, bns, relus):
    """One pass over the training set in chunks: each BN layer's input statistics
    (:class:`ChannelStats`) and each ReLU's mask of units zero on every sample."""
    s = model.seeds
    stats = {m: ChannelStats() for m in bns}
    dead: dict[nn.Module, torch.Tensor] = {}

    def on_bn(mod, inputs, output):
        z = inputs[0]  # dense (S, N, F) or channels (N, S·C, H, W)
        if mod.dense:
            z = z.permute(0, 2, 1).reshape(mod.bn.num_features, -1)  # (S·F, N)
        else:
            z = z.transpose(0, 1).flatten(1)  # (S·C, N·H·W)
        stats[mod].add(z)

    def on_relu(mod, inputs, output):
        zero = (output == 0).all(1).reshape(s, -1)  # (S, units) zero on every sample so far
        dead[mod] = zero if mod not in dead else dead[mod] & zero

    hooks = [m.register_forward_hook(on_bn) for m in bns]
    hooks += [m.register_forward_hook(on_relu) for m in relus]
    try:
        for sl in chunks(x_train.shape[0]):
            xb = x_train[sl]
            model(xb.unsqueeze(0).expand(s, *xb.shape))
    finally:
        for h in hooks:
            h.remove()
    return stats, dead
