"""Paired image-to-image data (pix2pix's, and MR-GAN's super-resolution and inpainting): the pairs built
from images, and the tasks that hold training pairs and a held-out test split.

The pair builders make an input from each image, the image being the target:
:func:`super_resolution_pairs` (downsampled), :func:`inpainting_pairs` (a centred hole and its mask),
:func:`grey_to_colour_pairs` (luma) and :func:`edges_to_photo_pairs` (Sobel edges).

A :class:`PairedTask` holds training pairs (x, y) and a held-out test split. A conditional GAN G(x, z)
should give, for one input x, many plausible outputs: it is judged on the test inputs, with
``outputs_per_input`` latents each (MR-GAN's protocol draws 20 outputs for 300 inputs; MSGAN and
BicycleGAN 10 for 100: we use 10 per input), on how close its outputs are to the one known target and on
how much they differ from each other (:func:`mcgan_lib.tasks.evaluators.score_paired`).

The offline tasks are built from scikit-image's colour photographs (:func:`~mcgan_lib.data.photos.photo_patches`):
:func:`edges_to_photo` (pix2pix's edges → photo), :func:`super_resolution` (4x, MR-GAN's SRGAN task) and
:func:`inpainting` (MR-GAN's centre hole). The full-size data sets (Facades, Maps, CelebA) are loaded by
:mod:`mcgan_lib.data.pix2pix` and :mod:`mcgan_lib.data.celeba` where they are on disk.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from mcgan_lib.data.image_dataset import ImageDataset, resize
from mcgan_lib.data.photos import photo_patches
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

    Behaves as the training :class:`~mcgan_lib.data.image_dataset.ImageDataset` (the loop draws from it);
    a generator is scored on ``self.test`` (see the module docstring).
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

    def spec(self) -> dict:
        return {
            **super().spec(),
            "test_fraction": self.test_fraction,
            "outputs_per_input": self.outputs_per_input,
            "split_seed": self.split_seed,
            "test_size": len(self.test),
            **({"test_split": self.test_split} if self.test_split else {}),
        }


def super_resolution_pairs(data: ImageDataset, factor: int = 4) -> ImageDataset:
    """Paired set: input = the image area-downsampled by ``factor`` (SRGAN's bicubic LR, here area), target = image."""
    check_int("factor", factor, minimum=2)
    h, w = data.data_shape[1:]
    if h % factor or w % factor:
        raise ValueError(f"factor must divide the image size {h}x{w}, got factor={factor}")
    return ImageDataset(
        data.images, inputs=resize(data.images, (h // factor, w // factor)), name=f"{data.name}-sr{factor}"
    )


def centre_hole_mask(image_shape: tuple[int, int], hole_fraction: float = 0.5) -> torch.Tensor:
    """(1, H, W) mask, 1 inside the centred square hole of side ``hole_fraction`` * min(H, W), else 0."""
    check_float("hole_fraction", hole_fraction, minimum=0.0, maximum=1.0, strict_minimum=True)
    h, w = image_shape
    side = max(1, round(hole_fraction * min(h, w)))
    top, left = (h - side) // 2, (w - side) // 2
    mask = torch.zeros(1, h, w)
    mask[:, top : top + side, left : left + side] = 1.0
    return mask


def inpainting_pairs(data: ImageDataset, hole_fraction: float = 0.5) -> ImageDataset:
    """Paired set for inpainting (GLCIC): input = (masked image with the hole set to 0, mask) as C+1
    channels, target = the full image. The hole is the centred square (MR-GAN's CelebA setting)."""
    mask = centre_hole_mask(data.data_shape[1:], hole_fraction).expand(len(data), 1, -1, -1)
    inputs = torch.cat([data.images * (1 - mask), mask], dim=1)
    return ImageDataset(data.images, inputs=inputs, name=f"{data.name}-inpaint")


def grey_to_colour_pairs(data: ImageDataset) -> ImageDataset:
    """Paired set: input = luma (ITU-R 601 weights) of an RGB image, target = the RGB image."""
    if data.data_shape[0] != 3:
        raise ValueError(f"data must hold RGB images (3 channels), got shape {data.data_shape}")
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return ImageDataset(
        data.images, inputs=(data.images * weights).sum(1, keepdim=True), name=f"{data.name}-grey2colour"
    )


def edges_to_photo_pairs(data: ImageDataset) -> ImageDataset:
    """Paired set (edges -> photo, as pix2pix's edges2shoes): input = Sobel edge magnitude of the grey
    image, scaled to [-1, 1] per image; target = the image."""
    grey = data.images.mean(1, keepdim=True)
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    gx = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kx)
    gy = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kx.transpose(2, 3))
    magnitude = (gx**2 + gy**2).sqrt()
    peak = magnitude.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
    return ImageDataset(data.images, inputs=magnitude / peak * 2 - 1, name=f"{data.name}-edges2photo")


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
