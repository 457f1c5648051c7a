"""The named tasks: one registry, :data:`TASKS`, for the CLI, the sweeps, the chapters, ``doctor`` and the tests.

A :class:`Task` names a data set, says where it comes from, how to build its data source and how a
generator is scored on it (its :class:`~mcgan_lib.tasks.evaluators.Evaluator`, whose ``kind`` is the
task's). The offline tasks build from what scikit-learn and scikit-image ship; the full-size tasks
(pix2pix's Facades and Maps, MR-GAN's CelebA tasks) read their files under a data root
(:func:`mcgan_lib.config.data_root`), the folder :attr:`Task.on_disk` names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mcgan_lib.config import data_root
from mcgan_lib.data.base import DataSource
from mcgan_lib.data.celeba import load_celeba
from mcgan_lib.data.conditional import BranchingConditional, branching
from mcgan_lib.data.digits import ClassConditionalDigits
from mcgan_lib.data.held_out import digit_images, photo_images
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.data.paired import (
    PairedTask,
    edges_to_photo,
    inpainting,
    inpainting_pairs,
    super_resolution,
    super_resolution_pairs,
)
from mcgan_lib.data.pix2pix import load_pix2pix
from mcgan_lib.data.stacked_digits import StackedDigits
from mcgan_lib.data.toy import grid, imbalanced_ring, ring
from mcgan_lib.tasks.evaluators import (
    BRANCHING,
    CLASS_CONDITIONAL_DIGITS,
    GAUSSIAN_MIXTURE,
    HELD_OUT,
    KINDS,
    PAIRED,
    STACKED_DIGITS,
    Evaluator,
)
from mcgan_lib.validation import check_choice

OUTPUTS_PER_INPUT = 10  # MSGAN and BicycleGAN score 10 outputs per test input


@dataclass(frozen=True)
class OnDisk:
    """A data set read from files: its ``name``, the ``folder`` under the data root that holds it, and
    ``how`` to get it."""

    name: str
    folder: str
    how: str


@dataclass(frozen=True)
class Task:
    """A named task: ``build(**options)`` returns its data source, ``evaluator`` scores a generator on it,
    ``source`` cites the data set and the papers that use it; ``on_disk`` is None for an offline task."""

    name: str
    build: Callable[..., DataSource]
    evaluator: Evaluator
    source: str
    on_disk: OnDisk | None = None

    @property
    def kind(self) -> str:
        return self.evaluator.kind

    @property
    def offline(self) -> bool:
        return self.on_disk is None


# ---------------------------------------------------------------------------------------------- full size
CIFAR10 = OnDisk("CIFAR-10", "cifar-10-batches-py", "load_cifar10(root, download=True)")
FACADES = OnDisk("Facades", "facades/train", "the pix2pix release's facades.tar.gz, extracted into the root")
MAPS = OnDisk("Maps", "maps/train", "the pix2pix release's maps.tar.gz, extracted into the root")
CELEBA = OnDisk(
    "CelebA", "celeba/img_align_celeba", "CelebA's aligned crops and list_eval_partition.txt, into root/celeba"
)


def _root(root: str | Path | None) -> Path:
    return data_root() if root is None else Path(root)


def pix2pix_task(name: str, test_split: str) -> Callable[..., PairedTask]:
    """The builder of a pix2pix task: the release's ``train`` split and ``test_split`` as its test split."""

    def build(root: str | Path | None = None, image_size: int = 256, limit: int | None = None, **options) -> PairedTask:
        train = load_pix2pix(name, _root(root), "train", image_size=image_size, **options)
        test = load_pix2pix(name, _root(root), test_split, image_size=image_size, **options)
        return PairedTask.from_splits(train, test, OUTPUTS_PER_INPUT, name=name)

    return build


def celeba_task(name: str, pairs: Callable[[ImageDataset], ImageDataset], image_size: int) -> Callable[..., PairedTask]:
    """The builder of a CelebA task: ``pairs`` of CelebA's training and (first ``test_limit``) test images."""

    def build(
        root: str | Path | None = None,
        image_size: int = image_size,
        limit: int | None = None,
        test_limit: int = 300,
        **options,
    ) -> PairedTask:
        train = load_celeba(_root(root), "train", image_size=image_size, limit=limit, **options)
        test = load_celeba(_root(root), "test", image_size=image_size, limit=test_limit, **options)
        return PairedTask.from_splits(pairs(train), pairs(test), OUTPUTS_PER_INPUT, name=name)

    return build


# ---------------------------------------------------------------------------------------------- the registry
RING = "8 Gaussians on a circle of radius 2, std 0.02 (the ring of Unrolled GAN, VEEGAN and PacGAN)"
GRID = "25 Gaussians on the grid {-4, -2, 0, 2, 4}², std 0.05 (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018)"
IMBALANCED = "the ring with one mode of mass 0.05 (this project's choice)"
UNIT = ", in training coordinates scaled into [-1, 1]"
BRANCHES = "p(y | x) of {n} sine branches (the failure of MR-GAN, Lee et al. 2019, Sec. 4.4, and MSGAN)"
PHOTOS = "16x16 patches of scikit-image's photographs"


