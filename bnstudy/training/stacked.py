"""Seeds stacked: the S seeds of one configuration as one model.

Thousands of tiny trainings are dominated by per-step Python and kernel-launch
overhead, not arithmetic, so the S seeds of a configuration share every step:

* Linear layers hold per-seed weights stacked as (S, in, out) and run as one
  ``torch.baddbmm`` over activations laid out (S, B, features);
* convolutions become one grouped convolution (groups = S) over activations
  laid out (B, S·C, H, W), seed-major along the channels, channels-last in
  memory on the CPU (``StackedConv``; the weights stay in the default layout, so
  each seed's weights stay one contiguous block);
* a BN layer becomes one BN over S·C channels of the seed-major layout — BN
  normalizes each channel on its own, so this is exactly per-seed BN, with
  per-seed γ, β and running statistics (library or hand-written BN alike).

Each seed keeps its own initial weights: :func:`build_stacked` builds the
reference model of ``bnstudy.models`` under ``torch.manual_seed(seed)`` for
every seed and stacks their parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.models import BN_TYPES, make_model
from bnstudy.training.records import model_shape

# ---- stacked layers ----------------------------------------------------------------------
# "dense" activations are (S, B, F); "channels" activations are (B, S·C, H, W).


class StackedLinear(nn.Module):
    """S Linear layers as one: weights (S, in, out), biases (S, 1, out)."""

    def __init__(self, refs: list[nn.Linear]):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([r.weight.detach().t() for r in refs]))  # (S,in,out)
        self.bias = nn.Parameter(torch.stack([r.bias.detach() for r in refs]).unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (S, B, in) → (S, B, out)
        return torch.baddbmm(self.bias, x, self.weight)


class StackedConv(nn.Module):
    def __init__(self, refs: list[nn.Conv2d]):
        super().__init__()
        r, s = refs[0], len(refs)
        self.conv = nn.Conv2d(
            s * r.in_channels,
            s * r.out_channels,
            r.kernel_size,
            stride=r.stride,
            padding=r.padding,
            groups=s * r.groups,
        )
        with torch.no_grad():
            self.conv.weight.copy_(torch.cat([m.weight for m in refs]))  # (S·Cout, Cin, k, k)
            self.conv.bias.copy_(torch.cat([m.bias for m in refs]))

    @property
    def weight(self) -> nn.Parameter:
        return self.conv.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, S·Cin, H, W)
        # On the CPU, oneDNN's grouped convolution runs about twice as fast over
        # channels-last activations (measured on LeNet); the layout then carries
        # through BN, activation and pooling until the flatten.
        return self.conv(x if x.is_cuda else x.contiguous(memory_format=torch.channels_last))


class StackedBN(nn.Module):
    """One BN (of the reference's own class) over the S·C channels of all seeds."""

    def __init__(self, refs: list[nn.Module], dense: bool):
        super().__init__()
        r, s = refs[0], len(refs)
        self.dense, self.seeds = dense, s
        self.bn = type(r)(s * r.num_features, eps=r.eps, momentum=r.momentum)
        with torch.no_grad():
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(self.bn, name).copy_(torch.cat([getattr(m, name) for m in refs]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.dense:
            return self.bn(x)
        s, b, f = x.shape
        y = self.bn(x.transpose(0, 1).reshape(b, s * f))  # (B, S·F): per-seed channels
        return y.reshape(b, s, f).transpose(0, 1)


class ToDense(nn.Module):
    """Flatten: dense (S, B, …) → (S, B, F); channels (B, S·C, H, W) → (S, B, C·H·W)."""

    def __init__(self, seeds: int, from_channels: bool):
        super().__init__()
        self.seeds, self.from_channels = seeds, from_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.from_channels:
            return x.flatten(2)
        return x.reshape(x.shape[0], self.seeds, -1).transpose(0, 1)


class StackedModel(nn.Module):
    """S reference models of one architecture (flat ``nn.Sequential``) as one module.

    Input (S, B, *sample_shape) → output (S, B, n_out).
    """

    def __init__(self, refs: list[nn.Sequential]):
        super().__init__()
        self.seeds = len(refs)
        self.channels_in = isinstance(refs[0][0], nn.Conv2d)
        layers, channels = [], self.channels_in
        for parts in zip(*refs, strict=True):
            first = parts[0]
            if isinstance(first, nn.Linear):
                layers.append(StackedLinear(list(parts)))
            elif isinstance(first, nn.Conv2d):
                layers.append(StackedConv(list(parts)))
            elif isinstance(first, BN_TYPES):
                layers.append(StackedBN(list(parts), dense=not channels))
            elif isinstance(first, nn.Flatten):
                layers.append(ToDense(self.seeds, channels))
                channels = False
            else:  # activations and pooling act elementwise / per channel
                layers.append(first)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_in:
            s, b = x.shape[:2]
            x = x.transpose(0, 1).reshape(b, s * x.shape[2], *x.shape[3:])  # (B, S·C, H, W)
        return self.layers(x)

    def weight_layers(self) -> list[nn.Module]:
        return [m for m in self.layers if isinstance(m, (StackedLinear, StackedConv))]

    def bn_layers(self) -> list[StackedBN]:
        return [m for m in self.layers if isinstance(m, StackedBN)]


def per_seed(t: torch.Tensor, seeds: int) -> torch.Tensor:
    """A stacked parameter or gradient as (S, values-of-one-seed): all are seed-major."""
    return t.reshape(seeds, -1)


def build_stacked(cfg: TrainConfig, data: dict, seeds: list[int]) -> StackedModel:
    """The seeds' reference models, each initialized under ``torch.manual_seed(seed)``, stacked."""
    in_shape, n_out = model_shape(data)
    refs = []
    for seed in seeds:
        torch.manual_seed(seed)
        refs.append(make_model(cfg, in_shape, n_out))
    return StackedModel(refs)
