"""Claims as data: a chapter's sentence and the predicate over its stored results that makes it true.

A chapter prints each claim from the same object that ``tests/test_claims.py`` checks against the
stored full-mode results, with no training, so a sentence that stops being true fails ``make test``:

    Claim(
        "ring_collapse",
        "The plain GAN misses at least one ring mode (strict count) on {missing} of {seeds} seeds.",
        evidence=lambda read: {"missing": ..., "seeds": ...},     # numbers from stored tables
        holds=lambda e: e["missing"] == e["seeds"],
    )

``evidence`` receives ``read(name)``, which returns the chapter's stored full-mode table of sweep
``name`` (:func:`stored_chapter_table`) and raises when none is stored; it returns the numbers the
sentence quotes, so that no number in the prose is typed by hand. ``holds`` is the predicate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from mcgan_lib.config import mode
from mcgan_lib.experiments.chapter_sweeps import chapter_sweep
from mcgan_lib.sweeps import plan_sweep, stored_description
from mcgan_lib.tables import read_table
from mcgan_lib.validation import check_choice


class MissingStoredResult(LookupError):
    """A claim asked for a stored result that is not there (run ``python -m mcgan_lib prebuild --full``)."""


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


@dataclass(frozen=True)
class Claim:
    """One sentence of a chapter and the predicate over stored results that makes it true (module docstring)."""

    key: str
    text: str
    evidence: Callable[[Callable[[str], pd.DataFrame]], Mapping]
    holds: Callable[[Mapping], bool]


@dataclass(frozen=True)
class CheckedClaim:
    """A claim evaluated on the stored results: its numbers, whether it holds, and its sentence."""

    claim: Claim
    values: Mapping
    holds: bool

    @property
    def sentence(self) -> str:
        return self.claim.text.format(**self.values)

    def __str__(self) -> str:
        return self.sentence if self.holds else f"[FALSE] {self.sentence}"


def check_claim(claim: Claim, chapter: str) -> CheckedClaim:
    """Evaluate ``claim`` on ``chapter``'s stored results (no training)."""
    values = dict(claim.evidence(functools.partial(stored_chapter_table, chapter)))
    return CheckedClaim(claim, values, bool(claim.holds(values)))


def check_claims(claims: Mapping[str, tuple[Claim, ...]], chapter: str) -> list[CheckedClaim]:
    """Every claim of ``chapter`` in ``claims`` (chapter -> claims), evaluated."""
    check_choice("chapter", chapter, claims)
    return [check_claim(claim, chapter) for claim in claims[chapter]]


def print_claims(claims: Mapping[str, tuple[Claim, ...]], chapter: str, keys=None) -> None:
    """Print the chapter's claims (or those named in ``keys``), each marked FALSE where it does not hold."""
    for checked in check_claims(claims, chapter):
        if keys is None or checked.claim.key in keys:
            print(f"- {checked}")
