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

from mcgan_lib.data.base import Batch, DataSource, TensorDataSource
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.hierarchical import HierarchicalModeRegularizer, ere_lower_bounds, generator_features
from mcgan_lib.regularizers.moment_reconstruction import DISTRIBUTIONS, check_mle_inputs, mle_loss
from mcgan_lib.training import Trainer
from mcgan_lib.validation import check_choice, check_float, check_int

# ---------------------------------------------------------------------------------------- MR-GAN's predictor
HELD_OUT_FRACTION = 0.1  # of a finite data set's pairs, kept from the predictor's training for validation


@dataclass
class PredictorFit:
    """The result of :func:`fit_predictor`: the step whose weights were kept and the loss curves;
    ``held_out``: the indices of the pairs the validation loss is taken on (None: fresh draws)."""

    best_step: int
    best_validation_loss: float
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    held_out: torch.Tensor | None = None


def is_finite(data: DataSource) -> bool:
    """Whether ``data`` is a finite set of pairs held in memory (batches drawn from its rows), rather
    than a source that draws fresh examples (the toys)."""
    return isinstance(data, (TensorDataSource, ImageDataset))


def held_out_split(
    data: DataSource, seed: int = 0, fraction: float = HELD_OUT_FRACTION, max_size: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train_index, held_out_index)`` of a finite data set's rows: the first ``int(fraction · N)``
    (at least 1, at most ``max_size``) of a permutation seeded with ``seed`` are held out, the rest train."""
    if not is_finite(data):
        raise ValueError(
            f"data must be a finite data set (TensorDataSource or ImageDataset), got {type(data).__name__}"
        )
    check_float("fraction", fraction, minimum=0.0, maximum=1.0, strict_minimum=True)
    n = len(data)
    if n < 2:
        raise ValueError(f"data must hold at least 2 pairs to hold some out, got {n}")
    size = min(max(1, int(fraction * n)), n - 1)
    if max_size is not None:
        size = min(size, check_int("max_size", max_size, minimum=1))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(check_int("seed", seed, minimum=0)))
    return order[size:], order[:size]


def _rows(data: DataSource, index: torch.Tensor) -> Batch:
    """The pairs ``index`` of a finite data set, as its ``sample_batch`` would return them."""
    if isinstance(data, ImageDataset):
        return Batch(data.images[index], data._conditions(index))
    index = index.to(data.real.device)
    return Batch(data.real[index], None if data.condition is None else data.condition[index])


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

    Validation (Sec. 4.3: "we can choose the predictor with the smallest validation loss to avoid
    overfitting"): on a finite data set (:func:`is_finite`), :func:`held_out_split` holds out 10 % of
    the pairs (at most ``validation_size``), chosen by a permutation seeded with ``seed``; the training
    batches are drawn, with replacement, from the other 90 % only. A source of fresh draws (the toys)
    is validated on ``validation_size`` draws of its own. ``PredictorFit.held_out`` names the held-out rows.

    Optimiser: AMSGrad with Appendix B's betas (0.5, 0.999) and weight decay 1e-4, but lr 1e-3
    (instead of 1e-4) so the toy fits in a few hundred steps. The validation draws and the training
    batches use separate generators seeded from ``seed``.
    """
    check_choice("distribution", distribution, DISTRIBUTIONS)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_float("lr", lr, minimum=0.0, strict_minimum=True)
    validation_size = check_int("validation_size", validation_size, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    device = next(predictor.parameters()).device  # targets are compared flat: (B, data_dim), as P predicts them
    held_out = train_index = None
    if is_finite(data):
        train_index, held_out = held_out_split(data, seed, max_size=validation_size)
        validation = _rows(data, held_out).to(device)
    else:
        validation = data.sample_batch(validation_size, torch.Generator().manual_seed(seed + 1_000_003)).to(device)
    validation_size = len(validation)
    rng = torch.Generator().manual_seed(seed)

    def training_batch() -> Batch:
        if train_index is None:
            return data.sample_batch(batch_size, rng)
        return _rows(data, train_index[torch.randint(len(train_index), (batch_size,), generator=rng)])

    optimizer = torch.optim.Adam(predictor.parameters(), lr=lr, betas=(0.5, 0.999), weight_decay=1e-4, amsgrad=True)

    def validation_loss(check: bool = False) -> float:
        with torch.no_grad():
            center, log_spread = predictor(validation.condition, batch_size=validation_size)
            if check:  # once, before training: the predictor's outputs must have the data's shape
                check_mle_inputs(validation.real.flatten(1), center, log_spread, distribution)
            return float(mle_loss(validation.real.flatten(1), center, log_spread, distribution))

    fit = PredictorFit(best_step=0, best_validation_loss=validation_loss(check=True), held_out=held_out)
    best_state = copy.deepcopy(predictor.state_dict())
    predictor.train()
    for step in range(1, steps + 1):
        batch = training_batch().to(device)
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
