"""Mode-regularized GAN (Reg-GAN) and manifold-diffusion GAN (MDGAN), Che et al., ICLR 2017.

An encoder E (data -> latent) is trained jointly with G, so that G∘E is an autoencoder of the data.
Two regularizers use it (paper Eq. 1-4):

- the **geometric** regularizer ``E_x[d(x, G(E(x)))]`` pulls the generated manifold onto every real
  point, the points of a minor mode included (:func:`geometric_loss`);
- the **mode** regularizer pushes the reconstruction G(E(x)) to where D says "real"
  (:func:`mode_loss`), so a reconstruction that lands near a minor mode is pulled into it.

**The sign of the mode term.** The paper writes ``T_G = -E_z log D(G(z)) + E_x[λ1 d(x, G∘E(x)) +
λ2 log D(G∘E(x))]`` and says the term should "encourage G(E(x)) to move towards a nearby mode".
T_G is *minimised*; minimising ``+λ2 log D(G∘E(x))`` drives D(G∘E(x)) to 0, i.e. *away* from what D
accepts as real. The term that does what the paper says is ``-λ2 log D(G∘E(x))``, the same
non-saturating form as the adversarial term on G(z): its gradient with respect to the logit l is
``-λ2 (1 - sigmoid(l)) < 0``, so a descent step raises D(G∘E(x)). We implement that sign and test it
by its effect on D(G(E(x))) (``tests/test_mode_regularized.py``). The slides also write
``λ1 log d(...)``; we use ``λ1 d(...)``, the regularizer of the paper's Eq. 1.

MDGAN (paper Sec. 3.3 and its Algorithm) is the same idea as a two-step schedule, with the main
discriminator switched off (``adversarial_weight = 0``):

- **manifold step**: D1 separates x from G(E(x)); G and E minimise
  ``-log D1(G(E(x))) + λ d(x, G(E(x)))``;
- **diffusion step**: D2 separates G(E(x)) (its "real" side) from G(z); G minimises ``-log D2(G(z))``
  so that G(z) spreads its mass like the reconstructions, i.e. like the data.

Both steps run every iteration through the one training loop. D1 and D2 have disjoint parameters and
losses that depend only on their own parameters, and Adam acts element-wise, so one Adam step on the
sum of their losses is exactly two separate Adam optimisers (same lr and betas). On the generator side
the manifold and diffusion losses are summed into one Adam step of (G, E): the paper's algorithm
applies them one after the other; here they are applied simultaneously (gradients of the same
parameters at the same point). This is our documented deviation, which keeps the one training loop.
"""

from __future__ import annotations

import torch
from torch import nn

from mcgan_lib.losses import discriminator_loss, generator_loss
from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep, Regularizer
from mcgan_lib.validation import check_choice, check_float, check_tensor

GEOMETRIC_DISTANCES = ("squared_l2", "l1")


# ---------------------------------------------------------------------------------------------- losses
def check_geometric_inputs(x: torch.Tensor, x_rec: torch.Tensor, distance: str = "squared_l2") -> None:
    """Raise ValueError, naming the argument, where :func:`geometric_loss` is undefined: an unknown
    distance, non-finite values, or x and x_rec not of one shape (batch, ...)."""
    check_choice("distance", distance, GEOMETRIC_DISTANCES)
    check_tensor("x", x)
    check_tensor("x_rec", x_rec)
    if x.shape != x_rec.shape or x.ndim < 2:
        raise ValueError(
            f"x and x_rec must have the same shape (batch, ...), got x {tuple(x.shape)} and x_rec {tuple(x_rec.shape)}"
        )


def check_mode_loss_inputs(d_logits_rec: torch.Tensor) -> None:
    """Raise ValueError unless ``d_logits_rec`` is a finite (B,) tensor of logits, as :func:`mode_loss` needs."""
    check_tensor("d_logits_rec", d_logits_rec, ndim=1)


