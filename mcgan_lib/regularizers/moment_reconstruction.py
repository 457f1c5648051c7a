"""Moment reconstruction: MR-GAN and proxy MR-GAN (Lee, Ha and Kim, ICLR 2019; M.S. thesis version).

Instead of pulling every sample ỹ = G(x, z) towards the ground truth y (the ℓ1/ℓ2 losses, which
make G ignore z), the generator draws K samples ỹ_1..K for each input x and the *statistics* of those
samples are matched:

- MR loss (Sec. 4.2, Algorithms 1-4): an MLE loss between the sample mean/variance (Gaussian) or
  sample median/MAD (Laplace) and the real y.
- proxy MR loss (Sec. 4.3, Algorithms 5-8): a squared error between the sample statistics and the
  statistics predicted by a frozen predictor P(x), fitted beforehand with the MLE loss (Eq. 4.1/4.2;
  :func:`mcgan_lib.experiments.fitting.fit_predictor`).

Eight variants: {gaussian, laplace} x {MR, proxy MR} x {1 moment, 2 moments}.

Choices the paper leaves open (each tested in ``tests/test_moment_reconstruction.py``):

- **Median of an even K**: the *lower* of the two middle values (``torch.median``), so the sample
  median is always one of the samples, as the paper's "median sample" wording assumes.
- **eps**: the sample variance (or MAD) enters the MR2 losses as ``spread + eps`` with
  ``eps = DEFAULT_EPS = 1e-6``, so K equal samples give a large but finite loss and finite gradients.
  Adding (rather than clamping) keeps the loss smooth and its gradient exact everywhere.
- **Reduction**: every loss is a mean over every element of the target (pixels, coordinates) and
  over the batch, so λ does not depend on the data size.
- **Laplace detach trick** (Appendix A): ``t = detach(ỹ + (y - m̃))`` and the loss is taken between
  t and ỹ, so the value is |y - m̃| (or (m̂ - m̃)^2 for proxy MR) but the gradient reaches all K
  samples, not only the median sample. In Laplace MR2 the MAD b̃ keeps its ordinary gradient.
- **Unconditional data** (Appendix C): the input x is empty, and the paper does not say how the K·B
  samples of a step are grouped. Two readings, chosen with ``pooling``:

  - ``"per_input"`` (the default): each real y of the batch is one "input" with its own K independent
    draws G(z_1..K);
  - ``"all"``: every sample shares the one empty condition, so μ̃ and σ̃² are taken over all K·B samples
    of the step and compared with each real y of the batch.

  Both match the *global* mean (and variance) of the data, since E_y[(y - μ̃)^2] = (E[y] - μ̃)^2 + Var(y).
  They differ in the sample mean's own variance: with per-element sample variance s,
  E[(y - μ̃)^2] = (E[y] - E[μ̃])^2 + Var(y) + s/n, n the group's size. Per input (n = K), MR1 pays λ·s/K for
  the generator's spread, a pull towards one point; over all samples (n = K·B) that pull is B times
  weaker. The proxy predictor is a constant (center, log-spread) fitted by MLE to the whole data set.
- **The proxy-MR2 optimum** (a property of Eq. 4.6, not of this code): the same s/K term and the noise of
  the unbiased variance, Var(σ̃²) = 2s²/(K-1) for Gaussian samples, put the expected loss's minimum at
  s* = max(0, (σ̂² - 1/(2K))·(K-1)/(K+1)) (:func:`proxy_mr2_variance_optimum`), below the predicted σ̂²,
  and at 0 when σ̂² <= 1/(2K). λ multiplies both terms and does not move s*.
"""

from __future__ import annotations

import torch

from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.base import (
    DiscriminatorStep,
    GeneratorStep,
    Regularizer,
    check_samples_and_target,
    idle_discriminator_terms,
)
from mcgan_lib.validation import check_choice, check_float, check_int

