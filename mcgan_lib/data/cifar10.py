"""CIFAR-10 (Krizhevsky 2009): the python pickle batches read from ``root/cifar-10-batches-py``, checked
against the MD5 sums torchvision publishes (the download goes through torchvision's downloader)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from mcgan_lib.data.checksums import DatasetNotFoundError, missing_data, verify_files
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.validation import check_choice

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_MD5 = {  # as published by torchvision.datasets.CIFAR10
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}


def load_cifar10(
    root: str | Path, split: str = "train", download: bool = False, checksums: dict | None = None
) -> ImageDataset:
    """CIFAR-10 (Krizhevsky 2009) as a class-conditional :class:`ImageDataset` of 32x32 RGB images.

    ``split`` is the official ``"train"`` (50,000) or ``"test"`` (10,000). ``download=True`` fetches the
    archive with torchvision's downloader (MD5-checked). ``checksums`` replaces the published MD5 table
    (tests use it for synthetic files); every file is always checked.
    """
    check_choice("split", split, ("train", "test"))
    root = Path(root)
    folder = root / CIFAR10_FOLDER
    if download and not folder.exists():
        from torchvision.datasets.utils import download_and_extract_archive

        download_and_extract_archive(CIFAR10_URL, str(root), md5=CIFAR10_ARCHIVE_MD5)
    files = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    for name in files + ["batches.meta"]:
        if not (folder / name).exists():
            raise missing_data(
                f"CIFAR-10 file {name!r}",
                folder / name,
                f"Download {CIFAR10_URL} and extract it into {root} (or call load_cifar10(root, download=True)).",
            )
    verify_files(folder, files + ["batches.meta"], CIFAR10_MD5 if checksums is None else checksums)
    images, labels = [], []
    for name in files:
        with open(folder / name, "rb") as handle:
            try:
                entry = pickle.load(handle, encoding="latin1")
            except Exception as error:  # a truncated or foreign file
                raise DatasetNotFoundError(
                    f"{folder / name} is not a CIFAR-10 batch ({error}); fetch it again"
                ) from None
        images.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.extend(entry["labels"])
    with open(folder / "batches.meta", "rb") as handle:
        class_names = pickle.load(handle, encoding="latin1")["label_names"]
    pixels = torch.from_numpy(np.concatenate(images)).float().div(127.5).sub(1.0)
    return ImageDataset(
        pixels, labels=torch.tensor(labels), num_classes=10, name=f"cifar10-{split}", class_names=class_names
    )
