"""Train E independent toy GANs at once, as one batched model (the engine of seeds and λ sweeps).

How it works, and why member i equals a single run:

- Every member is built exactly as a single run would be (:class:`Member`: its own seeded G, D,
  regularizer and :class:`~mcgan_lib.training.TrainConfig`). Their parameters are stacked along a new
  leading *ensemble axis*.
- One step evaluates the library's own objectives (:func:`~mcgan_lib.training.generator_objective`,
  :func:`~mcgan_lib.training.discriminator_objective`) for all members at once with
  :func:`torch.func.vmap` over :func:`torch.func.functional_call`: every ``nn.Linear`` becomes one
  batched matrix product and every regularizer runs unchanged.
- The members' losses are summed and differentiated once. Member i's loss depends only on member i's
  weights, so the gradient of the sum with respect to member i's slice *is* member i's gradient.
- Adam and AMSGrad are element-wise: :class:`StackedAdam` repeats ``torch.optim.Adam``'s arithmetic on
  the stacked tensors, with a per-member learning rate, betas and weight decay. Gradient-norm
  clipping is computed per member (``torch.nn.utils.clip_grad_norm_``'s formula on each slice), so
  nothing couples the members; value clipping (``grad_value_clip``) is element-wise anyway.
- ``d_steps`` and ``g_steps_per_d_step`` repeat a side's step as the single run does.
- Data and latents are drawn per member, from its own ``torch.Generator`` seeded with its config's
  ``seed``, in the single run's order. Member i therefore follows the single run's trajectory up to
  float rounding (batched and single matrix products round differently); ``tests/test_ensemble.py``
  checks the weights after N steps for the plain GAN and every regularizer.

What may differ between members: the seed, ``lr_g``, ``lr_d``, ``betas``, ``weight_decay``,
``grad_clip`` and the regularizer's ``member_hyperparameters`` (λ; Reg-GAN's λ1 and λ2). Everything
that changes shapes or code paths (K samples, the loss, the networks) must be equal:
:func:`mcgan_lib.sweeps.sweep` splits a grid into one ensemble per such group.

Divergence: a member whose loss becomes NaN or infinite is *frozen* (its weights stop changing, its
metrics read NaN) and the step is kept in :attr:`EnsembleTrainer.diverged_at`; the other members go on.
So is a member that stopped learning without a NaN, found every ``log_every`` steps as by the single
trainer: its Adam moments overflowed (a huge λ or lr), or a step with a non-zero gradient changed none of
its weights.
The single :class:`~mcgan_lib.training.Trainer` raises instead; in a sweep, one bad λ must not cost
every other member its run.

Speed (``benchmarks/bench_ensemble.py`` measures it): each side's parameters form one (E, P) block,
so Adam, the divergence masks and clipping run once per side; a Gaussian mixture's batches and the
latents are drawn with two generator calls per member; on the CPU freed activations stay in the heap
(:func:`mcgan_lib.allocator.retain_freed_memory`). ``compile=True`` (or ``MCGAN_ENSEMBLE_COMPILE=1``) runs
the objective through ``torch.compile`` and falls back to eager on a compiler error; off by default
(on a 2-core CPU it compiles for ~40 s and then runs slower than eager).

Limits: networks without batch statistics (the toy MLPs; a BatchNorm layer is rejected), no
randomness inside the objectives (every library regularizer qualifies) and constant learning rates
(a run with ``lr_decay_start`` trains on the single Trainer). :func:`unbatchable_reason` says which.
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call, vmap

from mcgan_lib.allocator import retain_freed_memory
from mcgan_lib.checkpoint import CHECKPOINT_NAME, CheckpointError, describe_differences, load_checkpoint
from mcgan_lib.config import resolve_device
from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.nets.mlp import MLPGenerator
from mcgan_lib.regularizers.base import NoRegularizer, Regularizer
from mcgan_lib.training import (
    Callback,
    History,
    TrainConfig,
    TrainingLoop,
    discriminator_objective,
    generator_objective,
)
from mcgan_lib.validation import check_int

# TrainConfig fields that may differ between members; every other field must be equal.
PER_MEMBER_SETTINGS = ("seed", "lr_g", "lr_d", "betas", "weight_decay", "grad_clip")
ADAM_EPS = 1e-8  # torch.optim.Adam's default, used by the single-run trainer
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_'s


@dataclass
class Member:
    """One member of an ensemble: exactly what a single :class:`~mcgan_lib.training.Trainer` run takes."""

    generator: nn.Module
    discriminator: nn.Module
    config: TrainConfig
    regularizer: Regularizer | None = None


def unbatchable_reason(member: Member) -> str | None:
    """Why ``member`` cannot train inside an ensemble (None when it can)."""
    if member.config.lr_decay_start is not None:
        return (
            f"lr_decay_start={member.config.lr_decay_start!r} decays the learning rate with PyTorch's LambdaLR, "
            "which the ensemble's stacked Adam does not run; train the members one by one (the Trainer)"
        )
    modules = [member.generator, member.discriminator] + ([member.regularizer] if member.regularizer else [])
    for module in (m for network in modules for m in network.modules()):
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            return (
                f"{type(module).__name__} keeps batch statistics, which an ensemble cannot split per member; "
                "use networks without batch norm (the toy MLPs) or train the members one by one"
            )
    return None


class _MemberModel(nn.Module):
    """G, D and the regularizer of one member as one module, so that ``functional_call`` can swap all
    of a member's weights at once. ``forward`` is the member's G or D objective."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, regularizer: Regularizer):
        super().__init__()
        self.generator, self.discriminator, self.regularizer = generator, discriminator, regularizer

    def forward(self, side: str, real, condition, z, hyper: dict, step: int, gan_loss: str):
        batch = Batch(real, condition)
        with member_hyperparameters(self.regularizer, hyper):
            objective = generator_objective if side == "generator" else discriminator_objective
            loss, terms = objective(self.generator, self.discriminator, self.regularizer, batch, z, gan_loss, step)
        if loss is None:  # D rests (no adversarial loss, no D term): a zero that trains nothing
            loss = real.new_zeros(())
        return loss, terms