def geometric_loss(x: torch.Tensor, x_rec: torch.Tensor, distance: str = "squared_l2") -> torch.Tensor:
    """Geometric regularizer (Che et al. 2017, Eq. 1): E_x[d(x, G(E(x)))].

    x, x_rec: (B, ...) real examples and their reconstructions G(E(x)), same shape (not checked here;
    :func:`check_geometric_inputs` does). ``distance`` is ``"squared_l2"`` (default, sum_i (x_i - x_rec_i)^2)
    or ``"l1"`` (sum_i |x_i - x_rec_i|). Choice the paper leaves open: d is summed over the features of
    one example (it is a distance between two examples) and averaged over the batch (the expectation
    over x). Returns a scalar.
    """
    check_choice("distance", distance, GEOMETRIC_DISTANCES)
    difference = (x - x_rec).flatten(1)
    per_example = difference.pow(2).sum(1) if distance == "squared_l2" else difference.abs().sum(1)
    return per_example.mean()


def mode_loss(d_logits_rec: torch.Tensor) -> torch.Tensor:
    """Mode regularizer (Che et al. 2017, Eq. 2-3, with the sign that does what the paper says).

    d_logits_rec: (B,) D's logits on the reconstructions G(E(x)). Returns the scalar
    ``-E_x log D(G(E(x))) = mean softplus(-logit)``: minimising it raises D(G(E(x))), moving the
    reconstruction towards the region D accepts as real (a nearby mode). The paper's printed
    ``+λ2 log D(...)`` in a minimised objective would do the opposite; see the module docstring.
    """
    return generator_loss(d_logits_rec, "non_saturating")


def check_encoder_matches(encoder: nn.Module, generator: nn.Module) -> None:
    """Raise ValueError when E's latent size differs from G's ``latent_dim`` (G∘E would not compose)."""
    encoder_dim = getattr(encoder, "latent_dim", None)
    generator_dim = getattr(generator, "latent_dim", None)
    if encoder_dim != generator_dim:
        raise ValueError(
            f"encoder latent_dim={encoder_dim} does not match generator latent_dim={generator_dim}; "
            "the encoder must map data into the generator's latent space"
        )


def _check_unconditional(batch) -> None:
    if batch.condition is not None:
        raise ValueError(
            "Reg-GAN and MDGAN are implemented for unconditional data (condition_dim=0); this batch has a "
            f"condition of shape {tuple(batch.condition.shape)}"
        )


