"""Figures for the 2D toys, in the style of GAN Lab (Kahng et al. 2018).

Every public function returns a ``matplotlib.figure.Figure`` (or draws on an ``ax`` it is given), so a
notebook shows it and a test can inspect it. Colours: real data green, generated samples purple, the
discriminator's belief "real" as a green-to-purple heat map (green = D thinks real).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.losses import generator_loss

REAL_COLOR = "#2ca25f"
FAKE_COLOR = "#7b3294"
D_CMAP = LinearSegmentedColormap.from_list("d_output", ["#e7d4e8", "#f7f7f7", "#d9f0d3"])


def toy_extent(mixture: GaussianMixture, margin: float = 0.6) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around the mixture's centers with a margin."""
    lo = mixture.centers.min(dim=0).values - margin - 3 * mixture.std
    hi = mixture.centers.max(dim=0).values + margin + 3 * mixture.std
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _device(module) -> torch.device:
    return next(module.parameters()).device


@torch.no_grad()
def draw_discriminator(ax, discriminator, extent, resolution: int = 120) -> None:
    """Background heat map of D(x) = sigmoid(logit) over ``extent``."""
    xmin, xmax, ymin, ymax = extent
    xs = torch.linspace(xmin, xmax, resolution)
    ys = torch.linspace(ymin, ymax, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1).to(_device(discriminator))
    was_training = discriminator.training
    discriminator.eval()
    probability = torch.sigmoid(discriminator(points)).reshape(resolution, resolution).cpu()
    discriminator.train(was_training)
    ax.imshow(probability.numpy(), extent=extent, origin="lower", cmap=D_CMAP, vmin=0, vmax=1, aspect="auto")


def draw_samples(ax, real: torch.Tensor | None, fake: torch.Tensor | None, size: float = 4.0) -> None:
    """Real points (green) and generated points (purple)."""
    if real is not None:
        real = real.detach().cpu()
        ax.scatter(real[:, 0], real[:, 1], s=size, c=REAL_COLOR, alpha=0.5, linewidths=0, label="real")
    if fake is not None:
        fake = fake.detach().cpu()
        ax.scatter(fake[:, 0], fake[:, 1], s=size, c=FAKE_COLOR, alpha=0.6, linewidths=0, label="generated")


def draw_gradient_arrows(ax, generator, discriminator, z: torch.Tensor, gan_loss: str = "non_saturating") -> None:
    """Arrows on generated points: the direction -d(generator loss)/dx in which G is pushed to move them."""
    device = _device(generator)
    with torch.no_grad():
        fake = generator(z.to(device))
    fake = fake.clone().requires_grad_(True)
    loss = generator_loss(discriminator(fake), gan_loss) * fake.shape[0]
    (gradient,) = torch.autograd.grad(loss, fake)
    direction = -gradient.detach().cpu()
    norm = direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
    scale = norm / norm.max().clamp_min(1e-12)
    arrows = direction / norm * scale
    points = fake.detach().cpu()
    ax.quiver(points[:, 0], points[:, 1], arrows[:, 0], arrows[:, 1], color="#252525", alpha=0.8,
              angles="xy", scale_units="xy", scale=1.5, width=0.004)


@torch.no_grad()
def draw_manifold(ax, generator, lines: int = 15, points_per_line: int = 60, span: float = 2.5) -> None:
    """The generator's manifold: a square grid of latents in the first two latent coordinates (the
    others held at 0) pushed through G and drawn as warped grid lines."""
    latent_dim = generator.latent_dim
    device = _device(generator)
    ticks = torch.linspace(-span, span, lines)
    dense = torch.linspace(-span, span, points_per_line)
    for horizontal in (True, False):
        for t in ticks:
            z = torch.zeros(points_per_line, latent_dim)
            if horizontal:
                z[:, 0] = dense
                if latent_dim > 1:
                    z[:, 1] = t
            else:
                z[:, 0] = t
                if latent_dim > 1:
                    z[:, 1] = dense
            x = generator(z.to(device)).cpu()
            ax.plot(x[:, 0], x[:, 1], color=FAKE_COLOR, lw=0.6, alpha=0.6)
            if latent_dim == 1:
                break


