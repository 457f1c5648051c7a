"""The runs of chapter 06: plain GAN, Reg-GAN and MDGAN on the toys and on 8x8 digits, over seeds
(the chapter's (λ1, λ2) slider grid is a :func:`mcgan_lib.sweeps.sweep`). The losses and regularizers live in
:mod:`mcgan_lib.regularizers.mode_regularized`; tables are summarised with
:func:`mcgan_lib.experiments.multiseed.summarize`.
"""

from __future__ import annotations

import torch

from mcgan_lib.data.digits import digits
from mcgan_lib.experiments.multiseed import table_over_settings
from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
from mcgan_lib.metrics.missing_modes import missing_modes
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.nets.digits_classifier import load_digits_classifier
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPEncoder, MLPGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.regularizers.mode_regularized import ManifoldDiffusionRegularizer, ModeRegularizer
from mcgan_lib.training import TrainConfig, Trainer
from mcgan_lib.validation import check_choice

METHODS = ("gan", "reg_gan", "mdgan")


def build_regularizer(
    method: str,
    data_dim: int,
    latent_dim: int,
    hidden_dim: int = 128,
    lambda_geometric: float = 0.5,
    lambda_mode: float = 0.5,
    distance: str = "squared_l2",
    seed: int = 0,
    discriminator_kwargs: dict | None = None,
) -> Regularizer | None:
    """The regularizer of ``method`` (``"gan"``: None; ``"reg_gan"``; ``"mdgan"``) with seeded networks.

    The encoder (and MDGAN's D1, D2) are MLPs of ``hidden_dim`` units, initialised from ``seed`` + an
    offset so they differ from G and D. ``discriminator_kwargs`` go to D1 and D2 (e.g. ``input_scale``).
    """
    check_choice("method", method, METHODS)
    if method == "gan":
        return None
    encoder = MLPEncoder(data_dim, latent_dim, hidden_dim=hidden_dim, seed=seed + 101)
    if method == "reg_gan":
        return ModeRegularizer(encoder, lambda_geometric, lambda_mode, distance)
    kwargs = dict(hidden_dim=hidden_dim, **(discriminator_kwargs or {}))
    d1 = MLPDiscriminator(data_dim, seed=seed + 202, **kwargs)
    d2 = MLPDiscriminator(data_dim, seed=seed + 303, **kwargs)
    return ManifoldDiffusionRegularizer(encoder, d1, d2, lambda_geometric, distance)


