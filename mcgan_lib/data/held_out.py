"""Unconditional image tasks with a held-out split, scored for missing modes (Che et al. 2017, Sec. 4).

:class:`HeldOutImages` trains on ``train`` images and keeps ``test`` images the generator never sees.
It is scored by the Mode-Regularized GAN paper's protocol for images
(:func:`mcgan_lib.tasks.evaluators.score_held_out`): the missing-mode count of a third-party
discriminator for each σ of ``sigmas`` (the layout of Che et al.'s CelebA Table 3, one row per σ), and,
for the digits only (``mode_score=True``), the MODE score and the inception score.

Tasks: :func:`digit_images` (scikit-learn's 8x8 digits, the fixed train/test split of
:mod:`mcgan_lib.data.digits`) and :func:`photo_images` (16x16 RGB patches of scikit-image's photographs,
the offline stand-in for CelebA, split 80/20).
"""

from __future__ import annotations

from mcgan_lib.data.digits import digits_images
from mcgan_lib.data.image_dataset import ImageDataset

MISSING_MODE_SIGMAS = (0.1, 0.2, 0.3)  # where real-vs-real D* flags ~1 % and a plain DCGAN 10-60 %


class HeldOutImages(ImageDataset):
    """Unconditional training images and a held-out ``test`` set, scored as described in the module docstring."""

    coverage_metric = None
    strict_coverage_metric = None

    def __init__(
        self,
        train: ImageDataset,
        test: ImageDataset,
        sigmas=MISSING_MODE_SIGMAS,
        mode_score: bool = False,
        name: str | None = None,
    ):
        if train.data_shape != test.data_shape:
            raise ValueError(f"train and test images must have one shape, got {train.data_shape} and {test.data_shape}")
        super().__init__(train.images, name=name or train.name)
        self.test = ImageDataset(test.images, name=f"{self.name}-test")
        self.train_labels = train.labels
        self.sigmas = tuple(float(s) for s in sigmas)
        if not self.sigmas or min(self.sigmas) < 0:
            raise ValueError(f"sigmas must hold at least one σ >= 0, got {sigmas!r}")
        self.mode_score = bool(mode_score)
        if self.mode_score and (train.labels is None or train.data_shape != (1, 8, 8)):
            raise ValueError("mode_score=True needs labelled 8x8 digits (the digits classifier reads only those)")

    def spec(self) -> dict:
        return {
            **super().spec(),
            "test_size": len(self.test),
            "sigmas": list(self.sigmas),
            "mode_score": self.mode_score,
        }


def digit_images() -> HeldOutImages:
    """scikit-learn's 8x8 digits, unconditional (1,352 training and 445 held-out test digits), with the MODE score."""
    return HeldOutImages(digits_images("train"), digits_images("test"), mode_score=True, name="digit-images")


def photo_images() -> HeldOutImages:
    """16x16 RGB patches of scikit-image's photographs (1,920 training, 480 held out): the offline CelebA stand-in."""
    from mcgan_lib.data.paired import offline_photos

    parts = offline_photos().split({"train": 0.8, "test": 0.2}, seed=0)
    return HeldOutImages(parts["train"], parts["test"], name="photo-images")
