"""DCGAN generator and discriminator (Radford et al. 2016), class-conditional as in MSGAN/HMGAN's CIFAR-10.

Also the shared pieces of every image network of the library (:class:`ImageNetwork`): argument checks
for the condition, folding a flattened image condition back to (B, C, H, W), and tiling the noise over
an image (the BicycleGAN way of injecting z into a convolutional generator).

Conventions shared by all image networks:

- images are (B, C, H, W) in [-1, 1]; generators end with ``tanh``;
- a condition arrives as the loop hands it over, (B, condition_dim): a one-hot label, or an input
  image flattened to C*H*W (``condition_shape`` folds it back);
- ``forward(..., return_features=True)`` also returns every layer's output ``[z, h_1, ..., output]``
  for generators (the HMGAN convention: layer 1 is the latent alone), ``[x, h_1, ..., logits]`` for
  discriminators;
- ``base_channels`` and the depth scale the network down for the CPU quick mode.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mcgan_lib.nets.base import FeatureNetwork, register_network, seeded_init
from mcgan_lib.validation import check_int


def check_image_shape(name: str, shape, downsamplings: int = 0) -> tuple[int, int, int]:
    """``shape`` must be (C, H, W) with H and W divisible by 2**downsamplings."""
    if len(tuple(shape)) != 3 or any(not isinstance(s, int) or s < 1 for s in shape):
        raise ValueError(f"{name} must be (channels, height, width) of positive ints, got {shape!r}")
    step = 2**downsamplings
    if shape[1] % step or shape[2] % step:
        raise ValueError(f"{name}={tuple(shape)}: height and width must be divisible by 2**{downsamplings}={step}")
    return tuple(int(s) for s in shape)


def tile(vector: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, D) -> (B, D, H, W): the vector repeated at every pixel (BicycleGAN's noise injection)."""
    return vector[:, :, None, None].expand(-1, -1, height, width)


class ImageNetwork(FeatureNetwork):
    """Condition handling shared by the image networks (``condition_shape`` () means unconditional)."""

    condition_shape: tuple[int, ...] = ()

    @property
    def condition_dim(self) -> int:
        return math.prod(self.condition_shape) if self.condition_shape else 0

    def _condition(self, batch: int, condition: torch.Tensor | None) -> torch.Tensor | None:
        """Check ``condition`` (B, condition_dim) and fold it to (B, *condition_shape)."""
        if not self.condition_shape:
            if condition is not None:
                raise ValueError("condition was given, but this network is unconditional (condition_shape=())")
            return None
        if condition is None:
            raise ValueError(f"this network is conditional (condition_shape={self.condition_shape}); pass condition")
        if condition.shape[0] != batch or condition[0].numel() != self.condition_dim:
            raise ValueError(
                f"condition must have shape ({batch}, {self.condition_dim}) or ({batch}, *{self.condition_shape}), "
                f"got {tuple(condition.shape)}"
            )
        return condition.reshape(batch, *self.condition_shape)

    def _check_images(self, name: str, x: torch.Tensor, shape: tuple[int, ...]) -> None:
        if x.ndim != 4 or tuple(x.shape[1:]) != tuple(shape):
            raise ValueError(f"{name} must have shape (batch, {', '.join(map(str, shape))}), got {tuple(x.shape)}")


class NoiseGenerator(ImageNetwork):
    """Generators draw standard normal latents (n, latent_dim)."""

    latent_dim: int

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        device = device if device is not None else (generator.device if generator is not None else "cpu")
        return torch.randn(n, self.latent_dim, generator=generator, device=device)

    def _check_latent(self, z: torch.Tensor) -> None:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (batch, latent_dim={self.latent_dim}), got {tuple(z.shape)}")


def run_layers(h: torch.Tensor, layers, features: list) -> torch.Tensor:
    for layer in layers:
        h = layer(h)
        features.append(h)
    return h


