"""Hierarchical mode exploring (HMGAN, Hu, Li, Hu & Hu, AAAI 2020) with Expected Ratios of Expansion.

Equation numbers follow the paper's text: Eq. (1) is the ratio L_d of MSGAN/DSGAN, Eq. (2) the
per-layer ratio, Eq. (3) the loss L_h, Eq. (6) the pre-training objective, Eq. (7)–(8) the ratio
matrix whose minimum is the lower bound b_i.

For two latents z_a, z_b of a pair and G's per-layer outputs ``[z, h_2, ..., h_n]`` (layer 1 is the
latent, layer n the output), d_i is the distance between the pair's layer-i outputs and

    ratio_i = d_{i-1} / d_i                        (Eq. 2, i = 2..n)
    L_h     = sum_{i=2..n} | ratio_i - ere_i |     (Eq. 3)

A ratio below 1 means layer i spreads the pair apart. ERE ("expected ratio of expansion") ere_i is the
target: 0 asks layer i to expand as much as it can, 1 to keep the distance. The paper restricts
ere_i to [b_i, 1], b_i the smallest ratio seen over all pairs of a data set after pre-training with
all targets 0 (Eq. 6–8).

Choices the paper leaves open (each tested in ``tests/test_hierarchical.py``):

- Distance. ``reduction="mean"`` (default): d_i is the mean absolute difference over the layer's
  elements, the form of the MSGAN authors' code. ``reduction="sum"``: the literal L1 norm (sum over
  elements), as the paper writes. The two differ by the layer widths: ratio_sum_i =
  ratio_mean_i * f_{i-1} / f_i, with f_i the number of elements of layer i. With "mean", a layer that
  keeps the per-unit distance has ratio 1 whatever its width, so one ERE scale fits every layer; with
  "sum", a 16 -> 128 layer has ratio 1/8 for the same behaviour. Targets and bounds computed in one
  convention must not be used with the other.
- Zero distances. ``ratio_i = d_{i-1} / (d_i + eps)``: when two outputs coincide (d_i = 0) the
  ratio is large but finite, never a NaN. In the bounds, a pair with d_i = 0 has no finite ratio and
  is skipped (with identical inputs both distances are 0 and the ratio is undefined).
- Reduction over pairs. ``pairs="pair"`` (default of the functions, the per-pair reading of Eq. 3):
  ratio_i and L_h per pair, then the mean over the B pairs. ``pairs="batch"`` (the form of the MSGAN
  authors' code, and the regularizer's default): d_i is averaged over the batch first, giving one
  ratio per layer, ratio_i = mean_k d_{i-1,k} / mean_k d_{i,k}. The per-pair form lets a collapsed pair
  (d_n ~ 0) dominate with a 1/d_n gradient that is reduced most cheaply by shrinking the *numerator*
  d_{n-1}, i.e. by collapsing the hidden layer too: on the unit ring it ends on a single mode on each of
  chapter 05's three seeds. The batch form avoids that failure, but it does not beat the plain GAN by the
  strict count over chapter 07's ten seeds: in the shared single-mode regime (β = 0.1) it captures 2.3
  modes with a strict count of 1.3, against the plain GAN's 1.2 and 1.2; in the partial-collapse stress
  test (β = 1) 4.4 and 3.1, against 3.7 and 3.4. A ratio of batch means is a weighted mean of the pair
  ratios, so it is never below the lower bound b_i either.
- Lower bounds: the minimum over pairs u != v (the diagonal u = v is 0/0). The paper computes it
  over "the whole data set X"; for an unconditional toy the data set is a set of m latents.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mcgan_lib.regularizers.base import GeneratorStep, Regularizer
from mcgan_lib.validation import check_choice, check_float, check_int, check_tensor

DISTANCE_REDUCTIONS = ("mean", "sum")
PAIR_REDUCTIONS = ("pair", "batch")


# ---------------------------------------------------------------------------------------------- checks
def _check_feature_list(name: str, features, rows: int | None = None) -> list[torch.Tensor]:
    if not isinstance(features, (list, tuple)) or len(features) < 2:
        raise ValueError(
            f"{name} must be a list [z, h_2, ..., h_n] of at least 2 layer outputs, got "
            f"{type(features).__name__} of length {len(features) if hasattr(features, '__len__') else '?'}"
        )
    checked = []
    for i, layer in enumerate(features):
        check_tensor(f"{name}[{i}]", layer)
        if layer.ndim < 2 or layer.shape[0] == 0:
            raise ValueError(f"{name}[{i}] must have shape (batch, ...) with batch >= 1, got {tuple(layer.shape)}")
        if not layer.is_floating_point():
            raise ValueError(f"{name}[{i}] must be a floating-point tensor, got dtype {layer.dtype}")
        expected = rows if rows is not None else features[0].shape[0]
        if layer.shape[0] != expected:
            raise ValueError(
                f"{name}[{i}] has {layer.shape[0]} rows but {name}[0] has {expected}; "
                "every layer needs one row per input"
            )
        checked.append(layer.flatten(1))
    return checked


def _check_ere(ere, n_ratios: int) -> torch.Tensor:
    ere = torch.as_tensor(ere, dtype=torch.float64).flatten()
    if ere.numel() != n_ratios:
        raise ValueError(
            f"ere must have one target per layer i = 2..n, i.e. {n_ratios} entries for {n_ratios + 1} layers, "
            f"got {ere.numel()} entries"
        )
    if not torch.isfinite(ere).all() or (ere < 0).any():
        raise ValueError(f"ere must hold finite values >= 0 (ratios of distances), got {ere.tolist()}")
    return ere


def check_hierarchical_mode_inputs(
    features_a, features_b, ere=None, eps: float = 1e-8, reduction: str = "mean", pairs: str = "pair"
) -> None:
    """Raise ValueError, naming the argument, where :func:`hierarchical_mode_loss` (and
    :func:`layer_ratios`, :func:`ratio_of_ends`, :func:`pairwise_layer_distances`) is undefined: lists of
    fewer than 2 layers, layers of different shapes or rows, non-finite values, eps <= 0, unknown
    options, or (when ``ere`` is given) not one finite target >= 0 per layer i = 2..n."""
    check_float("eps", eps, minimum=0.0, strict_minimum=True)
    check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
    check_choice("pairs", pairs, PAIR_REDUCTIONS)
    layers_a = _check_feature_list("features_a", features_a)
    layers_b = _check_feature_list("features_b", features_b, rows=layers_a[0].shape[0])
    if len(layers_a) != len(layers_b):
        raise ValueError(f"features_a has {len(layers_a)} layers but features_b has {len(layers_b)}")
    for i, (a, b) in enumerate(zip(layers_a, layers_b)):
        if a.shape != b.shape:
            raise ValueError(
                f"features_a[{i}] and features_b[{i}] must have the same shape, "
                f"got {tuple(a.shape)} and {tuple(b.shape)}"
            )
    if ere is not None:
        _check_ere(ere, len(layers_a) - 1)


# ---------------------------------------------------------------------------------------------- ratios
# The tensors are not checked in the functions below; check_hierarchical_mode_inputs does.
def pairwise_layer_distances(features_a, features_b, reduction: str = "mean") -> torch.Tensor:
    """Distances d_i between the two inputs of each pair at every layer (HMGAN Eq. 2): returns (n, B).

    features_a, features_b: lists ``[z, h_2, ..., h_n]`` of (B, ...) tensors with matching shapes.
    ``reduction="mean"``: mean |Δ| over the layer's elements; ``"sum"``: the L1 norm.
    """
    check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
    gaps = [(a - b).abs().flatten(1) for a, b in zip(features_a, features_b)]
    return torch.stack([g.mean(dim=1) if reduction == "mean" else g.sum(dim=1) for g in gaps])


def layer_ratios(
    features_a, features_b, eps: float = 1e-8, reduction: str = "mean", pairs: str = "pair"
) -> torch.Tensor:
    """ratio_i = d_{i-1} / (d_i + eps) for i = 2..n (HMGAN Eq. 2): returns (n-1, B) per pair, or
    (n-1, 1) with ``pairs="batch"`` (distances averaged over the batch before the division)."""
    check_choice("pairs", pairs, PAIR_REDUCTIONS)
    distances = pairwise_layer_distances(features_a, features_b, reduction)
    if pairs == "batch":
        distances = distances.mean(dim=1, keepdim=True)
    return distances[:-1] / (distances[1:] + eps)


def hierarchical_mode_loss(
    features_a, features_b, ere, eps: float = 1e-8, reduction: str = "mean", pairs: str = "pair"
) -> torch.Tensor:
    """Hierarchical mode-exploring loss L_h (HMGAN, Hu et al. 2020, Eq. 2–3).

    features_a, features_b: lists ``[z, h_2, ..., h_n]`` of (B, ...) tensors, the per-layer outputs of G
    for the two latents of each of B pairs (same conditions). ere: n-1 targets, ere[k] for layer k+2.
    Returns the scalar mean over pairs of sum_{i=2..n} |d_{i-1} / (d_i + eps) - ere_i|.
    ``reduction`` picks the distance d_i (mean absolute difference, or L1 norm); ``pairs="batch"``
    averages the distances over the pairs before taking the ratios (see the module docstring).
    """
    ratios = layer_ratios(features_a, features_b, eps, reduction, pairs)  # (n-1, B) or (n-1, 1)
    targets = torch.as_tensor(ere, dtype=ratios.dtype, device=ratios.device).reshape(-1, 1)
    return (ratios - targets).abs().sum(dim=0).mean()


def output_push(
    features_a, features_b, ere, eps: float = 1e-8, reduction: str = "mean", pairs: str = "batch"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Where L_h (HMGAN Eq. 3) moves each sample: -dL_h/dx for the outputs x of both halves of the pairs,
    the earlier layers held fixed (only the last ratio, d_{n-1} / d_n, depends on x). Returns
    ``(push_a, push_b)``, each shaped like the last layer of ``features_a``."""
    layers_a = _check_feature_list("features_a", features_a)
    layers_b = _check_feature_list("features_b", features_b)
    x_a = layers_a[-1].detach().clone().requires_grad_(True)
    x_b = layers_b[-1].detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = hierarchical_mode_loss(
            [f.detach() for f in layers_a[:-1]] + [x_a],
            [f.detach() for f in layers_b[:-1]] + [x_b],
            ere,
            eps,
            reduction,
            pairs,
        )
        grad_a, grad_b = torch.autograd.grad(loss, (x_a, x_b))
    return -grad_a, -grad_b