def reconstruct(encoder: nn.Module, generator: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """G(E(x)) with the shapes checked: x (B, ...) -> (B, ...) like x."""
    code = encoder(x)
    if code.ndim != 2 or code.shape[1] != generator.latent_dim:
        raise ValueError(
            f"encoder latent_dim={code.shape[-1]} does not match generator latent_dim={generator.latent_dim}"
        )
    return generator(code).reshape(x.shape)


class _GeometricRegularizer(Regularizer):
    """Reg-GAN and MDGAN: λ1 of the geometric term d(x, G(E(x))) is the regularizer's ``weight``."""

    @property
    def lambda_geometric(self):
        """λ1, the geometric term's weight (the regularizer's ``weight``, per member in an ensemble)."""
        return self.weight


# ---------------------------------------------------------------------------------------------- Reg-GAN
class ModeRegularizer(_GeometricRegularizer):
    """Reg-GAN (Che et al. 2017, Eq. 3-4) as one regularizer; E is trained by G's optimiser.

    Generator step adds ``λ1 d(x, G(E(x))) + λ2 (-log D(G(E(x))))`` (see :func:`mode_loss` for the
    sign) to G's adversarial loss ``-log D(G(z))``. E only enters through these terms, so the summed
    loss gives E exactly T_E (Eq. 4) and G exactly T_G (Eq. 3). D is the main discriminator, trained
    as in the plain GAN on real vs G(z). Unconditional data only (a conditional batch is a ValueError).
    """

    name = "mode_regularized"

    member_hyperparameters = ("weight", "lambda_mode")

    def __init__(
        self,
        encoder: nn.Module,
        lambda_geometric: float = 0.5,
        lambda_mode: float = 0.5,
        distance: str = "squared_l2",
    ):
        super().__init__(weight=check_float("lambda_geometric", lambda_geometric, minimum=0.0))
        self.lambda_mode = check_float("lambda_mode", lambda_mode, minimum=0.0)
        self.distance = check_choice("distance", distance, GEOMETRIC_DISTANCES)
        self.encoder = encoder

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        x_rec = reconstruct(self.encoder, step.generator, x)
        return {
            "geometric": self.lambda_geometric * geometric_loss(x, x_rec, self.distance),
            "mode": self.lambda_mode * mode_loss(step.discriminator(x_rec)),
        }

    def generator_side_modules(self) -> list[nn.Module]:
        return [self.encoder]

    def config(self) -> dict:
        return {
            **super().config(),
            "lambda_geometric": self.lambda_geometric,
            "lambda_mode": self.lambda_mode,
            "distance": self.distance,
            "encoder": getattr(self.encoder, "spec", lambda: {})(),
        }


# ---------------------------------------------------------------------------------------------- MDGAN
class ManifoldDiffusionRegularizer(_GeometricRegularizer):
    """MDGAN (Che et al. 2017, Sec. 3.3): manifold step with D1, diffusion step with D2, main D off.

    ``manifold_discriminator`` (D1) and ``diffusion_discriminator`` (D2) are trained by the
    discriminator's optimiser, the encoder by the generator's. Discriminator step:
    ``L(D1; real=x, fake=G(E(x)))`` + ``L(D2; real=G(E(x)), fake=G(z))`` (reconstructions and G(z)
    detached). Generator step: ``-log D1(G(E(x))) + λ d(x, G(E(x)))`` (manifold; G and E) +
    ``-log D2(G(z))`` (diffusion; G). ``L`` and the generator's adversarial form follow the run's
    ``gan_loss``. See the module docstring for how the two steps share one iteration.
    """

    name = "manifold_diffusion"
    adversarial_weight = 0.0

    member_hyperparameters = ("weight",)

    def __init__(
        self,
        encoder: nn.Module,
        manifold_discriminator: nn.Module,
        diffusion_discriminator: nn.Module,
        lambda_geometric: float = 0.5,
        distance: str = "squared_l2",
    ):
        super().__init__(weight=check_float("lambda_geometric", lambda_geometric, minimum=0.0))
        self.distance = check_choice("distance", distance, GEOMETRIC_DISTANCES)
        self.encoder = encoder
        self.manifold_discriminator = manifold_discriminator
        self.diffusion_discriminator = diffusion_discriminator

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        with torch.no_grad():
            x_rec = reconstruct(self.encoder, step.generator, x)
        d1, d2 = self.manifold_discriminator, self.diffusion_discriminator
        return {
            "manifold": discriminator_loss(d1(x), d1(x_rec), step.gan_loss),
            "diffusion": discriminator_loss(d2(x_rec), d2(step.fake), step.gan_loss),
        }

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        x_rec = reconstruct(self.encoder, step.generator, x)
        fake = step.fake.reshape(-1, *step.fake.shape[2:])
        return {
            "manifold": generator_loss(self.manifold_discriminator(x_rec), step.gan_loss)
            + self.lambda_geometric * geometric_loss(x, x_rec, self.distance),
            "diffusion": generator_loss(self.diffusion_discriminator(fake), step.gan_loss),
        }

    def generator_side_modules(self) -> list[nn.Module]:
        return [self.encoder]

    def discriminator_side_modules(self) -> list[nn.Module]:
        return [self.manifold_discriminator, self.diffusion_discriminator]

    def config(self) -> dict:
        spec = lambda module: getattr(module, "spec", lambda: {})()  # noqa: E731
        return {
            **super().config(),
            "lambda_geometric": self.lambda_geometric,
            "distance": self.distance,
            "encoder": spec(self.encoder),
            "manifold_discriminator": spec(self.manifold_discriminator),
            "diffusion_discriminator": spec(self.diffusion_discriminator),
        }
