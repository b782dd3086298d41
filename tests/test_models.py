import pytest
import torch
from torch import nn

from bnstudy.models import make_mlp


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("bn", ["none", "pre", "post"])
def test_output_shape_and_layer_counts(depth, bn):
    model = make_mlp(5, 1, depth=depth, width=4, act="tanh", bn=bn)
    assert model(torch.randn(8, 5)).shape == (8, 1)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    bns = [m for m in model if isinstance(m, nn.BatchNorm1d)]
    assert len(linears) == depth + 1
    assert len(bns) == (0 if bn == "none" else depth)
    assert all(m.momentum == 0.1 and m.eps == 1e-5 for m in bns)


def _kinds(model):
    return [type(m).__name__ for m in model]


def test_pre_places_bn_between_linear_and_activation():
    model = make_mlp(5, 1, depth=2, width=4, act="sigmoid", bn="pre")
    assert _kinds(model) == [
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
        "Linear",
    ]


def test_post_places_bn_after_activation():
    model = make_mlp(5, 1, depth=2, width=4, act="relu", bn="post")
    assert _kinds(model) == [
        "Linear",
        "ReLU",
        "BatchNorm1d",
        "Linear",
        "ReLU",
        "BatchNorm1d",
        "Linear",
    ]


def test_inits_differ_and_zero_biases():
    torch.manual_seed(0)
    default = make_mlp(5, 1, 2, 4, "tanh", "none", init="default")
    torch.manual_seed(0)
    xavier = make_mlp(5, 1, 2, 4, "tanh", "none", init="xavier")
    assert not torch.equal(default[0].weight, xavier[0].weight)
    assert torch.count_nonzero(xavier[0].bias) == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"act": "gelu"}, "activation"), ({"bn": "middle"}, "BN placement"), ({"depth": 0}, "depth")],
)
def test_bad_arguments_name_what_is_allowed(kwargs, match):
    args = {"depth": 2, "width": 4, "act": "tanh", "bn": "none", **kwargs}
    with pytest.raises(ValueError, match=match):
        make_mlp(5, 1, **args)
