"""Published numbers of the standard 2D benchmarks and of Stacked MNIST, shown beside ours and always
labelled "reported".

Copied from ``shared/reference-results.md`` (VEEGAN Table 1; PacGAN Table 1, mean ± standard error
over 10 trials). Architectures and budgets differ between papers and from ours, so these rows are
context, not a like-for-like comparison: VEEGAN's plain GAN finds 1/8 ring modes, PacGAN's 6.3/8.
The Stacked MNIST rows (VEEGAN Table 2; PacGAN Table 3, by the discriminator's size relative to G) are
chapter 08's context for Stacked-Digits, a different (offline, 8×8) data set with the same protocol.
"""

from __future__ import annotations

import pandas as pd

REPORTED_TOY_RESULTS = [
    # source, method, task, modes captured, high-quality %, reverse KL, protocol note
    (
        "VEEGAN (Srivastava et al. 2017), Table 1",
        "GAN",
        "ring",
        "1",
        "99.3",
        None,
        "5 runs, 2,500 samples, ring radius 1",
    ),
    ("VEEGAN (Srivastava et al. 2017), Table 1", "Unrolled GAN", "ring", "7.6", "35.6", None, "5 runs"),
    ("VEEGAN (Srivastava et al. 2017), Table 1", "VEEGAN", "ring", "8", "52.9", None, "5 runs"),
    ("VEEGAN (Srivastava et al. 2017), Table 1", "GAN", "grid", "3.3", "0.5", None, "5 runs, std 0.05"),
    ("VEEGAN (Srivastava et al. 2017), Table 1", "Unrolled GAN", "grid", "23.6", "16", None, "5 runs"),
    ("VEEGAN (Srivastava et al. 2017), Table 1", "VEEGAN", "grid", "24.6", "40", None, "5 runs"),
    (
        "PacGAN (Lin et al. 2018), Table 1",
        "GAN",
        "ring",
        "6.3 ± 0.5",
        "98.2 ± 0.2",
        "0.45 ± 0.09",
        "10 trials, ± s.e., ring radius 1, std 0.01",
    ),
    (
        "PacGAN (Lin et al. 2018), Table 1",
        "PacGAN2",
        "ring",
        "7.9 ± 0.1",
        "95.6 ± 2.0",
        "0.07 ± 0.03",
        "10 trials, ± s.e.",
    ),
    (
        "PacGAN (Lin et al. 2018), Table 1",
        "GAN",
        "grid",
        "17.3 ± 0.8",
        "94.8 ± 0.7",
        "0.70 ± 0.07",
        "10 trials, ± s.e.",
    ),
    (
        "PacGAN (Lin et al. 2018), Table 1",
        "PacGAN2",
        "grid",
        "23.8 ± 0.7",
        "91.3 ± 0.8",
        "0.13 ± 0.04",
        "10 trials, ± s.e.",
    ),
]


def reported_table(task: str | None = None, methods=None) -> pd.DataFrame:
    """The reported rows (optionally one ``task``: ring or grid, and some ``methods``), labelled."""
    table = pd.DataFrame(
        REPORTED_TOY_RESULTS,
        columns=["source", "method", "task", "modes_captured", "high_quality_percent", "reverse_kl", "protocol"],
    )
    if task is not None:
        if task not in {"ring", "grid"}:
            raise ValueError(f"task must be 'ring', 'grid' or None, got {task!r}")
        table = table[table.task == task]
    if methods is not None:
        table = table[table.method.isin(list(methods))]
    table = table.assign(method=table.method + " (reported)")
    return table.fillna("—").reset_index(drop=True)


REPORTED_STACKED_MNIST = [
    # source, method, discriminator size, modes (of 1,000), KL, protocol note
    ("VEEGAN (Srivastava et al. 2017), Table 2", "DCGAN", "not stated", "99.0", "3.40", "26,000 samples"),
    ("VEEGAN (Srivastava et al. 2017), Table 2", "VEEGAN", "not stated", "150.0", "2.95", "26,000 samples"),
    (
        "PacGAN (Lin et al. 2018), Table 2",
        "DCGAN",
        "VEEGAN's setting",
        "78.9 ± 6.46",
        "4.50 ± 0.127",
        "10 trials, ± s.e., 26,000 samples",
    ),
    ("PacGAN (Lin et al. 2018), Table 3", "DCGAN", "¼ G", "78.5 ± 17.56", "5.21 ± 0.19", "50 trials, ± s.e."),
    ("PacGAN (Lin et al. 2018), Table 3", "PacDCGAN2", "¼ G", "484.5 ± 32.99", "2.61 ± 0.22", "50 trials, ± s.e."),
    ("PacGAN (Lin et al. 2018), Table 3", "DCGAN", "½ G", "487.7 ± 34.59", "2.24 ± 0.15", "50 trials, ± s.e."),
    (
        "Unrolled GAN (Metz et al. 2017), quoted in PacGAN Table 3",
        "DCGAN",
        "¼ G",
        "30.6 ± 20.73",
        "5.99 ± 0.42",
        "± unverified",
    ),
]


def reported_stacked_mnist() -> pd.DataFrame:
    """The reported Stacked MNIST rows (modes of 1,000 and KL to uniform), labelled: chapter 08's context."""
    table = pd.DataFrame(
        REPORTED_STACKED_MNIST, columns=["source", "method", "D size", "modes_captured", "kl_to_uniform", "protocol"]
    )
    return table.assign(method=table.method + " (reported)")
