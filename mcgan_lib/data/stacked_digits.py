"""Stacked Digits: three of scikit-learn's 8x8 digits side by side, 1,000 equally likely modes (an offline
Stacked MNIST)."""

from __future__ import annotations

import torch

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.data.digits import digits_images
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.validation import check_choice, check_int


class StackedDigits(DataSource):
    """Three 8x8 digits side by side (1, 8, 24): 1,000 equally likely modes (Stacked MNIST, offline).

    Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017) stacks three MNIST digits as colour
    channels; here the three scikit-learn digits sit side by side in one grey image,
    so the same classifier reads each third. ``layout="channels"`` gives the original (3, 8, 8) stacking.
    The mode of a sample is ``100 * left + 10 * middle + right``. Unconditional; digits are drawn
    uniformly from ``pool`` (default: all 1,797 digits). Scored by the Stacked MNIST protocol
    (:func:`mcgan_lib.tasks.evaluators.score_stacked_digits`): modes captured and covered of the 1,000.
    """

    coverage_metric = "modes_captured"
    strict_coverage_metric = "modes_covered"

    def __init__(self, layout: str = "side_by_side", pool: ImageDataset | None = None):
        self.layout = check_choice("layout", layout, ("side_by_side", "channels"))
        self.pool = pool if pool is not None else digits_images()
        if self.pool.labels is None or self.pool.data_shape != (1, 8, 8):
            raise ValueError("pool must be a labelled ImageDataset of 8x8 grey digits (see digits_images())")
        self.data_shape = (1, 8, 24) if layout == "side_by_side" else (3, 8, 8)
        self.name = f"stacked-digits-{layout}"

    def sample_with_modes(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` stacked images and their modes (n,) in [0, 1000)."""
        n = check_int("n", n, minimum=1)
        device = generator.device if generator is not None else "cpu"
        index = torch.randint(len(self.pool), (n, 3), generator=generator, device=device).cpu()
        parts = self.pool.images[index]  # (n, 3, 1, 8, 8)
        images = torch.cat(list(parts.unbind(1)), dim=-1) if self.layout == "side_by_side" else parts[:, :, 0]
        digits = self.pool.labels[index]
        return images, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        return Batch(self.sample_with_modes(n, generator)[0])

    @property
    def full_coverage(self) -> int:
        return 1000

    def spec(self) -> dict:
        return {**super().spec(), "name": self.name, "layout": self.layout}
