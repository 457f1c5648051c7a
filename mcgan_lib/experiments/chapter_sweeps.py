"""Every precomputed sweep that a chapter's table or slider reads, in one place.

Each chapter names its sweeps here; an entry is the keyword arguments of
:func:`mcgan_lib.sweeps.sweep` for the current mode (full, or quick with ``MCGAN_QUICK=1``). The
chapters run them with ``sweep(**chapter_sweep(chapter, name))``, ``make bench`` times building all of
them from an empty cache, ``python -m mcgan_lib prebuild`` fills the cache before a class so that
every slider answers at once, and ``python -m mcgan_lib prebuild --full`` trains the full-mode sweeps
and writes them, with their provenance, into the stored results that the committed chapters show.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from mcgan_lib.config import choose
from mcgan_lib.data.tasks import make_task
from mcgan_lib.experiments.images import BALANCED_SETUP, CATEGORICAL_SETUP, ImageSetup
from mcgan_lib.experiments.moment_reconstruction import appendix_b_setup
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.experiments.toy import COLLAPSE_SETUP, PLAIN_GAN_SETUP, ToySetup
from mcgan_lib.experiments.tuning import TUNING_SEEDS
from mcgan_lib.methods import METHODS, comparison_methods
from mcgan_lib.regularizers.moment_reconstruction import VARIANTS
from mcgan_lib.sweeps import COMPARISON_TASKS, library_fingerprint, stored_description, stored_stem, sweep
from mcgan_lib.tables import write_table
from mcgan_lib.validation import check_choice


def mr_slider_setup() -> ToySetup:
    """Chapter 03: :func:`~mcgan_lib.experiments.moment_reconstruction.appendix_b_setup` in short runs
    (read in the current mode)."""
    setup = appendix_b_setup(steps=1500, batch_size=choose(32, 16), lr=choose(1e-3, 3e-3), hidden_dim=choose(64, 32))
    return setup.replace(quick_steps=100)


def reg_gan_setup() -> ToySetup:
    """Chapter 06: section 4's toy settings (latent 2, 64 units, lr 1e-3) as a setup."""
    return ToySetup(
        latent_dim=2, hidden_dim=64, d_hidden_dim=64, lr=1e-3, batch_size=choose(256, 128), steps=1500, quick_steps=300
    )


# Chapter 07: the comparison's budget. Full mode: 10 seeds on the ring (the table the chapter is built
# around) and on the grid, 2 on the imbalanced ring and the conditional toy, each for PLAIN_GAN_SETUP's
# 10,000 steps; quick mode: 2 seeds, 1,000 steps.
COMPARISON_SEEDS = {"ring": 10, "grid": 10, "imbalanced_ring": 2, "conditional": 2}
COMPARISON_QUICK_SEEDS = 2
IMBALANCED_RING_METHODS = ("gan", "ms", "hm", "reg_gan", "mdgan")
COMPARISON_QUICK_STEPS = 1000


