"""Chapter 11, missing modes on images: Reg-GAN and MDGAN against the plain DCGAN on two unconditional image
tasks, scored for missing modes (and, on the digits, the MODE score); Che et al.'s λ of the registry, 3 seeds
in full mode."""

from __future__ import annotations

from mcgan_lib.config import choose
from mcgan_lib.experiments.images import ImageSetup

CHAPTER = "11_missing_modes_images"

MISSING_MODE_METHODS = ("gan", "reg_gan", "mdgan")
MISSING_MODE_TASKS = ("digit_images", "photo_images")
MISSING_MODE_SETUP = ImageSetup(steps=2000, quick_steps=200)


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
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


CLAIMS = ()
