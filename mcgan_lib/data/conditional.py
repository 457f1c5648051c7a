"""A conditional toy whose p(y | x) is multimodal: the test bed of conditional mode collapse.

The condition ``x`` is uniform on [-1, 1] (``condition_dim = 1``); the target ``y`` is 1D. Given x,
y comes from one of ``n_branches`` curves ``f_k(x) = offset_k + amplitude * sin(pi x)`` with equal
probability, plus Gaussian noise of ``std``. A regression loss (ℓ2) predicts the average of the
branches, a point no sample ever lies on; a conditional GAN that ignores its noise produces one
branch per x. MR-GAN (Lee et al. 2019, Sec. 4.4) and MSGAN (Mao et al. 2019) use exactly this
failure as their motivation.

**Training coordinates.** As for the 2-D mixtures (:mod:`mcgan_lib.data.toy`), :meth:`BranchingConditional.normalized`
gives the same toy with ``y`` scaled into [−1, 1], the range the papers' λ assume: ``y`` is divided by the
largest branch centre's distance from 0, ``(n_branches − 1)/2 · spacing + |amplitude|`` (2.5 for three
branches 2 apart with amplitude 0.5, so the noise std 0.05 becomes 0.02); ``x`` is already in [−1, 1].
The GAN trains in these coordinates, :meth:`BranchingConditional.to_data_units` maps samples back for
figures, and the branch counts, measured in units of the std, are the same in either system
(``tests/test_toy_data.py``).
"""

from __future__ import annotations

import math

import torch

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.validation import check_float, check_int


class BranchingConditional(DataSource):
    """p(y | x) = (1/K) sum_k N(y; offset_k + amplitude*sin(pi x), std^2), x ~ U[-1, 1].

    A generator is scored by branch coverage (:func:`mcgan_lib.metrics.toy.conditional_branch_coverage`,
    on a fixed grid of conditions, through :func:`mcgan_lib.tasks.evaluate`); samples are shown for evenly
    spaced x.
    """

    condition_dim = 1
    coverage_metric = "branches_per_condition"
    strict_coverage_metric = "branches_covered_per_condition"

    def __init__(
        self, n_branches: int = 2, spacing: float = 2.0, amplitude: float = 0.5, std: float = 0.05, unit: float = 1.0
    ):
        self.n_branches = check_int("n_branches", n_branches, minimum=1)
        self.spacing = check_float("spacing", spacing, minimum=0.0, strict_minimum=True)
        self.amplitude = check_float("amplitude", amplitude)
        self.std = check_float("std", std, minimum=0.0, strict_minimum=True)
        self.unit = check_float("unit", unit, minimum=0.0, strict_minimum=True)
        self.offsets = (torch.arange(self.n_branches, dtype=torch.float32) - (self.n_branches - 1) / 2) * self.spacing
        self.data_shape = (1,)
        self.name = f"branching{self.n_branches}"

    def normalized(self) -> BranchingConditional:
        """This toy with ``y`` scaled into [−1, 1] (module docstring); ``unit`` maps back."""
        half_width = ((self.n_branches - 1) / 2 * self.spacing + abs(self.amplitude)) or 3 * self.std
        return BranchingConditional(
            self.n_branches,
            self.spacing / half_width,
            self.amplitude / half_width,
            self.std / half_width,
            unit=self.unit * half_width,
        )

    def to_data_units(self, y: torch.Tensor) -> torch.Tensor:
        """Targets in training coordinates mapped back to the toy's own units: ``unit · y``."""
        return self.unit * y

    @property
    def normalized_coordinates(self) -> bool:
        """Whether training coordinates differ from the data's units."""
        return self.unit != 1.0

    def __repr__(self) -> str:
        units = f", unit={self.unit:g}" if self.normalized_coordinates else ""
        return f"BranchingConditional(n_branches={self.n_branches}, spacing={self.spacing:g}, std={self.std:g}{units})"

    @property
    def full_coverage(self) -> int:
        return self.n_branches

    def display_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.linspace(-1, 1, n)[:, None]

    def branch_means(self, x: torch.Tensor) -> torch.Tensor:
        """The K branch centers at each condition: x (N, 1) -> (N, K)."""
        return self.offsets.to(x.device) + self.amplitude * torch.sin(math.pi * x)

    def true_mean(self, x: torch.Tensor) -> torch.Tensor:
        """E[y | x] (N, 1): what an ℓ2 regression converges to."""
        return self.branch_means(x).mean(dim=1, keepdim=True)

    def true_variance(self, x: torch.Tensor) -> torch.Tensor:
        """Var[y | x] (N, 1): the spread of the branches plus the noise."""
        return self.branch_means(x).var(dim=1, unbiased=False, keepdim=True) + self.std**2

    def sample_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        n = check_int("n", n, minimum=1)
        device = generator.device if generator is not None else "cpu"
        return torch.rand(n, 1, generator=generator, device=device) * 2 - 1

    def sample_given(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One y for each condition in x (N, 1)."""
        device = x.device
        branch = torch.randint(self.n_branches, (x.shape[0],), generator=generator, device=device)
        noise = torch.randn(x.shape[0], 1, generator=generator, device=device)
        return self.branch_means(x).gather(1, branch[:, None]) + self.std * noise

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        x = self.sample_conditions(n, generator)
        return Batch(real=self.sample_given(x, generator), condition=x)

    def spec(self) -> dict:
        return {
            **super().spec(),
            "name": self.name,
            "n_branches": self.n_branches,
            "spacing": self.spacing,
            "amplitude": self.amplitude,
            "std": self.std,
            **({"unit": self.unit} if self.normalized_coordinates else {}),
        }


def branching(
    n_branches: int = 2, spacing: float = 2.0, amplitude: float = 0.5, std: float = 0.05, normalize: bool = False
) -> BranchingConditional:
    """The branching toy; ``normalize`` gives it in training coordinates scaled into [−1, 1] (module docstring)."""
    if not isinstance(normalize, bool):
        raise ValueError(f"normalize must be True or False, got {normalize!r}")
    data = BranchingConditional(n_branches, spacing, amplitude, std)
    return data.normalized() if normalize else data
