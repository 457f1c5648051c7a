"""What every experiment setup shares: the optimiser settings, the step budget and the run's TrainConfig.

A setup is a frozen dataclass that builds a run's networks (``networks(data, seed)``) and its
:class:`~mcgan_lib.training.TrainConfig` (``train_config(seed, steps)``). :class:`ExperimentSetup` holds
the second half (the optimiser, the loss and the step budget, with the toys' defaults), so the toy setup
(MLPs, :class:`~mcgan_lib.experiments.toy.ToySetup`) and the image setup (DCGANs,
:class:`~mcgan_lib.experiments.images.ImageSetup`) train the same way and :func:`mcgan_lib.sweeps.sweep`
takes either. A subclass adds its networks' fields and :meth:`ExperimentSetup.networks`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from mcgan_lib.config import choose
from mcgan_lib.training import TrainConfig


@dataclass(frozen=True)
class ExperimentSetup:
    """The optimiser and budget half of a setup (see the module docstring); ``steps`` is used in full
    mode, ``quick_steps`` in quick mode (``MCGAN_QUICK=1``).

    ``train_overrides`` sets any other :class:`~mcgan_lib.training.TrainConfig` field, e.g. MR-GAN's
    recipe (App. B.1, B.3: ``{"g_steps_per_d_step": 5, "grad_value_clip": 0.5}`` beside
    ``optimizer="amsgrad"``, ``weight_decay=1e-4``) or pix2pix's ``{"lr_decay_start": 0.5}``. Such options
    live there rather than in fields of their own: a sweep's description holds every field of its setup,
    so a new field would rename every stored result."""

    lr: float = 3e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 256
    gan_loss: str = "non_saturating"
    optimizer: str = "adam"
    weight_decay: float = 0.0
    grad_clip: float | None = None
    steps: int = 6000
    quick_steps: int = 1500
    train_overrides: dict = field(default_factory=dict)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def default_steps(self) -> int:
        """``steps`` in full mode, ``quick_steps`` in quick mode (``MCGAN_QUICK=1``)."""
        return choose(self.steps, self.quick_steps)

    def networks(self, data, seed: int):
        """G and D for ``data``, initialised from ``seed`` (G) and ``seed + d_seed_offset`` (D)."""
        raise NotImplementedError

    def train_config(self, seed: int, steps: int | None = None, **overrides) -> TrainConfig:
        settings = dict(
            steps=self.default_steps() if steps is None else steps,
            batch_size=self.batch_size,
            lr_g=self.lr,
            lr_d=self.lr,
            betas=self.betas,
            optimizer=self.optimizer,
            weight_decay=self.weight_decay,
            grad_clip=self.grad_clip,
            gan_loss=self.gan_loss,
            seed=seed,
        )
        settings.update(self.train_overrides)
        settings.update(overrides)
        return TrainConfig(**settings)
