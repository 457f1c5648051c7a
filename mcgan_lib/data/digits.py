"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes; ships with scikit-learn, no download).

Pixels (integers 0..16) are scaled to [-1, 1] by ``x / 8 - 1`` and kept flat, (N, 64), for the MLP
networks; :func:`as_images` reshapes them to (N, 8, 8) for display. The train/test split is stratified
by class and fixed by ``split_seed`` (default 0): the same call always gives the same examples.
"""

from __future__ import annotations

import torch

from mcgan_lib.data.base import TensorDataSource
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
    """The digits of one split as a :class:`TensorDataSource` (unconditional); ``labels`` (N,) kept."""

    def __init__(self, split: str = "train", test_fraction: float = 0.25, split_seed: int = 0):
        images, labels = load_digits_tensors(split, test_fraction, split_seed)
        super().__init__(images, name=f"digits_{split}")
        self.labels = labels
        self.split, self.test_fraction, self.split_seed = split, test_fraction, split_seed

    def label_distribution(self) -> torch.Tensor:
        """The fraction of each class (10,), float64: p*(y) of the MODE score."""
        return torch.bincount(self.labels, minlength=N_CLASSES).double() / len(self.labels)

    def spec(self) -> dict:
        return {**super().spec(), "name": self.name, "test_fraction": self.test_fraction, "split_seed": self.split_seed}


def digits(split: str = "train", test_fraction: float = 0.25, split_seed: int = 0) -> DigitsData:
    """The digits data source of ``split`` (see :func:`load_digits_tensors`)."""
    return DigitsData(split, test_fraction, split_seed)


def as_images(x: torch.Tensor) -> torch.Tensor:
    """(N, 64) flat digits -> (N, 8, 8), values unchanged."""
    if x.ndim != 2 or x.shape[1] != DIGITS_DIM:
        raise ValueError(f"x must have shape (N, {DIGITS_DIM}), got {tuple(x.shape)}")
    return x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
