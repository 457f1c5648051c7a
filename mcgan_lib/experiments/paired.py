"""Image-to-image experiments: the networks of the paired chapters and the configurations they train.

:class:`PairedSetup` is to the paired tasks (an input image x, a target y, G(x, z)) what
:class:`~mcgan_lib.experiments.images.ImageSetup` is to the noise-to-image ones: it builds a run's
generator and discriminator and its :class:`~mcgan_lib.training.TrainConfig`, so
:func:`mcgan_lib.sweeps.sweep` trains, scores and stores paired runs exactly as any other. The networks
are the papers':

- ``"unet"``: pix2pix's U-Net with BicycleGAN's noise injection (:class:`~mcgan_lib.nets.unet.UNetGenerator`),
  used by MSGAN, HMGAN and MR-GAN for translation;
- ``"srresnet"``: SRGAN's generator with noise (:class:`~mcgan_lib.nets.srresnet.SRResNetGenerator`), MR-GAN's
  super-resolution network;
- ``"glcic"``: the GLCIC completion network and its global + local discriminator
  (:mod:`mcgan_lib.nets.inpainting`), MR-GAN's inpainting networks.

With ``architecture="auto"`` the U-Net is used when input and output have the same size and SRResNet when
the output is an integer multiple of the input (super-resolution). The discriminator is pix2pix's
PatchGAN conditioned on the input, except for GLCIC.

:meth:`PairedSetup.predictor` builds proxy MR-GAN's predictor for the task: "a clone of the generator with
(i) no noise source as input and (ii) prediction of both mean and variance as output" (MR-GAN thesis,
Sec. 4.3), here the same network without z, with twice the output channels and no tanh on them. For
inpainting the clone is the U-Net (GLCIC's output pastes the known pixels back, which a two-moment output
cannot do): a choice of ours, stated in chapter 10.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.nets.inpainting import GLCICDiscriminator, GLCICGenerator
from mcgan_lib.nets.predictor import ImageMomentPredictor
from mcgan_lib.nets.srresnet import SRResNetGenerator
from mcgan_lib.nets.unet import PatchDiscriminator, UNetGenerator
from mcgan_lib.validation import check_choice, check_int

ARCHITECTURES = ("auto", "unet", "srresnet", "glcic")


def _paired_shapes(data: DataSource) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(input shape, output shape) of a paired image task, or a clear error for any other data."""
    if getattr(data, "kind", None) != "paired" or len(data.data_shape) != 3:
        raise ValueError(
            "a PairedSetup needs a paired image task (an ImageDataset with inputs); got "
            f"{type(data).__name__} of kind {getattr(data, 'kind', 'unknown')!r}"
        )
    return tuple(data.condition_shape), tuple(data.data_shape)


@dataclass(frozen=True)
class PairedSetup(ExperimentSetup):
    """Generator, discriminator and optimiser of an image-to-image experiment.

    ``g_channels``/``depth``: the U-Net's first width and number of levels (SRResNet: width and residual
    blocks; GLCIC: width and dilated layers); ``d_channels``/``d_layers``: PatchGAN's first width and
    stride-2 layers (GLCIC: width and global layers). The defaults are pix2pix's optimiser (Adam, lr 2e-4,
    betas (0.5, 0.999)) at a CPU size: 16x16 images, a 3-level U-Net of width 16.
    """

    architecture: str = "auto"
    latent_dim: int = 8
    noise_injection: str = "input"
    g_channels: int = 16
    depth: int = 3
    d_channels: int = 16
    d_layers: int = 1
    d_seed_offset: int = 10_000
    lr: float = 2e-4
    batch_size: int = 32
    steps: int = 2000
    quick_steps: int = 200

    def resolved_architecture(self, data: DataSource) -> str:
        """The architecture for ``data``: ``architecture``, or for ``"auto"`` the U-Net when input and output
        have the same size and SRResNet when the output is larger (super-resolution)."""
        check_choice("architecture", self.architecture, ARCHITECTURES)
        if self.architecture != "auto":
            return self.architecture
        inputs, outputs = _paired_shapes(data)
        return "unet" if inputs[1:] == outputs[1:] else "srresnet"

    def _generator(self, data: DataSource, seed: int, latent_dim: int, output_channels: int, architecture: str):
        inputs, outputs = _paired_shapes(data)
        if architecture == "unet":
            return UNetGenerator(
                input_shape=inputs,
                output_channels=output_channels,
                latent_dim=latent_dim,
                base_channels=self.g_channels,
                depth=self.depth,
                noise_injection=self.noise_injection,
                seed=seed,
            )
        if architecture == "srresnet":
            scale = outputs[1] // inputs[1]
            if outputs[1:] != (inputs[1] * scale, inputs[2] * scale):
                raise ValueError(f"SRResNet needs an integer multiple of its input size, got {inputs} -> {outputs}")
            return SRResNetGenerator(
                input_shape=inputs,
                scale=scale,
                latent_dim=latent_dim,
                base_channels=self.g_channels,
                n_blocks=self.depth,
                seed=seed,
            )
        return GLCICGenerator(
            image_shape=outputs, latent_dim=latent_dim, base_channels=self.g_channels, n_dilated=self.depth, seed=seed
        )

    def networks(self, data: DataSource, seed: int):
        """G(x, z) and D(x, y) for the paired task ``data``."""
        seed = check_int("seed", seed, minimum=0)
        architecture = self.resolved_architecture(data)
        inputs, outputs = _paired_shapes(data)
        generator = self._generator(data, seed, self.latent_dim, outputs[0], architecture)
        if architecture == "glcic":
            discriminator = GLCICDiscriminator(
                image_shape=outputs,
                base_channels=self.d_channels,
                global_layers=self.d_layers,
                local_layers=max(1, self.d_layers - 1),
                seed=seed + self.d_seed_offset,
            )
        else:
            discriminator = PatchDiscriminator(
                image_shape=outputs,
                condition_shape=inputs,
                base_channels=self.d_channels,
                n_layers=self.d_layers,
                seed=seed + self.d_seed_offset,
            )
        return generator, discriminator

    def predictor(self, data: DataSource, seed: int = 0) -> ImageMomentPredictor:
        """Proxy MR-GAN's predictor: the generator's network without z and with a mean and a log-spread
        channel per output channel (the U-Net for inpainting; see the module docstring)."""
        architecture = self.resolved_architecture(data)
        architecture = "unet" if architecture == "glcic" else architecture
        outputs = _paired_shapes(data)[1]
        if architecture == "srresnet":
            center, spread = (self._generator(data, seed + k, 0, outputs[0], architecture) for k in (0, 1))
            return ImageMomentPredictor(center, spread)
        return ImageMomentPredictor(self._generator(data, seed, 0, 2 * outputs[0], architecture))
