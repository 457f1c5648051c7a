"""The papers' recipes: every method's settings per task family, each with its source, in one table.

``RECIPES[family][method]`` is a :class:`Recipe`: the method's settings (``weight`` = λ,
``samples_per_input`` = K, ``l1_weight``, ``ere``, ...), the changes it makes to the family's setup (another
paper's optimiser, batch, noise), its training length where the paper sets one, and ``source``: the paper
and its equation, table or section, the authors' code, or "this project's choice" with the reason.

Families:

- ``default``: what a run uses when no setting is given; the registry's defaults
  (:data:`mcgan_lib.methods.METHODS` reads them from here). The toy chapters run on these, or on a λ tuned
  by a stated rule (:mod:`mcgan_lib.experiments.tuning`).
- ``edges2photo``, ``super_resolution``, ``inpainting``: the offline 16×16 image-to-image tasks of
  chapters 09 and 10, at CPU size.
- ``pix2pix`` (Facades, Maps), ``srgan`` (CelebA super-resolution), ``glcic`` (CelebA inpainting): the
  papers' full-size configurations (:mod:`mcgan_lib.experiments.full_size`).

A method absent from a family has no paper setting there and trains with its defaults. Two values of one
setting in two families is a documented choice: MSGAN + ℓ1 keeps pix2pix's λ_ℓ1 = 100 on the offline task,
beside every other "+ ℓ1" method, and takes the authors' λ_ℓ1 = 10 at full size (``tests/test_recipes.py``
lists each such difference).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mcgan_lib.regularizers.moment_reconstruction import VARIANTS, parse_variant
from mcgan_lib.validation import check_choice


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Recipe:
    """One method's settings in one task family, and where they come from (see the module docstring)."""

    settings: Mapping = field(default_factory=dict)
    source: str = ""
    setup: Mapping = field(default_factory=dict)
    epochs: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "settings", _frozen(self.settings))
        object.__setattr__(self, "setup", _frozen(self.setup))


OURS = "this project's choice"
PREDICTOR_STEPS = 500  # proxy MR's predictor on the toys: fitted once, 500 steps
PIX2PIX_L1_WEIGHT = 100.0  # pix2pix (Isola et al. 2017, Eq. 4): λ_ℓ1 = 100
MSGAN_CODE_L1_WEIGHT = 10.0  # MSGAN's code (BicycleGAN's options): lambda_L1 = 10
MR_GAN_COMMON = (
    "MR-GAN thesis App. B.1: AMSGrad, lr 1e-4, betas (0.5, 0.999), weight decay 1e-4 (its clipping by value 0.5 "
    "is not the Trainer's norm clipping: none)"
)
MR_GAN_OPTIMISER = _frozen({"optimizer": "amsgrad", "lr": 1e-4, "weight_decay": 1e-4})
PIX2PIX_MR_SETUP = _frozen({**MR_GAN_OPTIMISER, "batch_size": 8, "latent_dim": 32})


def _mr_defaults() -> dict[str, Recipe]:
    recipes = {}
    for variant in VARIANTS:
        settings = {"weight": 10.0, "samples_per_input": 8, "pooling": "per_input"}
        if parse_variant(variant)[2]:
            settings["predictor_steps"] = PREDICTOR_STEPS
        recipes[variant] = Recipe(
            settings,
            "MR-GAN thesis App. B: λ = 10 (pix2pix), K = 10; K = 8 here, as each generator step runs D on K·B "
            f"samples ({OURS}); pooling per input, the thesis's Eq. 3.5 (chapter 03 shows the other reading)",
        )
    return recipes


def _mr_full_size(weight: float, proxy_weight: float, k: int, predictor_steps: int, setup: Mapping, where: str):
    recipes = {}
    for variant in VARIANTS:
        proxy = parse_variant(variant)[2]
        settings = {"weight": proxy_weight if proxy else weight, "samples_per_input": k}
        if proxy:
            settings["predictor_steps"] = predictor_steps
        symbol = "λ_pMR" if proxy else "λ_MR"
        recipes[variant] = Recipe(
            settings, f"{where}: {symbol} = {settings['weight']:g}, K = {k}; {MR_GAN_COMMON}", setup=setup
        )
    return recipes


