"""Figures for the 2D toys, in the style of GAN Lab (Kahng et al. 2018).

Every public function returns a ``matplotlib.figure.Figure`` (or draws on an ``ax`` it is given), so a
notebook shows it and a test can inspect it. Colours: real data green, generated samples purple, the
discriminator's belief "real" as a green-to-purple heat map (green = D thinks real).
"""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from mcgan_lib.data.paired import PairedTask
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.losses import generator_loss
from mcgan_lib.validation import check_choice, check_int

REAL_COLOR = "#2ca25f"
FAKE_COLOR = "#7b3294"
D_CMAP = LinearSegmentedColormap.from_list("d_output", ["#e7d4e8", "#f7f7f7", "#d9f0d3"])
PANEL_INCHES = 2.6  # the smallest scatter panel, 208 px at 80 dpi
MIN_FIGURE_INCHES = 6.5  # the narrowest figure, 520 px at 80 dpi


def toy_extent(mixture: GaussianMixture, margin: float = 0.6) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around the mixture's centers with a margin."""
    lo = mixture.centers.min(dim=0).values - margin - 3 * mixture.std
    hi = mixture.centers.max(dim=0).values + margin + 3 * mixture.std
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def cloud_extent(extent, *clouds, margin: float = 0.05) -> tuple[float, float, float, float]:
    """``extent`` grown to hold every finite point of ``clouds`` ((N, 2) tensors or None), plus ``margin``
    of the span on each side: a figure never clips a sample cloud that strays from the modes."""
    xmin, xmax, ymin, ymax = extent
    for cloud in clouds:
        if cloud is None or len(cloud) == 0:
            continue
        points = torch.as_tensor(cloud).detach().cpu().reshape(-1, 2)
        points = points[torch.isfinite(points).all(dim=1)]
        if len(points):
            lo, hi = points.min(dim=0).values, points.max(dim=0).values
            xmin, xmax = min(xmin, float(lo[0])), max(xmax, float(hi[0]))
            ymin, ymax = min(ymin, float(lo[1])), max(ymax, float(hi[1]))
    dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
    if (xmin, xmax, ymin, ymax) == tuple(extent):
        return extent
    return xmin - dx, xmax + dx, ymin - dy, ymax + dy


def _device(module) -> torch.device:
    return next(module.parameters()).device


@torch.no_grad()
def draw_discriminator(ax, discriminator, extent, resolution: int = 120):
    """Background heat map of D(x) = sigmoid(logit) over ``extent``; returns the image (for a colour bar)."""
    xmin, xmax, ymin, ymax = extent
    xs = torch.linspace(xmin, xmax, resolution)
    ys = torch.linspace(ymin, ymax, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1).to(_device(discriminator))
    was_training = discriminator.training
    discriminator.eval()
    probability = torch.sigmoid(discriminator(points)).reshape(resolution, resolution).cpu()
    discriminator.train(was_training)
    return ax.imshow(probability.numpy(), extent=extent, origin="lower", cmap=D_CMAP, vmin=0, vmax=1, aspect="auto")


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
    ax.quiver(
        points[:, 0],
        points[:, 1],
        arrows[:, 0],
        arrows[:, 1],
        color="#252525",
        alpha=0.8,
        angles="xy",
        scale_units="xy",
        scale=1.5,
        width=0.004,
    )


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
    """Limits, equal aspect and small ticks (the scale of the data), and the title."""
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.tick_params(labelsize=6, length=2, pad=1)
    ax.locator_params(nbins=5)
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
    pyplot: bool = True,
) -> Figure:
    """Two panels: (left) real and generated samples on D's heat map with gradient arrows;
    (right) the generator's manifold over the real data.

    ``pyplot=False`` draws on a bare :class:`~matplotlib.figure.Figure` that pyplot never sees: a
    training panel drawing on its own thread must use it, or the notebook's inline backend shows the
    half-drawn frame under whichever cell runs next."""
    rng = torch.Generator().manual_seed(seed)
    real = mixture.sample(n_samples, rng)
    z = generator.sample_latent(n_samples, rng, device="cpu")
    device = _device(generator)
    with torch.no_grad():
        was_training = generator.training
        generator.eval()
        fake = generator(z.to(device)).cpu()
    extent = cloud_extent(toy_extent(mixture), fake)
    if pyplot:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4), dpi=80)
    else:
        fig = Figure(figsize=(9, 4), dpi=80)
        axes = fig.subplots(1, 2)
    image = draw_discriminator(axes[0], discriminator, extent)
    fig.colorbar(image, ax=axes[0], fraction=0.046, pad=0.02).set_label("D(x): belief that x is real", fontsize=7)
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
        raise ValueError(
            f"steps and samples must be non-empty and of equal length, got {len(steps)} and {len(samples)}"
        )
    if len(steps) > max_panels:
        chosen = np.unique(np.linspace(0, len(steps) - 1, max_panels).round().astype(int))
        steps = [steps[i] for i in chosen]
        samples = [samples[i] for i in chosen]
    ncols = min(ncols, len(steps))
    nrows = math.ceil(len(steps) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.6 * nrows + 0.3), dpi=80, squeeze=False)
    extent = cloud_extent(toy_extent(mixture), *samples)
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