def _task(name, build, evaluator, source, on_disk=None) -> tuple[str, Task]:
    return name, Task(name, build, evaluator, source, on_disk)


TASKS: dict[str, Task] = dict(
    [
        _task("ring", ring, GAUSSIAN_MIXTURE, RING),
        _task("grid", grid, GAUSSIAN_MIXTURE, GRID),
        _task("imbalanced_ring", imbalanced_ring, GAUSSIAN_MIXTURE, IMBALANCED),
        _task("unit_ring", functools.partial(ring, normalize=True), GAUSSIAN_MIXTURE, RING + UNIT),
        _task("unit_grid", functools.partial(grid, normalize=True), GAUSSIAN_MIXTURE, GRID + UNIT),
        _task(
            "unit_imbalanced_ring",
            functools.partial(imbalanced_ring, normalize=True),
            GAUSSIAN_MIXTURE,
            IMBALANCED + UNIT,
        ),
        _task("conditional", BranchingConditional, BRANCHING, BRANCHES.format(n=2)),
        _task("conditional3", functools.partial(branching, n_branches=3), BRANCHING, BRANCHES.format(n=3)),
        _task("unit_conditional", functools.partial(branching, normalize=True), BRANCHING, BRANCHES.format(n=2) + UNIT),
        _task(
            "unit_conditional3",
            functools.partial(branching, n_branches=3, normalize=True),
            BRANCHING,
            BRANCHES.format(n=3) + UNIT,
        ),
        _task(
            "stacked_digits",
            StackedDigits,
            STACKED_DIGITS,
            "Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017) on scikit-learn's 8x8 digits, side by side",
        ),
        _task(
            "digits",
            ClassConditionalDigits,
            CLASS_CONDITIONAL_DIGITS,
            "scikit-learn's 8x8 digits, class-conditional (the per-class NDB/JSD of MSGAN's and HMGAN's CIFAR-10)",
        ),
        _task("edges2photo", edges_to_photo, PAIRED, f"pix2pix's edges → photo (Isola et al. 2017) on {PHOTOS}"),
        _task(
            "super_resolution", super_resolution, PAIRED, f"MR-GAN's 4x super-resolution (Lee et al. 2019) on {PHOTOS}"
        ),
        _task("inpainting", inpainting, PAIRED, f"MR-GAN's centre inpainting (Lee et al. 2019) on {PHOTOS}"),
        _task(
            "digit_images",
            digit_images,
            HELD_OUT,
            "scikit-learn's 8x8 digits, scored for missing modes (Che et al. 2017, Sec. 4)",
        ),
        _task(
            "photo_images",
            photo_images,
            HELD_OUT,
            f"{PHOTOS} (the offline stand-in for CelebA), scored for missing modes (Che et al. 2017, Sec. 4)",
        ),
        _task(
            "facades",
            pix2pix_task("facades", "test"),
            PAIRED,
            "pix2pix Facades (Isola et al. 2017): label map -> photo, 400 training pairs, 106 test",
            FACADES,
        ),
        _task(
            "maps",
            pix2pix_task("maps", "val"),
            PAIRED,
            "pix2pix Maps (Isola et al. 2017): aerial photo -> map, 1096 training pairs, 1098 val as test",
            MAPS,
        ),
        _task(
            "celeba_sr",
            celeba_task("celeba_sr", lambda data: super_resolution_pairs(data, 4), image_size=64),
            PAIRED,
            "CelebA (Liu et al. 2015), 16x16 -> 64x64: MR-GAN's SRGAN task (Lee et al. 2019, App. B.3)",
            CELEBA,
        ),
        _task(
            "celeba_inpainting",
            celeba_task("celeba_inpainting", inpainting_pairs, image_size=128),
            PAIRED,
            "CelebA (Liu et al. 2015), 128x128 with a centred 64x64 hole: MR-GAN's GLCIC task (App. B.4)",
            CELEBA,
        ),
    ]
)


def task_names(*kinds: str, offline: bool | None = True) -> tuple[str, ...]:
    """The names of the tasks of ``kinds`` (default: every kind), in :data:`TASKS`' order; ``offline``
    True keeps the offline tasks, False the full-size ones, None both."""
    for kind in kinds:
        check_choice("kind", kind, KINDS)
    return tuple(
        name
        for name, task in TASKS.items()
        if (not kinds or task.kind in kinds) and (offline is None or task.offline == offline)
    )


def make_task(task: str | DataSource, **options) -> DataSource:
    """The data source of a task named in :data:`TASKS` (built with ``options``), or ``task`` itself when it
    is a DataSource."""
    if isinstance(task, DataSource):
        return task
    check_choice("task", task, TASKS)
    return TASKS[task].build(**options)
