"""Verdicts that the seeds carry: a method against a baseline on paired seeds.

Seed s of every method starts from the same initial networks and draws the same data stream
(:func:`mcgan_lib.sweeps.sweep`'s seeding), so the per-seed difference d_s = method_s − baseline_s removes
what the seed alone decides. The test is Wilcoxon's signed-rank test on the d_s (SciPy, two-sided); a
method **helps** when p < ``alpha`` and the median difference is positive, **hurts** when p < ``alpha``
and it is negative, and otherwise *no effect was detected* at that many seeds. Seeds where either run
diverged are dropped from the pair. Choice: zero differences are dropped (Wilcoxon's own treatment,
SciPy's ``zero_method="wilcox"``), and all-zero differences give p = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcgan_lib.validation import check_float

ALPHA = 0.05
VERDICTS = ("helps", "hurts", "no effect detected")


@dataclass(frozen=True)
class PairedTest:
    """One method against the baseline on one metric: the paired seeds, their differences and the test."""

    seeds: tuple[int, ...]
    differences: tuple[float, ...]
    mean_difference: float
    median_difference: float
    wins: int
    losses: int
    p_value: float
    verdict: str

    def sentence(self, method: str, baseline: str, metric: str) -> str:
        """The verdict in words, with its evidence."""
        n = len(self.seeds)
        if self.verdict == "no effect detected":
            head = f"{method}: no effect on {metric} detected against {baseline} at {n} seeds"
        else:
            head = f"{method} {self.verdict} on {metric} against {baseline}"
        return (
            f"{head} (mean difference {self.mean_difference:+.2f}, {self.wins} wins / {self.losses} losses, "
            f"Wilcoxon p = {self.p_value:.3g})"
        )


def paired_test(method_values, baseline_values, seeds=None, alpha: float = ALPHA) -> PairedTest:
    """Wilcoxon signed-rank test of ``method_values`` − ``baseline_values``, paired by position (or by ``seeds``).

    NaN pairs (a diverged run) are dropped. Needs at least one remaining pair.
    """
    from scipy.stats import wilcoxon

    alpha = check_float("alpha", alpha, minimum=0.0, maximum=1.0, strict_minimum=True)
    method_values = np.asarray(method_values, dtype=float)
    baseline_values = np.asarray(baseline_values, dtype=float)
    if method_values.shape != baseline_values.shape or method_values.ndim != 1:
        raise ValueError(
            f"method_values and baseline_values must be 1-D and of one length (one value per seed), got shapes "
            f"{method_values.shape} and {baseline_values.shape}"
        )
    seeds = tuple(range(len(method_values))) if seeds is None else tuple(int(s) for s in seeds)
    if len(seeds) != len(method_values):
        raise ValueError(f"seeds must give one seed per value ({len(method_values)}), got {len(seeds)}")
    keep = ~(np.isnan(method_values) | np.isnan(baseline_values))
    if not keep.any():
        raise ValueError("no seed has both a method value and a baseline value (every pair has a NaN)")
    differences = method_values[keep] - baseline_values[keep]
    if np.all(differences == 0):
        p_value = 1.0
    else:
        p_value = float(wilcoxon(differences, zero_method="wilcox", alternative="two-sided").pvalue)
    median = float(np.median(differences))
    verdict = "no effect detected"
    if p_value < alpha and median != 0:
        verdict = "helps" if median > 0 else "hurts"
    return PairedTest(
        seeds=tuple(s for s, k in zip(seeds, keep) if k),
        differences=tuple(float(d) for d in differences),
        mean_difference=float(differences.mean()),
        median_difference=median,
        wins=int((differences > 0).sum()),
        losses=int((differences < 0).sum()),
        p_value=p_value if not math.isnan(p_value) else 1.0,
        verdict=verdict,
    )


def paired_table(
    table: pd.DataFrame,
    metric: str,
    baseline: str = "gan",
    by: str = "method",
    alpha: float = ALPHA,
    digits: int = 2,
) -> pd.DataFrame:
    """Every group of ``by`` in a sweep/compare ``table`` against ``baseline`` on ``metric``, paired by seed.

    One row per group: mean ± std, the per-seed differences, wins/losses, the Wilcoxon p-value and the
    verdict (module docstring). The baseline's own row has no test ("—").
    """
    for column in (by, "seed", metric):
        if column not in table:
            raise ValueError(f"table has no column {column!r}; columns: {sorted(table.columns)}")
    groups = {name: rows.set_index("seed")[metric] for name, rows in table.groupby(by, sort=False)}
    if baseline not in groups:
        raise ValueError(f"baseline {baseline!r} is not a value of column {by!r}: {sorted(groups)}")
    reference = groups[baseline]
    out = []
    for name, values in groups.items():
        row = {by: name, "mean ± std": f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"}
        row.update(dict.fromkeys(("per-seed difference", "wins / losses", "Wilcoxon p", "verdict"), "—"))
        if name != baseline:
            seeds = sorted(set(values.index) & set(reference.index))
            if not seeds:
                raise ValueError(f"{by}={name!r} shares no seed with the baseline {baseline!r}")
            test = paired_test(values.loc[seeds], reference.loc[seeds], seeds, alpha)
            row.update(
                {
                    "per-seed difference": " ".join(f"{d:+.{min(digits, 1)}f}" for d in test.differences),
                    "wins / losses": f"{test.wins} / {test.losses}",
                    "Wilcoxon p": f"{test.p_value:.3g}",
                    "verdict": test.verdict,
                }
            )
        out.append(row)
    return pd.DataFrame(out).set_index(by)
