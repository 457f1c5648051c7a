"""Image experiments: the DCGAN setup of the image chapters and the configurations they train.

:class:`ImageSetup` is to the image tasks what :class:`~mcgan_lib.experiments.toy.ToySetup` is to the
toys: it builds a run's DCGAN generator and discriminator (:mod:`mcgan_lib.nets.dcgan`, class-conditional
when the data has labels) and its :class:`~mcgan_lib.training.TrainConfig`, so
:func:`mcgan_lib.sweeps.sweep` trains, scores and stores image runs exactly as it does toy runs (one
:class:`~mcgan_lib.training.Trainer` per member: batch norm keeps per-network statistics, which an
ensemble cannot split).

:data:`CATEGORICAL_SETUP` is chapter 08's configuration, on Stacked-Digits and on the class-conditional
digits. Its discriminator has a quarter of the generator's channels, PacGAN's "D = ¼ G" setting (Lin et
al. 2018, Table 3), in which their DCGAN captures 78.5 of Stacked MNIST's 1,000 modes: the setting in
which a plain DCGAN collapses, so that the regularizers have something to fix. With equal widths
(:data:`BALANCED_SETUP`) the same plain DCGAN captures most modes (chapter 08, section 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from mcgan_lib.validation import check_int


@dataclass(frozen=True)
class ImageSetup(ExperimentSetup):
    """DCGAN networks and optimiser of an image experiment (``steps`` in full mode, ``quick_steps`` in quick).

    G: ``latent_dim`` -> ``g_channels * 2**(resamplings-1)`` maps, ``resamplings`` up-convolutions;
    D: ``resamplings`` strided convolutions from ``d_channels``. The defaults are DCGAN's optimiser
    (Adam, lr 2e-4, betas (0.5, 0.999); Radford et al. 2016) at a CPU size.
    """

    latent_dim: int = 16
    g_channels: int = 32
    d_channels: int = 32
    resamplings: int = 2
    d_seed_offset: int = 10_000
    lr: float = 2e-4
    batch_size: int = 64
    steps: int = 3000
    quick_steps: int = 300

    def networks(self, data: DataSource, seed: int) -> tuple[DCGANGenerator, DCGANDiscriminator]:
        """A DCGAN pair for ``data``'s (C, H, W) images, conditioned on its classes when it has labels."""
        seed = check_int("seed", seed, minimum=0)
        if len(data.data_shape) != 3:
            raise ValueError(f"an ImageSetup needs image data (C, H, W), got data_shape={data.data_shape}")
        if getattr(data, "kind", "unconditional") == "paired":
            raise ValueError("an ImageSetup builds noise-to-image DCGANs; paired data needs an image-to-image network")
        num_classes = getattr(data, "num_classes", 0) or 0
        generator = DCGANGenerator(
            latent_dim=self.latent_dim,
            image_shape=data.data_shape,
            num_classes=num_classes,
            base_channels=self.g_channels,
            upsamplings=self.resamplings,
            seed=seed,
        )
        discriminator = DCGANDiscriminator(
            image_shape=data.data_shape,
            num_classes=num_classes,
            base_channels=self.d_channels,
            downsamplings=self.resamplings,
            seed=seed + self.d_seed_offset,
        )
        return generator, discriminator


CATEGORICAL_SETUP = ImageSetup(d_channels=8, steps=2000, quick_steps=400)
BALANCED_SETUP = CATEGORICAL_SETUP.replace(d_channels=CATEGORICAL_SETUP.g_channels)