# Chapter 07's single-mode collapse regime (COLLAPSE_SETUP on the unit_* toys). Tuning
# (mcgan_lib.experiments.tuning): each compared method's λ over three decades on the tuning seeds, on the
# ring, at the comparison's budget; Gaussian MR1 in its all-samples reading (pooling="all"), the one that
# does not pull the generator towards a point. The reported runs (seeds 0-9) use TUNED_SETTINGS, which
# tests/test_claims.py re-derives from the stored tuning runs by the stated rule.
COLLAPSE_TASKS = {"ring": "unit_ring", "grid": "unit_grid"}
COLLAPSE_METHODS = ("gan", "ms", "hm", "gaussian_mr1", "reg_gan")  # the plain GAN and one method of each family
TUNING_LAMBDAS = (0.1, 1.0, 10.0, 100.0)
TUNING_QUICK_LAMBDAS = (1.0, 10.0)
# Chapter 03 reproduces MR-GAN App. C in this regime: the four Gaussian MR variants, all tuned by the rule
# above in the all-samples reading (the proxy variants keep the registry's predictor budget).
MR_APPENDIX_C_VARIANTS = ("gaussian_mr1", "gaussian_mr2", "gaussian_proxy_mr1", "gaussian_proxy_mr2")
TUNING_OPTIONS = {name: {"pooling": "all"} for name in MR_APPENDIX_C_VARIANTS}
LONGER_BUDGET_STEPS = 20_000  # chapter 07's budget check: four times the collapse regime's steps
# The grid's control of capacity against objective: the plain GAN with a generator of four hidden layers
# of 256 units (16 times the parameters) and four times the budget, seeds 0-2.
CAPACITY_SETUP = COLLAPSE_SETUP.replace(depth=4, hidden_dim=256)
CAPACITY_STEPS = 20_000
CAPACITY_SEEDS = 3
TUNED_SETTINGS = {
    "ms": {"weight": 0.1},
    "hm": {"weight": 0.1},
    "gaussian_mr1": {"weight": 10.0, "pooling": "all"},
    "reg_gan": {"weight": 1.0},
    "gaussian_proxy_mr2": {"weight": 10.0, "pooling": "all"},
}
# Chapter 03's App. C runs in this regime (seeds 0-9), beside COLLAPSE_METHODS' gan and gaussian_mr1:
# GAN + ℓ2 at the registry's λ and the other three Gaussian MR variants at their tuned settings. A method
# of TUNING_OPTIONS has a tune_<name> sweep at once and its reported sweep once TUNED_SETTINGS holds the
# rule's choice from the stored tuning runs.
COLLAPSE_MR_METHODS = ("gan_l2", "gaussian_mr2", "gaussian_proxy_mr1", "gaussian_proxy_mr2")
# The methods whose seeds 0-9 chapter 03 reports (as appendix_c_<name>): an MR variant of
# MR_APPENDIX_C_VARIANTS joins once its collapse_ring_<name> run at the tuned λ is stored.
APPENDIX_C_METHODS = ("gan", "gan_l2", "gaussian_mr1", "gaussian_proxy_mr2")


def _plain_runs(task: str) -> dict:
    """Chapter 01's five plain-GAN seeds on ``task`` (chapter 04 reads the same ring runs)."""
    return dict(task=task, method="gan", seeds=list(choose(range(5), range(3))), keep_samples=1000)


def _eight_gaussians() -> dict:
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


# Chapter 02: the three-branch toy, where the conditional mean is the middle branch. Its shared runs use
# COLLAPSE_SETUP on the toy with y scaled into [-1, 1] (seeds 0-9); its second table keeps the thesis's
# Appendix B setting on the toy in its own units (seeds 0-4); a two-branch control in the shared regime (seeds
# 0-2) asks whether GAN + ℓ2 keeps one branch when the mean lies between the branches (chapter 07's toy).
CONDITIONAL_WEIGHT = 10.0  # λ of the reconstruction loss in chapter 02 (the registry's GAN + ℓ2 value)
CONDITIONAL_SHARED_METHODS = ("gan", "gan_l2")
CONDITIONAL_APPENDIX_B_METHODS = ("gan", "gan_l2")
CONDITIONAL_CONTROL_METHODS = ("gan_l2",)


def conditional_options(method: str) -> dict:
    """Chapter 02's settings of ``method``: λ = 10 for its extra loss (none for the plain GAN)."""
    return {"weight": CONDITIONAL_WEIGHT} if "weight" in METHODS[method].defaults else {}


def _conditional_collapse() -> dict:
    shared = dict(setup=COLLAPSE_SETUP, steps=choose(COLLAPSE_SETUP.steps, COMPARISON_QUICK_STEPS), keep_samples=1000)
    sweeps = {
        f"shared_{name}": dict(
            task="unit_conditional3",
            method=name,
            method_options=conditional_options(name),
            seeds=list(choose(range(10), range(COMPARISON_QUICK_SEEDS))),
            **shared,
        )
        for name in CONDITIONAL_SHARED_METHODS
    }
    for name in CONDITIONAL_CONTROL_METHODS:
        sweeps[f"two_branches_{name}"] = dict(
            task="unit_conditional",
            method=name,
            method_options=conditional_options(name),
            seeds=list(choose(range(3), range(COMPARISON_QUICK_SEEDS))),
            **shared,
        )
    setup = appendix_b_setup(steps=3000, batch_size=32, lr=choose(1e-3, 3e-3), hidden_dim=choose(64, 32))
    for name in CONDITIONAL_APPENDIX_B_METHODS:
        sweeps[f"appendix_b_{name}"] = dict(
            task="conditional3",
            method=name,
            method_options=conditional_options(name),
            setup=setup,
            seeds=list(choose(range(5), range(COMPARISON_QUICK_SEEDS))),
            steps=choose(3000, 200),
            keep_samples=1000,
        )
    return sweeps


