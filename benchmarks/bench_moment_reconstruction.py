"""Benchmark: one MR-GAN generator step (K = 10) with the K samples drawn in one batched forward pass
(K·B rows, as :class:`mcgan_lib.training.Trainer` does for ``latent_copies``) against a loop that
runs G (and D) K times on B rows, as Algorithms 1-8 are written ("for i = 1 to K").

Goal: the batched form at least 3x faster on the toy MLP.

Arithmetic: both forms do the same matmuls (K·B rows through G and D, forward and backward); the loop
only pays the fixed cost of a pass (dispatch, small-matrix inefficiency) K times. With o that fixed
cost per pass and c the matmul time of one pass of B rows, batched = o + K·c and loop = K·(o + c), so

    speed-up r = K(o + c) / (o + K·c),   i.e.   o / c = K(r - 1) / (K - r).

r >= 3 at K = 10 needs o / c >= 20/7 = 2.86: the fixed cost of a B = 64 pass must be ~3x its matmul
time. The row ``mr_overhead_to_compute`` prints the o / c this machine implies; below 2.86 the goal is
out of reach for any implementation whose batched step is compute-bound (the closer the matmuls get
to the peak, the lower c and the higher r).
"""

from __future__ import annotations

import time

import torch

from mcgan_lib.losses import generator_loss
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator
from mcgan_lib.regularizers.moment_reconstruction import mr_loss

SAMPLES_PER_INPUT = 10
BATCH_SIZE = 64
GOAL = ">= 3x faster than the loop"


def _generator_step(generator, discriminator, optimizer, z, target, batched: bool) -> None:
    """One generator update with the Gaussian MR2 loss; ``z`` is (K, B, latent_dim)."""
    K, B = z.shape[:2]
    if batched:
        fake = generator(z.reshape(K * B, -1))
        logits = discriminator(fake)
        samples = fake.reshape(K, B, -1)
    else:
        outputs = [generator(z[k]) for k in range(K)]
        logits = torch.cat([discriminator(out) for out in outputs])
        samples = torch.stack(outputs)
    loss = generator_loss(logits) + 10.0 * mr_loss(samples, target, "gaussian", 2)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _time_steps(batched: bool, repeats: int, device: torch.device) -> float:
    generator = MLPGenerator(hidden_dim=128, depth=2, seed=0).to(device)
    discriminator = MLPDiscriminator(hidden_dim=128, depth=2, seed=1).to(device)
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4)
    rng = torch.Generator().manual_seed(0)
    z = torch.randn(SAMPLES_PER_INPUT, BATCH_SIZE, 2, generator=rng).to(device)
    target = torch.randn(BATCH_SIZE, 2, generator=rng).to(device)
    for _ in range(5):  # warm-up
        _generator_step(generator, discriminator, optimizer, z, target, batched)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        _generator_step(generator, discriminator, optimizer, z, target, batched)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def run(quick: bool) -> list[dict]:
    """Seconds per generator step, batched and looped, and the speed-up ratio (loop / batched)."""
    device = torch.device("cpu")
    repeats = 30 if quick else 300
    rounds = 3 if quick else 5
    # interleave the two forms and keep each one's best round, so a busy machine hurts both alike
    batched_rounds, looped_rounds = [], []
    for _ in range(rounds):
        batched_rounds.append(_time_steps(True, repeats, device))
        looped_rounds.append(_time_steps(False, repeats, device))
    batched, looped = min(batched_rounds), min(looped_rounds)
    label = f"toy MLP 2x128, B={BATCH_SIZE}, K={SAMPLES_PER_INPUT}, torch threads={torch.get_num_threads()}"
    return [
        {
            "name": f"mr_generator_step_batched ({label})",
            "value": batched * 1e3,
            "unit": "ms/step",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": str(device),
        },
        {
            "name": f"mr_generator_step_loop ({label})",
            "value": looped * 1e3,
            "unit": "ms/step",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": str(device),
        },
        {
            "name": "mr_generator_step_speedup",
            "value": looped / batched,
            "unit": "x",
            "baseline": "mr_generator_step_loop (G and D run K times, same run)",
            "ratio": looped / batched,
            "goal": GOAL,
            "device": str(device),
        },
        {
            "name": "mr_overhead_to_compute",
            "value": _overhead_to_compute(looped / batched),
            "unit": "o/c",
            "baseline": None,
            "ratio": None,
            "goal": ">= 2.86 for a 3x speed-up (see the docstring)",
            "device": str(device),
        },
    ]


def _overhead_to_compute(speedup: float, k: int = SAMPLES_PER_INPUT) -> float:
    """o / c implied by the measured speed-up r: K(r - 1) / (K - r)."""
    return k * (speedup - 1) / (k - speedup) if speedup < k else float("inf")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for row in run(quick=True):
        print(row)
