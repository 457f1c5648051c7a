"""Claims as data: a chapter's sentence and the predicate over its stored results that makes it true.

A chapter prints each claim from the same object that ``tests/test_claims.py`` checks against the
stored full-mode results, with no training, so a sentence that stops being true fails ``make test``:

    Claim(
        "ring_collapse",
        "The plain GAN misses at least one ring mode (strict count) on {missing} of {seeds} seeds.",
        evidence=lambda read: {"missing": ..., "seeds": ...},     # numbers from stored tables
        holds=lambda e: e["missing"] == e["seeds"],
    )

``evidence`` receives ``read(name, chapter=None)``, which returns the stored full-mode table of sweep
``name`` of the claim's chapter (or of ``chapter``, for a claim about another chapter's runs) and raises
when none is stored; it returns the numbers the sentence quotes, so that no number in the prose is typed
by hand. ``holds`` is the predicate. The chapters declare their claims (:mod:`mcgan_lib.chapters`);
:mod:`mcgan_lib.store` reads the stored tables and evaluates them (:func:`mcgan_lib.store.print_claims`).
The helpers below compute the numbers that several chapters' sentences share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from mcgan_lib.methods import METHODS
from mcgan_lib.metrics.paired import paired_table


@dataclass(frozen=True)
class Claim:
    """One sentence of a chapter and the predicate over stored results that makes it true (module docstring)."""

    key: str
    text: str
    evidence: Callable[..., Mapping]
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


def evaluate_claim(claim: Claim, read: Callable[..., pd.DataFrame]) -> CheckedClaim:
    """``claim`` evaluated on the tables that ``read(name, chapter=None)`` returns (module docstring)."""
    values = dict(claim.evidence(read))
    return CheckedClaim(claim, values, bool(claim.holds(values)))


# ------------------------------------------------------------------------------ numbers the chapters share
def count_seeds(table: pd.DataFrame, predicate) -> int:
    """How many rows (seeds) of ``table`` satisfy ``predicate(table)`` (a boolean Series)."""
    return int(predicate(table).sum())


def methods_with(verdicts: pd.DataFrame, verdict: str) -> str:
    """The labels of the methods whose ``verdict`` column reads ``verdict``, joined ("none" when none)."""
    names = [METHODS[name].label for name in verdicts.index[verdicts.verdict == verdict]]
    return ", ".join(names) if names else "none"


def helps_and_hurts(verdicts: pd.DataFrame) -> dict[str, str]:
    """The methods that help and those that hurt in a :func:`~mcgan_lib.metrics.paired.paired_table`."""
    return {"helps": methods_with(verdicts, "helps"), "hurts": methods_with(verdicts, "hurts")}


def paired_row(tables: dict[str, pd.DataFrame], metric: str, name: str) -> dict:
    """Means, wins / losses, Wilcoxon p and verdict of ``name`` against the plain GAN (``tables["gan"]``)."""
    row = paired_table(pd.concat(tables.values(), ignore_index=True), metric).loc[name]
    return {
        "gan": float(tables["gan"][metric].mean()),
        name: float(tables[name][metric].mean()),
        "wins": row["wins / losses"],
        "p": row["Wilcoxon p"],
        "verdict": row["verdict"],
        "seeds": len(tables[name]),
    }


def paired_test(table: pd.DataFrame, method: str, metric: str) -> dict:
    """``method`` against the plain GAN on ``metric`` (paired seeds, Wilcoxon): verdict, p, wins, losses."""
    row = paired_table(table, metric).loc[method]
    wins, losses = (int(n) for n in row["wins / losses"].split(" / "))
    return {"verdict": row["verdict"], "p": float(row["Wilcoxon p"]), "wins": wins, "losses": losses}
