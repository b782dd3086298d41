"""Batch Normalization written by hand with plain tensor ops (docs/study.md §2, claim N2).

Training mode normalizes with the statistics of the batch: per feature over N
for (N, C) input, per channel over N·H·W for (N, C, H, W) input, using the
biased variance. The running averages are updated exactly like PyTorch's::

    running_mean = (1 − m) · running_mean + m · batch_mean
    running_var  = (1 − m) · running_var  + m · batch_var_unbiased

(``momentum=None`` gives the cumulative average, 1 / num_batches_tracked, as in
PyTorch). Evaluation mode normalizes with the running averages. Autograd does
the backward pass. Parameters and buffers carry PyTorch's names (``weight``,
``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``), so a
state dict moves between this module and ``torch.nn.BatchNorm1d/2d`` unchanged.

>>> bn = ScratchBatchNorm(3)
>>> x = torch.arange(12.0).reshape(4, 3)
>>> y = bn(x)
>>> bool(y.mean(0).abs().max() < 1e-6)  # each feature normalized over the batch
True
>>> [round(v, 4) for v in bn.running_mean.tolist()]  # 0.9 · 0 + 0.1 · (4.5, 5.5, 6.5)
[0.45, 0.55, 0.65]
>>> [round(v, 4) for v in bn.running_var.tolist()]  # 0.9 · 1 + 0.1 · 15 (unbiased)
[2.4, 2.4, 2.4]
"""

from __future__ import annotations

import torch
from torch import nn


class ScratchBatchNorm(nn.Module):
    """BN over dimension 1 of 2-D (N, C) or 4-D (N, C, H, W) input.

    ``dims`` fixes the expected input rank (2 or 4), like the choice between
    ``BatchNorm1d`` and ``BatchNorm2d``; ``None`` accepts either.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        dims: int | None = None,
    ) -> None:
        super().__init__()
        if dims not in (None, 2, 4):
            raise ValueError(f"dims must be 2 (N, C), 4 (N, C, H, W) or None, got {dims!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.dims = dims
        self.weight = nn.Parameter(torch.ones(num_features))  # γ
        self.bias = nn.Parameter(torch.zeros(num_features))  # β
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, dims={self.dims}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim not in (2, 4) or (self.dims is not None and x.ndim != self.dims):
            allowed = "2-D (N, C) or 4-D (N, C, H, W)" if self.dims is None else f"{self.dims}-D"
            raise ValueError(
                f"ScratchBatchNorm expects {allowed} input, got shape {tuple(x.shape)}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"ScratchBatchNorm expects {self.num_features} channels, got {x.shape[1]}"
            )
        # Reduce over every dimension except the channel one; keep dims for broadcasting.
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
        if self.training:
            count = x.numel() // self.num_features  # values per channel: N or N·H·W
            if count < 2:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input of shape "
                    f"{tuple(x.shape)}"
                )
            # Biased variance for normalizing, one pass over x for both moments.
            var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)  # (1, C[, 1, 1])
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = (
                    1.0 / self.num_batches_tracked.item()
                    if self.momentum is None
                    else self.momentum
                )
                unbiased = var.reshape(-1) * (count / (count - 1))
                self.running_mean.mul_(1 - m).add_(m * mean.reshape(-1))
                self.running_var.mul_(1 - m).add_(m * unbiased)
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
        # γ·(x − mean)/√(var + eps) + β, as x·scale + shift: two passes over x, not four.
        scale = self.weight.reshape(shape) * torch.rsqrt(var + self.eps)
        return torch.addcmul(self.bias.reshape(shape) - mean * scale, x, scale)


class ScratchBatchNorm1d(ScratchBatchNorm):
    """Hand-written counterpart of ``torch.nn.BatchNorm1d`` for (N, C) input."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__(num_features, eps, momentum, dims=2)


class ScratchBatchNorm2d(ScratchBatchNorm):
    """Hand-written counterpart of ``torch.nn.BatchNorm2d`` for (N, C, H, W) input."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__(num_features, eps, momentum, dims=4)
