"""LPIPS diversity (Zhang et al. 2018) with the ``lpips`` package: how different the outputs for one input are.

- :func:`conditional_diversity`: for every input, the mean LPIPS distance over pairs of its outputs,
  then the mean (and std) over inputs. MR-GAN's protocol (Lee et al. 2019, Sec. 5): 300 inputs,
  20 outputs each, 10 random pairs per input (``pairs_per_input=10``). MSGAN (Mao et al. 2019)
  follows BicycleGAN's evaluation; we read it as 100 inputs with 10 outputs each and every pair, or
  19 random pairs (**unverified**: the MSGAN text we have gives no counts), so the counts are
  arguments; ``pairs_per_input=None`` uses every unordered pair. For
  unconditional generators pass the samples as one "input" group.
- :func:`per_layer_diversity`: the same, separately for each of LPIPS-AlexNet's five layers
  (HMGAN's Figure 1), over every pair of outputs by default as HMGAN's Eq. 10 does. Eq. 10 sums
  d(x_j, x_k) over the m(m - 1) ordered pairs; we report the mean, that sum divided by m(m - 1), so
  that groups of different sizes compare.

LPIPS-AlexNet needs torchvision's ImageNet AlexNet weights, downloaded at first use. When they
cannot be had (offline), :func:`load_lpips` falls back to a randomly initialised AlexNet under the
package's learned linear heads, warns, and every result carries ``calibrated=False``: such numbers
are only comparable with each other, never with the papers'.

Choices the papers leave open: images are in [-1, 1] (LPIPS's convention); grey images are repeated
to three channels; images smaller than 32 pixels (8x8 digits, 28x28 MNIST) are upsampled bilinearly
to 32, the smallest power of two at which every layer of LPIPS-AlexNet is defined (its first
convolution has kernel 11 and stride 4, then two 3x3 max-pools of stride 2: the smallest side that
leaves one pixel after the second pool is 31); CIFAR-size (32 px) and larger images are used as they
are; random pairs are two distinct outputs drawn
uniformly, from a generator seeded with ``seed``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mcgan_lib.validation import check_int

MIN_SIZE = 32  # smaller images are upsampled to this side (LPIPS-AlexNet needs at least 31)
LPIPS_LAYERS = 5


@dataclass
class LPIPSNetwork:
    """The LPIPS model and what it is: ``calibrated`` is False for the offline random-backbone fallback."""

    model: torch.nn.Module
    calibrated: bool
    backbone: str

    @property
    def label(self) -> str:
        return f"LPIPS-{self.backbone}" + ("" if self.calibrated else " (UNCALIBRATED: random backbone, offline)")


_CACHE: dict = {}


def load_lpips(net: str = "alex", device: str | torch.device = "cpu", allow_uncalibrated: bool = True) -> LPIPSNetwork:
    """LPIPS with ImageNet weights; offline, a labelled random-backbone fallback (or an error when
    ``allow_uncalibrated`` is False). Cached per (net, device)."""
    key = (net, str(device))
    if key in _CACHE:
        return _CACHE[key]
    import lpips

    try:  # torchvision's deprecation warnings and download progress are not the reader's concern: ours is
        quiet = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            warnings.simplefilter("ignore", UserWarning)
            model = lpips.LPIPS(net=net, verbose=False)
        calibrated = True
    except Exception as error:  # no network, or a corrupt download
        if not allow_uncalibrated:
            raise RuntimeError(
                f"LPIPS needs torchvision's ImageNet {net} weights and they could not be loaded ({error}); "
                "connect once "
                "to the internet so torchvision can cache them, or pass allow_uncalibrated=True"
            ) from None
        warnings.warn(
            f"LPIPS-{net}: the ImageNet backbone weights could not be downloaded ({type(error).__name__}); using a "
            "RANDOM backbone. Distances are uncalibrated (labelled calibrated=False), not comparable with the papers.",
            stacklevel=2,
        )
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            torch.manual_seed(0)
            model = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
        calibrated = False
    model = model.eval().to(device)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    _CACHE[key] = LPIPSNetwork(model, calibrated, net)
    return _CACHE[key]


def prepare(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] with C in {1, 3} -> (N, 3, >=32, >=32); 32 px and larger are not resized."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    h, w = images.shape[2:]
    if min(h, w) < MIN_SIZE:
        factor = MIN_SIZE / min(h, w)
        images = F.interpolate(
            images, size=(round(h * factor), round(w * factor)), mode="bilinear", align_corners=False
        )
    return images


@torch.no_grad()
def lpips_distances(
    a: torch.Tensor, b: torch.Tensor, network: LPIPSNetwork | None = None, batch_size: int = 64, per_layer: bool = False
) -> torch.Tensor:
    """LPIPS distance of each pair (a[i], b[i]): (N,), or (N, 5) per layer when ``per_layer`` (they sum to
    the total)."""
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    check_int("batch_size", batch_size, minimum=1)
    network = network or load_lpips()
    device = next(network.model.parameters()).device
    out = []
    for part_a, part_b in zip(a.split(batch_size), b.split(batch_size)):
        total, layers = network.model(prepare(part_a.to(device)), prepare(part_b.to(device)), retPerLayer=True)
        if per_layer:
            out.append(torch.stack([layer.flatten() for layer in layers], dim=1).cpu())
        else:
            out.append(total.flatten().cpu())
    return torch.cat(out)


def pair_indices(
    n_outputs: int, pairs_per_input: int | None, n_inputs: int, seed: int | torch.Generator = 0
) -> torch.Tensor:
    """(n_inputs, P, 2) indices of distinct outputs: every unordered pair (None) or ``pairs_per_input`` random ones.

    Random pairs are drawn input by input from one generator (``seed`` or a ``torch.Generator``), so
    scoring the inputs in chunks draws the same pairs as scoring them at once.
    """
    check_int("n_outputs", n_outputs, minimum=2)
    if pairs_per_input is None:
        every = torch.tensor(list(itertools.combinations(range(n_outputs), 2)))
        return every[None].expand(n_inputs, -1, -1)
    check_int("pairs_per_input", pairs_per_input, minimum=1)
    rng = (
        seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    )
    rows = []
    for _ in range(n_inputs):
        first = torch.randint(n_outputs, (pairs_per_input,), generator=rng)
        offset = torch.randint(1, n_outputs, (pairs_per_input,), generator=rng)  # never the same output twice
        rows.append(torch.stack([first, (first + offset) % n_outputs], dim=1))
    return torch.stack(rows)


@dataclass
class DiversityResult:
    """Mean LPIPS over inputs (``mean``), its std over inputs, each input's mean, and the label."""

    mean: float
    std: float
    per_input: torch.Tensor
    per_layer: list[float] | None
    calibrated: bool
    label: str
    n_pairs: int

    def scalars(self) -> dict[str, float]:
        return {"lpips": self.mean, "lpips_std": self.std, "calibrated": float(self.calibrated)}


