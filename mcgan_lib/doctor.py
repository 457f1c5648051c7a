"""``python -m mcgan_lib doctor``: what this installation has, and what to do about what it lacks.

Each check is one :class:`Finding`: a name, ``ok`` / ``missing`` / ``note``, what was found, and (when
something is missing) what to do. Nothing is downloaded and nothing is trained: the checks only look at
versions, files and folders, so the command answers in seconds, offline.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from mcgan_lib.config import DATA_ENV_VAR, cache_folder, data_root, quick_mode, resolve_device
from mcgan_lib.tasks import TASKS
from mcgan_lib.tasks.registry import CIFAR10

PACKAGES = (
    "torch",
    "numpy",
    "matplotlib",
    "pandas",
    "scikit-learn",
    "ipywidgets",
    "jupyterlab",
    "lpips",
    "pytorch-fid",
)
INCEPTION_WEIGHTS = "pt_inception-2015-12-05-6726825d.pth"  # pytorch-fid's FID Inception
# The data sets read under a data root: CIFAR-10 (a loader, no task) and those of the full-size tasks.
DATA_SETS = tuple(dict.fromkeys([CIFAR10, *(task.on_disk for task in TASKS.values() if task.on_disk)]))


@dataclass(frozen=True)
class Finding:
    name: str
    status: str  # "ok", "missing" or "note"
    found: str
    advice: str = ""


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def findings(data: Path | None = None) -> list[Finding]:
    """Every check, in the order printed (``data``: the data root, default :func:`data_root`)."""
    from mcgan_lib import __version__
    from mcgan_lib.sweeps import library_fingerprint, stored_results_dir

    data = Path(data) if data is not None else data_root()
    result = [Finding("mcgan_lib", "ok", f"{__version__} (source fingerprint {library_fingerprint()})")]
    result.append(Finding("python", "ok", f"{platform.python_version()} on {platform.system()} {platform.machine()}"))
    for package in PACKAGES:
        version = _version(package)
        result.append(
            Finding(package, "ok", version)
            if version
            else Finding(package, "missing", "not installed", f"pip install {package} (or: make setup)")
        )
    device = resolve_device("auto")
    if device.type == "cuda":
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        result.append(Finding("device", "ok", f"CUDA, {torch.cuda.device_count()} GPU(s): {names}"))
    else:
        result.append(
            Finding(
                "device",
                "note",
                f"CPU only ({os.cpu_count()} cores, torch {torch.get_num_threads()} threads)",
                "the chapters and the toys need no GPU; the full-size image tasks want one (CUDA)",
            )
        )
    result.append(
        Finding(
            "mode",
            "ok",
            "quick (MCGAN_QUICK=1: short runs, as in CI)"
            if quick_mode()
            else "full (the committed chapters' settings)",
        )
    )
    cache = cache_folder()
    result.append(
        Finding("cache folder", "ok", str(cache))
        if _writable(cache)
        else Finding("cache folder", "missing", f"{cache} is not writable", "set MCGAN_CACHE_DIR to a writable folder")
    )
    stored = stored_results_dir()
    manifests = sorted(stored.glob("*.json"))
    size = sum(path.stat().st_size for path in stored.glob("*") if path.is_file())
    result.append(
        Finding("stored results", "ok", f"{stored}: {len(manifests)} results, {size / 1e6:.1f} MB")
        if manifests
        else Finding(
            "stored results",
            "missing",
            f"{stored}: none",
            "the chapters train in their place (slow in full mode); python -m mcgan_lib prebuild --full writes them",
        )
    )
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    inception = hub / INCEPTION_WEIGHTS
    result.append(
        Finding("FID Inception weights", "ok", str(inception))
        if inception.exists()
        else Finding(
            "FID Inception weights",
            "missing",
            f"not in {hub}",
            "FID/IS use the labelled offline features (not comparable with the papers); pytorch-fid downloads the "
            "weights at first use when online, or place the file there",
        )
    )
    alexnet = sorted(hub.glob("alexnet-*.pth"))
    result.append(
        Finding("LPIPS AlexNet weights", "ok", str(alexnet[0]))
        if alexnet
        else Finding(
            "LPIPS AlexNet weights",
            "missing",
            f"not in {hub}",
            "LPIPS falls back to a labelled random backbone (uncalibrated); torchvision downloads the weights at "
            "first use when online",
        )
    )
    for data_set in DATA_SETS:
        path = data / data_set.folder
        result.append(
            Finding(data_set.name, "ok", str(path))
            if path.is_dir()
            else Finding(
                data_set.name,
                "missing",
                f"not in {data} ({DATA_ENV_VAR})",
                f"the image chapters use their offline sets instead (labelled); to add it: {data_set.how}",
            )
        )
    return result


def report(items: list[Finding]) -> str:
    """The findings as aligned text lines, with the advice under each missing item."""
    width = max(len(item.name) for item in items)
    lines = []
    for item in items:
        mark = {"ok": "ok     ", "missing": "MISSING", "note": "note   "}[item.status]
        lines.append(f"{mark}  {item.name:<{width}}  {item.found}")
        if item.advice:
            lines.append(f"{'':9}{'':<{width}}  -> {item.advice}")
    missing = sum(item.status == "missing" for item in items)
    lines.append(f"{missing} missing" if missing else "everything the chapters and the image tasks use is present")
    return "\n".join(lines)
