"""The chapters' claims about their stored results, as data (:mod:`mcgan_lib.claims`).

Each chapter prints these sentences with :func:`mcgan_lib.claims.print_claims`, and
``tests/test_claims.py`` asserts every one against the stored full-mode results, so a sentence that the
stored tables stop supporting fails ``make test``. Verdicts against the plain GAN come from
:func:`mcgan_lib.metrics.paired.paired_table`: paired seeds, Wilcoxon's signed-rank test, p < 0.05.
"""

from __future__ import annotations

import pandas as pd
import torch

from mcgan_lib.claims import Claim, stored_chapter_table
from mcgan_lib.data.tasks import make_task
from mcgan_lib.experiments.chapter_sweeps import (
    CAPACITY_SEEDS,
    COLLAPSE_METHODS,
    appendix_c_methods,
    chapter_sweeps,
    tuned_settings,
)
from mcgan_lib.methods import METHODS
from mcgan_lib.metrics.paired import paired_table
from mcgan_lib.metrics.toy import covered_modes, mode_coverage
from mcgan_lib.regularizers.hierarchical import layer_diversity
from mcgan_lib.regularizers.mode_seeking import expected_mode_seeking_loss


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
    """Chapter 07's shared single-mode regime on the ring: each method at its tuned λ against the plain GAN."""
    table = pd.concat([read(f"collapse_ring_{name}") for name in COLLAPSE_METHODS], ignore_index=True)
    return paired_table(table, metric)


def appendix_c_table(read) -> pd.DataFrame:
    """Chapter 03's MR-GAN App. C in the single-mode regime: the plain GAN, GAN + ℓ2 and the tuned Gaussian
    MR variants on seeds 0-9 (chapter 07's stored runs), as one table."""
    return pd.concat([read(f"appendix_c_{name}") for name in appendix_c_methods()], ignore_index=True)


def appendix_c_verdicts(read, metric: str = "modes_covered") -> pd.DataFrame:
    """Each method of :func:`appendix_c_table` against the plain GAN (paired seeds, Wilcoxon)."""
    return paired_table(appendix_c_table(read), metric)


def _appendix_c_sharp_eight(read) -> dict:
    """Chapter 03: how many runs of the tuned Gaussian MR variants reach App. C's "all eight modes", sharp."""
    table = appendix_c_table(read)
    mr = table[table.method.str.startswith("gaussian_")]
    means = mr.groupby("method").mean(numeric_only=True)
    best = means.modes_covered.idxmax()
    return {
        "runs": len(mr),
        "variants": ", ".join(METHODS[name].label for name in mr.method.unique()),
        "sharp_eight": _seeds(mr, lambda t: (t.modes_covered == 8) & (t.high_quality_fraction >= 0.8)),
        "published_eight": _seeds(mr, lambda t: t.modes_captured == 8),
        "best": float(means.modes_covered[best]),
        "best_label": METHODS[best].label,
        "best_hq": float(means.high_quality_fraction[best]),
        "highest_hq": float(means.high_quality_fraction.max()),
    }


def _appendix_c_tradeoff(read) -> dict:
    """Chapter 03: each tuned MR variant on the tuning seeds, at λ = 0.1 and at the rule's λ."""
    from mcgan_lib.experiments.chapter_sweeps import MR_APPENDIX_C_VARIANTS
    from mcgan_lib.experiments.tuning import tuning_summary

    pairs, holds = [], True
    for name in (v for v in MR_APPENDIX_C_VARIANTS if v in appendix_c_methods()):
        summary = tuning_summary(read(f"appendix_c_tune_{name}"))
        low, chosen = summary.loc[min(summary.index)], summary.loc[summary.index[summary.chosen][0]]
        pairs.append(
            f"{METHODS[name].label} {low.modes_covered:.1f} → {chosen.modes_covered:.1f} modes, "
            f"HQ {low.high_quality_fraction:.2f} → {chosen.high_quality_fraction:.2f}"
        )
        holds &= bool(
            chosen.modes_covered > low.modes_covered and chosen.high_quality_fraction < low.high_quality_fraction
        )
    return {"pairs": "; ".join(pairs), "every_variant": holds}


def _methods_with(verdicts: pd.DataFrame, verdict: str) -> str:
    names = [METHODS[name].label for name in verdicts.index[verdicts.verdict == verdict]]
    return ", ".join(names) if names else "none"