def train_method(
    method: str,
    data,
    seed: int = 0,
    steps: int = 1000,
    latent_dim: int = 2,
    hidden_dim: int = 64,
    batch_size: int = 128,
    lr: float = 1e-3,
    lambda_geometric: float = 0.5,
    lambda_mode: float = 0.5,
    input_scale: float = 1.0,
    callbacks=(),
):
    """Train the plain GAN, Reg-GAN or MDGAN on ``data`` with MLPs, all through the one :class:`Trainer`.

    G and D (and E, D1, D2) are MLPs of ``hidden_dim`` units seeded from ``seed``; ``input_scale`` scales
    every discriminator's input. Returns the trained :class:`~mcgan_lib.training.Trainer`.
    """
    data_dim = data.data_dim
    generator = MLPGenerator(latent_dim, data_dim, hidden_dim=hidden_dim, seed=seed)
    discriminator = MLPDiscriminator(data_dim, hidden_dim=hidden_dim, input_scale=input_scale, seed=seed + 1)
    regularizer = build_regularizer(
        method, data_dim, latent_dim, hidden_dim, lambda_geometric, lambda_mode, seed=seed,
        discriminator_kwargs={"input_scale": input_scale},
    )
    config = TrainConfig(steps=steps, batch_size=batch_size, lr_g=lr, lr_d=lr, seed=seed, log_every=max(1, steps // 50))
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer, callbacks=callbacks)
    trainer.train()
    return trainer


def minor_mode_report(generator, mixture, minor_mode: int = 0, n_samples: int = 2500, seed: int = 0) -> dict:
    """Modes captured, whether ``minor_mode`` is captured (>= 1 high-quality sample, the protocol of
    :mod:`mcgan_lib.metrics.toy`), its share of the HQ samples (the data's share is its weight), and
    the HQ fraction, for ``n_samples`` samples of ``generator``."""
    coverage = evaluate_mixture(generator, mixture, n_samples=n_samples, seed=seed)
    total = max(sum(coverage.samples_per_mode), 1)
    return {
        "modes_captured": coverage.modes_captured,
        "minor_captured": int(coverage.samples_per_mode[minor_mode] >= 1),
        "minor_share": coverage.samples_per_mode[minor_mode] / total,
        "high_quality_fraction": coverage.high_quality_fraction,
    }


def toy_comparison(mixture, methods=METHODS, seeds=range(5), minor_mode: int = 0, keep: dict | None = None,
                   **train_kwargs):
    """Per-seed :func:`minor_mode_report` of each method trained on ``mixture`` (a DataFrame).

    When ``keep`` is a dict, ``keep[method]`` receives the trainer of the first seed (for figures).
    """
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, mixture, seed=seed, **train_kwargs)
        if keep is not None and seed == first_seed:
            keep[method] = trainer
        return minor_mode_report(trainer.generator, mixture, minor_mode)

    return table_over_settings(run_one, [{"method": m} for m in methods], list(seeds))


DIGIT_SIGMAS = (0.5, 1.0)


def digits_report(generator, classifier, train_data, test_data, n_samples: int = 1000, sigmas=DIGIT_SIGMAS,
                  d_star_steps: int = 500, seed: int = 0) -> dict:
    """MODE score, inception score, per-class histogram (``class_0`` ... ``class_9``, argmax of the
    classifier) and the missing-mode count for each σ (``missing_sigma_<σ>``) of a digits generator.

    ``n_samples`` generated digits (latents seeded by ``seed``) are scored by ``classifier``; D* is
    trained on ``train_data.real`` vs the same samples and evaluated on ``test_data.real``.
    """
    rng = torch.Generator().manual_seed(seed)
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        fake = generator(generator.sample_latent(n_samples, rng, device="cpu")).cpu()
    generator.train(was_training)
    probs = classifier.probabilities(fake)
    report = {
        "mode_score": mode_score(probs, train_data.label_distribution()),
        "inception_score": inception_score(probs),
        **{f"class_{k}": float(v) for k, v in enumerate(label_histogram(probs))},
    }
    for sigma in sigmas:
        result = missing_modes(train_data.real, fake, test_data.real, sigma=sigma, steps=d_star_steps, seed=seed)
        report[f"missing_sigma_{sigma:g}"] = result.missing_count
    return report


def digits_comparison(methods=METHODS, seeds=range(5), sigmas=DIGIT_SIGMAS, d_star_steps: int = 500,
                      n_show: int = 16, **train_kwargs):
    """Train each method on the digits' train split for every seed and score it with :func:`digits_report`.

    Defaults for the nets: ``latent_dim`` 16, ``hidden_dim`` 128. Returns ``(table, samples)``:
    the per-seed table and ``samples[method]`` = ``n_show`` flat digits (n_show, 64) of the first seed.
    """
    train_data, test_data = digits("train"), digits("test")
    classifier = load_digits_classifier()
    train_kwargs = {"latent_dim": 16, "hidden_dim": 128, **train_kwargs}
    samples = {}
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, train_data, seed=seed, **train_kwargs)
        if seed == first_seed:
            samples[method] = trainer.sample(n_show)
        return digits_report(trainer.generator, classifier, train_data, test_data, sigmas=sigmas,
                             d_star_steps=d_star_steps, seed=seed)

    return table_over_settings(run_one, [{"method": m} for m in methods], list(seeds)), samples
