"""The one training loop of the library, used by every chapter, regularizer and task.

- Seeded and deterministic on the CPU: all randomness (data, latents) comes from one
  ``torch.Generator`` owned by the trainer, and network initialisation is seeded by the nets.
- ``d_steps`` discriminator steps per generator step, or ``g_steps_per_d_step`` generator steps per
  discriminator step; Adam or AMSGrad (PyTorch's own) with optional weight decay; optional gradient
  clipping by norm and by value; optional linear decay of the learning rate to 0 (pix2pix's schedule).
- A regularizer plugs in through :class:`mcgan_lib.regularizers.Regularizer`; the plain GAN has none.
- Callbacks (live plots, metrics every N steps, snapshots) and a history of losses and metrics.
- Atomic checkpoints that :meth:`Trainer.resume` continues from exactly (same RNG state, same next step).
- A non-finite loss stops training with :class:`TrainingDivergedError` naming the step; no update and no
  checkpoint is written after it, so the last good checkpoint stays. So does training that has silently
  stopped learning: every ``log_every`` steps :class:`Trainer` checks that each optimiser's state is
  finite and that an update with a non-zero gradient changed at least one weight (a huge λ or learning
  rate overflows Adam's second moment to inf, after which every update is 0), and before each
  checkpoint that the weights and optimiser states are finite.
- While :meth:`TrainingLoop.train` runs with a ``checkpoint_dir``, it holds that folder's exclusive lock
  (:class:`mcgan_lib.locks.FolderLock`): a second process training into it fails at once.
- Ctrl-C (SIGINT) stops training after the current step; the loop saves a checkpoint (when it has a
  ``checkpoint_dir``) and raises :class:`TrainingInterrupted`. A second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from mcgan_lib.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    describe_differences,
    load_checkpoint,
    save_checkpoint,
)
from mcgan_lib.config import resolve_device
from mcgan_lib.data.base import DataSource
from mcgan_lib.locks import FolderLock
from mcgan_lib.losses import GAN_LOSSES, discriminator_loss, generator_loss
from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep, NoRegularizer, Regularizer
from mcgan_lib.validation import check_choice, check_float, check_int

OPTIMIZERS = ("adam", "amsgrad")


def linear_decay_factor(index: int, decay_start: int, total: int) -> float:
    """The factor of the base learning rate for update ``index`` (0-based) of ``total``: 1 before
    ``decay_start``, then linearly down towards 0, which it reaches after the last update (pix2pix's
    ``lambda_rule`` in ``networks.get_scheduler``, ``1 - max(0, epoch + epoch_count - n_epochs) /
    (n_epochs_decay + 1)`` with ``epoch_count = 1``, counted in iterations instead of epochs); 0 past ``total``."""
    return max(0.0, 1.0 - max(0, index + 1 - decay_start) / float(total - decay_start + 1))


class TrainingDivergedError(RuntimeError):
    """Training diverged: a loss, a weight or an optimiser state became NaN or infinite, or updates stopped
    changing the weights although the gradients are not zero. The message names the step and the last good
    checkpoint; ``reason``, ``step`` and ``last_checkpoint`` hold them for callers that reword the advice."""

    def __init__(self, message: str, reason: str = "", step: int = 0, last_checkpoint: Path | None = None):
        super().__init__(message)
        self.reason, self.step, self.last_checkpoint = reason, step, last_checkpoint


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training between two steps; ``step`` is the last completed step and ``checkpoint``
    the file saved for it (None when the loop had no ``checkpoint_dir``)."""

    def __init__(self, step: int, checkpoint: Path | None):
        saved = f"saved {checkpoint}" if checkpoint is not None else "nothing saved (no checkpoint_dir)"
        super().__init__(f"training interrupted after step {step}; {saved}")
        self.step, self.checkpoint = step, checkpoint


