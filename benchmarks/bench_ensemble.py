"""Batched ensembles: how close E toy GANs trained as one model come to the machine's matmul peak.

Setup: chapter 01's networks and batch (``PLAIN_GAN_SETUP``: G 16-64-64-2, D 2-64-64-1, ReLU,
B = 256, one D step per G step), the plain GAN, 2 CPU threads (CI machines have 2 cores). Rows:

1. **Peak**: a 2048 x 2048 fp32 matmul (sgemm), median GFLOP/s of several.
2. **FLOPs per member-step** (one D step and one G step of one member), counting the matmuls only.
   With per-row multiply-adds ``g = Σ in·out`` over G's layers, ``d`` over D's, and ``g'``, ``d'``
   the same without the first layer (whose input gradient nobody needs):

       FLOPs = 2·B·(3g + g' + 6d + 2d')

   D step: G forward (g), D forward on real and fake (2d), their weight gradients (2d) and input
   gradients below the first layer (2d'). G step: G forward (g), D forward (d) and D's input
   gradients (d; D's weight gradients are not computed), G's weight (g) and input gradients (g').
   Chapter 01: g = 5,248, g' = 4,224, d = 4,288, d' = 4,160, so 27.7 MFLOP per member-step.
3. **Ensemble** at E = 4, 16, 64 (and up to 1,024 on a GPU): member-steps/s, the FLOP rate it implies
   and its fraction of the peak; the speed-up over E sequential :class:`Trainer` runs (their time
   is the median of 3 seeds, times E). Goals: E = 64 at >= 60 % of the peak, E = 16 >= 5x.
4. **torch.compile** of the member objective (``EnsembleTrainer(compile=True)``): compile time and
   speed against eager at E = 16 (full mode only).
5. **Chapter 07's full-mode sweeps** (what ``python -m mcgan_lib prebuild`` trains in full mode for
   that chapter), *estimated*: every sweep is run, uncached and with its real members, evaluation and
   predictor fits, at two short step counts; the difference gives its cost per step, the rest its
   fixed cost, and the estimate is Σ fixed + per-step × full steps. Every second sweep (every eighth
   in quick mode) is sampled and the sum scaled up.

Timings alternate settings and take medians, since the machine may be shared: the ratios (same run)
are the numbers to compare, the absolute rates move with the neighbours. On a 2-core machine that
other processes also load, 2 OpenMP threads wait on each other and every rate collapses (seen: the
single step 14x slower than alone, 6x slower than with 1 thread); ``MCGAN_BENCH_THREADS=1`` then gives
the steadier picture.
"""

from __future__ import annotations

import os
import statistics
import time

import torch

from mcgan_lib.data.toy import ring
from mcgan_lib.ensemble import EnsembleTrainer, Member
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.training import Trainer

THREADS = int(os.environ.get("MCGAN_BENCH_THREADS", "2"))  # the goals are stated for 2 threads


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _device_name(device: str) -> str:
    return f"cpu ({torch.get_num_threads()} threads)" if device == "cpu" else torch.cuda.get_device_name(0)


def sgemm_gflops(device: str, n: int = 2048, repeats: int = 7) -> float:
    """Median GFLOP/s of an n x n fp32 matmul."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(2):
        a @ b
    rates = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        rates.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def _macs(net: torch.nn.Module) -> tuple[int, int]:
    """Multiply-adds per row of ``net``'s Linear layers, with and without the first one."""
    layers = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    per_layer = [m.in_features * m.out_features for m in layers]
    return sum(per_layer), sum(per_layer[1:])


def member_step_flops(data=None, setup=PLAIN_GAN_SETUP) -> int:
    """Matmul FLOPs of one D step and one G step of one member (formula in the module docstring)."""
    data = data if data is not None else ring()
    generator, discriminator = setup.networks(data, 0)
    (g, g1), (d, d1) = _macs(generator), _macs(discriminator)
    return 2 * setup.batch_size * (3 * g + g1 + 6 * d + 2 * d1)


def _ensemble(data, size: int, device: str, compile: bool = False) -> EnsembleTrainer:
    members = []
    for seed in range(size):
        generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed)
        config = PLAIN_GAN_SETUP.train_config(seed, steps=10**9, device=device, log_every=50)
        members.append(Member(generator, discriminator, config))
    return EnsembleTrainer(data, members, compile=compile)


def _single(data, seed: int, device: str) -> Trainer:
    generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed)
    return Trainer(
        data, generator, discriminator, PLAIN_GAN_SETUP.train_config(seed, steps=10**9, device=device, log_every=50)
    )


def _seconds_per_step(trainer, steps: int, device: str) -> float:
    _sync(device)
    start = time.perf_counter()
    trainer.train(steps=steps)
    _sync(device)
    return (time.perf_counter() - start) / steps


