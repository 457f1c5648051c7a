"""The plain reconstruction losses ℓ1 and ℓ2: the baselines that MR-GAN replaces.

Lee, Ha and Kim 2019, Eq. 3.3: L_p = E_{x,y,z} ||y - G(x, z)||_p^p with p = 1 (Pix2Pix) or 2.
ℓ2 is minimised by the conditional mean of y, ℓ1 by the conditional median (Sec. 3.1, Appendix E),
and both by a generator with no conditional variance: the mismatch with the GAN loss (Sec. 4.4).
"""

from __future__ import annotations

import torch
from torch import nn

from mcgan_lib.regularizers.base import (
    DiscriminatorStep,
    GeneratorStep,
    Regularizer,
    idle_discriminator_terms,
)
from mcgan_lib.validation import check_choice, check_float

RECONSTRUCTION_NORMS = (1, 2)


def reconstruction_loss(samples: torch.Tensor, target: torch.Tensor, p: int = 2) -> torch.Tensor:
    """ℓp reconstruction loss (Eq. 3.3): mean over the K copies and every element of |y - ỹ_k|^p.

    samples: (K, *S) generated samples for each input; target: (*S) the ground truth y.
    p = 1 or 2. The mean (not the sum) over elements keeps λ independent of the data size.
    The tensors are not checked here; :func:`~mcgan_lib.regularizers.base.check_samples_and_target` does.

    Taught in chapter 02.
    """
    check_choice("p", p, RECONSTRUCTION_NORMS)
    difference = (target.unsqueeze(0) - samples).abs()
    return (difference if p == 1 else difference.square()).mean()


class Reconstruction(Regularizer):
    """λ · ℓp(y, G(x, z)) added to the generator's loss (the "GAN + ℓ1/ℓ2" baselines).

    ``adversarial_weight=0`` trains with the reconstruction loss alone (a regression that ignores z).
    For an unconditional toy, y is a random real sample of the batch, unrelated to z.
    """

    latent_copies = 1

    def __init__(self, weight: float = 1.0, p: int = 2, adversarial_weight: float = 1.0):
        super().__init__(weight)
        self.p = check_choice("p", p, RECONSTRUCTION_NORMS)
        self.adversarial_weight = check_float("adversarial_weight", adversarial_weight, minimum=0.0)
        self.name = f"l{p}"

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        return {self.name: self.weight * reconstruction_loss(step.fake, step.batch.real, self.p)}

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        return idle_discriminator_terms(self, step)

    def config(self) -> dict:
        return {**super().config(), "p": self.p, "adversarial_weight": self.adversarial_weight}


class WithReconstruction(Regularizer):
    """Another regularizer plus λ_rec · ℓp(y, G(x, z)) on every latent copy: pix2pix's GAN + ℓ1 objective
    with a diversity term on top.

    MSGAN and HMGAN on image-to-image tasks add their term to the pix2pix/BicycleGAN objective and keep
    its ℓ1 reconstruction (MSGAN Sec. 4.1, "we apply the mode seeking regularization to ... pix2pix");
    MR-GAN instead *replaces* the ℓ1 term, so its methods need no wrapper. The wrapped regularizer keeps
    its own latent copies, features and adversarial weight; the ℓp term averages over all copies.
    """

    def __init__(self, inner: Regularizer, reconstruction_weight: float = 10.0, p: int = 1):
        if not isinstance(inner, Regularizer):
            raise ValueError(f"inner must be a Regularizer, got {type(inner).__name__}")
        super().__init__(inner.weight)
        self.inner = inner
        self.reconstruction_weight = check_float("reconstruction_weight", reconstruction_weight, minimum=0.0)
        self.p = check_choice("p", p, RECONSTRUCTION_NORMS)
        self.latent_copies = inner.latent_copies
        self.needs_features = inner.needs_features
        self.adversarial_weight = inner.adversarial_weight
        self.name = f"{inner.name}+l{p}"

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        reconstruction = reconstruction_loss(step.fake, step.batch.real, self.p)
        return {**self.inner.generator_terms(step), f"l{self.p}": self.reconstruction_weight * reconstruction}

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        return self.inner.discriminator_terms(step)

    def generator_side_modules(self) -> list[nn.Module]:
        return self.inner.generator_side_modules()

    def discriminator_side_modules(self) -> list[nn.Module]:
        return self.inner.discriminator_side_modules()

    def config(self) -> dict:
        return {
            **self.inner.config(),
            "name": self.name,
            "reconstruction_weight": self.reconstruction_weight,
            "p": self.p,
        }
