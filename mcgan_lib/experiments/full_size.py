"""Full-size image-to-image runs: the papers' configurations, one named configuration per task.

``python -m mcgan_lib train --task facades --method ms_l1 --out runs/facades_ms`` (on one GPU, or under
``torchrun`` on several) trains with the configuration named here; :data:`TASK_CONFIGURATIONS` is the one
place that holds it, and :func:`full_size_run` resolves a (task, method) pair into what a run needs (the
networks' setup, the method's settings, the step count, the data). The CLI only reads it.

The tasks, the papers' values with their sources, the choices where the papers are ambiguous, runs on
several GPUs and how a run's result is stored beside the chapters' are in the book's page
``docs/full_size.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import torch

from mcgan_lib.chapters.ch09_paired_translation import PAIRED_EVAL_SAMPLES, TRANSLATION_SETUP
from mcgan_lib.chapters.ch10_super_resolution_inpainting import RESTORATION_SETUPS
from mcgan_lib.config import data_root as default_data_root
from mcgan_lib.data.celeba import CELEBA_PARTITION_MD5
from mcgan_lib.data.checksums import manifest_path
from mcgan_lib.data.paired import PairedTask
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.methods import get_method, method_settings
from mcgan_lib.recipes import MR_GAN_OPTIMISER, RECIPES, Recipe
from mcgan_lib.tasks import TASKS, make_task
from mcgan_lib.validation import check_choice, check_int

SIZES = ("full", "tiny")
TINY_STEPS = 20
TINY_EVAL_SAMPLES = 40  # 4 test inputs x 10 outputs
SETUP_BUDGET_FIELDS = ("steps", "quick_steps", "train_overrides")  # a run's own steps replace the setup's


# ---------------------------------------------------------------------------------------------- data
def _pix2pix_note(name: str, root: Path) -> str:
    return (
        f"The pix2pix archives publish no checksum: the first complete load records every file's MD5 in "
        f"{manifest_path(root / name)} (trust on first use) and later loads verify them"
    )


def _celeba_note(name: str, root: Path) -> str:
    return (
        f"list_eval_partition.txt is checked against its published MD5 {CELEBA_PARTITION_MD5}; the JPEGs are "
        f"recorded on first use in {manifest_path(root / 'celeba')} and verified at every later load"
    )


# ---------------------------------------------------------------------------------------------- recipes
# The papers' settings per method, with their sources: mcgan_lib.recipes.
def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


PIX2PIX_RECIPES = RECIPES["pix2pix"]
SRGAN_RECIPES = RECIPES["srgan"]
GLCIC_RECIPES = RECIPES["glcic"]


# ---------------------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class TaskConfiguration:
    """One task's full configuration: its data, its networks and optimiser, its methods' paper settings,
    how long it trains, and its tiny (smoke-test) variant.

    ``name``: the task in :data:`mcgan_lib.tasks.TASKS` (its data); ``setup``: the family's
    :class:`~mcgan_lib.experiments.paired.PairedSetup` at full size (networks,
    optimiser, batch); ``recipes``: the papers' settings per method (a method without one trains with the
    registry's defaults); ``epochs`` (else ``steps``): the training length; ``image_size``/``limit``: what the
    loader reads; ``eval_samples``: outputs scored at the end (10 per test input); ``tiny``: the changes
    for ``size="tiny"`` (setup fields, image size, limits).
    """

    name: str
    family: str
    description: str
    setup: PairedSetup
    recipes: Mapping[str, Recipe]
    image_size: int
    epochs: int | None = None
    steps: int | None = None
    limit: int | None = None
    eval_samples: int = 1_000
    checkpoint_every: int = 5_000
    eval_every: int = 10_000
    checksum_note: Callable[[str, Path], str] | None = None
    tiny_setup: Mapping = field(default_factory=dict)
    tiny_image_size: int | None = None
    tiny_limit: int | None = None
    reference: str = ""

    @property
    def needs_data_root(self) -> bool:
        """Whether the task reads its files under a data root (else it is built offline)."""
        return not TASKS[self.name].offline

    def load_data(self, data_root: str | Path | None = None, size: str = "full", **options) -> PairedTask:
        """The task's data (train and test pairs) at ``size``; ``options`` go to the loader (tests pass
        ``checksums`` or ``expected_size`` for synthetic files). Raises the loader's
        :class:`~mcgan_lib.data.checksums.DatasetNotFoundError` when the files are missing."""
        check_choice("size", size, SIZES)
        if not self.needs_data_root:
            return make_task(self.name)  # built from the photographs scikit-image ships: no data root
        root = resolve_data_root(data_root)
        image_size = self.tiny_image_size if size == "tiny" and self.tiny_image_size else self.image_size
        limit = self.tiny_limit if size == "tiny" and self.tiny_limit else self.limit
        if limit is not None:
            options.setdefault("limit", limit)
        if size == "tiny" and self.family in ("srgan", "glcic"):
            options.setdefault("test_limit", 16)
        return make_task(self.name, root=root, image_size=image_size, **options)

    def data_advice(self, data_root: str | Path | None = None) -> str:
        """Where the data goes and how it is checked, for the message of a missing data set."""
        root = resolve_data_root(data_root)
        note = f" {self.checksum_note(self.name, root)}." if self.checksum_note else ""
        return f"{note} The data root is {root} (--data-root, or $MCGAN_DATA_DIR)."


def resolve_data_root(data_root: str | Path | None = None) -> Path:
    """``data_root``, else ``$MCGAN_DATA_DIR``, else ``~/data`` (:func:`mcgan_lib.config.data_root`)."""
    return Path(data_root) if data_root is not None else default_data_root()


PIX2PIX_SETUP = PairedSetup(
    architecture="unet",
    latent_dim=8,
    noise_injection="all",
    g_channels=64,
    depth=8,
    d_channels=64,
    d_layers=3,
    lr=2e-4,
    betas=(0.5, 0.999),
    batch_size=1,
    optimizer="adam",
    gan_loss="non_saturating",
)
PIX2PIX_TINY = _frozen({"g_channels": 8, "depth": 5, "d_channels": 8, "d_layers": 3})
SRGAN_SETUP = PairedSetup(
    architecture="srresnet",
    latent_dim=16,
    g_channels=64,
    depth=16,
    d_channels=64,
    d_layers=3,
    batch_size=8,
    **MR_GAN_OPTIMISER,
)
SRGAN_TINY = _frozen({"g_channels": 8, "depth": 2, "d_channels": 8, "d_layers": 2})
GLCIC_SETUP = PairedSetup(
    architecture="glcic",
    latent_dim=32,
    g_channels=64,
    depth=4,
    d_channels=64,
    d_layers=6,
    batch_size=8,
    **MR_GAN_OPTIMISER,
)
GLCIC_TINY = _frozen({"g_channels": 8, "depth": 2, "d_channels": 8, "d_layers": 2})
CHAPTER_REFERENCE = "the configuration of chapter {chapter}'s sweeps (mcgan_lib.chapters)"


def _offline(name: str, family: str, setup: PairedSetup, chapter: str) -> TaskConfiguration:
    return TaskConfiguration(
        name=name,
        family=family,
        description=f"the offline 16x16 {name} task of chapter {chapter}, at CPU size",
        setup=setup,
        recipes=RECIPES[name],
        image_size=16,
        steps=setup.steps,
        eval_samples=PAIRED_EVAL_SAMPLES,
        checkpoint_every=500,
        eval_every=500,
        reference=CHAPTER_REFERENCE.format(chapter=chapter),
    )


def _pix2pix(name: str, description: str, reference: str) -> TaskConfiguration:
    """A pix2pix data set at the papers' size: one family, one setup and recipe for Facades and Maps."""
    return TaskConfiguration(
        name=name,
        family="pix2pix",
        description=description,
        setup=PIX2PIX_SETUP,
        recipes=PIX2PIX_RECIPES,
        image_size=256,
        epochs=200,
        checksum_note=_pix2pix_note,
        tiny_setup=PIX2PIX_TINY,
        tiny_image_size=32,
        reference=reference,
    )


