"""Data sources. Every source hands the training loop a :class:`Batch` drawn with a seeded generator."""

from mcgan_lib.data.base import Batch, DataSource, TensorDataSource
from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.toy import GaussianMixture, grid, imbalanced_ring, ring

__all__ = [
    "Batch",
    "DataSource",
    "TensorDataSource",
    "GaussianMixture",
    "ring",
    "grid",
    "imbalanced_ring",
    "BranchingConditional",
]
