"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes; ships with scikit-learn, no download).

Pixels (integers 0..16) are scaled to [-1, 1] by ``x / 8 - 1`` and kept flat, (N, 64), for the MLP
networks (:class:`DigitsData`); :func:`as_images` reshapes them to (N, 8, 8) for display,
:func:`digits_images` gives them as an :class:`~mcgan_lib.data.image_dataset.ImageDataset` (N, 1, 8, 8)
and :class:`ClassConditionalDigits` as the class-conditional task of chapter 08. The train/test split is
stratified by class and fixed by ``split_seed`` (default 0): the same call always gives the same examples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mcgan_lib.data.base import TensorDataSource
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.validation import check_choice, check_float, check_int

IMAGE_SIDE = 8
DIGITS_DIM = IMAGE_SIDE * IMAGE_SIDE
N_CLASSES = 10
SPLITS = ("train", "test", "all")


def load_digits_tensors(
    split: str = "train", test_fraction: float = 0.25, split_seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 64) in [-1, 1] (float32) and labels (N,) (int64) of ``split``.

    ``test_fraction`` of each class goes to ``"test"`` (rounded down per class), the rest to
    ``"train"``; ``"all"`` gives every image in scikit-learn's order.
    """
    from sklearn.datasets import load_digits

    check_choice("split", split, SPLITS)
    test_fraction = check_float("test_fraction", test_fraction, minimum=0.0, maximum=1.0, strict_minimum=True)
    check_int("split_seed", split_seed, minimum=0)
    bunch = load_digits()
    images = torch.as_tensor(bunch.data, dtype=torch.float32) / 8.0 - 1.0
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    if split == "all":
        return images, labels
    rng = torch.Generator().manual_seed(split_seed)
    test_index = []
    for digit in range(N_CLASSES):
        members = torch.nonzero(labels == digit).squeeze(1)
        members = members[torch.randperm(len(members), generator=rng)]
        test_index.append(members[: int(len(members) * test_fraction)])
    is_test = torch.zeros(len(labels), dtype=torch.bool)
    is_test[torch.cat(test_index)] = True
    chosen = is_test if split == "test" else ~is_test
    return images[chosen], labels[chosen]


class DigitsData(TensorDataSource):
    """The digits of one split as a :class:`TensorDataSource` (unconditional); ``labels`` (N,) kept.

    Scored by :func:`mcgan_lib.tasks.evaluators.evaluate_flat_digits` against the held-out split, with the
    missing-mode count's noise levels ``sigmas`` and its discriminator D* trained for ``d_star_steps``.
    """

    def __init__(
        self,
        split: str = "train",
        test_fraction: float = 0.25,
        split_seed: int = 0,
        sigmas=(0.5, 1.0),
        d_star_steps: int = 500,
    ):
        images, labels = load_digits_tensors(split, test_fraction, split_seed)
        super().__init__(images, name=f"digits_{split}")
        self.labels = labels
        self.split, self.test_fraction, self.split_seed = split, test_fraction, split_seed
        self.sigmas = tuple(check_float("sigmas[i]", s, minimum=0.0) for s in sigmas)
        self.d_star_steps = check_int("d_star_steps", d_star_steps, minimum=1)

    def label_distribution(self) -> torch.Tensor:
        """The fraction of each class (10,), float64: p*(y) of the MODE score."""
        return torch.bincount(self.labels, minlength=N_CLASSES).double() / len(self.labels)

    def test_split(self) -> DigitsData:
        """The held-out digits of the same split (``"test"``)."""
        return DigitsData("test", self.test_fraction, self.split_seed, self.sigmas, self.d_star_steps)

    def spec(self) -> dict:
        return {
            **super().spec(),
            "name": self.name,
            "test_fraction": self.test_fraction,
            "split_seed": self.split_seed,
            "sigmas": list(self.sigmas),
            "d_star_steps": self.d_star_steps,
        }


def digits(
    split: str = "train", test_fraction: float = 0.25, split_seed: int = 0, sigmas=(0.5, 1.0), d_star_steps: int = 500
) -> DigitsData:
    """The digits data source of ``split`` (see :func:`load_digits_tensors`), scored with the missing-mode
    count's ``sigmas`` and ``d_star_steps`` (see :class:`DigitsData`)."""
    return DigitsData(split, test_fraction, split_seed, sigmas, d_star_steps)


def as_images(x: torch.Tensor) -> torch.Tensor:
    """(N, 64) flat digits -> (N, 8, 8), values unchanged."""
    if x.ndim != 2 or x.shape[1] != DIGITS_DIM:
        raise ValueError(f"x must have shape (N, {DIGITS_DIM}), got {tuple(x.shape)}")
    return x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def digits_images(split: str = "all", labelled: bool = True) -> ImageDataset:
    """The digits of ``split`` as images (N, 1, 8, 8) in [-1, 1] (the scaling and the fixed stratified
    ``"train"``/``"test"`` split of :func:`load_digits_tensors`)."""
    images, labels = load_digits_tensors(split)
    return ImageDataset(
        images.reshape(-1, 1, 8, 8),
        labels=labels if labelled else None,
        num_classes=10 if labelled else None,
        name=f"digits-{split}",
    )


class ClassConditionalDigits(ImageDataset):
    """The digits of ``split`` as a class-conditional task: G draws a digit of the class it is given.

    Scored per class, in the layout of MSGAN's and HMGAN's CIFAR-10 tables
    (:func:`mcgan_lib.tasks.evaluators.score_class_conditional_digits`), against NDB bins of each class
    with ``bins_per_class`` k-means bins. Samples are shown for every class in turn.
    """

    coverage_metric = None
    strict_coverage_metric = None

    def __init__(self, split: str = "train", bins_per_class: int = 10):
        source = digits_images(split)
        super().__init__(source.images, labels=source.labels, num_classes=10, name=f"class-conditional-digits-{split}")
        self.bins_per_class = check_int("bins_per_class", bins_per_class, minimum=2, maximum=50)

    def display_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-hot classes 0, 1, ..., 9, 0, 1, ... (``n`` rows), so stored samples show every class."""
        return F.one_hot(torch.arange(check_int("n", n, minimum=1)) % 10, 10).float()

    def spec(self) -> dict:
        return {**super().spec(), "bins_per_class": self.bins_per_class}