def ratio_of_ends(features_a, features_b, eps: float = 1e-8, reduction: str = "mean") -> torch.Tensor:
    """L_d = d_1 / (d_n + eps) per pair (HMGAN Eq. 1, the quantity MSGAN's loss approximates): (B,).

    Without eps it is exactly the product of the per-layer ratios (the distances telescope), which is
    what Proposition 1 compares with the sum L_h.
    """
    distances = pairwise_layer_distances(features_a, features_b, reduction)
    return distances[0] / (distances[-1] + eps)


# ---------------------------------------------------------------------------------------------- bounds
def _layer_distance_block(rows: torch.Tensor, columns: torch.Tensor, reduction: str) -> torch.Tensor:
    distance = torch.cdist(rows, columns, p=1.0)
    return distance / rows.shape[1] if reduction == "mean" else distance


@torch.no_grad()
def ere_lower_bounds(features, chunk_size: int = 1024, reduction: str = "mean") -> torch.Tensor:
    """Lower bounds b_i = min_{u != v} d_{i-1}(u, v) / d_i(u, v), i = 2..n (HMGAN Eq. 7–8): returns (n-1,).

    features: list ``[z, h_2, ..., h_n]`` of (m, ...) tensors, the per-layer outputs of m inputs.
    The m x m ratio matrix A^(i) of Eq. 7 is never held: rows are taken ``chunk_size`` at a time
    against the columns after them (the matrix is symmetric), so memory is O(chunk_size * m) per layer
    and 50,000 inputs fit on a laptop. Pairs with d_i = 0 have no finite ratio and are skipped; a layer
    where no pair has d_i > 0 raises an error. Computed in float64.
    """
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
    layers = [layer.double() for layer in _check_feature_list("features", features)]
    m = layers[0].shape[0]
    if m < 2:
        raise ValueError(f"features must hold at least 2 inputs (rows) to form a pair, got m={m}")
    n_ratios = len(layers) - 1
    bounds = torch.full((n_ratios,), math.inf, dtype=torch.float64, device=layers[0].device)
    for start in range(0, m - 1, chunk_size):
        stop = min(start + chunk_size, m - 1)
        # pairs (u, v) with start <= u < stop and v > u: columns start+1..m-1, strictly upper triangle
        row_index = torch.arange(start, stop, device=layers[0].device)[:, None]
        col_index = torch.arange(start + 1, m, device=layers[0].device)[None, :]
        upper = col_index > row_index
        previous = _layer_distance_block(layers[0][start:stop], layers[0][start + 1 :], reduction)
        for i in range(1, len(layers)):
            current = _layer_distance_block(layers[i][start:stop], layers[i][start + 1 :], reduction)
            valid = upper & (current > 0)
            if valid.any():
                ratio = previous[valid] / current[valid]
                bounds[i - 1] = torch.minimum(bounds[i - 1], ratio.min())
            previous = current
    for i, bound in enumerate(bounds.tolist()):
        if not math.isfinite(bound):
            raise ValueError(
                f"layer {i + 2} gives the same output for every pair of inputs (d_{i + 2} = 0): its ratio and "
                "its lower bound are undefined"
            )
    return bounds


