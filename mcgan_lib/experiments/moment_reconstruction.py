"""The runs of chapters 02 and 03 (MR-GAN): one objective trained on a toy with the library's
:class:`~mcgan_lib.training.Trainer`, and tables over seeds (chapter 03's (variant, K, λ) slider grid is a
:func:`mcgan_lib.sweeps.sweep`). The losses and the regularizer live in
:mod:`mcgan_lib.regularizers.moment_reconstruction`; tables are summarised with
:func:`mcgan_lib.experiments.multiseed.summarize`.
"""

from __future__ import annotations

import torch

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.fitting import fit_predictor
from mcgan_lib.experiments.multiseed import default_evaluate
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.regularizers.moment_reconstruction import (
    DISTRIBUTIONS,
    VARIANTS,
    MomentReconstruction,
    parse_variant,
)
from mcgan_lib.regularizers.reconstruction import Reconstruction
from mcgan_lib.training import TrainConfig, Trainer
from mcgan_lib.validation import check_choice


BASELINES = ("gan", "gan+l2", "gan+l1", "l2", "l1")
OBJECTIVES = BASELINES + VARIANTS


def appendix_b_config(steps: int, batch_size: int = 32, lr: float = 1e-3, seed: int = 0, **overrides):
    """Appendix B's optimiser (AMSGrad, betas (0.5, 0.999), weight decay 1e-4, clipping 0.5).

    Differences, stated in chapter 03: lr defaults to 1e-3, not 1e-4, so that the toy trains in a
    few thousand steps on a CPU; the clipping is of the gradient *norm* per network (the library's
    loop), not of each value.
    """
    settings = dict(
        steps=steps, batch_size=batch_size, lr_g=lr, lr_d=lr, betas=(0.5, 0.999), optimizer="amsgrad",
        weight_decay=1e-4, grad_clip=0.5, seed=seed, log_every=max(1, steps // 50),
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def make_objective(
    objective: str,
    weight: float = 1.0,
    samples_per_input: int = 8,
    predictors: dict[str, MomentPredictor] | None = None,
) -> Regularizer | None:
    """The regularizer for a named objective: "gan" (None), "gan+l2", "gan+l1", "l2"/"l1" (the
    reconstruction loss alone, adversarial weight 0), or one of :data:`VARIANTS` (proxy variants take
    the predictor fitted for their distribution from ``predictors``)."""
    check_choice("objective", objective, OBJECTIVES)
    if objective == "gan":
        return None
    if objective in BASELINES:
        alone = not objective.startswith("gan+")
        return Reconstruction(weight, p=int(objective[-1]), adversarial_weight=0.0 if alone else 1.0)
    distribution, moments, proxy = parse_variant(objective)
    predictor = None
    if proxy:
        if not predictors or distribution not in predictors:
            raise ValueError(f"predictors must hold a fitted '{distribution}' predictor for objective {objective!r}")
        predictor = predictors[distribution]
    return MomentReconstruction(weight, samples_per_input, distribution, moments, predictor)


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


def train_objective(
    data: DataSource,
    objective: str,
    seed: int = 0,
    steps: int = 1000,
    weight: float = 1.0,
    samples_per_input: int = 8,
    predictors: dict | None = None,
    batch_size: int = 32,
    lr: float = 1e-3,
    hidden_dim: int = 64,
    latent_dim: int = 2,
    callbacks=(),
):
    """Train a 3-layer MLP generator (2 hidden layers + output, as Appendix C's "simple 3-layer
    MLP") and a 3-layer MLP discriminator with one objective; return the :class:`Trainer`."""
    generator = MLPGenerator(
        latent_dim=latent_dim, output_dim=data.data_dim, hidden_dim=hidden_dim, depth=2,
        condition_dim=data.condition_dim, seed=seed,
    )
    discriminator = MLPDiscriminator(
        input_dim=data.data_dim, hidden_dim=hidden_dim, depth=2, condition_dim=data.condition_dim, seed=seed + 10_000
    )
    regularizer = make_objective(objective, weight, samples_per_input, predictors)
    trainer = Trainer(
        data, generator, discriminator, appendix_b_config(steps, batch_size, lr, seed), regularizer, callbacks
    )
    trainer.train()
    return trainer


def seed_table(
    data: DataSource,
    objectives,
    seeds,
    steps: int = 1000,
    n_eval_samples: int = 2500,
    predictor_steps: int = 500,
    **train_kwargs,
):
    """Train every objective with every seed; return ``(runs, generators)``: a DataFrame with one row per
    (objective, seed) and its scores (mode coverage for a mixture, branch coverage for a conditional
    toy), and ``generators[objective]``, the first seed's trained generator (for the figures).

    Proxy variants use predictors fitted once (seed 0) on ``data``.
    """
    import pandas as pd

    objectives, seeds = list(objectives), list(seeds)
    for objective in objectives:
        check_choice("objective", objective, OBJECTIVES)
    needs_predictor = any("proxy" in o for o in objectives)
    predictors = fit_predictors(data, steps=predictor_steps) if needs_predictor else None
    rows, generators = [], {}
    for objective in objectives:
        for seed in seeds:
            trainer = train_objective(data, objective, seed, steps, predictors=predictors, **train_kwargs)
            rows.append({"objective": objective, "seed": seed, **default_evaluate(trainer.generator, data, n_eval_samples)})
            if seed == seeds[0]:
                generators[objective] = trainer.generator.eval()
    return pd.DataFrame(rows), generators


@torch.no_grad()
def conditional_sample_statistics(generator, xs: torch.Tensor, n_samples: int = 500, seed: int = 0):
    """Per condition in ``xs`` (N, 1): the generator's sample mean and (unbiased) variance of y over
    ``n_samples`` latents, each (N,), and the samples (N, n_samples)."""
    rng = torch.Generator().manual_seed(seed)
    condition = xs.repeat_interleave(n_samples, dim=0)
    z = generator.sample_latent(condition.shape[0], rng, device="cpu")
    was_training = generator.training
    generator.eval()
    y = generator(z, condition).reshape(xs.shape[0], n_samples)
    generator.train(was_training)
    return y.mean(dim=1), y.var(dim=1, unbiased=True), y
