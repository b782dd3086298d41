"""Seeds batched: all seeds of one configuration train as one stacked model.

Thousands of tiny trainings are dominated by per-step Python and kernel-launch
overhead, not arithmetic, so the S seeds of a configuration share every step:

* Linear layers hold per-seed weights stacked as (S, in, out) and run as one
  ``torch.baddbmm`` over activations laid out (S, B, features);
* convolutions become one grouped convolution (groups = S) over activations
  laid out (B, S·C, H, W), seed-major along the channels;
* a BN layer becomes one BN over S·C channels of the seed-major layout — BN
  normalizes each channel on its own, so this is exactly per-seed BN, with
  per-seed γ, β and running statistics (library or hand-written BN alike).

Each seed keeps its own initial weights (built by the reference model code
under ``torch.manual_seed(seed)``), its own shuffling, its own learning rate
(one torch scheduler per seed, so plateau scheduling stays per seed), its own
divergence check (a diverged seed is frozen and recorded; the others go on),
gradient norms, running statistics and probes. The per-seed trainer in
``bnstudy.train`` stays the reference: the tests show both give the same
metrics to float32 rounding.

The optimizers are written here, elementwise like torch's SGD (momentum,
Nesterov) and Adam, but with a per-seed learning rate; not constructing a
``torch.optim`` optimizer also saves the ~0.9 s its first use costs a process
(it imports ``torch._dynamo``).
"""

from __future__ import annotations

import logging
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.models import ScratchBatchNorm, make_model
from bnstudy.schedules import LrHolder, make_schedule, suggest_lr
from bnstudy.train import SeedRun, batch_slices

log = logging.getLogger("bnstudy.train")

_BN = (nn.modules.batchnorm._BatchNorm, ScratchBatchNorm)


# ---- stacked layers ----------------------------------------------------------------------
# "dense" activations are (S, B, F); "channels" activations are (B, S·C, H, W).


class StackedLinear(nn.Module):
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
        if x.is_cuda:
            return self.conv(x)
        # On the CPU one convolution per seed is about twice as fast as a grouped one.
        c = self.conv
        xs = x.chunk(c.groups, dim=1)
        ws, bs = c.weight.chunk(c.groups), c.bias.chunk(c.groups)
        return torch.cat(
            [
                F.conv2d(xi, wi, bi, c.stride, c.padding)
                for xi, wi, bi in zip(xs, ws, bs, strict=True)
            ],
            dim=1,
        )


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
            elif isinstance(first, _BN):
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


# ---- optimizers with a learning rate per seed ---------------------------------------------


