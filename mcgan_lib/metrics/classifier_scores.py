"""Inception score and MODE score from a classifier's p(y|x) (Che et al., ICLR 2017, Eq. 5-6).

``probs`` is (N, K): row i is the classifier's p(y | x_i) for the i-th *generated* sample. Write
p(y) = (1/N) sum_i p(y | x_i) for the marginal label distribution of the generated samples and p*(y)
for the label distribution of the training data.

- Inception score (Salimans et al. 2016; Che et al. Eq. 5): ``exp(E_x KL(p(y|x) || p(y)))``, the KL
  from each sample's label distribution to the *generated* marginal. 1 for uniform p(y|x), K for
  confident predictions spread evenly over K classes.
- MODE score (Che et al. Eq. 6, as printed): ``exp(E_x KL(p(y|x) || p*(y)) - KL(p*(y) || p(y)))``.
  The first KL compares each sample with the *training* label distribution (rewards confident
  samples); the second penalises a generated marginal that misses classes of the training data.

  Choice, and why: later surveys (e.g. Xu et al. 2018) quote the second term as KL(p(y) || p*(y)).
  In that reading the training labels cancel: E_x KL(p(y|x) || p*) - KL(p || p*) = H(p(y)) -
  E_x H(p(y|x)), the log of the Inception score, so the score would measure nothing the Inception score
  does not (``tests/test_mode_metrics.py`` checks the identity). We keep the printed order, which does
  use p*: a class the generator rarely produces costs p*(y) log(p*(y) / p(y)). With a softmax
  classifier p(y) > 0 for every class, so the score is finite; it is 0 only when the probabilities
  are exactly one-hot and a class of the training data never appears. Chapter 06 derives both readings.

Terms 0 * log(0 / q) are 0. Rows of ``probs`` must be probabilities: entries >= 0 summing to 1 within
``atol`` (1e-4); otherwise a ValueError names ``probs``.
"""

from __future__ import annotations

import math

import torch

from mcgan_lib.validation import check_tensor

PROBABILITY_ATOL = 1e-4


def check_probabilities(name: str, value: torch.Tensor, ndim: int, atol: float = PROBABILITY_ATOL) -> torch.Tensor:
    """``value`` as float64 after checking entries >= 0 that sum to 1 (within ``atol``) on the last axis."""
    check_tensor(name, value, ndim=ndim)
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor of probabilities, got dtype {value.dtype}")
    if value.shape[-1] < 1 or (ndim == 2 and value.shape[0] < 1):
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    value = value.detach().to(torch.float64)
    if (value < 0).any():
        raise ValueError(f"{name} must be >= 0 everywhere, got a minimum of {value.min().item():.4g}")
    sums = value.sum(-1)
    worst = (sums - 1).abs().max().item()
    if worst > atol:
        raise ValueError(f"{name} must sum to 1 along its last axis (within {atol}), found a sum off by {worst:.4g}")
    return value


def _kl_rows(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) along the last axis with 0 log 0 = 0 and p > 0, q = 0 giving +inf (float64)."""
    positive = p > 0
    ratio = torch.where(positive, p / q, torch.ones_like(p))
    return torch.where(positive, p * ratio.log(), torch.zeros_like(p)).sum(-1)


def inception_score(probs: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))), p(y) the mean of ``probs`` (N, K) over samples (Che et al. Eq. 5)."""
    probs = check_probabilities("probs", probs, ndim=2)
    marginal = probs.mean(0)
    return float(math.exp(_kl_rows(probs, marginal.expand_as(probs)).mean().item()))


def mode_score(probs: torch.Tensor, train_label_dist: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p*(y)) - KL(p*(y) || p(y))) (Che et al. Eq. 6; see the module docstring).

    probs: (N, K) p(y|x) of generated samples; train_label_dist: (K,) p*(y). 0 when a class of the
    training data never appears in the generated marginal.
    """
    probs = check_probabilities("probs", probs, ndim=2)
    target = check_probabilities("train_label_dist", train_label_dist, ndim=1)
    if target.shape[0] != probs.shape[1]:
        raise ValueError(
            f"train_label_dist must have one entry per class of probs ({probs.shape[1]}), got {target.shape[0]}"
        )
    sample_term = _kl_rows(probs, target.expand_as(probs)).mean()
    marginal_term = _kl_rows(target, probs.mean(0))
    if not torch.isfinite(sample_term):
        raise ValueError("probs gives mass to a class with train_label_dist = 0; the MODE score is undefined")
    return float(math.exp((sample_term - marginal_term).item()))


def label_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Fraction of samples whose most probable class is each class (K,), for the per-class histogram."""
    probs = check_probabilities("probs", probs, ndim=2)
    return torch.bincount(probs.argmax(1), minlength=probs.shape[1]).double() / probs.shape[0]


__all__ = ["inception_score", "mode_score", "label_histogram", "check_probabilities"]