@contextlib.contextmanager
def _deferred_interrupt():
    """Within the block, the first SIGINT only sets a flag (read by calling the yielded function), so the
    loop can stop between two steps; a second one raises KeyboardInterrupt at once. Outside the main
    thread, or when a program installed its own SIGINT handler, nothing changes."""
    received = []
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return

    def handler(signum, frame):
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass
class TrainConfig:
    """Settings of one training run (all primitive values, stored in checkpoints).

    ``steps`` counts iterations: ``d_steps`` discriminator steps, then ``g_steps_per_d_step`` generator
    steps (at least one of the two is 1; with both 1, the default, an iteration is one step of each).
    MR-GAN (Lee et al. 2019, App. B.3-B.4): "We update generator five times per every discriminator
    update" (SRGAN), "three times" (GLCIC); the released configs' ``g_updates_per_step: 5``, where a
    step also counts iterations.

    ``optimizer``: PyTorch's Adam, or its AMSGrad variant, with L2 ``weight_decay`` added to the gradient
    (``torch.optim.Adam(..., amsgrad=..., weight_decay=...)``; MR-GAN App. B.1: AMSGrad, weight decay
    1e-4). ``grad_clip`` is a max gradient norm per network and ``grad_value_clip`` a bound on every
    gradient element (``clip_grad_value_``; MR-GAN App. B.1: "gradient clipping by a value 0.5"); None:
    no clipping; with both, values are clipped first.

    ``lr_decay_start``: None keeps the learning rates constant; otherwise they stay constant until that
    iteration (an int in [0, steps]) or that fraction of ``steps`` (a float in [0, 1]) and then fall
    linearly to 0 at ``steps`` (pix2pix, Isola et al. 2017: constant for 100 epochs, then linear to 0
    over 100, i.e. 0.5), see :func:`linear_decay_factor`; a run with a decay resumes only with its own
    ``steps``.

    ``log_every`` sets how often losses enter the history; ``checkpoint_every`` how often a checkpoint is
    written (0: only at the end), when the trainer has a ``checkpoint_dir``.
    """

    steps: int = 5000
    batch_size: int = 256
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"
    weight_decay: float = 0.0
    grad_clip: float | None = None
    d_steps: int = 1
    gan_loss: str = "non_saturating"
    seed: int = 0
    device: str = "cpu"
    log_every: int = 10
    checkpoint_every: int = 0
    g_steps_per_d_step: int = 1
    grad_value_clip: float | None = None
    lr_decay_start: int | float | None = None

    # Settings that may change between a checkpoint and its resumption without changing the run
    # (``steps`` only without a learning-rate decay, whose slope depends on it).
    RESUMABLE_CHANGES = ("steps", "device", "log_every", "checkpoint_every")
    # Settings added after checkpoints were first written: a checkpoint without one ran with its default.
    LATER_SETTINGS = {"g_steps_per_d_step": 1, "grad_value_clip": None, "lr_decay_start": None}

    def __post_init__(self):
        check_int("steps", self.steps, minimum=0)
        check_int("batch_size", self.batch_size, minimum=1)
        check_float("lr_g", self.lr_g, minimum=0.0, strict_minimum=True)
        check_float("lr_d", self.lr_d, minimum=0.0, strict_minimum=True)
        if len(self.betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")
        for i, beta in enumerate(self.betas):
            check_float(f"betas[{i}]", beta, minimum=0.0, maximum=0.999999)
        self.betas = tuple(float(b) for b in self.betas)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_float("weight_decay", self.weight_decay, minimum=0.0)
        if self.grad_clip is not None:
            check_float("grad_clip", self.grad_clip, minimum=0.0, strict_minimum=True)
        check_int("d_steps", self.d_steps, minimum=1)
        check_int("g_steps_per_d_step", self.g_steps_per_d_step, minimum=1)
        if self.d_steps > 1 and self.g_steps_per_d_step > 1:
            raise ValueError(
                f"d_steps={self.d_steps} and g_steps_per_d_step={self.g_steps_per_d_step}: at most one of them "
                "may exceed 1 (d_steps D steps per G step, or g_steps_per_d_step G steps per D step)"
            )
        if self.grad_value_clip is not None:
            check_float("grad_value_clip", self.grad_value_clip, minimum=0.0, strict_minimum=True)
        self.decay_start_step()  # validates lr_decay_start
        check_choice("gan_loss", self.gan_loss, GAN_LOSSES)
        check_int("seed", self.seed, minimum=0)
        check_int("log_every", self.log_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=0)

    def decay_start_step(self) -> int | None:
        """The iteration at which the learning rates start to decay (None: no decay)."""
        start = self.lr_decay_start
        if start is None:
            return None
        if isinstance(start, Integral) and not isinstance(start, bool) and 0 <= start <= self.steps:
            return int(start)
        if isinstance(start, float) and 0.0 <= start <= 1.0:
            return int(start * self.steps)
        raise ValueError(
            f"lr_decay_start must be None, an iteration (an int in [0, steps={self.steps}]) or a fraction of "
            f"steps (a float in [0, 1]), got lr_decay_start={start!r}"
        )

    def resumable_changes(self) -> tuple[str, ...]:
        """The settings that may differ between a checkpoint of this run and its resumption."""
        if self.lr_decay_start is None:
            return self.RESUMABLE_CHANGES
        return tuple(key for key in self.RESUMABLE_CHANGES if key != "steps")

    @classmethod
    def completed(cls, saved: dict) -> dict:
        """A checkpoint's config with the defaults of the settings it predates (:attr:`LATER_SETTINGS`)."""
        return {**cls.LATER_SETTINGS, **saved}

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown TrainConfig settings {sorted(unknown)}; allowed: {sorted(known)}")
        data = dict(data)
        if "betas" in data:
            data["betas"] = tuple(data["betas"])
        return cls(**data)


class History:
    """Scalars recorded during training, grouped (``"loss"``, ``"eval"``, ...), each a dict of lists."""

    def __init__(self, groups: dict | None = None):
        self.groups: dict[str, dict[str, list]] = groups or {}

    def record(self, group: str, step: int, **values) -> None:
        table = self.groups.setdefault(group, {"step": []})
        table["step"].append(int(step))
        n = len(table["step"])
        for key, value in values.items():
            column = table.setdefault(key, [math.nan] * (n - 1))
            column.append(float(value))
        for column in table.values():  # keep columns aligned when a value is absent this time
            if len(column) < n:
                column.append(math.nan)

    def __getitem__(self, group: str) -> dict[str, list]:
        return self.groups[group]

    def __contains__(self, group: str) -> bool:
        return group in self.groups

    def last(self, group: str) -> dict[str, float]:
        table = self.groups[group]
        return {key: column[-1] for key, column in table.items()}

    def to_frame(self, group: str):
        import pandas as pd

        return pd.DataFrame(self.groups.get(group, {"step": []}))

    def state_dict(self) -> dict:
        return {group: {k: list(v) for k, v in table.items()} for group, table in self.groups.items()}


class Callback:
    """Hooks called by :class:`Trainer`; override the ones you need."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_step_end(self, trainer: Trainer, logs: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class EvaluateEvery(Callback):
    """Every ``every`` steps (and at the end), record ``evaluate(trainer) -> dict`` in history["eval"]."""

    def __init__(self, every: int, evaluate: Callable[[Trainer], dict]):
        self.every = check_int("every", every, minimum=1)
        self.evaluate = evaluate

    def _run(self, trainer):
        if "eval" in trainer.history and trainer.history["eval"]["step"][-1:] == [trainer.step]:
            return
        trainer.history.record("eval", trainer.step, **self.evaluate(trainer))

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0:
            self._run(trainer)

    def on_train_end(self, trainer):
        self._run(trainer)


class Snapshots(Callback):
    """Every ``every`` steps, keep G's samples for a fixed set of ``n_samples`` latents (for timelines).

    The fixed latents are drawn from their own generator seeded with ``seed``, so taking snapshots
    never changes the training run.
    """

    def __init__(self, every: int, n_samples: int = 1000, seed: int = 12345):
        self.every = check_int("every", every, minimum=1)
        self.n_samples = check_int("n_samples", n_samples, minimum=1)
        self.seed = seed
        self.steps: list[int] = []
        self.samples: list[torch.Tensor] = []
        self._z = None

    def _take(self, trainer):
        if self.steps and self.steps[-1] == trainer.step:
            return
        if self._z is None:
            rng = torch.Generator().manual_seed(self.seed)
            self._z = trainer.generator.sample_latent(self.n_samples, rng, device="cpu")
        self.steps.append(trainer.step)
        self.samples.append(trainer.sample(z=self._z).cpu())

    def on_train_begin(self, trainer):
        self._take(trainer)

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0:
            self._take(trainer)

    def on_train_end(self, trainer):
        self._take(trainer)


def _weighted(term: torch.Tensor, weight) -> torch.Tensor:
    """``weight * term``, skipping the multiplication for the usual weight 1."""
    return term if isinstance(weight, float) and weight == 1.0 else weight * term


def discriminator_objective(
    generator: nn.Module,
    discriminator: nn.Module,
    regularizer: Regularizer,
    batch,
    z: torch.Tensor,
    gan_loss: str,
    step: int,
    rng: torch.Generator | None = None,
    sample_latent: Callable | None = None,
) -> tuple[torch.Tensor | None, dict[str, torch.Tensor]]:
    """D's loss on one batch: ``adversarial_weight`` × the adversarial loss on real vs G(z) (G not
    differentiated) + the regularizer's discriminator terms. Returns ``(loss, terms)``; ``loss`` is
    None when there is nothing to minimise (D rests). A pure function of the networks and tensors, shared
    by :class:`Trainer` and :class:`mcgan_lib.ensemble.EnsembleTrainer`."""
    with torch.no_grad():
        fake = generator(z, batch.condition)
    terms: dict[str, torch.Tensor] = {}
    real_logits = fake_logits = None
    loss = None
    if regularizer.adversarial_weight > 0:
        real_logits = discriminator(batch.real, batch.condition)
        fake_logits = discriminator(fake, batch.condition)
        adversarial = discriminator_loss(real_logits, fake_logits, gan_loss)
        terms["d_adversarial"] = adversarial
        loss = _weighted(adversarial, regularizer.adversarial_weight)
    context = DiscriminatorStep(
        step=step,
        batch=batch,
        fake=fake,
        real_logits=real_logits,
        fake_logits=fake_logits,
        generator=generator,
        discriminator=discriminator,
        rng=rng,
        gan_loss=gan_loss,
        sample_latent=sample_latent,
    )
    for name, term in regularizer.discriminator_terms(context).items():
        terms[f"d_{name}"] = term
        loss = term if loss is None else loss + term
    return loss, terms


def generator_objective(
    generator: nn.Module,
    discriminator: nn.Module,
    regularizer: Regularizer,
    batch,
    z: torch.Tensor,
    gan_loss: str,
    step: int,
    rng: torch.Generator | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """G's loss on one batch: ``z`` holds ``latent_copies`` latents per row of ``batch`` (copy-major),
    run through G in one forward pass; ``adversarial_weight`` × the adversarial loss on all copies +
    the regularizer's generator terms. Returns ``(loss, terms)``."""
    copies = regularizer.latent_copies
    n = len(batch)
    condition = None if batch.condition is None else batch.condition.repeat(copies, 1)
    if regularizer.needs_features:
        fake_flat, features = generator(z, condition, return_features=True)
        features = [f.reshape(copies, n, *f.shape[1:]) for f in features]
    else:
        fake_flat, features = generator(z, condition), None
    terms: dict[str, torch.Tensor] = {}
    loss = None
    fake_logits = None
    if regularizer.adversarial_weight > 0:
        fake_logits = discriminator(fake_flat, condition)
        adversarial = generator_loss(fake_logits, gan_loss)
        fake_logits = fake_logits.reshape(copies, n, *fake_logits.shape[1:])
        terms["g_adversarial"] = adversarial
        loss = _weighted(adversarial, regularizer.adversarial_weight)
    context = GeneratorStep(
        step=step,
        batch=batch,
        z=z.reshape(copies, n, -1),
        condition=None if condition is None else condition.reshape(copies, n, -1),
        fake=fake_flat.reshape(copies, n, *fake_flat.shape[1:]),
        features=features,
        fake_logits=fake_logits,
        generator=generator,
        discriminator=discriminator,
        rng=rng,
        gan_loss=gan_loss,
    )
    for name, term in regularizer.generator_terms(context).items():
        terms[f"g_{name}"] = term
        loss = term if loss is None else loss + term
    if loss is None:
        raise ValueError(
            f"regularizer {regularizer.name!r} sets adversarial_weight=0 and adds no generator term: "
            "G has nothing to minimise"
        )
    return loss, terms


