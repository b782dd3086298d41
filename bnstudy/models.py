"""The study's models (docs/study.md §2): MLP-d, the wide image MLP and LeNet-5.

MLP-d places Batch Normalization before or after the activation:

``pre``:  Linear → BN → activation   (as in the BN paper)
``post``: Linear → activation → BN
``none``: Linear → activation

Every model is a flat ``nn.Sequential`` so the order of its layers can be read
off (and tested) directly; the trainer finds weight (Conv/Linear), BN and
activation layers by type.

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

import math

from torch import nn

from bnstudy.norm import ScratchBatchNorm, ScratchBatchNorm1d, ScratchBatchNorm2d
from bnstudy.vocab import ACTIVATIONS as ACTIVATION_NAMES
from bnstudy.vocab import BN_PLACEMENTS, INITS, LENET_BN, MODELS

#: The activation layer of each name in ``bnstudy.vocab.ACTIVATIONS``.
ACTIVATIONS = dict(zip(ACTIVATION_NAMES, (nn.Sigmoid, nn.Tanh, nn.ReLU), strict=True))
WIDE_MLP_HIDDEN = (512, 256, 128, 64)  # 784-512-256-128-64-10
#: Library and hand-written BN layers: each has ``running_mean`` and ``running_var``.
BN_TYPES = (nn.modules.batchnorm._BatchNorm, ScratchBatchNorm)


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


#: Standard deviations of the plain normal initializations: ``small_normal`` is
#: N(0, 0.01²), ``unit_normal`` N(0, 1). Xavier and Kaiming draw the same
#: uniform weights up to a scale on square 4×4 layers; these two really differ.
NORMAL_STD = {"small_normal": 0.01, "unit_normal": 1.0}


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
            elif init == "kaiming":
                nonlinearity = act if act in ("relu", "tanh", "sigmoid") else "leaky_relu"
                nn.init.kaiming_uniform_(m.weight, nonlinearity=nonlinearity)
            else:
                nn.init.normal_(m.weight, std=NORMAL_STD[init])
            nn.init.zeros_(m.bias)


def make_wide_mlp(
    bn_layers: int,
    act: str,
    init: str = "default",
    in_features: int = 784,
    out_features: int = 10,
) -> nn.Sequential:
    """Flatten → 784-512-256-128-64-10, BN after the first ``bn_layers`` hidden Linear layers.

    A hidden layer with BN is Linear → BatchNorm1d → activation; one without
    is Linear → activation.

    >>> [type(m).__name__ for m in make_wide_mlp(1, "relu")][:6]
    ['Flatten', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'ReLU']
    """
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; allowed: {', '.join(ACTIVATIONS)}")
    n_hidden = len(WIDE_MLP_HIDDEN)
    if not (isinstance(bn_layers, int) and 0 <= bn_layers <= n_hidden):
        raise ValueError(
            f"bn_layers must be an integer in 0…{n_hidden} (BN after the first k of the "
            f"{n_hidden} hidden layers), got {bn_layers!r}"
        )
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = in_features
    for i, width in enumerate(WIDE_MLP_HIDDEN):
        layers.append(nn.Linear(fan_in, width))
        if i < bn_layers:
            layers.append(nn.BatchNorm1d(width))
        layers.append(ACTIVATIONS[act]())
        fan_in = width
    layers.append(nn.Linear(fan_in, out_features))
    model = nn.Sequential(*layers)
    initialize(model, init, act)
    return model


def make_lenet(bn: str, out_features: int = 10) -> nn.Sequential:
    """LeNet-5 with sigmoid activations, as in the Dive-into-Deep-Learning BN chapter.

    Conv(1→6, 5) → [BN] → sigmoid → avg-pool 2 → Conv(6→16, 5) → [BN] → sigmoid
    → avg-pool 2 → Flatten → Linear(256→120) → [BN] → sigmoid → Linear(120→84)
    → [BN] → sigmoid → Linear(84→10), for 1×28×28 input (28 → 24 → 12 → 8 → 4,
    so 16·4·4 = 256 features after flattening). ``bn`` is ``none``,
    ``library`` (``torch.nn.BatchNorm1d/2d``) or ``scratch``
    (``bnstudy.norm``). Weights are Xavier-uniform, biases zero.
    """
    if bn not in LENET_BN:
        raise ValueError(f"unknown LeNet BN variant {bn!r}; allowed: {', '.join(LENET_BN)}")

    def norm(num_features: int, dims: int) -> list[nn.Module]:
        if bn == "none":
            return []
        if bn == "library":
            return [nn.BatchNorm2d(num_features) if dims == 4 else nn.BatchNorm1d(num_features)]
        if dims == 4:
            return [ScratchBatchNorm2d(num_features)]
        return [ScratchBatchNorm1d(num_features)]

    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5),  # (N, 6, 24, 24)
        *norm(6, 4),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),  # (N, 6, 12, 12)
        nn.Conv2d(6, 16, kernel_size=5),  # (N, 16, 8, 8)
        *norm(16, 4),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),  # (N, 16, 4, 4)
        nn.Flatten(),  # (N, 256)
        nn.Linear(16 * 4 * 4, 120),
        *norm(120, 2),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        *norm(84, 2),
        nn.Sigmoid(),
        nn.Linear(84, out_features),
    )
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def make_model(cfg, in_shape: tuple[int, ...], n_out: int) -> nn.Module:
    """Build ``cfg.model`` (a ``TrainConfig``) for inputs of shape ``in_shape`` (no batch dim).

    ``mlp`` takes flat (N, features) input; ``wide_mlp`` flattens its input
    itself; ``lenet`` needs 1×28×28 images.
    """
    in_shape = tuple(in_shape)
    n_in = math.prod(in_shape)
    if cfg.model == "mlp":
        if len(in_shape) != 1:
            raise ValueError(f"mlp expects flat input (features,), got shape {in_shape}")
        return make_mlp(n_in, n_out, cfg.depth, cfg.width, cfg.act, cfg.bn, cfg.init)
    if cfg.model == "wide_mlp":
        return make_wide_mlp(cfg.bn_layers, cfg.act, cfg.init, in_features=n_in, out_features=n_out)
    if cfg.model == "lenet":
        if in_shape != (1, 28, 28):
            raise ValueError(f"lenet expects input of shape (1, 28, 28), got {in_shape}")
        return make_lenet(cfg.bn, out_features=n_out)
    raise ValueError(f"unknown model {cfg.model!r}; allowed: {', '.join(MODELS)}")


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """Conv2d and Linear layers in forward order (of a flat ``nn.Sequential``)."""
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def bn_layers(model: nn.Module) -> list[nn.Module]:
    """Library and hand-written BN layers: each has ``running_mean`` and ``running_var``."""
    return [m for m in model.modules() if isinstance(m, BN_TYPES)]


def activation_layers(model: nn.Module, kind: type[nn.Module]) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, kind)]