class StackedOptimizer:
    """torch's SGD (momentum, Nesterov) and Adam update rules with one lr per seed.

    ``step(lrs)`` takes one lr per seed; a seed with lr 0 is frozen (its state
    too). While every seed shares one lr — the usual case — the update runs
    torch's own single-tensor operations in place, so it matches
    ``torch.optim`` operation for operation; per-seed lrs (plateau schedules,
    frozen seeds) take a broadcasting path.
    """

    def __init__(self, cfg: TrainConfig, params: list[nn.Parameter], seeds: int):
        self.kind, self.params, self.seeds = cfg.optimizer, params, seeds
        self.momentum = {"sgd": cfg.momentum, "nesterov": cfg.nesterov_momentum}.get(cfg.optimizer)
        self.betas, self.eps = (0.9, 0.999), 1e-8  # torch.optim.Adam defaults
        self.state: list[dict] = [{} for _ in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, lrs: list[float]) -> None:
        shared = lrs[0] if len(set(lrs)) == 1 else None
        lr = None if shared is not None else torch.tensor(lrs, device=self.params[0].device)
        for p, state in zip(self.params, self.state, strict=True):
            w, g = per_seed(p, self.seeds), per_seed(p.grad, self.seeds)
            if self.kind == "adam":
                self._adam(w, g, state, shared, lr)
            else:
                self._sgd(w, g, state, shared, lr)

    def _sgd(self, w, g, state, shared, lr) -> None:
        mu = self.momentum
        if shared is not None:
            if mu:
                if "buf" not in state:
                    state["buf"] = g.clone()
                else:
                    state["buf"].mul_(mu).add_(g)
                # In place: the gradient is not read again before the next backward.
                g = g.add_(state["buf"], alpha=mu) if self.kind == "nesterov" else state["buf"]
            w.add_(g, alpha=-shared)
            return
        live = (lr > 0).unsqueeze(1)  # (S, 1)
        if mu:
            if "buf" not in state:
                state["buf"] = g.clone()
            else:
                state["buf"].copy_(torch.where(live, state["buf"] * mu + g, state["buf"]))
            g = g + mu * state["buf"] if self.kind == "nesterov" else state["buf"]
        w.sub_(lr.unsqueeze(1) * torch.where(live, g, 0.0))

    def _adam(self, w, g, state, shared, lr) -> None:
        b1, b2 = self.betas
        if "m" not in state:
            state["m"], state["v"] = torch.zeros_like(w), torch.zeros_like(w)
            state["t"] = torch.zeros(self.seeds, 1, device=w.device)
        m, v = state["m"], state["v"]
        if shared is not None:
            state["t"] += 1
            t = int(state["t"][0].item())
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / (1 - b2**t) ** 0.5).add_(self.eps)
            w.addcdiv_(m, denom, value=-shared / (1 - b1**t))
            return
        live = (lr > 0).unsqueeze(1)
        state["t"] += live
        m.copy_(torch.where(live, m.lerp(g, 1 - b1), m))
        v.copy_(torch.where(live, v * b2 + (1 - b2) * g * g, v))
        t = state["t"].clamp(min=1)
        denom = v.sqrt() / (1 - b2**t).sqrt() + self.eps
        w.sub_(torch.where(live, lr.unsqueeze(1) / (1 - b1**t) * m / denom, 0.0))


# ---- the batched trainer ------------------------------------------------------------------


def _per_seed_loss(out: torch.Tensor, y: torch.Tensor, task: str) -> torch.Tensor:
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


def _chunks(n: int) -> list[slice]:
    return [slice(i, min(i + EVAL_CHUNK, n)) for i in range(0, n, EVAL_CHUNK)]


@torch.no_grad()
def _evaluate(model: StackedModel, x, y, task: str) -> tuple[list[float], list[float] | None]:
    model.eval()
    s, n = model.seeds, x.shape[0]
    loss_sum = torch.zeros(s, dtype=torch.float64, device=x.device)
    hits = torch.zeros(s, dtype=torch.float64, device=x.device)
    for sl in _chunks(n):
        xb, yb = x[sl], y[sl]
        out = model(xb.unsqueeze(0).expand(s, *xb.shape))
        yy = yb.unsqueeze(0).expand(s, *yb.shape)
        loss_sum += _per_seed_loss(out, yy, task).double() * xb.shape[0]
        if task == "classification":
            hits += (out.argmax(2) == yy).double().sum(1)
    loss = (loss_sum / n).tolist()
    acc = (hits / n).tolist() if task == "classification" else None
    return loss, acc


class _ChannelStats:
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

    def gaps(self, running_mean, running_var) -> tuple[torch.Tensor, torch.Tensor]:
        """As ``train.bn_gaps``: |running − true| mean and (unbiased) variance per channel."""
        var = self.m2 / (self.n - 1)
        return (
            (running_mean.double() - self.mean).abs().float(),
            (running_var.double() - var).abs().float(),
        )


