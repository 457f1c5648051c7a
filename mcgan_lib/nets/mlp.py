"""Fully connected generator, discriminator and encoder for the 2D toys.

G and D take an optional condition that is concatenated to the input (a conditional GAN in the sense of
Mirza & Osindero, 2014). ``forward(..., return_features=True)`` returns the list of every layer's output
``[input, h_1, ..., output]``; for the generator the first entry is the latent ``z`` alone (the HMGAN
convention: layer 1 is the latent), not ``z`` concatenated with the condition. The encoder E
(data -> latent) is the one of Reg-GAN and MDGAN (Che et al. 2017).
"""

from __future__ import annotations

import torch
from torch import nn

from mcgan_lib.nets.base import FeatureNetwork, register_network, seeded_init
from mcgan_lib.validation import check_choice, check_float, check_int

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


class _MLP(FeatureNetwork):
    """Linear -> activation blocks, then a linear output layer; records every layer's output."""

    def __init__(self, in_dim, condition_dim, out_dim, hidden_dim, depth, activation, seed):
        super().__init__()
        check_int("hidden_dim", hidden_dim, minimum=1)
        check_int("depth", depth, minimum=0)
        check_int("condition_dim", condition_dim, minimum=0)
        check_choice("activation", activation, ACTIVATIONS)
        widths = [in_dim + condition_dim] + [hidden_dim] * depth
        with seeded_init(seed):
            self.hidden = nn.ModuleList(
                nn.Sequential(nn.Linear(a, b), ACTIVATIONS[activation]()) for a, b in zip(widths[:-1], widths[1:])
            )
            self.output = nn.Linear(widths[-1], out_dim)
        self.condition_dim = condition_dim

    def _check_condition(self, batch: int, condition: torch.Tensor | None) -> None:
        if self.condition_dim == 0:
            if condition is not None:
                raise ValueError("condition was given, but this network was built with condition_dim=0")
            return
        if condition is None:
            raise ValueError(f"this network is conditional (condition_dim={self.condition_dim}); pass condition")
        if condition.ndim != 2 or condition.shape != (batch, self.condition_dim):
            raise ValueError(f"condition must have shape ({batch}, {self.condition_dim}), got {tuple(condition.shape)}")

    def _run(self, x: torch.Tensor, condition: torch.Tensor | None, first_feature: torch.Tensor, return_features: bool):
        h = x if condition is None else torch.cat([x, condition], dim=1)
        features = [first_feature]
        for block in self.hidden:
            h = block(h)
            features.append(h)
        out = self.output(h)
        features.append(out)
        return (out, features) if return_features else out


@register_network
class MLPGenerator(_MLP):
    """G: z (B, latent_dim) [+ condition (B, condition_dim)] -> x (B, output_dim).

    ``depth`` hidden layers of ``hidden_dim`` units; a linear output (no squashing, the toys are
    unbounded). ``seed`` fixes the initial weights.
    """

    def __init__(
        self,
        latent_dim: int = 2,
        output_dim: int = 2,
        hidden_dim: int = 128,
        depth: int = 2,
        condition_dim: int = 0,
        activation: str = "relu",
        seed: int | None = None,
    ):
        check_int("latent_dim", latent_dim, minimum=1)
        check_int("output_dim", output_dim, minimum=1)
        super().__init__(latent_dim, condition_dim, output_dim, hidden_dim, depth, activation, seed)
        self.latent_dim = latent_dim
        self.output_dim = output_dim
        self.hparams = dict(
            latent_dim=latent_dim,
            output_dim=output_dim,
            hidden_dim=hidden_dim,
            depth=depth,
            condition_dim=condition_dim,
            activation=activation,
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (batch, latent_dim={self.latent_dim}), got {tuple(z.shape)}; "
                "the latent size must match the generator's latent_dim"
            )
        self._check_condition(z.shape[0], condition)
        return self._run(z, condition, z, return_features)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        """Standard normal latents (n, latent_dim), drawn with ``generator``."""
        device = device if device is not None else (generator.device if generator is not None else "cpu")
        return torch.randn(n, self.latent_dim, generator=generator, device=device)


@register_network
class MLPDiscriminator(_MLP):
    """D: x (B, input_dim) [+ condition] -> one logit per example (B,).

    ``input_scale`` multiplies the input first (a 1/4 scale of the ring's input is commonly attributed to Metz
    et al.'s Unrolled GAN appendix, unverified).
    """

    def __init__(
        self,
        input_dim: int = 2,
        hidden_dim: int = 128,
        depth: int = 2,
        condition_dim: int = 0,
        activation: str = "relu",
        input_scale: float = 1.0,
        seed: int | None = None,
    ):
        check_int("input_dim", input_dim, minimum=1)
        input_scale = check_float("input_scale", input_scale, minimum=0.0, strict_minimum=True)
        super().__init__(input_dim, condition_dim, 1, hidden_dim, depth, activation, seed)
        self.input_dim = input_dim
        self.input_scale = input_scale
        self.hparams = dict(
            input_dim=input_dim,
            hidden_dim=hidden_dim,
            depth=depth,
            condition_dim=condition_dim,
            activation=activation,
            input_scale=input_scale,
        )

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None, return_features: bool = False):
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"x must have shape (batch, input_dim={self.input_dim}), got {tuple(x.shape)}")
        self._check_condition(x.shape[0], condition)
        result = self._run(x * self.input_scale, condition, x, return_features)
        if return_features:
            logits, features = result
            return logits.squeeze(1), features
        return result.squeeze(1)


@register_network
class MLPEncoder(FeatureNetwork):
    """E: x (B, input_dim) -> latent code (B, latent_dim); ``depth`` ReLU layers of ``hidden_dim``.

    Reg-GAN's and MDGAN's encoder (Che et al. 2017, Sec. 3). The output is linear (the prior of G is a
    standard normal, unbounded).
    """

    def __init__(
        self, input_dim: int = 2, latent_dim: int = 2, hidden_dim: int = 128, depth: int = 2, seed: int | None = None
    ):
        super().__init__()
        check_int("input_dim", input_dim, minimum=1)
        check_int("latent_dim", latent_dim, minimum=1)
        check_int("hidden_dim", hidden_dim, minimum=1)
        check_int("depth", depth, minimum=0)
        widths = [input_dim] + [hidden_dim] * depth
        layers: list[nn.Module] = []
        with seeded_init(seed):
            for a, b in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            layers.append(nn.Linear(widths[-1], latent_dim))
        self.net = nn.Sequential(*layers)
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.hparams = dict(input_dim=input_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, depth=depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        if flat.shape[1] != self.input_dim:
            raise ValueError(f"x must have input_dim={self.input_dim} features per example, got shape {tuple(x.shape)}")
        return self.net(flat)
