"""The predictor of proxy MR-GAN (Lee, Ha and Kim 2019, Sec. 4.3 and Appendix B).

"A clone of the generator with some minor differences: (i) no noise source as input and (ii)
prediction of both mean and variance as output." Here it is the toy generator's MLP without the
latent: the condition x goes in, and ``2 * output_dim`` numbers come out, the center (mean or
median) and the log-spread (log variance or log MAD; predicting the log is "more numerically
stable", Sec. 4.1, after Kendall and Gal 2017).

For an unconditional task (``condition_dim=0``) the input x is empty, so the best predictor is a
constant: the network is then just a learnable ``(center, log_spread)`` pair, and
``forward(None, batch_size=n)`` repeats it n times.
"""

from __future__ import annotations

import torch
from torch import nn

from mcgan_lib.nets.base import FeatureNetwork, build_network, register_network, seeded_init
from mcgan_lib.nets.mlp import ACTIVATIONS
from mcgan_lib.validation import check_choice, check_int


@register_network
class MomentPredictor(FeatureNetwork):
    """P: condition (B, condition_dim) -> center (B, output_dim), log_spread (B, output_dim)."""

    def __init__(
        self,
        output_dim: int = 2,
        condition_dim: int = 0,
        hidden_dim: int = 128,
        depth: int = 2,
        activation: str = "relu",
        seed: int | None = None,
    ):
        super().__init__()
        self.output_dim = check_int("output_dim", output_dim, minimum=1)
        self.condition_dim = check_int("condition_dim", condition_dim, minimum=0)
        check_int("hidden_dim", hidden_dim, minimum=1)
        check_int("depth", depth, minimum=0)
        check_choice("activation", activation, ACTIVATIONS)
        with seeded_init(seed):
            if condition_dim == 0:
                self.constant = nn.Parameter(torch.zeros(2 * output_dim))
                self.network = None
            else:
                widths = [condition_dim] + [hidden_dim] * depth
                layers: list[nn.Module] = []
                for a, b in zip(widths[:-1], widths[1:]):
                    layers += [nn.Linear(a, b), ACTIVATIONS[activation]()]
                layers.append(nn.Linear(widths[-1], 2 * output_dim))
                self.network = nn.Sequential(*layers)
        self.hparams = dict(
            output_dim=output_dim,
            condition_dim=condition_dim,
            hidden_dim=hidden_dim,
            depth=depth,
            activation=activation,
        )

    def forward(self, condition: torch.Tensor | None = None, batch_size: int | None = None):
        """Return ``(center, log_spread)``, each (B, output_dim).

        Conditional: ``condition`` is (B, condition_dim). Unconditional: ``condition`` is None and
        ``batch_size`` gives B.
        """
        if self.condition_dim == 0:
            if condition is not None:
                raise ValueError("condition was given, but this predictor was built with condition_dim=0")
            batch_size = check_int("batch_size", batch_size, minimum=1)
            out = self.constant.expand(batch_size, -1)
        else:
            if condition is None or condition.ndim != 2 or condition.shape[1] != self.condition_dim:
                raise ValueError(
                    f"condition must have shape (batch, {self.condition_dim}), got "
                    f"{None if condition is None else tuple(condition.shape)}"
                )
            out = self.network(condition)
        return out[:, : self.output_dim], out[:, self.output_dim :]


@register_network
class ImageMomentPredictor(MomentPredictor):
    """P for image-to-image tasks: input image (B, C_in*H*W flattened) -> center, log_spread (B, C*H'*W').

    The thesis's "clone of the generator" (Sec. 4.3): ``network`` is the task's generator built without
    noise (``latent_dim=0``) and with 2C output channels, the first C the center and the last C the log
    spread; or, for a generator whose output channels are fixed (SRResNet), two such clones, ``network``
    for the center and ``spread_network`` for the log spread. The final tanh of each clone is removed:
    the center is clamped by nothing and the log spread must reach below log(1) freely.
    """

    def __init__(self, network: nn.Module | dict, spread_network: nn.Module | dict | None = None):
        FeatureNetwork.__init__(self)
        network, spread_network = (build_network(n) if isinstance(n, dict) else n for n in (network, spread_network))
        for net in (network, spread_network):
            if net is not None and getattr(net, "latent_dim", None) != 0:
                raise ValueError("the predictor's networks must be built without noise (latent_dim=0)")
        channels = network.image_shape[0] if spread_network is None else 2 * network.image_shape[0]
        if channels % 2:
            raise ValueError(f"network must output 2C channels (center and log spread), got {channels}")
        self.network, self.spread_network = network, spread_network
        for net in (network, spread_network):
            if net is not None and isinstance(net.output[-1], nn.Tanh):
                net.output[-1] = nn.Identity()
        self.output_dim = channels // 2 * network.image_shape[1] * network.image_shape[2]
        self.condition_dim = network.condition_dim
        self.hparams = {
            "network": network.spec(),
            "spread_network": None if spread_network is None else spread_network.spec(),
        }

    def forward(self, condition: torch.Tensor | None = None, batch_size: int | None = None):
        if condition is None or condition.ndim != 2 or condition.shape[1] != self.condition_dim:
            raise ValueError(
                f"condition must have shape (batch, {self.condition_dim}), got "
                f"{None if condition is None else tuple(condition.shape)}"
            )
        no_noise = condition.new_zeros(condition.shape[0], 0)
        out = self.network(no_noise, condition)
        if self.spread_network is None:
            center, log_spread = out.chunk(2, dim=1)
        else:
            center, log_spread = out, self.spread_network(no_noise, condition)
        return center.flatten(1), log_spread.flatten(1)
