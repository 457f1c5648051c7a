"""Atomic, validated checkpoints.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then renamed over the
target (``os.replace`` is atomic on POSIX and Windows), so a crash mid-write never leaves a half-written
file where the last good checkpoint was. Checkpoints hold only tensors and primitive values and are read
with ``torch.load(..., weights_only=True)``: loading one never runs code from the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

CHECKPOINT_FORMAT = "mcgan-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or belongs to another model or configuration."""


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; a folder means ``folder/checkpoint.pt``."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path} (expected a file written by mcgan_lib)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged or foreign file
        raise CheckpointError(
            f"checkpoint {path} is corrupt or is not an mcgan_lib checkpoint ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {path} is not an mcgan_lib checkpoint (no '{CHECKPOINT_FORMAT}' header)")
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {state.get('version')}, this library reads version {CHECKPOINT_VERSION}"
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
