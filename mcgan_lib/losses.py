"""Adversarial losses as pure functions of discriminator logits (no state, no optimiser).

Conventions: ``real_logits`` and ``fake_logits`` are D's raw outputs (before the sigmoid), one per
example; D(x) = sigmoid(logit). Every loss is a mean over the batch.

- ``non_saturating`` (Goodfellow et al. 2014, Sec. 3): D minimises -log D(x) - log(1 - D(G(z)));
  G minimises -log D(G(z)).
- ``minimax``: the same D loss; G minimises log(1 - D(G(z))) (the original, saturating game).
- ``hinge`` (Lim & Ye 2017; Miyato et al. 2018): D minimises relu(1 - D(x)) + relu(1 + D(G(z)))
  on logits; G minimises -D(G(z)).

All use ``softplus`` forms (log(1 + e^t)), which are finite for any finite logit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_LOSSES = ("non_saturating", "minimax", "hinge")


def _check(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f"gan_loss must be one of {list(GAN_LOSSES)}, got {kind!r}")


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str = "non_saturating"
) -> torch.Tensor:
    """D's loss; ``-log D(x) = softplus(-l)``, ``-log(1 - D(G(z))) = softplus(l)``."""
    _check(kind)
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """G's loss on D's logits for generated samples."""
    _check(kind)
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    return -fake_logits.mean()