@contextmanager
def member_hyperparameters(regularizer: Regularizer, values: dict):
    """Temporarily set the regularizer's per-member hyper-parameters (λ...) to ``values``."""
    saved = {name: getattr(regularizer, name) for name in values}
    try:
        for name, value in values.items():
            setattr(regularizer, name, value)
        yield regularizer
    finally:
        for name, value in saved.items():
            setattr(regularizer, name, value)


def regularizer_structure(regularizer: Regularizer) -> dict:
    """The regularizer's settings with its per-member hyper-parameters blanked (what must match)."""
    blank = {name: 0.0 for name in regularizer.member_hyperparameters}
    with member_hyperparameters(regularizer, blank):
        return {"class": type(regularizer).__name__, **regularizer.config()}


def _normal_draws_concatenate(first: int, second: int, device) -> bool:
    """Whether ``randn(first)`` then ``randn(second)`` from one generator equal ``randn(first + second)``.

    True on the CPU when ``first`` is a multiple of 16 (its normal kernel fills blocks of 16 by
    Box-Muller); checked here with a scratch generator rather than assumed, so a change in PyTorch
    (or another device's generator) falls back to two draws."""
    rng = torch.Generator(device=device)
    rng.manual_seed(0)
    joint = torch.randn(first + second, generator=rng, device=device)
    rng.manual_seed(0)
    parts = torch.cat(
        [torch.randn(first, generator=rng, device=device), torch.randn(second, generator=rng, device=device)]
    )
    return torch.equal(joint, parts)


def _per_member(values: Sequence[float], device) -> float | torch.Tensor:
    """A float when every member has the same value (the single run's exact arithmetic), else an (E,) tensor."""
    if all(v == values[0] for v in values):
        return float(values[0])
    return torch.tensor(values, dtype=torch.float32, device=device)


def _expand(value, like: torch.Tensor):
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
        self.lr = _per_member(lr, device)
        self.beta1 = _per_member([b[0] for b in betas], device)
        self.beta2 = _per_member([b[1] for b in betas], device)
        self.weight_decay = _per_member(weight_decay, device)
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
        beta1, beta2 = _expand(self.beta1, param), _expand(self.beta2, param)
        weight_decay, lr = _expand(self.weight_decay, param), _expand(self.lr, param)
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
            param.sub_(torch.where(_expand(frozen, update), 0.0, update))
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