@torch.no_grad()
def _probes(model: StackedModel, x_train, cfg: TrainConfig) -> list[dict[str, float]]:
    """Per seed: BN running-statistics gaps, dead ReLUs, first BN layer's γ/β (see train.py).

    The training set passes through in chunks (``EVAL_CHUNK``); each BN layer's
    input statistics and each ReLU's "never active" mask are merged across them.
    """
    model.eval()
    s = model.seeds
    bns = model.bn_layers()
    relus = [m for m in model.layers if isinstance(m, nn.ReLU)] if cfg.act == "relu" else []
    stats = {m: _ChannelStats() for m in bns}
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
        for sl in _chunks(x_train.shape[0]):
            xb = x_train[sl]
            model(xb.unsqueeze(0).expand(s, *xb.shape))
    finally:
        for h in hooks:
            h.remove()
    out: list[dict[str, float]] = [{} for _ in range(s)]
    for j, m in enumerate(bns, start=1):
        gaps = stats[m].gaps(m.bn.running_mean, m.bn.running_var)
        for i in range(s):
            out[i][f"bn_mean_gap.{j}"] = gaps[0].view(s, -1)[i].mean().item()
            out[i][f"bn_var_gap.{j}"] = gaps[1].view(s, -1)[i].mean().item()
    if relus:
        all_dead = torch.cat([dead[m] for m in relus], dim=1)
        for i in range(s):
            out[i]["dead_frac"] = all_dead[i].float().mean().item()
    if cfg.model == "lenet" and bns:
        gamma, beta = bns[0].bn.weight.view(s, -1), bns[0].bn.bias.view(s, -1)
        for i in range(s):
            for c in range(gamma.shape[1]):
                out[i][f"bn1_gamma.{c + 1}"] = gamma[i, c].item()
                out[i][f"bn1_beta.{c + 1}"] = beta[i, c].item()
    return out


def build_stacked(cfg: TrainConfig, data: dict, seeds: list[int]) -> StackedModel:
    """The seeds' reference models, each initialized under ``torch.manual_seed(seed)``, stacked."""
    in_shape = tuple(data["x_train"].shape[1:])
    n_out = data.get("n_classes", 1) if data["task"] == "classification" else 1
    refs = []
    for seed in seeds:
        torch.manual_seed(seed)
        refs.append(make_model(cfg, in_shape, n_out))
    return StackedModel(refs)


