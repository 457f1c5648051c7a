"""The chapters' declarations: one module per notebook, named after it (``ch07_comparison`` for
``notebooks/07_comparison.ipynb``).

Each chapter module declares

- ``CHAPTER``: the notebook's name (``"07_comparison"``);
- ``sweeps()``: its multi-seed runs in the current mode (full, or quick with ``MCGAN_QUICK=1``), name ->
  the keyword arguments of :func:`mcgan_lib.sweeps.sweep`; the notebook runs one with
  ``sweep(**chapter_sweep("07_comparison", name))`` and ``python -m mcgan_lib prebuild`` trains them all
  (:mod:`mcgan_lib.store`);
- ``CLAIMS``: its sentences about those runs, as :class:`mcgan_lib.claims.Claim` (empty when it makes none);

and any helper that only that chapter needs. A chapter that reads another chapter's runs imports that
chapter's module. :data:`CHAPTERS` and :data:`CHAPTER_CLAIMS` are read from the modules listed in
:data:`CHAPTER_MODULES`; ``tests/test_chapter_modules.py`` fails when a chapter module is missing from it.
"""

from __future__ import annotations

from mcgan_lib.chapters import (
    ch01_eight_gaussians,
    ch02_conditional_collapse,
    ch03_moment_reconstruction,
    ch04_mode_seeking,
    ch05_hierarchical_modes,
    ch06_mode_regularized,
    ch07_comparison,
    ch08_categorical,
    ch09_paired_translation,
    ch10_super_resolution_inpainting,
    ch11_missing_modes_images,
)
from mcgan_lib.validation import check_choice

CHAPTER_MODULES = (
    ch01_eight_gaussians,
    ch02_conditional_collapse,
    ch03_moment_reconstruction,
    ch04_mode_seeking,
    ch05_hierarchical_modes,
    ch06_mode_regularized,
    ch07_comparison,
    ch08_categorical,
    ch09_paired_translation,
    ch10_super_resolution_inpainting,
    ch11_missing_modes_images,
)
CHAPTERS = {module.CHAPTER: module.sweeps for module in CHAPTER_MODULES}  # chapter -> its sweeps()
CHAPTER_CLAIMS = {module.CHAPTER: module.CLAIMS for module in CHAPTER_MODULES if module.CLAIMS}


def chapter_sweeps(chapter: str) -> dict[str, dict]:
    """All sweeps of ``chapter`` (a key of :data:`CHAPTERS`): name -> ``sweep`` keyword arguments."""
    check_choice("chapter", chapter, CHAPTERS)
    return CHAPTERS[chapter]()


def chapter_sweep(chapter: str, name: str) -> dict:
    """The ``sweep`` keyword arguments of one named sweep of ``chapter``."""
    sweeps = chapter_sweeps(chapter)
    check_choice("name", name, sweeps)
    return dict(sweeps[name])


__all__ = ["CHAPTERS", "CHAPTER_CLAIMS", "CHAPTER_MODULES", "chapter_sweep", "chapter_sweeps"]
