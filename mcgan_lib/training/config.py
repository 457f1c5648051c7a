"""The settings of one training run (:class:`TrainConfig`) and the optimisers and learning-rate
schedules they build."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Integral

import torch

from mcgan_lib.losses import GAN_LOSSES
from mcgan_lib.validation import check_choice, check_float, check_int

OPTIMIZERS = ("adam", "amsgrad")


def linear_decay_factor(index: int, decay_start: int, total: int) -> float:
    """The factor of the base learning rate for update ``index`` (0-based) of ``total``: 1 before
    ``decay_start``, then linearly down towards 0, which it reaches after the last update (pix2pix's
    ``lambda_rule`` in ``networks.get_scheduler``, ``1 - max(0, epoch + epoch_count - n_epochs) /
    (n_epochs_decay + 1)`` with ``epoch_count = 1``, counted in iterations instead of epochs); 0 past ``total``."""
    return max(0.0, 1.0 - max(0, index + 1 - decay_start) / float(total - decay_start + 1))


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


def make_optimizer(params, lr: float, config: TrainConfig) -> torch.optim.Optimizer:
    """PyTorch's Adam (AMSGrad for ``optimizer="amsgrad"``) with L2 weight decay. PyTorch picks its
    implementation (the multi-tensor ``foreach`` one on CUDA); ``fused`` is not forced, as it would change
    the rounding of every run made so far."""
    return torch.optim.Adam(
        params, lr=lr, betas=config.betas, weight_decay=config.weight_decay, amsgrad=config.optimizer == "amsgrad"
    )


def make_schedulers(optimizers, config: TrainConfig) -> list:
    """One ``LambdaLR`` per optimiser for ``config.lr_decay_start`` (none without a decay), stepped once
    per iteration: the update of iteration t (0-based) uses lr × :func:`linear_decay_factor` (t)."""
    start, total = config.decay_start_step(), config.steps
    if start is None:
        return []
    factor = lambda index: linear_decay_factor(index, start, total)  # noqa: E731
    return [torch.optim.lr_scheduler.LambdaLR(optimizer, factor) for optimizer in optimizers]
