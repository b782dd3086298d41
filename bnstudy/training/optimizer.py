"""The optimizers of the batched trainer: torch's update rules with one lr per seed.

Written here, elementwise like ``torch.optim.SGD`` (momentum, Nesterov) and
``torch.optim.Adam``, because each seed of a stacked model has its own learning
rate (plateau schedules, frozen seeds). Not constructing a ``torch.optim``
optimizer also saves the ~0.9 s its first use costs a process (it imports
``torch._dynamo``). ``tests/test_batched.py`` checks both against torch's.
"""

from __future__ import annotations

import torch
from torch import nn

from bnstudy.config import TrainConfig
from bnstudy.training.stacked import per_seed


class StackedOptimizer:
    """torch's SGD (momentum, Nesterov) and Adam update rules with one lr per seed.

    ``step(lrs)`` takes one lr per seed; a seed with lr 0 is frozen (its state
    too). While every seed shares one lr — the usual case — the update runs in
    place in as few passes over the weights as the rule allows (equal to
    ``torch.optim``'s up to float rounding); so does it with per-seed lrs while
    every seed is live (a learning-rate sweep: each seed's lr broadcast over its
    weights). A frozen seed (lr 0: diverged, or its plateau schedule done) takes a
    masked path that leaves it and its state untouched.
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
        # Per-seed lrs with every seed live (a learning-rate sweep): in place too, each
        # seed's lr broadcast over its weights. A frozen seed takes the masked path.
        rate = None if shared is not None else torch.tensor(lrs, device=self.params[0].device)
        rate = None if rate is None else rate.unsqueeze(1)  # (S, 1)
        every = shared is not None or min(lrs) > 0
        for p, state in zip(self.params, self.state, strict=True):
            w, g = per_seed(p, self.seeds), per_seed(p.grad, self.seeds)
            if self.kind == "adam":
                self._adam(w, g, state, shared, rate, every)
            else:
                self._sgd(w, g, state, shared, rate, every)

    @staticmethod
    def _descend(w, t, shared, rate, scale: float = 1.0) -> None:
        """w ← w − lr·scale·t, lr shared (a number) or per seed (``rate``, (S, 1))."""
        if shared is not None:
            w.add_(t, alpha=-shared * scale)
        else:
            w.addcmul_(t, rate, value=-scale)

    def _sgd(self, w, g, state, shared, rate, every) -> None:
        mu = self.momentum
        if every:
            if not mu:
                self._descend(w, g, shared, rate)
                return
            # buf ← μ·buf + g, then w ← w − lr·(g + μ·buf) (Nesterov) or w − lr·buf: the
            # same update as torch.optim.SGD in fewer passes over the weights, which is
            # what a small batch's step costs (every weight is read and written).
            if "buf" not in state:
                state["buf"] = g.clone()
            else:
                torch.add(g, state["buf"], alpha=mu, out=state["buf"])
            if self.kind == "nesterov":
                self._descend(w, g, shared, rate)
                self._descend(w, state["buf"], shared, rate, mu)
            else:
                self._descend(w, state["buf"], shared, rate)
            return
        live = rate > 0  # (S, 1)
        if mu:
            if "buf" not in state:
                state["buf"] = g.clone()
            else:
                state["buf"].copy_(torch.where(live, state["buf"] * mu + g, state["buf"]))
            g = g + mu * state["buf"] if self.kind == "nesterov" else state["buf"]
        w.sub_(rate * torch.where(live, g, 0.0))

    def _adam(self, w, g, state, shared, rate, every) -> None:
        b1, b2 = self.betas
        if "m" not in state:
            state["m"], state["v"] = torch.zeros_like(w), torch.zeros_like(w)
            state["t"] = torch.zeros(self.seeds, 1, device=w.device)
        m, v = state["m"], state["v"]
        if every:
            state["t"] += 1
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            if shared is not None:
                t = int(state["t"][0].item())
                denom = (v.sqrt() / (1 - b2**t) ** 0.5).add_(self.eps)
                w.addcdiv_(m, denom, value=-shared / (1 - b1**t))
                return
            t = state["t"]  # (S, 1): each seed's own step count
            denom = v.sqrt().div_((1 - b2**t).sqrt()).add_(self.eps)
            w.addcdiv_(m * (rate / (1 - b1**t)), denom, value=-1.0)
            return
        live = rate > 0
        state["t"] += live
        m.copy_(torch.where(live, m.lerp(g, 1 - b1), m))
        v.copy_(torch.where(live, v * b2 + (1 - b2) * g * g, v))
        t = state["t"].clamp(min=1)
        denom = v.sqrt() / (1 - b2**t).sqrt() + self.eps
        w.sub_(torch.where(live, rate / (1 - b1**t) * m / denom, 0.0))
