"""NDB and JSD: the Number of statistically-Different Bins (Richardson & Weiss, NeurIPS 2018).

Protocol, as MSGAN (Mao et al. 2019) and HMGAN report it:

1. cluster the **real** samples into ``n_bins`` bins with k-means (default 100; MSGAN/HMGAN tables use
   it for CIFAR-10, Facades and Maps), seeded k-means++ initialisation then Lloyd iterations;
2. assign every real and generated sample to its nearest bin centre (squared Euclidean distance on
   the flattened pixels);
3. for each bin, a two-proportion z-test of the real share p_r against the generated share p_g with
   the pooled proportion p = (n_r p_r + n_g p_g) / (n_r + n_g) and
   z = (p_r - p_g) / sqrt(p (1 - p) (1/n_r + 1/n_g)); the bin is *different* when the two-sided
   p-value is below ``significance`` (0.05). A bin empty on both sides has z = 0 (not different).
4. NDB is the count of different bins; JSD is the Jensen-Shannon divergence of the two bin
   histograms with the natural logarithm (so 0 <= JSD <= log 2; Richardson & Weiss's code uses the
   natural log as well).

The result lists *which* bins differ and in which direction (``missing_bins``: fewer generated samples
than real ones, the collapsed modes), so a chapter can show the collapsed modes' centres as images.
Fit the bins once with :func:`fit_bins` and evaluate many models against them (as the papers do);
:meth:`NDBBins.evaluate` streams the generated samples in batches (a tensor or any iterable of
tensors), on the GPU when the bins live there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from mcgan_lib.validation import check_float, check_int

DEFAULT_BINS = 100
DEFAULT_SIGNIFICANCE = 0.05


def _flat(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a tensor of shape (N, ...) with N >= 1, got {getattr(x, 'shape', x)!r}")
    x = x.reshape(x.shape[0], -1)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x.float()


def nearest_centre(x: torch.Tensor, centres: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Index of the nearest centre (squared Euclidean) for every row of x (N, D); chunked over N."""
    out = []
    centre_norms = (centres**2).sum(1)
    for part in x.split(chunk):
        distances = centre_norms[None, :] - 2 * part @ centres.T  # |x|^2 is the same for every centre
        out.append(distances.argmin(1))
    return torch.cat(out)


def kmeans(x: torch.Tensor, n_clusters: int, iterations: int = 50, seed: int = 0) -> torch.Tensor:
    """Centres (n_clusters, D) of Lloyd's k-means on x (N, D) with k-means++ initialisation seeded by ``seed``.

    An empty cluster keeps its previous centre. Runs on x's device.
    """
    n = x.shape[0]
    check_int("n_clusters", n_clusters, minimum=1, maximum=n)
    rng = torch.Generator(device="cpu").manual_seed(seed)
    first = int(torch.randint(n, (1,), generator=rng))
    centres = [x[first]]
    closest = ((x - x[first]) ** 2).sum(1)
    for _ in range(1, n_clusters):  # k-means++: next centre drawn with probability ~ squared distance
        weights = closest.clamp_min(0).cpu().double()
        index = (
            int(torch.multinomial(weights, 1, generator=rng))
            if weights.sum() > 0
            else int(torch.randint(n, (1,), generator=rng))
        )
        centres.append(x[index])
        closest = torch.minimum(closest, ((x - x[index]) ** 2).sum(1))
    centres = torch.stack(centres)
    for _ in range(iterations):
        assignment = nearest_centre(x, centres)
        sums = torch.zeros_like(centres).index_add_(0, assignment, x)
        counts = torch.bincount(assignment, minlength=n_clusters).to(x.dtype)
        updated = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
        if torch.allclose(updated, centres):
            break
        centres = updated
    return centres