def _moment_reconstruction() -> dict:
    grid = {
        "samples_per_input": choose([2, 4, 8, 16, 32], [2, 8, 32]),
        "weight": choose([1.0, 10.0, 100.0], [1.0, 10.0]),
    }
    sweeps = {}
    for variant in VARIANTS:
        arguments = dict(task="ring", method=variant, grid=grid, seeds=[0], setup=mr_slider_setup())
        if "proxy" in variant:  # the predictor budget of the chapter's section 2
            arguments["method_options"] = {"predictor_steps": choose(1000, 300)}
        sweeps[f"mr_{variant}"] = arguments
    comparison = _comparison()  # App. C in the collapse regime: chapter 07's runs and tuning, under chapter 03's names
    for name in appendix_c_methods():
        sweeps[f"appendix_c_{name}"] = comparison[f"collapse_ring_{name}"]
    for name in MR_APPENDIX_C_VARIANTS:
        sweeps[f"appendix_c_tune_{name}"] = comparison[f"tune_{name}"]
    return sweeps


def is_reported(method: str) -> bool:
    """Whether the collapse regime reports ``method`` on seeds 0-9: a method tuned by the rule
    (:data:`TUNING_OPTIONS`) once :data:`TUNED_SETTINGS` holds its choice, every other method at once."""
    return method not in TUNING_OPTIONS or method in TUNED_SETTINGS


def appendix_c_methods() -> list[str]:
    """The methods of :data:`APPENDIX_C_METHODS` that have reported runs (an MR variant once it is tuned)."""
    return [name for name in APPENDIX_C_METHODS if is_reported(name)]


MODE_SEEKING_SHARED = ("tune_ms", "longer_ms", "collapse_ring_gan", "collapse_ring_ms")


def _mode_seeking() -> dict:
    """Chapter 04 in the shared regime: chapter 07's MSGAN tuning, budget check and reported ring runs (the
    same stored results, under the same names), and the plain GAN on the tuning seeds (the slider's λ = 0)."""
    comparison = _comparison()
    sweeps = {name: comparison[name] for name in MODE_SEEKING_SHARED}
    sweeps["tune_gan"] = dict(task="unit_ring", method="gan", setup=COLLAPSE_SETUP, **tuning_budget())
    return sweeps


def _hierarchical() -> dict:
    """Chapter 05 on the collapse regime's ring: the per-pair reading of HMGAN (every ERE 0, β = 0.1) on
    seeds 0-2. Its β grid is chapter 07's tuning sweep ``tune_hm`` and its verdict chapter 07's seeds 0-9."""
    budget = dict(
        task=COLLAPSE_TASKS["ring"],
        method="hm",
        setup=COLLAPSE_SETUP,
        seeds=choose([0, 1, 2], [0]),
        steps=choose(COLLAPSE_SETUP.steps, COMPARISON_QUICK_STEPS),
    )
    return {"hm_per_pair": dict(grid={"weight": [0.1]}, method_options={"pairs": "pair"}, **budget)}


def _mode_regularized() -> dict:
    lambdas = [0.0, 0.5, 2.0]
    sweeps = {
        "reg_gan_lambdas": dict(
            task="imbalanced_ring",
            method="reg_gan",
            grid={"weight": lambdas, "lambda_mode": lambdas},
            seeds=choose([0, 1, 2], [0]),
            setup=reg_gan_setup(),
        ),
    }
    comparison = _comparison()  # chapter 07's single-mode runs on the ring (the same stored results)
    sweeps |= {name: comparison[name] for name in ("collapse_ring_gan", "collapse_ring_reg_gan")}
    return sweeps