TASK_CONFIGURATIONS: Mapping[str, TaskConfiguration] = _frozen(
    {
        "facades": _pix2pix(
            "facades",
            "pix2pix Facades, label map -> photo (BtoA), 256x256; 400 training pairs, 106 test",
            reference="pix2pix App. 6.2: 400 images, 200 epochs, batch 1; MSGAN and HMGAN Table 3 (Facades)",
        ),
        "maps": _pix2pix(
            "maps",
            "pix2pix Maps, aerial photo -> map (AtoB), 256x256; 1096 training pairs, 1098 val as test",
            reference="pix2pix App. 6.2: 1096 images, 200 epochs, batch 1; MSGAN, HMGAN and MR-GAN App. D (Maps)",
        ),
        "celeba_sr": TaskConfiguration(
            name="celeba_sr",
            family="srgan",
            description="MR-GAN's SRGAN-CelebA: 16x16 -> 64x64 (4x), CelebA's aligned crops, square-cropped",
            setup=SRGAN_SETUP,
            recipes=SRGAN_RECIPES,
            image_size=64,
            steps=100_000,
            eval_samples=3_000,
            checksum_note=_celeba_note,
            tiny_setup=SRGAN_TINY,
            tiny_image_size=16,
            tiny_limit=64,
            reference="MR-GAN thesis App. B.3; SRGAN (Ledig et al. 2017): 16 residual blocks, 10^5 steps at lr 1e-4",
        ),
        "celeba_inpainting": TaskConfiguration(
            name="celeba_inpainting",
            family="glcic",
            description="MR-GAN's GLCIC-CelebA: 128x128 with the centred 64x64 hole (first 20,000 training images)",
            setup=GLCIC_SETUP,
            recipes=GLCIC_RECIPES,
            image_size=128,
            steps=100_000,
            limit=20_000,
            eval_samples=3_000,
            checksum_note=_celeba_note,
            tiny_setup=GLCIC_TINY,
            tiny_image_size=16,
            tiny_limit=64,
            reference="MR-GAN thesis App. B.4; GLCIC (Iizuka et al. 2017)",
        ),
        "edges2photo": _offline("edges2photo", "pix2pix", TRANSLATION_SETUP, "09"),
        "super_resolution": _offline("super_resolution", "srgan", RESTORATION_SETUPS["super_resolution"], "10"),
        "inpainting": _offline("inpainting", "glcic", RESTORATION_SETUPS["inpainting"], "10"),
    }
)
FULL_SIZE_TASKS = tuple(name for name, task in TASK_CONFIGURATIONS.items() if task.needs_data_root)
OFFLINE_TASKS = tuple(name for name, task in TASK_CONFIGURATIONS.items() if not task.needs_data_root)


