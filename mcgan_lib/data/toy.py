"""2D Gaussian mixtures: the eight-Gaussian ring, the 5x5 grid, and any mixture a user defines.

The mixtures follow the standard mode-collapse benchmarks:

- the ring: 8 modes at angles 2πk/8 on a circle of radius 2 with std 0.02. These values are the ones
  commonly attributed to Metz et al.'s Unrolled GAN (Appendix A), which we could not verify; their
  demo notebook uses radius 1 and std 0.01, VEEGAN radius 1 and PacGAN radius 1 with std 0.01. Mode
  coverage is scored in units of the std, so the radius/std ratio (100 here) is what matters;
- the grid of VEEGAN/PacGAN: means {-4,-2,0,2,4}², std 0.05.

Components are isotropic with one common ``std``.
"""

from __future__ import annotations

import math

import torch

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.validation import check_float, check_int


class GaussianMixture(DataSource):
    """A mixture of isotropic Gaussians with ``centers`` (M, D), ``weights`` (M,) and one ``std``.

    ``weights`` are normalised to sum to one (None gives equal weights). Sampling uses the
    ``torch.Generator`` passed in, so a seed fixes the draws. A generator is scored by the
    VEEGAN/PacGAN protocol (:func:`mcgan_lib.metrics.toy.evaluate_mixture`).
    """

    coverage_metric = "modes_captured"
    strict_coverage_metric = "modes_covered"

    def __init__(self, centers, std: float = 0.02, weights=None, name: str = "mixture"):
        centers = torch.as_tensor(centers, dtype=torch.float32)
        if centers.ndim != 2 or centers.shape[0] == 0:
            raise ValueError(
                f"centers must have shape (n_modes, dim) with n_modes >= 1, got shape {tuple(centers.shape)}"
            )
        if not torch.isfinite(centers).all():
            raise ValueError("centers contains NaN or infinite values")
        self.std = check_float("std", std, minimum=0.0, strict_minimum=True)
        if weights is None:
            weights = torch.full((centers.shape[0],), 1.0 / centers.shape[0])
        weights = torch.as_tensor(weights, dtype=torch.float32)
        if weights.shape != (centers.shape[0],):
            raise ValueError(
                f"weights must have one entry per mode ({centers.shape[0]}), got shape {tuple(weights.shape)}"
            )
        if not torch.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"weights must be finite, >= 0 and not all zero, got {weights.tolist()}")
        self.centers = centers
        self.weights = weights / weights.sum()
        self.name = name
        self.data_shape = (centers.shape[1],)

    @property
    def n_modes(self) -> int:
        return self.centers.shape[0]

    @property
    def full_coverage(self) -> int:
        return self.n_modes

    def evaluate(self, generator, n_samples: int = 2500) -> dict[str, float]:
        return evaluate_mixture(generator, self, n_samples=n_samples).scalars()

    def sample_with_modes(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``n`` points; return them (n, D) and the index of the mode each came from (n,)."""
        n = check_int("n", n, minimum=1)
        device = generator.device if generator is not None else torch.device("cpu")
        modes = torch.multinomial(self.weights.to(device), n, replacement=True, generator=generator)
        noise = torch.randn(n, self.centers.shape[1], generator=generator, device=device)
        return self.centers.to(device)[modes] + self.std * noise, modes

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.sample_with_modes(n, generator)[0]

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        return Batch(self.sample(n, generator))

    def spec(self) -> dict:
        return {
            **super().spec(),
            "name": self.name,
            "n_modes": self.n_modes,
            "std": self.std,
            "centers": self.centers.tolist(),
            "weights": self.weights.tolist(),
        }

    def __repr__(self) -> str:
        return f"GaussianMixture(name={self.name!r}, n_modes={self.n_modes}, std={self.std})"


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02, weights=None) -> GaussianMixture:
    """``n_modes`` Gaussians evenly spaced on a circle (angles 2*pi*k/n_modes, no repeated endpoint)."""
    n_modes = check_int("n_modes", n_modes, minimum=1)
    radius = check_float("radius", radius, minimum=0.0, strict_minimum=True)
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return GaussianMixture(centers, std=std, weights=weights, name=f"ring{n_modes}")


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05, weights=None) -> GaussianMixture:
    """``side`` x ``side`` Gaussians on a square grid centred at 0 (side=5: means {-4,-2,0,2,4}^2)."""
    side = check_int("side", side, minimum=1)
    spacing = check_float("spacing", spacing, minimum=0.0, strict_minimum=True)
    coords = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    xs, ys = torch.meshgrid(coords, coords, indexing="ij")
    centers = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
    return GaussianMixture(centers, std=std, weights=weights, name=f"grid{side}x{side}")


def imbalanced_ring(
    n_modes: int = 8, minor_mass: float = 0.05, radius: float = 2.0, std: float = 0.02
) -> GaussianMixture:
    """A ring whose mode 0 carries ``minor_mass`` of the probability and the others share the rest."""
    n_modes = check_int("n_modes", n_modes, minimum=2)
    minor_mass = check_float("minor_mass", minor_mass, minimum=0.0, maximum=1.0, strict_minimum=True)
    weights = torch.full((n_modes,), (1.0 - minor_mass) / (n_modes - 1))
    weights[0] = minor_mass
    mixture = ring(n_modes, radius=radius, std=std, weights=weights)
    mixture.name = f"imbalanced_ring{n_modes}"
    return mixture