def comparison_budget(task: str = "ring") -> dict:
    """Seeds and steps of chapter 07 on ``task`` in the current mode."""
    check_choice("task", task, COMPARISON_SEEDS)
    return dict(
        seeds=list(range(choose(COMPARISON_SEEDS[task], COMPARISON_QUICK_SEEDS))),
        steps=choose(PLAIN_GAN_SETUP.steps, COMPARISON_QUICK_STEPS),
    )


def comparison_seeds() -> dict[str, list[int]]:
    """Chapter 07's seeds per task in the current mode (for :func:`mcgan_lib.sweeps.compare`)."""
    return {task: comparison_budget(task)["seeds"] for task in COMPARISON_TASKS}


def sensitivity_budget() -> dict:
    """Seeds and steps of chapter 07's λ sweeps (and chapter 04's): 3 seeds in full mode."""
    return dict(seeds=list(range(choose(3, COMPARISON_QUICK_SEEDS))), steps=comparison_budget()["steps"])


def sensitivity_methods() -> list[str]:
    """Chapter 07's λ sweeps, on the ring: the mode-seeking term."""
    return ["ms"]


def sensitivity_lambdas() -> list[float]:
    """The λ axis of chapter 07's sensitivity figure (the method's own λ included)."""
    return choose([1.0, 10.0, 100.0], [1.0, 10.0])


def sensitivity_weights(method: str) -> list[float]:
    """The λ that ``sensitivity_{method}`` trains: :func:`sensitivity_lambdas` but the method's default,
    whose runs are the ring comparison's first seeds (the chapter joins the two)."""
    return [weight for weight in sensitivity_lambdas() if weight != METHODS[method].defaults["weight"]]


def tuning_budget() -> dict:
    """Seeds and steps of chapter 07's tuning: three tuning seeds (never reported) at the collapse regime's budget."""
    return dict(
        seeds=list(choose(TUNING_SEEDS[:3], TUNING_SEEDS[:1])),
        steps=choose(COLLAPSE_SETUP.steps, COMPARISON_QUICK_STEPS),
    )


def tuning_grid(method: str) -> dict:
    """The settings tuned for ``method``: λ over :data:`TUNING_LAMBDAS`."""
    check_choice("method", method, tuned_methods())
    return {"weight": list(choose(TUNING_LAMBDAS, TUNING_QUICK_LAMBDAS))}


def tuned_methods() -> list[str]:
    """The methods with a ``tune_<name>`` sweep: those of :data:`TUNED_SETTINGS` and :data:`TUNING_OPTIONS`."""
    return list(dict.fromkeys([*TUNED_SETTINGS, *TUNING_OPTIONS]))


def tuned_settings(method: str) -> dict:
    """The settings the collapse regime reports ``method`` at: the tuned ones (none for the plain GAN and
    GAN + ℓ2, which keep the registry's values)."""
    check_choice("method", method, METHODS)
    return dict(TUNED_SETTINGS.get(method, {}))


def collapse_budget(task: str) -> dict:
    """The collapse regime on ``task`` (``ring`` or ``grid``): its unit-box toy, setup, seeds 0-9 and steps."""
    check_choice("task", task, COLLAPSE_TASKS)
    return dict(
        task=COLLAPSE_TASKS[task],
        setup=COLLAPSE_SETUP,
        seeds=comparison_budget(task)["seeds"],
        steps=choose(COLLAPSE_SETUP.steps, COMPARISON_QUICK_STEPS),
    )


def comparison_methods_on(task: str) -> list[str]:
    """The methods chapter 07 trains on ``task``: every compared method the data allows, and on the
    imbalanced ring only the plain GAN and the diversity and encoder terms (its question is the rare mode)."""
    check_choice("task", task, COMPARISON_SEEDS)
    conditional = make_task(task).condition_dim > 0
    names = [name for name in comparison_methods() if METHODS[name].conditional or not conditional]
    return [name for name in names if name in IMBALANCED_RING_METHODS] if task == "imbalanced_ring" else names