def conditional_diversity(
    outputs: torch.Tensor | Iterable[torch.Tensor],
    pairs_per_input: int | None = 10,
    seed: int = 0,
    network: LPIPSNetwork | None = None,
    batch_size: int = 64,
    per_layer: bool = False,
) -> DiversityResult:
    """Mean LPIPS between outputs for the same input.

    ``outputs`` is (n_inputs, n_outputs, C, H, W), or an iterable of such chunks of inputs (streamed:
    only one chunk is in memory; the pairs drawn do not depend on the chunking).
    """
    chunks = [outputs] if isinstance(outputs, torch.Tensor) else outputs
    network = network or load_lpips()
    rng = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    per_input, layer_sums, n_pairs = [], None, 0
    for chunk in chunks:
        if not isinstance(chunk, torch.Tensor) or chunk.ndim != 5:
            raise ValueError(
                f"outputs must have shape (n_inputs, n_outputs, C, H, W), got {getattr(chunk, 'shape', chunk)!r}"
            )
        n_inputs, n_outputs = chunk.shape[:2]
        if n_outputs < 2:
            raise ValueError(
                f"outputs must hold n_outputs >= 2 samples per input to form pairs, got n_outputs={n_outputs}"
            )
        pairs = pair_indices(n_outputs, pairs_per_input, n_inputs, rng)
        rows = torch.arange(n_inputs)[:, None].expand_as(pairs[..., 0])
        first, second = chunk[rows, pairs[..., 0]], chunk[rows, pairs[..., 1]]  # (n_inputs, P, C, H, W)
        flat_shape = (-1, *chunk.shape[2:])
        distances = lpips_distances(
            first.reshape(flat_shape), second.reshape(flat_shape), network, batch_size, per_layer=per_layer
        )
        distances = distances.reshape(n_inputs, pairs.shape[1], -1)  # last axis: 5 layers, or 1 (the total)
        per_input.append(distances.sum(-1).mean(1))
        layer_sums = distances.sum(dim=(0, 1)) if layer_sums is None else layer_sums + distances.sum(dim=(0, 1))
        n_pairs += pairs.shape[0] * pairs.shape[1]
    if not per_input:
        raise ValueError("outputs must contain at least one input, got an empty iterable")
    per_input = torch.cat(per_input)
    return DiversityResult(
        mean=float(per_input.mean()),
        std=float(per_input.std()) if len(per_input) > 1 else 0.0,
        per_input=per_input,
        per_layer=(layer_sums / n_pairs).tolist() if per_layer else None,
        calibrated=network.calibrated,
        label=network.label,
        n_pairs=int(n_pairs),
    )


def per_layer_diversity(
    outputs: torch.Tensor, pairs_per_input: int | None = None, seed: int = 0, network: LPIPSNetwork | None = None
) -> DiversityResult:
    """:func:`conditional_diversity` with the mean of each of LPIPS's five layers (HMGAN, Figure 1)."""
    return conditional_diversity(outputs, pairs_per_input, seed, network, per_layer=True)


@torch.no_grad()
def generate_outputs(
    generator, conditions: torch.Tensor | None, n_outputs: int, n_inputs: int | None = None, seed: int = 0, device="cpu"
) -> torch.Tensor:
    """Outputs (n_inputs, n_outputs, C, H, W) of ``generator`` for each condition row (B, condition_dim)
    with ``n_outputs`` latents each (drawn from a generator seeded with ``seed``); unconditional
    generators take ``conditions=None`` and ``n_inputs``."""
    check_int("n_outputs", n_outputs, minimum=1)
    n_inputs = conditions.shape[0] if conditions is not None else check_int("n_inputs", n_inputs, minimum=1)
    rng = torch.Generator().manual_seed(seed)
    was_training = generator.training
    generator.eval()
    result = []
    for i in range(n_inputs):
        z = generator.sample_latent(n_outputs, rng, device="cpu").to(device)
        condition = None if conditions is None else conditions[i : i + 1].expand(n_outputs, -1).to(device)
        result.append(generator(z, condition).cpu())
    generator.train(was_training)
    return torch.stack(result)