class EnsembleTrainer(TrainingLoop):
    """Trains the :class:`Member` list on ``data`` as one batched model (see the module docstring).

    Same interface as :class:`~mcgan_lib.training.Trainer` where it makes sense: ``train(steps)``,
    ``step``, ``history`` (losses averaged over the live members), callbacks, atomic checkpoints with
    :meth:`save_checkpoint` / :meth:`resume`. Per member: :meth:`generator`, :meth:`sample`,
    :attr:`diverged_at` (None, or the step whose loss was not finite).
    """

    progress_label = "ensemble"

    def __init__(
        self,
        data: DataSource,
        members: Sequence[Member],
        callbacks: Iterable[Callback] = (),
        checkpoint_dir: str | Path | None = None,
        progress: bool = False,
        compile: bool | None = None,
    ):
        if not isinstance(data, DataSource):
            raise ValueError(f"data must be a mcgan_lib DataSource, got {type(data).__name__}")
        members = list(members)
        if not members:
            raise ValueError("members must hold at least one Member, got an empty list")
        for i, member in enumerate(members):
            if not isinstance(member, Member):
                raise ValueError(f"members[{i}] must be an ensemble.Member, got {type(member).__name__}")
        self.data = data
        self.size = len(members)
        self.configs = [m.config for m in members]
        self.config = self.configs[0]
        self._check_configs()
        self.device = resolve_device(self.config.device)
        if torch.device(self.device).type == "cpu":
            retain_freed_memory()
        regularizers = [m.regularizer if m.regularizer is not None else NoRegularizer() for m in members]
        self._check_regularizers(regularizers)
        models = [_MemberModel(m.generator, m.discriminator, r).to(self.device) for m, r in zip(members, regularizers)]
        self.template = models[0]
        self._check_template()
        self._build_stacks(models)
        self.hyper = {  # the regularizer's per-member settings (λ...), (E,) each
            name: torch.tensor([float(getattr(r, name)) for r in regularizers], device=self.device)
            for name in self.template.regularizer.member_hyperparameters
        }
        self.regularizer_configs = [r.config() for r in regularizers]
        self._start_loop(callbacks, checkpoint_dir, progress)
        self.rngs = [torch.Generator(device=self.device).manual_seed(c.seed) for c in self.configs]
        self._mixture_draw = self._mixture_sampler()
        self.active = torch.ones(self.size, dtype=torch.bool, device=self.device)
        self.diverged_at: list[int | None] = [None] * self.size
        amsgrad = self.config.optimizer == "amsgrad"
        betas = [c.betas for c in self.configs]
        decay = [c.weight_decay for c in self.configs]
        shapes = {name: tuple(p.shape[1:]) for name, p in self.params.items()}
        self.optimizer_g = StackedAdam(
            self.g_names,
            [c.lr_g for c in self.configs],
            betas,
            decay,
            amsgrad,
            self.device,
            self.flat.get("generator"),
            shapes,
        )
        self.optimizer_d = StackedAdam(
            self.d_names,
            [c.lr_d for c in self.configs],
            betas,
            decay,
            amsgrad,
            self.device,
            self.flat.get("discriminator"),
            shapes,
        )
        clips = [math.inf if c.grad_clip is None else c.grad_clip for c in self.configs]
        self.grad_clip = None if all(math.isinf(c) for c in clips) else torch.tensor(clips, device=self.device)
        self.grad_value_clip = self.config.grad_value_clip  # equal for every member (not per-member)
        self._objective = {
            side: vmap(self._member_objective(side), in_dims=(0, 0, 0, 0 if self._conditional else None, 0, 0))
            for side in ("generator", "discriminator")
        }
        if compile is None:
            compile = os.environ.get("MCGAN_ENSEMBLE_COMPILE", "0") == "1"
        self.compiled, self.compile_error = bool(compile), None
        if self.compiled:
            self._eager_objective = dict(self._objective)
            self._objective = {side: torch.compile(f) for side, f in self._objective.items()}

    # ------------------------------------------------------------------ construction checks
    def _check_configs(self) -> None:
        first = self.config.to_dict()
        for i, config in enumerate(self.configs):
            if not isinstance(config, TrainConfig):
                raise ValueError(f"members[{i}].config must be a TrainConfig, got {type(config).__name__}")
            for key, value in config.to_dict().items():
                if key not in PER_MEMBER_SETTINGS and value != first[key]:
                    raise ValueError(
                        f"members[{i}].config.{key}={value!r} differs from members[0]'s {first[key]!r}; only "
                        f"{', '.join(PER_MEMBER_SETTINGS)} may differ within one ensemble (split the others)"
                    )

    def _check_regularizers(self, regularizers: list[Regularizer]) -> None:
        for i, regularizer in enumerate(regularizers):
            if not isinstance(regularizer, Regularizer):
                raise ValueError(
                    f"members[{i}].regularizer must be a Regularizer or None, got {type(regularizer).__name__}"
                )
        first = regularizer_structure(regularizers[0])
        for i, regularizer in enumerate(regularizers[1:], start=1):
            problems = describe_differences(first, regularizer_structure(regularizer), "regularizer")
            if problems:
                allowed = ", ".join(regularizers[0].member_hyperparameters)
                raise ValueError(
                    f"members[{i}]'s regularizer differs from members[0]'s beyond its per-member settings "
                    f"({allowed}): " + "; ".join(problems)
                )

    def _check_template(self) -> None:
        template = self.template
        reason = unbatchable_reason(
            Member(template.generator, template.discriminator, self.config, template.regularizer)
        )
        if reason:
            raise ValueError(reason)
        generator = self.template.generator
        if not hasattr(generator, "sample_latent") or getattr(generator, "latent_dim", None) is None:
            raise ValueError("generator must define latent_dim and sample_latent(n, generator, device)")
        self._conditional = self.data.condition_dim > 0

    def _build_stacks(self, models: list[_MemberModel]) -> None:
        names = [name for name, _ in self.template.named_parameters()]
        spec = {name: tuple(p.shape) for name, p in self.template.named_parameters()}
        for i, model in enumerate(models):
            shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
            if shapes != spec:
                raise ValueError(
                    f"members[{i}]'s networks differ in shape from members[0]'s; an ensemble needs one architecture"
                )
        regularizer = self.template.regularizer
        g_side = {id(p) for p in self.template.generator.parameters()}
        for module in regularizer.generator_side_modules():
            g_side |= {id(p) for p in module.parameters()}
        d_side = {id(p) for p in self.template.discriminator.parameters()}
        for module in regularizer.discriminator_side_modules():
            d_side |= {id(p) for p in module.parameters()}
        named = dict(self.template.named_parameters())
        self.g_names = [n for n in names if id(named[n]) in g_side and named[n].requires_grad]
        self.d_names = [n for n in names if id(named[n]) in d_side and named[n].requires_grad]
        trained = set(self.g_names) | set(self.d_names)
        stacks = {name: torch.stack([dict(m.named_parameters())[name].detach() for m in models]) for name in names}
        self.params = {name: stacked.clone().requires_grad_(name in trained) for name, stacked in stacks.items()}
        # Each side's trained parameters as column blocks of one (E, P) tensor, so that Adam and the
        # gradient masks run once per side rather than once per parameter (the views are the leaves
        # that autograd differentiates; an update of the block moves them).
        self.flat = {}
        if not set(self.g_names) & set(self.d_names):
            for side, side_names in (("generator", self.g_names), ("discriminator", self.d_names)):
                if not side_names:
                    continue
                sizes = [stacks[n][0].numel() for n in side_names]
                flat = torch.cat([stacks[n].reshape(len(models), -1) for n in side_names], dim=1).to(self.device)
                for name, block in zip(side_names, flat.split(sizes, dim=1)):
                    self.params[name] = block.view(stacks[name].shape).requires_grad_(True)
                self.flat[side] = flat
        self.buffers = {
            name: torch.stack([dict(m.named_buffers())[name] for m in models]).clone()
            for name, _ in self.template.named_buffers()
        }

    def _member_objective(self, side: str) -> Callable:
        template = self.template

        def objective(params, buffers, real, condition, z, hyper):
            return functional_call(
                template, (params, buffers), (side, real, condition, z, hyper, self.step + 1, self.config.gan_loss)
            )

        return objective

    # ------------------------------------------------------------------ one iteration
    def _draw(self, copies: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Each member's batch and ``copies`` latents per row, drawn from its own generator in the
        single run's order; stacked to (E, B, ...)."""
        if self._mixture_draw is not None:
            return self._mixture_draw(copies)
        reals, conditions, latents = [], [], []
        generator = self.template.generator
        for rng in self.rngs:
            batch = self.data.sample_batch(self.config.batch_size, rng).to(self.device)
            reals.append(batch.real)
            conditions.append(batch.condition)
            latents.append(generator.sample_latent(copies * len(batch), rng, device=self.device))
        condition = torch.stack(conditions) if self._conditional else None
        return torch.stack(reals), condition, torch.stack(latents)

    def _evaluate(self, side: str, real, condition, z):
        """Every member's ``side`` objective; with ``compile``, a compiler error falls back to eager for good."""
        arguments = (self.params, self.buffers, real, condition, z, self.hyper)
        if not self.compiled:
            return self._objective[side](*arguments)
        try:
            return self._objective[side](*arguments)
        except Exception as error:  # noqa: BLE001 - any compiler failure: train on, uncompiled
            warnings.warn(f"torch.compile of the ensemble objective failed, training uncompiled: {error}", stacklevel=3)
            self.compiled, self.compile_error = False, f"{type(error).__name__}: {error}"
            self._objective = self._eager_objective
            return self._objective[side](*arguments)

    def _mixture_sampler(self) -> Callable | None:
        """The draw of :meth:`_draw` for a Gaussian mixture and standard normal latents in fewer ops:
        per member one ``multinomial`` (modes) and one ``randn`` (data noise and latents together,
        when that equals two draws: see :func:`_normal_draws_concatenate`), written into (E, ...)
        tensors, then one batched ``centers[modes] + std · noise``: the same numbers as
        ``GaussianMixture.sample_batch`` then ``MLPGenerator.sample_latent``, member by member."""
        data, generator = self.data, self.template.generator
        if not (isinstance(data, GaussianMixture) and isinstance(generator, MLPGenerator)):
            return None
        for method in ("sample_batch", "sample", "sample_with_modes"):
            if getattr(type(data), method) is not getattr(GaussianMixture, method):
                return None
        if type(generator).sample_latent is not MLPGenerator.sample_latent:
            return None
        weights, centers = data.weights.to(self.device), data.centers.to(self.device)
        n, dim, latent = self.config.batch_size, data.centers.shape[1], generator.latent_dim
        joint = {}

        def draw(copies: int):
            sizes = (n * dim, copies * n * latent)
            if copies not in joint:
                joint[copies] = _normal_draws_concatenate(*sizes, self.device)
            modes = torch.empty(self.size, n, dtype=torch.long, device=self.device)
            normals = torch.empty(self.size, sum(sizes), device=self.device)
            for i, rng in enumerate(self.rngs):
                torch.multinomial(weights, n, replacement=True, generator=rng, out=modes[i])
                if joint[copies]:
                    torch.randn(sum(sizes), generator=rng, out=normals[i])
                else:
                    torch.randn(sizes[0], generator=rng, out=normals[i, : sizes[0]])
                    torch.randn(sizes[1], generator=rng, out=normals[i, sizes[0] :])
            noise, z = normals.split(sizes, dim=1)
            real = centers[modes] + data.std * noise.view(self.size, n, dim)
            return real, None, z.view(self.size, copies * n, latent)

        return draw

    def _side_step(self, side: str, names: list[str], optimizer: StackedAdam) -> dict[str, torch.Tensor]:
        copies = self.template.regularizer.latent_copies if side == "generator" else 1
        real, condition, z = self._draw(copies)
        loss, terms = self._evaluate(side, real, condition, z)
        finite = torch.isfinite(loss)
        if not bool(finite[self.active].all()):
            for i in torch.nonzero(self.active & ~finite).flatten().tolist():
                self.diverged_at[i] = self.step + 1
            self.active &= finite
        if not bool(self.active.any()):
            return {}
        everyone = bool(self.active.all())
        frozen = None if everyone else ~self.active
        total = (loss if everyone else torch.where(self.active, loss, torch.zeros_like(loss))).sum()
        if total.requires_grad:
            trainable = [self.params[n] for n in names]
            grads = torch.autograd.grad(total, trainable, allow_unused=True)
            sampled = (self.step + 1) % self.config.log_every == 0
            before = self._members_flat(names) if sampled else None
            if all(g is not None for g in grads) and optimizer.can_step_flat():
                flat = torch.cat([g.reshape(self.size, -1) for g in grads], dim=1)
                if not everyone:
                    flat = torch.where(_expand(self.active, flat), flat, 0.0)
                self._clip(dict(zip(names, flat.split([g[0].numel() for g in grads], dim=1))), flat)
                optimizer.flat_step(flat, frozen)
                grad_flat = flat
            else:
                grads = dict(zip(names, grads))
                if not everyone:
                    grads = {
                        n: None if g is None else torch.where(_expand(self.active, g), g, 0.0) for n, g in grads.items()
                    }
                self._clip(grads)
                optimizer.step(self.params, grads, frozen)
                grad_flat = torch.cat([g.reshape(self.size, -1) for g in grads.values() if g is not None], dim=1)
            if sampled:
                self._check_members(names, optimizer, before, grad_flat)
        prefix = "g" if side == "generator" else "d"
        return {**terms, f"{prefix}_loss": loss.detach()}

    def _members_flat(self, names: list[str]) -> torch.Tensor:
        """(E, P) copy of the members' parameters ``names``."""
        return torch.cat([self.params[n].detach().reshape(self.size, -1) for n in names], dim=1).clone()

    def _check_members(
        self, names: list[str], optimizer: StackedAdam, before: torch.Tensor, grad: torch.Tensor
    ) -> None:
        """After a sampled step (every ``log_every``), freeze as diverged each live member whose optimiser
        state overflowed, or whose non-zero gradient changed none of its weights: the single Trainer's
        checks, per member (the step is recorded in :attr:`diverged_at`)."""
        finite = optimizer.finite_members()
        stuck = (self._members_flat(names) == before).all(dim=1) & (grad != 0).any(dim=1)
        bad = self.active & (stuck if finite is None else (stuck | ~finite))
        for i in torch.nonzero(bad).flatten().tolist():
            self.diverged_at[i] = self.step + 1
        self.active &= ~bad

    def _clip(self, grads: dict[str, torch.Tensor | None], flat: torch.Tensor | None = None) -> None:
        """Value clipping (clip_grad_value_'s clamp), then per-member gradient-norm clipping
        (clip_grad_norm_'s formula on each member's slice), as the single Trainer orders them; ``flat``,
        when given, is the (E, P) block whose column blocks are ``grads``: clipped at once."""
        present = [g for g in grads.values() if g is not None]
        if self.grad_value_clip is not None:
            for g in [flat] if flat is not None else present:
                g.clamp_(min=-self.grad_value_clip, max=self.grad_value_clip)
        if self.grad_clip is None or not present:
            return
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in present], dim=1).norm(dim=1)
        coefficient = (self.grad_clip / (norms + CLIP_EPS)).clamp(max=1.0)
        for g in [flat] if flat is not None else present:
            g.mul_(_expand(coefficient, g))

    def train_step(self) -> dict[str, float] | None:
        """One iteration for every live member: ``d_steps`` D steps, then ``g_steps_per_d_step`` G steps."""
        for _ in range(self.config.d_steps):
            d_terms = self._side_step("discriminator", self.d_names, self.optimizer_d)
        for _ in range(self.config.g_steps_per_d_step):
            g_terms = self._side_step("generator", self.g_names, self.optimizer_g)
        self.step += 1
        self.last_terms = {**d_terms, **g_terms}  # per member, (E,) each
        means = {}
        if self.step % self.config.log_every == 0 and bool(self.active.any()):
            means = {k: v.detach()[self.active].mean().item() for k, v in self.last_terms.items()}
        return self._end_step(means)

    # ------------------------------------------------------------------ members
    def _check_member(self, index: int) -> int:
        return check_int("index", index, minimum=0, maximum=self.size - 1)

    def member_state(self, index: int) -> dict[str, torch.Tensor]:
        """Member ``index``'s weights, as the ``state_dict`` of its G, D and regularizer together."""
        index = self._check_member(index)
        state = {name: value[index].detach().clone() for name, value in self.params.items()}
        state.update({name: value[index].clone() for name, value in self.buffers.items()})
        return state

    def member_model(self, index: int) -> _MemberModel:
        """A standalone copy of member ``index`` (``.generator``, ``.discriminator``, ``.regularizer``)."""
        model = copy.deepcopy(self.template)
        model.load_state_dict(self.member_state(index))
        for name, values in self.hyper.items():
            setattr(model.regularizer, name, float(values[index]))
        return model

    def generator(self, index: int) -> nn.Module:
        """Member ``index``'s generator as an ordinary module (for the library's metrics and figures)."""
        return self.member_model(index).generator

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, condition: torch.Tensor | None = None) -> torch.Tensor:
        """(E, n, ...) samples of every member for the same ``n`` latents (seeded by ``seed``), in one pass."""
        n = check_int("n", n, minimum=1)
        rng = torch.Generator(device="cpu").manual_seed(seed)
        z = self.template.generator.sample_latent(n, rng, device="cpu").to(self.device)
        if condition is not None:
            condition = condition.to(self.device)
        g_params = {k[len("generator.") :]: v for k, v in self.params.items() if k.startswith("generator.")}
        g_buffers = {k[len("generator.") :]: v for k, v in self.buffers.items() if k.startswith("generator.")}
        generator = self.template.generator
        was_training = generator.training
        generator.eval()
        try:
            return vmap(lambda p, b: functional_call(generator, (p, b), (z, condition)))(g_params, g_buffers)
        finally:
            generator.train(was_training)

    # ------------------------------------------------------------------ checkpoints
    def _descriptions(self) -> dict:
        spec = lambda net: net.spec() if hasattr(net, "spec") else {}  # noqa: E731
        return {
            "generator_spec": spec(self.template.generator),
            "discriminator_spec": spec(self.template.discriminator),
            "regularizer_configs": self.regularizer_configs,
            "data_spec": self.data.spec(),
            "configs": [c.to_dict() for c in self.configs],
        }

    def state_dict(self) -> dict:
        return {
            "step": self.step,
            **self._descriptions(),
            "params": {k: v.detach() for k, v in self.params.items()},
            "buffers": dict(self.buffers),
            "optimizer_g": self.optimizer_g.state_dict(),
            "optimizer_d": self.optimizer_d.state_dict(),
            "rng_states": [rng.get_state() for rng in self.rngs],
            "active": self.active.clone(),
            "diverged_at": [-1 if s is None else s for s in self.diverged_at],
            "history": self.history.state_dict(),
        }

    def resume(self, path: str | Path | None = None) -> EnsembleTrainer:
        """Continue exactly from a checkpoint of this same ensemble (members, settings and data are checked)."""
        path = Path(path) if path is not None else self.checkpoint_dir
        if path is None:
            raise ValueError("path is required when the ensemble has no checkpoint_dir")
        state = load_checkpoint(path)
        problems = []
        current = self._descriptions()
        for key in ("generator_spec", "discriminator_spec", "data_spec"):
            problems += describe_differences(state.get(key, {}), current[key], key)
        saved_configs, saved_regs = state.get("configs", []), state.get("regularizer_configs", [])
        if len(saved_configs) != self.size:
            problems.append(f"the checkpoint has {len(saved_configs)} members, this ensemble {self.size}")
        else:
            for i in range(self.size):
                problems += describe_differences(
                    TrainConfig.completed(saved_configs[i]),
                    current["configs"][i],
                    f"members[{i}].config",
                    ignore=TrainConfig.RESUMABLE_CHANGES,
                )
                problems += describe_differences(
                    saved_regs[i], current["regularizer_configs"][i], f"members[{i}].regularizer"
                )
        if problems:
            raise CheckpointError(f"checkpoint {path} was written for another ensemble:\n  " + "\n  ".join(problems))
        with torch.no_grad():
            for name, value in state["params"].items():
                self.params[name].copy_(value)
            for name, value in state["buffers"].items():
                self.buffers[name].copy_(value)
        self.optimizer_g.load_state_dict(state["optimizer_g"])
        self.optimizer_d.load_state_dict(state["optimizer_d"])
        for rng, rng_state in zip(self.rngs, state["rng_states"]):
            rng.set_state(rng_state.cpu())
        self.active = state["active"].to(self.device)
        self.diverged_at = [None if s < 0 else int(s) for s in state["diverged_at"]]
        self.step = int(state["step"])
        self.history = History(state.get("history", {}))
        self.last_checkpoint = path / CHECKPOINT_NAME if path.is_dir() else path
        return self
