"""Chapter 01, the eight Gaussians: its sweeps, its claims and the measured searches behind its two setups.

The plain GAN's runs on the ring and the grid (:data:`~mcgan_lib.experiments.toy.PLAIN_GAN_SETUP`), the
learning rate against the seed, and the single-mode regime's plain GAN (chapter 07's ``collapse_ring_gan``).

:data:`CONFIGURATION_SEARCH` is the search that chose ``PLAIN_GAN_SETUP``, as measured. Goal: a
configuration in which the plain GAN's samples are sharp (high-quality fraction ≥ 0.8) and it still
misses ring modes on most seeds, the published picture of collapse (VEEGAN's plain GAN keeps 1 of 8 modes
at 99.3 % HQ, PacGAN's 6.3 at 98.2 %), so that a regularizer has something to fix. Every row is the mean
over seeds of :func:`mcgan_lib.sweeps.sweep` on the ring (2,500 samples per member), G of two hidden
layers of 64 ReLU units and a 16-dimensional latent in every row. ``modes_covered`` is the strict count
(a mode with at least a quarter of its share of HQ samples). Measured with the library at commits 626ebc2
(2026-12-01) and c180c64 (2026-12-02) on a 2-core CPU. :data:`COLLAPSE_SEARCH` is the search that chose
:data:`~mcgan_lib.experiments.toy.COLLAPSE_SETUP`.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.chapters.ch07_comparison import collapse_budget
from mcgan_lib.claims import Claim, count_seeds
from mcgan_lib.config import choose

CHAPTER = "01_eight_gaussians"


def _plain_runs(task: str) -> dict:
    """The chapter's five plain-GAN seeds on ``task`` (chapter 04 reads the same ring runs)."""
    return dict(task=task, method="gan", seeds=list(choose(range(5), range(3))), keep_samples=1000)


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
    return {
        "collapse_ring": dict(method="gan", **collapse_budget("ring")),  # chapter 07's collapse_ring_gan
        "ring_plain": _plain_runs("ring"),
        "grid_plain": _plain_runs("grid"),
        "lr_seed": dict(
            task="ring",
            method="gan",
            grid={"lr": choose([1e-4, 1e-3], [1e-3])},
            seeds=list(choose(range(5), range(3))),
        ),
    }


CLAIMS = (
    Claim(
        "single_mode_collapse",
        "Single-mode regime, seeds 0-9: the plain GAN holds at most three ring modes (strict count) on "
        "{at_most_three} of {seeds} seeds, a single mode on {single} of them, at a mean high-quality fraction "
        "of {hq_mean:.2f}.",
        lambda read: {
            "at_most_three": count_seeds(read("collapse_ring"), lambda t: t.modes_covered <= 3),
            "single": count_seeds(read("collapse_ring"), lambda t: t.modes_covered <= 1),
            "seeds": len(read("collapse_ring")),
            "hq_mean": float(read("collapse_ring").high_quality_fraction.mean()),
        },
        lambda e: e["at_most_three"] >= 8 and e["seeds"] == 10 and e["hq_mean"] >= 0.8,
    ),
    Claim(
        "ring_every_seed_misses_a_mode",
        "On the ring, {missing} of {seeds} seeds miss at least one mode by the strict count, "
        "and {two_modes} of them end on at most two modes.",
        lambda read: {
            "missing": count_seeds(read("ring_plain"), lambda t: t.modes_covered < 8),
            "two_modes": count_seeds(read("ring_plain"), lambda t: t.modes_covered <= 2),
            "seeds": len(read("ring_plain")),
        },
        lambda e: e["missing"] == e["seeds"] and e["two_modes"] > e["seeds"] / 2,
    ),
    Claim(
        "ring_sharp",
        "The plain GAN's ring samples are sharp: the high-quality fraction is at least {lowest_hq:.2f} on every seed.",
        lambda read: {"lowest_hq": float(read("ring_plain").high_quality_fraction.min())},
        lambda e: e["lowest_hq"] >= 0.8,
    ),
    Claim(
        "grid_four_corners",
        "On the grid every seed covers exactly {covered} modes by the strict count (the four corners), "
        "at a high-quality fraction of {hq_mean:.2f} on average.",
        lambda read: {
            "covered": int(read("grid_plain").modes_covered.iloc[0]),
            "all_same": bool((read("grid_plain").modes_covered == 4).all()),
            "hq_mean": float(read("grid_plain").high_quality_fraction.mean()),
        },
        lambda e: e["all_same"] and e["covered"] == 4,
    ),
)


# ------------------------------------------------------------------------------- the searches, as measured
SEARCH_COLUMNS = (
    "d_hidden_dim",
    "lr",
    "batch_size",
    "steps",
    "method",
    "weight",
    "seeds",
    "modes_captured",
    "modes_covered",
    "high_quality_fraction",
    "outcome",
)

