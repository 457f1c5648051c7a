"""The trainer of an ensemble: E members trained as one batched model (:class:`EnsembleTrainer`; how it
works is in :mod:`mcgan_lib.ensemble`)."""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call, vmap

from mcgan_lib.allocator import retain_freed_memory
from mcgan_lib.checkpoint import describe_differences, load_checkpoint
from mcgan_lib.config import resolve_device
from mcgan_lib.data.base import DataSource
from mcgan_lib.ensemble.checkpointing import ensemble_state, restore_ensemble_state
from mcgan_lib.ensemble.draws import member_draws
from mcgan_lib.ensemble.members import (
    PER_MEMBER_SETTINGS,
    Member,
    MemberModel,
    regularizer_structure,
    unbatchable_reason,
)
from mcgan_lib.ensemble.stacked_adam import StackedAdam, broadcast_per_member
from mcgan_lib.regularizers.base import NoRegularizer, Regularizer
from mcgan_lib.training import Callback, TrainConfig, TrainingLoop
from mcgan_lib.training.checkpointing import checkpoint_file
from mcgan_lib.validation import check_int

CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_'s


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
        models = [MemberModel(m.generator, m.discriminator, r).to(self.device) for m, r in zip(members, regularizers)]
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
        self._draw = member_draws(self.data, self.template.generator, self.rngs, self.config.batch_size, self.device)
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

    def _build_stacks(self, models: list[MemberModel]) -> None:
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
                    flat = torch.where(broadcast_per_member(self.active, flat), flat, 0.0)
                self._clip(dict(zip(names, flat.split([g[0].numel() for g in grads], dim=1))), flat)
                optimizer.flat_step(flat, frozen)
                grad_flat = flat
            else:
                grads = dict(zip(names, grads))
                if not everyone:
                    grads = {
                        n: None if g is None else torch.where(broadcast_per_member(self.active, g), g, 0.0)
                        for n, g in grads.items()
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
            g.mul_(broadcast_per_member(coefficient, g))

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

    def member_model(self, index: int) -> MemberModel:
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
    def state_dict(self) -> dict:
        """The full state, as :mod:`~mcgan_lib.ensemble.checkpointing` writes it."""
        return ensemble_state(self)

    def resume(self, path: str | Path | None = None) -> EnsembleTrainer:
        """Continue exactly from a checkpoint of this same ensemble (members, settings and data are checked)."""
        path = Path(path) if path is not None else self.checkpoint_dir
        if path is None:
            raise ValueError("path is required when the ensemble has no checkpoint_dir")
        restore_ensemble_state(self, load_checkpoint(path), source=f"checkpoint {path}")
        self.last_checkpoint = checkpoint_file(path)
        return self
