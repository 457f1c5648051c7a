"""Run-time settings read from the environment.

Quick mode (``MCGAN_QUICK=1``, set by CI) shrinks step and sample counts so that every chapter runs
in a few minutes on two CPU cores, while still showing the chapter's point. Read it through
:func:`quick_mode` at call time, never at import time, so a notebook can flip it. The folders the
library reads and writes (:func:`cache_folder`, :func:`data_root`) are read from the environment too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import torch

QUICK_ENV_VAR = "MCGAN_QUICK"
CACHE_ENV_VAR = "MCGAN_CACHE_DIR"
DATA_ENV_VAR = "MCGAN_DATA_DIR"


def quick_mode() -> bool:
    """True when ``MCGAN_QUICK`` is set to 1/true/yes (case-insensitive)."""
    return os.environ.get(QUICK_ENV_VAR, "0").strip().lower() in {"1", "true", "yes", "on"}


def choose(full, quick):
    """Return ``quick`` in quick mode, ``full`` otherwise (for step counts, seeds, sample sizes)."""
    return quick if quick_mode() else full


@contextlib.contextmanager
def mode(quick: bool):
    """Run the block in quick (``True``) or full (``False``) mode, restoring ``MCGAN_QUICK`` afterwards:
    how a claim reads the full-mode stored results from a test that runs in quick mode."""
    previous = os.environ.get(QUICK_ENV_VAR)
    os.environ[QUICK_ENV_VAR] = "1" if quick else "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(QUICK_ENV_VAR, None)
        else:
            os.environ[QUICK_ENV_VAR] = previous


def cache_folder() -> Path:
    """The library's cache (sweeps, the digits classifier, checksum manifests): ``$MCGAN_CACHE_DIR`` or
    ``~/.cache/mcgan`` (read at call time)."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "mcgan")


def data_root() -> Path:
    """Where the full-size image data sets are read from by default: ``$MCGAN_DATA_DIR`` or ``~/data``."""
    return Path(os.environ.get(DATA_ENV_VAR) or Path.home() / "data")


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (or None) gives CUDA when available, else the CPU; anything else is passed to torch."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but no CUDA GPU is available; use 'cpu' or 'auto'")
    return resolved


def describe_environment() -> dict:
    """Versions, device and quick mode, as printed by chapter 00."""
    import matplotlib
    import numpy

    from mcgan_lib import __version__

    return {
        "mcgan_lib": __version__,
        "torch": torch.__version__.split("+")[0],
        "numpy": numpy.__version__,
        "matplotlib": matplotlib.__version__,
        "device": str(resolve_device("auto")),
        "quick_mode": quick_mode(),
    }
