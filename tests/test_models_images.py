"""The image models: wide MLP, LeNet-5 (none / library / scratch BN) and make_model."""

import math

import pytest
import torch
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.models import (
    bn_layers,
    make_lenet,
    make_model,
    make_wide_mlp,
    weight_layers,
)
from bnstudy.norm import ScratchBatchNorm, ScratchBatchNorm1d, ScratchBatchNorm2d


def _kinds(model):
    return [type(m).__name__ for m in model]


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_wide_mlp_shapes_and_bn_count(k):
    model = make_wide_mlp(k, "relu")
    assert model(torch.randn(5, 1, 28, 28)).shape == (5, 10)
    widths = [(m.in_features, m.out_features) for m in weight_layers(model)]
    assert widths == [(784, 512), (512, 256), (256, 128), (128, 64), (64, 10)]
    bns = bn_layers(model)
    assert len(bns) == k
    assert [m.num_features for m in bns] == [512, 256, 128, 64][:k]
    assert all(isinstance(m, nn.BatchNorm1d) and m.momentum == 0.1 for m in bns)


def test_wide_mlp_places_bn_between_linear_and_activation():
    assert _kinds(make_wide_mlp(2, "sigmoid")) == [
        "Flatten",
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
        "Sigmoid",
        "Linear",
        "Sigmoid",
        "Linear",
    ]


LENET_LAYERS = {
    "none": [
        "Conv2d",
        "Sigmoid",
        "AvgPool2d",
        "Conv2d",
        "Sigmoid",
        "AvgPool2d",
        "Flatten",
        "Linear",
        "Sigmoid",
        "Linear",
        "Sigmoid",
        "Linear",
    ],
    "library": [
        "Conv2d",
        "BatchNorm2d",
        "Sigmoid",
        "AvgPool2d",
        "Conv2d",
        "BatchNorm2d",
        "Sigmoid",
        "AvgPool2d",
        "Flatten",
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
    ],
}
LENET_LAYERS["scratch"] = [
    {"BatchNorm2d": "ScratchBatchNorm2d", "BatchNorm1d": "ScratchBatchNorm1d"}.get(k, k)
    for k in LENET_LAYERS["library"]
]


@pytest.mark.parametrize("bn", ["none", "library", "scratch"])
def test_lenet_layers_and_shapes(bn):
    model = make_lenet(bn)
    assert _kinds(model) == LENET_LAYERS[bn]
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 6, (5, 5), (0, 0)),
        (6, 16, (5, 5), (0, 0)),
    ]
    linears = [(m.in_features, m.out_features) for m in model if isinstance(m, nn.Linear)]
    assert linears == [(256, 120), (120, 84), (84, 10)]
    assert len(weight_layers(model)) == 5
    assert [m.num_features for m in bn_layers(model)] == ([] if bn == "none" else [6, 16, 120, 84])


def test_lenet_uses_xavier_uniform_and_zero_biases():
    torch.manual_seed(0)
    model = make_lenet("none")
    for layer in weight_layers(model):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        w = layer.weight.detach()
        assert w.abs().max() <= bound
        # Uniform on [−bound, bound] has std bound/√3; PyTorch's default is far narrower.
        assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.25)
        assert torch.count_nonzero(layer.bias) == 0


def _lenet_pair():
    torch.manual_seed(1)
    library = make_lenet("library").double()
    scratch = make_lenet("scratch").double()
    scratch.load_state_dict(library.state_dict())  # same names: interchangeable
    return library, scratch


@pytest.mark.parametrize("training", [True, False])
def test_scratch_lenet_matches_library_lenet(training):
    library, scratch = _lenet_pair()
    if not training:
        # Non-trivial running statistics first, from the same batches.
        for _ in range(3):
            x = torch.randn(16, 1, 28, 28, dtype=torch.float64)
            library(x)
            scratch(x)
    library.train(training)
    scratch.train(training)
    x = torch.randn(16, 1, 28, 28, dtype=torch.float64)
    y = torch.randint(0, 10, (16,))
    outs = []
    for model in (library, scratch):
        out = model(x)
        nn.functional.cross_entropy(out, y).backward()
        outs.append(out.detach())
    torch.testing.assert_close(outs[1], outs[0], atol=1e-10, rtol=1e-10)
    for (name, p_lib), p_scr in zip(library.named_parameters(), scratch.parameters(), strict=True):
        torch.testing.assert_close(p_scr.grad, p_lib.grad, atol=1e-10, rtol=1e-8, msg=name)
    for b_lib, b_scr in zip(bn_layers(library), bn_layers(scratch), strict=True):
        torch.testing.assert_close(b_scr.running_mean, b_lib.running_mean, atol=1e-10, rtol=0)
        torch.testing.assert_close(b_scr.running_var, b_lib.running_var, atol=1e-10, rtol=0)


def test_bn_layers_finds_scratch_modules():
    bns = bn_layers(make_lenet("scratch"))
    assert [type(m) for m in bns] == [
        ScratchBatchNorm2d,
        ScratchBatchNorm2d,
        ScratchBatchNorm1d,
        ScratchBatchNorm1d,
    ]
    assert all(isinstance(m, ScratchBatchNorm) and hasattr(m, "running_var") for m in bns)


@pytest.mark.parametrize(
    "fields, in_shape, n_out, out_shape",
    [
        ({"model": "mlp", "depth": 2, "width": 4, "bn": "pre"}, (5,), 1, (6, 1)),
        ({"model": "wide_mlp", "bn_layers": 3, "act": "sigmoid"}, (1, 28, 28), 10, (6, 10)),
        ({"model": "lenet", "bn": "scratch"}, (1, 28, 28), 10, (6, 10)),
    ],
)
def test_make_model_dispatches_on_cfg_model(fields, in_shape, n_out, out_shape):
    model = make_model(TrainConfig(**fields), in_shape, n_out)
    assert model(torch.randn(6, *in_shape)).shape == out_shape


def test_make_model_wide_mlp_follows_the_config():
    model = make_model(TrainConfig(model="wide_mlp", bn_layers=2, act="tanh"), (1, 28, 28), 10)
    assert len(bn_layers(model)) == 2
    assert sum(isinstance(m, nn.Tanh) for m in model) == 4


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_wide_mlp(5, "relu"), r"bn_layers must be an integer in 0…4"),
        (lambda: make_wide_mlp(-1, "relu"), r"0…4"),
        (lambda: make_wide_mlp(1, "gelu"), "allowed: sigmoid, tanh, relu"),
        (lambda: make_lenet("batch"), "allowed: none, library, scratch"),
        (
            lambda: make_model(TrainConfig(model="resnet"), (1, 28, 28), 10),
            "allowed: mlp, wide_mlp, lenet",
        ),
        (lambda: make_model(TrainConfig(model="lenet"), (784,), 10), r"\(1, 28, 28\)"),
        (lambda: make_model(TrainConfig(model="mlp"), (1, 28, 28), 10), "flat input"),
    ],
)
def test_bad_arguments_name_what_is_allowed(call, match):
    with pytest.raises(ValueError, match=match):
        call()