@torch.no_grad()
def ere_lower_bounds_naive(features, reduction: str = "mean") -> torch.Tensor:
    """The reference double loop over pairs u < v of :func:`ere_lower_bounds` (for tests and benchmarks)."""
    check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
    layers = [layer.double() for layer in _check_feature_list("features", features)]
    m = layers[0].shape[0]
    bounds = [math.inf] * (len(layers) - 1)
    for u in range(m):
        for v in range(u + 1, m):
            gaps = [(layer[u] - layer[v]).abs() for layer in layers]
            distances = [float(g.mean() if reduction == "mean" else g.sum()) for g in gaps]
            for i in range(1, len(layers)):
                if distances[i] > 0:
                    bounds[i - 1] = min(bounds[i - 1], distances[i - 1] / distances[i])
    return torch.tensor(bounds, dtype=torch.float64)


# ---------------------------------------------------------------------------------------------- features
@torch.no_grad()
def generator_features(generator, n: int, seed: int = 0, condition: torch.Tensor | None = None) -> list[torch.Tensor]:
    """G's per-layer outputs ``[z, h_2, ..., h_n]`` for ``n`` latents seeded by ``seed`` (eval mode, CPU)."""
    n = check_int("n", n, minimum=1)
    rng = torch.Generator(device="cpu").manual_seed(seed)
    z = generator.sample_latent(n, rng, device="cpu")
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    _, features = generator(z.to(device), None if condition is None else condition.to(device), return_features=True)
    generator.train(was_training)
    return [f.detach().cpu() for f in features]


