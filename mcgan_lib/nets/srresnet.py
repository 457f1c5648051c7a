"""A small SRResNet generator (Ledig et al. 2017, SRGAN's Fig. 4) with a noise input, as MR-GAN uses it.

SRGAN's generator is deterministic; to learn a one-to-many mapping MR-GAN (Lee et al. 2019, Sec. 5)
feeds it noise. Here z is tiled over the low-resolution input and concatenated to it (the
BicycleGAN way, as in :mod:`mcgan_lib.nets.unet`). The discriminator of the chapters is a
:class:`~mcgan_lib.nets.unet.PatchDiscriminator` conditioned on the low-resolution input.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mcgan_lib.nets.base import register_network, seeded_init
from mcgan_lib.nets.dcgan import NoiseGenerator, check_image_shape, tile
from mcgan_lib.validation import check_int


class ResidualBlock(nn.Module):
    """Conv3x3-BN-PReLU-Conv3x3-BN plus the identity (SRGAN's residual block)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.BatchNorm2d(channels),
            nn.PReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return x + self.body(x)


@register_network
class SRResNetGenerator(NoiseGenerator):
    """G: z (B, latent_dim), low-res image (B, C*h*w flattened) -> image (B, C, scale*h, scale*w).

    Head Conv9x9 + PReLU; ``n_blocks`` residual blocks; Conv3x3 + BN and a skip from the head;
    log2(``scale``) upsampling blocks Conv3x3 -> PixelShuffle(2) -> PReLU; Conv9x9 and tanh.
    SRGAN's size is ``n_blocks`` 16, ``base_channels`` 64, ``scale`` 4.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (3, 8, 8),
        scale: int = 4,
        latent_dim: int = 8,
        base_channels: int = 64,
        n_blocks: int = 16,
        seed: int | None = None,
    ):
        super().__init__()
        self.condition_shape = check_image_shape("input_shape", input_shape)
        check_int("scale", scale, minimum=2)
        if scale & (scale - 1):
            raise ValueError(f"scale must be a power of two (2, 4, 8, ...), got scale={scale}")
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=0)
        check_int("base_channels", base_channels, minimum=1)
        check_int("n_blocks", n_blocks, minimum=0)
        channels, height, width = self.condition_shape
        self.image_shape = (channels, height * scale, width * scale)
        c = base_channels
        with seeded_init(seed):
            self.head = nn.Sequential(nn.Conv2d(channels + latent_dim, c, 9, 1, 4), nn.PReLU())
            self.blocks = nn.ModuleList(ResidualBlock(c) for _ in range(n_blocks))
            self.trunk_end = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c))
            self.upsample = nn.ModuleList(
                nn.Sequential(nn.Conv2d(c, 4 * c, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU())
                for _ in range(int(math.log2(scale)))
            )
            self.output = nn.Sequential(nn.Conv2d(c, channels, 9, 1, 4), nn.Tanh())
        self.hparams = dict(
            input_shape=list(self.condition_shape),
            scale=scale,
            latent_dim=latent_dim,
            base_channels=base_channels,
            n_blocks=n_blocks,
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_latent(z)
        low_res = self._condition(z.shape[0], condition)
        h = torch.cat([low_res, tile(z, *low_res.shape[2:])], dim=1) if self.latent_dim else low_res
        features = [z]
        head = self.head(h)
        features.append(head)
        h = head
        for block in self.blocks:
            h = block(h)
            features.append(h)
        h = self.trunk_end(h) + head
        features.append(h)
        for block in self.upsample:
            h = block(h)
            features.append(h)
        out = self.output(h)
        features.append(out)
        return (out, features) if return_features else out
