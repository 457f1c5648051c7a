"""CelebA's aligned crops (Liu et al. 2015): ``root/celeba/img_align_celeba/*.jpg`` with the official
split of ``list_eval_partition.txt``, whose published MD5 is checked before it is parsed; the JPEGs are
checked trust-on-first-use (:mod:`mcgan_lib.data.checksums`)."""

from __future__ import annotations

from pathlib import Path

import torch

from mcgan_lib.data.checksums import (
    DatasetNotFoundError,
    check_image_complete,
    missing_data,
    read_image,
    verify_files,
)
from mcgan_lib.data.image_dataset import ImageDataset, resize, to_unit_range
from mcgan_lib.validation import check_choice, check_int

CELEBA_PARTITION_MD5 = "d32c9cbf5e040fd4025c592c306e6668"  # list_eval_partition.txt, as torchvision publishes
CELEBA_SPLITS = {"train": 0, "valid": 1, "test": 2}


def load_celeba(
    root: str | Path,
    split: str = "train",
    image_size: int = 64,
    crop: int = 178,
    limit: int | None = None,
    checksums: dict | None = None,
) -> ImageDataset:
    """CelebA aligned-and-cropped faces (Liu et al. 2015) as an unconditional :class:`ImageDataset`.

    Reads ``root/celeba/img_align_celeba/*.jpg`` (178x218) and the official split of
    ``root/celeba/list_eval_partition.txt``; takes the centred ``crop`` x ``crop`` square and resizes it
    to ``image_size``. ``limit`` keeps the first images of the split (in file order). Build the
    super-resolution or inpainting pairs with :func:`~mcgan_lib.data.paired.super_resolution_pairs` /
    :func:`~mcgan_lib.data.paired.inpainting_pairs`.
    CelebA needs a manual download (Google Drive); torchvision's ``CelebA(download=True)`` can fetch it.
    """
    check_choice("split", split, CELEBA_SPLITS)
    check_int("image_size", image_size, minimum=1)
    check_int("crop", crop, minimum=1)
    folder = Path(root) / "celeba"
    partition = folder / "list_eval_partition.txt"
    how = (
        "Download img_align_celeba.zip and list_eval_partition.txt from the CelebA page "
        "(mmlab.ie.cuhk.edu.hk/projects/CelebA.html) into that folder and unzip the images there."
    )
    if not partition.exists():
        raise missing_data("CelebA's list_eval_partition.txt", partition, how)
    known = {"list_eval_partition.txt": CELEBA_PARTITION_MD5} if checksums is None else checksums
    verify_files(folder, ["list_eval_partition.txt"], known)  # parsed only once its MD5 matches
    names = []
    for number, line in enumerate(partition.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DatasetNotFoundError(f"{partition} line {number} is {line!r}, not 'IMAGE.jpg 0|1|2'; {how}")
        if int(fields[1]) == CELEBA_SPLITS[split]:
            names.append(fields[0])
    if limit is not None:
        names = names[: check_int("limit", limit, minimum=1)]
    for image_name in names:
        if not (folder / "img_align_celeba" / image_name).exists():
            raise missing_data(f"CelebA image {image_name!r}", folder / "img_align_celeba" / image_name, how)
    crops = []
    for image_name in names:  # every image of the split decodes before any checksum is recorded
        image = read_image(folder / "img_align_celeba" / image_name)
        height, width = image.shape[:2]
        size = min(crop, height, width)
        top, left = (height - size) // 2, (width - size) // 2
        crops.append(resize(to_unit_range(image[None, top : top + size, left : left + size]), image_size)[0])
    every_image = [f"img_align_celeba/{p.name}" for p in sorted((folder / "img_align_celeba").glob("*.jpg"))]
    verify_files(
        folder,
        ["list_eval_partition.txt"] + [f"img_align_celeba/{n}" for n in names],
        known,
        all_paths=every_image,
        check_before_recording=check_image_complete,
    )
    return ImageDataset(torch.stack(crops), name=f"celeba-{split}")
