"""The hand-written BN matches torch.nn.BatchNorm1d/2d (STUDY.md claim N2)."""

import pytest
import torch
from torch import nn

from bnstudy.norm import ScratchBatchNorm, ScratchBatchNorm1d, ScratchBatchNorm2d

# (library class, scratch class, input shape)
KINDS = {
    "1d": (nn.BatchNorm1d, ScratchBatchNorm1d, (16, 5)),
    "2d": (nn.BatchNorm2d, ScratchBatchNorm2d, (8, 3, 6, 5)),
}
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


def _pair(kind: str, dtype: torch.dtype, momentum=0.1):
    lib_cls, scratch_cls, shape = KINDS[kind]
    lib = lib_cls(shape[1], momentum=momentum).to(dtype)
    # Non-trivial γ, β and running statistics, then the same state in both modules.
    with torch.no_grad():
        lib.weight.uniform_(0.5, 1.5)
        lib.bias.uniform_(-0.5, 0.5)
        lib.running_mean.uniform_(-1, 1)
        lib.running_var.uniform_(0.5, 2)
    scratch = scratch_cls(shape[1], momentum=momentum).to(dtype)
    scratch.load_state_dict(lib.state_dict())
    return lib, scratch, shape


def _close(a, b, dtype):
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(a, b, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kind", ["1d", "2d"])
@pytest.mark.parametrize("training", [True, False])
def test_forward_and_gradients_match_library(kind, dtype, training):
    torch.manual_seed(0)
    lib, scratch, shape = _pair(kind, dtype)
    lib.train(training)
    scratch.train(training)
    x = (3 * torch.randn(shape, dtype=dtype) + 2).requires_grad_()
    upstream = torch.randn(shape, dtype=dtype)  # a non-uniform dL/dy

    grads = []
    outs = []
    for module in (lib, scratch):
        x.grad = None
        out = module(x)
        (out * upstream).sum().backward()
        outs.append(out.detach())
        grads.append((x.grad.clone(), module.weight.grad.clone(), module.bias.grad.clone()))

    _close(outs[1], outs[0], dtype)
    for g_scratch, g_lib in zip(grads[1], grads[0], strict=True):
        _close(g_scratch, g_lib, dtype)
    _close(scratch.running_mean, lib.running_mean, dtype)
    _close(scratch.running_var, lib.running_var, dtype)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_running_statistics_match_after_several_steps(kind, momentum):
    torch.manual_seed(1)
    lib, scratch, shape = _pair(kind, torch.float64, momentum=momentum)
    for step in range(6):
        x = torch.randn(shape, dtype=torch.float64) * (1 + step) + step
        lib(x)
        scratch(x)
    _close(scratch.running_mean, lib.running_mean, torch.float64)
    _close(scratch.running_var, lib.running_var, torch.float64)
    assert scratch.num_batches_tracked.item() == lib.num_batches_tracked.item() == 6
    lib.eval()
    scratch.eval()
    x = torch.randn(shape, dtype=torch.float64)
    _close(scratch(x), lib(x), torch.float64)


def test_running_var_uses_unbiased_batch_variance():
    bn = ScratchBatchNorm(1, momentum=1.0)  # running stats become the batch's own
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    bn(x)
    assert bn.running_mean.item() == pytest.approx(3.0)
    assert bn.running_var.item() == pytest.approx(x.var(unbiased=True).item())


def test_state_dicts_are_interchangeable():
    lib = nn.BatchNorm2d(4)
    scratch = ScratchBatchNorm2d(4)
    assert lib.state_dict().keys() == scratch.state_dict().keys()
    assert {n for n, _ in scratch.named_parameters()} == {"weight", "bias"}
    assert torch.equal(scratch.weight, torch.ones(4)) and torch.equal(scratch.bias, torch.zeros(4))
    lib.load_state_dict(scratch.state_dict())


@pytest.mark.parametrize(
    "module, shape, match",
    [
        (ScratchBatchNorm1d(3), (4, 3, 2, 2), "2-D"),
        (ScratchBatchNorm2d(3), (4, 3), "4-D"),
        (ScratchBatchNorm(3), (4, 3, 2), "2-D .* or 4-D"),
        (ScratchBatchNorm(3), (4, 5), "3 channels"),
        (ScratchBatchNorm(3), (1, 3), "more than 1 value per channel"),
    ],
)
def test_bad_input_is_refused(module, shape, match):
    with pytest.raises(ValueError, match=match):
        module(torch.randn(shape))


def _tiny_cnn(norm2d, norm1d):
    return nn.Sequential(
        nn.Conv2d(1, 3, 3),  # (N, 3, 6, 6)
        norm2d(3),
        nn.Sigmoid(),
        nn.Flatten(),
        nn.Linear(3 * 6 * 6, 5),
        norm1d(5),
        nn.Sigmoid(),
        nn.Linear(5, 2),
    ).double()


def test_training_a_tiny_model_follows_the_same_path():
    torch.manual_seed(2)
    lib = _tiny_cnn(nn.BatchNorm2d, nn.BatchNorm1d)
    scratch = _tiny_cnn(ScratchBatchNorm2d, ScratchBatchNorm1d)
    scratch.load_state_dict(lib.state_dict())
    opts = [torch.optim.SGD(m.parameters(), lr=0.5, momentum=0.9) for m in (lib, scratch)]
    x = torch.randn(40, 1, 8, 8, dtype=torch.float64)
    y = (x.mean((1, 2, 3)) > 0).long()
    for step in range(10):
        idx = torch.arange(step % 4 * 10, step % 4 * 10 + 10)
        for model, opt in zip((lib, scratch), opts, strict=True):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    for (name, p_lib), p_scratch in zip(
        lib.state_dict().items(), scratch.state_dict().values(), strict=True
    ):
        if p_lib.is_floating_point():
            torch.testing.assert_close(p_scratch, p_lib, atol=1e-9, rtol=1e-9, msg=name)
        else:
            assert torch.equal(p_scratch, p_lib), name
    lib.eval()
    scratch.eval()
    torch.testing.assert_close(scratch(x), lib(x), atol=1e-9, rtol=1e-9)
