"""Data sets read from disk: the errors of a missing or damaged file, checksums, and decoding an image.

Files with a published checksum (CIFAR-10 batches, CelebA's partition list) are verified against it,
and CelebA's partition list is parsed only after its MD5 matches. The pix2pix archives and the
individual CelebA JPEGs have no published per-file checksum that we could read offline, so those
folders are checked **trust-on-first-use**: the first load records their MD5 sums in a manifest (with a
warning) and every later load verifies every file against it. Nothing is recorded before the data has
been checked as far as it can be: a pix2pix split must hold as many images as the release
(:data:`mcgan_lib.data.pix2pix.PIX2PIX_SIZES`), every image loaded must decode, and every image recorded
must be complete (its end-of-image marker present), so a partial download or a truncated file is
refused, never trusted. The manifest lives in the user's cache folder (``$MCGAN_CACHE_DIR/checksums``,
default ``~/.cache/mcgan/checksums``), so a read-only shared data folder loads; a manifest written by an
earlier version next to the data (``.mcgan_checksums.json``) is still read. A mismatch always raises
:class:`ChecksumError`; it is never skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mcgan_lib.config import cache_folder

MANIFEST_NAME = ".mcgan_checksums.json"  # next to the data: read when present, no longer written


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are missing or unreadable; the message says what to fetch and where to put it."""


class ChecksumError(ValueError):
    """A file's checksum differs from the published one or from the one recorded at first use."""


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
    key = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return cache_folder() / "checksums" / f"{folder.name}-{key}.json"


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


def missing_data(what: str, expected: Path, how: str) -> DatasetNotFoundError:
    """The error for a data set's file or folder not found at ``expected``, with ``how`` to get it."""
    return DatasetNotFoundError(f"{what} was not found at {expected}. {how}")


def read_image(path: Path) -> np.ndarray:
    """The RGB pixels (H, W, 3) uint8 of an image file; :class:`DatasetNotFoundError` when it does not decode."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DatasetNotFoundError(
            f"{path} is not a readable image ({error}); the download is corrupt, fetch it again"
        ) from None
