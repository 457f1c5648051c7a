"""Published numbers of the standard 2D benchmarks, shown beside ours and always labelled "reported".

Copied from ``shared/reference-results.md`` (VEEGAN Table 1; PacGAN Table 1, mean ± standard error
over 10 trials). Architectures and budgets differ between papers and from ours, so these rows are
context, not a like-for-like comparison: VEEGAN's plain GAN finds 1/8 ring modes, PacGAN's 6.3/8.
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
