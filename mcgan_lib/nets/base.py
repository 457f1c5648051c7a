"""What every network of the library shares: a ``spec`` to rebuild it and seeded initialisation."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

NETWORK_REGISTRY: dict[str, type] = {}


def register_network(cls):
    """Class decorator: lets :func:`build_network` rebuild ``cls`` from its ``spec()``."""
    NETWORK_REGISTRY[cls.__name__] = cls
    return cls


@contextlib.contextmanager
def seeded_init(seed: int | None):
    """Run the block with torch's global RNG seeded by ``seed`` and restore the RNG afterwards.

    Layer initialisation in torch draws from the global RNG; this keeps it reproducible without
    changing the RNG state a user's own code sees. ``seed=None`` does nothing.
    """
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class FeatureNetwork(nn.Module):
    """Base class: subclasses set ``self.hparams`` (primitive values) so ``spec()`` can rebuild them."""

    hparams: dict

    def spec(self) -> dict:
        return {"type": type(self).__name__, **self.hparams}


def build_network(spec: dict) -> FeatureNetwork:
    """Rebuild a network from ``spec()`` (used when loading a checkpoint written by the CLI)."""
    spec = dict(spec)
    name = spec.pop("type", None)
    if name not in NETWORK_REGISTRY:
        raise ValueError(f"spec['type'] must be one of {sorted(NETWORK_REGISTRY)}, got {name!r}")
    return NETWORK_REGISTRY[name](**spec)


@torch.no_grad()
def generate(generator: nn.Module, n: int, seed: int = 0, condition: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` samples of ``generator`` in eval mode for latents drawn on the CPU from ``seed`` (so a seed
    gives the same latents on every device); the generator's train/eval mode is restored afterwards.

    ``condition`` (n, C), if given, is passed to a conditional generator. Returns the samples on the
    generator's device.
    """
    device = next(generator.parameters()).device
    z = generator.sample_latent(n, torch.Generator(device="cpu").manual_seed(seed), device="cpu").to(device)
    was_training = generator.training
    generator.eval()
    try:
        return generator(z, None if condition is None else condition.to(device))
    finally:
        generator.train(was_training)
