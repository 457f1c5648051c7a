"""Paired image-to-image tasks (pix2pix's, and MR-GAN's super-resolution and inpainting), and how their
generators are scored.

A :class:`PairedTask` holds training pairs (x, y) and a held-out test split. A conditional GAN G(x, z)
should give, for one input x, many plausible outputs: it is judged on how close its outputs are to the
one known target and on how much they differ from each other, on the test inputs, with
``outputs_per_input`` latents each (MR-GAN's protocol draws 20 outputs for 300 inputs; MSGAN and
BicycleGAN 10 for 100: we use 10 per input):

- ``l1_error``: mean |G(x, z) - y| over inputs, outputs and pixels (pix2pix's ℓ1; fidelity);
- ``mean_l2_error``: mean squared error of the *sample mean* over the K outputs (the ℓ2 loss is
  minimised by the conditional mean, so a diverse generator can have a large ``l1_error`` and still a
  small ``mean_l2_error``);
- ``pixel_std``: the per-pixel standard deviation over one input's outputs, averaged over pixels and
  inputs: 0 when G ignores z (the failure pix2pix reports: "the generator simply learned to ignore the
  noise");
- ``lpips``: LPIPS diversity over pairs of one input's outputs (:mod:`mcgan_lib.metrics.lpips_diversity`),
  and ``lpips_calibrated``: 0 when the ImageNet backbone could not be loaded (offline) and the distances
  come from a random backbone, comparable only with each other;
- ``fid``: the Fréchet distance between the test targets and all the outputs, in the features
  of a seeded random conv net (:class:`~mcgan_lib.metrics.fid.RandomConvFeatures`): an offline stand-in
  that is NOT the papers' FID (Inception weights need a download), comparable only within the chapter.

For inpainting the known pixels are pasted back by the generator, so ``pixel_std`` and ``lpips`` average
over the whole image, of which the hole is a quarter: the chapter says so.

The offline tasks are built from scikit-image's colour photographs (:func:`~mcgan_lib.data.images.photo_patches`):
:func:`edges_to_photo` (pix2pix's edges → photo), :func:`super_resolution` (4x, MR-GAN's SRGAN task) and
:func:`inpainting` (MR-GAN's centre hole). The full-size data sets (Facades, Maps, CelebA) are loaded by
:mod:`mcgan_lib.data.images` where they are on disk.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from scipy.linalg import LinAlgWarning

from mcgan_lib.data.images import (
    ImageDataset,
    edges_to_photo_pairs,
    inpainting_pairs,
    photo_patches,
    super_resolution_pairs,
)
from mcgan_lib.validation import check_float, check_int

DISPLAY_NOISES = 16  # stored samples show each displayed input under this many latents
OFFLINE_PATCH_SIZE = 16
OFFLINE_PATCHES = 2400
OFFLINE_PATCH_SCALE = 0.25  # photographs shrunk to a quarter, so a 16-pixel patch holds an object's part


def _check_paired(argument: str, pairs) -> None:
    if not isinstance(pairs, ImageDataset) or pairs.kind != "paired":
        raise ValueError(f"{argument} must be a paired ImageDataset (with inputs), got {type(pairs).__name__}")


class PairedTask(ImageDataset):
    """Training pairs of ``pairs`` and a held-out test split (``test_fraction``, seeded by ``split_seed``),
    or, with :meth:`from_splits`, a data set's own train and test splits.

    Behaves as the training :class:`~mcgan_lib.data.images.ImageDataset` (the loop draws from it) and
    scores a generator on ``self.test`` (:meth:`evaluate`; see the module docstring).
    """

    coverage_metric = None
    strict_coverage_metric = None

    def __init__(
        self,
        pairs: ImageDataset,
        test_fraction: float = 0.2,
        outputs_per_input: int = 10,
        split_seed: int = 0,
        name: str | None = None,
    ):
        _check_paired("pairs", pairs)
        check_float("test_fraction", test_fraction, minimum=0.0, maximum=1.0, strict_minimum=True)
        check_int("split_seed", split_seed, minimum=0)
        n_train = int((1 - test_fraction) * len(pairs))  # the sizes ImageDataset.split gives
        if not 1 <= n_train < len(pairs):
            raise ValueError(f"test_fraction={test_fraction} leaves an empty split of {len(pairs)} pairs")
        parts = pairs.split({"train": 1 - test_fraction, "test": test_fraction}, seed=split_seed)
        self._hold(parts["train"], parts["test"], outputs_per_input, name or pairs.name, test_fraction, split_seed)

    @classmethod
    def from_splits(
        cls, train: ImageDataset, test: ImageDataset, outputs_per_input: int = 10, name: str | None = None
    ) -> PairedTask:
        """A task on a data set's own splits (pix2pix's ``test``/``val`` folders, CelebA's test partition)
        instead of a fraction split off the training pairs; its spec names the test split."""
        for argument, pairs in (("train", train), ("test", test)):
            _check_paired(argument, pairs)
        if train.condition_shape != test.condition_shape or train.data_shape != test.data_shape:
            raise ValueError(
                f"train and test must have the same shapes, got inputs {train.condition_shape} / "
                f"{test.condition_shape} and targets {train.data_shape} / {test.data_shape}"
            )
        task = cls.__new__(cls)
        fraction = len(test) / (len(train) + len(test))
        task._hold(train, test, outputs_per_input, name or train.name, fraction, 0, test_split=test.name)
        return task

    def _hold(self, train, test, outputs_per_input, name, test_fraction, split_seed, test_split=None) -> None:
        ImageDataset.__init__(self, train.images, inputs=train.inputs, name=name)
        self.test = test
        self.outputs_per_input = check_int("outputs_per_input", outputs_per_input, minimum=2)
        self.test_fraction, self.split_seed, self.test_split = test_fraction, split_seed, test_split

    def display_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """The first test inputs, each repeated :data:`DISPLAY_NOISES` times (``n`` rows): stored samples
        show one input under many latents."""
        n = check_int("n", n, minimum=1)
        inputs = self.test.inputs[: math.ceil(n / DISPLAY_NOISES)].reshape(-1, self.condition_dim)
        return inputs.repeat_interleave(DISPLAY_NOISES, dim=0)[:n]

    def test_outputs(self, generator, n_inputs: int, seed: int = 1) -> torch.Tensor:
        """Outputs (n_inputs, outputs_per_input, C, H, W) of ``generator`` for the first test inputs."""
        from mcgan_lib.metrics.lpips_diversity import generate_outputs

        n_inputs = min(check_int("n_inputs", n_inputs, minimum=1), len(self.test))
        device = next(generator.parameters()).device
        conditions = self.test.inputs[:n_inputs].reshape(n_inputs, -1)
        return generate_outputs(generator, conditions, self.outputs_per_input, seed=seed, device=device)

    def evaluate(self, generator, n_samples: int = 1000) -> dict[str, float]:
        """:meth:`score` of ``n_samples / outputs_per_input`` test inputs (at most the whole test split)."""
        n_inputs = max(1, check_int("n_samples", n_samples, minimum=1) // self.outputs_per_input)
        outputs = self.test_outputs(generator, n_inputs)
        return self.score(outputs, self.test.images[: len(outputs)])

    def score(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        """The task's metrics of ``outputs`` (n_inputs, K, C, H, W) against ``targets`` (n_inputs, C, H, W)."""
        from mcgan_lib.metrics.fid import RandomConvFeatures, fid
        from mcgan_lib.metrics.lpips_diversity import conditional_diversity

        if outputs.ndim != 5 or outputs.shape[0] != targets.shape[0] or outputs.shape[2:] != targets.shape[1:]:
            raise ValueError(
                f"outputs must have shape (n_inputs, K, *{tuple(targets.shape[1:])}) with n_inputs = "
                f"{targets.shape[0]}, got {tuple(outputs.shape)}"
            )
        outputs, targets = outputs.float(), targets.float()
        diversity = conditional_diversity(outputs, pairs_per_input=10, seed=0)
        features = RandomConvFeatures(seed=0)
        with warnings.catch_warnings():  # 64 random features of a few hundred near-identical outputs give
            warnings.simplefilter("ignore", LinAlgWarning)  # singular covariances; scipy's sqrtm says so each time
            distance = fid(targets, outputs.flatten(0, 1), features).value
        return {
            "l1_error": float((outputs - targets[:, None]).abs().mean()),
            "mean_l2_error": float((outputs.mean(1) - targets).square().mean()),
            "pixel_std": float(outputs.std(1).mean()),
            "lpips": diversity.mean,
            "lpips_calibrated": float(diversity.calibrated),
            "fid": distance,
        }

    def real_score(self) -> dict[str, float]:
        """The metrics of the real targets with each input's one target repeated: what a generator that
        returns the truth and ignores z would score (0 error, 0 diversity; FID of the set with itself)."""
        targets = self.test.images
        repeated = targets[:, None].expand(-1, self.outputs_per_input, -1, -1, -1)
        return self.score(repeated, targets)

    def spec(self) -> dict:
        return {
            **super().spec(),
            "test_fraction": self.test_fraction,
            "outputs_per_input": self.outputs_per_input,
            "split_seed": self.split_seed,
            "test_size": len(self.test),
            **({"test_split": self.test_split} if self.test_split else {}),
        }