@register_network
class DCGANGenerator(NoiseGenerator):
    """G: z (B, latent_dim) [+ one-hot class (B, num_classes)] -> image (B, *image_shape) in [-1, 1].

    Linear -> (ch * 2**(n-1), H/2**n, W/2**n), then ``upsamplings`` = n blocks of
    ConvTranspose(4, stride 2) + BatchNorm + ReLU halving the channels, then a 3x3 conv and tanh.
    The default (3, 32, 32) with n = 3 is DCGAN's 4x4 -> 32x32 CIFAR-10 generator; the class condition
    is concatenated to z (conditional DCGAN of MSGAN's code). ``base_channels`` 64 is the paper size;
    8 runs on the CPU.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        num_classes: int = 0,
        base_channels: int = 64,
        upsamplings: int = 3,
        seed: int | None = None,
    ):
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        check_int("num_classes", num_classes, minimum=0)
        check_int("base_channels", base_channels, minimum=1)
        check_int("upsamplings", upsamplings, minimum=1)
        self.image_shape = check_image_shape("image_shape", image_shape, upsamplings)
        self.condition_shape = (num_classes,) if num_classes else ()
        channels, height, width = self.image_shape
        self.start = (base_channels * 2 ** (upsamplings - 1), height // 2**upsamplings, width // 2**upsamplings)
        with seeded_init(seed):
            self.project = nn.Sequential(
                nn.Linear(latent_dim + num_classes, math.prod(self.start)),
                nn.Unflatten(1, self.start),
                nn.BatchNorm2d(self.start[0]),
                nn.ReLU(),
            )
            widths = [base_channels * 2 ** (upsamplings - 1 - i) for i in range(upsamplings)] + [base_channels]
            self.blocks = nn.ModuleList(
                nn.Sequential(nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU())
                for a, b in zip(widths[:-1], widths[1:])
            )
            self.output = nn.Sequential(nn.Conv2d(base_channels, channels, 3, 1, 1), nn.Tanh())
        self.hparams = dict(
            latent_dim=latent_dim,
            image_shape=list(self.image_shape),
            num_classes=num_classes,
            base_channels=base_channels,
            upsamplings=upsamplings,
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_latent(z)
        condition = self._condition(z.shape[0], condition)
        h = z if condition is None else torch.cat([z, condition], dim=1)
        features = [z]
        out = run_layers(h, [self.project, *self.blocks, self.output], features)
        return (out, features) if return_features else out


@register_network
class DCGANDiscriminator(ImageNetwork):
    """D: image (B, *image_shape) [+ one-hot class] -> one logit per image (B,).

    ``downsamplings`` blocks of Conv(4, stride 2) + BatchNorm (not on the first) + LeakyReLU(0.2)
    doubling the channels, then a linear layer. The class condition is tiled over the image and
    concatenated as extra input channels (the conditional DCGAN discriminator of MSGAN's code).
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        num_classes: int = 0,
        base_channels: int = 64,
        downsamplings: int = 3,
        seed: int | None = None,
    ):
        super().__init__()
        check_int("num_classes", num_classes, minimum=0)
        check_int("base_channels", base_channels, minimum=1)
        check_int("downsamplings", downsamplings, minimum=1)
        self.image_shape = check_image_shape("image_shape", image_shape, downsamplings)
        self.condition_shape = (num_classes,) if num_classes else ()
        channels, height, width = self.image_shape
        widths = [channels + num_classes] + [base_channels * 2**i for i in range(downsamplings)]
        with seeded_init(seed):
            self.blocks = nn.ModuleList(
                nn.Sequential(
                    nn.Conv2d(a, b, 4, 2, 1, bias=i == 0), *([] if i == 0 else [nn.BatchNorm2d(b)]), nn.LeakyReLU(0.2)
                )
                for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))
            )
            self.output = nn.Sequential(
                nn.Flatten(), nn.Linear(widths[-1] * (height >> downsamplings) * (width >> downsamplings), 1)
            )
        self.hparams = dict(
            image_shape=list(self.image_shape),
            num_classes=num_classes,
            base_channels=base_channels,
            downsamplings=downsamplings,
        )

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        self._check_images("x", x, self.image_shape)
        condition = self._condition(x.shape[0], condition)
        h = x if condition is None else torch.cat([x, tile(condition, *x.shape[2:])], dim=1)
        features = [x]
        logits = run_layers(h, [*self.blocks, self.output], features).squeeze(1)
        features[-1] = logits
        return (logits, features) if return_features else logits


@register_network
class DCGANEncoder(DCGANDiscriminator):
    """E: image (B, *image_shape) -> latent code (B, latent_dim): Reg-GAN's and MDGAN's encoder on images.

    Che et al. (2017) build E from the discriminator's architecture; here it is
    :class:`DCGANDiscriminator`'s convolutions with a linear head of ``latent_dim`` outputs (no
    activation: the prior of G is a standard normal, unbounded) instead of one logit.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (3, 32, 32),
        latent_dim: int = 16,
        base_channels: int = 64,
        downsamplings: int = 3,
        seed: int | None = None,
    ):
        super().__init__(image_shape, 0, base_channels, downsamplings, seed=seed)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        with seeded_init(None if seed is None else seed + 1):
            self.output[-1] = nn.Linear(self.output[-1].in_features, latent_dim)
        self.hparams = dict(
            image_shape=list(self.image_shape),
            latent_dim=latent_dim,
            base_channels=base_channels,
            downsamplings=downsamplings,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_images("x", x, self.image_shape)
        h = x
        for block in self.blocks:
            h = block(h)
        return self.output(h)
