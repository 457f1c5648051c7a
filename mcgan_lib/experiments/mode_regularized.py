"""The runs of chapter 06: plain GAN, Reg-GAN and MDGAN on the toys and on 8x8 digits, over seeds
(the chapter's (λ1, λ2) slider grid is a :func:`mcgan_lib.sweeps.sweep`). The losses and regularizers live in
:mod:`mcgan_lib.regularizers.mode_regularized`; the methods are those of :mod:`mcgan_lib.methods`.

These runs keep their trainers (the chapter draws G *and* D) and score the minor mode, so they are a
loop of single runs rather than a sweep; their setup seeds D from the run's seed + 1.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.data.digits import digits
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.methods import build_method
from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
from mcgan_lib.metrics.missing_modes import missing_modes
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.nets.base import generate
from mcgan_lib.nets.digits_classifier import load_digits_classifier
from mcgan_lib.training import Trainer

METHODS = ("gan", "reg_gan", "mdgan")


def chapter_setup(
    steps: int = 1000,
    latent_dim: int = 2,
    hidden_dim: int = 64,
    batch_size: int = 128,
    lr: float = 1e-3,
    input_scale: float = 1.0,
) -> ToySetup:
    """Section 4's networks and optimiser: MLPs of ``hidden_dim`` units, Adam with betas (0.5, 0.999),
    every discriminator's input scaled by ``input_scale``, D seeded from the run's seed + 1."""
    return ToySetup(
        latent_dim=latent_dim,
        hidden_dim=hidden_dim,
        d_hidden_dim=hidden_dim,
        lr=lr,
        batch_size=batch_size,
        d_input_scale=input_scale,
        d_seed_offset=1,
        steps=steps,
        quick_steps=steps,
    )


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
) -> Trainer:
    """Train the plain GAN, Reg-GAN or MDGAN (``METHODS``) on ``data`` with :func:`chapter_setup`, through
    the one :class:`~mcgan_lib.training.Trainer`; returns the trained trainer.

    ``lambda_geometric`` is λ1 (the method's ``weight``), ``lambda_mode`` Reg-GAN's λ2.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    setup = chapter_setup(steps, latent_dim, hidden_dim, batch_size, lr, input_scale)
    generator, discriminator = setup.networks(data, seed)
    settings = {
        "reg_gan": {"weight": lambda_geometric, "lambda_mode": lambda_mode},
        "mdgan": {"weight": lambda_geometric},
    }.get(method, {})
    regularizer = build_method(method, data, setup, seed, **settings)
    config = setup.train_config(seed, steps, log_every=max(1, steps // 50))
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer, callbacks=callbacks)
    trainer.train()
    return trainer


def _table(run_one, methods, seeds) -> pd.DataFrame:
    """One row per (method, seed): the method, the seed and what ``run_one(seed, method)`` returns."""
    return pd.DataFrame([{"method": m, "seed": s, **run_one(s, m)} for m in methods for s in seeds])


def minor_mode_report(generator, mixture, minor_mode: int = 0, n_samples: int = 2500, seed: int = 0) -> dict:
    """Modes captured, the stricter modes covered, whether ``minor_mode`` is captured (>= 1 high-quality
    sample, the protocol of :mod:`mcgan_lib.metrics.toy`), its share of the HQ samples (the data's share
    is its weight), and the HQ fraction, for ``n_samples`` samples of ``generator``."""
    coverage = evaluate_mixture(generator, mixture, n_samples=n_samples, seed=seed)
    total = max(sum(coverage.samples_per_mode), 1)
    return {
        "modes_captured": coverage.modes_captured,
        "modes_covered": coverage.modes_covered,
        "minor_captured": int(coverage.samples_per_mode[minor_mode] >= 1),
        "minor_share": coverage.samples_per_mode[minor_mode] / total,
        "high_quality_fraction": coverage.high_quality_fraction,
    }


def toy_comparison(
    mixture, methods=METHODS, seeds=range(5), minor_mode: int = 0, keep: dict | None = None, **train_kwargs
):
    """Per-seed :func:`minor_mode_report` of each method trained on ``mixture`` (a DataFrame).

    When ``keep`` is a dict, ``keep[method]`` receives the trainer of the first seed (for figures).
    """
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, mixture, seed=seed, **train_kwargs)
        if keep is not None and seed == first_seed:
            keep[method] = trainer
        return minor_mode_report(trainer.generator, mixture, minor_mode)

    return _table(run_one, methods, list(seeds))


DIGIT_SIGMAS = (0.5, 1.0)


def digits_report(
    generator,
    classifier,
    train_data,
    test_data,
    n_samples: int = 1000,
    sigmas=DIGIT_SIGMAS,
    d_star_steps: int = 500,
    seed: int = 0,
) -> dict:
    """MODE score, inception score, per-class histogram (``class_0`` ... ``class_9``, argmax of the
    classifier) and the missing-mode count for each σ (``missing_sigma_<σ>``) of a digits generator.

    ``n_samples`` generated digits (latents seeded by ``seed``) are scored by ``classifier``; D* is
    trained on ``train_data.real`` vs the same samples and evaluated on ``test_data.real``.
    """
    fake = generate(generator, n_samples, seed).cpu()
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


def digits_comparison(
    methods=METHODS, seeds=range(5), sigmas=DIGIT_SIGMAS, d_star_steps: int = 500, n_show: int = 16, **train_kwargs
):
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
        return digits_report(
            trainer.generator, classifier, train_data, test_data, sigmas=sigmas, d_star_steps=d_star_steps, seed=seed
        )

    return _table(run_one, methods, list(seeds)), samples
