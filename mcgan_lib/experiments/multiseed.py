"""Train one setting over several seeds and tabulate the mode-coverage metrics (for every chapter).

- :func:`run_seeds` trains (data, regularizer factory, seeds) with the one :class:`Trainer` and returns a
  pandas table, one row per seed: modes captured, high-quality fraction, reverse KL for a Gaussian
  mixture; branches per condition, HQ fraction, reverse KL for :class:`BranchingConditional`; or what
  a custom ``evaluate(generator, data)`` returns.
- :func:`sweep_weights` does the same over a list of regularizer weights λ (the precomputed grid that a
  chapter's slider indexes into).
- :func:`summarize` turns a table into "mean ± std" per setting (std with ddof=1, the sample std).

Seeding: the run with seed s uses ``TrainConfig(seed=s)`` for data and latents, ``seed=s`` for G's
initial weights and ``seed=s + 10_000`` for D's (as :func:`mcgan_lib.experiments.toy.train_toy`), so two
settings with the same seed start from the same networks and see the same first batch.

:func:`arguments_from_setup` turns chapter 01's :data:`mcgan_lib.experiments.PLAIN_GAN_SETUP` (or any
:class:`ToySetup`) into the ``(config, net_kwargs)`` pair taken here.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from mcgan_lib.data.base import DataSource
from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP
from mcgan_lib.metrics.toy import conditional_branch_coverage, evaluate_mixture
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.training import TrainConfig, Trainer
from mcgan_lib.validation import check_int

DISCRIMINATOR_SEED_OFFSET = 10_000


def arguments_from_setup(setup=None, steps: int | None = None, **overrides) -> tuple[TrainConfig, dict]:
    """``(config, net_kwargs)`` of a :class:`mcgan_lib.experiments.ToySetup` (default: chapter 01's
    ``PLAIN_GAN_SETUP``); ``steps`` None uses the setup's full- or quick-mode step count."""
    setup = PLAIN_GAN_SETUP if setup is None else setup
    net_kwargs = {
        "generator": {"latent_dim": setup.latent_dim, "hidden_dim": setup.hidden_dim, "depth": setup.depth,
                      "activation": setup.activation},
        "discriminator": {"hidden_dim": setup.d_hidden_dim, "depth": setup.d_depth, "activation": setup.activation},
    }
    return setup.train_config(seed=0, steps=steps, **overrides), net_kwargs


def build_networks(data: DataSource, net_kwargs: dict | None, seed: int):
    """G and D for ``data`` (its dimension and condition size filled in), initialised from ``seed``.

    ``net_kwargs`` None gives the networks of chapter 01's ``PLAIN_GAN_SETUP``."""
    net_kwargs = arguments_from_setup()[1] if net_kwargs is None else net_kwargs
    unknown = set(net_kwargs) - {"generator", "discriminator"}
    if unknown:
        raise ValueError(f"net_kwargs may only have the keys 'generator' and 'discriminator', got {sorted(unknown)}")
    if len(data.data_shape) != 1:
        raise ValueError(f"the MLP nets need flat data, got data_shape={data.data_shape}")
    common = {"condition_dim": data.condition_dim}
    generator = MLPGenerator(
        output_dim=data.data_shape[0], **common, **net_kwargs.get("generator", {}), seed=seed
    )
    discriminator = MLPDiscriminator(
        input_dim=data.data_shape[0], **common, **net_kwargs.get("discriminator", {}),
        seed=seed + DISCRIMINATOR_SEED_OFFSET,
    )
    return generator, discriminator


def default_evaluate(generator, data, n_samples: int = 2500) -> dict[str, float]:
    """The chapter metrics for the toys: VEEGAN/PacGAN protocol (``n_samples`` samples) or branch coverage."""
    if isinstance(data, GaussianMixture):
        return evaluate_mixture(generator, data, n_samples=n_samples).scalars()
    if isinstance(data, BranchingConditional):
        return conditional_branch_coverage(generator, data)
    raise ValueError(
        f"no default metric for data of type {type(data).__name__}; pass evaluate(generator, data) -> dict"
    )


