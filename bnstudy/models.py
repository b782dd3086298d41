"""MLP-d with Batch Normalization placed before or after the activation (STUDY.md §2).

``pre``:  Linear → BN → activation   (as in the BN paper)
``post``: Linear → activation → BN
``none``: Linear → activation

The model is a flat ``nn.Sequential`` so the order of its layers can be read
off (and tested) directly; the trainer finds Linear, BN and activation layers
by type.

>>> make_mlp(5, 1, depth=2, width=4, act="tanh", bn="pre")
Sequential(
  (0): Linear(in_features=5, out_features=4, bias=True)
  (1): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (2): Tanh()
  (3): Linear(in_features=4, out_features=4, bias=True)
  (4): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (5): Tanh()
  (6): Linear(in_features=4, out_features=1, bias=True)
)
"""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
BN_PLACEMENTS = ("none", "pre", "post")
INITS = ("default", "xavier", "kaiming")


def make_mlp(
    in_features: int,
    out_features: int,
    depth: int,
    width: int,
    act: str,
    bn: str,
    init: str = "default",
) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units, then a Linear output layer."""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; allowed: {', '.join(ACTIVATIONS)}")
    if bn not in BN_PLACEMENTS:
        raise ValueError(f"unknown BN placement {bn!r}; allowed: {', '.join(BN_PLACEMENTS)}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[nn.Module] = []
    fan_in = in_features
    for _ in range(depth):
        layers.append(nn.Linear(fan_in, width))
        if bn == "pre":
            layers.append(nn.BatchNorm1d(width))  # PyTorch defaults: momentum 0.1, eps 1e-5
        layers.append(ACTIVATIONS[act]())
        if bn == "post":
            layers.append(nn.BatchNorm1d(width))
        fan_in = width
    layers.append(nn.Linear(fan_in, out_features))
    model = nn.Sequential(*layers)
    initialize(model, init, act)
    return model


def initialize(model: nn.Module, init: str, act: str) -> None:
    """Re-initialize the Linear layers: ``default`` keeps PyTorch's own init."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; allowed: {', '.join(INITS)}")
    if init == "default":
        return
    gain = nn.init.calculate_gain(act)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if init == "xavier":
                nn.init.xavier_uniform_(m.weight, gain=gain)
            else:
                nonlinearity = act if act in ("relu", "tanh", "sigmoid") else "leaky_relu"
                nn.init.kaiming_uniform_(m.weight, nonlinearity=nonlinearity)
            nn.init.zeros_(m.bias)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def bn_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def activation_layers(model: nn.Module, kind: type[nn.Module]) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, kind)]
