"""Fitting that happens before a GAN trains: the frozen moment predictors of MR-GAN's proxy variants."""

from __future__ import annotations

from mcgan_lib.data.base import DataSource
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.moment_reconstruction import DISTRIBUTIONS, fit_predictor


def fit_predictors(
    data: DataSource, steps: int = 500, seed: int = 0, hidden_dim: int = 64, lr: float | None = None
) -> dict:
    """A frozen Gaussian and a frozen Laplace predictor for ``data`` (with their fits), for the proxy
    variants: ``{"gaussian": predictor, "laplace": predictor, "fits": {...}}``.

    ``lr=None`` picks 1e-2 for an unconditional task (the predictor is just two constants per
    coordinate) and 3e-3 for a conditional one (an MLP).
    """
    if lr is None:
        lr = 1e-2 if data.condition_dim == 0 else 3e-3
    result: dict = {"fits": {}}
    for distribution in DISTRIBUTIONS:
        predictor = MomentPredictor(
            output_dim=data.data_dim, condition_dim=data.condition_dim, hidden_dim=hidden_dim, seed=seed
        )
        result["fits"][distribution] = fit_predictor(predictor, data, distribution, steps=steps, lr=lr, seed=seed)
        result[distribution] = predictor
    return result