def _helps_and_hurts(verdicts: pd.DataFrame) -> dict[str, str]:
    return {"helps": _methods_with(verdicts, "helps"), "hurts": _methods_with(verdicts, "hurts")}


def _paired_row(tables: dict[str, pd.DataFrame], metric: str, name: str) -> dict:
    """Means, wins / losses, Wilcoxon p and verdict of ``name`` against the plain GAN (``tables["gan"]``)."""
    row = paired_table(pd.concat(tables.values(), ignore_index=True), metric).loc[name]
    return {
        "gan": float(tables["gan"][metric].mean()),
        name: float(tables[name][metric].mean()),
        "wins": row["wins / losses"],
        "p": row["Wilcoxon p"],
        "verdict": row["verdict"],
        "seeds": len(tables[name]),
    }


def _comparison_run(name: str) -> pd.DataFrame:
    return stored_chapter_table("07_comparison", name)


def sample_spread(samples) -> float:
    """Mean pairwise distance of a run's samples (mean absolute difference per coordinate, the distance of
    HMGAN's loss at the output layer; training coordinates)."""
    x = torch.as_tensor(samples)
    return float(layer_diversity([x, x])[-1])


def _hm_single_mode_verdict() -> dict:
    tables = {name: _comparison_run(f"collapse_ring_{name}") for name in ("gan", "hm")}
    return {"weight": float(tuned_settings("hm")["weight"]), **_paired_row(tables, "modes_covered", "hm")}


