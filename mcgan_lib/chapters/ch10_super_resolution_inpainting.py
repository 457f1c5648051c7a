"""Chapter 10, super-resolution and inpainting: GAN + ℓ2 against Gaussian MR2 and proxy MR2 at CPU size
(chapter 09's :func:`~mcgan_lib.chapters.ch09_paired_translation.paired_budget`)."""

from __future__ import annotations

from mcgan_lib.chapters.ch09_paired_translation import paired_budget
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.recipes import recipe_settings

CHAPTER = "10_super_resolution_inpainting"

# MR-GAN thesis App. B.3 (SRGAN) and B.4 (GLCIC) at CPU size, K 8: the recipes of those two families
RESTORATION_METHODS = {task: recipe_settings(task) for task in ("super_resolution", "inpainting")}
RESTORATION_K = [2, 4, 8, 16]  # the K slider (proxy MR2 on super-resolution, seed 0)
RESTORATION_SETUPS = {
    "super_resolution": PairedSetup(steps=1000, quick_steps=100),
    "inpainting": PairedSetup(architecture="glcic", depth=2, d_layers=2, steps=1000, quick_steps=100),
}


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
    declared = {
        f"{task}_{name}": dict(
            task=task, method=name, setup=RESTORATION_SETUPS[task], method_options=options, **paired_budget()
        )
        for task, methods in RESTORATION_METHODS.items()
        for name, options in methods.items()
    }
    declared["super_resolution_gaussian_proxy_mr2_k"] = dict(
        task="super_resolution",
        method="gaussian_proxy_mr2",
        setup=RESTORATION_SETUPS["super_resolution"],
        method_options=RESTORATION_METHODS["super_resolution"]["gaussian_proxy_mr2"],
        grid={"samples_per_input": RESTORATION_K},
        **paired_budget(seeds=1),
    )
    return declared


CLAIMS = ()