DISTRIBUTIONS = ("gaussian", "laplace")
MOMENTS = (1, 2)
POOLINGS = ("per_input", "all")
DEFAULT_EPS = 1e-6


# ---------------------------------------------------------------------------------------- statistics
def sample_center(samples: torch.Tensor, distribution: str = "gaussian") -> torch.Tensor:
    """Sample mean (Gaussian, Eq. 4.3) or sample median (Laplace) over the K samples (dim 0).

    For an even K the median is the lower of the two middle values (``torch.median``).
    """
    check_choice("distribution", distribution, DISTRIBUTIONS)
    if distribution == "gaussian":
        return samples.mean(dim=0)
    return samples.median(dim=0).values


def sample_spread(samples: torch.Tensor, distribution: str = "gaussian", center: torch.Tensor | None = None):
    """Unbiased sample variance (Gaussian, Eq. 4.3: 1/(K-1)) or sample MAD (Laplace, Algorithm 4:
    (1/K) sum |ỹ_i - m̃|, the mean absolute deviation around the sample median ``center``)."""
    check_choice("distribution", distribution, DISTRIBUTIONS)
    if center is None:
        center = sample_center(samples, distribution)
    if distribution == "gaussian":
        return (samples - center).square().sum(dim=0) / (samples.shape[0] - 1)
    return (samples - center).abs().mean(dim=0)


def _check_variant(distribution: str, moments: int, samples_per_input: int | None = None) -> None:
    check_choice("distribution", distribution, DISTRIBUTIONS)
    check_choice("moments", moments, MOMENTS)
    if moments == 2 and samples_per_input is not None and samples_per_input < 2:
        raise ValueError(
            f"K must be >= 2 for moments=2 (the sample variance or MAD needs two samples), got K={samples_per_input}"
        )


