"""Chapter 05, hierarchical modes (HMGAN): its sweep and its claims.

On chapter 07's single-mode ring: the per-pair reading of HMGAN (every ERE 0, β = 0.1) on seeds 0-2. Its
β grid is chapter 07's tuning sweep ``tune_hm`` and its verdict chapter 07's seeds 0-9, read from that
chapter.
"""

from __future__ import annotations

import torch

from mcgan_lib.chapters.ch07_comparison import COLLAPSE_TASKS, COMPARISON_QUICK_STEPS, tuned_settings
from mcgan_lib.claims import Claim, count_seeds, paired_row
from mcgan_lib.config import choose
from mcgan_lib.experiments.toy import COLLAPSE_SETUP
from mcgan_lib.regularizers.hierarchical import layer_diversity

CHAPTER = "05_hierarchical_modes"


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
    budget = dict(
        task=COLLAPSE_TASKS["ring"],
        method="hm",
        setup=COLLAPSE_SETUP,
        seeds=choose([0, 1, 2], [0]),
        steps=choose(COLLAPSE_SETUP.steps, COMPARISON_QUICK_STEPS),
    )
    return {"hm_per_pair": dict(grid={"weight": [0.1]}, method_options={"pairs": "pair"}, **budget)}


def live_run(ere: list[float], bounds: list[float]) -> dict:
    """The chapter's "train live" run: HMGAN with per-layer targets ``ere`` and lower ``bounds`` (a target out
    of range warns) on seed 0 in the single-mode regime (its setup and steps in the current mode), 500
    samples kept."""
    return dict(
        task=COLLAPSE_TASKS["ring"],
        method="hm",
        seeds=[0],
        setup=COLLAPSE_SETUP,
        steps=COLLAPSE_SETUP.default_steps(),
        method_options={"ere": list(ere), "bounds": list(bounds), "out_of_range": "warn"},
        keep_samples=500,
    )


# ------------------------------------------------------------------------------------------------- claims
def sample_spread(samples) -> float:
    """Mean pairwise distance of a run's samples (mean absolute difference per coordinate, the distance of
    HMGAN's loss at the output layer; training coordinates)."""
    x = torch.as_tensor(samples)
    return float(layer_diversity([x, x])[-1])


def _hm_single_mode_verdict(read) -> dict:
    tables = {name: read(f"collapse_ring_{name}", chapter="07_comparison") for name in ("gan", "hm")}
    return {"weight": float(tuned_settings("hm")["weight"]), **paired_row(tables, "modes_covered", "hm")}


def _hm_tuning(read, low: float = 0.1, high: float = 10.0) -> dict:
    means = (
        read("tune_hm", chapter="07_comparison")
        .groupby("weight")[["modes_captured", "modes_covered", "high_quality_fraction"]]
        .mean()
    )
    return {
        "captured_low": float(means.modes_captured[low]),
        "captured_high": float(means.modes_captured[high]),
        "covered_low": float(means.modes_covered[low]),
        "covered_high": float(means.modes_covered[high]),
        "hq_low": float(means.high_quality_fraction[low]),
        "hq_high": float(means.high_quality_fraction[high]),
    }


def _hm_spread(read) -> dict:
    tuning = read("tune_hm", chapter="07_comparison")
    mr1 = read("collapse_ring_gaussian_mr1", chapter="07_comparison")
    return {
        "hm": float(tuning[tuning.weight == 10.0].samples.map(sample_spread).mean()),
        "hm_low": float(tuning[tuning.weight == 0.1].samples.map(sample_spread).mean()),
        "mr1": float(mr1.samples.map(sample_spread).mean()),
        "mr1_covered": float(mr1.modes_covered.mean()),
        "gan": float(read("collapse_ring_gan", chapter="07_comparison").samples.map(sample_spread).mean()),
    }


CLAIMS = (
    Claim(
        "single_mode_verdict",
        "Single-mode regime, seeds 0-9: HMGAN (every ERE 0, β = {weight:g}, tuned on seeds 100-102) covers "
        "{hm:.1f} ring modes by the strict count against the plain GAN's {gan:.1f} (wins / losses {wins}, "
        "Wilcoxon p = {p}): {verdict} at {seeds} seeds.",
        lambda read: _hm_single_mode_verdict(read),
        lambda e: e["verdict"] == "no effect detected" and e["seeds"] == 10,
    ),
    Claim(
        "tuning_trades_sharpness",
        "Tuning seeds 100-102: raising β from 0.1 to 10 raises the modes captured (published count) from "
        "{captured_low:.1f} to {captured_high:.1f}, but drops the high-quality fraction from {hq_low:.2f} to "
        "{hq_high:.2f} and the strict count from {covered_low:.1f} to {covered_high:.1f}.",
        lambda read: _hm_tuning(read),
        lambda e: (
            e["captured_high"] > e["captured_low"] and e["hq_high"] < 0.2 and e["covered_high"] < e["covered_low"]
        ),
    ),
    Claim(
        "spread_without_modes",
        "The samples' mean pairwise distance (the output distance of L_h): plain GAN {gan:.3f}, HMGAN at "
        "β = 0.1 {hm_low:.2f} and at β = 10 {hm:.2f}, Gaussian MR1 {mr1:.2f} (with {mr1_covered:.1f} sharp "
        "modes): at β = 10 HMGAN spreads its samples nearly as far as a generator that covers the ring.",
        lambda read: _hm_spread(read),
        lambda e: e["gan"] < e["hm_low"] < e["hm"] and e["hm"] >= 0.8 * e["mr1"],
    ),
    Claim(
        "per_pair_one_blob",
        "Per-pair ratios (every ERE 0, β = 0.1, seeds 0-2): {single} of {seeds} seeds end with every sample on "
        "one mode by both counts, at a mean high-quality fraction of {hq:.2f}; the batch ratios of chapter 07 "
        "on the same seeds capture {captured_batch:.1f} modes at {hq_batch:.2f}.",
        lambda read: {
            "single": count_seeds(read("hm_per_pair"), lambda t: (t.modes_captured <= 1) & (t.modes_covered <= 1)),
            "seeds": len(read("hm_per_pair")),
            "hq": float(read("hm_per_pair").high_quality_fraction.mean()),
            "captured_batch": float(
                read("collapse_ring_hm", chapter="07_comparison").query("seed < 3").modes_captured.mean()
            ),
            "hq_batch": float(
                read("collapse_ring_hm", chapter="07_comparison").query("seed < 3").high_quality_fraction.mean()
            ),
        },
        lambda e: e["single"] == e["seeds"] == 3 and e["hq"] < e["hq_batch"],
    ),
)