def train_seeds_batched(
    cfg: TrainConfig, data: dict, seeds: list[int], device: torch.device
) -> list[SeedRun]:
    """Train all ``seeds`` of ``cfg`` at once; the same records as ``train.train_seed``."""
    s = len(seeds)
    runs = [SeedRun(seed) for seed in seeds]
    task = data["task"]
    x_train, y_train = data["x_train"].to(device), data["y_train"].to(device)
    x_test, y_test = data["x_test"].to(device), data["y_test"].to(device)
    range_test = cfg.schedule == "range_test"

    model = build_stacked(cfg, data, seeds).to(device)
    shuffles = [torch.Generator().manual_seed(seed) for seed in seeds]
    optimizer = StackedOptimizer(cfg, list(model.parameters()), s)
    layers = model.weight_layers()
    n = x_train.shape[0]
    slices, merged = batch_slices(n, cfg.batch_size, bool(model.bn_layers()))
    if merged:
        log.info(
            "%d training samples in batches of %d leave a last batch of 1; merged it into "
            "the previous batch so BN never normalizes a single sample",
            n,
            cfg.batch_size,
        )
    schedules = []
    for _ in seeds:
        holder = LrHolder(cfg.lr)
        schedules.append(
            make_schedule(
                cfg.schedule,
                holder,
                lr=cfg.lr,
                epochs=cfg.epochs,
                steps_per_epoch=len(slices),
                k=cfg.schedule_k,
                range_end=cfg.range_end,
            )
        )
    active = [True] * s  # still training (not diverged, range test not stopped)
    first_loss: list[float | None] = [None] * s
    sweeps: list[list[tuple[float, float]]] = [[] for _ in seeds]
    last_epoch = [0] * s
    for epoch in range(1, cfg.epochs + 1):
        if not any(active):
            break
        start = time.perf_counter()
        perms = torch.stack([torch.randperm(n, generator=g) for g in shuffles]).to(device)
        model.train()
        loss_sum = torch.zeros(s, device=device)
        grad_sum = torch.zeros(len(layers), s, device=device)
        lr_sum, steps = [0.0] * s, [0] * s
        stopped = [False] * s  # exploded during this epoch
        for sl in slices:
            lrs = [sch.current_lr() if active[i] else 0.0 for i, sch in enumerate(schedules)]
            idx = perms[:, sl]  # (S, B)
            out = model(x_train[idx])
            losses = _per_seed_loss(out, y_train[idx], task)
            values = losses.tolist()
            for i, v in enumerate(values):
                if not active[i]:
                    continue
                if first_loss[i] is None:
                    first_loss[i] = v
                if not math.isfinite(v) or v > cfg.diverge_factor * max(first_loss[i], 1e-12):
                    active[i], stopped[i], lrs[i] = False, True, 0.0
            live = torch.tensor(lrs, device=device) > 0
            if not bool(live.any()):
                break
            optimizer.zero_grad()
            losses[live].sum().backward()  # each seed's weights get only its own gradient
            norms = torch.stack([per_seed(m.weight.grad, s).norm(dim=1) for m in layers])
            grad_sum += torch.where(live, norms, 0.0)  # (layers, S)
            optimizer.step(lrs)
            loss_sum += torch.where(live, losses.detach(), 0.0)
            for i in range(s):
                if active[i]:
                    schedules[i].optimizer.step()  # a no-op that tells torch a step was taken
                    schedules[i].after_batch()
                    lr_sum[i] += lrs[i]
                    steps[i] += 1
                    if range_test:
                        sweeps[i].append((lrs[i], values[i]))
        test_loss, test_acc = _evaluate(model, x_test, y_test, task)
        elapsed = time.perf_counter() - start
        busy = [i for i in range(s) if active[i] or (stopped[i] and steps[i])]
        for i, run in enumerate(runs):
            if not (active[i] or stopped[i]):
                continue
            if active[i] and not math.isfinite(test_loss[i]):
                active[i], stopped[i] = False, True
            if stopped[i] and not range_test:
                log.warning("seed %d diverged in epoch %d; stopped this seed", run.seed, epoch)
                run.diverged = True
                run.add(epoch, "diverged", 1.0)
                continue
            if steps[i] == 0:
                continue
            train_loss = loss_sum[i].item() / steps[i]
            schedules[i].after_epoch(train_loss)
            run.add(epoch, "train_loss", train_loss)
            if not stopped[i]:
                run.add(epoch, "test_loss", test_loss[i])
                if test_acc is not None:
                    run.add(epoch, "test_acc", test_acc[i])
            run.add(epoch, "lr", lr_sum[i] / steps[i])
            for j, g in enumerate((grad_sum[:, i] / steps[i]).tolist(), start=1):
                run.add(epoch, f"grad_norm.{j}", g)
            run.times.append((run.seed, epoch, elapsed / max(len(busy), 1)))
            last_epoch[i] = epoch
            if stopped[i]:
                log.info("seed %d: LR range test stopped where the loss exploded", run.seed)
    probes = _probes(model, x_train, cfg)
    for i, run in enumerate(runs):
        if run.diverged:
            continue
        if range_test:
            lrs_i, losses_i = [lr for lr, _ in sweeps[i]], [v for _, v in sweeps[i]]
            for step, (lr, value) in enumerate(sweeps[i], start=1):
                run.add(step, "range_lr", lr)
                run.add(step, "range_loss", value)
            run.add(last_epoch[i], "suggested_lr", suggest_lr(lrs_i, losses_i))
        for name, value in probes[i].items():
            run.add(last_epoch[i], name, value)
        run.add(last_epoch[i], "diverged", 0.0)
    return runs
