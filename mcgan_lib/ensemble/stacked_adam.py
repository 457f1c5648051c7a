"""``torch.optim.Adam`` and its AMSGrad variant on the stacked (E, ...) parameters of an ensemble, with a
learning rate, betas and weight decay per member (:class:`StackedAdam`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

ADAM_EPS = 1e-8  # torch.optim.Adam's default, used by the single-run trainer


def per_member_value(values: Sequence[float], device) -> float | torch.Tensor:
    """A float when every member has the same value (the single run's exact arithmetic), else an (E,) tensor."""
    if all(v == values[0] for v in values):
        return float(values[0])
    return torch.tensor(values, dtype=torch.float32, device=device)


def broadcast_per_member(value, like: torch.Tensor):
    """Broadcast an (E,) per-member value against a stacked (E, ...) tensor; floats pass through."""
    if isinstance(value, torch.Tensor):
        return value.view(-1, *([1] * (like.ndim - 1)))
    return value


class StackedAdam:
    """``torch.optim.Adam`` (and its AMSGrad variant) on stacked (E, ...) tensors, per-member settings.

    The arithmetic is the single-tensor Adam of PyTorch, line by line, so each slice moves as the
    single run's parameter does: L2 weight decay added to the gradient, ``exp_avg.lerp_``, bias
    corrections, ``denom = sqrt(v̂) / sqrt(1 - β2^t) + eps``, ``p -= lr / (1 - β1^t) · m / denom``.
    A parameter whose gradient is None is skipped, step count included, as in PyTorch.

    Flat mode (``flat``: an (E, P) tensor whose column blocks are the parameters of ``names`` in order,
    ``shapes`` their per-member shapes, as :class:`EnsembleTrainer` lays them out): the moments are
    (E, P) tensors too and :meth:`flat_step` runs the same arithmetic once over the whole block instead
    of once per parameter (the idea of ``torch.optim.Adam(foreach=True)``; element-wise, so the same bits).
    """

    def __init__(
        self,
        names: Sequence[str],
        lr,
        betas,
        weight_decay,
        amsgrad: bool,
        device,
        flat: torch.Tensor | None = None,
        shapes: dict[str, tuple] | None = None,
    ):
        self.names = list(names)
        self.lr = per_member_value(lr, device)
        self.beta1 = per_member_value([b[0] for b in betas], device)
        self.beta2 = per_member_value([b[1] for b in betas], device)
        self.weight_decay = per_member_value(weight_decay, device)
        self.amsgrad = amsgrad
        self.flat, self.shapes = flat, shapes
        self.moments: dict[str, torch.Tensor] = {}  # flat mode: (E, P) exp_avg, exp_avg_sq (, max_exp_avg_sq)
        self.state: dict[str, dict] = {}

    def _moment_names(self) -> tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if self.amsgrad else ("exp_avg", "exp_avg_sq")

    def _state(self, name: str, param: torch.Tensor) -> dict:
        """``name``'s state, created with zero moments (views of the (E, P) moments in flat mode)."""
        state = self.state.get(name)
        if state is not None:
            return state
        if self.flat is None:
            moments = {key: torch.zeros_like(param) for key in self._moment_names()}
        else:
            if not self.moments:
                self.moments = {key: torch.zeros_like(self.flat) for key in self._moment_names()}
            start = 0
            for other in self.names[: self.names.index(name)]:
                start += math.prod(self.shapes[other])
            size = math.prod(self.shapes[name])
            moments = {
                key: m[:, start : start + size].view(len(m), *self.shapes[name]) for key, m in self.moments.items()
            }
        state = self.state[name] = {"step": 0, **moments}
        return state

    def can_step_flat(self) -> bool:
        """Flat mode, and every parameter has taken the same number of steps (always, unless some
        gradient was None)."""
        if self.flat is None:
            return False
        return len({self.state[n]["step"] if n in self.state else 0 for n in self.names}) == 1

    @torch.no_grad()
    def flat_step(self, grad: torch.Tensor, frozen: torch.Tensor | None = None) -> None:
        """One step of every parameter at once; ``grad`` is (E, P) like ``flat``. Members where the (E,)
        mask ``frozen`` is True do not move (their momentum would otherwise carry them on)."""
        for name in self.names:
            self._state(name, None)["step"] += 1
        self._update(self.flat, grad, self.moments, self.state[self.names[0]]["step"], frozen)

    @torch.no_grad()
    def step(
        self, params: dict[str, torch.Tensor], grads: dict[str, torch.Tensor | None], frozen: torch.Tensor | None = None
    ) -> None:
        for name in self.names:
            grad = grads.get(name)
            if grad is None:
                continue
            state = self._state(name, params[name])
            state["step"] += 1
            self._update(params[name], grad, state, state["step"], frozen)

    def finite_members(self) -> torch.Tensor:
        """(E,) True where every moment estimate of the member is finite (False once its gradients overflowed)."""
        tensors = list(self.moments.values()) or [
            state[key] for state in self.state.values() for key in self._moment_names()
        ]
        finite = [torch.isfinite(t.reshape(t.shape[0], -1)).all(dim=1) for t in tensors]
        return torch.stack(finite).all(dim=0) if finite else None

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, moments: dict, t: int, frozen: torch.Tensor | None = None
    ) -> None:
        beta1, beta2 = broadcast_per_member(self.beta1, param), broadcast_per_member(self.beta2, param)
        weight_decay, lr = broadcast_per_member(self.weight_decay, param), broadcast_per_member(self.lr, param)
        if isinstance(weight_decay, torch.Tensor):
            grad = grad + param * weight_decay
        elif weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        exp_avg, exp_avg_sq = moments["exp_avg"], moments["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        if isinstance(beta2, torch.Tensor):
            exp_avg_sq.mul_(beta2).add_(grad * grad * (1 - beta2))
        else:
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**t
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        second = exp_avg_sq
        if self.amsgrad:
            torch.maximum(moments["max_exp_avg_sq"], exp_avg_sq, out=moments["max_exp_avg_sq"])
            second = moments["max_exp_avg_sq"]
        denom = (second.sqrt() / bias_correction2_sqrt).add_(ADAM_EPS)
        step_size = lr / bias_correction1
        if frozen is not None:
            update = exp_avg / denom * step_size
            param.sub_(torch.where(broadcast_per_member(frozen, update), 0.0, update))
        elif isinstance(step_size, torch.Tensor):
            param.sub_(step_size * (exp_avg / denom))
        else:
            param.addcdiv_(exp_avg, denom, value=-step_size)

    def state_dict(self) -> dict:
        return {name: dict(state) for name, state in self.state.items()}

    def load_state_dict(self, state: dict) -> None:
        if self.flat is None:
            self.state = {name: dict(value) for name, value in state.items()}
            return
        self.state = {}
        for moment in self.moments.values():
            moment.zero_()
        for name, value in state.items():  # copied into the (E, P) moments, so flat mode goes on
            mine = self._state(name, None)
            mine["step"] = value["step"]
            for key in self._moment_names():
                mine[key].copy_(value[key])