def two_proportion_z_test(
    count_a: torch.Tensor, total_a: int, count_b: torch.Tensor, total_b: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """z and two-sided p-values of H0: p_a = p_b for each bin, with the pooled standard error."""
    p_a, p_b = count_a.double() / total_a, count_b.double() / total_b
    pooled = (count_a.double() + count_b.double()) / (total_a + total_b)
    se = torch.sqrt(pooled * (1 - pooled) * (1.0 / total_a + 1.0 / total_b))
    z = torch.where(se > 0, (p_a - p_b) / se.clamp_min(1e-300), torch.zeros_like(se))
    p_values = torch.erfc(z.abs() / math.sqrt(2.0))  # 2 * (1 - Phi(|z|))
    return z, p_values


def jensen_shannon(p: torch.Tensor, q: torch.Tensor) -> float:
    """JSD(p, q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, natural log; terms with p = 0 count 0."""
    p, q = p.double() / p.sum(), q.double() / q.sum()
    m = (p + q) / 2

    def kl(a):
        mask = a > 0
        return (a[mask] * (a[mask] / m[mask]).log()).sum()

    return float((kl(p) + kl(q)) / 2)


@dataclass
class NDBResult:
    """NDB (``ndb``), its share of the bins, JSD, and per bin: proportions, z, p-value and the verdict."""

    ndb: int
    n_bins: int
    jsd: float
    different_bins: list[int]
    missing_bins: list[int]
    real_proportions: torch.Tensor
    generated_proportions: torch.Tensor
    z_scores: torch.Tensor
    p_values: torch.Tensor

    @property
    def ndb_fraction(self) -> float:
        return self.ndb / self.n_bins

    def scalars(self) -> dict[str, float]:
        return {"ndb": float(self.ndb), "ndb_fraction": self.ndb_fraction, "jsd": self.jsd}


class NDBBins:
    """k-means bins of real samples and their real histogram; evaluate generated samples against them."""

    def __init__(self, centres: torch.Tensor, real_counts: torch.Tensor, significance: float = DEFAULT_SIGNIFICANCE):
        self.centres = centres
        self.real_counts = real_counts
        self.significance = check_float("significance", significance, minimum=0.0, maximum=1.0, strict_minimum=True)

    @property
    def n_bins(self) -> int:
        return self.centres.shape[0]

    def bin_counts(self, samples: torch.Tensor | Iterable[torch.Tensor]) -> torch.Tensor:
        """Histogram (n_bins,) of samples over the bins; ``samples`` a tensor or an iterable of batches."""
        batches = [samples] if isinstance(samples, torch.Tensor) else samples
        counts = torch.zeros(self.n_bins, dtype=torch.long, device=self.centres.device)
        for batch in batches:
            flat = _flat(batch, "samples").to(self.centres.device)
            if flat.shape[1] != self.centres.shape[1]:
                raise ValueError(
                    f"samples must have {self.centres.shape[1]} values per example (as the real ones), "
                    f"got {flat.shape[1]}"
                )
            counts += torch.bincount(nearest_centre(flat, self.centres), minlength=self.n_bins)
        return counts

    def evaluate(self, samples: torch.Tensor | Iterable[torch.Tensor]) -> NDBResult:
        generated = self.bin_counts(samples)
        total_real, total_generated = int(self.real_counts.sum()), int(generated.sum())
        if total_generated == 0:
            raise ValueError("samples must contain at least one example, got none")
        z, p_values = two_proportion_z_test(self.real_counts.cpu(), total_real, generated.cpu(), total_generated)
        different = p_values < self.significance
        return NDBResult(
            ndb=int(different.sum()),
            n_bins=self.n_bins,
            jsd=jensen_shannon(self.real_counts.cpu(), generated.cpu()),
            different_bins=different.nonzero().flatten().tolist(),
            missing_bins=(different & (z > 0)).nonzero().flatten().tolist(),
            real_proportions=self.real_counts.cpu().double() / total_real,
            generated_proportions=generated.cpu().double() / total_generated,
            z_scores=z,
            p_values=p_values,
        )


def fit_bins(
    real: torch.Tensor,
    n_bins: int = DEFAULT_BINS,
    significance: float = DEFAULT_SIGNIFICANCE,
    iterations: int = 50,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> NDBBins:
    """k-means bins on ``real`` (N, ...) (needs N >= n_bins; the papers use thousands of samples per bin count)."""
    flat = _flat(real, "real")
    check_int("n_bins", n_bins, minimum=2, maximum=flat.shape[0])
    check_int("iterations", iterations, minimum=1)
    check_int("seed", seed, minimum=0)
    if device is not None:
        flat = flat.to(device)
    centres = kmeans(flat, n_bins, iterations, seed)
    real_counts = torch.bincount(nearest_centre(flat, centres), minlength=n_bins)
    return NDBBins(centres, real_counts, significance)


def ndb_jsd(
    real: torch.Tensor,
    generated: torch.Tensor | Iterable[torch.Tensor],
    n_bins: int = DEFAULT_BINS,
    significance: float = DEFAULT_SIGNIFICANCE,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> NDBResult:
    """NDB and JSD of ``generated`` against ``real`` in one call (fits the bins on ``real`` first)."""
    return fit_bins(real, n_bins, significance, seed=seed, device=device).evaluate(generated)
