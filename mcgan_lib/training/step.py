"""One GAN step: the two objectives and the optimiser step that descends either of them.

An iteration of training (Goodfellow et al. 2014, Algorithm 1) is a step down
:func:`discriminator_objective` with G held fixed, then a step down :func:`generator_objective`, each
taken by :func:`descend`. The objectives are pure functions of the networks and the tensors: both
trainers call them, :class:`~mcgan_lib.training.Trainer` directly and
:class:`~mcgan_lib.ensemble.EnsembleTrainer` through ``vmap`` for every member at once.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mcgan_lib.losses import discriminator_loss, generator_loss
from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep, Regularizer


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
    """D's loss on one batch: λ_adv · the adversarial loss on real x against G(z), plus the
    regularizer's discriminator terms (the plain GAN has none, and λ_adv = 1).

    ``batch``: real examples ``batch.real`` (B, ...) and their ``batch.condition`` (or None);
    ``z``: (B, Z) latents; ``gan_loss``: a name of :data:`mcgan_lib.losses.GAN_LOSSES`. Returns
    ``(loss, terms)``, the terms named ``d_adversarial``, ``d_<term>``; ``loss`` is None when there is
    nothing to minimise (D rests).

    Taught in chapter 01.
    """
    with torch.no_grad():  # D's step does not train G
        fake = generator(z, batch.condition)
    terms: dict[str, torch.Tensor] = {}
    loss = real_logits = fake_logits = None
    if regularizer.adversarial_weight > 0:
        real_logits = discriminator(batch.real, batch.condition)
        fake_logits = discriminator(fake, batch.condition)
        terms["d_adversarial"] = adversarial = discriminator_loss(real_logits, fake_logits, gan_loss)
        loss = regularizer.adversarial_weight * adversarial
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
    """G's loss on one batch: λ_adv · the adversarial loss on D(G(z)) (non-saturating by default:
    -log D(G(z))), plus the regularizer's generator terms (the plain GAN has none, and λ_adv = 1).

    ``z``: (K·B, Z), K = ``regularizer.latent_copies`` latents for each of the B rows of ``batch``,
    copy-major (all first copies, then all second ones), run through G in one pass; the regularizer
    sees them as (K, B, ...). Returns ``(loss, terms)``, the terms named ``g_adversarial``, ``g_<term>``.

    Taught in chapter 01.
    """
    copies, n = regularizer.latent_copies, len(batch)

    def per_copy(rows: torch.Tensor) -> torch.Tensor:  # (K·B, ...) -> (K, B, ...)
        return rows.reshape(copies, n, *rows.shape[1:])

    condition = None if batch.condition is None else batch.condition.repeat(copies, 1)
    if regularizer.needs_features:
        fake, features = generator(z, condition, return_features=True)
        features = [per_copy(f) for f in features]
    else:
        fake, features = generator(z, condition), None
    terms: dict[str, torch.Tensor] = {}
    loss = fake_logits = None
    if regularizer.adversarial_weight > 0:
        fake_logits = discriminator(fake, condition)
        terms["g_adversarial"] = adversarial = generator_loss(fake_logits, gan_loss)
        loss = regularizer.adversarial_weight * adversarial
        fake_logits = per_copy(fake_logits)
    context = GeneratorStep(
        step=step,
        batch=batch,
        z=z.reshape(copies, n, -1),
        condition=None if condition is None else condition.reshape(copies, n, -1),
        fake=per_copy(fake),
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


def descend(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    params: list[torch.Tensor],
    grad_value_clip: float | None = None,
    grad_clip: float | None = None,
) -> None:
    """One step of ``optimizer`` down ``loss``: the gradients of ``params``, clipped element-wise to
    ±``grad_value_clip`` and then to the norm ``grad_clip`` (each when not None), and the update."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_value_clip is not None:
        nn.utils.clip_grad_value_(params, grad_value_clip)
    if grad_clip is not None:
        nn.utils.clip_grad_norm_(params, grad_clip)
    optimizer.step()
