"""pix2pix networks: a U-Net generator with a noise input and a PatchGAN discriminator.

- :class:`UNetGenerator` (Isola et al. 2017, Sec. 3.2.1) maps an input image (the condition) to an
  output image through ``depth`` stride-2 encoder convolutions and a mirrored decoder with skip
  connections. Pix2pix's only noise is dropout, which its generator learns to ignore; MSGAN, HMGAN
  and MR-GAN use BicycleGAN's generator instead, where z is tiled over the image and concatenated
  (Zhu et al. 2017): ``noise_injection="input"`` concatenates it to the input only (BicycleGAN's
  ``G_Unet_add_input``), ``"all"`` to the input of every encoder layer (``G_Unet_add_all``).
- :class:`PatchDiscriminator` (pix2pix's 70x70 PatchGAN at full size) sees the input image and the
  output image concatenated and returns one logit per patch, shape (B, h, w). The library's losses
  average over every element, which is PatchGAN's mean over patches.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mcgan_lib.nets.base import register_network, seeded_init
from mcgan_lib.nets.dcgan import ImageNetwork, NoiseGenerator, check_image_shape, tile
from mcgan_lib.validation import check_choice, check_int

NOISE_INJECTIONS = ("input", "all")


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True)


@register_network
class UNetGenerator(NoiseGenerator):
    """G: z (B, latent_dim), input image (B, C_in*H*W flattened) -> output image (B, C_out, H, W).

    Encoder level i: Conv(4, stride 2) to ``base_channels * 2**min(i, 3)`` channels, instance norm
    (not on the first nor on the innermost, which is 1x1 at full size, as in pix2pix), LeakyReLU(0.2).
    Decoder: ConvTranspose(4, stride 2), instance norm, ReLU,
    concatenated with the mirrored encoder output; a final ConvTranspose and tanh. ``depth`` 8 with
    ``base_channels`` 64 is pix2pix's 256x256 U-Net; H and W must be divisible by 2**depth.
    ``latent_dim`` 0 gives a noiseless U-Net (pix2pix without dropout).
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (3, 32, 32),
        output_channels: int = 3,
        latent_dim: int = 8,
        base_channels: int = 64,
        depth: int = 5,
        noise_injection: str = "input",
        seed: int | None = None,
    ):
        super().__init__()
        check_int("depth", depth, minimum=1)
        self.condition_shape = check_image_shape("input_shape", input_shape, depth)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=0)
        check_int("output_channels", output_channels, minimum=1)
        check_int("base_channels", base_channels, minimum=1)
        self.noise_injection = check_choice("noise_injection", noise_injection, NOISE_INJECTIONS)
        self.image_shape = (output_channels, *self.condition_shape[1:])
        widths = [base_channels * 2 ** min(i, 3) for i in range(depth)]
        extra = latent_dim if noise_injection == "all" else 0
        with seeded_init(seed):
            encoder_inputs = [self.condition_shape[0] + latent_dim] + [w + extra for w in widths[:-1]]
            self.encoder = nn.ModuleList(
                nn.Sequential(nn.Conv2d(a, b, 4, 2, 1), *([_norm(b)] if 0 < i < depth - 1 else []), nn.LeakyReLU(0.2))
                for i, (a, b) in enumerate(zip(encoder_inputs, widths))
            )
            decoder = []
            for i in reversed(range(1, depth)):  # from the bottleneck up to level 1
                inputs = widths[i] * (1 if i == depth - 1 else 2)
                decoder.append(
                    nn.Sequential(nn.ConvTranspose2d(inputs, widths[i - 1], 4, 2, 1), _norm(widths[i - 1]), nn.ReLU())
                )
            self.decoder = nn.ModuleList(decoder)
            self.output = nn.Sequential(
                nn.ConvTranspose2d(widths[0] * (2 if depth > 1 else 1), output_channels, 4, 2, 1), nn.Tanh()
            )
        self.hparams = dict(
            input_shape=list(self.condition_shape),
            output_channels=output_channels,
            latent_dim=latent_dim,
            base_channels=base_channels,
            depth=depth,
            noise_injection=noise_injection,
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_latent(z)
        x = self._condition(z.shape[0], condition)
        features = [z]
        h = x
        skips = []
        for i, layer in enumerate(self.encoder):
            if self.latent_dim and (i == 0 or self.noise_injection == "all"):
                h = torch.cat([h, tile(z, *h.shape[2:])], dim=1)
            h = layer(h)
            skips.append(h)
            features.append(h)
        for j, layer in enumerate(self.decoder):
            h = layer(h if j == 0 else torch.cat([h, skips[-1 - j]], dim=1))
            features.append(h)
        out = self.output(h if len(self.encoder) == 1 else torch.cat([h, skips[0]], dim=1))
        features.append(out)
        return (out, features) if return_features else out


@register_network
class PatchDiscriminator(ImageNetwork):
    """D: image (B, *image_shape) [+ condition image] -> patch logits (B, h, w).

    ``n_layers`` Conv(4, stride 2) + norm + LeakyReLU(0.2) blocks (no norm on the first), one stride-1
    block, and a 1-channel stride-1 conv: pix2pix's ``NLayerDiscriminator``. A condition image is
    concatenated to the input as extra channels; when its size differs from the output's (the
    low-resolution input of super-resolution) it is first upsampled (nearest) to the output's size.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        condition_shape: tuple[int, int, int] | None = None,
        base_channels: int = 64,
        n_layers: int = 3,
        seed: int | None = None,
    ):
        super().__init__()
        check_int("n_layers", n_layers, minimum=1)
        check_int("base_channels", base_channels, minimum=1)
        self.image_shape = check_image_shape("image_shape", image_shape, n_layers)
        if min(self.image_shape[1:]) >> n_layers < 3:
            raise ValueError(
                f"image_shape={self.image_shape} is too small for n_layers={n_layers}: height and width must be at "
                f"least 3 * 2**n_layers = {3 * 2**n_layers} (two stride-1 4x4 convolutions follow); use fewer layers"
            )
        self.condition_shape = () if condition_shape is None else check_image_shape("condition_shape", condition_shape)
        in_channels = self.image_shape[0] + (self.condition_shape[0] if self.condition_shape else 0)
        widths = [in_channels] + [base_channels * 2 ** min(i, 3) for i in range(n_layers + 1)]
        with seeded_init(seed):
            blocks = []
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
                stride = 2 if i < n_layers else 1
                blocks.append(
                    nn.Sequential(nn.Conv2d(a, b, 4, stride, 1), *([] if i == 0 else [_norm(b)]), nn.LeakyReLU(0.2))
                )
            self.blocks = nn.ModuleList(blocks)
            self.output = nn.Conv2d(widths[-1], 1, 4, 1, 1)
        self.hparams = dict(
            image_shape=list(self.image_shape),
            condition_shape=list(self.condition_shape) or None,
            base_channels=base_channels,
            n_layers=n_layers,
        )
        with torch.no_grad():
            self.patch_shape = tuple(self.forward(torch.zeros(1, *self.image_shape), self._zeros_condition()).shape[1:])

    def _zeros_condition(self):
        return torch.zeros(1, math.prod(self.condition_shape)) if self.condition_shape else None

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_images("x", x, self.image_shape)
        condition = self._condition(x.shape[0], condition)
        h = x
        if condition is not None:
            if condition.shape[2:] != x.shape[2:]:
                condition = F.interpolate(condition, size=x.shape[2:], mode="nearest")
            h = torch.cat([condition, x], dim=1)
        features = [x]
        for block in self.blocks:
            h = block(h)
            features.append(h)
        logits = self.output(h).squeeze(1)
        features.append(logits)
        return (logits, features) if return_features else logits
