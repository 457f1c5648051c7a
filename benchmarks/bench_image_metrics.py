"""Speed of the image metrics: NDB on 10,000 samples, LPIPS pairs per second, FID feature extraction.

Each speed is also given as a ratio to a baseline measured in the same run on the same device:
NDB against scikit-learn's KMeans + predict with the same bins and iterations (ratio > 1: ours is
faster), LPIPS and the FID features batched against one image (pair) at a time.
"""

from __future__ import annotations

import time
import warnings

import torch

from mcgan_lib.metrics.lpips_diversity import load_lpips, lpips_distances
from mcgan_lib.metrics.ndb import fit_bins


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _device_name(device: torch.device) -> str:
    return (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else "cpu (1 thread)"
        if torch.get_num_threads() == 1
        else f"cpu ({torch.get_num_threads()} threads)"
    )


def _timed(function, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def bench_ndb(quick: bool, device) -> dict:
    import numpy as np
    from sklearn.cluster import KMeans

    n, shape = 10_000, ((1, 8, 24) if quick else (3, 32, 32))
    iterations = 10 if quick else 50
    rng = torch.Generator().manual_seed(0)
    real, fake = (torch.rand(n, *shape, generator=rng) * 2 - 1 for _ in range(2))
    ours = _timed(lambda: fit_bins(real, 100, iterations=iterations, device=device).evaluate(fake.to(device)), device)
    flat_real, flat_fake = real.flatten(1).numpy(), fake.flatten(1).numpy()

    def sklearn_ndb():
        model = KMeans(100, n_init=1, max_iter=iterations, tol=0.0, random_state=0).fit(flat_real)
        np.bincount(model.predict(flat_fake), minlength=100)

    baseline = _timed(sklearn_ndb, torch.device("cpu"))
    return {
        "name": f"NDB (100 bins, {iterations} k-means iterations) on {n} real + {n} generated samples of shape {shape}",
        "value": ours,
        "unit": "s",
        "baseline": "scikit-learn KMeans(n_init=1) + predict, same data (CPU)",
        "ratio": baseline / ours,
        "goal": None,
        "device": _device_name(device),
    }


def bench_lpips(quick: bool, device) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = load_lpips(device=device)
    n_pairs = 64 if quick else 1024
    rng = torch.Generator().manual_seed(0)
    a, b = (torch.rand(n_pairs, 3, 32, 32, generator=rng) * 2 - 1 for _ in range(2))
    lpips_distances(a[:2], b[:2], network)  # warm-up
    batched = _timed(lambda: lpips_distances(a, b, network, batch_size=64), device)
    singles = n_pairs // 8
    one_at_a_time = _timed(lambda: lpips_distances(a[:singles], b[:singles], network, batch_size=1), device)
    rate = n_pairs / batched
    return [
        {
            "name": f"LPIPS pairs per second (32x32 images upsampled to 64, batch 64; {network.label})",
            "value": rate,
            "unit": "pairs/s",
            "baseline": "one pair per forward pass",
            "ratio": rate / (singles / one_at_a_time),
            "goal": None,
            "device": _device_name(device),
        }
    ]


def bench_fid_features(quick: bool, device) -> dict:
    from torchvision.models import inception_v3

    # pytorch-fid's weights are a download; the speed is the architecture's, so random weights are used here.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = inception_v3(weights=None, aux_logits=False, init_weights=False).eval().to(device)
    network.fc = torch.nn.Identity()
    n_images, batch = (16, 8) if quick else (512, 64)
    images = torch.rand(n_images, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1

    @torch.no_grad()
    def extract(batch_size, count):
        for part in images[:count].split(batch_size):
            network(
                torch.nn.functional.interpolate(part.to(device), size=(299, 299), mode="bilinear", align_corners=False)
            )

    extract(2, 2)  # warm-up
    batched = _timed(lambda: extract(batch, n_images), device)
    singles = max(2, n_images // 8)
    one = _timed(lambda: extract(1, singles), device)
    rate = n_images / batched
    return {
        "name": f"FID feature extraction, Inception-v3 at 299x299 (architecture only, random weights), batch {batch}",
        "value": rate,
        "unit": "images/s",
        "baseline": "one image per forward pass",
        "ratio": rate / (singles / one),
        "goal": None,
        "device": _device_name(device),
    }


def run(quick: bool) -> list[dict]:
    device = _device()
    return [bench_ndb(quick, device), *bench_lpips(quick, device), bench_fid_features(quick, device)]


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    torch.set_num_threads(1)
    for row in run(quick=not parser.parse_args().full):
        print(json.dumps(row))
