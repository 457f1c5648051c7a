"""Cost of one training iteration of Reg-GAN and MDGAN against the plain GAN, measured in the same run.

Reg-GAN adds an encoder pass, a second generator pass (G(E(x))) and a discriminator pass; MDGAN adds
the encoder and two discriminators (D1, D2) while dropping the main D. The ratio is the time per
iteration of the method divided by the plain GAN's, on the imbalanced ring with the chapter's MLPs.
"""

from __future__ import annotations

import time

import torch

from mcgan_lib.chapters.ch06_mode_regularized import METHODS, train_method
from mcgan_lib.data.toy import imbalanced_ring


def _seconds_per_step(method: str, steps: int, batch_size: int) -> float:
    trainer = train_method(method, imbalanced_ring(), seed=0, steps=5, batch_size=batch_size, hidden_dim=64)  # warm-up
    start = time.perf_counter()
    trainer.train(steps=steps)
    return (time.perf_counter() - start) / steps


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(1)
    steps, batch_size = (50, 128) if quick else (500, 256)
    timings = {method: _seconds_per_step(method, steps, batch_size) for method in METHODS}
    return [
        {
            "name": f"mode_regularized/{method}_step",
            "value": timings[method] * 1e3,
            "unit": "ms/iteration",
            "baseline": None if method == "gan" else "mode_regularized/gan_step",
            "ratio": None if method == "gan" else timings[method] / timings["gan"],
            "goal": None if method == "gan" else "ratio <= 3 (one encoder pass and two extra network passes)",
            "device": "cpu",
        }
        for method in METHODS
    ]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
