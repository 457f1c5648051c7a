"""The chapters' stored results: building them, reading them, and checking the chapters' claims against them.

``python -m mcgan_lib prebuild`` runs every sweep the chapters declare (:mod:`mcgan_lib.chapters`) with
:func:`build_all`, so that every slider answers at once; ``prebuild --full`` trains the full-mode sweeps
and writes each table, with its :func:`provenance`, into the stored results
(:func:`mcgan_lib.sweeps.stored_results_dir`) that the committed chapters show. A stored table is found by
the description of its sweep (:func:`mcgan_lib.sweeps.plan_sweep`), whichever chapter asks for it.
:func:`stored_chapter_table` reads one back whatever the current mode, and :func:`print_claims` prints a
chapter's claims (:mod:`mcgan_lib.claims`) evaluated on those tables, with no training.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from mcgan_lib.chapters import CHAPTERS, chapter_sweep, chapter_sweeps
from mcgan_lib.claims import CheckedClaim, Claim, evaluate_claim
from mcgan_lib.config import mode
from mcgan_lib.sweeps import library_fingerprint, plan_sweep, stored_description, stored_stem, sweep
from mcgan_lib.tables import read_table, write_table
from mcgan_lib.validation import check_choice


class MissingStoredResult(LookupError):
    """A claim asked for a stored result that is not there (run ``python -m mcgan_lib prebuild --full``)."""


# ---------------------------------------------------------------------------------------------- reading
@functools.lru_cache(maxsize=256)
def _stored_table(chapter: str, name: str) -> pd.DataFrame:
    with mode(quick=False):
        plan = plan_sweep(**chapter_sweep(chapter, name))
    table = read_table(plan.stored_stem, stored_description(plan.description))
    if table is None:
        raise MissingStoredResult(
            f"no stored full-mode result for {chapter}/{name}; run "
            f"`python -m mcgan_lib prebuild --full --chapter {chapter} --sweep {name}`"
        )
    return table


def stored_chapter_table(chapter: str, name: str) -> pd.DataFrame:
    """The stored full-mode table of sweep ``name`` of ``chapter`` (a copy), read whatever the current mode."""
    return _stored_table(chapter, name).copy()


def chapter_reader(chapter: str):
    """``read(name, chapter=None)`` for a claim of ``chapter``: :func:`stored_chapter_table` of that chapter's
    sweep ``name``, or of another chapter's when ``chapter`` is given."""

    def read(name: str, chapter: str = chapter) -> pd.DataFrame:
        return stored_chapter_table(chapter, name)

    return read


# ----------------------------------------------------------------------------------------------- claims
def check_claim(claim: Claim, chapter: str) -> CheckedClaim:
    """Evaluate ``claim`` on ``chapter``'s stored results (no training)."""
    return evaluate_claim(claim, chapter_reader(chapter))


def check_claims(claims: Mapping[str, tuple[Claim, ...]], chapter: str) -> list[CheckedClaim]:
    """Every claim of ``chapter`` in ``claims`` (chapter -> claims, as :data:`mcgan_lib.chapters.CHAPTER_CLAIMS`),
    evaluated."""
    check_choice("chapter", chapter, claims)
    return [check_claim(claim, chapter) for claim in claims[chapter]]


def print_claims(claims: Mapping[str, tuple[Claim, ...]], chapter: str, keys=None) -> None:
    """Print the chapter's claims (or those named in ``keys``), each marked FALSE where it does not hold."""
    for checked in check_claims(claims, chapter):
        if keys is None or checked.claim.key in keys:
            print(f"- {checked}")


# ---------------------------------------------------------------------------------------------- building
def describe(arguments: dict) -> str:
    """A one-line ``sweep(...)`` call for a chapter to print what it trains."""
    shown = {k: v for k, v in arguments.items() if k not in {"task", "method", "setup"}}
    setup = ", setup=<chapter setup>" if "setup" in arguments else ""
    rest = "".join(f", {k}={v!r}" for k, v in shown.items())
    return f"sweep({arguments['task']!r}, {arguments['method']!r}{rest}{setup})"


def provenance(chapter: str, name: str, table, wall_seconds: float) -> dict:
    """How a stored result was made: the chapter and sweep, the commit (``+dirty`` when the working tree
    differed from it), the command, the library fingerprint, the machine and the training time."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    return {
        "chapter": chapter,
        "sweep": name,
        "commit": commit,
        "command": " ".join(sys.argv) or "python",
        "library": library_fingerprint(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads",
        "members": len(table),
        "member_train_seconds": float(table.train_seconds.sum()),
        "wall_seconds": round(wall_seconds, 1),
        "source": table.attrs.get("source"),
    }


def build_all(
    chapters=None, progress: bool = False, store: bool = False, patterns=None, rebuild: bool = False
) -> dict[str, int]:
    """Run (or read from the stored results or the cache) every sweep of ``chapters`` (default: all)
    whose name matches one of the shell ``patterns`` (default: every sweep); returns members per sweep.

    ``store=True`` (``prebuild --full``) trains what neither the stored results nor the cache hold and
    writes each new table into the stored results (:func:`mcgan_lib.sweeps.stored_results_dir`) with its
    :func:`provenance`; a sweep whose stored result already matches its configuration is kept, so an
    interrupted build resumes. ``rebuild=True`` retrains and rewrites those too (after a change to the
    library that changes results without changing any configuration).
    """
    counts = {}
    for chapter in chapters or CHAPTERS:
        for name, arguments in chapter_sweeps(chapter).items():
            if patterns and not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                continue
            began = time.perf_counter()
            table = sweep(**arguments, stored=not rebuild, progress=progress)
            counts[f"{chapter}/{name}"] = len(table)
            if store and table.attrs["source"] != "stored":
                description = table.attrs["description"]
                write_table(
                    table.drop(columns="generator", errors="ignore"),
                    stored_stem(arguments["method"], description),
                    stored_description(description),
                    provenance(chapter, name, table, time.perf_counter() - began),
                )
    return counts
