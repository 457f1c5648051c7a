"""Shared test settings: small thread count (CI has 2 cores) and quick mode for anything that reads it."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch

os.environ.setdefault("MCGAN_QUICK", "1")
torch.set_num_threads(1)


@pytest.fixture
def cpu_rng():
    """A seeded CPU generator for tests that draw random numbers."""
    return torch.Generator().manual_seed(0)
