"""The one interface through which every regularizer plugs into the training loop.

On each generator step the loop

1. draws ``latent_copies`` latents for every condition in the batch and runs them through G in one
   concatenated forward pass (with per-layer features when ``needs_features``),
2. computes the adversarial loss on all copies (the MR-GAN algorithms average it over the K samples;
   MSGAN feeds both samples of a pair to D), scaled by ``adversarial_weight``,
3. adds every term returned by :meth:`Regularizer.generator_terms`.

On each discriminator step it adds :meth:`Regularizer.discriminator_terms` to D's loss. A regularizer
that owns networks (an encoder, extra discriminators) lists them in ``generator_side_modules`` or
``discriminator_side_modules``: their parameters join the generator's or the discriminator's optimiser,
and their weights are saved in checkpoints with the regularizer's ``state_dict``.

The plain GAN is :class:`NoRegularizer`: one copy, no terms. Two helpers are shared by the
regularizers: :func:`check_samples_and_target` (K samples per input against one target) and
:func:`idle_discriminator_terms` (D's own loss when a regularizer switches the adversarial term off).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from mcgan_lib.data.base import Batch
from mcgan_lib.losses import discriminator_loss
from mcgan_lib.validation import check_float


@dataclass
class GeneratorStep:
    """What a regularizer sees on a generator step.

    ``z`` is (copies, B, latent_dim), ``fake`` (copies, B, *data_shape), ``condition`` (copies, B, C)
    or None, ``features`` a list of per-layer tensors each (copies, B, ...) or None, and
    ``fake_logits`` D's logits for all copies (copies, B).
    """

    step: int
    batch: Batch
    z: torch.Tensor
    condition: torch.Tensor | None
    fake: torch.Tensor
    features: list[torch.Tensor] | None
    fake_logits: torch.Tensor
    generator: nn.Module
    discriminator: nn.Module
    rng: torch.Generator
    gan_loss: str
    extras: dict = field(default_factory=dict)


@dataclass
class DiscriminatorStep:
    """What a regularizer sees on a discriminator step (``fake`` is detached, shape (B, ...))."""

    step: int
    batch: Batch
    fake: torch.Tensor
    real_logits: torch.Tensor
    fake_logits: torch.Tensor
    generator: nn.Module
    discriminator: nn.Module
    rng: torch.Generator
    gan_loss: str
    sample_latent: Callable[[int], torch.Tensor]


class Regularizer(nn.Module):
    """Base class. Subclasses override the hooks they need; the defaults add nothing.

    ``weight`` is the regularizer's λ (>= 0). ``config()`` returns its settings as primitive values;
    checkpoints store it so that a checkpoint is never resumed with other settings.
    ``member_hyperparameters`` names the float attributes that may differ between the members of one
    :class:`mcgan_lib.ensemble.EnsembleTrainer` (each becomes a per-member tensor during a step); any
    other setting must be equal across members.
    """

    name: str = "regularizer"
    latent_copies: int = 1
    needs_features: bool = False
    adversarial_weight: float = 1.0
    member_hyperparameters: tuple[str, ...] = ("weight",)

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.weight = check_float("weight", weight, minimum=0.0)

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        """Named scalar terms (already weighted) added to the generator's loss."""
        return {}

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        """Named scalar terms (already weighted) added to the discriminator's loss."""
        return {}

    def generator_side_modules(self) -> list[nn.Module]:
        """Networks trained by the generator's optimiser (an encoder, a predictor being fine-tuned)."""
        return []

    def discriminator_side_modules(self) -> list[nn.Module]:
        """Networks trained by the discriminator's optimiser (extra discriminators)."""
        return []

    def config(self) -> dict:
        return {"name": self.name, "weight": self.weight, "latent_copies": self.latent_copies}


class NoRegularizer(Regularizer):
    """The plain GAN: nothing is added."""

    name = "none"

    def __init__(self):
        super().__init__(weight=0.0)


# ---------------------------------------------------------------------------------------------- shared helpers
def check_samples_and_target(samples: torch.Tensor, target: torch.Tensor, name: str = "target") -> int:
    """Check that ``samples`` is (K, *target.shape) with K >= 1 and both are float tensors; return K."""
    for arg, value in (("samples", samples), (name, target)):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise ValueError(f"{arg} must be a floating-point torch.Tensor, got {type(value).__name__}")
    if samples.ndim != target.ndim + 1 or samples.shape[1:] != target.shape:
        raise ValueError(
            f"samples must have shape (K, *{name}.shape) = (K, {', '.join(map(str, target.shape))}), got "
            f"samples {tuple(samples.shape)} and {name} {tuple(target.shape)}"
        )
    if samples.shape[0] < 1:
        raise ValueError(f"samples must hold K >= 1 samples per input, got K={samples.shape[0]}")
    return samples.shape[0]


def idle_discriminator_terms(regularizer: Regularizer, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
    """D's own loss when ``adversarial_weight == 0`` (a reconstruction-only objective).

    The loop then adds no adversarial term to D's loss, which would leave it with nothing to
    minimise; D keeps training on its usual loss so that it still exists and is logged, but G never
    sees it. With ``adversarial_weight > 0`` nothing is added.
    """
    if regularizer.adversarial_weight > 0:
        return {}
    real_logits = step.discriminator(step.batch.real, step.batch.condition)
    fake_logits = step.discriminator(step.fake, step.batch.condition)
    return {"unused_adversarial": discriminator_loss(real_logits, fake_logits, step.gan_loss)}
