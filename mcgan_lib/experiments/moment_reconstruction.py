"""The runs of chapters 02 and 03 (MR-GAN): Appendix B's setup and the chapters' seed tables (a
:func:`mcgan_lib.sweeps.sweep` per method). The losses and the regularizer live in
:mod:`mcgan_lib.regularizers.moment_reconstruction`, the proxy variants' predictors are fitted by
:mod:`mcgan_lib.experiments.fitting`.
"""

from __future__ import annotations

import pandas as pd
import torch

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.toy import ToyRun, ToySetup, train_toy
from mcgan_lib.methods import build_method, get_method
from mcgan_lib.nets.base import generate
from mcgan_lib.sweeps import sweep


def appendix_b_setup(
    steps: int = 1000, batch_size: int = 32, lr: float = 1e-3, hidden_dim: int = 64, latent_dim: int = 2
) -> ToySetup:
    """Appendix B's optimiser (AMSGrad, betas (0.5, 0.999), weight decay 1e-4, clipping 0.5) with
    Appendix C's "simple 3-layer MLP" networks (2 hidden layers + output) for G and D.

    Differences, stated in chapter 03: lr defaults to 1e-3, not 1e-4, so that the toy trains in a
    few thousand steps on a CPU; the clipping is of the gradient *norm* per network (the library's
    loop), not of each value.
    """
    return ToySetup(
        latent_dim=latent_dim,
        hidden_dim=hidden_dim,
        d_hidden_dim=hidden_dim,
        lr=lr,
        betas=(0.5, 0.999),
        batch_size=batch_size,
        optimizer="amsgrad",
        weight_decay=1e-4,
        grad_clip=0.5,
        steps=steps,
        quick_steps=steps,
    )


def seed_table(
    data: DataSource,
    methods,
    seeds,
    steps: int = 1000,
    weight: float = 1.0,
    samples_per_input: int = 8,
    predictor_steps: int = 500,
    n_eval_samples: int = 2500,
    batch_size: int = 32,
    lr: float = 1e-3,
    hidden_dim: int = 64,
    latent_dim: int = 2,
) -> tuple[pd.DataFrame, dict]:
    """Train every method (names of :data:`mcgan_lib.methods.METHODS`) with every seed on
    :func:`appendix_b_setup`; return ``(runs, generators)``: the sweeps' rows (a ``method`` column, the
    seed and the data's metrics) and ``generators[method]``, the first seed's trained G (for figures).

    ``weight`` (λ) goes to every method that has one, ``samples_per_input`` (K) and
    ``predictor_steps`` (the proxy variants' frozen predictors, fitted once with seed 0) to those that
    have them.
    """
    setup = appendix_b_setup(steps, batch_size, lr, hidden_dim, latent_dim)
    seeds = list(seeds)
    tables, generators = [], {}
    for method in methods:
        options = _offered_options(method, weight, samples_per_input, predictor_steps)
        table = sweep(
            data,
            method,
            seeds=seeds,
            setup=setup,
            steps=steps,
            method_options=options,
            n_eval_samples=n_eval_samples,
            keep_samples=0,
            keep_generators=True,
        )
        generators[method] = table.generator.iloc[0]
        tables.append(table.drop(columns="generator"))
    return pd.concat(tables, ignore_index=True), generators


def _offered_options(method: str, weight: float, samples_per_input: int, predictor_steps: int) -> dict:
    """The settings of the chapters' tables that ``method`` has (λ, K, the predictor's steps)."""
    offered = {"weight": weight, "samples_per_input": samples_per_input, "predictor_steps": predictor_steps}
    return {k: v for k, v in offered.items() if k in get_method(method).defaults}


def appendix_b_run(
    data: DataSource,
    method: str,
    seed: int = 0,
    steps: int = 1000,
    weight: float = 1.0,
    samples_per_input: int = 8,
    predictor_steps: int = 500,
    batch_size: int = 32,
    lr: float = 1e-3,
    hidden_dim: int = 64,
    latent_dim: int = 2,
) -> ToyRun:
    """One run of :func:`seed_table` (same method settings and :func:`appendix_b_setup`) trained by the
    sequential :class:`~mcgan_lib.training.Trainer`, which keeps D as well as G, for the GAN-Lab view.

    Same recipe and seed as the seed's row of :func:`seed_table`: the batched and the sequential loop
    agree to float rounding at first (``tests/test_moment_reconstruction.py``), but GAN training amplifies
    such differences over thousands of steps, so a long run is a sibling of that row, not a copy.
    """
    setup = appendix_b_setup(steps, batch_size, lr, hidden_dim, latent_dim)
    options = _offered_options(method, weight, samples_per_input, predictor_steps)
    return train_toy(data, seed=seed, setup=setup, regularizer=build_method(method, data, setup, seed, **options))