def _speed_rows(quick: bool, device: str, peak: float, flops: int) -> list[dict]:
    data = ring()
    sizes = (4, 16, 64) if device == "cpu" else (4, 16, 64, 256, 1024)
    repeats = 3 if quick else 5
    budget = 0.6 if quick else 2.0  # about this many seconds of training per timing
    singles = [_single(data, seed, device) for seed in range(3)]
    ensembles = {size: _ensemble(data, size, device) for size in sizes}
    steps = {}  # per setting, the steps that take about `budget` seconds (from a timed warm-up)
    for trainer in [*singles, *ensembles.values()]:
        trainer.train(steps=2)
        steps[id(trainer)] = max(3, int(budget / _seconds_per_step(trainer, 3, device)))
    single_times, member_times = [], {size: [] for size in sizes}
    for _ in range(repeats):  # interleaved, so a busy neighbour slows every setting alike
        single_times.append(statistics.median(_seconds_per_step(t, steps[id(t)] // 3 + 1, device) for t in singles))
        for size, ensemble in ensembles.items():
            member_times[size].append(_seconds_per_step(ensemble, steps[id(ensemble)], device) / size)
    single = statistics.median(single_times)
    name = _device_name(device)
    rows = [
        {
            "name": "sgemm peak (2048x2048 fp32 matmul)",
            "value": peak,
            "unit": "GFLOP/s",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": name,
        },
        {
            "name": "matmul FLOPs per member-step, 2B(3g+g'+6d+2d')",
            "value": flops / 1e6,
            "unit": "MFLOP",
            "baseline": None,
            "ratio": None,
            "goal": None,
            "device": name,
        },
        {
            "name": "single Trainer step",
            "value": single * 1e3,
            "unit": "ms",
            "baseline": None,
            "ratio": flops / single / 1e9 / peak,
            "goal": "ratio: fraction of peak",
            "device": name,
        },
    ]
    for size in sizes:
        per_member = statistics.median(member_times[size])
        rate = flops / per_member / 1e9
        rows.append(
            {
                "name": f"ensemble E={size}: member-steps/s",
                "value": 1 / per_member,
                "unit": "1/s",
                "baseline": f"{rate:.1f} GFLOP/s of {peak:.0f} peak",
                "ratio": rate / peak,
                "goal": ">= 0.60 of peak" if size == 64 and device == "cpu" else "ratio: fraction of peak",
                "device": name,
            }
        )
        rows.append(
            {
                "name": f"ensemble E={size}: speed-up over sequential runs",
                "value": single / per_member,
                "unit": "x",
                "baseline": f"{size} sequential Trainer runs ({single * 1e3:.2f} ms/step each)",
                "ratio": single / per_member,
                "goal": ">= 5" if size == 16 and device == "cpu" else None,
                "device": name,
            }
        )
    return rows


def _compile_rows(device: str) -> list[dict]:
    data = ring()
    eager = _ensemble(data, 16, device)
    start = time.perf_counter()
    compiled = _ensemble(data, 16, device, compile=True)
    compiled.train(steps=3)  # traces and compiles both sides (and any recompilation of the first steps)
    _sync(device)
    compile_seconds = time.perf_counter() - start
    if not compiled.compiled:
        return [
            {
                "name": "torch.compile of the member objective",
                "value": None,
                "unit": "",
                "baseline": f"fell back to eager: {compiled.compile_error}",
                "ratio": None,
                "goal": None,
                "device": _device_name(device),
            }
        ]
    eager.train(steps=3)
    ratios = []
    for _ in range(3):
        e = _seconds_per_step(eager, 30, device)
        c = _seconds_per_step(compiled, 30, device)
        ratios.append(e / c)
    return [
        {
            "name": "torch.compile, E=16: compile time (first 3 steps)",
            "value": compile_seconds,
            "unit": "s",
            "baseline": "eager ensemble, E=16",
            "ratio": statistics.median(ratios),
            "goal": "ratio: eager time / compiled time",
            "device": _device_name(device),
        }
    ]


def _chapter07_rows(quick: bool) -> list[dict]:
    """Estimated time of chapter 07's full-mode sweeps (see the module docstring, item 5)."""
    from mcgan_lib.chapters import chapter_sweeps
    from mcgan_lib.sweeps import sweep

    saved = os.environ.pop("MCGAN_QUICK", None)
    try:
        sweeps = chapter_sweeps("07_comparison")  # full mode: MCGAN_QUICK unset
    finally:
        if saved is not None:
            os.environ["MCGAN_QUICK"] = saved
    names = sorted(sweeps)
    sample = names[::8] if quick else names[::2]
    short, long = (3, 9) if quick else (5, 25)
    total = members = 0
    started = time.perf_counter()
    for name in sample:
        arguments = dict(sweeps[name])
        full_steps = arguments.pop("steps")
        times = {}
        for steps in (short, long):
            start = time.perf_counter()
            table = sweep(**arguments, steps=steps, cache=False)
            times[steps] = time.perf_counter() - start
        per_step = max(0.0, (times[long] - times[short]) / (long - short))
        fixed = max(0.0, times[short] - short * per_step)
        total += fixed + per_step * full_steps
        members += len(table)
    scale = len(names) / len(sample)
    estimate = total * scale
    return [
        {
            "name": f"estimate: chapter 07 full-mode sweeps ({len(names)} sweeps, ~{members * scale:.0f} members, "
            f"sampled at {short} and {long} steps)",
            "value": estimate / 60,
            "unit": "min",
            "baseline": f"sampling took {time.perf_counter() - started:.0f} s",
            "ratio": None,
            "goal": None,
            "device": f"cpu ({torch.get_num_threads()} threads)",
        }
    ]


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(THREADS)
    flops = member_step_flops()
    rows = []
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        peak = sgemm_gflops(device)
        rows += _speed_rows(quick, device, peak, flops)
        if not quick:
            rows += _compile_rows(device)
    return rows + _chapter07_rows(quick)


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