CONFIGURATION_SEARCH = [
    (64, 1e-3, 256, 10_000, "gan", None, 10, 7.0, 6.7, 0.90, "sharp, but covers most of the ring"),
    (64, 1e-3, 256, 10_000, "ms", 1.0, 10, 6.8, 5.9, 0.92, "no better than the plain GAN"),
    (64, 1e-3, 256, 10_000, "hm", 1.0, 10, 6.9, 3.3, 0.42, "spread between modes"),
    (64, 1e-3, 256, 10_000, "laplace_mr1", 10.0, 10, 7.1, 6.8, 0.85, "no better than the plain GAN"),
    (64, 1e-3, 256, 10_000, "reg_gan", 0.5, 10, 7.9, 7.3, 0.93, "covers the ring"),
    (128, 3e-4, 256, 10_000, "gan", None, 5, 6.8, 5.8, 0.91, "sharp, covers most of the ring"),
    (256, 3e-4, 256, 5_000, "gan", None, 5, 5.4, 3.8, 0.88, "sharp, misses modes"),
    (256, 3e-4, 256, 5_000, "laplace_mr1", 10.0, 5, 7.0, 5.8, 0.86, "more modes, less sharp"),
    (256, 3e-4, 256, 10_000, "gan", None, 5, 4.4, 3.4, 0.88, "sharp, misses modes"),
    (256, 3e-4, 256, 10_000, "ms", 10.0, 5, 6.0, 5.2, 0.89, "more modes"),
    (256, 3e-4, 256, 10_000, "hm", 1.0, 5, 5.2, 3.8, 0.91, "slightly more modes"),
    (256, 3e-4, 256, 10_000, "laplace_mr1", 10.0, 5, 6.8, 6.8, 0.94, "more modes, sharp"),
    (256, 3e-4, 128, 10_000, "gan", None, 5, 4.0, 3.6, 0.95, "chosen: sharp, misses modes on every seed"),
    (256, 3e-4, 128, 10_000, "laplace_mr1", 10.0, 5, 7.4, 7.0, 0.90, "chosen: more modes, sharp"),
]


def configuration_search_table() -> pd.DataFrame:
    """:data:`CONFIGURATION_SEARCH` as a table, one row per (configuration, method)."""
    return pd.DataFrame(CONFIGURATION_SEARCH, columns=list(SEARCH_COLUMNS))


# The search that chose COLLAPSE_SETUP (mcgan_lib.experiments.toy), as measured on 2026-12-03 on a 2-core CPU:
# the plain GAN on the ring in training coordinates scaled into [-1, 1] (radius 1, std 0.01), tuning seeds
# 100-104 (or 100-102), never the reported seeds. Goal: the papers' picture, sharp samples (HQ >= 0.8) on a
# single mode on every seed. Each row is the mean over its seeds; G is ReLU unless stated.
COLLAPSE_SEARCH_COLUMNS = (
    "candidate",
    "G",
    "D",
    "latent",
    "lr G / D",
    "batch",
    "steps",
    "seeds",
    "modes_captured",
    "modes_covered",
    "high_quality_fraction",
    "outcome",
)

COLLAPSE_SEARCH = [
    (
        "PLAIN_GAN_SETUP",
        "2×64",
        "2×256",
        16,
        "3e-4 / 3e-4",
        128,
        5000,
        5,
        3.8,
        2.2,
        0.77,
        "two modes, blurred at this scale",
    ),
    (
        "Unrolled GAN demo",
        "2×128 tanh",
        "2×128 tanh",
        256,
        "1e-3 / 1e-4",
        512,
        5000,
        5,
        6.8,
        0.2,
        0.06,
        "spread, not sharp",
    ),
    ("VEEGAN-like", "2×128", "2×128", 254, "1e-3 / 1e-3", 512, 5000, 5, 3.6, 1.6, 0.45, "unstable: 0 to 8 modes"),
    ("fast G", "2×128", "2×128", 256, "1e-3 / 1e-4", 512, 3000, 5, 0.6, 0.4, 0.03, "one mode, blurred"),
    ("fast G, latent 16", "2×128", "2×128", 16, "1e-3 / 1e-4", 512, 3000, 3, 1.0, 0.7, 0.06, "one mode, blurred"),
    ("fast G, small nets", "2×64", "2×256", 16, "1e-3 / 1e-4", 128, 3000, 5, 0.0, 0.0, 0.0, "off the modes"),
    ("slower fast G", "2×128", "2×128", 16, "3e-4 / 3e-5", 512, 3000, 3, 0.3, 0.0, 0.01, "off the modes"),
    (
        "wider D",
        "2×64",
        "2×512",
        16,
        "1.5e-4 / 1.5e-4",
        128,
        5000,
        3,
        1.3,
        1.3,
        0.96,
        "sharp; one mode on 2 of 3 seeds",
    ),
    (
        "deeper D",
        "2×64",
        "3×256",
        16,
        "1.5e-4 / 1.5e-4",
        128,
        5000,
        3,
        1.0,
        1.0,
        0.99,
        "chosen: sharp, one mode on every seed",
    ),
    ("batch 64", "2×64", "2×256", 16, "1.5e-4 / 1.5e-4", 64, 5000, 3, 4.7, 1.3, 0.33, "blurred"),
]


def collapse_search_table() -> pd.DataFrame:
    """:data:`COLLAPSE_SEARCH` as a table, one row per candidate configuration of the plain GAN."""
    return pd.DataFrame(COLLAPSE_SEARCH, columns=list(COLLAPSE_SEARCH_COLUMNS))