def _make_optimizer(params, lr: float, config: TrainConfig) -> torch.optim.Optimizer:
    """PyTorch's Adam (AMSGrad for ``optimizer="amsgrad"``) with L2 weight decay. PyTorch picks its
    implementation (the multi-tensor ``foreach`` one on CUDA); ``fused`` is not forced, as it would change
    the rounding of every run made so far."""
    return torch.optim.Adam(
        params, lr=lr, betas=config.betas, weight_decay=config.weight_decay, amsgrad=config.optimizer == "amsgrad"
    )


def _make_schedulers(optimizers, config: TrainConfig) -> list:
    """One ``LambdaLR`` per optimiser for ``config.lr_decay_start`` (none without a decay), stepped once
    per iteration: the update of iteration t (0-based) uses lr × :func:`linear_decay_factor` (t)."""
    start, total = config.decay_start_step(), config.steps
    if start is None:
        return []
    factor = lambda index: linear_decay_factor(index, start, total)  # noqa: E731
    return [torch.optim.lr_scheduler.LambdaLR(optimizer, factor) for optimizer in optimizers]


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

    def _lock(self):
        """The exclusive lock of ``checkpoint_dir`` (a no-op context without one)."""
        return FolderLock(self.checkpoint_dir) if self.checkpoint_dir is not None else contextlib.nullcontext()

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
        with self._lock(), _deferred_interrupt() as interrupted:
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
            with self._lock():
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
        self.optimizer_g = _make_optimizer(g_params, self.config.lr_g, self.config)
        self.optimizer_d = _make_optimizer(d_params, self.config.lr_d, self.config)
        self.lr_schedulers = _make_schedulers((self.optimizer_g, self.optimizer_d), self.config)

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
        self,
        reason: str,
        step: int,
        updated: bool = True,
        advice: str = "Try a smaller learning rate, gradient clipping or a smaller λ.",
    ) -> TrainingDivergedError:
        if self.last_checkpoint is not None:
            where = f"the last good checkpoint is {self.last_checkpoint}"
        elif self.checkpoint_dir is not None:
            where = "no checkpoint had been written yet"
        else:
            where = "no checkpoint was written (pass checkpoint_dir to keep one)"
        return TrainingDivergedError(
            f"{reason} at step {step}; training stopped "
            f"{'without saving this state' if updated else 'before updating the networks'}, and {where}. {advice}",
            reason=reason,
            step=step,
            last_checkpoint=self.last_checkpoint,
        )

    def _check_finite(self, name: str, value: torch.Tensor, step: int) -> None:
        if not torch.isfinite(value):
            raise self._diverged(f"the {name} became {value.item()}", step, updated=False)

    @staticmethod
    def _finite_state(optimizer: torch.optim.Optimizer) -> bool:
        """Whether every floating-point tensor of the optimiser's state (Adam's moments) is finite."""
        tensors = [
            t
            for state in optimizer.state.values()
            for t in state.values()
            if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel() > 1
        ]
        return not tensors or bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all())

    def _check_update(self, network: str, optimizer, params_with_grad: list, before: list) -> None:
        """After a sampled step: the optimiser's state is finite, and an update whose gradient is not zero
        changed at least one weight."""
        if not self._finite_state(optimizer):
            raise self._diverged(
                f"the {network}'s optimiser state (Adam's moment estimates) became non-finite: its gradients "
                "overflowed, so from now on every update is 0 or NaN",
                self.step + 1,
            )
        if not params_with_grad:
            return
        grad_nonzero = torch.stack([p.grad.ne(0).any() for p in params_with_grad]).any()
        unchanged = all(torch.equal(p, b) for p, b in zip(params_with_grad, before))
        if unchanged and bool(grad_nonzero):
            raise self._diverged(
                f"the {network}'s update left every weight unchanged although its gradient is not zero (an "
                "overflowed optimiser state, or a learning rate too small to change the weights)",
                self.step + 1,
                advice="Check that the learning rate and λ lie in a sensible range (e.g. lr 1e-4 to 1e-2).",
            )

    def _check_state(self) -> None:
        for network, params, optimizer in (
            ("generator", self._g_params, self.optimizer_g),
            ("discriminator", self._d_params, self.optimizer_d),
        ):
            if params and not bool(torch.stack([torch.isfinite(p).all() for p in params]).all()):
                raise self._diverged(f"a weight of the {network} became non-finite", self.step)
            if not self._finite_state(optimizer):
                raise self._diverged(f"the {network}'s optimiser state became non-finite", self.step)

    # ------------------------------------------------------------------ steps
    def _update(self, name: str, loss: torch.Tensor, optimizer: torch.optim.Optimizer, params: list) -> None:
        """Check ``loss`` is finite (else stop, naming the step), then one clipped optimiser step; every
        ``log_every`` steps, check the step changed the weights and left a finite optimiser state."""
        self._check_finite(name, loss, self.step + 1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_value_clip is not None:
            nn.utils.clip_grad_value_(params, self.config.grad_value_clip)
        if self.config.grad_clip is not None:
            nn.utils.clip_grad_norm_(params, self.config.grad_clip)
        if (self.step + 1) % self.config.log_every:
            optimizer.step()
            return
        with_grad = [p for p in params if p.grad is not None]
        before = [p.detach().clone() for p in with_grad]
        optimizer.step()
        self._check_update(name.split()[0], optimizer, with_grad, before)

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
    def _descriptions(self) -> dict:
        return {
            "generator_spec": self.generator.spec() if hasattr(self.generator, "spec") else {},
            "discriminator_spec": self.discriminator.spec() if hasattr(self.discriminator, "spec") else {},
            "regularizer_config": self.regularizer.config(),
            "data_spec": self.data.spec(),
        }

    def state_dict(self) -> dict:
        return {
            "step": self.step,
            "config": self.config.to_dict(),
            **self._descriptions(),
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "regularizer": self.regularizer.state_dict(),
            "optimizer_g": self.optimizer_g.state_dict(),
            "optimizer_d": self.optimizer_d.state_dict(),
            **({"lr_schedulers": [s.state_dict() for s in self.lr_schedulers]} if self.lr_schedulers else {}),
            "rng_state": self.rng.get_state(),
            "history": self.history.state_dict(),
        }

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        """Restore a state written by :meth:`state_dict`, after checking it belongs to this model."""
        problems = []
        for key, current in self._descriptions().items():
            problems += describe_differences(state.get(key, {}), current, key)
        problems += describe_differences(
            TrainConfig.completed(state.get("config", {})),
            self.config.to_dict(),
            "config",
            ignore=self.config.resumable_changes(),
        )
        if problems:
            raise CheckpointError(
                f"{source} was written for another model or configuration:\n  " + "\n  ".join(problems)
            )
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.regularizer.load_state_dict(state["regularizer"])
            self.optimizer_g.load_state_dict(state["optimizer_g"])
            self.optimizer_d.load_state_dict(state["optimizer_d"])
            if self.lr_schedulers:
                for scheduler, saved in zip(self.lr_schedulers, state["lr_schedulers"], strict=True):
                    scheduler.load_state_dict(saved)
        except (KeyError, RuntimeError, ValueError) as error:
            raise CheckpointError(f"{source} does not match this model's weights: {error}") from None
        self.rng.set_state(state["rng_state"].cpu())
        self.step = int(state["step"])
        self.history = History(state.get("history", {}))

    def resume(self, path: str | Path | None = None) -> Trainer:
        """Load ``path`` (a file or a folder; default ``checkpoint_dir``) to continue exactly from it."""
        path = Path(path) if path is not None else self.checkpoint_dir
        if path is None:
            raise ValueError("path is required when the trainer has no checkpoint_dir")
        state = load_checkpoint(path)
        self.load_state_dict(state, source=f"checkpoint {path}")
        self.last_checkpoint = path / CHECKPOINT_NAME if path.is_dir() else path
        return self