_MS_SOURCE = "MSGAN Eq. 2: λ_ms = 1; the ratio's denominator is the batch's pairs (MSGAN's code)"
_HM_SOURCE = "HMGAN Eq. 3: every ERE λ^(i) = 0 (HMGAN¹), β = 1; pairs within the batch (HMGAN Sec. 3.2)"
_DEFAULT = {
    "gan": Recipe({}, "the plain GAN: no setting"),
    "gan_l2": Recipe(
        {"weight": 10.0},
        "MR-GAN thesis App. B: λ_ℓ2 = 1000 (super-resolution), 100 (inpainting); the toys use the MR losses' "
        f"λ = 10, so that App. C's GAN + ℓ2 and MR rows differ only in the loss ({OURS})",
    ),
    "gan_l1": Recipe({"weight": 1.0}, f"pix2pix and MR-GAN thesis App. B use λ_ℓ1 = 100; 1 here ({OURS}: a toy scale)"),
    "l2": Recipe({"weight": 1.0}, f"the reconstruction loss alone, λ = 1 ({OURS})"),
    "l1": Recipe({"weight": 1.0}, f"the reconstruction loss alone, λ = 1 ({OURS})"),
    "ms": Recipe({"weight": 1.0, "reduction": "batch"}, _MS_SOURCE),
    "hm": Recipe({"weight": 1.0, "ere": 0.0, "pairs": "batch", "bounds": None, "out_of_range": "error"}, _HM_SOURCE),
    **_mr_defaults(),
    "reg_gan": Recipe({"weight": 0.5, "lambda_mode": 0.5}, "Che et al. Eq. 3: λ1 (geometric) = λ2 (mode) = 0.5"),
    "mdgan": Recipe({"weight": 0.5}, "Che et al., MDGAN's manifold step: λ = 0.5"),
}
_DEFAULT["ms_l1"] = Recipe(
    {**_DEFAULT["ms"].settings, "l1_weight": PIX2PIX_L1_WEIGHT},
    f"{_MS_SOURCE}; pix2pix's ℓ1 kept, with its λ_ℓ1 = 100, as for every '+ ℓ1' method ({OURS}; MSGAN's code "
    "uses 10: the pix2pix family's recipe)",
)
_DEFAULT["hm_l1"] = Recipe(
    {**_DEFAULT["hm"].settings, "l1_weight": PIX2PIX_L1_WEIGHT}, f"{_HM_SOURCE}; pix2pix's ℓ1 kept, λ_ℓ1 = 100"
)

_CHAPTER_09 = "chapter 09: pix2pix + the diversity terms (ℓ1 kept), and MR-GAN (ℓ1 replaced), MR-GAN thesis App. B"
_CHAPTER_10 = "chapter 10: MR-GAN thesis App. B.{section} ({paper}) at CPU size, K = 8 ({ours})"

