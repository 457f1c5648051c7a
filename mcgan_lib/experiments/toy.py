"""Named toy configurations: the MLP setup of a toy run and the two regimes of the toy chapters.

Two regimes, each a setup with its data:

- :data:`PLAIN_GAN_SETUP`, on the toys in their data units (ring radius 2): the configuration of the
  toy chapters as they stand. It was chosen by a search (chapter 01, section 3) for a plain GAN whose
  samples are sharp and which still misses modes on most seeds: a 16-dimensional latent, a generator of
  two hidden layers of 64 ReLU units, a discriminator of two hidden layers of 256, Adam with lr 3e-4 and
  betas (0.5, 0.999), batch 128, the non-saturating loss, 10,000 steps. The plain GAN settles on two
  neighbouring modes on most seeds and covers most of the ring on the others: a *partial* collapse.
- :data:`COLLAPSE_SETUP`, on the toys in training coordinates scaled into [−1, 1] (the ``unit_*``
  tasks; :mod:`mcgan_lib.data.toy`), the range for which the papers' λ were set: the same generator, a
  discriminator of *three* hidden layers of 256, lr 1.5e-4, 5,000 steps. The plain GAN puts sharp
  samples on a single mode, the collapse the papers picture (VEEGAN's plain GAN: 1 of 8 ring modes at
  99.3 % high quality; MR-GAN App. C; Che et al. Fig. 9). Chosen by the search recorded in
  :mod:`mcgan_lib.chapters.ch01_eight_gaussians`; chapter 07's tuning and single-mode comparison
  sweeps use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator


@dataclass(frozen=True)
class ToySetup(ExperimentSetup):
    """Networks and optimiser of a toy experiment; ``steps`` is used in full mode, ``quick_steps`` in
    quick mode (``MCGAN_QUICK=1``).

    The one network builder of the experiments: :meth:`networks` initialises G from a run's seed and
    D from the seed + ``d_seed_offset``, so two settings with the same seed start from the same
    networks. ``d_input_scale`` multiplies D's input (a 1/4 scale is commonly attributed to Metz et al., unverified).
    """

    latent_dim: int = 16
    hidden_dim: int = 64
    depth: int = 2
    activation: str = "relu"
    d_hidden_dim: int = 64
    d_depth: int = 2
    d_input_scale: float = 1.0
    d_seed_offset: int = 10_000

    def networks(self, data: DataSource, seed: int) -> tuple[MLPGenerator, MLPDiscriminator]:
        """G and D for ``data`` (flat examples), initialised from ``seed`` (G) and ``seed + d_seed_offset`` (D)."""
        if len(data.data_shape) != 1:
            raise ValueError(f"the toy MLPs need flat data, got data_shape={data.data_shape}")
        generator = MLPGenerator(
            latent_dim=self.latent_dim,
            output_dim=data.data_dim,
            hidden_dim=self.hidden_dim,
            depth=self.depth,
            condition_dim=data.condition_dim,
            activation=self.activation,
            seed=seed,
        )
        discriminator = MLPDiscriminator(
            input_dim=data.data_dim,
            hidden_dim=self.d_hidden_dim,
            depth=self.d_depth,
            condition_dim=data.condition_dim,
            activation=self.activation,
            input_scale=self.d_input_scale,
            seed=seed + self.d_seed_offset,
        )
        return generator, discriminator


PLAIN_GAN_SETUP = ToySetup(d_hidden_dim=256, batch_size=128, steps=10_000, quick_steps=1500)
COLLAPSE_SETUP = ToySetup(d_hidden_dim=256, d_depth=3, lr=1.5e-4, batch_size=128, steps=5_000, quick_steps=1500)


def setup_table(setups: dict[str, ToySetup], steps: dict[str, int] | None = None):
    """The settings of several toy setups side by side (a DataFrame: one column per label of
    ``setups``), so that a chapter can show how its configuration differs from another chapter's.

    ``steps`` overrides a setup's step count in the current mode (:meth:`ToySetup.default_steps`) for
    the labels it names, for a chapter whose runs pass their own ``steps``.
    """
    import pandas as pd

    if not setups:
        raise ValueError("setups must name at least one ToySetup, got an empty mapping")
    steps = dict(steps or {})
    unknown = sorted(set(steps) - set(setups))
    if unknown:
        raise ValueError(f"steps names labels that are not in setups: {unknown}")
    columns = {}
    for label, setup in setups.items():
        if not isinstance(setup, ToySetup):
            raise ValueError(f"setups[{label!r}] must be a ToySetup, got {type(setup).__name__}")
        columns[label] = {
            "latent dim": setup.latent_dim,
            "G hidden layers × units": f"{setup.depth} × {setup.hidden_dim}",
            "D hidden layers × units": f"{setup.d_depth} × {setup.d_hidden_dim}",
            "D input scale": setup.d_input_scale,
            "optimiser": setup.optimizer,
            "learning rate": setup.lr,
            "betas": setup.betas,
            "weight decay": setup.weight_decay,
            "gradient-norm clip": setup.grad_clip,
            "batch": setup.batch_size,
            "steps": steps.get(label, setup.default_steps()),
        }
        columns[label] = {key: "none" if value is None else str(value) for key, value in columns[label].items()}
    return pd.DataFrame(columns)
