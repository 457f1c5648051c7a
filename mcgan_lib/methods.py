"""The method registry: every training method of the library, named once.

A *method* is the plain GAN or the GAN with one regularizer, with its default settings. The CLI
(``--method``), :func:`mcgan_lib.sweeps.sweep`, the chapters, the comparison and the tests read this
one table, so a name means the same thing everywhere:

    regularizer = build_method("ms", data, setup, seed=0, weight=1.0)

Adding a regularizer: write its class in ``mcgan_lib/regularizers/`` and register it here with one
:func:`register_method` line (see ``docs/architecture.md``). Builders take ``(data, setup, seed,
**settings)``: the data source, the networks' sizes (anything with ``latent_dim`` and ``hidden_dim``,
usually a :class:`~mcgan_lib.experiments.toy.ToySetup`) and the member's seed, from which extra
networks are initialised at fixed offsets (:data:`EXTRA_NETWORK_SEED_OFFSETS`).

``defaults`` are what a run uses when a setting is not given; ``reference`` says what the source
paper used on its own tasks, where the toy default differs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.fitting import fit_predictors
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANEncoder
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPEncoder
from mcgan_lib.recipes import PREDICTOR_STEPS, recipe
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.regularizers.hierarchical import HierarchicalModeRegularizer
from mcgan_lib.regularizers.mode_regularized import ManifoldDiffusionRegularizer, ModeRegularizer
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.regularizers.moment_reconstruction import VARIANTS, MomentReconstruction, parse_variant
from mcgan_lib.regularizers.reconstruction import Reconstruction, WithReconstruction
from mcgan_lib.validation import check_choice, check_int

# A method's extra networks (Reg-GAN's encoder, MDGAN's D1 and D2) start from the member's seed plus these.
EXTRA_NETWORK_SEED_OFFSETS = {"encoder": 101, "d1": 202, "d2": 303}


@dataclass(frozen=True)
class Method:
    """A named recipe: ``build(data, setup, seed, **settings)`` returns a Regularizer, or None for the plain GAN.

    ``conditional=False``: the method needs unconditional data. ``in_comparison=False``: a baseline
    that chapter 07's comparison leaves out (the reconstruction losses alone).
    """

    name: str
    label: str
    build: Callable[..., Regularizer | None]
    defaults: Mapping = field(default_factory=dict)
    conditional: bool = True
    in_comparison: bool = True
    reference: str = ""


METHODS: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Add ``method`` to :data:`METHODS` (its name must be new)."""
    if method.name in METHODS:
        raise ValueError(f"method {method.name!r} is already registered")
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    """The registered method ``name`` (a clear error lists the names otherwise)."""
    check_choice("method", name, METHODS)
    return METHODS[name]


def method_settings(name: str, settings: Mapping | None = None, argument: str = "settings") -> dict:
    """The method's defaults updated with ``settings``; a setting the method does not have is an error
    that names ``argument`` (how the caller called the settings)."""
    method = get_method(name)
    settings = dict(settings or {})
    unknown = set(settings) - set(method.defaults)
    if unknown:
        raise ValueError(
            f"{argument} {sorted(unknown)} are not settings of method {name!r}; allowed: {sorted(method.defaults)}"
        )
    return {**method.defaults, **settings}


def comparison_methods() -> list[str]:
    """The methods that chapter 07 compares, in order: all but the reconstruction-only baselines and six of
    the eight MR variants (:data:`COMPARED_MR_VARIANTS` stand for the family)."""
    return [name for name, method in METHODS.items() if method.in_comparison]


def build_method(name: str, data: DataSource, setup, seed: int = 0, **settings) -> Regularizer | None:
    """The regularizer of method ``name`` for one run (None for the plain GAN)."""
    method = get_method(name)
    if data.condition_dim and not method.conditional:
        raise ValueError(f"method {name!r} needs unconditional data; this data is conditional")
    return method.build(data, setup, check_int("seed", seed, minimum=0), **method_settings(name, settings))


# ---------------------------------------------------------------------------------------------- builders
def _plain(data, setup, seed):
    return None


def _reconstruction(p: int, adversarial_weight: float):
    def build(data, setup, seed, weight):
        return Reconstruction(weight, p=p, adversarial_weight=adversarial_weight)

    return build


def _mode_seeking(data, setup, seed, weight, reduction):
    return ModeSeekingRegularizer(weight, reduction=reduction)


def _hierarchical(data, setup, seed, weight, ere, pairs, bounds=None, out_of_range="error"):
    return HierarchicalModeRegularizer(weight, ere=ere, pairs=pairs, bounds=bounds, out_of_range=out_of_range)


_PREDICTORS: dict[str, dict] = {}


