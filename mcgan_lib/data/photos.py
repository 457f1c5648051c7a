"""Offline image sets built from the sample images that ship with scikit-image (so every chapter runs
anywhere): patches of its colour photographs (:func:`photo_patches`), of its textures, labelled by
texture (:func:`texture_patches`), and its small grey faces (:func:`small_faces`)."""

from __future__ import annotations

import numpy as np
import torch

from mcgan_lib.data.image_dataset import ImageDataset, resize, to_unit_range
from mcgan_lib.validation import check_float, check_int

PHOTO_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")
TEXTURE_NAMES = ("brick", "grass", "gravel")


def _skimage_image(name: str) -> np.ndarray:
    import skimage.data

    loader = getattr(skimage.data, name, None)
    if loader is None:
        raise ValueError(f"name must be a scikit-image sample image, got {name!r}")
    image = np.asarray(loader())
    return image if image.ndim == 3 else image[..., None]


def random_patches(
    images: list[torch.Tensor], patch_size: int, n_patches: int, seed: int = 0, scale: float = 1.0
) -> torch.Tensor:
    """``n_patches`` square crops of side ``patch_size`` (after rescaling each image by ``scale``),
    from images chosen uniformly; positions from a generator seeded with ``seed``."""
    check_int("patch_size", patch_size, minimum=1)
    check_int("n_patches", n_patches, minimum=1)
    check_float("scale", scale, minimum=0.0, strict_minimum=True)
    rng = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    scaled = []
    for image in images:
        h, w = image.shape[-2:]
        size = (max(patch_size, round(h * scale)), max(patch_size, round(w * scale)))
        scaled.append(resize(image[None], size)[0])
    which = torch.randint(len(scaled), (n_patches,), generator=rng)
    patches = []
    for k in which.tolist():
        image = scaled[k]
        top = int(torch.randint(image.shape[-2] - patch_size + 1, (1,), generator=rng))
        left = int(torch.randint(image.shape[-1] - patch_size + 1, (1,), generator=rng))
        patches.append(image[:, top : top + patch_size, left : left + patch_size])
    return torch.stack(patches)


def photo_patches(
    patch_size: int = 32, n_patches: int = 2000, names=PHOTO_NAMES, seed: int = 0, scale: float = 0.5
) -> ImageDataset:
    """RGB patches of scikit-image's colour photographs (offline stand-in for natural images)."""
    images = [to_unit_range(_skimage_image(name)[None])[0] for name in names]
    images = [im if im.shape[0] == 3 else im.expand(3, -1, -1) for im in images]
    return ImageDataset(random_patches(images, patch_size, n_patches, seed, scale), name="photo-patches")


def texture_patches(
    patch_size: int = 32, n_patches: int = 2000, names=TEXTURE_NAMES, seed: int = 0, scale: float = 0.5
) -> ImageDataset:
    """Grey patches of scikit-image's textures, labelled by texture (class-conditional)."""
    images = [to_unit_range(_skimage_image(name)[None])[0] for name in names]
    per_class = [
        random_patches([im], patch_size, n_patches // len(names) + (i < n_patches % len(names)), seed + i, scale)
        for i, im in enumerate(images)
    ]
    labels = torch.cat([torch.full((len(p),), i) for i, p in enumerate(per_class)])
    return ImageDataset(
        torch.cat(per_class), labels=labels, num_classes=len(names), name="texture-patches", class_names=list(names)
    )


def small_faces(image_size: int = 24) -> ImageDataset:
    """scikit-image's 200 grey 25x25 faces (a subset of LFW), resized to ``image_size``: offline CelebA stand-in."""
    import skimage.data

    faces = torch.tensor(np.asarray(skimage.data.lfw_subset()), dtype=torch.float32)[:, None].mul(2).sub(1)
    return ImageDataset(resize(faces, image_size), name="small-faces")
