"""MR-GAN's Appendix B setup, which chapters 02 and 03 share, its seed table (a :func:`mcgan_lib.sweeps.sweep`
per method) and one sequential run beside it. The losses and the regularizer live in
:mod:`mcgan_lib.regularizers.moment_reconstruction`, the proxy variants' predictors are fitted by
:mod:`mcgan_lib.experiments.fitting`.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.methods import get_method
from mcgan_lib.runs import RunSpec, TrainedRun, train_run
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
) -> TrainedRun:
    """One run of :func:`seed_table` (same method settings and :func:`appendix_b_setup`) trained by the
    sequential :class:`~mcgan_lib.training.Trainer`, which keeps D as well as G, for the GAN-Lab view.

    Same recipe and seed as the seed's row of :func:`seed_table`: the batched and the sequential loop
    agree to float rounding at first (``tests/test_moment_reconstruction.py``), but GAN training amplifies
    such differences over thousands of steps, so a long run is a sibling of that row, not a copy.
    """
    setup = appendix_b_setup(steps, batch_size, lr, hidden_dim, latent_dim)
    options = _offered_options(method, weight, samples_per_input, predictor_steps)
    return train_run(RunSpec(data, method, options, setup, seed))