@torch.no_grad()
def layer_diversity(features, reduction: str = "mean") -> torch.Tensor:
    """Per-layer diversity of a batch (the analogue of HMGAN's Figure 1): returns (n,).

    features: list of (B, ...) tensors. diversity_i is the mean over pairs u != v of d_i(u, v), the same
    distance as the loss (mean absolute difference by default). The paper measures LPIPS layers of an
    AlexNet on images; on the toy the layers are G's own, so the numbers show where G spreads its inputs.
    """
    check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
    layers = _check_feature_list("features", features)
    if layers[0].shape[0] < 2:
        raise ValueError(f"features must hold at least 2 rows to form a pair, got {layers[0].shape[0]}")
    values = []
    for layer in layers:
        distance = torch.pdist(layer.double(), p=1.0)
        values.append(distance.mean() / (layer.shape[1] if reduction == "mean" else 1))
    return torch.stack(values).float()


# ---------------------------------------------------------------------------------------------- Proposition 1
@dataclass
class PropositionOneCurves:
    """Ratios ratio_i(t) = exp(-r_i t), L_d(t) = prod_i ratio_i, L_h^0(t) = sum_i ratio_i and stop times."""

    times: torch.Tensor
    ratios: torch.Tensor  # (n-1, T)
    ratio_of_ends: torch.Tensor  # L_d, (T,)
    hierarchical: torch.Tensor  # L_h with all ERE 0, (T,)
    threshold: float
    stop_time_ratio_of_ends: float
    stop_time_hierarchical: float


def proposition_one_curves(rates: Sequence[float], threshold: float, times: torch.Tensor) -> PropositionOneCurves:
    """The setting of HMGAN's Proposition 1, computed: each layer's ratio decays as exp(-r_i t).

    When one rate is much larger than the others, L_d = prod_i ratio_i falls below ``threshold`` long
    before L_h^0 = sum_i ratio_i does: training stopped at L <= threshold stops earlier with L_d, while
    the slow layers are still far from expanding. Stop times are the first listed time at which the
    loss is <= threshold (inf if never).
    """
    rates = torch.as_tensor(rates, dtype=torch.float64)
    if rates.ndim != 1 or rates.numel() < 1 or not torch.isfinite(rates).all() or (rates < 0).any():
        raise ValueError(f"rates must be a list of finite values >= 0, one per layer, got {rates.tolist()}")
    threshold = check_float("threshold", threshold, minimum=0.0, strict_minimum=True)
    times = torch.as_tensor(times, dtype=torch.float64)
    ratios = torch.exp(-rates[:, None] * times[None, :])
    product, total = ratios.prod(dim=0), ratios.sum(dim=0)

    def first_below(curve):
        hit = (curve <= threshold).nonzero()
        return float(times[hit[0, 0]]) if len(hit) else math.inf

    return PropositionOneCurves(times, ratios, product, total, threshold, first_below(product), first_below(total))


