"""Image data: one in-memory data source for every image task, the papers' data sets, and offline sets.

One interface, :class:`ImageDataset`, serves the three kinds of task of the image chapters:

- **unconditional** (``kind="unconditional"``): images only;
- **class-conditional** (``"class_conditional"``): images and labels; the training condition is the
  one-hot label (B, num_classes), as in the conditional DCGAN of MSGAN/HMGAN on CIFAR-10;
- **paired** (``"paired"``): an input image and its target (pix2pix, super-resolution, inpainting).
  The loop's :class:`~mcgan_lib.data.base.Batch` carries conditions as (B, C) rows, so the input image
  travels **flattened** to (B, C*H*W); ``condition_shape`` says how to fold it back, and the image
  networks of :mod:`mcgan_lib.nets` do that themselves (:meth:`ImageDataset.unflatten_condition`).

Pixels are float32 in [-1, 1], layout (N, C, H, W). Splits are deterministic: the papers' official
splits where a data set has them, else :meth:`ImageDataset.split` with a seeded permutation.

The papers' data sets (no network is needed to *read* them; ``download=True`` fetches them):

- CIFAR-10, python pickle batches, read from ``root/cifar-10-batches-py`` and checked against the MD5
  sums torchvision publishes (the download goes through torchvision's downloader).
- pix2pix Facades and Maps: ``root/<name>/<split>/*.jpg``, each image the side-by-side ``A|B`` pair of
  the pix2pix releases (Isola et al. 2017).
- CelebA aligned crops: ``root/celeba/img_align_celeba/*.jpg`` with ``list_eval_partition.txt``.

Checksums: files with a published checksum (CIFAR-10 batches, CelebA's partition list) are verified
against it, and CelebA's partition list is parsed only after its MD5 matches. The pix2pix archives and
the individual CelebA JPEGs have no published per-file checksum that we could read offline, so those
folders are checked **trust-on-first-use**: the first load records their MD5 sums in a manifest (with a
warning) and every later load verifies every file against it. Nothing is recorded before the data has
been checked as far as it can be: a pix2pix split must hold as many images as the release
(:data:`PIX2PIX_SIZES`), every image loaded must decode, and every image recorded must be complete (its
end-of-image marker present), so a partial download or a truncated file is refused, never trusted. The
manifest lives in the user's cache folder (``$MCGAN_CACHE_DIR/checksums``, default
``~/.cache/mcgan/checksums``), so a read-only shared data folder loads; a manifest written by an earlier
version next to the data (``.mcgan_checksums.json``) is still read. A mismatch always raises
:class:`ChecksumError`; it is never skipped.

Offline sets that ship with scikit-learn and scikit-image (so every chapter runs anywhere) are built by
:func:`digits_images`, :func:`photo_patches`, :func:`texture_patches`, :func:`small_faces` and the
paired-task builders :func:`super_resolution_pairs`, :func:`inpainting_pairs`,
:func:`grey_to_colour_pairs` and :func:`edges_to_photo_pairs`. The Stacked-Digits set (three digits
side by side, 1,000 modes) is :class:`StackedDigits`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.validation import check_choice, check_float, check_int

KINDS = ("unconditional", "class_conditional", "paired")
MANIFEST_NAME = ".mcgan_checksums.json"  # next to the data: read when present, no longer written
CACHE_ENV_VAR = "MCGAN_CACHE_DIR"


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are missing or unreadable; the message says what to fetch and where to put it."""


class ChecksumError(ValueError):
    """A file's checksum differs from the published one or from the one recorded at first use."""