def scatter_grid(
    panels: dict[str, torch.Tensor],
    mixture: GaussianMixture,
    ncols: int = 4,
    size: float = 2.0,
    limits: str = "shared",
) -> Figure:
    """One scatter of generated samples per entry of ``panels`` (title -> samples (N, 2)), the modes as
    green circles, ``ncols`` panels a row, each panel at least 208 px square and the figure at least
    520 px wide. ``limits="shared"``: every panel shares limits that hold
    every sample; ``"each"``: each panel holds the modes and its own samples, so one run that strays far
    does not shrink every other panel."""
    check_choice("limits", limits, ("shared", "each"))
    names = list(panels)
    ncols = min(ncols, len(names))
    nrows = math.ceil(len(names) / ncols)
    side = max(PANEL_INCHES, MIN_FIGURE_INCHES / ncols)  # panels >= 208 px, the figure >= 520 px at 80 dpi
    fig, axes = plt.subplots(nrows, ncols, figsize=(side * ncols, side * nrows + 0.2), dpi=80, squeeze=False)
    extent = cloud_extent(toy_extent(mixture), *panels.values())
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        ax.axis("on")
        ax.scatter(
            mixture.centers[:, 0], mixture.centers[:, 1], s=30, facecolors="none", edgecolors=REAL_COLOR, linewidths=0.8
        )
        draw_samples(ax, None, panels[name], size=size)
        _finish(ax, extent if limits == "shared" else cloud_extent(toy_extent(mixture), panels[name]), name)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- sweep tables
DIVERGED_COLOR = "#d7301f"


