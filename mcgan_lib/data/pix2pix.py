"""pix2pix Facades and Maps (Isola et al. 2017): ``root/<name>/<split>/*.jpg``, each image the
side-by-side ``A|B`` pair of the pix2pix releases, checked trust-on-first-use
(:mod:`mcgan_lib.data.checksums`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcgan_lib.data.checksums import (
    DatasetNotFoundError,
    check_image_complete,
    missing_data,
    read_image,
    verify_files,
)
from mcgan_lib.data.image_dataset import ImageDataset, resize, to_unit_range
from mcgan_lib.validation import check_choice, check_int

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
    given, else trust-on-first-use (:mod:`mcgan_lib.data.checksums`). The split must hold ``expected_size``
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
        raise missing_data(f"the pix2pix {name!r} {split!r} split", folder, how)
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
        pair = read_image(path)
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
