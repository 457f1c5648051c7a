"""Mode-seeking regularization (MSGAN, Mao et al., CVPR 2019).

MSGAN's Eq. (1) asks G to maximise the ratio of the distance between two outputs for the same
condition to the distance between their latents,

    max_G  d_I(G(c, z_1), G(c, z_2)) / d_Z(z_1, z_2),

and Eq. (2) adds it to the original objective with a weight λ_ms. The authors' code minimises the
reciprocal of the ratio, ``1 / (ratio + eps)``, with mean absolute differences as both distances;
:func:`mode_seeking_loss` is that form. A collapsed generator maps different latents to the same
point (ratio 0, loss 1/eps), so the term pushes the outputs of nearby latents apart, towards modes
that the adversarial loss alone leaves empty.

Choices the paper leaves open (tested in ``tests/test_mode_seeking.py``):

- ``reduction="batch"`` (default, the authors' code): the means of |Δx| and |Δz| are taken over every
  element of the whole batch, then divided: one ratio per batch.
- ``reduction="pair"`` (the per-pair reading, as DSGAN, Yang et al. 2019, averages its ratio over
  pairs): one ratio per pair, r_k = mean_j |Δx_kj| / mean_j |Δz_kj|, then the mean over pairs, and
  the reciprocal of that mean: ``1 / (mean_k r_k + eps)``. The reciprocal stays outside the mean, as
  in DSGAN, which averages ratios, not reciprocals; one collapsed pair therefore cannot dominate the
  loss with a 1/eps spike. The two reductions agree when the batch has one pair.
- Two identical latents (zero latent distance) make the ratio undefined:
  :func:`check_mode_seeking_inputs` raises an error for them (the loss itself would give 0 or NaN).
  Two identical outputs are fine: the loss is then 1/eps, finite.
"""

from __future__ import annotations

import math

import torch

from mcgan_lib.regularizers.base import GeneratorStep, Regularizer
from mcgan_lib.validation import check_choice, check_float, check_tensor

MODE_SEEKING_REDUCTIONS = ("batch", "pair")