RECIPES: Mapping[str, Mapping[str, Recipe]] = _frozen(
    {
        "default": _frozen(_DEFAULT),
        "edges2photo": _frozen(
            {
                "gan_l1": Recipe({"weight": PIX2PIX_L1_WEIGHT}, f"{_CHAPTER_09}: pix2pix Eq. 4, λ_ℓ1 = 100"),
                "ms_l1": Recipe({}, f"{_CHAPTER_09}: the registry's MSGAN + ℓ1 (λ_ms = 1, λ_ℓ1 = 100)"),
                "hm_l1": Recipe({}, f"{_CHAPTER_09}: the registry's HMGAN + ℓ1 (HMGAN¹, λ_ℓ1 = 100)"),
                "gaussian_mr1": Recipe({"samples_per_input": 10}, f"{_CHAPTER_09}: K = 10 (App. B.2), λ = 10"),
                "gaussian_proxy_mr2": Recipe({"samples_per_input": 10}, f"{_CHAPTER_09}: K = 10 (App. B.2), λ = 10"),
            }
        ),
        "super_resolution": _frozen(
            {
                "gan_l2": Recipe({"weight": 1000.0}, _CHAPTER_10.format(section=3, paper="SRGAN", ours=OURS)),
                "gaussian_mr2": Recipe({"weight": 20.0}, _CHAPTER_10.format(section=3, paper="SRGAN", ours=OURS)),
                "gaussian_proxy_mr2": Recipe(
                    {"weight": 2400.0}, _CHAPTER_10.format(section=3, paper="SRGAN", ours=OURS)
                ),
            }
        ),
        "inpainting": _frozen(
            {
                "gan_l2": Recipe({"weight": 100.0}, _CHAPTER_10.format(section=4, paper="GLCIC", ours=OURS)),
                "gaussian_mr2": Recipe({"weight": 10.0}, _CHAPTER_10.format(section=4, paper="GLCIC", ours=OURS)),
                "gaussian_proxy_mr2": Recipe(
                    {"weight": 1000.0}, _CHAPTER_10.format(section=4, paper="GLCIC", ours=OURS)
                ),
            }
        ),
        "pix2pix": _frozen(
            {
                "gan": Recipe({}, "pix2pix's objective without its ℓ1 term (the GAN loss alone)"),
                "gan_l1": Recipe({"weight": PIX2PIX_L1_WEIGHT}, "pix2pix (Isola et al. 2017, Eq. 4): λ_ℓ1 = 100"),
                "ms": Recipe({"weight": 1.0}, "MSGAN Eq. 2: λ_ms = 1"),
                "ms_l1": Recipe(
                    {"weight": 1.0, "l1_weight": MSGAN_CODE_L1_WEIGHT},
                    "MSGAN Eq. 2: λ_ms = 1; the authors' code (BicycleGAN's): λ_ℓ1 = 10, its models are at epoch 400",
                    epochs=400,
                ),
                "hm": Recipe({"weight": 1.0, "ere": 0.0}, "HMGAN¹ (Sec. 4): every ERE 0, β = 1"),
                "hm_l1": Recipe(
                    {"weight": 1.0, "ere": 0.0, "l1_weight": PIX2PIX_L1_WEIGHT},
                    "HMGAN¹ (Sec. 4): every ERE 0, β = 1, pix2pix's settings kept (λ_ℓ1 = 100)",
                ),
                **_mr_full_size(10.0, 10.0, 10, 5_000, PIX2PIX_MR_SETUP, "MR-GAN thesis App. B.2 (Pix2Pix)"),
            }
        ),
        "srgan": _frozen(
            {
                "gan": Recipe({}, "SRGAN's adversarial loss alone"),
                "gan_l2": Recipe({"weight": 1000.0}, "MR-GAN thesis App. B.3: λ_ℓ2 = 1000"),
                **_mr_full_size(20.0, 2400.0, 24, 20_000, {}, "MR-GAN thesis App. B.3 (SRGAN)"),
            }
        ),
        "glcic": _frozen(
            {
                "gan": Recipe({}, "GLCIC's adversarial loss alone"),
                "gan_l2": Recipe({"weight": 100.0}, "MR-GAN thesis App. B.4: λ_ℓ2 = 100"),
                "gaussian_proxy_mr2": Recipe(
                    {"weight": 1000.0, "samples_per_input": 12, "predictor_steps": 20_000},
                    "MR-GAN thesis App. B.4 (GLCIC): λ_pMR = 1000, K = 12 (no MR setting worked there); "
                    + MR_GAN_COMMON,
                ),
            }
        ),
    }
)
FAMILIES = tuple(RECIPES)


def recipe(method: str, family: str = "default") -> Recipe | None:
    """The recipe of ``method`` in ``family`` (None where the family has no paper setting for it)."""
    check_choice("family", family, RECIPES)
    return RECIPES[family].get(method)


def recipe_settings(family: str) -> dict[str, dict]:
    """``method -> settings`` of every method with a recipe in ``family`` (plain dicts, for sweeps)."""
    check_choice("family", family, RECIPES)
    return {method: dict(r.settings) for method, r in RECIPES[family].items()}
