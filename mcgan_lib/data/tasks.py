"""The named tasks (the toys and the offline image sets): one factory for the CLI, the sweeps, the chapters
and the tests."""

from __future__ import annotations

import functools

from mcgan_lib.data.base import DataSource
from mcgan_lib.data.conditional import BranchingConditional, branching
from mcgan_lib.data.held_out import digit_images, photo_images
from mcgan_lib.data.images import ClassConditionalDigits, StackedDigits
from mcgan_lib.data.paired import edges_to_photo, inpainting, super_resolution
from mcgan_lib.data.toy import grid, imbalanced_ring, ring
from mcgan_lib.validation import check_choice

# name -> factory of the benchmark's data source, with the benchmark's defaults. The ``unit_*`` toys are the
# same 2-D mixtures in training coordinates scaled into [-1, 1], the range the papers' λ assume, and
# ``unit_conditional`` / ``unit_conditional3`` the branching toy with y scaled so (two branches, and the three
# of chapter 02, where the conditional mean is the middle branch).
TASKS = {
    "ring": ring,
    "grid": grid,
    "imbalanced_ring": imbalanced_ring,
    "unit_ring": functools.partial(ring, normalize=True),
    "unit_grid": functools.partial(grid, normalize=True),
    "unit_imbalanced_ring": functools.partial(imbalanced_ring, normalize=True),
    "conditional": BranchingConditional,
    "conditional3": functools.partial(branching, n_branches=3),
    "unit_conditional": functools.partial(branching, normalize=True),
    "unit_conditional3": functools.partial(branching, n_branches=3, normalize=True),
    "stacked_digits": StackedDigits,
    "digits": ClassConditionalDigits,
    "edges2photo": edges_to_photo,
    "super_resolution": super_resolution,
    "inpainting": inpainting,
    "digit_images": digit_images,
    "photo_images": photo_images,
}
PAIRED_TASKS = ("edges2photo", "super_resolution", "inpainting")
IMAGE_TASKS = ("stacked_digits", "digits", "digit_images", "photo_images", *PAIRED_TASKS)
TOY_TASKS = tuple(name for name in TASKS if name not in IMAGE_TASKS)


def make_task(task: str | DataSource) -> DataSource:
    """The data source of a task named in :data:`TASKS`, or ``task`` itself when it is a DataSource."""
    if isinstance(task, DataSource):
        return task
    check_choice("task", task, TASKS)
    return TASKS[task]()
