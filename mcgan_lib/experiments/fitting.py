"""What is fitted before a regularized run: the networks and numbers a regularizer takes as given.

- :func:`fit_predictor`: MR-GAN's moment predictor P, fitted with the MLE loss and frozen (Lee et al.
  2019, Eq. 4.1-4.2 and Appendix B), for the proxy variants of
  :class:`~mcgan_lib.regularizers.moment_reconstruction.MomentReconstruction`; :func:`fit_predictors`
  fits the Gaussian and the Laplace one for a task;
- :func:`estimate_ere_bounds`: HMGAN's lower bounds b_i, from a generator pre-trained with every ERE 0
  (Hu et al. 2020, Eq. 6-8), for :class:`~mcgan_lib.regularizers.hierarchical.HierarchicalModeRegularizer`.

Both run training loops, so they live here, above the regularizers, which hold only the losses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from mcgan_lib.data.base import DataSource
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.hierarchical import HierarchicalModeRegularizer, ere_lower_bounds, generator_features
from mcgan_lib.regularizers.moment_reconstruction import DISTRIBUTIONS, check_mle_inputs, mle_loss
from mcgan_lib.training import Trainer
from mcgan_lib.validation import check_choice, check_float, check_int


# ---------------------------------------------------------------------------------------- MR-GAN's predictor
@dataclass
class PredictorFit:
    """The result of :func:`fit_predictor`: the step whose weights were kept and the loss curves."""

    best_step: int
    best_validation_loss: float
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)


def fit_predictor(
    predictor: MomentPredictor,
    data: DataSource,
    distribution: str = "gaussian",
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    validation_size: int = 2000,
    eval_every: int = 50,
    seed: int = 0,
) -> PredictorFit:
    """Train ``predictor`` with :func:`~mcgan_lib.regularizers.moment_reconstruction.mle_loss` on
    ``data``, keep the lowest-validation-loss weights, and freeze it (Appendix B: "train the predictor
    until it is overfitted, and use the checkpoint with the lowest validation loss"; the generator's
    training then leaves it fixed).

    Optimiser: AMSGrad with Appendix B's betas (0.5, 0.999) and weight decay 1e-4, but lr 1e-3
    (instead of 1e-4) so the toy fits in a few hundred steps. The validation set (``validation_size``
    draws) and the training batches use separate generators seeded from ``seed``.
    """
    check_choice("distribution", distribution, DISTRIBUTIONS)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_float("lr", lr, minimum=0.0, strict_minimum=True)
    validation_size = check_int("validation_size", validation_size, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    device = next(predictor.parameters()).device  # targets are compared flat: (B, data_dim), as P predicts them
    validation = data.sample_batch(validation_size, torch.Generator().manual_seed(seed + 1_000_003)).to(device)
    rng = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(predictor.parameters(), lr=lr, betas=(0.5, 0.999), weight_decay=1e-4, amsgrad=True)

    def validation_loss(check: bool = False) -> float:
        with torch.no_grad():
            center, log_spread = predictor(validation.condition, batch_size=validation_size)
            if check:  # once, before training: the predictor's outputs must have the data's shape
                check_mle_inputs(validation.real.flatten(1), center, log_spread, distribution)
            return float(mle_loss(validation.real.flatten(1), center, log_spread, distribution))

    fit = PredictorFit(best_step=0, best_validation_loss=validation_loss(check=True))
    best_state = copy.deepcopy(predictor.state_dict())
    predictor.train()
    for step in range(1, steps + 1):
        batch = data.sample_batch(batch_size, rng).to(device)
        center, log_spread = predictor(batch.condition, batch_size=batch_size)
        loss = mle_loss(batch.real.flatten(1), center, log_spread, distribution)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            current = validation_loss()
            fit.steps.append(step)
            fit.train_loss.append(loss.item())
            fit.validation_loss.append(current)
            if current < fit.best_validation_loss:
                fit.best_step, fit.best_validation_loss = step, current
                best_state = copy.deepcopy(predictor.state_dict())
    predictor.load_state_dict(best_state)
    predictor.eval()
    predictor.requires_grad_(False)
    return fit


def fit_predictors(
    data: DataSource,
    steps: int = 500,
    seed: int = 0,
    hidden_dim: int = 64,
    lr: float | None = None,
    network: Callable[[DataSource, int], MomentPredictor] | None = None,
    batch_size: int = 256,
) -> dict:
    """A frozen Gaussian and a frozen Laplace predictor for ``data`` (with their fits), for the proxy
    variants: ``{"gaussian": predictor, "laplace": predictor, "fits": {...}}``.

    ``network(data, seed)`` builds each predictor (an image task's clone of its generator, see
    :meth:`mcgan_lib.experiments.paired.PairedSetup.predictor`); None builds the MLP
    :class:`~mcgan_lib.nets.predictor.MomentPredictor` of ``hidden_dim`` units. ``lr=None`` picks 1e-2
    for an unconditional task (the predictor is just two constants per coordinate), 3e-3 for an MLP and
    1e-3 for an image network.
    """
    if lr is None:
        lr = 1e-2 if data.condition_dim == 0 else 3e-3 if network is None else 1e-3
    result: dict = {"fits": {}}
    for distribution in DISTRIBUTIONS:
        if network is None:
            predictor = MomentPredictor(
                output_dim=data.data_dim, condition_dim=data.condition_dim, hidden_dim=hidden_dim, seed=seed
            )
        else:
            predictor = network(data, seed)
        result["fits"][distribution] = fit_predictor(
            predictor, data, distribution, steps=steps, batch_size=batch_size, lr=lr, seed=seed
        )
        result[distribution] = predictor
    return result


# ---------------------------------------------------------------------------------------- HMGAN's bounds
def estimate_ere_bounds(
    data,
    generator: nn.Module,
    discriminator: nn.Module,
    config,
    beta: float = 1.0,
    n_inputs: int = 10_000,
    chunk_size: int = 1024,
    reduction: str = "mean",
    pairs: str = "batch",
    seed: int = 0,
):
    """The paper's procedure for b_i (HMGAN Eq. 6–8): pre-train with β·L_h^0, then bound over a data set.

    Trains ``generator`` (in place) against ``discriminator`` on ``data`` with ``config`` and the
    regularizer β·L_h with every ERE 0, then feeds ``n_inputs`` latents (seeded by ``seed``; with the
    conditions of a batch of ``data`` for conditional data) through G and returns
    ``(bounds, trainer)``: the (n-1,) lower bounds and the pre-training :class:`~mcgan_lib.training.Trainer`.
    """
    beta = check_float("beta", beta, minimum=0.0)
    n_inputs = check_int("n_inputs", n_inputs, minimum=2)
    regularizer = HierarchicalModeRegularizer(weight=beta, ere=0.0, reduction=reduction, pairs=pairs)
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer)
    trainer.train()
    condition = None
    if getattr(data, "condition_dim", 0):
        condition = data.sample_batch(n_inputs, torch.Generator().manual_seed(seed)).condition
    features = generator_features(generator, n_inputs, seed=seed, condition=condition)
    return ere_lower_bounds(features, chunk_size=chunk_size, reduction=reduction), trainer
