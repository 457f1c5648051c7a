"""The search that chose :data:`~mcgan_lib.experiments.toy.PLAIN_GAN_SETUP`, as measured (chapter 01).

Goal: a configuration in which the plain GAN's samples are sharp (high-quality fraction ≥ 0.8) and it
still misses ring modes on most seeds, the published picture of collapse (VEEGAN's plain GAN keeps 1 of
8 modes at 99.3 % HQ, PacGAN's 6.3 at 98.2 %), so that a regularizer has something to fix. Every row
is the mean over seeds of :func:`mcgan_lib.sweeps.sweep` on the ring (2,500 samples per member), G of
two hidden layers of 64 ReLU units and a 16-dimensional latent in every row. ``modes_covered`` is the
strict count (a mode with at least a quarter of its share of HQ samples). Measured with the library at
commits 626ebc2 (2026-12-01) and c180c64 (2026-12-02) on a 2-core CPU.
"""

from __future__ import annotations

import pandas as pd

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