def _comparison() -> dict:
    sweeps = {}
    for task in COMPARISON_TASKS:
        for name in comparison_methods_on(task):
            sweeps[f"{task}_{name}"] = dict(task=task, method=name, **comparison_budget(task))
    for name in sensitivity_methods():
        sweeps[f"sensitivity_{name}"] = dict(
            task="ring", method=name, grid={"weight": sensitivity_weights(name)}, **sensitivity_budget()
        )
    for name in tuned_methods():
        sweeps[f"tune_{name}"] = dict(
            task="unit_ring",
            method=name,
            grid=tuning_grid(name),
            method_options=TUNING_OPTIONS.get(name, {}),
            setup=COLLAPSE_SETUP,
            **tuning_budget(),
        )
    sweeps["longer_ms"] = dict(  # does MSGAN's spread ring sharpen with four times the budget?
        task="unit_ring",
        method="ms",
        grid={"weight": [1.0]},
        setup=COLLAPSE_SETUP,
        seeds=tuning_budget()["seeds"],
        steps=choose(LONGER_BUDGET_STEPS, COMPARISON_QUICK_STEPS),
    )
    for name in (*COLLAPSE_METHODS, *COLLAPSE_MR_METHODS):  # COLLAPSE_MR_METHODS: chapter 03's App. C runs
        if is_reported(name):
            sweeps[f"collapse_ring_{name}"] = dict(
                method=name, method_options=tuned_settings(name), **collapse_budget("ring")
            )
    sweeps["collapse_grid_gan"] = dict(method="gan", **collapse_budget("grid"))  # the grid: the plain GAN only
    sweeps["capacity_grid_gan_larger"] = dict(  # the grid: is it the generator's capacity and budget?
        task=COLLAPSE_TASKS["grid"],
        method="gan",
        setup=CAPACITY_SETUP,
        seeds=list(choose(range(CAPACITY_SEEDS), range(1))),
        steps=choose(CAPACITY_STEPS, COMPARISON_QUICK_STEPS),
    )
    sweeps["collapse_ring_gaussian_mr1_per_input"] = dict(  # the same λ in MR's per-input reading
        method="gaussian_mr1",
        method_options={**tuned_settings("gaussian_mr1"), "pooling": "per_input"},
        **collapse_budget("ring"),
    )
    return sweeps


# Chapter 08: the plain DCGAN and a regularizer of each family on the two digit tasks, at the papers' λ.
CATEGORICAL_METHODS = ("gan", "ms", "hm", "gaussian_mr1")
CATEGORICAL_EVAL_SAMPLES = {"stacked_digits": 26_000, "digits": 5_000}  # Stacked MNIST's 26,000; 500 a class


def categorical_budget(task: str) -> dict:
    """Seeds, evaluation and stored samples of chapter 08 on ``task`` in the current mode (3 seeds in full
    mode, 1 in quick mode; the step budget is :data:`CATEGORICAL_SETUP`'s)."""
    check_choice("task", task, CATEGORICAL_EVAL_SAMPLES)
    return dict(
        seeds=list(range(choose(3, 1))),
        n_eval_samples=choose(CATEGORICAL_EVAL_SAMPLES[task], 5_000),
        keep_samples=100,
    )


def _categorical() -> dict:
    sweeps = {
        f"{task}_{name}": dict(task=task, method=name, setup=CATEGORICAL_SETUP, **categorical_budget(task))
        for task in CATEGORICAL_EVAL_SAMPLES
        for name in CATEGORICAL_METHODS
    }
    sweeps["stacked_digits_balanced_gan"] = dict(
        task="stacked_digits", method="gan", setup=BALANCED_SETUP, **categorical_budget("stacked_digits")
    )
    return sweeps


