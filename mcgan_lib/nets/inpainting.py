"""A GLCIC-style inpainting network (Iizuka et al. 2017) with a noise input, as MR-GAN uses it.

- :class:`GLCICGenerator`: an encoder (two stride-2 convolutions), a trunk of dilated convolutions
  (dilations 2, 4, 8, 16 at full size) that widens the receptive field over the hole, and a decoder
  back to full size. The condition is the masked image and its mask (C + 1 channels, see
  :func:`mcgan_lib.data.paired.inpainting_pairs`); z is tiled and concatenated to it. The output is
  composited: known pixels are copied from the input, the network only fills the hole (GLCIC's
  completion).
- :class:`GLCICDiscriminator`: a global branch on the whole image and a local branch on the hole
  region, their features concatenated into one logit. GLCIC crops the local patch around each
  (random) hole; our holes are the centred square of ``inpainting_pairs``, so the local branch crops
  that fixed square (``hole_fraction``), which makes it a plain slice.
"""

from __future__ import annotations

import torch
from torch import nn

from mcgan_lib.data.paired import centre_hole_mask
from mcgan_lib.nets.base import register_network, seeded_init
from mcgan_lib.nets.dcgan import ImageNetwork, NoiseGenerator, check_image_shape, tile
from mcgan_lib.validation import check_float, check_int


def _conv(a, b, kernel=3, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(a, b, kernel, stride, dilation * (kernel // 2), dilation=dilation), nn.BatchNorm2d(b), nn.ReLU()
    )


@register_network
class GLCICGenerator(NoiseGenerator):
    """G: z (B, latent_dim), (masked image, mask) (B, (C+1)*H*W flattened) -> completed image (B, C, H, W)."""

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        latent_dim: int = 8,
        base_channels: int = 64,
        n_dilated: int = 4,
        seed: int | None = None,
    ):
        super().__init__()
        self.image_shape = check_image_shape("image_shape", image_shape, 2)
        self.condition_shape = (self.image_shape[0] + 1, *self.image_shape[1:])
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=0)
        check_int("base_channels", base_channels, minimum=1)
        check_int("n_dilated", n_dilated, minimum=0)
        c = base_channels
        with seeded_init(seed):
            self.encoder = nn.ModuleList(
                [
                    _conv(self.condition_shape[0] + latent_dim, c, 5),
                    _conv(c, 2 * c, 3, 2),
                    _conv(2 * c, 4 * c, 3, 2),
                ]
            )
            self.dilated = nn.ModuleList(_conv(4 * c, 4 * c, 3, dilation=2 ** (i + 1)) for i in range(n_dilated))
            self.decoder = nn.ModuleList(
                [
                    nn.Sequential(nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c), nn.ReLU()),
                    nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU()),
                ]
            )
            self.output = nn.Sequential(nn.Conv2d(c, self.image_shape[0], 3, 1, 1), nn.Tanh())
        self.hparams = dict(
            image_shape=list(self.image_shape),
            latent_dim=latent_dim,
            base_channels=base_channels,
            n_dilated=n_dilated,
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_latent(z)
        masked_and_mask = self._condition(z.shape[0], condition)
        masked, mask = masked_and_mask[:, :-1], masked_and_mask[:, -1:]
        h = torch.cat([masked_and_mask, tile(z, *mask.shape[2:])], dim=1) if self.latent_dim else masked_and_mask
        features = [z]
        for layer in [*self.encoder, *self.dilated, *self.decoder]:
            h = layer(h)
            features.append(h)
        filled = self.output(h)
        out = masked * (1 - mask) + filled * mask
        features.append(out)
        return (out, features) if return_features else out


@register_network
class GLCICDiscriminator(ImageNetwork):
    """D: image (B, *image_shape) [+ condition (masked image, mask)] -> one logit (B,).

    Global branch: ``global_layers`` Conv(5, stride 2) blocks on the whole image (and the condition,
    concatenated); local branch: ``local_layers`` such blocks on the centred hole square of side
    ``hole_fraction`` * min(H, W); each ends in a linear layer to 64 features (1024 in GLCIC), and a
    linear layer on their concatenation gives the logit.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        conditional: bool = True,
        hole_fraction: float = 0.5,
        base_channels: int = 64,
        global_layers: int = 3,
        local_layers: int = 2,
        seed: int | None = None,
    ):
        super().__init__()
        self.image_shape = check_image_shape("image_shape", image_shape)
        check_float("hole_fraction", hole_fraction, minimum=0.0, maximum=1.0, strict_minimum=True)
        check_int("global_layers", global_layers, minimum=1)
        check_int("local_layers", local_layers, minimum=1)
        check_int("base_channels", base_channels, minimum=1)
        channels, height, width = self.image_shape
        self.condition_shape = (channels + 1, height, width) if conditional else ()
        rows, cols = centre_hole_mask((height, width), hole_fraction)[0].nonzero(as_tuple=True)
        self.hole = (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
        in_channels = channels + (channels + 1 if conditional else 0)
        with seeded_init(seed):
            self.global_branch = self._branch(in_channels, base_channels, global_layers, (height, width))
            self.local_branch = self._branch(
                in_channels, base_channels, local_layers, (self.hole[1] - self.hole[0], self.hole[3] - self.hole[2])
            )
            self.output = nn.Linear(128, 1)
        self.hparams = dict(
            image_shape=list(self.image_shape),
            conditional=conditional,
            hole_fraction=hole_fraction,
            base_channels=base_channels,
            global_layers=global_layers,
            local_layers=local_layers,
        )

    @staticmethod
    def _branch(in_channels, base_channels, layers, size) -> nn.Sequential:
        blocks, a = [], in_channels
        h, w = size
        for i in range(layers):
            b = base_channels * 2 ** min(i, 3)
            blocks += [nn.Conv2d(a, b, 5, 2, 2), nn.LeakyReLU(0.2)]
            a, h, w = b, (h + 1) // 2, (w + 1) // 2
        return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(a * h * w, 64), nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_images("x", x, self.image_shape)
        condition = self._condition(x.shape[0], condition)
        h = x if condition is None else torch.cat([x, condition], dim=1)
        top, bottom, left, right = self.hole
        global_features = self.global_branch(h)
        local_features = self.local_branch(h[:, :, top:bottom, left:right])
        logits = self.output(torch.cat([global_features, local_features], dim=1)).squeeze(1)
        features = [x, global_features, local_features, logits]
        return (logits, features) if return_features else logits
