"""Chapter 09, paired translation: pix2pix with the diversity terms and MR-GAN on edges → photos.

The image-to-image tasks of chapters 09 and 10 run at CPU size (16x16 patches of photographs,
:class:`~mcgan_lib.experiments.paired.PairedSetup`), each method at its paper's λ; 3 seeds in full mode
(1 in quick mode), every test input scored (:func:`paired_budget`).
"""

from __future__ import annotations

from mcgan_lib.config import choose
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.recipes import recipe_settings

CHAPTER = "09_paired_translation"

PAIRED_EVAL_SAMPLES = 4_800  # 10 outputs for each of the 480 test inputs
# pix2pix + the diversity terms (ℓ1 kept), and MR-GAN (ℓ1 replaced): the recipes of the edges2photo family
TRANSLATION_METHODS = recipe_settings("edges2photo")
TRANSLATION_MS_WEIGHTS = [0.0, 0.3, 1.0, 3.0, 10.0]  # the λ slider (seed 0)
TRANSLATION_ERE_LEVELS = [0.0, 1.0]  # the encoder and decoder ERE sliders: HMGAN¹ (0) and HMGAN² (1) per half
UNET_RATIOS = (3, 3)  # layer ratios of the U-Net of PairedSetup: encoder (3 levels), decoder (2 levels + output)
TRANSLATION_SETUP = PairedSetup(quick_steps=150)


def paired_budget(seeds: int = 3) -> dict:
    """Seeds, evaluation and stored samples of the paired chapters in the current mode (``seeds`` in full
    mode, 1 in quick mode; 32 stored samples: two test inputs under 16 latents each)."""
    return dict(seeds=list(range(choose(seeds, 1))), n_eval_samples=choose(PAIRED_EVAL_SAMPLES, 1_000), keep_samples=32)


def ere_targets(encoder: float, decoder: float) -> list[float]:
    """HMGAN's per-layer targets for the U-Net of :data:`TRANSLATION_SETUP`: one for its encoder's ratios,
    one for its decoder's."""
    return [encoder] * UNET_RATIOS[0] + [decoder] * UNET_RATIOS[1]


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
    declared = {
        f"edges2photo_{name}": dict(
            task="edges2photo", method=name, setup=TRANSLATION_SETUP, method_options=options, **paired_budget()
        )
        for name, options in TRANSLATION_METHODS.items()
    }
    declared["edges2photo_ms_l1_lambda"] = dict(
        task="edges2photo",
        method="ms_l1",
        setup=TRANSLATION_SETUP,
        grid={"weight": TRANSLATION_MS_WEIGHTS},
        **paired_budget(seeds=1),
    )
    declared["edges2photo_hm_l1_ere"] = dict(
        task="edges2photo",
        method="hm_l1",
        setup=TRANSLATION_SETUP,
        grid={"ere": [ere_targets(e, d) for e in TRANSLATION_ERE_LEVELS for d in TRANSLATION_ERE_LEVELS]},
        **paired_budget(seeds=1),
    )
    return declared


CLAIMS = ()
