"""Unconditional image tasks with a held-out split, scored for missing modes (Che et al. 2017, Sec. 4).

:class:`HeldOutImages` trains on ``train`` images and keeps ``test`` images the generator never sees.
Its :meth:`~HeldOutImages.evaluate` is the Mode-Regularized GAN paper's protocol for images:

- ``missing_sigma_<σ>``: the **missing-mode count** of a third-party discriminator D*, trained on the
  training images against generated ones with Gaussian noise of std σ on its inputs, for each σ of
  ``sigmas``: the number of test images that D* finds "certainly real" (D*(t) > 0.95), i.e. images whose
  kind the generator does not produce (:mod:`mcgan_lib.metrics.missing_modes`; the layout of Che et al.'s
  CelebA Table 3, one row per σ). D* is an MLP on the flattened pixels, σ in pixel units of [-1, 1];
  the paper's σ = 3.5 and 4.0 refer to its own pixel scale and do not transfer.
- for the digits only (``mode_score=True``): the **MODE score** and the inception score computed with the
  library's digits classifier (:mod:`mcgan_lib.metrics.classifier_scores`), the paper's other measure.

Tasks: :func:`digit_images` (scikit-learn's 8x8 digits, the fixed train/test split of
:mod:`mcgan_lib.data.digits`) and :func:`photo_images` (16x16 RGB patches of scikit-image's photographs,
the offline stand-in for CelebA, split 80/20).
"""

from __future__ import annotations

import torch

from mcgan_lib.data.images import ImageDataset, digits_images
from mcgan_lib.validation import check_int

MISSING_MODE_SIGMAS = (0.1, 0.2, 0.3)  # where real-vs-real D* flags ~1 % and a plain DCGAN 10-60 %
D_STAR_STEPS = 500


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

    def evaluate(self, generator, n_samples: int = 2000) -> dict[str, float]:
        """The missing-mode count for each σ (and the MODE and inception scores for digits) of
        ``n_samples`` samples of ``generator``."""
        from mcgan_lib.nets.base import generate

        n_samples = check_int("n_samples", n_samples, minimum=2)
        with torch.no_grad():
            fake = generate(generator, n_samples, seed=1).detach().cpu()
        return self.score(fake)

    def score(self, images: torch.Tensor) -> dict[str, float]:
        """The task's metrics of ``images`` (N, *data_shape): generated ones, or real ones for reference rows."""
        from mcgan_lib.metrics.classifier_scores import inception_score, mode_score
        from mcgan_lib.metrics.missing_modes import missing_modes

        if images.ndim != 4 or tuple(images.shape[1:]) != self.data_shape:
            raise ValueError(
                f"images must have shape (N, {', '.join(map(str, self.data_shape))}), got {tuple(images.shape)}"
            )
        flat = images.reshape(len(images), -1).float()
        real_train, real_test = self.images.reshape(len(self), -1), self.test.images.reshape(len(self.test), -1)
        scores = {}
        if self.mode_score:
            from mcgan_lib.nets.digits_classifier import load_digits_classifier

            probabilities = load_digits_classifier().probabilities(flat)
            label_distribution = torch.bincount(self.train_labels, minlength=10).double() / len(self.train_labels)
            scores["mode_score"] = mode_score(probabilities, label_distribution)
            scores["inception_score"] = inception_score(probabilities)
        for sigma in self.sigmas:
            count = missing_modes(real_train, flat, real_test, sigma=sigma, steps=D_STAR_STEPS, seed=0)
            scores[f"missing_sigma_{sigma:g}"] = float(count.missing_count)
        return scores

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
