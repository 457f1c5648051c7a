"""The one training loop of the library, used by every chapter, regularizer and task.

:class:`TrainingLoop` is what both trainers share: ``train`` (the loop over ``train_step`` with callbacks,
a progress bar, the folder lock and Ctrl-C between two steps), the bookkeeping at the end of a step and
atomic checkpoints. :class:`Trainer` is the loop of one GAN: seeded and deterministic on the CPU (all
randomness, data and latents, comes from one ``torch.Generator`` that it owns; the networks seed their own
initialisation), ``d_steps`` discriminator steps per generator step or ``g_steps_per_d_step`` generator
steps per discriminator step, each one :mod:`~mcgan_lib.training.step` checked by
:mod:`~mcgan_lib.training.safety`. A regularizer plugs in through
:class:`mcgan_lib.regularizers.Regularizer`; the plain GAN has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from mcgan_lib.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from mcgan_lib.config import resolve_device
from mcgan_lib.data.base import DataSource
from mcgan_lib.regularizers.base import NoRegularizer, Regularizer
from mcgan_lib.training.callbacks import Callback, History
from mcgan_lib.training.checkpointing import checkpoint_file, restore_trainer_state, trainer_state
from mcgan_lib.training.config import TrainConfig, make_optimizer, make_schedulers
from mcgan_lib.training.safety import (
    DEFAULT_ADVICE,
    TrainingDivergedError,
    TrainingInterrupted,
    deferred_interrupt,
    divergence_error,
    folder_lock,
    state_problem,
    update_problem,
)
from mcgan_lib.training.step import descend, discriminator_objective, generator_objective
from mcgan_lib.validation import check_int


class TrainingLoop:
    """What :class:`Trainer` and :class:`mcgan_lib.ensemble.EnsembleTrainer` share: ``train`` (the loop
    over ``train_step`` with callbacks and a progress bar), the bookkeeping at the end of a step
    (history, callbacks, periodic checkpoint) and atomic checkpoints. A subclass sets ``config``,
    ``step``, ``history``, ``callbacks``, ``progress``, ``checkpoint_dir`` and ``last_checkpoint`` and
    defines ``train_step`` and ``state_dict``."""

    progress_label = "training"

    def _start_loop(self, callbacks, checkpoint_dir, progress: bool) -> None:
        """Step 0, an empty history, the callbacks and where checkpoints go."""
        self.callbacks = list(callbacks)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.progress = progress
        self.step = 0
        self.history = History()
        self.last_checkpoint: Path | None = None

    def _end_step(self, terms: dict[str, float]) -> dict[str, float] | None:
        """Record ``terms`` every ``log_every`` steps, call the callbacks, checkpoint every
        ``checkpoint_every`` steps; returns the logged values (None when not a logging step)."""
        logs = None
        if self.step % self.config.log_every == 0 and terms:
            logs = terms
            self.history.record("loss", self.step, **logs)
        for callback in self.callbacks:
            callback.on_step_end(self, logs or {})
        if (
            self.checkpoint_dir is not None
            and self.config.checkpoint_every
            and self.step % self.config.checkpoint_every == 0
        ):
            self.save_checkpoint()
        return logs

    def _check_state(self) -> None:
        """Raise :class:`TrainingDivergedError` when the state is not worth saving (called before each
        checkpoint); a subclass checks its weights and optimiser states."""

    def _stop_check(self, interrupted: Callable[[], bool]) -> Callable[[], bool]:
        """The function the loop asks, between two steps, whether to stop: Ctrl-C was pressed. A trainer
        of several processes returns one that makes them agree, so that all stop after the same step."""
        return interrupted

    def train(self, steps: int | None = None) -> History:
        """Train until ``config.steps`` iterations are done (or ``steps`` more, when given).

        Holds the lock of ``checkpoint_dir`` throughout; Ctrl-C stops after the current step, saves a
        checkpoint and raises :class:`TrainingInterrupted`."""
        target = self.config.steps if steps is None else self.step + check_int("steps", steps, minimum=0)
        if target > self.config.steps and self.config.lr_decay_start is not None:
            raise ValueError(
                f"steps={steps} would train to iteration {target}, past config.steps={self.config.steps} where "
                "the learning rate has decayed to 0 (lr_decay_start is set); train at most "
                f"{self.config.steps - self.step} more"
            )
        with folder_lock(self.checkpoint_dir), deferred_interrupt() as interrupted:
            interrupted = self._stop_check(interrupted)
            for callback in self.callbacks:
                callback.on_train_begin(self)
            bar = tqdm(
                total=target, initial=self.step, disable=not self.progress, desc=self.progress_label, leave=False
            )
            try:
                while self.step < target and not interrupted():
                    logs = self.train_step()
                    bar.update(1)
                    if logs and self.progress and "d_loss" in logs and "g_loss" in logs:
                        bar.set_postfix(d=f"{logs['d_loss']:.3f}", g=f"{logs['g_loss']:.3f}", refresh=False)
            finally:
                bar.close()
            if interrupted():
                if self.checkpoint_dir is not None:
                    self.save_checkpoint()
                raise TrainingInterrupted(self.step, self.last_checkpoint if self.checkpoint_dir is not None else None)
            for callback in self.callbacks:
                callback.on_train_end(self)
            if self.checkpoint_dir is not None:
                self.save_checkpoint()
        return self.history

    def save_checkpoint(self, path: str | Path | None = None) -> Path:
        """Write the full state atomically to ``path`` (default ``checkpoint_dir/checkpoint.pt``, under the
        folder's lock), after checking it is finite."""
        self._check_state()
        if path is None:
            if self.checkpoint_dir is None:
                raise ValueError(f"path is required when the {type(self).__name__} has no checkpoint_dir")
            with folder_lock(self.checkpoint_dir):
                self.last_checkpoint = save_checkpoint(self.state_dict(), self.checkpoint_dir / CHECKPOINT_NAME)
            return self.last_checkpoint
        self.last_checkpoint = save_checkpoint(self.state_dict(), path)
        return self.last_checkpoint


class Trainer(TrainingLoop):
    """Trains ``generator`` against ``discriminator`` on ``data`` with an optional ``regularizer``.

    The generator must have ``latent_dim`` and ``sample_latent(n, generator, device)`` and a forward
    ``G(z, condition=None, return_features=False)``; the discriminator ``D(x, condition=None)`` returns
    logits. ``checkpoint_dir`` (optional) receives ``checkpoint.pt``.
    """

    def __init__(
        self,
        data: DataSource,
        generator: nn.Module,
        discriminator: nn.Module,
        config: TrainConfig | None = None,
        regularizer: Regularizer | None = None,
        callbacks: Iterable[Callback] = (),
        checkpoint_dir: str | Path | None = None,
        progress: bool = False,
    ):
        self.config = config if config is not None else TrainConfig()
        if not isinstance(data, DataSource):
            raise ValueError(f"data must be a mcgan_lib DataSource, got {type(data).__name__}")
        self.device = resolve_device(self.config.device)
        self.data = data
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.regularizer = (regularizer if regularizer is not None else NoRegularizer()).to(self.device)
        if not isinstance(self.regularizer, Regularizer):
            raise ValueError(f"regularizer must be a mcgan_lib Regularizer, got {type(regularizer).__name__}")
        self._check_compatible()
        self._start_loop(callbacks, checkpoint_dir, progress)
        self.rng = torch.Generator(device=self.device).manual_seed(self.config.seed)
        g_params = list(self.generator.parameters())
        for module in self.regularizer.generator_side_modules():
            g_params += list(module.parameters())
        d_params = list(self.discriminator.parameters())
        for module in self.regularizer.discriminator_side_modules():
            d_params += list(module.parameters())
        self._g_params, self._d_params = g_params, d_params
        self.optimizer_g = make_optimizer(g_params, self.config.lr_g, self.config)
        self.optimizer_d = make_optimizer(d_params, self.config.lr_d, self.config)
        self.lr_schedulers = make_schedulers((self.optimizer_g, self.optimizer_d), self.config)

    # ------------------------------------------------------------------ checks
    def _check_compatible(self) -> None:
        latent_dim = getattr(self.generator, "latent_dim", None)
        if latent_dim is None or not hasattr(self.generator, "sample_latent"):
            raise ValueError("generator must define latent_dim and sample_latent(n, generator, device)")
        data_condition = self.data.condition_dim
        for name, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            net_condition = getattr(net, "condition_dim", 0)
            if net_condition != data_condition:
                raise ValueError(
                    f"{name} has condition_dim={net_condition} but the data has condition_dim={data_condition}"
                )
        out_dim = getattr(self.generator, "output_dim", None)
        if out_dim is not None and len(self.data.data_shape) == 1 and out_dim != self.data.data_shape[0]:
            raise ValueError(
                f"generator output_dim={out_dim} does not match the data's dimension {self.data.data_shape[0]}"
            )

    def _diverged(
        self, reason: str, step: int, updated: bool = True, advice: str = DEFAULT_ADVICE
    ) -> TrainingDivergedError:
        return divergence_error(reason, step, self.last_checkpoint, self.checkpoint_dir, updated, advice)

    def _check_finite(self, name: str, value: torch.Tensor, step: int) -> None:
        if not torch.isfinite(value):
            raise self._diverged(f"the {name} became {value.item()}", step, updated=False)

    def _check_update(self, network: str, optimizer, params: list, before: list) -> None:
        problem = update_problem(network, optimizer, params, before)
        if problem is not None:
            reason, advice = problem
            raise self._diverged(reason, self.step + 1, advice=advice)

    def _check_state(self) -> None:
        for network, params, optimizer in (
            ("generator", self._g_params, self.optimizer_g),
            ("discriminator", self._d_params, self.optimizer_d),
        ):
            problem = state_problem(network, params, optimizer)
            if problem is not None:
                raise self._diverged(problem, self.step)

    # ------------------------------------------------------------------ steps
    def _update(self, name: str, loss: torch.Tensor, optimizer: torch.optim.Optimizer, params: list) -> None:
        """Check ``loss`` is finite (else stop, naming the step), then :func:`descend` it; every
        ``log_every`` steps, check the step changed the weights and left a finite optimiser state."""
        self._check_finite(name, loss, self.step + 1)
        checked = (self.step + 1) % self.config.log_every == 0
        before = [p.detach().clone() for p in params] if checked else None
        descend(loss, optimizer, params, self.config.grad_value_clip, self.config.grad_clip)
        if checked:
            self._check_update(name.split()[0], optimizer, params, before)

    def _sample_latent(self, n: int) -> torch.Tensor:
        return self.generator.sample_latent(n, self.rng, device=self.device)

    def _discriminator_step(self) -> dict[str, torch.Tensor]:
        batch = self.data.sample_batch(self.config.batch_size, self.rng).to(self.device)
        z = self._sample_latent(len(batch))
        loss, terms = discriminator_objective(
            self.generator,
            self.discriminator,
            self.regularizer,
            batch,
            z,
            self.config.gan_loss,
            self.step + 1,
            rng=self.rng,
            sample_latent=self._sample_latent,
        )
        if loss is None:  # no adversarial loss and no regularizer term: D rests
            return terms
        self._update("discriminator loss", loss, self.optimizer_d, self._d_params)
        terms["d_loss"] = loss.detach()
        return terms

    def _generator_step(self) -> dict[str, torch.Tensor]:
        batch = self.data.sample_batch(self.config.batch_size, self.rng).to(self.device)
        z = self._sample_latent(self.regularizer.latent_copies * len(batch))
        loss, terms = generator_objective(
            self.generator,
            self.discriminator,
            self.regularizer,
            batch,
            z,
            self.config.gan_loss,
            self.step + 1,
            rng=self.rng,
        )
        self._update("generator loss", loss, self.optimizer_g, self._g_params)
        terms["g_loss"] = loss.detach()
        return terms

    def train_step(self) -> dict[str, float] | None:
        """One iteration: ``d_steps`` discriminator steps, then ``g_steps_per_d_step`` generator steps
        (the last one's terms are logged), then the learning-rate schedule's step."""
        if not (self.generator.training and self.discriminator.training):  # set once, not every step
            self.generator.train()
            self.discriminator.train()
        for _ in range(self.config.d_steps):
            d_terms = self._discriminator_step()
        for _ in range(self.config.g_steps_per_d_step):
            g_terms = self._generator_step()
        for scheduler in self.lr_schedulers:
            scheduler.step()
        self.step += 1
        logging = self.step % self.config.log_every == 0
        return self._end_step({k: v.item() for k, v in {**d_terms, **g_terms}.items()} if logging else {})

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int | None = None, z: torch.Tensor | None = None, condition=None, seed: int | None = None):
        """Samples from G in eval mode: given ``z``, or ``n`` latents from a generator seeded by ``seed``
        (a fresh seed-0 generator when None, so repeated calls agree; the training RNG is never used)."""
        self.generator.eval()
        if z is None:
            n = check_int("n", n, minimum=1)
            rng = torch.Generator(device="cpu").manual_seed(0 if seed is None else seed)
            z = self.generator.sample_latent(n, rng, device="cpu")
        out = self.generator(z.to(self.device), None if condition is None else condition.to(self.device))
        self.generator.train()
        return out

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The full state, as :mod:`~mcgan_lib.training.checkpointing` writes it."""
        return trainer_state(self)

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        """Restore a state written by :meth:`state_dict`, after checking it belongs to this model."""
        restore_trainer_state(self, state, source)

    def resume(self, path: str | Path | None = None) -> Trainer:
        """Load ``path`` (a file or a folder; default ``checkpoint_dir``) to continue exactly from it."""
        path = Path(path) if path is not None else self.checkpoint_dir
        if path is None:
            raise ValueError("path is required when the trainer has no checkpoint_dir")
        state = load_checkpoint(path)
        self.load_state_dict(state, source=f"checkpoint {path}")
        self.last_checkpoint = checkpoint_file(path)
        return self