# ---------------------------------------------------------------------------------------------- dataset
class ImageDataset(DataSource, Dataset):
    """Images (N, C, H, W) in [-1, 1], with optional ``labels`` (N,) or paired ``inputs`` (N, C', H', W').

    As a :class:`DataSource` it draws seeded batches with replacement for the training loop; as a torch
    ``Dataset`` (``len``, ``[i]``) it works with ``DataLoader`` and ``DistributedSampler`` for streaming
    evaluation. ``dataset[i]`` returns ``(image, condition)`` with the condition as the loop sees it
    (one-hot label, flattened input image, or an empty tensor for unconditional data).
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor | None = None,
        num_classes: int | None = None,
        inputs: torch.Tensor | None = None,
        name: str = "images",
        class_names: list[str] | None = None,
    ):
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[0] == 0:
            raise ValueError(
                f"images must be a tensor of shape (N, C, H, W) with N >= 1, got {getattr(images, 'shape', images)!r}"
            )
        if labels is not None and inputs is not None:
            raise ValueError("pass either labels (class-conditional) or inputs (paired), not both")
        n = images.shape[0]
        self.images = images.float()
        self.labels = None
        self.inputs = None
        self.num_classes = 0
        self.class_names = class_names
        self.name = name
        self.data_shape = tuple(images.shape[1:])
        self.condition_shape: tuple[int, ...] = ()
        if labels is not None:
            labels = torch.as_tensor(labels).long()
            if labels.shape != (n,):
                raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
            num_classes = (
                int(labels.max()) + 1 if num_classes is None else check_int("num_classes", num_classes, minimum=1)
            )
            if labels.min() < 0 or labels.max() >= num_classes:
                raise ValueError(
                    f"labels must lie in [0, num_classes={num_classes}), "
                    f"got range [{int(labels.min())}, {int(labels.max())}]"
                )
            self.labels, self.num_classes = labels, num_classes
            self.kind = "class_conditional"
            self.condition_shape = (num_classes,)
        elif inputs is not None:
            if not isinstance(inputs, torch.Tensor) or inputs.ndim != 4 or inputs.shape[0] != n:
                raise ValueError(f"inputs must have shape ({n}, C, H, W), got {getattr(inputs, 'shape', inputs)!r}")
            self.inputs = inputs.float()
            self.kind = "paired"
            self.condition_shape = tuple(inputs.shape[1:])
        else:
            self.kind = "unconditional"
        self.condition_dim = int(np.prod(self.condition_shape)) if self.condition_shape else 0

    # -- torch Dataset
    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int):
        index_tensor = torch.as_tensor([index])
        condition = self._conditions(index_tensor)
        return self.images[index], (torch.empty(0) if condition is None else condition[0])

    # -- DataSource
    def _conditions(self, index: torch.Tensor) -> torch.Tensor | None:
        if self.kind == "class_conditional":
            return F.one_hot(self.labels[index], self.num_classes).float()
        if self.kind == "paired":
            return self.inputs[index].reshape(len(index), -1)
        return None

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        n = check_int("n", n, minimum=1)
        index = torch.randint(len(self), (n,), generator=generator, device=generator.device if generator else "cpu")
        index = index.cpu()
        return Batch(self.images[index], self._conditions(index))

    def unflatten_condition(self, condition: torch.Tensor) -> torch.Tensor:
        """(B, condition_dim) -> (B, *condition_shape): the input images of a paired batch."""
        return condition.reshape(condition.shape[0], *self.condition_shape)

    def subset(self, index) -> ImageDataset:
        index = torch.as_tensor(index, dtype=torch.long)
        return ImageDataset(
            self.images[index],
            labels=None if self.labels is None else self.labels[index],
            num_classes=self.num_classes or None,
            inputs=None if self.inputs is None else self.inputs[index],
            name=self.name,
            class_names=self.class_names,
        )

    def split(self, fractions: dict[str, float] | None = None, seed: int = 0) -> dict[str, ImageDataset]:
        """Deterministic split by a permutation seeded with ``seed`` (default train 0.8 / test 0.2).

        Sizes are ``floor(fraction * N)`` for every part but the last, which takes the rest.
        """
        fractions = fractions or {"train": 0.8, "test": 0.2}
        total = sum(check_float(f"fractions[{k!r}]", v, minimum=0.0) for k, v in fractions.items())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {fractions} (sum {total})")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(check_int("seed", seed, minimum=0)))
        parts, start, names = {}, 0, list(fractions)
        for i, key in enumerate(names):
            stop = len(self) if i == len(names) - 1 else start + int(fractions[key] * len(self))
            parts[key] = self.subset(order[start:stop])
            start = stop
        return parts

    def spec(self) -> dict:
        return {
            **super().spec(),
            "name": self.name,
            "kind": self.kind,
            "size": len(self),
            "num_classes": self.num_classes,
        }


# ---------------------------------------------------------------------------------------------- pixels
def to_unit_range(images_uint8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W, C) or (N, H, W) -> float (N, C, H, W) in [-1, 1]."""
    array = torch.as_tensor(np.array(images_uint8))
    if array.ndim == 3:
        array = array[..., None]
    return array.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def resize(images: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Area downsampling / bilinear upsampling of (N, C, H, W) images to ``size``."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(images.shape[-2:]) == size:
        return images
    mode = "area" if size[0] <= images.shape[-2] and size[1] <= images.shape[-1] else "bilinear"
    kwargs = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(images, size=size, mode=mode, **kwargs).clamp(-1, 1)


# ---------------------------------------------------------------------------------------------- checksums
def file_md5(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(folder: str | Path) -> Path:
    """Where the trust-on-first-use manifest of ``folder`` is kept: in the user's cache folder
    (``$MCGAN_CACHE_DIR``, default ``~/.cache/mcgan``), named after the folder and its absolute path."""
    folder = Path(folder).resolve()
    cache = Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "mcgan")
    key = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return cache / "checksums" / f"{folder.name}-{key}.json"


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ChecksumError(
            f"the checksum manifest {path} is damaged ({error}); delete it to record the checksums again from the "
            "files as they are now"
        ) from None
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        raise ChecksumError(f"the checksum manifest {path} is damaged (not a table of MD5 sums); delete it")
    return manifest


def verify_files(
    folder: Path,
    relative_paths: list[str],
    known_md5: dict[str, str] | None = None,
    all_paths: list[str] | None = None,
    check_before_recording: Callable[[Path], None] | None = None,
) -> None:
    """Check every file of ``relative_paths`` (inside ``folder``).

    Files named in ``known_md5`` are checked against it. The others are checked against the folder's
    manifest (:func:`manifest_path`, or ``folder/.mcgan_checksums.json`` when an earlier version wrote
    one); when there is none yet it is written for ``all_paths`` (default: ``relative_paths``; a loader
    reading one split records the whole folder) with a warning: trust on first use. Before recording,
    ``check_before_recording(path)`` runs on every file to be recorded and may raise. Any mismatch raises
    :class:`ChecksumError` naming the file.
    """
    known_md5 = known_md5 or {}
    for rel in relative_paths:
        if rel in known_md5:
            actual = file_md5(folder / rel)
            if actual != known_md5[rel]:
                raise ChecksumError(
                    f"{folder / rel} has MD5 {actual}, but the published checksum is {known_md5[rel]}: the file is "
                    "corrupt or from another release; delete it and download it again"
                )
    others = sorted(rel for rel in relative_paths if rel not in known_md5)
    if not others:
        return
    legacy = folder / MANIFEST_NAME
    manifest_file = legacy if legacy.exists() else manifest_path(folder)
    if not manifest_file.exists():
        recorded = sorted(set(all_paths or others) - set(known_md5))
        if check_before_recording is not None:
            for rel in recorded:
                check_before_recording(folder / rel)
        manifest = {rel: file_md5(folder / rel) for rel in recorded}
        try:
            manifest_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = manifest_file.with_name(f".{manifest_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True))
            tmp.replace(manifest_file)
            where = (
                f"recorded {len(manifest)} MD5 sums in {manifest_file} (trust on first use): "
                "later loads verify every file against them"
            )
        except OSError as error:
            reason = error.strerror or error
            where = f"and the manifest {manifest_file} cannot be written ({reason}): nothing is recorded"
        warnings.warn(f"no published per-file checksums for {folder}; {where}", stacklevel=3)
        return
    manifest = _read_manifest(manifest_file)
    for rel in others:
        if rel not in manifest:
            raise ChecksumError(
                f"{folder / rel} is not in the checksum manifest {manifest_file}; the folder changed since first use"
            )
        actual = file_md5(folder / rel)
        if actual != manifest[rel]:
            raise ChecksumError(
                f"{folder / rel} has MD5 {actual}, but {manifest_file} recorded {manifest[rel]} at first use: the file "
                "changed or is corrupt; download the data set again (and delete the manifest)"
            )
    missing = sorted(rel for rel in manifest if not (folder / rel).exists())
    if missing:
        raise ChecksumError(f"{len(missing)} files recorded in {manifest_file} are missing, e.g. {folder / missing[0]}")


def check_image_complete(path: Path) -> None:
    """Raise :class:`DatasetNotFoundError` when a JPEG or PNG file lacks its end-of-image marker (a
    truncated download), cheaply: only the file's last bytes are read."""
    markers = {".jpg": b"\xff\xd9", ".jpeg": b"\xff\xd9", ".png": b"IEND"}
    marker = markers.get(path.suffix.lower())
    if marker is None:
        return
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - 1024))
        tail = handle.read()
    if marker not in tail:
        raise DatasetNotFoundError(
            f"{path} is truncated (its end-of-image marker is missing): the download is incomplete, fetch it again; "
            "no checksums were recorded"
        )