def _spread_gradient_target(samples: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """The Laplace detach trick (Appendix A): t_1..K = detach(ỹ_1..K + shift), shift broadcast over K."""
    return (samples + shift.unsqueeze(0)).detach()


# ---------------------------------------------------------------------------------------- the checks
def check_mr_inputs(
    samples: torch.Tensor,
    target: torch.Tensor,
    distribution: str = "gaussian",
    moments: int = 2,
    eps: float = DEFAULT_EPS,
    min_noise: float = 0.0,
) -> None:
    """Raise ValueError, naming the argument, where :func:`mr_loss` is undefined: samples not
    (K, *target.shape), unknown options, K < 2 for moments=2, eps < 0, or min_noise < 0 (or > 0 with
    moments=1)."""
    K = check_samples_and_target(samples, target)
    _check_variant(distribution, moments, K)
    check_float("eps", eps, minimum=0.0)
    _check_min_noise(min_noise, moments)


def _check_min_noise(min_noise: float, moments: int, proxy: bool = False) -> float:
    min_noise = check_float("min_noise", min_noise, minimum=0.0)
    if min_noise > 0 and (moments != 2 or proxy):
        raise ValueError(
            f"min_noise={min_noise} applies to the MR2 loss only (moments=2, no predictor), got moments={moments}"
            f"{' with a predictor' if proxy else ''}; use min_noise=0"
        )
    return min_noise


def check_proxy_mr_inputs(
    samples: torch.Tensor,
    center: torch.Tensor,
    spread: torch.Tensor | None = None,
    distribution: str = "gaussian",
    moments: int = 2,
) -> None:
    """Raise ValueError, naming the argument, where :func:`proxy_mr_loss` is undefined: samples not
    (K, *center.shape), unknown options, K < 2 for moments=2, or no ``spread`` of that shape for moments=2."""
    K = check_samples_and_target(samples, center, name="center")
    _check_variant(distribution, moments, K)
    if moments == 2:
        if spread is None:
            raise ValueError("spread (the predicted variance or MAD) is required for moments=2, got None")
        check_samples_and_target(samples, spread, name="spread")


def check_mle_inputs(
    target: torch.Tensor, center: torch.Tensor, log_spread: torch.Tensor, distribution: str = "gaussian"
) -> None:
    """Raise ValueError, naming the argument, where :func:`mle_loss` is undefined: an unknown
    distribution, or ``center``/``log_spread`` not tensors of the target's shape."""
    check_choice("distribution", distribution, DISTRIBUTIONS)
    for name, value in (("center", center), ("log_spread", log_spread)):
        if not isinstance(value, torch.Tensor) or value.shape != getattr(target, "shape", None):
            raise ValueError(
                f"{name} must be a tensor with the target's shape {tuple(getattr(target, 'shape', ()))}, "
                f"got {tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}"
            )


# ---------------------------------------------------------------------------------------- the losses
# The tensors are not checked in the losses; the check_* functions above do.
def mr_loss(
    samples: torch.Tensor,
    target: torch.Tensor,
    distribution: str = "gaussian",
    moments: int = 2,
    eps: float = DEFAULT_EPS,
    min_noise: float = 0.0,
) -> torch.Tensor:
    """Moment reconstruction loss (Lee et al. 2019, Eq. 4.5; Algorithms 1-4), mean over every element.

    samples: (K, *S), K generated samples ỹ_1..K for each input; target: (*S), the real y.

    - gaussian, 1 (Alg. 1): (y - μ̃)^2
    - gaussian, 2 (Alg. 2): ((y - μ̃)^2 + min_noise) / (2 (σ̃^2 + eps)) + 0.5 log(σ̃^2 + eps), σ̃^2
      unbiased (1/(K-1))
    - laplace, 1 (Alg. 3): (1/K) sum_i |t_i - ỹ_i|, t = detach(ỹ + (y - m̃))   (value |y - m̃|)
    - laplace, 2 (Alg. 4): ((1/K) sum_i |t_i - ỹ_i| + min_noise) / (b̃ + eps) + log(b̃ + eps), b̃ the
      sample MAD

    m̃ is the sample median (lower middle value for even K). moments=2 needs K >= 2.

    ``min_noise`` (MR2 only; 0, the thesis's form, by default) is the official code's stabiliser
    (``losses.py``, ``GaussianMLELoss``/``LaplaceMLELoss``; ``min_noise: 0.0001`` in
    ``srgan-celeba_64x64-gaussian-mr2.yaml``): it is added to the squared (Laplace: absolute) error in the
    numerator, not to the variance. The minimiser in σ̃^2 + eps of (e^2 + min_noise) / (2v) + 0.5 log v
    is v = e^2 + min_noise (Laplace: b = |e| + min_noise), so min_noise floors the spread the loss asks
    for, where ``eps`` only keeps the logarithm finite; at a given σ̃^2 the gradient through μ̃ is unchanged.
    """
    _check_variant(distribution, moments)
    center = sample_center(samples, distribution)
    if distribution == "gaussian":
        squared_error = (target - center).square()
        if moments == 1:
            return squared_error.mean()
        if min_noise:
            squared_error = squared_error + min_noise
        variance = sample_spread(samples, distribution, center) + eps
        return (squared_error / (2 * variance) + 0.5 * variance.log()).mean()
    t = _spread_gradient_target(samples, target - center)
    absolute_error = (t - samples).abs().mean(dim=0)
    if moments == 1:
        return absolute_error.mean()
    if min_noise:
        absolute_error = absolute_error + min_noise
    mad = sample_spread(samples, distribution, center) + eps
    return (absolute_error / mad + mad.log()).mean()


def proxy_mr_loss(
    samples: torch.Tensor,
    center: torch.Tensor,
    spread: torch.Tensor | None = None,
    distribution: str = "gaussian",
    moments: int = 2,
) -> torch.Tensor:
    """Proxy moment reconstruction loss (Eq. 4.6; Algorithms 5-8), mean over every element.

    samples: (K, *S); center: (*S) the predicted mean μ̂ (Gaussian) or median m̂ (Laplace); spread:
    (*S) the predicted variance σ̂^2 or MAD b̂ (not its log), required for moments=2.

    - gaussian, 1 (Alg. 5): (μ̂ - μ̃)^2
    - gaussian, 2 (Alg. 6): (μ̂ - μ̃)^2 + (σ̂^2 - σ̃^2)^2, σ̃^2 unbiased
    - laplace, 1 (Alg. 7): (1/K) sum_i (t_i - ỹ_i)^2, t = detach(ỹ + (m̂ - m̃))   (value (m̂ - m̃)^2)
    - laplace, 2 (Alg. 8): the same + (b̂ - b̃)^2, b̃ the sample MAD

    The predictor is frozen in training; ``center`` and ``spread`` are used as given (not detached
    in the Gaussian forms; in the Laplace forms the center enters only through the detached t).
    """
    _check_variant(distribution, moments)
    sample_center_ = sample_center(samples, distribution)
    if distribution == "gaussian":
        loss = (center - sample_center_).square()
    else:
        t = _spread_gradient_target(samples, center - sample_center_)
        loss = (t - samples).square().mean(dim=0)
    if moments == 2:
        loss = loss + (spread - sample_spread(samples, distribution, sample_center_)).square()
    return loss.mean()


def mle_loss(
    target: torch.Tensor, center: torch.Tensor, log_spread: torch.Tensor, distribution: str = "gaussian"
) -> torch.Tensor:
    """MLE loss of the predictor (Eq. 4.1 Gaussian, Eq. 4.2 Laplace), mean over every element.

    target, center, log_spread: the same shape. ``log_spread`` is log σ̂^2 (Gaussian) or log b̂
    (Laplace), as Sec. 4.1 advises.

    - gaussian: (y - μ̂)^2 / (2 exp(s)) + s / 2
    - laplace: |y - m̂| / exp(s) + s
    """
    check_choice("distribution", distribution, DISTRIBUTIONS)
    if distribution == "gaussian":
        return ((target - center).square() * torch.exp(-log_spread) / 2 + log_spread / 2).mean()
    return ((target - center).abs() * torch.exp(-log_spread) + log_spread).mean()


def proxy_mr2_variance_optimum(predicted_variance, samples_per_input: int):
    """The per-element variance s* that minimises the expected Gaussian proxy-MR2 loss (Eq. 4.6) of K
    Gaussian samples: s* = max(0, (σ̂² - 1/(2K))·(K-1)/(K+1)).

    From E[(μ̂ - μ̃)²] = (μ̂ - m)² + s/K and E[(σ̂² - σ̃²)²] = (σ̂² - s)² + 2s²/(K-1); setting the derivative
    in s to zero gives the formula. Taught in chapter 03.
    """
    K = check_int("samples_per_input", samples_per_input, minimum=2)
    variance = torch.as_tensor(predicted_variance, dtype=torch.float64)
    if not torch.isfinite(variance).all() or (variance < 0).any():
        raise ValueError(f"predicted_variance must be finite and >= 0, got {variance.tolist()}")
    return ((variance - 1 / (2 * K)) * (K - 1) / (K + 1)).clamp(min=0.0)


# ---------------------------------------------------------------------------------------- the predictor
def predicted_statistics(predictor: MomentPredictor, condition: torch.Tensor | None = None, batch_size: int = 1):
    """The predictor's (center, spread) with the spread as variance or MAD (exp of its log output)."""
    with torch.no_grad():
        center, log_spread = predictor(condition, batch_size=batch_size)
    return center, log_spread.exp()


# ---------------------------------------------------------------------------------------- the regularizer
def variant_name(distribution: str, moments: int, proxy: bool) -> str:
    """``gaussian_mr2``, ``laplace_proxy_mr1``, ...: the names used by the chapters' tables."""
    return f"{distribution}_{'proxy_' if proxy else ''}mr{moments}"


VARIANTS = tuple(
    variant_name(distribution, moments, proxy)
    for proxy in (False, True)
    for distribution in DISTRIBUTIONS
    for moments in MOMENTS
)


def parse_variant(name: str) -> tuple[str, int, bool]:
    """``"laplace_proxy_mr2"`` -> ("laplace", 2, True)."""
    check_choice("variant", name, VARIANTS)
    distribution, *middle, last = name.split("_")
    return distribution, int(last[-1]), bool(middle)


class MomentReconstruction(Regularizer):
    """λ · (proxy) MR loss on K samples per input (Eq. 4.4), for :class:`mcgan_lib.training.Trainer`.

    The loop draws ``samples_per_input`` = K latents for every input and runs all K·B rows through G
    in one forward pass; the adversarial loss is averaged over the K·B samples (Algorithms 1-8, line
    "L_GAN = 1/K sum -log D(x, ỹ_i)"). Give a fitted, frozen ``predictor`` (see
    :func:`mcgan_lib.experiments.fitting.fit_predictor`) for the proxy variants; its ``distribution``
    must be the one it was fitted with. ``pooling`` (unconditional data only; module docstring): the K
    samples of each real y (``"per_input"``) or all K·B samples of the step (``"all"``) form the group
    whose statistics are matched. ``min_noise`` (MR2 without a predictor): see :func:`mr_loss`; the
    official SRGAN MR2 config uses 1e-4. It enters :meth:`config` only when set, so the descriptions of
    runs without it are unchanged.
    """

    needs_features = False

    def __init__(
        self,
        weight: float = 10.0,
        samples_per_input: int = 10,
        distribution: str = "gaussian",
        moments: int = 2,
        predictor: MomentPredictor | None = None,
        adversarial_weight: float = 1.0,
        eps: float = DEFAULT_EPS,
        pooling: str = "per_input",
        min_noise: float = 0.0,
    ):
        super().__init__(weight)
        self.pooling = check_choice("pooling", pooling, POOLINGS)
        self.latent_copies = check_int("samples_per_input", samples_per_input, minimum=1)
        _check_variant(distribution, moments, self.latent_copies)
        self.distribution, self.moments = distribution, moments
        if predictor is not None and not isinstance(predictor, MomentPredictor):
            raise ValueError(f"predictor must be a MomentPredictor or None, got {type(predictor).__name__}")
        self.predictor = predictor
        if predictor is not None:
            predictor.requires_grad_(False)
        self.adversarial_weight = check_float("adversarial_weight", adversarial_weight, minimum=0.0)
        self.eps = check_float("eps", eps, minimum=0.0)
        self.min_noise = _check_min_noise(min_noise, moments, proxy=predictor is not None)
        self.name = variant_name(distribution, moments, predictor is not None)

    @property
    def proxy(self) -> bool:
        return self.predictor is not None

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        samples, target = step.fake, step.batch.real
        if self.pooling == "all":
            if step.batch.condition is not None:
                raise ValueError("pooling='all' needs unconditional data; this batch has conditions")
            samples = samples.reshape(-1, 1, *target.shape[1:])  # one group of K·B samples, broadcast over y
        if not self.proxy:
            loss = mr_loss(samples, target, self.distribution, self.moments, self.eps, self.min_noise)
        else:
            self.predictor.eval()
            center, log_spread = self.predictor(step.batch.condition, batch_size=len(step.batch))
            shape = target.shape if self.pooling == "per_input" else (1, *target.shape[1:])
            center, log_spread = center[: shape[0]], log_spread[: shape[0]]
            loss = proxy_mr_loss(
                samples, center.reshape(shape), log_spread.exp().reshape(shape), self.distribution, self.moments
            )
        return {self.name: self.weight * loss}

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        return idle_discriminator_terms(self, step)

    def config(self) -> dict:
        return {
            **super().config(),
            "distribution": self.distribution,
            "moments": self.moments,
            "proxy": self.proxy,
            "adversarial_weight": self.adversarial_weight,
            "eps": self.eps,
            "pooling": self.pooling,
            **({"min_noise": self.min_noise} if self.min_noise else {}),
        }