@torch.no_grad()
def _samples(generator, data, n: int) -> np.ndarray:
    rng = torch.Generator().manual_seed(0)
    z = generator.sample_latent(n, rng, device="cpu")
    condition = None
    if data.condition_dim:
        condition = torch.linspace(-1, 1, n)[:, None] if isinstance(data, BranchingConditional) else data.sample_condition(n, rng)
    was_training = generator.training
    generator.eval()
    out = generator(z, condition).cpu()
    generator.train(was_training)
    if condition is not None:
        out = torch.cat([condition.cpu(), out], dim=1)
    return out.numpy()


def run_seeds(
    data: DataSource,
    make_regularizer: Callable[[], Regularizer | None] | None,
    seeds: Iterable[int],
    config: TrainConfig,
    net_kwargs: dict | None = None,
    evaluate: Callable | None = None,
    keep_samples: int = 0,
    label: str | None = None,
    keep_generator: bool = False,
) -> pd.DataFrame:
    """Train one setting once per seed and return one row of metrics per seed.

    ``make_regularizer()`` builds a fresh regularizer for each run (None, or a factory returning None,
    is the plain GAN). ``config`` is copied with ``seed`` replaced. ``net_kwargs``: ``{"generator":
    {...}, "discriminator": {...}}`` for the MLP nets (default: chapter 01's networks).
    ``keep_samples > 0`` adds a ``samples`` column holding that many generated points (numpy; for a
    conditional task each row is (x, y) with x evenly spaced in [-1, 1]); ``keep_generator`` adds a
    ``generator`` column with the trained G. Columns: ``setting``, ``seed``, the metrics, and
    ``train_seconds``.
    """
    import time

    seeds = [check_int("seeds[i]", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty list")
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    keep_samples = check_int("keep_samples", keep_samples, minimum=0)
    evaluate = default_evaluate if evaluate is None else evaluate
    rows = []
    for seed in seeds:
        regularizer = make_regularizer() if make_regularizer is not None else None
        generator, discriminator = build_networks(data, net_kwargs, seed)
        trainer = Trainer(data, generator, discriminator, dataclasses.replace(config, seed=seed), regularizer=regularizer)
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        name = label if label is not None else (trainer.regularizer.name if regularizer is not None else "plain GAN")
        row = {"setting": name, "seed": seed, **evaluate(generator, data), "train_seconds": seconds}
        if keep_samples:
            row["samples"] = _samples(generator, data, keep_samples)
        if keep_generator:
            row["generator"] = generator
        rows.append(row)
    return pd.DataFrame(rows)


def table_over_settings(run_one: Callable[..., dict], settings: list[dict], seeds) -> pd.DataFrame:
    """A per-seed table for runs that are not a single regularizer factory: ``run_one(seed=s, **setting)``
    returns a dict of numbers for every setting and seed; each row holds the setting, ``seed`` and them."""
    rows = []
    for setting in settings:
        for seed in seeds:
            rows.append({**setting, "seed": seed, **run_one(seed=seed, **setting)})
    return pd.DataFrame(rows)


def sweep_weights(
    data: DataSource,
    make_regularizer: Callable[[float], Regularizer | None],
    weights: Sequence[float],
    seeds: Iterable[int],
    config: TrainConfig,
    net_kwargs: dict | None = None,
    keep_samples: int = 0,
) -> pd.DataFrame:
    """:func:`run_seeds` for each λ in ``weights`` (``make_regularizer(λ)``); adds a ``weight`` column."""
    seeds = list(seeds)
    tables = []
    for weight in weights:
        table = run_seeds(
            data, lambda: make_regularizer(weight), seeds, config, net_kwargs, keep_samples=keep_samples,
            label=f"λ={weight:g}",
        )
        table.insert(1, "weight", float(weight))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def summarize(table: pd.DataFrame, by: str = "setting", metrics: Sequence[str] | None = None, digits: int = 2) -> pd.DataFrame:
    """"mean ± std" (sample std, ddof=1; 0 for one seed) of each metric per value of ``by``, plus the seed count."""
    if metrics is None:
        skip = {by, "seed", "weight", "samples", "generator", "setting", "train_seconds"}
        metrics = [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])]
    grouped = table.groupby(by, sort=False)
    out = pd.DataFrame(index=grouped.size().index)
    for metric in metrics:
        mean = grouped[metric].mean()
        std = grouped[metric].std(ddof=1).fillna(0.0)
        out[metric] = [f"{m:.{digits}f} ± {s:.{digits}f}" for m, s in zip(mean, std)]
    out["seeds"] = grouped.size()
    return out