def _missing(what: str, expected: Path, how: str) -> DatasetNotFoundError:
    return DatasetNotFoundError(f"{what} was not found at {expected}. {how}")


def _read_image(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DatasetNotFoundError(
            f"{path} is not a readable image ({error}); the download is corrupt, fetch it again"
        ) from None


# ---------------------------------------------------------------------------------------------- CIFAR-10
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
            raise _missing(
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


# ---------------------------------------------------------------------------------------------- pix2pix
PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
PIX2PIX_DEFAULT_DIRECTION = {"facades": "BtoA", "maps": "AtoB"}  # labels -> photo; aerial -> map
PIX2PIX_SPLITS = {"facades": ("train", "val", "test"), "maps": ("train", "val")}
PIX2PIX_SIZES = {  # images per split in the pix2pix releases
    "facades": {"train": 400, "val": 100, "test": 106},
    "maps": {"train": 1096, "val": 1098},
}


def load_pix2pix(
    name: str,
    root: str | Path,
    split: str = "train",
    direction: str | None = None,
    image_size: int | None = 256,
    download: bool = False,
    checksums: dict | None = None,
    expected_size: int | None = None,
) -> ImageDataset:
    """pix2pix Facades or Maps as a paired :class:`ImageDataset` (Isola et al. 2017).

    Each JPEG in ``root/name/split`` holds the pair side by side, ``A`` on the left and ``B`` on the
    right. ``direction`` ``"AtoB"`` makes A the input (condition) and B the target; the default is the
    papers' task: Facades ``BtoA`` (label map -> photo), Maps ``AtoB`` (aerial photo -> map).
    ``image_size`` resizes both halves (None keeps them). Files are checked against ``checksums`` when
    given, else trust-on-first-use (see the module docstring). The split must hold ``expected_size``
    images (default: the release's count, :data:`PIX2PIX_SIZES`), and every image must decode, before any
    checksum is recorded.
    """
    check_choice("name", name, PIX2PIX_DEFAULT_DIRECTION)
    check_choice("split", split, PIX2PIX_SPLITS[name])
    direction = (
        PIX2PIX_DEFAULT_DIRECTION[name] if direction is None else check_choice("direction", direction, ("AtoB", "BtoA"))
    )
    root = Path(root)
    folder = root / name / split
    url = PIX2PIX_URL.format(name=name)
    if download and not folder.exists():
        from torchvision.datasets.utils import download_and_extract_archive

        download_and_extract_archive(url, str(root), md5=None)  # no published MD5: the manifest is recorded below
    how = f"Download {url} and extract it into {root} so that {folder}/*.jpg exist (or pass download=True)."
    paths = sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png")) if folder.exists() else []
    if not paths:
        raise _missing(f"the pix2pix {name!r} {split!r} split", folder, how)
    expected = PIX2PIX_SIZES[name][split]
    if expected_size is not None:
        expected = check_int("expected_size", expected_size, minimum=1)
    if len(paths) != expected:
        raise DatasetNotFoundError(
            f"the pix2pix {name!r} {split!r} split at {folder} has {len(paths)} images, but the release has "
            f"{expected}: the download or extraction is incomplete (or extra files were added). {how}"
        )
    a_half, b_half = [], []
    for path in paths:  # every image decodes before its checksum is recorded
        pair = _read_image(path)
        height, width = pair.shape[:2]
        if width != 2 * height:
            raise DatasetNotFoundError(
                f"{path} is {width}x{height}, but a pix2pix pair is two square images side by side "
                f"(width = 2 x height); {how}"
            )
        a_half.append(pair[:, :height])
        b_half.append(pair[:, height:])
    verify_files(folder, [p.name for p in paths], checksums, check_before_recording=check_image_complete)
    a, b = to_unit_range(np.stack(a_half)), to_unit_range(np.stack(b_half))
    if image_size is not None:
        a, b = resize(a, image_size), resize(b, image_size)
    source, target = (a, b) if direction == "AtoB" else (b, a)
    return ImageDataset(target, inputs=source, name=f"{name}-{split}-{direction}")


# ---------------------------------------------------------------------------------------------- CelebA
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
    super-resolution or inpainting pairs with :func:`super_resolution_pairs` / :func:`inpainting_pairs`.
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
        raise _missing("CelebA's list_eval_partition.txt", partition, how)
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
            raise _missing(f"CelebA image {image_name!r}", folder / "img_align_celeba" / image_name, how)
    crops = []
    for image_name in names:  # every image of the split decodes before any checksum is recorded
        image = _read_image(folder / "img_align_celeba" / image_name)
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


# ---------------------------------------------------------------------------------------------- offline sets
def digits_images(split: str = "all", labelled: bool = True) -> ImageDataset:
    """scikit-learn's 8x8 digits as images (N, 1, 8, 8) in [-1, 1], through :mod:`mcgan_lib.data.digits`
    (same scaling ``x / 8 - 1`` and the same fixed stratified ``"train"``/``"test"`` split)."""
    from mcgan_lib.data.digits import load_digits_tensors

    images, labels = load_digits_tensors(split)
    return ImageDataset(
        images.reshape(-1, 1, 8, 8),
        labels=labels if labelled else None,
        num_classes=10 if labelled else None,
        name=f"digits-{split}",
    )


class ClassConditionalDigits(ImageDataset):
    """scikit-learn's 8x8 digits as a class-conditional task: G draws a digit of the class it is given.

    :meth:`evaluate` scores a generator per class, in the layout of MSGAN's and HMGAN's CIFAR-10 tables
    (one NDB/JSD per category), with ``n_samples / 10`` samples per class:

    - ``ndb_fraction`` and ``jsd``: NDB/JSD (:mod:`mcgan_lib.metrics.ndb`) against the class's real
      training images in ``bins_per_class`` k-means bins, averaged over the ten classes. With ~135 real
      images a class the papers' 100 bins would hold one image each, so the bins are fewer: a choice of
      ours, stated in chapter 08;
    - ``class_accuracy``: the share of samples that the library's digits classifier reads as the class
      they were asked for (is the condition obeyed?);
    - ``diversity_ratio``: the mean pixel distance between two samples of a class over the same for two
      real images of the class, averaged over classes: below 1 the class has collapsed towards fewer
      shapes, above 1 the samples vary more than real digits (noise rather than modes).
    """

    coverage_metric = None
    strict_coverage_metric = None

    def __init__(self, split: str = "train", bins_per_class: int = 10):
        source = digits_images(split)
        super().__init__(source.images, labels=source.labels, num_classes=10, name=f"class-conditional-digits-{split}")
        self.bins_per_class = check_int("bins_per_class", bins_per_class, minimum=2, maximum=50)
        self._bins = None

    def class_bins(self) -> list:
        """The NDB bins of each class (fitted once, k-means seeded with 0)."""
        from mcgan_lib.metrics.ndb import fit_bins

        if self._bins is None:
            self._bins = [fit_bins(self.images[self.labels == c], self.bins_per_class) for c in range(10)]
        return self._bins

    def display_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-hot classes 0, 1, ..., 9, 0, 1, ... (``n`` rows), so stored samples show every class."""
        return F.one_hot(torch.arange(check_int("n", n, minimum=1)) % 10, 10).float()

    def evaluate(self, generator, n_samples: int = 2500) -> dict[str, float]:
        """:meth:`score` of ``n_samples / 10`` samples of ``generator`` per class."""
        from mcgan_lib.nets.base import generate

        per_class = max(2, check_int("n_samples", n_samples, minimum=20) // 10)
        with torch.no_grad():
            samples = [
                generate(generator, per_class, seed=c + 1, condition=F.one_hot(torch.full((per_class,), c), 10).float())
                for c in range(10)
            ]
        return self.score([batch.detach().cpu() for batch in samples])

    def score(self, images_by_class: list[torch.Tensor]) -> dict[str, float]:
        """The class's metrics, averaged over classes, of ``images_by_class[c]`` (N_c, 1, 8, 8): images
        meant to show digit c (generated, or real ones for the real-data row: score each image once, as a
        repeated image is not an independent sample of NDB's z-test)."""
        from mcgan_lib.nets.digits_classifier import load_digits_classifier

        if len(images_by_class) != 10 or any(len(images) < 2 for images in images_by_class):
            raise ValueError("images_by_class must hold 10 tensors (one per class) of at least 2 images each")
        classifier = load_digits_classifier()
        rows = {"ndb_fraction": [], "jsd": [], "class_accuracy": [], "diversity_ratio": []}
        with torch.no_grad():
            for c, (bins, images) in enumerate(zip(self.class_bins(), images_by_class)):
                samples = images.reshape(len(images), -1).float()
                real = self.images[self.labels == c].reshape(-1, samples.shape[1])
                result = bins.evaluate(samples)
                rows["ndb_fraction"].append(result.ndb_fraction)
                rows["jsd"].append(result.jsd)
                rows["class_accuracy"].append(float((classifier(samples).argmax(1) == c).float().mean()))
                rows["diversity_ratio"].append(float(torch.pdist(samples).mean() / torch.pdist(real).mean()))
        return {key: float(np.mean(values)) for key, values in rows.items()}

    def spec(self) -> dict:
        return {**super().spec(), "bins_per_class": self.bins_per_class}


class StackedDigits(DataSource):
    """Three 8x8 digits side by side (1, 8, 24): 1,000 equally likely modes (Stacked MNIST, offline).

    Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017) stacks three MNIST digits as colour
    channels; here, as the issue asks, the three scikit-learn digits sit side by side in one grey image,
    so the same classifier reads each third. ``layout="channels"`` gives the original (3, 8, 8) stacking.
    The mode of a sample is ``100 * left + 10 * middle + right``. Unconditional; digits are drawn
    uniformly from ``pool`` (default: all 1,797 digits).
    """

    def __init__(self, layout: str = "side_by_side", pool: ImageDataset | None = None):
        self.layout = check_choice("layout", layout, ("side_by_side", "channels"))
        self.pool = pool if pool is not None else digits_images()
        if self.pool.labels is None or self.pool.data_shape != (1, 8, 8):
            raise ValueError("pool must be a labelled ImageDataset of 8x8 grey digits (see digits_images())")
        self.data_shape = (1, 8, 24) if layout == "side_by_side" else (3, 8, 8)
        self.name = f"stacked-digits-{layout}"

    def sample_with_modes(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` stacked images and their modes (n,) in [0, 1000)."""
        n = check_int("n", n, minimum=1)
        device = generator.device if generator is not None else "cpu"
        index = torch.randint(len(self.pool), (n, 3), generator=generator, device=device).cpu()
        parts = self.pool.images[index]  # (n, 3, 1, 8, 8)
        images = torch.cat(list(parts.unbind(1)), dim=-1) if self.layout == "side_by_side" else parts[:, :, 0]
        digits = self.pool.labels[index]
        return images, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        return Batch(self.sample_with_modes(n, generator)[0])

    coverage_metric = "modes_captured"
    strict_coverage_metric = "modes_covered"

    @property
    def full_coverage(self) -> int:
        return 1000

    def evaluate(self, generator, n_samples: int = 26000) -> dict[str, float]:
        """:meth:`score` of ``n_samples`` samples of ``generator`` (the papers draw 26,000)."""
        from mcgan_lib.nets.base import generate

        n_samples = check_int("n_samples", n_samples, minimum=1)
        with torch.no_grad():
            batches = [
                generate(generator, min(4096, n_samples - start), seed=start + 1).detach().cpu()
                for start in range(0, n_samples, 4096)
            ]
        return self.score(batches)

    def score(self, images) -> dict[str, float]:
        """The Stacked MNIST protocol on ``images`` (a tensor or a list of batches): modes captured (>= 1
        sample) and covered (>= a quarter of the expected share) of the 1,000, and KL(mode histogram ||
        uniform); see :mod:`mcgan_lib.metrics.stacked_digits`."""
        from mcgan_lib.metrics.stacked_digits import stacked_digits_modes

        return stacked_digits_modes(images, layout=self.layout).scalars()

    def spec(self) -> dict:
        return {**super().spec(), "name": self.name, "layout": self.layout}


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


# ---------------------------------------------------------------------------------------------- paired tasks
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