def _hm_tuning(low: float = 0.1, high: float = 10.0) -> dict:
    means = (
        _comparison_run("tune_hm")
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


def _hm_spread() -> dict:
    tuning = _comparison_run("tune_hm")
    mr1 = _comparison_run("collapse_ring_gaussian_mr1")
    return {
        "hm": float(tuning[tuning.weight == 10.0].samples.map(sample_spread).mean()),
        "hm_low": float(tuning[tuning.weight == 0.1].samples.map(sample_spread).mean()),
        "mr1": float(mr1.samples.map(sample_spread).mean()),
        "mr1_covered": float(mr1.modes_covered.mean()),
        "gan": float(_comparison_run("collapse_ring_gan").samples.map(sample_spread).mean()),
    }


def single_mode_against_plain(read, name: str, also: str) -> dict:
    """Chapter 07: ``name`` at its tuned λ against the plain GAN in the shared regime on the ring (paired
    seeds, Wilcoxon, strict count), its means, and the verdict on ``also``."""
    runs = {method: read(f"collapse_ring_{method}") for method in ("gan", name, also)}
    row = _paired_row({"gan": runs["gan"], name: runs[name]}, "modes_covered", name)
    return {
        "weight": float(tuned_settings(name)["weight"]),
        "wins": int(row["wins"].split(" / ")[0]),
        "p": row["p"],
        "verdict": row["verdict"],
        "seeds": row["seeds"],
        "covered": row[name],
        "captured": float(runs[name].modes_captured.mean()),
        "hq": float(runs[name].high_quality_fraction.mean()),
        f"{also}_verdict": _paired_row({"gan": runs["gan"], also: runs[also]}, "modes_covered", also)["verdict"],
    }


def mode_seeking_landings(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Chapter 07: where MSGAN's stored runs on the unit ring land, one row per seed: the modes each covers
    by the strict count and what its term (:func:`expected_mode_seeking_loss`) pays for its high-quality
    samples, each mode weighted by its share of them."""
    ring = make_task("unit_ring")
    rows = []
    for row in table.sort_values("seed").itertuples():
        samples = torch.as_tensor(row.samples)
        counts = torch.tensor(mode_coverage(samples, ring).samples_per_mode, dtype=torch.float64)
        rows.append(
            {
                "run": label,
                "seed": row.seed,
                "modes covered": covered_modes(samples, ring),
                "L_ms of its HQ samples": round(
                    expected_mode_seeking_loss(ring.centers[counts > 0], counts[counts > 0]), 3
                ),
            }
        )
    return pd.DataFrame(rows)


def _two_far_modes(modes: list[int], n_modes: int = 8) -> bool:
    """Exactly two modes, at least two ring positions (90°) apart."""
    return len(modes) == 2 and min((modes[1] - modes[0]) % n_modes, (modes[0] - modes[1]) % n_modes) >= 2


def mode_seeking_landing(table: pd.DataFrame) -> dict:
    """How many of MSGAN's runs in ``table`` cover exactly two modes at least 90° apart."""
    landed = mode_seeking_landings(table, "")["modes covered"]
    return {"far": int(landed.map(_two_far_modes).sum()), "runs": len(landed)}


CAPACITY_SETTINGS = {  # chapter 07's grid control: stored sweep -> the setting it stands for
    "collapse_grid_gan": "G 2×64, 5,000 steps",
    "capacity_grid_gan_larger": "G 4×256, 20,000 steps",
}


def grid_capacity_table(read) -> pd.DataFrame:
    """Chapter 07's grid control in the shared regime: the plain GAN at the regime's generator and budget,
    and with a generator of 16 times the parameters at four times the budget, over the seeds the control
    shares (0-2); means of the three counts and the strict count per seed."""
    rows = []
    for name, setting in CAPACITY_SETTINGS.items():
        table = read(name)
        table = table[table.seed < CAPACITY_SEEDS].sort_values("seed")
        rows.append(
            {
                "setting": setting,
                "modes_captured": table.modes_captured.mean(),
                "modes_covered": table.modes_covered.mean(),
                "high_quality_fraction": table.high_quality_fraction.mean(),
                "covered per seed": table.modes_covered.astype(int).tolist(),
            }
        )
    return pd.DataFrame(rows).set_index("setting")


def mode_seeking_single_mode(read, metric: str = "modes_covered") -> dict:
    """Chapter 04: MSGAN at its tuned λ against the plain GAN in the single-mode regime on the ring (chapter
    07's runs, seeds 0-9), paired seeds, Wilcoxon, on ``metric``."""
    tables = {name: read(f"collapse_ring_{name}") for name in ("gan", "ms")}
    return {"weight": float(tuned_settings("ms")["weight"]), **_paired_row(tables, metric, "ms")}


def mode_seeking_stress_test(metric: str = "modes_covered") -> dict:
    """Chapter 04: MSGAN at the paper's λ = 1 against the plain GAN in chapter 07's partial-collapse stress
    test on the ring (seeds 0-9), paired seeds, Wilcoxon, on ``metric``."""
    tables = {name: _comparison_run(f"ring_{name}") for name in ("gan", "ms")}
    return _paired_row(tables, metric, "ms")


def thin_unit_ring(n_points: int = 720) -> torch.Tensor:
    """``n_points`` evenly spaced points on the unit ring's circle (radius 1, training coordinates)."""
    angles = torch.arange(n_points, dtype=torch.float64) * 2 * torch.pi / n_points
    return torch.stack([angles.cos(), angles.sin()], dim=1)


def mode_seeking_prices() -> dict:
    """Chapter 04: what MSGAN's term (:func:`expected_mode_seeking_loss`) pays on the unit ring for one mode,
    two neighbours, two modes 135° apart, all eight and a thin ring of 720 points."""
    centres = make_task("unit_ring").centers
    return {
        "single": expected_mode_seeking_loss(centres[[0]]),
        "neighbours": expected_mode_seeking_loss(centres[[0, 1]]),
        "pair": expected_mode_seeking_loss(centres[[0, 3]]),
        "every": expected_mode_seeking_loss(centres),
        "thin": expected_mode_seeking_loss(thin_unit_ring()),
    }


def mode_seeking_tuning(read) -> dict:
    """Chapter 04: the plain GAN (λ = 0) and MSGAN's λ grid on the tuning seeds 100-102, means per λ."""
    table = pd.concat([read("tune_gan").assign(weight=0.0), read("tune_ms")], ignore_index=True)
    means = table.groupby("weight")[["modes_captured", "modes_covered", "high_quality_fraction"]].mean()
    high = means[means.index >= 1.0]
    return {
        "gan_covered": float(means.modes_covered[0.0]),
        "gan_hq": float(means.high_quality_fraction[0.0]),
        "low_covered": float(means.modes_covered[0.1]),
        "low_hq": float(means.high_quality_fraction[0.1]),
        "captured_high": float(high.modes_captured.max()),
        "covered_high": float(high.modes_covered.max()),
        "hq_high": float(high.high_quality_fraction.max()),
        "chosen": float(tuned_settings("ms")["weight"]),
    }


def reg_gan_single_mode(read, metric: str = "modes_covered") -> dict:
    """Chapter 06: Reg-GAN against the plain GAN in the single-mode regime on the ring (chapter 07's runs),
    paired seeds, Wilcoxon; the means, the verdict and its evidence on ``metric``."""
    tables = {name: read(f"collapse_ring_{name}") for name in ("gan", "reg_gan")}
    settings = {**METHODS["reg_gan"].defaults, **tuned_settings("reg_gan")}
    return {
        "lambda_1": float(settings["weight"]),
        "lambda_2": float(settings["lambda_mode"]),
        "hq_gan": float(tables["gan"].high_quality_fraction.mean()),
        "hq_reg_gan": float(tables["reg_gan"].high_quality_fraction.mean()),
        **_paired_row(tables, metric, "reg_gan"),
    }


def conditional_table(read, prefix: str, methods) -> pd.DataFrame:
    """Chapter 02's stored runs ``{prefix}_{method}`` of ``methods`` as one table, with the share of each
    run's stored samples on the middle branch (the conditional mean of the three-branch toy)."""
    from mcgan_lib.data.tasks import make_task
    from mcgan_lib.experiments.moment_reconstruction import branch_shares

    tables = []
    for name in methods:
        table = read(f"{prefix}_{name}")
        data = make_task(chapter_sweeps("02_conditional_collapse")[f"{prefix}_{name}"]["task"])
        middle = f"branch {data.n_branches // 2}"
        tables.append(table.assign(middle_share=[branch_shares(s, data)[middle] for s in table.samples]))
    return pd.concat(tables, ignore_index=True)


def _paired(table: pd.DataFrame, method: str, metric: str) -> dict:
    """``method`` against the plain GAN on ``metric`` (paired seeds, Wilcoxon): verdict, p, wins, losses."""
    row = paired_table(table, metric).loc[method]
    wins, losses = (int(n) for n in row["wins / losses"].split(" / "))
    return {"verdict": row["verdict"], "p": float(row["Wilcoxon p"]), "wins": wins, "losses": losses}


def _shared_plain(read) -> dict:
    table = conditional_table(read, "shared", ("gan",))
    one = table.branches_per_condition <= 1
    return {
        "single": int(one.sum()),
        "seeds": len(table),
        "middle_max": float(table.middle_share.max()),
        "branches": float(table.branches_per_condition.mean()),
        "strict": float(table.branches_covered_per_condition.mean()),
        "hq": float(table.high_quality_fraction.mean()),
        "hq_single": float(table.high_quality_fraction[one].mean()),
    }


def _shared_l2(read) -> dict:
    table = conditional_table(read, "shared", ("gan", "gan_l2"))
    l2, gan = (table[table.method == name] for name in ("gan_l2", "gan"))
    values = {
        "branches": float(l2.branches_per_condition.mean()),
        "strict": float(l2.branches_covered_per_condition.mean()),
        "hq": float(l2.high_quality_fraction.mean()),
        "middle": float(l2.middle_share.mean()),
        "middle_gan": float(gan.middle_share.mean()),
        "seeds": len(l2),
    }
    for key, metric in (
        ("b", "branches_per_condition"),
        ("s", "branches_covered_per_condition"),
        ("m", "middle_share"),
    ):
        values.update({f"{key}_{k}": v for k, v in _paired(table, "gan_l2", metric).items()})
    return values


def _chapter_07_difference(read) -> dict:
    ours = read("shared_gan_l2").branches_per_condition.mean()
    return {
        "ours": float(ours),
        "two": float(read("two_branches_gan_l2").branches_per_condition.mean()),
        "two_seeds": len(read("two_branches_gan_l2")),
        "appendix": float(read("appendix_b_gan_l2").branches_per_condition.mean()),
        "appendix_gan": float(read("appendix_b_gan").branches_per_condition.mean()),
        "theirs": float(stored_chapter_table("07_comparison", "conditional_gan_l2").branches_per_condition.mean()),
        "theirs_gan": float(stored_chapter_table("07_comparison", "conditional_gan").branches_per_condition.mean()),
    }


def _appendix_b(read) -> dict:
    table = conditional_table(read, "appendix_b", ("gan", "gan_l2"))
    gan, l2 = (table[table.method == name] for name in ("gan", "gan_l2"))
    test = _paired(table, "gan_l2", "branches_per_condition")
    return {
        "gan": float(gan.branches_per_condition.mean()),
        "gan_strict": float(gan.branches_covered_per_condition.mean()),
        "gan_hq": float(gan.high_quality_fraction.mean()),
        "l2": float(l2.branches_per_condition.mean()),
        "l2_max": float(l2.branches_per_condition.max()),
        "middle": float(l2.middle_share.mean()),
        "losses": test["losses"],
        "seeds": len(l2),
        "p": test["p"],
    }


CHAPTER_CLAIMS: dict[str, tuple[Claim, ...]] = {
    "02_conditional_collapse": (
        Claim(
            "shared_plain_gan",
            "Shared configuration, three branches, seeds 0-9: the plain GAN keeps at most one branch per condition "
            "on {single} of {seeds} seeds, at a high-quality fraction of {hq_single:.2f} on those seeds, and never "
            "the middle one (at most {middle_max:.0%} of a run's samples lie on it); over all seeds it reaches "
            "{branches:.2f} branches per condition, {strict:.2f} by the strict count, at a high-quality fraction "
            "of {hq:.2f}.",
            _shared_plain,
            lambda e: e["single"] >= 7 and e["seeds"] == 10 and e["middle_max"] < 0.05,
        ),
        Claim(
            "shared_verdicts",
            "GAN + ℓ2 against the plain GAN on paired seeds 0-9 (Wilcoxon, p < 0.05): branches per condition "
            "{b_verdict} ({branches:.2f}; wins / losses {b_wins} / {b_losses}, p = {b_p:.3g}); strict count "
            "{s_verdict} ({strict:.2f}; p = {s_p:.3g}); share of the samples on the middle branch, the conditional "
            "mean: {middle:.2f} against {middle_gan:.2f}, higher on {m_wins} of {seeds} seeds (p = {m_p:.3g}).",
            _shared_l2,
            lambda e: e["m_verdict"] == "helps" and e["b_verdict"] != "helps",
        ),
        Claim(
            "appendix_b",
            "Appendix B setting, seeds 0-4: the plain GAN reaches {gan:.2f} branches per condition ({gan_strict:.2f} "
            "by the strict count, high-quality fraction {gan_hq:.2f}), GAN + ℓ2 {l2:.2f} on every seed with "
            "{middle:.0%} of its samples on the middle branch: fewer branches than the plain GAN on {losses} of "
            "{seeds} seeds (Wilcoxon p = {p:.3g}; five seeds cannot reach p < 0.05).",
            _appendix_b,
            lambda e: e["losses"] == e["seeds"] == 5 and e["l2_max"] <= 1.0 and e["gan"] > 2.5,
        ),
        Claim(
            "chapter_07_difference",
            "GAN + ℓ2, branches per condition: {ours:.2f} on three branches in the shared configuration, "
            "{two:.2f} on chapter 07's two branches in the same configuration ({two_seeds} seeds), {appendix:.2f} "
            "on three branches in the Appendix B setting, and {theirs:.2f} on two branches in chapter 07's second "
            "regime, where the plain GAN keeps {theirs_gan:.2f}.",
            _chapter_07_difference,
            lambda e: e["ours"] <= 1.05 and e["theirs"] >= 1.9,
        ),
    ),
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
    "04_mode_seeking": (
        Claim(
            "tuning",
            "Tuning seeds 100-102 (never reported): the plain GAN (λ = 0) covers {gan_covered:.1f} ring modes by "
            "the strict count at a high-quality fraction of {gan_hq:.2f}; MSGAN at λ = 0.1 covers {low_covered:.1f} "
            "at {low_hq:.2f}; from λ = 1 on it captures up to {captured_high:.1f} modes (published count), but its "
            "mean high-quality fraction is at most {hq_high:.2f} and it covers at most {covered_high:.1f} by the "
            "strict count. The tuning rule chooses λ = {chosen:g}.",
            lambda read: mode_seeking_tuning(read),
            lambda e: e["hq_high"] < 0.4 and e["covered_high"] <= e["low_covered"] and e["chosen"] == 0.1,
        ),
        Claim(
            "single_mode_verdict",
            "Single-mode regime, seeds 0-9: MSGAN (λ = {weight:g}, tuned on seeds 100-102) covers {ms:.1f} ring "
            "modes by the strict count against the plain GAN's {gan:.1f} (wins / losses {wins}, Wilcoxon p = {p}): "
            "{verdict} at {seeds} seeds.",
            lambda read: mode_seeking_single_mode(read),
            lambda e: e["verdict"] == "no effect detected" and e["seeds"] == 10,
        ),
        Claim(
            "single_mode_captured_and_sharpness",
            "The same pairs by the published count: MSGAN captures {ms:.1f} modes against {gan:.1f} (wins / losses "
            "{wins}, p = {p}: {verdict}); by the high-quality fraction: {ms_hq:.2f} against {gan_hq:.2f} (wins / "
            "losses {wins_hq}, p = {p_hq}: {verdict_hq}). Stray samples near more modes, not modes.",
            lambda read: {
                **mode_seeking_single_mode(read, "modes_captured"),
                **{
                    f"{key}_hq": value for key, value in mode_seeking_single_mode(read, "high_quality_fraction").items()
                },
            },
            lambda e: e["verdict"] == "helps" and e["verdict_hq"] == "hurts",
        ),
        Claim(
            "term_prices",
            "Expected L_ms on the unit ring (batch reduction): one mode {single:.0f}, two neighbours "
            "{neighbours:.2f}, two modes 135° apart {pair:.2f}, all eight {every:.2f}, a thin ring {thin:.2f}.",
            lambda read: mode_seeking_prices(),
            lambda e: (
                e["single"] > 1000
                and e["neighbours"] > 2 * e["pair"]
                and e["pair"] - e["every"] < 0.5
                and e["thin"] < e["every"]
            ),
        ),
        Claim(
            "longer_two_far_modes",
            "MSGAN at λ = 1 with four times the budget (20,000 steps) covers exactly two modes at least 90° apart "
            "on {far} of {runs} tuning seeds.",
            lambda read: mode_seeking_landing(read("longer_ms")),
            lambda e: e["far"] == e["runs"] == 3,
        ),
        Claim(
            "stress_test_ring",
            "Partial-collapse stress test (data-unit ring, the paper's λ = 1, seeds 0-9): MSGAN covers {ms:.1f} "
            "modes by the strict count against the plain GAN's {gan:.1f} (wins / losses {wins}, Wilcoxon p = "
            "{p}): {verdict} at {seeds} seeds; high-quality fraction {ms_hq:.2f} against {gan_hq:.2f} (p = "
            "{p_hq}): {verdict_hq}.",
            lambda read: {
                **mode_seeking_stress_test(),
                **{f"{key}_hq": value for key, value in mode_seeking_stress_test("high_quality_fraction").items()},
            },
            lambda e: e["verdict"] == "no effect detected" and e["verdict_hq"] == "hurts",
        ),
        Claim(
            "conditional",
            "Two-branch conditional toy (stress-test setup, the paper's λ = 1): MSGAN finds {ms:.2f} branches per "
            "condition against the conditional GAN's {gan:.2f}, on each of {seeds} seeds, at a high-quality "
            "fraction of {hq:.2f}.",
            lambda read: {
                "ms": float(_comparison_run("conditional_ms").branches_per_condition.mean()),
                "gan": float(_comparison_run("conditional_gan").branches_per_condition.mean()),
                "all_seeds": bool(
                    (
                        _comparison_run("conditional_ms").branches_per_condition
                        > _comparison_run("conditional_gan").branches_per_condition
                    ).all()
                ),
                "seeds": len(_comparison_run("conditional_ms")),
                "hq": float(_comparison_run("conditional_ms").high_quality_fraction.mean()),
            },
            lambda e: e["all_seeds"] and e["ms"] == 2.0 and e["hq"] >= 0.9,
        ),
    ),
    "05_hierarchical_modes": (
        Claim(
            "single_mode_verdict",
            "Single-mode regime, seeds 0-9: HMGAN (every ERE 0, β = {weight:g}, tuned on seeds 100-102) covers "
            "{hm:.1f} ring modes by the strict count against the plain GAN's {gan:.1f} (wins / losses {wins}, "
            "Wilcoxon p = {p}): {verdict} at {seeds} seeds.",
            lambda read: _hm_single_mode_verdict(),
            lambda e: e["verdict"] == "no effect detected" and e["seeds"] == 10,
        ),
        Claim(
            "tuning_trades_sharpness",
            "Tuning seeds 100-102: raising β from 0.1 to 10 raises the modes captured (published count) from "
            "{captured_low:.1f} to {captured_high:.1f}, but drops the high-quality fraction from {hq_low:.2f} to "
            "{hq_high:.2f} and the strict count from {covered_low:.1f} to {covered_high:.1f}.",
            lambda read: _hm_tuning(),
            lambda e: (
                e["captured_high"] > e["captured_low"] and e["hq_high"] < 0.2 and e["covered_high"] < e["covered_low"]
            ),
        ),
        Claim(
            "spread_without_modes",
            "The samples' mean pairwise distance (the output distance of L_h): plain GAN {gan:.3f}, HMGAN at "
            "β = 0.1 {hm_low:.2f} and at β = 10 {hm:.2f}, Gaussian MR1 {mr1:.2f} (with {mr1_covered:.1f} sharp "
            "modes): at β = 10 HMGAN spreads its samples nearly as far as a generator that covers the ring.",
            lambda read: _hm_spread(),
            lambda e: e["gan"] < e["hm_low"] < e["hm"] and e["hm"] >= 0.8 * e["mr1"],
        ),
        Claim(
            "per_pair_one_blob",
            "Per-pair ratios (every ERE 0, β = 0.1, seeds 0-2): {single} of {seeds} seeds end with every sample on "
            "one mode by both counts, at a mean high-quality fraction of {hq:.2f}; the batch ratios of chapter 07 "
            "on the same seeds capture {captured_batch:.1f} modes at {hq_batch:.2f}.",
            lambda read: {
                "single": _seeds(read("hm_per_pair"), lambda t: (t.modes_captured <= 1) & (t.modes_covered <= 1)),
                "seeds": len(read("hm_per_pair")),
                "hq": float(read("hm_per_pair").high_quality_fraction.mean()),
                "captured_batch": float(_comparison_run("collapse_ring_hm").query("seed < 3").modes_captured.mean()),
                "hq_batch": float(_comparison_run("collapse_ring_hm").query("seed < 3").high_quality_fraction.mean()),
            },
            lambda e: e["single"] == e["seeds"] == 3 and e["hq"] < e["hq_batch"],
        ),
    ),
    "06_mode_regularized": (
        Claim(
            "single_mode_ring",
            "Ring, single-mode regime, seeds 0-9 (chapter 07's runs): Reg-GAN (λ1 = {lambda_1:g} tuned on seeds "
            "100-102, λ2 = {lambda_2:g}) covers {reg_gan:.1f} modes by the strict count against the plain GAN's "
            "{gan:.1f} (wins / losses {wins}, Wilcoxon p = {p}): {verdict} at {seeds} seeds; high-quality "
            "fraction {hq_reg_gan:.2f} against {hq_gan:.2f}.",
            lambda read: reg_gan_single_mode(read),
            lambda e: e["verdict"] == "no effect detected" and e["seeds"] == 10 and e["reg_gan"] < 3,
        ),
    ),
    "03_moment_reconstruction": (
        Claim(
            "appendix_c_one_mode",
            "Single-mode regime, seeds 0-9: the plain GAN ends on one ring mode (strict count) on {gan_single} of "
            "{seeds} seeds and on at most {gan_max} on the others (mean {gan:.1f}, mean HQ {gan_hq:.2f}); GAN + ℓ2 "
            "ends on one mode on {l2_single} of {seeds} seeds (mean {l2:.1f}, mean HQ {l2_hq:.2f}).",
            lambda read: {
                "gan_single": _seeds(read("appendix_c_gan"), lambda t: t.modes_covered <= 1),
                "gan_max": int(read("appendix_c_gan").modes_covered.max()),
                "gan": float(read("appendix_c_gan").modes_covered.mean()),
                "gan_hq": float(read("appendix_c_gan").high_quality_fraction.mean()),
                "l2_single": _seeds(read("appendix_c_gan_l2"), lambda t: t.modes_covered <= 1),
                "l2": float(read("appendix_c_gan_l2").modes_covered.mean()),
                "l2_hq": float(read("appendix_c_gan_l2").high_quality_fraction.mean()),
                "seeds": len(read("appendix_c_gan")),
            },
            lambda e: (
                e["seeds"] == 10 and min(e["gan_single"], e["l2_single"]) >= 8 and min(e["gan_hq"], e["l2_hq"]) >= 0.8
            ),
        ),
        Claim(
            "appendix_c_verdicts",
            "Strict count against the plain GAN, 10 paired seeds (Wilcoxon, p < 0.05): helps: {helps}; hurts: "
            "{hurts}; no effect detected: {none}.",
            lambda read: {
                **_helps_and_hurts(verdicts := appendix_c_verdicts(read)),
                "none": _methods_with(verdicts, "no effect detected"),
            },
            lambda e: "Gaussian MR1" in e["helps"] and "GAN + ℓ2" not in e["helps"],
        ),
        Claim(
            "appendix_c_all_eight_sharp",
            "All eight modes by the strict count at an HQ fraction of at least 0.8: {sharp_eight} of the {runs} runs "
            "of the tuned MR variants ({variants}); all eight by the published count: {published_eight} of {runs}. "
            "The most modes: {best_label}, {best:.1f} of 8 by the strict count on average, at a mean HQ of "
            "{best_hq:.2f}.",
            _appendix_c_sharp_eight,
            lambda e: e["sharp_eight"] == 0 and e["best"] < 8,
        ),
        Claim(
            "appendix_c_tradeoff",
            "Tuning seeds 100-102, λ = 0.1 against the rule's λ: {pairs}.",
            _appendix_c_tradeoff,
            lambda e: e["every_variant"],
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
            "single_mode_proxy_mr2",
            "Gaussian proxy MR2 (all K·B samples, λ = {weight:g}) covers more ring modes than the plain GAN on {wins} "
            "of {seeds} seeds ({verdict}, Wilcoxon p = {p}): {covered:.1f} by the strict count and {captured:.1f} by "
            "the published one, at a mean high-quality fraction of {hq:.2f}; GAN + ℓ2: {gan_l2_verdict}.",
            lambda read: single_mode_against_plain(read, "gaussian_proxy_mr2", also="gan_l2"),
            lambda e: e["verdict"] == "helps" and e["wins"] >= 9 and e["covered"] >= 5 and e["hq"] >= 0.7,
        ),
        Claim(
            "ms_two_far_modes",
            "MSGAN at λ = 1 with four times the budget covers exactly two modes at least 90° apart on {far} of "
            "{runs} tuning seeds; its term pays {pair:.2f} for two modes 135° apart, {every:.2f} for all eight and "
            "{single:.0f} for one.",
            lambda read: {**mode_seeking_landing(read("longer_ms")), **mode_seeking_prices()},
            lambda e: e["far"] == e["runs"] and e["pair"] - e["every"] < 0.5 and e["single"] > 1000,
        ),
        Claim(
            "grid_shared_unsharp",
            "Grid, shared regime, seeds 0-9: the plain GAN captures {captured:.1f} of 25 modes but covers "
            "{covered:.1f} by the strict count, at a mean high-quality fraction of {hq:.2f}: not converged onto sharp "
            "modes.",
            lambda read: {
                "captured": float(read("collapse_grid_gan").modes_captured.mean()),
                "covered": float(read("collapse_grid_gan").modes_covered.mean()),
                "hq": float(read("collapse_grid_gan").high_quality_fraction.mean()),
            },
            lambda e: e["hq"] < 0.5 and e["covered"] < 5,
        ),
        Claim(
            "grid_capacity",
            "Grid control, seeds 0-2: with 16 times the generator's parameters and four times the steps the plain "
            "GAN covers {larger:.1f} modes against {base:.1f}, at a high-quality fraction of {hq_larger:.2f} against "
            "{hq_base:.2f}, while one seed reaches {most_captured:.0f} of 25 modes with a sample: neither capacity nor "
            "budget limits the grid.",
            lambda read: {
                "base": float((table := grid_capacity_table(read)).modes_covered.iloc[0]),
                "larger": float(table.modes_covered.iloc[1]),
                "hq_base": float(table.high_quality_fraction.iloc[0]),
                "hq_larger": float(table.high_quality_fraction.iloc[1]),
                "most_captured": float(read("capacity_grid_gan_larger").modes_captured.max()),
            },
            lambda e: e["larger"] <= e["base"] and e["hq_larger"] <= e["hq_base"] and e["most_captured"] >= 20,
        ),
        Claim(
            "grid_nothing_helps",
            "Grid, partial-collapse regime: no method covers more modes than the plain GAN at p < 0.05 "
            "(helps: {helps}); hurts: {hurts}.",
            lambda read: _helps_and_hurts(comparison_verdicts(read, "grid")),
            lambda e: e["helps"] == "none",
        ),
    ),
}