# ---------------------------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class FullSizeRun:
    """A (task, method, size) resolved: everything a run needs but the data and the number of processes.

    ``setup``: the networks, optimiser and per-process batch; ``settings``: the method's settings (the
    registry's defaults updated with the paper's and the caller's); ``epochs``/``steps``: the length
    (:meth:`total_steps`); ``recipe``: the paper's setting used, None when the papers give none for this
    method on this task (``settings`` are then the registry's defaults).
    """

    task: str
    method: str
    size: str
    setup: PairedSetup
    settings: Mapping
    epochs: int | None
    steps: int | None
    eval_samples: int
    checkpoint_every: int
    eval_every: int
    recipe: Recipe | None
    configuration: TaskConfiguration

    def total_steps(self, train_size: int, world_size: int = 1) -> int:
        """``steps`` when set, else ``epochs`` passes over ``train_size`` pairs at the global batch
        ``world_size x setup.batch_size`` (rounded up)."""
        if self.steps is not None:
            return self.steps
        check_int("train_size", train_size, minimum=1)
        global_batch = self.setup.batch_size * check_int("world_size", world_size, minimum=1)
        return math.ceil(self.epochs * train_size / global_batch)

    def describe(self, seed: int, steps: int, world_size: int) -> dict:
        """The resolved configuration as plain values (``metrics.json``'s ``"configuration"``)."""
        return {
            "task": self.task,
            "method": self.method,
            "size": self.size,
            "seed": seed,
            "steps": steps,
            "epochs": self.epochs,
            "world_size": world_size,
            "batch_size": self.setup.batch_size,
            "global_batch_size": self.setup.batch_size * world_size,
            "setup": {k: v for k, v in dataclasses.asdict(self.setup).items() if k not in SETUP_BUDGET_FIELDS},
            "settings": dict(self.settings),
            "reference": self.recipe.source if self.recipe is not None else "",
            "task_reference": self.configuration.reference,
        }


