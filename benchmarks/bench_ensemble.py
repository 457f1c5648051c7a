"""Batched ensembles: E toy GANs trained as one model against E single runs one after another.

Setup: chapter 01's networks and batch (``PLAIN_GAN_SETUP``), the plain GAN, 2 CPU threads (the
issue's setting; CI machines have 2 cores). The baseline is E sequential :class:`Trainer` runs of the
same steps; as every single run does the same work, it is timed on 3 seeds and its median is
multiplied by E. Goal: at least 8x at E = 16. On a GPU (when one is present) the same comparison is
repeated there.

The second measurement is the time to build every precomputed sweep that the chapters read, from an
empty cache, in quick mode (the CI set; see :data:`mcgan_lib.experiments.chapter_sweeps.CHAPTER_SWEEPS`).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import torch

from mcgan_lib.data.toy import ring
from mcgan_lib.ensemble import EnsembleTrainer, Member
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.training import Trainer


def _single_seconds(data, steps: int, device: str) -> float:
    times = []
    for seed in range(3):
        generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed)
        config = PLAIN_GAN_SETUP.train_config(seed, steps=steps, device=device, log_every=50)
        trainer = Trainer(data, generator, discriminator, config)
        trainer.train(steps=3)  # warm-up
        _sync(device)
        start = time.perf_counter()
        trainer.train(steps=steps)
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ensemble_seconds(data, size: int, steps: int, device: str) -> float:
    members = []
    for seed in range(size):
        generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed)
        members.append(Member(generator, discriminator, PLAIN_GAN_SETUP.train_config(seed, steps=steps, device=device, log_every=50)))
    ensemble = EnsembleTrainer(data, members)
    ensemble.train(steps=3)
    _sync(device)
    start = time.perf_counter()
    ensemble.train(steps=steps)
    _sync(device)
    return time.perf_counter() - start


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _speedups(quick: bool) -> list[dict]:
    data = ring()
    steps = 40 if quick else 300
    sizes = (4, 16) if quick else (4, 16, 64)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        single = _single_seconds(data, steps, device)
        name = f"cpu ({torch.get_num_threads()} threads)" if device == "cpu" else torch.cuda.get_device_name(0)
        for size in sizes:
            batched = _ensemble_seconds(data, size, steps, device)
            ratio = size * single / batched
            rows.append({
                "name": f"ensemble speed-up, E={size} ({steps} steps)", "value": ratio, "unit": "x",
                "baseline": f"{size} sequential Trainer runs ({size * single:.2f} s)", "ratio": ratio,
                "goal": ">= 8" if size == 16 else None, "device": name,
                "ensemble_seconds": batched, "single_run_seconds": single,
            })
    return rows


def _chapter_sweeps_seconds() -> list[dict]:
    from mcgan_lib.experiments.chapter_sweeps import build_all

    saved = {key: os.environ.get(key) for key in ("MCGAN_QUICK", "MCGAN_CACHE_DIR")}
    with tempfile.TemporaryDirectory() as cache:
        os.environ.update(MCGAN_QUICK="1", MCGAN_CACHE_DIR=cache)
        try:
            start = time.perf_counter()
            counts = build_all()
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            build_all()
            cached = time.perf_counter() - start
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    members = sum(counts.values())
    return [
        {"name": f"build every chapter sweep, empty cache (quick mode, {len(counts)} sweeps, {members} members)",
         "value": seconds, "unit": "s", "baseline": None, "ratio": None, "goal": None,
         "device": f"cpu ({torch.get_num_threads()} threads)"},
        {"name": "read every chapter sweep back from the cache", "value": cached, "unit": "s",
         "baseline": "empty cache", "ratio": cached / seconds, "goal": None,
         "device": f"cpu ({torch.get_num_threads()} threads)"},
    ]


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(2)
    return _speedups(quick) + _chapter_sweeps_seconds()
