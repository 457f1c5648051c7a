"""FID (Heusel et al. 2017) and Inception Score (Salimans et al. 2016) through pytorch-fid.

- The Fréchet distance of two Gaussians, ``|mu_1 - mu_2|^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))``, is
  pytorch-fid's ``calculate_frechet_distance`` (scipy's ``sqrtm``, with its fix for near-singular
  covariances); :func:`frechet_distance` only checks the arguments.
- Features: pytorch-fid's FID Inception-v3 (2048-d pool features, the TF weights every paper uses),
  downloaded by pytorch-fid at first use (:func:`inception_extractor`). Offline, tests and the CPU
  chapters use :class:`RandomConvFeatures`, a small seeded random convolutional network whose name says
  it is not Inception: its "FID" is only comparable with itself.
- :class:`FeatureStatistics` accumulates the mean and covariance in float64 over batches (streaming;
  the extractor runs on its device), so data sets larger than memory can be scored.
- Inception Score from class probabilities (:func:`inception_score_from_probabilities`):
  ``exp(E_x KL(p(y|x) || p(y)))``, averaged over ``splits`` equal parts (10 in Salimans et al.).
  Its classifier is any callable returning logits; torchvision's ImageNet Inception-v3 (a download)
  gives values a few percent off the original TF numbers.

Images are (N, C, H, W) in [-1, 1]; grey images are repeated to three channels.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mcgan_lib.nets.base import seeded_init
from mcgan_lib.validation import check_int


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (pytorch-fid's implementation)."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1, sigma2 = (
        np.atleast_2d(np.asarray(sigma1, dtype=np.float64)),
        np.atleast_2d(np.asarray(sigma2, dtype=np.float64)),
    )
    d = mu1.shape[0]
    for name, value, shape in (("mu2", mu2, (d,)), ("sigma1", sigma1, (d, d)), ("sigma2", sigma2, (d, d))):
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape} to match mu1 of dimension {d}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    with warnings.catch_warnings():  # scipy >= 1.16 deprecates the `disp` argument pytorch-fid passes to sqrtm
        warnings.simplefilter("ignore", DeprecationWarning)
        return float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))


class FeatureStatistics:
    """Running mean and covariance (unbiased, N - 1) of feature rows, accumulated in float64."""

    def __init__(self):
        self.count = 0
        self.total = None
        self.outer = None

    def update(self, features: torch.Tensor) -> FeatureStatistics:
        features = features.detach().double().reshape(features.shape[0], -1)
        if self.total is None:
            self.total = torch.zeros(features.shape[1], dtype=torch.float64, device=features.device)
            self.outer = torch.zeros(features.shape[1], features.shape[1], dtype=torch.float64, device=features.device)
        self.count += features.shape[0]
        self.total += features.sum(0)
        self.outer += features.T @ features
        return self

    def mean_and_covariance(self) -> tuple[np.ndarray, np.ndarray]:
        if self.count < 2:
            raise ValueError(f"at least 2 feature rows are needed for a covariance, got {self.count}")
        mean = self.total / self.count
        covariance = (self.outer - self.count * torch.outer(mean, mean)) / (self.count - 1)
        return mean.cpu().numpy(), covariance.cpu().numpy()


class FeatureExtractor(nn.Module):
    """Images (N, C, H, W) in [-1, 1] -> features (N, D); ``name`` and ``comparable_with_papers`` label it."""

    name: str = "features"
    comparable_with_papers: bool = False


class RandomConvFeatures(FeatureExtractor):
    """Offline stand-in for Inception: a seeded random conv net (3 conv + ReLU + global average pool).

    Not trained on anything; its distances are consistent (the same seed gives the same network) but
    are NOT FID and never comparable with published numbers, so its name says so.
    """

    def __init__(self, feature_dim: int = 64, seed: int = 0):
        super().__init__()
        check_int("feature_dim", feature_dim, minimum=1)
        self.name = f"random-conv-{feature_dim} (offline stand-in, not Inception)"
        with seeded_init(seed):
            self.net = nn.Sequential(
                nn.Conv2d(3, 32, 3, 1, 1),
                nn.ReLU(),
                nn.Conv2d(32, 64, 3, 2, 1),
                nn.ReLU(),
                nn.Conv2d(64, feature_dim, 3, 2, 1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(_rgb(images))


class InceptionFeatures(FeatureExtractor):
    """pytorch-fid's FID Inception-v3, 2048-d pool3 features (inputs resized to 299 inside)."""

    comparable_with_papers = True
    name = "pytorch-fid Inception-v3 pool3 (2048)"

    def __init__(self):
        super().__init__()
        from pytorch_fid.inception import InceptionV3

        try:
            self.net = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]], normalize_input=False)
        except Exception as error:
            raise RuntimeError(
                f"pytorch-fid could not load its Inception weights ({type(error).__name__}: {error}). "
                "They are downloaded "
                "from github.com/mseitzer/pytorch-fid releases at first use; connect once, or place "
                "pt_inception-2015-12-05-6726825d.pth in torch's hub cache (torch.hub.get_dir()/checkpoints). "
                "Offline, use RandomConvFeatures (labelled, not comparable with the papers)."
            ) from None
        self.eval().requires_grad_(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(_rgb(images))[0].flatten(1)  # pytorch-fid expects [-1, 1] with normalize_input=False


def inception_extractor() -> InceptionFeatures:
    return InceptionFeatures()


def _rgb(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


@torch.no_grad()
def feature_statistics(
    images: torch.Tensor | Iterable[torch.Tensor], extractor: FeatureExtractor, batch_size: int = 100
) -> FeatureStatistics:
    """Stream ``images`` (a tensor, or an iterable of batches) through ``extractor`` on its device."""
    device = next(extractor.parameters()).device
    batches = (
        images.split(check_int("batch_size", batch_size, minimum=1)) if isinstance(images, torch.Tensor) else images
    )
    statistics = FeatureStatistics()
    for batch in batches:
        statistics.update(extractor(batch.to(device)))
    return statistics


@dataclass
class FIDResult:
    value: float
    extractor: str
    comparable_with_papers: bool
    n_real: int
    n_generated: int

    def scalars(self) -> dict[str, float]:
        return {"fid": self.value, "comparable_with_papers": float(self.comparable_with_papers)}


def fid(
    real: torch.Tensor | Iterable[torch.Tensor] | FeatureStatistics,
    generated: torch.Tensor | Iterable[torch.Tensor],
    extractor: FeatureExtractor,
    batch_size: int = 100,
) -> FIDResult:
    """FID between ``real`` (images, batches, or precomputed :class:`FeatureStatistics`) and ``generated``."""
    real_stats = real if isinstance(real, FeatureStatistics) else feature_statistics(real, extractor, batch_size)
    fake_stats = feature_statistics(generated, extractor, batch_size)
    value = frechet_distance(*real_stats.mean_and_covariance(), *fake_stats.mean_and_covariance())
    return FIDResult(value, extractor.name, extractor.comparable_with_papers, real_stats.count, fake_stats.count)


def inception_score_from_probabilities(probabilities: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """IS mean and std over ``splits`` consecutive equal parts of ``probabilities`` (N, classes).

    For each part, exp(mean_x KL(p(y|x) || p(y))) with p(y) the part's mean prediction (Salimans et
    al. 2016; the remainder N mod splits is dropped, as in the original code). Uniform predictions give
    1; confident predictions spread evenly over K classes give K. The formula of each part is
    :func:`mcgan_lib.metrics.classifier_scores.inception_score`.
    """
    from mcgan_lib.metrics.classifier_scores import check_probabilities
    from mcgan_lib.metrics.classifier_scores import inception_score as score_of_part

    probabilities = check_probabilities("probabilities", probabilities, ndim=2)
    check_int("splits", splits, minimum=1, maximum=probabilities.shape[0])
    size = probabilities.shape[0] // splits
    scores = torch.tensor([score_of_part(probabilities[k * size : (k + 1) * size]) for k in range(splits)])
    return float(scores.mean()), float(scores.std()) if splits > 1 else 0.0


@torch.no_grad()
def inception_score(
    images: torch.Tensor | Iterable[torch.Tensor],
    classifier: Callable[[torch.Tensor], torch.Tensor] | None = None,
    splits: int = 10,
    batch_size: int = 100,
) -> tuple[float, float]:
    """IS of ``images`` under ``classifier`` (logits); default torchvision's ImageNet Inception-v3 (a download)."""
    if classifier is None:
        from torchvision.models import Inception_V3_Weights, inception_v3

        network = inception_v3(weights=Inception_V3_Weights.IMAGENET1K_V1).eval()

        def classifier(x):
            x = F.interpolate(_rgb(x), size=(299, 299), mode="bilinear", align_corners=False)
            mean = torch.tensor([0.485, 0.456, 0.406], device=x.device).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225], device=x.device).view(1, 3, 1, 1)
            return network(((x + 1) / 2 - mean) / std)  # [-1, 1] -> the ImageNet normalisation it was trained on

    batches = images.split(batch_size) if isinstance(images, torch.Tensor) else images
    probabilities = torch.cat([F.softmax(classifier(batch), dim=1).cpu() for batch in batches])
    return inception_score_from_probabilities(probabilities, splits)
