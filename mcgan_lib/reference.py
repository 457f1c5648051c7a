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


REPORTED_PAIRED_TRANSLATION = [
    # source, task, method, FID, NDB, JSD, LPIPS (diversity), protocol note
    (
        "MSGAN (Mao et al. 2019), Table 2",
        "Facades",
        "pix2pix",
        "139.19 ± 2.94",
        "14.40 ± 1.82",
        "0.074 ± 0.012",
        "0.0003 ± 0.0000",
        "256×256, mean ± std over runs",
    ),
    (
        "MSGAN (Mao et al. 2019), Table 2",
        "Facades",
        "MSGAN",
        "92.84 ± 1.00",
        "12.40 ± 0.55",
        "0.038 ± 0.004",
        "0.1894 ± 0.0011",
        "256×256, mean ± std over runs",
    ),
    (
        "MSGAN (Mao et al. 2019), Table 2",
        "Maps",
        "pix2pix",
        "168.99 ± 2.58",
        "49.00 ± 1.00",
        "0.088 ± 0.018",
        "0.0016 ± 0.0003",
        "256×256, mean ± std over runs",
    ),
    (
        "MSGAN (Mao et al. 2019), Table 2",
        "Maps",
        "MSGAN",
        "152.43 ± 2.52",
        "41.60 ± 0.55",
        "0.031 ± 0.003",
        "0.2189 ± 0.0004",
        "256×256, mean ± std over runs",
    ),
    (
        "HMGAN (Hu et al. 2020), Table 3",
        "Facades",
        "pix2pix",
        "140.00 ± 2.57",
        "16.00 ± 0.38",
        "0.078 ± 0.003",
        "0.005 ± 0.001",
        "every ERE 0 (HMGAN¹) / 1 (HMGAN²)",
    ),
    (
        "HMGAN (Hu et al. 2020), Table 3",
        "Facades",
        "HMGAN¹",
        "90.00 ± 3.25",
        "12.30 ± 0.32",
        "0.028 ± 0.006",
        "0.192 ± 0.001",
        "every ERE 0 (HMGAN¹) / 1 (HMGAN²)",
    ),
    (
        "HMGAN (Hu et al. 2020), Table 3",
        "Maps",
        "pix2pix",
        "165.80 ± 3.21",
        "47.30 ± 2.35",
        "0.072 ± 0.023",
        "0.003 ± 0.001",
        "every ERE 0 (HMGAN¹) / 1 (HMGAN²)",
    ),
    (
        "HMGAN (Hu et al. 2020), Table 3",
        "Maps",
        "HMGAN¹",
        "153.60 ± 2.50",
        "42.00 ± 2.52",
        "0.035 ± 0.003",
        "0.205 ± 0.001",
        "every ERE 0 (HMGAN¹) / 1 (HMGAN²)",
    ),
    (
        "MR-GAN thesis (Lee et al. 2019), Table 5.1(a)",
        "Cityscapes",
        "pix2pix + noise",
        "—",
        "—",
        "—",
        "0.004",
        "300 inputs × 20 outputs, 10 pairs each",
    ),
    (
        "MR-GAN thesis (Lee et al. 2019), Table 5.1(a)",
        "Cityscapes",
        "BicycleGAN",
        "—",
        "—",
        "—",
        "0.191",
        "300 inputs × 20 outputs, 10 pairs each",
    ),
    (
        "MR-GAN thesis (Lee et al. 2019), Table 5.1(a)",
        "Cityscapes",
        "Gaussian MR1",
        "—",
        "—",
        "—",
        "0.299",
        "300 inputs × 20 outputs, 10 pairs each",
    ),
    (
        "MR-GAN thesis (Lee et al. 2019), Table 5.1(a)",
        "Cityscapes",
        "Gaussian proxy MR2",
        "—",
        "—",
        "—",
        "0.388",
        "300 inputs × 20 outputs, 10 pairs each",
    ),
    (
        "MR-GAN thesis (Lee et al. 2019), Table 5.1(a)",
        "Cityscapes",
        "random real data",
        "—",
        "—",
        "—",
        "0.559",
        "300 inputs × 20 outputs, 10 pairs each",
    ),
]

REPORTED_RESTORATION = [
    # source, task, method, LPIPS diversity, realism 2(1 - F) from a human study
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(b)", "SRGAN–CelebA", "SRGAN + noise", "0.005", "0.60 ± 0.06"),
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(b)", "SRGAN–CelebA", "Gaussian proxy MR2", "0.050", "0.52 ± 0.05"),
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(b)", "SRGAN–CelebA", "random real data", "0.290", "1.00"),
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(c)", "GLCIC–CelebA", "GLCIC + noise", "0.004", "0.28 ± 0.04"),
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(c)", "GLCIC–CelebA", "Gaussian proxy MR2", "0.060", "0.33 ± 0.04"),
    ("MR-GAN thesis (Lee et al. 2019), Table 5.1(c)", "GLCIC–CelebA", "random real data", "0.426", "1.00"),
]


def reported_paired_translation() -> pd.DataFrame:
    """The reported pix2pix-task rows (MSGAN's and HMGAN's Facades/Maps tables, MR-GAN's Cityscapes
    diversity), labelled: chapter 09's context. Calibrated LPIPS and Inception FID at 256×256."""
    columns = ["source", "task", "method", "FID", "NDB", "JSD", "LPIPS", "protocol"]
    table = pd.DataFrame(REPORTED_PAIRED_TRANSLATION, columns=columns)
    return table.assign(method=table.method + " (reported)")


def reported_restoration() -> pd.DataFrame:
    """MR-GAN's super-resolution and inpainting rows (Table 5.1(b, c)), labelled: chapter 10's context."""
    table = pd.DataFrame(REPORTED_RESTORATION, columns=["source", "task", "method", "LPIPS", "realism"])
    return table.assign(method=table.method + " (reported)")


REPORTED_MISSING_MODES = [
    # σ, then the number of CelebA test images on missing modes per method (prior dimension in brackets)
    (3.5, 5463, 17089, 754, 3644, 74),
    (4.0, 590, 15832, 42, 391, 13),
]


def reported_missing_modes() -> pd.DataFrame:
    """Che et al. 2017, Table 3: CelebA test images on missing modes, by a third-party discriminator with
    input noise σ (on the paper's own pixel scale), labelled: chapter 11's context."""
    columns = ["σ", "DCGAN (100)", "DCGAN (200)", "Reg-GAN (100)", "Reg-GAN (200)", "MDGAN (200)"]
    table = pd.DataFrame(REPORTED_MISSING_MODES, columns=columns)
    return table.assign(source="Mode-Regularized GAN (Che et al. 2017), Table 3 (reported)")