# Chapters 09 and 10: the image-to-image tasks at CPU size (16x16 patches of photographs, PairedSetup),
# each method at its paper's λ; 3 seeds in full mode (1 in quick mode), every test input scored.
PAIRED_EVAL_SAMPLES = 4_800  # 10 outputs for each of the 480 test inputs
TRANSLATION_METHODS = {  # pix2pix + the diversity terms (ℓ1 kept), and MR-GAN (ℓ1 replaced); thesis App. B
    "gan_l1": {"weight": 100.0},
    "ms_l1": {},
    "hm_l1": {},
    "gaussian_mr1": {"samples_per_input": 10},
    "gaussian_proxy_mr2": {"samples_per_input": 10},
}
TRANSLATION_MS_WEIGHTS = [0.0, 0.3, 1.0, 3.0, 10.0]  # chapter 09's λ slider (seed 0)
TRANSLATION_ERE_LEVELS = [0.0, 1.0]  # chapter 09's encoder and decoder ERE sliders: HMGAN¹ (0) and HMGAN² (1) per half
UNET_RATIOS = (3, 3)  # layer ratios of the U-Net of PairedSetup: encoder (3 levels), decoder (2 levels + output)
# MR-GAN thesis App. B.3 (SRGAN) and B.4 (GLCIC): λ_ℓ2 1000 / 100, λ_MR 20, λ_pMR 2400 / 1000; K 8 here.
RESTORATION_METHODS = {
    "super_resolution": {
        "gan_l2": {"weight": 1000.0},
        "gaussian_mr2": {"weight": 20.0},
        "gaussian_proxy_mr2": {"weight": 2400.0},
    },
    "inpainting": {
        "gan_l2": {"weight": 100.0},
        "gaussian_mr2": {"weight": 10.0},
        "gaussian_proxy_mr2": {"weight": 1000.0},
    },
}
RESTORATION_K = [2, 4, 8, 16]  # chapter 10's K slider (proxy MR2 on super-resolution, seed 0)
RESTORATION_SETUPS = {
    "super_resolution": PairedSetup(steps=1000, quick_steps=100),
    "inpainting": PairedSetup(architecture="glcic", depth=2, d_layers=2, steps=1000, quick_steps=100),
}
TRANSLATION_SETUP = PairedSetup(quick_steps=150)


def paired_budget(seeds: int = 3) -> dict:
    """Seeds, evaluation and stored samples of the paired chapters in the current mode (``seeds`` in full
    mode, 1 in quick mode; 32 stored samples: two test inputs under 16 latents each)."""
    return dict(seeds=list(range(choose(seeds, 1))), n_eval_samples=choose(PAIRED_EVAL_SAMPLES, 1_000), keep_samples=32)


def ere_targets(encoder: float, decoder: float) -> list[float]:
    """HMGAN's per-layer targets for the U-Net of :data:`TRANSLATION_SETUP`: one for its encoder's ratios,
    one for its decoder's."""
    return [encoder] * UNET_RATIOS[0] + [decoder] * UNET_RATIOS[1]


def _translation() -> dict:
    sweeps = {
        f"edges2photo_{name}": dict(
            task="edges2photo", method=name, setup=TRANSLATION_SETUP, method_options=options, **paired_budget()
        )
        for name, options in TRANSLATION_METHODS.items()
    }
    sweeps["edges2photo_ms_l1_lambda"] = dict(
        task="edges2photo",
        method="ms_l1",
        setup=TRANSLATION_SETUP,
        grid={"weight": TRANSLATION_MS_WEIGHTS},
        **paired_budget(seeds=1),
    )
    sweeps["edges2photo_hm_l1_ere"] = dict(
        task="edges2photo",
        method="hm_l1",
        setup=TRANSLATION_SETUP,
        grid={"ere": [ere_targets(e, d) for e in TRANSLATION_ERE_LEVELS for d in TRANSLATION_ERE_LEVELS]},
        **paired_budget(seeds=1),
    )
    return sweeps


def _restoration() -> dict:
    sweeps = {
        f"{task}_{name}": dict(
            task=task, method=name, setup=RESTORATION_SETUPS[task], method_options=options, **paired_budget()
        )
        for task, methods in RESTORATION_METHODS.items()
        for name, options in methods.items()
    }
    sweeps["super_resolution_gaussian_proxy_mr2_k"] = dict(
        task="super_resolution",
        method="gaussian_proxy_mr2",
        setup=RESTORATION_SETUPS["super_resolution"],
        method_options=RESTORATION_METHODS["super_resolution"]["gaussian_proxy_mr2"],
        grid={"samples_per_input": RESTORATION_K},
        **paired_budget(seeds=1),
    )
    return sweeps


