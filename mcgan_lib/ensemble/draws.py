"""An ensemble's batches and latents: each member draws from its own ``torch.Generator`` in the single
run's order, so member i sees the numbers a single :class:`~mcgan_lib.training.Trainer` of its seed sees.

:func:`member_draws` returns the draw; for a Gaussian mixture and an MLP generator it is a faster one
that gives the same numbers with fewer operations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from mcgan_lib.data.base import DataSource
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.nets.mlp import MLPGenerator

# draw(copies) -> (real (E, B, ...), condition (E, B, C) or None, z (E, copies·B, Z))
Draw = Callable[[int], tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]]


def member_draws(
    data: DataSource, generator: nn.Module, rngs: Sequence[torch.Generator], batch_size: int, device
) -> Draw:
    """The draw of every member's batch of ``batch_size`` and ``copies`` latents per row, one member per
    generator of ``rngs``, in the single run's order (batch, then latents); stacked to (E, ...)."""
    fast = _mixture_draws(data, generator, rngs, batch_size, device)
    if fast is not None:
        return fast
    conditional = data.condition_dim > 0

    def draw(copies: int):
        reals, conditions, latents = [], [], []
        for rng in rngs:
            batch = data.sample_batch(batch_size, rng).to(device)
            reals.append(batch.real)
            conditions.append(batch.condition)
            latents.append(generator.sample_latent(copies * len(batch), rng, device=device))
        condition = torch.stack(conditions) if conditional else None
        return torch.stack(reals), condition, torch.stack(latents)

    return draw


def normal_draws_concatenate(first: int, second: int, device) -> bool:
    """Whether ``randn(first)`` then ``randn(second)`` from one generator equal ``randn(first + second)``.

    True on the CPU when ``first`` is a multiple of 16 (its normal kernel fills blocks of 16 by
    Box-Muller); checked here with a scratch generator rather than assumed, so a change in PyTorch
    (or another device's generator) falls back to two draws."""
    rng = torch.Generator(device=device)
    rng.manual_seed(0)
    joint = torch.randn(first + second, generator=rng, device=device)
    rng.manual_seed(0)
    parts = torch.cat(
        [torch.randn(first, generator=rng, device=device), torch.randn(second, generator=rng, device=device)]
    )
    return torch.equal(joint, parts)


def _mixture_draws(
    data: DataSource, generator: nn.Module, rngs: Sequence[torch.Generator], batch_size: int, device
) -> Draw | None:
    """The draw of :func:`member_draws` for a Gaussian mixture and standard normal latents in fewer ops:
    per member one ``multinomial`` (modes) and one ``randn`` (data noise and latents together, when that
    equals two draws: see :func:`normal_draws_concatenate`), written into (E, ...) tensors, then one
    batched ``centers[modes] + std · noise``: the same numbers as ``GaussianMixture.sample_batch`` then
    ``MLPGenerator.sample_latent``, member by member. None for other data or generators."""
    if not (isinstance(data, GaussianMixture) and isinstance(generator, MLPGenerator)):
        return None
    for method in ("sample_batch", "sample", "sample_with_modes"):
        if getattr(type(data), method) is not getattr(GaussianMixture, method):
            return None
    if type(generator).sample_latent is not MLPGenerator.sample_latent:
        return None
    weights, centers = data.weights.to(device), data.centers.to(device)
    size, n, dim, latent = len(rngs), batch_size, data.centers.shape[1], generator.latent_dim
    joint = {}

    def draw(copies: int):
        sizes = (n * dim, copies * n * latent)
        if copies not in joint:
            joint[copies] = normal_draws_concatenate(*sizes, device)
        modes = torch.empty(size, n, dtype=torch.long, device=device)
        normals = torch.empty(size, sum(sizes), device=device)
        for i, rng in enumerate(rngs):
            torch.multinomial(weights, n, replacement=True, generator=rng, out=modes[i])
            if joint[copies]:
                torch.randn(sum(sizes), generator=rng, out=normals[i])
            else:
                torch.randn(sizes[0], generator=rng, out=normals[i, : sizes[0]])
                torch.randn(sizes[1], generator=rng, out=normals[i, sizes[0] :])
        noise, z = normals.split(sizes, dim=1)
        real = centers[modes] + data.std * noise.view(size, n, dim)
        return real, None, z.view(size, copies * n, latent)

    return draw