def full_size_run(
    task: str,
    method: str,
    size: str = "full",
    settings: Mapping | None = None,
    steps: int | None = None,
    **setup_changes,
) -> FullSizeRun:
    """The configuration of ``method`` on ``task`` (a name of :data:`TASK_CONFIGURATIONS`) at ``size``.

    ``settings`` update the method's (e.g. ``{"weight": 2.0}``); ``steps`` replaces the epochs;
    ``setup_changes`` replace fields of the setup (``lr``, ``batch_size``, ``latent_dim``, ``optimizer``,
    ...), after the paper's and, for ``size="tiny"``, the tiny widths.
    """
    configuration = TASK_CONFIGURATIONS[check_choice("task", task, TASK_CONFIGURATIONS)]
    check_choice("size", size, SIZES)
    get_method(method)
    recipe = configuration.recipes.get(method)
    setup = configuration.setup
    epochs, total = configuration.epochs, configuration.steps
    if recipe is not None:
        setup = setup.replace(**recipe.setup)
        epochs = recipe.epochs or epochs
    if size == "tiny":
        setup = setup.replace(**configuration.tiny_setup)
        epochs, total = None, TINY_STEPS
    if steps is not None:
        epochs, total = None, check_int("steps", steps, minimum=0)
    setup = setup.replace(**setup_changes)
    resolved = method_settings(method, {**(recipe.settings if recipe else {}), **dict(settings or {})})
    if size == "tiny" and "predictor_steps" in resolved and "predictor_steps" not in (settings or {}):
        resolved["predictor_steps"] = TINY_STEPS
    tiny = size == "tiny"
    return FullSizeRun(
        task=task,
        method=method,
        size=size,
        setup=setup,
        settings=_frozen(resolved),
        epochs=epochs,
        steps=total,
        eval_samples=TINY_EVAL_SAMPLES if tiny else configuration.eval_samples,
        checkpoint_every=10 if tiny else configuration.checkpoint_every,
        eval_every=10 if tiny else configuration.eval_every,
        recipe=recipe,
        configuration=configuration,
    )


@dataclass(frozen=True)
class DeviceSetup(PairedSetup):
    """A :class:`~mcgan_lib.experiments.paired.PairedSetup` whose proxy-MR predictor is built on
    ``predictor_device``, so :func:`mcgan_lib.methods.task_predictors` fits it there (on the GPU of a
    full-size run) rather than on the CPU. The networks of G and D are unchanged."""

    predictor_device: str = "cpu"

    def predictor(self, data, seed: int = 0):
        return super().predictor(data, seed).to(self.predictor_device)


def on_device(setup: PairedSetup, device: str | torch.device) -> DeviceSetup:
    """``setup`` with its predictor built on ``device``."""
    fields = {f.name: getattr(setup, f.name) for f in dataclasses.fields(PairedSetup)}
    return DeviceSetup(**fields, predictor_device=str(device))
