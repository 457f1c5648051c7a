"""2D Gaussian mixtures: the eight-Gaussian ring, the 5x5 grid, and any mixture a user defines.

The mixtures follow the standard mode-collapse benchmarks:

- the ring: 8 modes at angles 2πk/8 on a circle of radius 2 with std 0.02. These values are the ones
  commonly attributed to Metz et al.'s Unrolled GAN (Appendix A), which we could not verify; their
  demo notebook uses radius 1 and std 0.01, VEEGAN radius 1 and PacGAN radius 1 with std 0.01. Mode
  coverage is scored in units of the std, so the radius/std ratio (100 here) is what matters;
- the grid of VEEGAN/PacGAN: means {-4,-2,0,2,4}², std 0.05.

Components are isotropic with one common ``std``.

**Training coordinates.** The papers' λ were set for images with pixels in [−1, 1]. With
``normalize=True`` a factory returns the same mixture in coordinates scaled into [−1, 1]: the centres'
bounding box is centred at 0 and divided by its half-width (the ring of radius 2 becomes PacGAN's and
VEEGAN's ring of radius 1 with std 0.01; the grid's means {−4, …, 4}² become {−1, −0.5, …, 1}² with std
0.0125). Choice: the box, not the per-coordinate std, because [−1, 1] is the range the papers' λ assume.
The GANs train and every regularizer acts in these coordinates; :meth:`GaussianMixture.to_data_units`
maps samples back (``offset + unit · x``) for figures. The metrics count in units of the std, so they are
the same in either system: multiplying a toy's coordinates by a constant changes neither training nor any
metric (``tests/test_toy_data.py``).
"""

from __future__ import annotations

import math

import torch

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.validation import check_float, check_int


class GaussianMixture(DataSource):
    """A mixture of isotropic Gaussians with ``centers`` (M, D), ``weights`` (M,) and one ``std``.

    ``weights`` are normalised to sum to one (None gives equal weights). Sampling uses the
    ``torch.Generator`` passed in, so a seed fixes the draws. A generator is scored by the
    VEEGAN/PacGAN protocol (:func:`mcgan_lib.metrics.toy.evaluate_mixture`, through
    :func:`mcgan_lib.tasks.evaluate`).
    """

    coverage_metric = "modes_captured"
    strict_coverage_metric = "modes_covered"

    def __init__(self, centers, std: float = 0.02, weights=None, name: str = "mixture", unit: float = 1.0, offset=None):
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
        self.unit = check_float("unit", unit, minimum=0.0, strict_minimum=True)
        offset = torch.zeros(centers.shape[1]) if offset is None else torch.as_tensor(offset, dtype=torch.float32)
        if offset.shape != (centers.shape[1],) or not torch.isfinite(offset).all():
            raise ValueError(f"offset must be {centers.shape[1]} finite numbers, got {offset.tolist()}")
        self.offset = offset

    def normalized(self) -> GaussianMixture:
        """This mixture in training coordinates scaled into [−1, 1] (see the module docstring): the
        centres' bounding box centred at 0 and divided by its half-width; ``unit`` and ``offset`` map back."""
        data_centers = self.to_data_units(self.centers)
        low, high = data_centers.min(dim=0).values, data_centers.max(dim=0).values
        half_width = float((high - low).max()) / 2 or float(self.unit * self.std)
        offset = (low + high) / 2
        return GaussianMixture(
            (data_centers - offset) / half_width,
            std=self.unit * self.std / half_width,
            weights=self.weights,
            name=self.name,
            unit=half_width,
            offset=offset,
        )

    def to_data_units(self, x: torch.Tensor) -> torch.Tensor:
        """Points in training coordinates (N, D) mapped back to the data's own units: ``offset + unit · x``."""
        return self.offset.to(x.device, x.dtype) + self.unit * x

    @property
    def n_modes(self) -> int:
        return self.centers.shape[0]

    @property
    def full_coverage(self) -> int:
        return self.n_modes

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
            **({"unit": self.unit, "offset": self.offset.tolist()} if self.normalized_coordinates else {}),
        }

    @property
    def normalized_coordinates(self) -> bool:
        """Whether training coordinates differ from the data's units."""
        return self.unit != 1.0 or bool(self.offset.any())

    def __repr__(self) -> str:
        units = f", unit={self.unit:g}" if self.normalized_coordinates else ""
        return f"GaussianMixture(name={self.name!r}, n_modes={self.n_modes}, std={self.std:g}{units})"


def _maybe_normalized(mixture: GaussianMixture, normalize: bool) -> GaussianMixture:
    if not isinstance(normalize, bool):
        raise ValueError(f"normalize must be True or False, got {normalize!r}")
    return mixture.normalized() if normalize else mixture


def ring(
    n_modes: int = 8, radius: float = 2.0, std: float = 0.02, weights=None, normalize: bool = False
) -> GaussianMixture:
    """``n_modes`` Gaussians evenly spaced on a circle (angles 2*pi*k/n_modes, no repeated endpoint);
    ``normalize`` gives it in training coordinates scaled into [−1, 1] (module docstring)."""
    n_modes = check_int("n_modes", n_modes, minimum=1)
    radius = check_float("radius", radius, minimum=0.0, strict_minimum=True)
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return _maybe_normalized(GaussianMixture(centers, std=std, weights=weights, name=f"ring{n_modes}"), normalize)


def grid(
    side: int = 5, spacing: float = 2.0, std: float = 0.05, weights=None, normalize: bool = False
) -> GaussianMixture:
    """``side`` x ``side`` Gaussians on a square grid centred at 0 (side=5: means {-4,-2,0,2,4}^2);
    ``normalize`` as for :func:`ring`."""
    side = check_int("side", side, minimum=1)
    spacing = check_float("spacing", spacing, minimum=0.0, strict_minimum=True)
    coords = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    xs, ys = torch.meshgrid(coords, coords, indexing="ij")
    centers = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
    return _maybe_normalized(GaussianMixture(centers, std=std, weights=weights, name=f"grid{side}x{side}"), normalize)


def imbalanced_ring(
    n_modes: int = 8, minor_mass: float = 0.05, radius: float = 2.0, std: float = 0.02, normalize: bool = False
) -> GaussianMixture:
    """A ring whose mode 0 carries ``minor_mass`` of the probability and the others share the rest;
    ``normalize`` as for :func:`ring`."""
    n_modes = check_int("n_modes", n_modes, minimum=2)
    minor_mass = check_float("minor_mass", minor_mass, minimum=0.0, maximum=1.0, strict_minimum=True)
    weights = torch.full((n_modes,), (1.0 - minor_mass) / (n_modes - 1))
    weights[0] = minor_mass
    mixture = ring(n_modes, radius=radius, std=std, weights=weights, normalize=normalize)
    mixture.name = f"imbalanced_ring{n_modes}"
    return mixture