def _check_pair(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    check_tensor(name_a, a)
    check_tensor(name_b, b)
    if a.ndim < 2 or a.shape[0] == 0:
        raise ValueError(f"{name_a} must have shape (batch, ...) with batch >= 1, got {tuple(a.shape)}")
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def check_mode_seeking_inputs(
    fake_a: torch.Tensor,
    fake_b: torch.Tensor,
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    eps: float = 1e-5,
    reduction: str = "batch",
) -> None:
    """Raise ValueError, naming the argument, where :func:`mode_seeking_loss` is undefined: mismatched
    shapes, non-finite values, eps <= 0, an unknown reduction, or identical latents (the ratio's
    denominator is 0: for the whole batch with ``"batch"``, for any one pair with ``"pair"``)."""
    _check_pair("fake_a", fake_a, "fake_b", fake_b)
    _check_pair("z_a", z_a, "z_b", z_b)
    if z_a.ndim != 2:
        raise ValueError(f"z_a and z_b must have shape (batch, latent_dim), got {tuple(z_a.shape)}")
    if fake_a.shape[0] != z_a.shape[0]:
        raise ValueError(
            f"fake_a has {fake_a.shape[0]} rows but z_a has {z_a.shape[0]}; there must be one latent per output"
        )
    check_float("eps", eps, minimum=0.0, strict_minimum=True)
    check_choice("reduction", reduction, MODE_SEEKING_REDUCTIONS)
    latent_gap = (z_a - z_b).abs()
    if reduction == "batch" and latent_gap.mean().item() == 0.0:
        raise ValueError("z_a equals z_b: the latent distance is 0 and the mode-seeking ratio is undefined")
    if reduction == "pair" and (latent_gap.mean(dim=1) == 0).any():
        pair = int((latent_gap.mean(dim=1) == 0).nonzero()[0, 0])
        raise ValueError(
            f"z_a equals z_b for pair {pair}: its latent distance is 0 and its ratio is undefined "
            "(reduction='pair' needs every pair of latents to differ)"
        )


def mode_seeking_loss(
    fake_a: torch.Tensor,
    fake_b: torch.Tensor,
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    eps: float = 1e-5,
    reduction: str = "batch",
) -> torch.Tensor:
    """Mode-seeking loss (MSGAN, Mao et al. 2019, Eq. 1–2; the authors' reciprocal form).

    fake_a, fake_b: (B, ...) outputs of G for latents z_a, z_b: (B, Z) and the same conditions.
    ``reduction="batch"``: returns 1 / (mean|fake_a - fake_b| / mean|z_a - z_b| + eps), each mean
    over every element of the batch (the authors' code). ``reduction="pair"``: returns
    1 / (mean_k r_k + eps) with r_k the ratio of pair k (see the module docstring).
    The tensors are not checked here; :func:`check_mode_seeking_inputs` does.

    Taught in chapter 04.
    """
    check_choice("reduction", reduction, MODE_SEEKING_REDUCTIONS)
    output_gap = (fake_a - fake_b).abs().flatten(1)  # (B, F)
    latent_gap = (z_a - z_b).abs()  # (B, Z)
    if reduction == "batch":
        ratio = output_gap.mean() / latent_gap.mean()
    else:
        ratio = (output_gap.mean(dim=1) / latent_gap.mean(dim=1)).mean()
    return 1.0 / (ratio + eps)


GAUSSIAN_LATENT_GAP = 2.0 / math.pi**0.5  # E|z_1 - z_2| for independent standard normal coordinates


def expected_mode_seeking_loss(points: torch.Tensor, weights: torch.Tensor | None = None, eps: float = 1e-5) -> float:
    """The value that :func:`mode_seeking_loss` (``reduction="batch"``) tends to over a large batch when G
    sends independent latents to the atoms ``points`` (N, D) with probabilities ``weights`` (uniform if
    None): 1 / (E|x_1 - x_2| / E|z_1 - z_2| + eps), with E|Δx| the weighted mean over pairs of atoms of the
    per-coordinate absolute difference and E|Δz| = 2/√π per standard normal coordinate.

    It says what MSGAN's Eq. (1) pays for a set of occupied modes: infinite (1/eps) for one point, and
    nearly as little for two far-apart modes as for all of them. Taught in chapter 07.
    """
    check_tensor("points", points)
    if points.ndim != 2 or points.shape[0] == 0:
        raise ValueError(f"points must have shape (n_atoms, dim) with n_atoms >= 1, got {tuple(points.shape)}")
    check_float("eps", eps, minimum=0.0, strict_minimum=True)
    points = points.double()
    if weights is None:
        weights = torch.full((points.shape[0],), 1.0 / points.shape[0], dtype=torch.float64)
    else:
        check_tensor("weights", weights)
        if weights.shape != (points.shape[0],) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"weights must be {points.shape[0]} non-negative numbers with a positive sum, got shape "
                f"{tuple(weights.shape)}"
            )
        weights = weights.double() / weights.sum()
    output_gap = (points[:, None, :] - points[None, :, :]).abs().mean(dim=-1)  # (N, N)
    ratio = float(weights @ output_gap @ weights) / GAUSSIAN_LATENT_GAP
    return 1.0 / (ratio + eps)


class ModeSeekingRegularizer(Regularizer):
    """MSGAN's term λ·L_ms for the training loop (Mao et al. 2019, Eq. 2).

    The loop draws two latents for every condition of the batch (``latent_copies = 2``) and runs both
    through G in one concatenated forward pass; both halves are fed to D, as in the authors' code.
    """

    name = "mode_seeking"
    latent_copies = 2
    needs_features = False
    adversarial_weight = 1.0

    def __init__(self, weight: float = 1.0, eps: float = 1e-5, reduction: str = "batch"):
        super().__init__(weight=weight)
        self.eps = check_float("eps", eps, minimum=0.0, strict_minimum=True)
        self.reduction = check_choice("reduction", reduction, MODE_SEEKING_REDUCTIONS)

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        loss = mode_seeking_loss(step.fake[0], step.fake[1], step.z[0], step.z[1], self.eps, self.reduction)
        return {"mode_seeking": self.weight * loss}

    def config(self) -> dict:
        return {**super().config(), "eps": self.eps, "reduction": self.reduction}