# Chapter 11: Reg-GAN and MDGAN against the plain DCGAN on two unconditional image tasks, scored for
# missing modes (and, on the digits, the MODE score); Che et al.'s λ of the registry, 3 seeds in full mode.
MISSING_MODE_METHODS = ("gan", "reg_gan", "mdgan")
MISSING_MODE_TASKS = ("digit_images", "photo_images")
MISSING_MODE_SETUP = ImageSetup(steps=2000, quick_steps=200)


def _missing_modes() -> dict:
    return {
        f"{task}_{name}": dict(
            task=task,
            method=name,
            setup=MISSING_MODE_SETUP,
            seeds=list(range(choose(3, 1))),
            n_eval_samples=2000,
            keep_samples=64,
        )
        for task in MISSING_MODE_TASKS
        for name in MISSING_MODE_METHODS
    }


CHAPTERS = {
    "01_eight_gaussians": _eight_gaussians,
    "02_conditional_collapse": _conditional_collapse,
    "03_moment_reconstruction": _moment_reconstruction,
    "04_mode_seeking": _mode_seeking,
    "05_hierarchical_modes": _hierarchical,
    "06_mode_regularized": _mode_regularized,
    "07_comparison": _comparison,
    "08_categorical": _categorical,
    "09_paired_translation": _translation,
    "10_super_resolution_inpainting": _restoration,
    "11_missing_modes_images": _missing_modes,
}


def chapter_sweeps(chapter: str) -> dict[str, dict]:
    """All sweeps of ``chapter`` (a key of :data:`CHAPTERS`): name -> ``sweep`` keyword arguments."""
    check_choice("chapter", chapter, CHAPTERS)
    return CHAPTERS[chapter]()


def chapter_sweep(chapter: str, name: str) -> dict:
    """The ``sweep`` keyword arguments of one named sweep of ``chapter``."""
    sweeps = chapter_sweeps(chapter)
    check_choice("name", name, sweeps)
    return dict(sweeps[name])


def describe(arguments: dict) -> str:
    """A one-line ``sweep(...)`` call for a chapter to print what it trains."""
    shown = {k: v for k, v in arguments.items() if k not in {"task", "method", "setup"}}
    setup = ", setup=<chapter setup>" if "setup" in arguments else ""
    rest = "".join(f", {k}={v!r}" for k, v in shown.items())
    return f"sweep({arguments['task']!r}, {arguments['method']!r}{rest}{setup})"


def provenance(chapter: str, name: str, table, wall_seconds: float) -> dict:
    """How a stored result was made: the chapter and sweep, the commit (``+dirty`` when the working tree
    differed from it), the command, the library fingerprint, the machine and the training time."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    return {
        "chapter": chapter,
        "sweep": name,
        "commit": commit,
        "command": " ".join(sys.argv) or "python",
        "library": library_fingerprint(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads",
        "members": len(table),
        "member_train_seconds": float(table.train_seconds.sum()),
        "wall_seconds": round(wall_seconds, 1),
        "source": table.attrs.get("source"),
    }


def build_all(
    chapters=None, progress: bool = False, store: bool = False, patterns=None, rebuild: bool = False
) -> dict[str, int]:
    """Run (or read from the stored results or the cache) every sweep of ``chapters`` (default: all)
    whose name matches one of the shell ``patterns`` (default: every sweep); returns members per sweep.

    ``store=True`` (``prebuild --full``) trains what neither the stored results nor the cache hold and
    writes each new table into the stored results (:func:`mcgan_lib.sweeps.stored_results_dir`) with its
    :func:`provenance`; a sweep whose stored result already matches its configuration is kept, so an
    interrupted build resumes. ``rebuild=True`` retrains and rewrites those too (after a change to the
    library that changes results without changing any configuration).
    """
    counts = {}
    for chapter in chapters or CHAPTERS:
        for name, arguments in chapter_sweeps(chapter).items():
            if patterns and not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                continue
            began = time.perf_counter()
            table = sweep(**arguments, stored=not rebuild, progress=progress)
            counts[f"{chapter}/{name}"] = len(table)
            if store and table.attrs["source"] != "stored":
                description = table.attrs["description"]
                write_table(
                    table.drop(columns="generator", errors="ignore"),
                    stored_stem(arguments["method"], description),
                    stored_description(description),
                    provenance(chapter, name, table, time.perf_counter() - began),
                )
    return counts