def conditional_sample_statistics(generator, xs: torch.Tensor, n_samples: int = 500, seed: int = 0):
    """Per condition in ``xs`` (N, 1): the generator's sample mean and (unbiased) variance of y over
    ``n_samples`` latents, each (N,), and the samples (N, n_samples)."""
    condition = xs.repeat_interleave(n_samples, dim=0)
    y = generate(generator, condition.shape[0], seed, condition).cpu().reshape(xs.shape[0], n_samples)
    return y.mean(dim=1), y.var(dim=1, unbiased=True), y


def binned_sample_statistics(samples, data, n_bins: int = 25) -> pd.DataFrame:
    """Per-condition mean and variance of a conditional generator from a sweep's stored ``samples`` rows
    ``(x, y)`` (one sample per evenly spaced x, training coordinates), in the toy's own units.

    The rows are grouped into ``n_bins`` equal bins of x in [−1, 1]; within a bin each y is read as its
    deviation from the true conditional mean at its own x, y − E[y | x], which removes the drift of the
    branches across the bin. Returns one row per bin: ``x`` (the bin's centre), ``mean`` (E[y | x] at
    the centre plus the mean deviation), ``variance`` (the unbiased variance of the deviations, compare
    Var[y | x], Eq. 3.6–3.8 of the thesis), ``true_mean``, ``true_variance`` and ``n`` (samples in the bin).
    """
    import numpy as np

    from mcgan_lib.validation import check_int

    n_bins = check_int("n_bins", n_bins, minimum=1)
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"samples must be rows (x, y) of shape (N, 2), got shape {samples.shape}")
    x = torch.as_tensor(samples[:, :1], dtype=torch.float32)
    unit = float(getattr(data, "unit", 1.0))
    deviation = (samples[:, 1] - data.true_mean(x).double().numpy()[:, 0]) * unit
    edges = np.linspace(-1.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(samples[:, 0], edges) - 1, 0, n_bins - 1)
    centres = torch.as_tensor((edges[:-1] + edges[1:]) / 2, dtype=torch.float32)[:, None]
    true_mean = data.true_mean(centres).double().numpy()[:, 0] * unit
    true_variance = data.true_variance(centres).double().numpy()[:, 0] * unit**2
    rows = []
    for b in range(n_bins):
        values = deviation[index == b]
        rows.append(
            {
                "x": float(centres[b, 0]),
                "mean": true_mean[b] + (values.mean() if len(values) else np.nan),
                "variance": values.var(ddof=1) if len(values) > 1 else np.nan,
                "true_mean": true_mean[b],
                "true_variance": true_variance[b],
                "n": len(values),
            }
        )
    return pd.DataFrame(rows)


def branch_shares(samples, data, threshold_std: float = 3.0) -> pd.Series:
    """Where a conditional generator's stored ``samples`` rows ``(x, y)`` (training coordinates) fall on
    :class:`~mcgan_lib.data.conditional.BranchingConditional` data: the share of samples within
    ``threshold_std`` std of each branch (``branch 0`` the lowest; the middle one is the conditional mean
    when the number of branches is odd) and the share on none (``off``). The shares sum to one."""
    import numpy as np

    from mcgan_lib.validation import check_float

    threshold_std = check_float("threshold_std", threshold_std, minimum=0.0, strict_minimum=True)
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"samples must be rows (x, y) of shape (N, 2), got shape {samples.shape}")
    x = torch.as_tensor(samples[:, :1], dtype=torch.float32)
    distance = np.abs(samples[:, 1:] - data.branch_means(x).double().numpy())  # (N, K)
    nearest, high_quality = distance.argmin(axis=1), distance.min(axis=1) <= threshold_std * data.std
    shares = {f"branch {k}": float(np.mean(high_quality & (nearest == k))) for k in range(data.n_branches)}
    return pd.Series({**shares, "off": float(np.mean(~high_quality))})
