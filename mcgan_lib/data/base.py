"""The data interface of the training loop.

A :class:`DataSource` draws ``n`` real examples (and, for conditional tasks, their conditions) with a
``torch.Generator`` that the loop owns, so that a seed fixes the whole run and a checkpoint that stores
the generator's state resumes it exactly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from mcgan_lib.validation import check_int


@dataclass
class Batch:
    """Real examples ``real`` (B, ...) and, for a conditional task, their ``condition`` (B, C)."""

    real: torch.Tensor
    condition: torch.Tensor | None = None

    def to(self, device) -> Batch:
        return Batch(self.real.to(device), None if self.condition is None else self.condition.to(device))

    def __len__(self) -> int:
        return self.real.shape[0]


class DataSource(ABC):
    """Anything the loop can draw batches from.

    ``data_shape`` is the shape of one example; ``condition_dim`` is 0 for unconditional data.

    A source only samples; how a generator is scored on it is its evaluator's business
    (:func:`mcgan_lib.tasks.evaluate`). It states the facts a caller needs, so no caller branches on its
    type: ``coverage_metric`` names the column of its score that counts the modes captured by the
    published rule and ``strict_coverage_metric`` the one that counts them by the stricter rule,
    :attr:`full_coverage` is their best value, and :meth:`display_conditions` gives the conditions under
    which samples are shown and stored.
    """

    data_shape: tuple[int, ...]
    condition_dim: int = 0
    coverage_metric: str | None = None
    strict_coverage_metric: str | None = None

    @abstractmethod
    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        """Draw ``n`` examples with ``generator`` (the loop's seeded generator)."""

    def sample_condition(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Conditions for generated samples: by default those of a fresh real batch."""
        return self.sample_batch(n, generator).condition

    @property
    def full_coverage(self) -> int:
        """The best value of ``coverage_metric`` (every mode covered)."""
        raise ValueError(f"{type(self).__name__} defines no coverage metric")

    def display_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Conditions for ``n`` samples shown in a figure or stored with a result (None: unconditional)."""
        return self.sample_condition(n, generator) if self.condition_dim else None

    @property
    def data_dim(self) -> int:
        size = 1
        for s in self.data_shape:
            size *= s
        return size

    def spec(self) -> dict:
        """A description stored in checkpoints (primitive values only)."""
        return {"type": type(self).__name__, "data_shape": list(self.data_shape), "condition_dim": self.condition_dim}


class TensorDataSource(DataSource):
    """A finite data set held in memory: batches are drawn uniformly with replacement."""

    def __init__(self, real: torch.Tensor, condition: torch.Tensor | None = None, name: str = "tensor"):
        if not isinstance(real, torch.Tensor) or real.ndim < 2 or real.shape[0] == 0:
            raise ValueError(
                f"real must be a tensor of shape (N, ...) with N >= 1, got {getattr(real, 'shape', real)!r}"
            )
        if condition is not None and (condition.ndim != 2 or condition.shape[0] != real.shape[0]):
            raise ValueError(
                f"condition must have shape (N, C) with N={real.shape[0]} rows, got {tuple(condition.shape)}"
            )
        self.real = real
        self.condition = condition
        self.name = name
        self.data_shape = tuple(real.shape[1:])
        self.condition_dim = 0 if condition is None else condition.shape[1]

    def __len__(self) -> int:
        return self.real.shape[0]

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        n = check_int("n", n, minimum=1)
        index = torch.randint(len(self), (n,), generator=generator, device=generator.device if generator else "cpu")
        index = index.to(self.real.device)
        return Batch(self.real[index], None if self.condition is None else self.condition[index])