def _check_columns(table, **columns) -> None:
    """Raise ValueError naming the argument whose column is missing from ``table``."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame (a sweep or compare table), got {type(table).__name__}")
    if table.empty:
        raise ValueError("table has no rows; run a sweep or compare first")
    for argument, column in columns.items():
        if column is not None and column not in table.columns:
            raise ValueError(
                f"{argument}={column!r} is not a column of the table; columns: {sorted(map(str, table.columns))}"
            )


def _pretty(name: str) -> str:
    return {
        "coverage": "coverage (modes / branches)",
        "modes_captured": "modes captured",
        "high_quality_fraction": "high-quality fraction",
        "reverse_kl": "reverse KL",
        "weight": "λ (regularizer weight)",
    }.get(name, str(name).replace("_", " "))


def _panel_grid(n_panels: int, ncols: int, width: float, height: float, sharex=False, sharey=False):
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), dpi=80, squeeze=False, sharex=sharex, sharey=sharey
    )
    for ax in axes.flat[n_panels:]:
        fig.delaxes(ax)
    return fig, list(axes.flat[:n_panels])


def _diverged_mask(group, metric: str):
    """Rows without a score: the metric is NaN (a diverged member, or one whose metric is undefined)."""
    return group[metric].isna()


def plot_metric_distributions(
    table,
    metric: str = "coverage",
    method: str = "label",
    panel: str = "task",
    order=None,
    panel_order=None,
    reference_column: str | None = None,
    ncols: int = 4,
    title: str | None = None,
) -> Figure:
    """The spread of ``metric`` over seeds: one horizontal box plot and strip of points per method, one
    panel per value of ``panel`` (a task of a :func:`mcgan_lib.sweeps.compare` table).

    Each dot is one seed; the box shows the quartiles and the median. A member without a score (its
    ``metric`` is NaN, e.g. a run that diverged) is not dropped silently: its method's row gets a red
    "✕ n diverged" note. A method that was not run in a panel gets "not run". ``reference_column`` (for
    example ``"coverage_max"``) draws the best possible value of each panel as a dashed line.
    """
    _check_columns(table, metric=metric, method=method, panel=panel, reference_column=reference_column)
    import seaborn as sns

    order = list(dict.fromkeys(table[method])) if order is None else list(order)
    panel_order = list(dict.fromkeys(table[panel])) if panel_order is None else list(panel_order)
    if not order or not panel_order:
        raise ValueError("order and panel_order must name at least one method and one panel")
    fig, axes = _panel_grid(len(panel_order), ncols, 3.2, 0.3 * len(order) + 1.3, sharey=True)
    for ax, name in zip(axes, panel_order):
        group = table[table[panel] == name]
        scored = group[~_diverged_mask(group, metric)]
        if not scored.empty:
            with warnings.catch_warnings():  # seaborn 0.13 still passes matplotlib's deprecated `vert`
                warnings.filterwarnings("ignore", message=".*vert: bool was deprecated.*")
                sns.boxplot(
                    data=scored,
                    x=metric,
                    y=method,
                    order=order,
                    orient="h",
                    ax=ax,
                    color="#e7d4e8",
                    width=0.6,
                    showfliers=False,
                    linewidth=0.8,
                )
            sns.stripplot(
                data=scored,
                x=metric,
                y=method,
                order=order,
                orient="h",
                ax=ax,
                color=FAKE_COLOR,
                size=3.5,
                jitter=0.2,
                alpha=0.75,
            )
        else:  # nothing to draw: keep the categorical rows so the panel still lines up with the others
            ax.set_yticks(range(len(order)), order)
            ax.set_ylim(len(order) - 0.5, -0.5)
        low, high = ax.get_xlim()
        if reference_column is not None and group[reference_column].notna().any():
            best = float(group[reference_column].max())
            ax.axvline(best, color=REAL_COLOR, ls="--", lw=1)
            high = max(high, best + 0.05 * (best - low if best > low else 1.0))
            ax.set_xlim(low, high)
            name = f"{name}  (best {best:g})"
        for row, name_ in enumerate(order):
            members = group[group[method] == name_]
            missing = int(_diverged_mask(members, metric).sum())
            if members.empty:
                ax.text(
                    0.98,
                    row,
                    "not run",
                    transform=ax.get_yaxis_transform(),
                    ha="right",
                    va="center",
                    fontsize=7,
                    color="#737373",
                )
            elif missing:
                ax.text(
                    0.98,
                    row,
                    f"✕ {missing} diverged",
                    transform=ax.get_yaxis_transform(),
                    ha="right",
                    va="center",
                    fontsize=7,
                    color=DIVERGED_COLOR,
                    bbox={"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 1},
                )
        ax.set_title(str(name), fontsize=9)
        ax.set_xlabel(_pretty(metric), fontsize=8)
        ax.set_ylabel("")
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_sensitivity(
    table,
    x: str = "weight",
    metric: str = "modes_captured",
    panel: str = "method",
    label: str | None = "label",
    band: str = "minmax",
    logx: bool = True,
    max_value: float | None = None,
    reference=None,
    reference_label: str = "plain GAN",
    ncols: int = 4,
    title: str | None = None,
) -> Figure:
    """``metric`` against the setting ``x`` (λ by default), one panel per value of ``panel`` (a method).

    Per x value: the mean over the scored seeds (line), a band (``"minmax"``: min to max over seeds;
    ``"std"``: mean ± sample std) and every seed as a dot. Members without a score (``metric`` NaN: a
    diverged run) are drawn as red ✕ at the top of the panel with the count "k/n"; a line gap shows an x
    where every seed diverged. ``label`` (a column, e.g. the method's display name) titles the panels
    when present. ``reference`` (a number or the values of a baseline over seeds) draws a dashed line at
    its mean and a grey band over its range; ``max_value`` a dotted line at the best possible value.
    """
    if label is not None and label not in table.columns:
        label = None
    _check_columns(table, x=x, metric=metric, panel=panel)
    check_choice("band", band, ("minmax", "std"))
    if logx and not (table[x] > 0).all():
        raise ValueError(f"x={x!r} has values <= 0, which a log axis cannot show; pass logx=False")
    panels = list(dict.fromkeys(table[panel]))
    fig, axes = _panel_grid(len(panels), ncols, 3.0, 2.5, sharey=True)
    reference_values = None
    if reference is not None:
        reference_values = np.atleast_1d(np.asarray(reference, dtype=float))
        reference_values = reference_values[np.isfinite(reference_values)]
    handles = {}
    for ax, name in zip(axes, panels):
        group = table[table[panel] == name]
        xs = np.array(sorted(group[x].unique()), dtype=float)
        stats = group.groupby(x)[metric].agg(["mean", "min", "max", "std", "count", "size"]).reindex(xs)
        if band == "minmax":
            low, high = stats["min"], stats["max"]
        else:
            spread = stats["std"].fillna(0.0)
            low, high = stats["mean"] - spread, stats["mean"] + spread
        if reference_values is not None and reference_values.size:
            handles["ref"] = ax.axhline(reference_values.mean(), color="#636363", ls="--", lw=1)
            ax.axhspan(reference_values.min(), reference_values.max(), color="#bdbdbd", alpha=0.25, lw=0)
        if max_value is not None:
            handles["max"] = ax.axhline(max_value, color=REAL_COLOR, ls=":", lw=1)
        handles["band"] = ax.fill_between(
            xs, low.to_numpy(float), high.to_numpy(float), color=FAKE_COLOR, alpha=0.2, lw=0
        )
        (handles["mean"],) = ax.plot(xs, stats["mean"].to_numpy(float), color=FAKE_COLOR, marker="o", ms=4, lw=1.5)
        scored = group[group[metric].notna()]
        handles["seed"] = ax.scatter(
            scored[x].astype(float), scored[metric], s=8, color="#252525", alpha=0.35, lw=0, zorder=3
        )
        failed = stats[stats["size"] > stats["count"]]
        if not failed.empty:
            transform = ax.get_xaxis_transform()
            handles["diverged"] = ax.scatter(
                failed.index.to_numpy(float),
                np.full(len(failed), 0.93),
                marker="x",
                color=DIVERGED_COLOR,
                s=40,
                lw=1.5,
                transform=transform,
                zorder=4,
            )
            for value, row in failed.iterrows():
                ax.text(
                    value,
                    0.83,
                    f"{int(row['size'] - row['count'])}/{int(row['size'])}",
                    transform=transform,
                    ha="center",
                    va="top",
                    fontsize=7,
                    color=DIVERGED_COLOR,
                )
        if logx:
            ax.set_xscale("log")
            ax.set_xlim(xs.min() / 1.6, xs.max() * 1.6)
            ax.xaxis.set_minor_locator(NullLocator())
        else:
            margin = 0.05 * (xs.max() - xs.min()) or 0.5
            ax.set_xlim(xs.min() - margin, xs.max() + margin)
        if len(xs) <= 8:  # a short grid: tick exactly the values that were run
            ax.set_xticks(xs, [f"{value:g}" for value in xs])
        heading = str(group[label].iloc[0]) if label is not None else str(name)
        ax.set_title(heading, fontsize=9)
        ax.set_xlabel(_pretty(x), fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    if max_value is not None:
        axes[0].set_ylim(bottom=min(0.0, axes[0].get_ylim()[0]), top=max_value * 1.25)
    for ax in axes[:: max(1, min(ncols, len(panels)))]:
        ax.set_ylabel(_pretty(metric), fontsize=8)
    names = {
        "mean": "mean over seeds",
        "band": "min–max over seeds" if band == "minmax" else "mean ± std",
        "seed": "one seed",
        "diverged": "diverged (no score)",
        "ref": f"{reference_label} (mean, range)",
        "max": "best possible",
    }
    keys = [k for k in ("mean", "band", "seed", "ref", "max", "diverged") if k in handles]
    fig.legend(
        [handles[k] for k in keys],
        [names[k] for k in keys],
        loc="lower center",
        ncol=len(keys),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


# ---------------------------------------------------------------------------------------------- images
def tile_images(images: torch.Tensor | np.ndarray, ncols: int = 10, pad: int = 1) -> np.ndarray:
    """Images (N, C, H, W) in [-1, 1] as one (rows·(H+pad), ncols·(W+pad)[, 3]) array in [0, 1], row by
    row, with ``pad`` white pixels between them (grey for one channel, RGB for three)."""
    images = torch.as_tensor(images, dtype=torch.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"images must have shape (N, 1 or 3, H, W) with N >= 1, got {tuple(images.shape)}")
    n, channels, height, width = images.shape
    ncols = max(1, min(int(ncols), n))
    nrows = math.ceil(n / ncols)
    canvas = torch.ones(channels, nrows * (height + pad) - pad, ncols * (width + pad) - pad)
    for i, image in enumerate(((images.clamp(-1, 1) + 1) / 2).unbind(0)):
        row, col = divmod(i, ncols)
        canvas[
            :, row * (height + pad) : row * (height + pad) + height, col * (width + pad) : col * (width + pad) + width
        ] = image
    return canvas[0].numpy() if channels == 1 else canvas.permute(1, 2, 0).numpy()


def _displayable(images: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """Input images (N, C, h, w) shown beside outputs of ``shape``: the first three channels (inpainting's
    masked image without its mask), grey made RGB, low resolution enlarged (nearest)."""
    channels = shape[0]
    images = images[:, :channels] if images.shape[1] >= channels else images[:, :1].expand(-1, channels, -1, -1)
    if tuple(images.shape[2:]) != tuple(shape[1:]):
        images = torch.nn.functional.interpolate(images, size=shape[1:], mode="nearest")
    return images


@torch.no_grad()
def sample_grid(
    task: PairedTask, generator, n_inputs: int = 4, n_noises: int = 8, seed: int = 0, min_side: int = 64
) -> np.ndarray:
    """One row per test input: the input, its target, then G(x, z) for ``n_noises`` latents (drawn from
    ``seed``), as an (H, W, 3) uint8 array with 1-pixel white gaps; images smaller than ``min_side`` pixels
    are enlarged by an integer factor (nearest), larger ones keep their own resolution."""
    from mcgan_lib.metrics.lpips_diversity import generate_outputs

    n_inputs = min(check_int("n_inputs", n_inputs, minimum=1), len(task.test))
    check_int("n_noises", n_noises, minimum=1)
    device = next(generator.parameters()).device
    inputs = task.test.inputs[:n_inputs]
    outputs = generate_outputs(generator, inputs.reshape(n_inputs, -1), n_noises, seed=seed, device=device)
    shape = task.data_shape
    rows = [
        torch.cat([_displayable(inputs[i : i + 1], shape), task.test.images[i : i + 1], outputs[i]])
        for i in range(n_inputs)
    ]
    tiles = tile_images(torch.cat(rows).float(), ncols=n_noises + 2)
    tiles = np.repeat(tiles[..., None], 3, axis=2) if tiles.ndim == 2 else tiles
    factor = max(1, math.ceil(min_side / min(shape[1:])))
    tiles = tiles.repeat(factor, axis=0).repeat(factor, axis=1)
    return (tiles * 255).round().astype(np.uint8)


def image_grid(
    panels: dict[str, torch.Tensor | np.ndarray], ncols: int = 10, panel_columns: int = 2, scale: int | None = None
) -> Figure:
    """One tiled block of images per entry of ``panels`` (title -> images (N, C, H, W) in [-1, 1]),
    ``ncols`` images a row within a block and ``panel_columns`` blocks a row.

    ``scale=None`` stretches the blocks over a figure >= 600 px wide. ``scale=k`` (an integer >= 1) is
    display upsampling: every image pixel is drawn as a k × k square of screen pixels (nearest neighbour,
    80 dpi, no smoothing), and a line above the blocks states the images' true size and k."""
    if not panels:
        raise ValueError("panels must name at least one set of images, got an empty mapping")
    names = list(panels)
    tiles = [tile_images(panels[name], ncols) for name in names]
    panel_columns = max(1, min(int(panel_columns), len(names)))
    panel_rows = math.ceil(len(names) / panel_columns)
    if scale is not None:
        sizes = [tuple(torch.as_tensor(panels[name]).shape[-2:]) for name in names]
        return _upsampled_grid(names, tiles, sizes, panel_columns, panel_rows, check_int("scale", scale, minimum=1))
    aspect = max(tile.shape[0] / tile.shape[1] for tile in tiles)
    width = max(3.8 * panel_columns, 7.5)  # at least 600 px at 80 dpi
    panel_width = width / panel_columns
    fig, axes = plt.subplots(
        panel_rows, panel_columns, figsize=(width, panel_rows * (panel_width * aspect + 0.35)), dpi=80, squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, name, tile in zip(axes.flat, names, tiles):
        ax.imshow(tile, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def _upsampled_grid(names, tiles, sizes, panel_columns: int, panel_rows: int, scale: int) -> Figure:
    """:func:`image_grid`'s layout at ``scale`` screen pixels per image pixel: each block's axes is exactly
    its tile's size × ``scale`` pixels, so the nearest-neighbour drawing repeats every pixel evenly."""
    dpi, margin, gap, title_px, note_px = 80, 8, 14, 20, 20
    cell_w = max(tile.shape[1] for tile in tiles) * scale
    cell_h = max(tile.shape[0] for tile in tiles) * scale
    width = 2 * margin + panel_columns * cell_w + (panel_columns - 1) * gap
    height = 2 * margin + note_px + panel_rows * (title_px + cell_h) + (panel_rows - 1) * gap
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    for index, (name, tile) in enumerate(zip(names, tiles)):
        row, col = divmod(index, panel_columns)
        left = margin + col * (cell_w + gap)
        top = margin + note_px + row * (title_px + cell_h + gap) + title_px
        h, w = tile.shape[0] * scale, tile.shape[1] * scale
        ax = fig.add_axes((left / width, 1 - (top + h) / height, w / width, h / height))
        ax.imshow(
            np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1),
            cmap="gray",
            vmin=0.0,
            vmax=1.0,
            interpolation="nearest",
            aspect="auto",
        )
        ax.axis("off")
        ax.set_title(name, fontsize=9, loc="left")
    shown = ", ".join(dict.fromkeys(f"{h}×{w}" for h, w in sizes))
    fig.text(
        margin / width,
        1 - margin / height,
        f"each image {shown} px, drawn ×{scale} (nearest neighbour)",
        ha="left",
        va="top",
        fontsize=8,
        color="0.35",
    )
    return fig


def stored_images(samples: np.ndarray, image_shape: tuple[int, ...], condition_dim: int = 0) -> torch.Tensor:
    """The images (N, *image_shape) of a sweep's stored ``samples`` rows (the condition, if any, first;
    see :func:`mcgan_lib.sweeps.stored_samples`)."""
    samples = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    expected = condition_dim + math.prod(image_shape)
    if samples.ndim != 2 or samples.shape[1] != expected:
        raise ValueError(
            f"samples must be rows of {condition_dim} condition values and {math.prod(image_shape)} pixels "
            f"({expected} columns), got shape {tuple(samples.shape)}"
        )
    return samples[:, condition_dim:].reshape(-1, *image_shape)


def plot_setting_heatmaps(
    table,
    rows: str,
    columns: str,
    metrics: dict[str, str],
    row_label: str | None = None,
    column_label: str | None = None,
    title: str | None = None,
) -> Figure:
    """One heat map per entry of ``metrics`` (column -> panel title): the mean of that column over the
    seeds for every pair (``rows`` value, ``columns`` value) of a two-setting sweep ``table``, each cell
    annotated with its mean; at least 600 px wide."""
    if not metrics:
        raise ValueError("metrics must name at least one column, got an empty mapping")
    _check_columns(table, rows=rows, columns=columns, **{f"metrics[{m!r}]": m for m in metrics})
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(2.7 * len(metrics), 7.5), 2.9), dpi=80, squeeze=False)
    for ax, (metric, name) in zip(axes.flat, metrics.items()):
        pivot = table.pivot_table(index=rows, columns=columns, values=metric, aggfunc="mean")
        values = pivot.to_numpy(dtype=float)
        image = ax.imshow(values, cmap="viridis", origin="lower", aspect="auto")
        span = np.nanmax(values) - np.nanmin(values)
        for (i, j), value in np.ndenumerate(values):
            light = span == 0 or value < np.nanmin(values) + 0.6 * span
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color="white" if light else "black")
        ax.set_xticks(range(len(pivot.columns)), [f"{v:g}" for v in pivot.columns])
        ax.set_yticks(range(len(pivot.index)), [f"{v:g}" for v in pivot.index])
        ax.set_xlabel(column_label or columns, fontsize=8)
        ax.set_ylabel(row_label or rows, fontsize=8)
        ax.set_title(name, fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_encoder_history(table, title: str | None = None) -> Figure:
    """Four panels over training from :func:`mcgan_lib.chapters.ch06_mode_regularized.encoder_history`: the
    share of G(z) on the mode it holds and on the others; the fraction of reconstructions G(E(x)) on their
    own mode; the mean code norm ‖E(x)‖ against the prior's; D(G(E(x))). Held mode solid, others dashed."""
    _check_columns(table, step="step", g_share="g_share_held", codes="code_norm_others")
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), dpi=80)
    panels = (
        ("g_share", "share of G(z) on the mode(s)", (0, 1.05)),
        ("rec_on_own", "G(E(x)) on x's own mode", (0, 1.05)),
        ("code_norm", "mean ‖E(x)‖", None),
        ("d_rec", "D(G(E(x)))", (0, 1.05)),
    )
    for ax, (name, label, limits) in zip(axes, panels):
        ax.plot(table["step"], table[f"{name}_held"], color=FAKE_COLOR, label="the mode G(z) holds")
        ax.plot(table["step"], table[f"{name}_others"], color=REAL_COLOR, ls="--", label="the other modes")
        if name == "code_norm":
            ax.plot(table["step"], table["prior_norm"], color="0.4", ls=":", label="prior: mean ‖z‖")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        if limits:
            ax.set_ylim(*limits)
        ax.tick_params(labelsize=7)
    handles = [*axes[2].get_legend_handles_labels()]
    fig.legend(*handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