def task_predictors(data: DataSource, steps: int = PREDICTOR_STEPS, setup=None) -> dict:
    """The frozen Gaussian and Laplace predictors of a task, fitted once per (task spec, steps, setup) with
    seed 0 and shared by every run: a proxy MR variant's fixed target (MR-GAN thesis, Algorithms 5-8). A
    setup with a ``predictor(data, seed)`` method (an image-to-image setup) builds the predictor network;
    otherwise it is the MLP :class:`~mcgan_lib.nets.predictor.MomentPredictor`."""
    network = getattr(setup, "predictor", None)
    described = dataclasses.asdict(setup) if network is not None else None
    key = json.dumps([data.spec(), steps, described], sort_keys=True, default=str)
    if key not in _PREDICTORS:
        options = {} if network is None else {"network": network, "batch_size": setup.batch_size}
        _PREDICTORS[key] = fit_predictors(data, steps=steps, seed=0, **options)
    return _PREDICTORS[key]


def _moment_reconstruction(variant: str):
    distribution, moments, proxy = parse_variant(variant)

    def build(data, setup, seed, weight, samples_per_input, pooling, predictor_steps=PREDICTOR_STEPS):
        if pooling != "per_input" and data.condition_dim:
            raise ValueError(f"pooling={pooling!r} needs unconditional data; use pooling='per_input' here")
        predictor = None
        if proxy:
            steps = check_int("predictor_steps", predictor_steps, minimum=1)
            predictor = task_predictors(data, steps, setup)[distribution]
        return MomentReconstruction(weight, samples_per_input, distribution, moments, predictor, pooling=pooling)

    return build


def _is_image(data: DataSource) -> bool:
    return len(data.data_shape) == 3


def _encoder(data, setup, seed):
    """Reg-GAN's and MDGAN's encoder: an MLP for flat data, the DCGAN discriminator's convolutions with a
    latent head for images (the setup's ``d_channels`` and ``resamplings``)."""
    seed = seed + EXTRA_NETWORK_SEED_OFFSETS["encoder"]
    if _is_image(data):
        return DCGANEncoder(data.data_shape, setup.latent_dim, setup.d_channels, setup.resamplings, seed=seed)
    return MLPEncoder(data.data_dim, setup.latent_dim, hidden_dim=setup.hidden_dim, seed=seed)


def _extra_discriminator(data, setup, seed):
    """MDGAN's D1 and D2: the setup's own discriminator architecture."""
    if _is_image(data):
        return DCGANDiscriminator(data.data_shape, 0, setup.d_channels, setup.resamplings, seed=seed)
    return MLPDiscriminator(data.data_dim, hidden_dim=setup.d_hidden_dim, input_scale=setup.d_input_scale, seed=seed)


def _reg_gan(data, setup, seed, weight, lambda_mode):
    return ModeRegularizer(_encoder(data, setup, seed), weight, lambda_mode)


def _mdgan(data, setup, seed, weight):
    d1, d2 = (_extra_discriminator(data, setup, seed + EXTRA_NETWORK_SEED_OFFSETS[k]) for k in ("d1", "d2"))
    return ManifoldDiffusionRegularizer(_encoder(data, setup, seed), d1, d2, weight)


def _variant_label(variant: str) -> str:
    return variant.replace("gaussian", "Gaussian").replace("laplace", "Laplace").replace("_", " ").replace("mr", "MR")


# ---------------------------------------------------------------------------------------------- the table
# Chapter 07 compares two MR variants (chapter 03 compares all eight): the simplest, and the thesis's main one.
COMPARED_MR_VARIANTS = ("gaussian_mr1", "gaussian_proxy_mr2")


def _register(name: str, label: str, build: Callable[..., Regularizer | None], **options) -> None:
    """Register ``name`` with its defaults and their source from :data:`mcgan_lib.recipes.RECIPES`."""
    default = recipe(name)
    register_method(Method(name, label, build, default.settings, reference=default.source, **options))


_register("gan", "GAN", _plain)
_register("gan_l2", "GAN + ℓ2", _reconstruction(2, 1.0))
_register("gan_l1", "GAN + ℓ1", _reconstruction(1, 1.0), in_comparison=False)
_register("l2", "ℓ2 alone", _reconstruction(2, 0.0), in_comparison=False)
_register("l1", "ℓ1 alone", _reconstruction(1, 0.0), in_comparison=False)
_register("ms", "MSGAN", _mode_seeking)
_register("hm", "HMGAN", _hierarchical)
for _variant in VARIANTS:
    _register(
        _variant,
        _variant_label(_variant),
        _moment_reconstruction(_variant),
        in_comparison=_variant in COMPARED_MR_VARIANTS,
    )
_register("reg_gan", "Reg-GAN", _reg_gan, conditional=False)
_register("mdgan", "MDGAN", _mdgan, conditional=False)


# MSGAN and HMGAN on image-to-image tasks keep pix2pix's ℓ1 term (see WithReconstruction): one "+ ℓ1"
# method per diversity term.
def _with_l1(build: Callable[..., Regularizer]):
    def build_with_l1(data, setup, seed, l1_weight, **settings):
        return WithReconstruction(build(data, setup, seed, **settings), l1_weight, p=1)

    return build_with_l1


for _name in ("ms", "hm"):
    _register(f"{_name}_l1", f"{METHODS[_name].label} + ℓ1", _with_l1(METHODS[_name].build), in_comparison=False)
