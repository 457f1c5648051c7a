"""Chapter 08, categorical images: the plain DCGAN and a regularizer of each family on the two digit tasks,
at the papers' λ (:data:`~mcgan_lib.experiments.images.CATEGORICAL_SETUP`, D a quarter of G's width, and
its control :data:`~mcgan_lib.experiments.images.BALANCED_SETUP`)."""

from __future__ import annotations

from mcgan_lib.config import choose
from mcgan_lib.experiments.images import BALANCED_SETUP, CATEGORICAL_SETUP
from mcgan_lib.validation import check_choice

CHAPTER = "08_categorical"

CATEGORICAL_METHODS = ("gan", "ms", "hm", "gaussian_mr1")
CATEGORICAL_EVAL_SAMPLES = {"stacked_digits": 26_000, "digits": 5_000}  # Stacked MNIST's 26,000; 500 a class


def categorical_budget(task: str) -> dict:
    """Seeds, evaluation and stored samples of the chapter on ``task`` in the current mode (3 seeds in full
    mode, 1 in quick mode; the step budget is :data:`CATEGORICAL_SETUP`'s)."""
    check_choice("task", task, CATEGORICAL_EVAL_SAMPLES)
    return dict(
        seeds=list(range(choose(3, 1))),
        n_eval_samples=choose(CATEGORICAL_EVAL_SAMPLES[task], 5_000),
        keep_samples=100,
    )


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments."""
    declared = {
        f"{task}_{name}": dict(task=task, method=name, setup=CATEGORICAL_SETUP, **categorical_budget(task))
        for task in CATEGORICAL_EVAL_SAMPLES
        for name in CATEGORICAL_METHODS
    }
    declared["stacked_digits_balanced_gan"] = dict(
        task="stacked_digits", method="gan", setup=BALANCED_SETUP, **categorical_budget("stacked_digits")
    )
    return declared


CLAIMS = ()