# ---------------------------------------------------------------------------------------------- regularizer
class HierarchicalModeRegularizer(Regularizer):
    """HMGAN's term λ·L_h for the training loop (Hu et al. 2020, Eq. 3 and 6).

    ``ere``: the n-1 targets (or one number for every layer). ``bounds``: the lower bounds b_i from
    :func:`ere_lower_bounds`, when known; each target is then checked to lie in [b_i, 1] and
    ``out_of_range="error"`` raises, ``"warn"`` warns, naming the layer. Without bounds, a target above 1
    is refused (or warned about) the same way. ``pairs`` defaults to
    ``"batch"`` here (one ratio per layer from batch-mean distances, as in the MSGAN authors' code):
    the per-pair form collapses the toys (see the module docstring). The loop draws two latents per
    condition and runs them through G in one concatenated forward pass with per-layer features.
    """

    name = "hierarchical_modes"
    latent_copies = 2
    needs_features = True
    adversarial_weight = 1.0

    def __init__(
        self,
        weight: float = 1.0,
        ere: float | Sequence[float] = 0.0,
        bounds: Sequence[float] | torch.Tensor | None = None,
        eps: float = 1e-8,
        reduction: str = "mean",
        pairs: str = "batch",
        out_of_range: str = "error",
    ):
        super().__init__(weight=weight)
        self.eps = check_float("eps", eps, minimum=0.0, strict_minimum=True)
        self.reduction = check_choice("reduction", reduction, DISTANCE_REDUCTIONS)
        self.pairs = check_choice("pairs", pairs, PAIR_REDUCTIONS)
        self.out_of_range = check_choice("out_of_range", out_of_range, ("error", "warn"))
        if isinstance(ere, (int, float)) and not isinstance(ere, bool):
            self.ere = [check_float("ere", ere, minimum=0.0)]
            self._broadcast = True
        else:
            self.ere = _check_ere(ere, len(ere) if hasattr(ere, "__len__") else 1).tolist()
            self._broadcast = False
        self.bounds = None
        if bounds is None:  # without the bounds, still the paper's upper limit: a ratio target above 1 is refused
            above = [f"ere{'' if self._broadcast else f'[{k}]'} = {t:g}" for k, t in enumerate(self.ere) if t > 1.0]
            if above:
                message = (
                    f"ERE targets out of range: {', '.join(above)} is above 1; HMGAN restricts each target ere_i to "
                    "[b_i, 1] (b_i the layer's lower bound from ere_lower_bounds), so ere must lie in [bound, 1]"
                )
                if self.out_of_range == "error":
                    raise ValueError(message)
                warnings.warn(message, stacklevel=2)
        else:
            bounds = torch.as_tensor(bounds, dtype=torch.float64).flatten()
            if not torch.isfinite(bounds).all():
                raise ValueError(f"bounds must be finite, got {bounds.tolist()}")
            self.bounds = bounds.tolist()
            if not self._broadcast:
                _check_ere(self.ere, len(self.bounds))
            self.check_targets(self.targets(len(self.bounds)))

    def targets(self, n_ratios: int) -> list[float]:
        """The ERE list for a generator with ``n_ratios + 1`` layers (a single number is repeated)."""
        if self._broadcast:
            return self.ere * n_ratios
        return _check_ere(self.ere, n_ratios).tolist()

    def check_targets(self, targets: Sequence[float]) -> None:
        """Check each ere_i against [b_i, 1] (Eq. 6–8 and the paper's restriction)."""
        problems = []
        for k, (target, bound) in enumerate(zip(targets, self.bounds)):
            if target < bound or target > 1.0:
                problems.append(
                    f"ere[{k}] (layer {k + 2}) = {target:.4g} is outside [b_{k + 2}, 1] = [{bound:.4g}, 1]"
                    + (" (this layer's bound is above 1: no target can be reached)" if bound > 1 else "")
                )
        if problems:
            message = "ERE targets out of range: " + "; ".join(problems)
            if self.out_of_range == "error":
                raise ValueError(message)
            warnings.warn(message, stacklevel=3)

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        if step.features is None:
            raise ValueError("HierarchicalModeRegularizer needs the generator's per-layer features")
        features_a = [f[0] for f in step.features]
        features_b = [f[1] for f in step.features]
        targets = self.targets(len(features_a) - 1)
        loss = hierarchical_mode_loss(features_a, features_b, targets, self.eps, self.reduction, self.pairs)
        return {"hierarchical_modes": self.weight * loss}

    def config(self) -> dict:
        return {
            **super().config(),
            "ere": list(self.ere),
            "bounds": self.bounds,
            "eps": self.eps,
            "reduction": self.reduction,
            "pairs": self.pairs,
        }
