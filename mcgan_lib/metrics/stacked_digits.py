"""The Stacked-Digits mode count: the Stacked MNIST protocol (Metz et al. 2017; Srivastava et al. 2017)
on scikit-learn's digits.

A generated (1, 8, 24) image (or (3, 8, 8) with ``layout="channels"``) is cut into its three digits;
each is classified by :func:`mcgan_lib.nets.digits_classifier.load_digits_classifier` (an MLP trained on
the digits' train split, cached on disk; another module of the library); the sample's mode is
``100 * left + 10 * middle + right``. Reported, as VEEGAN and PacGAN do:

- ``modes_captured``: the number of the 1,000 modes that receive at least ``min_samples`` (1) samples;
- ``kl_to_uniform``: KL(q || uniform) = sum_m q_m log(q_m * 1000), q the histogram of the samples'
  modes (PacGAN's code; modes with q_m = 0 add 0). It is 0 for a uniform histogram and log(1000/k)
  for k equally used modes.

Beside them, as for the toys, the stricter ``modes_covered``: the modes that receive at least a quarter
of their expected share (N / 4,000 samples of N), so stray samples do not count as a mode.

The papers draw 26,000 samples (``DEFAULT_SAMPLES``); with 1,000 modes, a perfect generator then
misses none with probability ~1 (each mode expects 26 samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mcgan_lib.validation import check_choice, check_int

N_MODES = 1000
DEFAULT_SAMPLES = 26000
STRICT_SHARE = 0.25  # a mode is covered with at least a quarter of its expected share of samples


@dataclass
class StackedModeCount:
    modes_captured: int
    kl_to_uniform: float
    mode_counts: torch.Tensor
    n_samples: int
    modes_covered: int

    def scalars(self) -> dict[str, float]:
        return {
            "modes_captured": float(self.modes_captured),
            "modes_covered": float(self.modes_covered),
            "kl_to_uniform": self.kl_to_uniform,
        }


def mode_statistics(modes: torch.Tensor, n_modes: int = N_MODES, min_samples: int = 1) -> StackedModeCount:
    """Modes captured (>= ``min_samples``), modes covered (>= a quarter of the expected share N / n_modes)
    and KL(histogram || uniform) of integer modes (N,) in [0, n_modes)."""
    check_int("n_modes", n_modes, minimum=1)
    check_int("min_samples", min_samples, minimum=1)
    if modes.ndim != 1 or modes.numel() == 0 or modes.is_floating_point():
        raise ValueError(
            f"modes must be a non-empty 1-D integer tensor, got shape {tuple(modes.shape)} and dtype {modes.dtype}"
        )
    if modes.min() < 0 or modes.max() >= n_modes:
        raise ValueError(
            f"modes must lie in [0, n_modes={n_modes}), got range [{int(modes.min())}, {int(modes.max())}]"
        )
    counts = torch.bincount(modes.cpu().long(), minlength=n_modes)
    q = counts.double() / counts.sum()
    used = q > 0
    kl = float((q[used] * (q[used] * n_modes).log()).sum())
    covered = int((counts >= STRICT_SHARE * modes.numel() / n_modes).sum())
    return StackedModeCount(int((counts >= min_samples).sum()), kl, counts, int(modes.numel()), covered)


def split_digits(images: torch.Tensor, layout: str = "side_by_side") -> torch.Tensor:
    """(N, 1, 8, 24) or (N, 3, 8, 8) -> the three digits as flat rows (N, 3, 64)."""
    check_choice("layout", layout, ("side_by_side", "channels"))
    expected = (1, 8, 24) if layout == "side_by_side" else (3, 8, 8)
    if images.ndim != 4 or tuple(images.shape[1:]) != expected:
        raise ValueError(
            f"images must have shape (N, {', '.join(map(str, expected))}) for layout={layout!r}, "
            f"got {tuple(images.shape)}"
        )
    if layout == "side_by_side":
        parts = images[:, 0].reshape(images.shape[0], 8, 3, 8).permute(0, 2, 1, 3)
    else:
        parts = images
    return parts.reshape(images.shape[0], 3, 64)


def classify_stacked(
    images: torch.Tensor, classifier=None, layout: str = "side_by_side", batch_size: int = 4096
) -> torch.Tensor:
    """The mode (N,) of each stacked image: its three digits read by ``classifier`` (logits of (B, 64) rows)."""
    if classifier is None:
        from mcgan_lib.nets.digits_classifier import load_digits_classifier

        classifier = load_digits_classifier()  # trains once (with gradients) when not cached yet
    digits = split_digits(images, layout)
    with torch.no_grad():
        labels = (
            torch.cat([classifier(part.reshape(-1, 64)).argmax(1) for part in digits.split(batch_size)])
            .reshape(-1, 3)
            .cpu()
        )
    return labels[:, 0] * 100 + labels[:, 1] * 10 + labels[:, 2]


def stacked_digits_modes(
    images, classifier=None, layout: str = "side_by_side", min_samples: int = 1
) -> StackedModeCount:
    """Modes captured (of 1,000) and KL to uniform of generated stacked digits ``images``
    (a tensor, or an iterable of batches, streamed)."""
    batches = [images] if isinstance(images, torch.Tensor) else images
    modes = torch.cat([classify_stacked(batch, classifier, layout) for batch in batches])
    return mode_statistics(modes, N_MODES, min_samples)


def expected_kl_for_equal_modes(k: int) -> float:
    """KL(q || uniform over 1,000) when q is uniform over k modes: log(1000 / k)."""
    return math.log(N_MODES / check_int("k", k, minimum=1, maximum=N_MODES))