def _finish(ax, extent, title: str | None) -> None:
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def gan_lab_figure(
    generator,
    discriminator,
    mixture: GaussianMixture,
    n_samples: int = 1000,
    n_arrows: int = 120,
    seed: int = 0,
    title: str | None = None,
    gan_loss: str = "non_saturating",
) -> Figure:
    """Two panels: (left) real and generated samples on D's heat map with gradient arrows;
    (right) the generator's manifold over the real data."""
    rng = torch.Generator().manual_seed(seed)
    real = mixture.sample(n_samples, rng)
    z = generator.sample_latent(n_samples, rng, device="cpu")
    device = _device(generator)
    with torch.no_grad():
        was_training = generator.training
        generator.eval()
        fake = generator(z.to(device)).cpu()
    extent = toy_extent(mixture)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4), dpi=80)
    draw_discriminator(axes[0], discriminator, extent)
    draw_samples(axes[0], real, fake)
    draw_gradient_arrows(axes[0], generator, discriminator, z[:n_arrows], gan_loss)
    _finish(axes[0], extent, "samples, D(x) heat map, gradient on G's points")
    draw_samples(axes[1], real, None)
    draw_manifold(axes[1], generator)
    _finish(axes[1], extent, "generator manifold (grid of z through G)")
    generator.train(was_training)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def snapshot_timeline(
    steps: list[int],
    samples: list[torch.Tensor],
    mixture: GaussianMixture,
    ncols: int = 6,
    max_panels: int = 12,
    title: str | None = None,
) -> Figure:
    """A grid of scatter plots of G's samples (fixed latents) over training: mode hopping shows as the
    purple cloud jumping from mode to mode."""
    if len(steps) != len(samples) or not steps:
        raise ValueError(f"steps and samples must be non-empty and of equal length, got {len(steps)} and {len(samples)}")
    if len(steps) > max_panels:
        chosen = np.unique(np.linspace(0, len(steps) - 1, max_panels).round().astype(int))
        steps = [steps[i] for i in chosen]
        samples = [samples[i] for i in chosen]
    ncols = min(ncols, len(steps))
    nrows = math.ceil(len(steps) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.6 * nrows + 0.3), dpi=80, squeeze=False)
    extent = toy_extent(mixture)
    centers = mixture.centers
    for ax in axes.flat:
        ax.axis("off")
    for ax, step, points in zip(axes.flat, steps, samples):
        ax.axis("on")
        ax.scatter(centers[:, 0], centers[:, 1], s=30, facecolors="none", edgecolors=REAL_COLOR, linewidths=0.8)
        draw_samples(ax, None, points, size=2.0)
        _finish(ax, extent, f"step {step}")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_history(history, metrics=("modes_captured", "high_quality_fraction")) -> Figure:
    """Losses (left) and evaluation metrics (right) over training, from a :class:`History`."""
    fig, axes = plt.subplots(1, 1 + len(metrics), figsize=(3.2 * (1 + len(metrics)), 2.6), dpi=80)
    loss = history["loss"] if "loss" in history else {"step": []}
    for key in ("d_loss", "g_loss"):
        if key in loss:
            axes[0].plot(loss["step"], loss[key], lw=0.8, label=key)
    axes[0].set_xlabel("step")
    if axes[0].lines:
        axes[0].legend(fontsize=8)
    axes[0].set_title("losses", fontsize=9)
    evaluation = history["eval"] if "eval" in history else {"step": []}
    for ax, key in zip(axes[1:], metrics):
        if key in evaluation:
            ax.plot(evaluation["step"], evaluation[key], marker=".", lw=0.8, color=FAKE_COLOR)
        ax.set_xlabel("step")
        ax.set_title(key.replace("_", " "), fontsize=9)
    fig.tight_layout()
    return fig


def scatter_grid(panels: dict[str, torch.Tensor], mixture: GaussianMixture, ncols: int = 5, size: float = 2.0) -> Figure:
    """One small scatter of generated samples per entry of ``panels`` (title -> samples (N, 2))."""
    names = list(panels)
    ncols = min(ncols, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.0 * ncols, 2.0 * nrows + 0.2), dpi=80, squeeze=False)
    extent = toy_extent(mixture)
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        ax.axis("on")
        ax.scatter(mixture.centers[:, 0], mixture.centers[:, 1], s=30, facecolors="none", edgecolors=REAL_COLOR, linewidths=0.8)
        draw_samples(ax, None, panels[name], size=size)
        _finish(ax, extent, name)
    fig.tight_layout()
    return fig
