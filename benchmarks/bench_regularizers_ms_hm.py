"""Cost of the MSGAN and HMGAN regularizers, and of the chunked ERE lower bounds.

1. Generator step: the time of one :class:`Trainer` generator step with each regularizer, as a ratio
   to the plain step (same networks, chapter 01's setup, batch 256). Goal from the issue: MS <= 1.3x,
   HM <= 1.4x, by running both latents of a pair through G (and D) in one concatenated forward.
   Both regularizers draw two latents per condition, so they push twice as many samples through G and
   D as the plain step; a second row per regularizer reports the ratio to a plain step with batch 512
   (the same number of samples), i.e. the cost of the term itself.
   Why 1.3x and 1.4x cannot be met once the step is compute-bound: a plain step of B rows costs
   ``o + c`` (a fixed overhead o: dispatch, optimiser; and the matmuls c, proportional to rows); MS
   and HM push 2B rows through G and D, so they cost at least ``o + 2c`` and their ratio is at least
   ``1 + c / (o + c)``, the ratio of a plain batch-512 step to a plain batch-256 step. The row
   ``generator_step_plain_batch512`` prints that floor: MS <= 1.3x needs the matmuls to be at most
   30 % of the plain step (HM <= 1.4x: 40 %, less its own term). The faster the matmuls run relative
   to the overhead, the lower the floor, so the goal is a statement about overhead, not about MS.
2. ``ere_lower_bounds`` on m inputs (m = 10,000; 2,000 in quick mode) against the naive double loop
   over pairs on m = 500 (150 in quick mode): reported as seconds per pair and their ratio.

Timings alternate between the settings and take the median of several repeats, so a noisy neighbour
on a shared machine hits all of them alike.
"""

from __future__ import annotations

import statistics
import time

import torch

from mcgan_lib.data.toy import ring
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.regularizers.hierarchical import (
    HierarchicalModeRegularizer,
    ere_lower_bounds,
    ere_lower_bounds_naive,
    generator_features,
)
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.training import Trainer

DEVICE = "cpu"


def _trainer(regularizer, batch_size: int) -> Trainer:
    data = ring()
    config = PLAIN_GAN_SETUP.train_config(seed=0, steps=0, batch_size=batch_size, log_every=1000)
    generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed=0)
    return Trainer(data, generator, discriminator, config, regularizer=regularizer)


def _generator_step_seconds(trainer: Trainer, steps: int) -> float:
    for _ in range(3):  # warm-up
        trainer._generator_step()
    start = time.perf_counter()
    for _ in range(steps):
        trainer._generator_step()
    return (time.perf_counter() - start) / steps


def _generator_step_rows(quick: bool) -> list[dict]:
    steps, repeats = (30, 3) if quick else (200, 7)
    settings = {
        "plain": lambda: _trainer(None, 256),
        "plain_batch512": lambda: _trainer(None, 512),
        "mode_seeking": lambda: _trainer(ModeSeekingRegularizer(1.0), 256),
        "hierarchical_modes": lambda: _trainer(HierarchicalModeRegularizer(1.0, ere=0.0), 256),
    }
    times = {name: [] for name in settings}
    for _ in range(repeats):
        for name, make in settings.items():
            times[name].append(_generator_step_seconds(make(), steps))
    median = {name: statistics.median(values) for name, values in times.items()}
    rows = [
        {
            "name": "generator_step_plain",
            "value": median["plain"] * 1e3,
            "unit": "ms",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": DEVICE,
        }
    ]
    rows.append(
        {
            "name": "generator_step_plain_batch512",
            "value": median["plain_batch512"] * 1e3,
            "unit": "ms",
            "baseline": "plain generator step, batch 256",
            "ratio": median["plain_batch512"] / median["plain"],
            "goal": "floor of the MS and HM ratios (2B rows)",
            "device": DEVICE,
        }
    )
    for name, goal in (("mode_seeking", 1.3), ("hierarchical_modes", 1.4)):
        rows.append(
            {
                "name": f"generator_step_{name}",
                "value": median[name] * 1e3,
                "unit": "ms",
                "baseline": "plain generator step, batch 256",
                "ratio": median[name] / median["plain"],
                "goal": f"ratio <= {goal}",
                "device": DEVICE,
            }
        )
        rows.append(
            {
                "name": f"generator_step_{name}_vs_same_samples",
                "value": median[name] * 1e3,
                "unit": "ms",
                "baseline": "plain generator step, batch 512 (same sample count)",
                "ratio": median[name] / median["plain_batch512"],
                "goal": None,
                "device": DEVICE,
            }
        )
    return rows


def _bounds_rows(quick: bool) -> list[dict]:
    m_fast, m_naive = (2000, 150) if quick else (10_000, 500)
    generator, _ = PLAIN_GAN_SETUP.networks(ring(), seed=0)
    features = generator_features(generator, m_fast, seed=0)
    start = time.perf_counter()
    ere_lower_bounds(features, chunk_size=1024)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    ere_lower_bounds_naive([f[:m_naive] for f in features])
    naive = time.perf_counter() - start
    fast_per_pair = fast / (m_fast * (m_fast - 1) / 2)
    naive_per_pair = naive / (m_naive * (m_naive - 1) / 2)
    return [
        {
            "name": f"ere_lower_bounds_m{m_fast}",
            "value": fast,
            "unit": "s",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": DEVICE,
        },
        {
            "name": f"ere_lower_bounds_per_pair_m{m_fast}_vs_naive_m{m_naive}",
            "value": fast_per_pair * 1e9,
            "unit": "ns/pair",
            "baseline": f"naive double loop over pairs, m={m_naive}",
            "ratio": naive_per_pair / fast_per_pair,
            "goal": "speed-up per pair (higher is better)",
            "device": DEVICE,
        },
    ]


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(1)
    return _generator_step_rows(quick) + _bounds_rows(quick)


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
