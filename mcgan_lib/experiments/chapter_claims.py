"""The chapters' claims about their stored results, as data (:mod:`mcgan_lib.claims`).

Each chapter prints these sentences with :func:`mcgan_lib.claims.print_claims`, and
``tests/test_claims.py`` asserts every one against the stored full-mode results, so a sentence that the
stored tables stop supporting fails ``make test``. Verdicts against the plain GAN come from
:func:`mcgan_lib.metrics.paired.paired_table`: paired seeds, Wilcoxon's signed-rank test, p < 0.05.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.claims import Claim
from mcgan_lib.experiments.chapter_sweeps import COLLAPSE_METHODS, chapter_sweeps
from mcgan_lib.methods import METHODS
from mcgan_lib.metrics.paired import paired_table


def _seeds(table: pd.DataFrame, predicate) -> int:
    return int(predicate(table).sum())


def comparison_table(read, task: str) -> pd.DataFrame:
    """Chapter 07's stored runs of every compared method on ``task``, as one table."""
    names = [name for name in chapter_sweeps("07_comparison") if name.startswith(f"{task}_")]
    return pd.concat([read(name) for name in names], ignore_index=True)


def comparison_verdicts(read, task: str, metric: str = "modes_covered") -> pd.DataFrame:
    """Each compared method against the plain GAN on ``task`` (paired seeds, Wilcoxon)."""
    return paired_table(comparison_table(read, task), metric)


def collapse_verdicts(read, metric: str = "modes_covered") -> pd.DataFrame:
    """Chapter 07's single-mode regime on the ring: each method at its tuned λ against the plain GAN."""
    table = pd.concat([read(f"collapse_ring_{name}") for name in COLLAPSE_METHODS], ignore_index=True)
    return paired_table(table, metric)


def _methods_with(verdicts: pd.DataFrame, verdict: str) -> str:
    names = [METHODS[name].label for name in verdicts.index[verdicts.verdict == verdict]]
    return ", ".join(names) if names else "none"


def _helps_and_hurts(verdicts: pd.DataFrame) -> dict[str, str]:
    return {"helps": _methods_with(verdicts, "helps"), "hurts": _methods_with(verdicts, "hurts")}


CHAPTER_CLAIMS: dict[str, tuple[Claim, ...]] = {
    "01_eight_gaussians": (
        Claim(
            "single_mode_collapse",
            "Single-mode regime, seeds 0-9: the plain GAN holds at most three ring modes (strict count) on "
            "{at_most_three} of {seeds} seeds, a single mode on {single} of them, at a mean high-quality fraction "
            "of {hq_mean:.2f}.",
            lambda read: {
                "at_most_three": _seeds(read("collapse_ring"), lambda t: t.modes_covered <= 3),
                "single": _seeds(read("collapse_ring"), lambda t: t.modes_covered <= 1),
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
                "missing": _seeds(read("ring_plain"), lambda t: t.modes_covered < 8),
                "two_modes": _seeds(read("ring_plain"), lambda t: t.modes_covered <= 2),
                "seeds": len(read("ring_plain")),
            },
            lambda e: e["missing"] == e["seeds"] and e["two_modes"] > e["seeds"] / 2,
        ),
        Claim(
            "ring_sharp",
            "The plain GAN's ring samples are sharp: the high-quality fraction is at least {lowest_hq:.2f} "
            "on every seed.",
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
    ),
    "07_comparison": (
        Claim(
            "ring_verdicts",
            "Ring, partial-collapse regime, 10 paired seeds (Wilcoxon, p < 0.05): helps: {helps}; hurts: {hurts}; "
            "every other method: no effect detected.",
            lambda read: _helps_and_hurts(comparison_verdicts(read, "ring")),
            lambda e: e["helps"] == "Gaussian MR1" and e["hurts"] == "GAN + ℓ2",
        ),
        Claim(
            "single_mode_verdicts",
            "Ring, single-mode regime, each method at its tuned λ, 10 paired seeds (Wilcoxon, p < 0.05): "
            "helps: {helps}; hurts: {hurts}; no effect detected: {none}.",
            lambda read: {
                **_helps_and_hurts(verdicts := collapse_verdicts(read)),
                "none": _methods_with(verdicts, "no effect detected"),
            },
            lambda e: e["helps"] == "Gaussian MR1",
        ),
        Claim(
            "single_mode_mr1",
            "Gaussian MR1 (all K·B samples, λ = 10) covers more ring modes than the plain GAN on {wins} of {seeds} "
            "seeds: {covered:.1f} by the strict count and {captured:.1f} by the published one, against the plain "
            "GAN's {plain:.1f}, at a mean high-quality fraction of {hq:.2f}.",
            lambda read: {
                "wins": _seeds(
                    read("collapse_ring_gaussian_mr1").set_index("seed").modes_covered
                    - read("collapse_ring_gan").set_index("seed").modes_covered,
                    lambda d: d > 0,
                ),
                "seeds": len(read("collapse_ring_gaussian_mr1")),
                "covered": float(read("collapse_ring_gaussian_mr1").modes_covered.mean()),
                "captured": float(read("collapse_ring_gaussian_mr1").modes_captured.mean()),
                "plain": float(read("collapse_ring_gan").modes_covered.mean()),
                "hq": float(read("collapse_ring_gaussian_mr1").high_quality_fraction.mean()),
            },
            lambda e: e["wins"] >= 9 and e["covered"] >= 5 and e["hq"] >= 0.7,
        ),
        Claim(
            "grid_nothing_helps",
            "Grid, the same regime: no method covers more modes than the plain GAN at p < 0.05 "
            "(helps: {helps}); hurts: {hurts}.",
            lambda read: _helps_and_hurts(comparison_verdicts(read, "grid")),
            lambda e: e["helps"] == "none",
        ),
    ),
}