def offline_photos(patch_size: int = OFFLINE_PATCH_SIZE, n_patches: int = OFFLINE_PATCHES) -> ImageDataset:
    """The offline stand-in for natural photographs: RGB patches of scikit-image's photographs."""
    return photo_patches(patch_size=patch_size, n_patches=n_patches, scale=OFFLINE_PATCH_SCALE)


def edges_to_photo(patch_size: int = OFFLINE_PATCH_SIZE, n_patches: int = OFFLINE_PATCHES) -> PairedTask:
    """Edges → photo (pix2pix's edges2shoes, offline): Sobel edges of a photo patch in, the patch out."""
    return PairedTask(edges_to_photo_pairs(offline_photos(patch_size, n_patches)), name="edges2photo")


def super_resolution(
    patch_size: int = OFFLINE_PATCH_SIZE, n_patches: int = OFFLINE_PATCHES, factor: int = 4
) -> PairedTask:
    """4x super-resolution (MR-GAN's SRGAN task, offline): the area-downsampled patch in, the patch out."""
    return PairedTask(super_resolution_pairs(offline_photos(patch_size, n_patches), factor), name=f"sr{factor}x")


def inpainting(patch_size: int = OFFLINE_PATCH_SIZE, n_patches: int = OFFLINE_PATCHES) -> PairedTask:
    """Centre inpainting (MR-GAN's CelebA task, offline): the patch with its centre half-side square
    blanked, plus the mask, in; the patch out."""
    return PairedTask(inpainting_pairs(offline_photos(patch_size, n_patches)), name="inpainting")


def sample_statistics(outputs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and variance over the K outputs of each input: (n_inputs, C, H, W) each, as numpy
    (chapter 10 draws them beside the predictor's mean and variance)."""
    if outputs.ndim != 5 or outputs.shape[1] < 2:
        raise ValueError(f"outputs must have shape (n_inputs, K >= 2, C, H, W), got {tuple(outputs.shape)}")
    return outputs.mean(1).numpy(), outputs.var(1).numpy()
