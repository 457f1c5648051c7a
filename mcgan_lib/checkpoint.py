"""Atomic, validated checkpoints.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then renamed over the
target (``os.replace`` is atomic on POSIX and Windows), so a crash mid-write never leaves a half-written
file where the last good checkpoint was. Checkpoints hold only tensors and primitive values and are read
with ``torch.load(..., weights_only=True)``: loading one never runs code from the file.

The file is a one-line JSON header followed by the payload (the bytes ``torch.save`` writes). The header
holds the format, its version, the payload's length and its SHA-256; :func:`load_checkpoint` checks the
digest before reading the payload, so a file with any byte changed (a bad disk, a truncated copy, a
hand-edited weight) is refused with :class:`CheckpointError` instead of loading silently wrong weights.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import torch

CHECKPOINT_FORMAT = "mcgan-checkpoint"
CHECKPOINT_VERSION = 2  # 2: a JSON header with the SHA-256 of the payload
CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or belongs to another model or configuration."""


HEADER_PREFIX = b"MCGAN-CHECKPOINT "


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename), with the SHA-256 of its payload."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}, buffer)
    payload = buffer.getvalue()
    header = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "payload_bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(HEADER_PREFIX + json.dumps(header, sort_keys=True).encode() + b"\n")
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    _fsync_folder(path.parent)
    return path


def _read_verified_payload(path: Path) -> bytes | None:
    """The payload of ``path`` after checking its header and SHA-256 (else :class:`CheckpointError`); None
    when the file has no checkpoint header at all."""
    with open(path, "rb") as handle:
        first_line = handle.readline(4096)
        if not first_line.startswith(HEADER_PREFIX):
            return None
        try:
            header = json.loads(first_line[len(HEADER_PREFIX) :])
            expected_size, expected_digest = int(header["payload_bytes"]), str(header["sha256"])
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"checkpoint {path} is corrupt: its header is unreadable") from None
        if header.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint {path} is not an mcgan_lib checkpoint (no '{CHECKPOINT_FORMAT}' header)")
        if header.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"checkpoint {path} has format version {header.get('version')}, "
                f"this library reads version {CHECKPOINT_VERSION}"
            )
        payload = handle.read()
    if len(payload) != expected_size:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: its payload has {len(payload)} bytes, its header says {expected_size} "
            "(a truncated or partial copy)"
        )
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected_digest:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: the SHA-256 of its contents is {actual}, but it was saved with "
            f"{expected_digest}; the file changed after it was written (disk error or an edit), so its weights "
            "cannot be trusted"
        )
    return payload


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; a folder means ``folder/checkpoint.pt``."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path} (expected a file written by mcgan_lib)")
    try:
        payload = _read_verified_payload(path)
    except OSError as error:
        raise CheckpointError(f"checkpoint {path} cannot be read ({error.strerror or error})") from None
    source = path if payload is None else io.BytesIO(payload)
    try:
        state = torch.load(source, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged or foreign file
        raise CheckpointError(
            f"checkpoint {path} is corrupt or is not an mcgan_lib checkpoint ({type(error).__name__}: {error})"
        ) from None
    if payload is None and isinstance(state, dict) and state.get("format") == CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path} was written by an older mcgan_lib (format version {state.get('version')}, without a "
            f"SHA-256 digest), so its contents cannot be verified; this library reads version {CHECKPOINT_VERSION}: "
            "train the run again"
        )
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {path} is not an mcgan_lib checkpoint (no '{CHECKPOINT_FORMAT}' header)")
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {state.get('version')}, "
            f"this library reads version {CHECKPOINT_VERSION}"
        )
    return state


def describe_differences(saved: dict, current: dict, what: str, ignore=()) -> list[str]:
    """Lines naming each key whose value differs between a saved and a current description."""
    lines = []
    for key in sorted(set(saved) | set(current)):
        if key in ignore:
            continue
        if saved.get(key) != current.get(key):
            lines.append(f"{what}.{key}: checkpoint has {saved.get(key)!r}, current has {current.get(key)!r}")
    return lines
