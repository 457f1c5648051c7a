"""How a generator is scored on each kind of data source: evaluators that compose :mod:`mcgan_lib.metrics`.

A data source only samples. Its evaluator, found by the source's class in :data:`EVALUATORS` (the first
class of its method resolution order that has one, so a subclass is scored as its parent), turns a
generator into the chapters' numbers; :func:`evaluate` is the one entry point, :func:`kind_of` names the
kind of task a source is. The image metrics are imported when a score is computed, so importing this
module does not load them.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mcgan_lib.data.base import DataSource
from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.digits import ClassConditionalDigits, DigitsData
from mcgan_lib.data.held_out import HeldOutImages
from mcgan_lib.data.paired import PairedTask
from mcgan_lib.data.stacked_digits import StackedDigits
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.metrics.toy import conditional_branch_coverage, evaluate_mixture
from mcgan_lib.validation import check_int

KINDS = ("toy2d", "toy_conditional", "image", "held_out", "held_out_flat", "paired")
D_STAR_STEPS = 500  # training steps of the missing-mode count's third-party discriminator D*
STACKED_BATCH = 4096  # Stacked Digits samples are drawn in batches of this many


@dataclass(frozen=True)
class Evaluator:
    """How one kind of source is scored: ``evaluate(data, generator, n_samples) -> {metric: number}``,
    with ``n_samples`` samples by default (each protocol's own count)."""

    kind: str
    evaluate: Callable[[DataSource, torch.nn.Module, int], dict[str, float]]
    n_samples: int


# ---------------------------------------------------------------------------------------------- toys
def evaluate_gaussian_mixture(data: GaussianMixture, generator, n_samples: int) -> dict[str, float]:
    """The VEEGAN/PacGAN protocol (:func:`mcgan_lib.metrics.toy.evaluate_mixture`). When the weights are
    unequal, also the lightest mode's numbers (Che et al.'s "minor mode", their Fig. 2):
    ``minor_captured`` (1 when it holds >= 1 high-quality sample), ``minor_hq_samples`` (its HQ sample
    count) and ``minor_share`` (its share of all HQ samples; the data's share is its weight)."""
    coverage = evaluate_mixture(generator, data, n_samples=n_samples)
    scores = coverage.scalars()
    if not torch.allclose(data.weights, data.weights[0].expand_as(data.weights)):
        minor = coverage.samples_per_mode[int(data.weights.argmin())]
        scores |= {
            "minor_captured": float(minor >= 1),
            "minor_hq_samples": float(minor),
            "minor_share": minor / max(sum(coverage.samples_per_mode), 1),
        }
    return scores


def evaluate_branching(data: BranchingConditional, generator, n_samples: int) -> dict[str, float]:
    """Branch coverage on 50 conditions x 100 samples (``n_samples`` is not used: the grid is fixed)."""
    return conditional_branch_coverage(generator, data)


# ---------------------------------------------------------------------------------------------- categorical images
def evaluate_stacked_digits(data: StackedDigits, generator, n_samples: int) -> dict[str, float]:
    """:func:`score_stacked_digits` of ``n_samples`` samples of ``generator`` (the papers draw 26,000)."""
    from mcgan_lib.nets.base import generate

    n_samples = check_int("n_samples", n_samples, minimum=1)
    with torch.no_grad():
        batches = [
            generate(generator, min(STACKED_BATCH, n_samples - start), seed=start + 1).detach().cpu()
            for start in range(0, n_samples, STACKED_BATCH)
        ]
    return score_stacked_digits(data, batches)


def score_stacked_digits(data: StackedDigits, images) -> dict[str, float]:
    """The Stacked MNIST protocol on ``images`` (a tensor or a list of batches): modes captured (>= 1
    sample) and covered (>= a quarter of the expected share) of the 1,000, and KL(mode histogram ||
    uniform); see :mod:`mcgan_lib.metrics.stacked_digits`."""
    from mcgan_lib.metrics.stacked_digits import stacked_digits_modes

    return stacked_digits_modes(images, layout=data.layout).scalars()


_CLASS_BINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def class_bins(data: ClassConditionalDigits) -> list:
    """The NDB bins of each class of ``data`` (``data.bins_per_class`` k-means bins, seeded with 0),
    fitted once per data source."""
    from mcgan_lib.metrics.ndb import fit_bins

    if data not in _CLASS_BINS:
        _CLASS_BINS[data] = [fit_bins(data.images[data.labels == c], data.bins_per_class) for c in range(10)]
    return _CLASS_BINS[data]


def evaluate_class_conditional_digits(data: ClassConditionalDigits, generator, n_samples: int) -> dict[str, float]:
    """:func:`score_class_conditional_digits` of ``n_samples / 10`` samples of ``generator`` per class."""
    from mcgan_lib.nets.base import generate

    per_class = max(2, check_int("n_samples", n_samples, minimum=20) // 10)
    with torch.no_grad():
        samples = [
            generate(generator, per_class, seed=c + 1, condition=F.one_hot(torch.full((per_class,), c), 10).float())
            for c in range(10)
        ]
    return score_class_conditional_digits(data, [batch.detach().cpu() for batch in samples])


def score_class_conditional_digits(
    data: ClassConditionalDigits, images_by_class: list[torch.Tensor]
) -> dict[str, float]:
    """Per class, in the layout of MSGAN's and HMGAN's CIFAR-10 tables (one NDB/JSD per category), of
    ``images_by_class[c]`` (N_c, 1, 8, 8): images meant to show digit c (generated, or real ones for the
    real-data row: score each image once, as a repeated image is not an independent sample of NDB's
    z-test). Averaged over the ten classes:

    - ``ndb_fraction`` and ``jsd``: NDB/JSD (:mod:`mcgan_lib.metrics.ndb`) against the class's real
      training images in ``data.bins_per_class`` k-means bins. With ~135 real images a class the papers'
      100 bins would hold one image each, so the bins are fewer: a choice of ours, stated in chapter 08;
    - ``class_accuracy``: the share of samples that the library's digits classifier reads as the class
      they were asked for (is the condition obeyed?);
    - ``diversity_ratio``: the mean pixel distance between two samples of a class over the same for two
      real images of the class: below 1 the class has collapsed towards fewer shapes, above 1 the samples
      vary more than real digits (noise rather than modes).
    """
    from mcgan_lib.nets.digits_classifier import load_digits_classifier

    if len(images_by_class) != 10 or any(len(images) < 2 for images in images_by_class):
        raise ValueError("images_by_class must hold 10 tensors (one per class) of at least 2 images each")
    classifier = load_digits_classifier()
    rows = {"ndb_fraction": [], "jsd": [], "class_accuracy": [], "diversity_ratio": []}
    with torch.no_grad():
        for c, (bins, images) in enumerate(zip(class_bins(data), images_by_class)):
            samples = images.reshape(len(images), -1).float()
            real = data.images[data.labels == c].reshape(-1, samples.shape[1])
            result = bins.evaluate(samples)
            rows["ndb_fraction"].append(result.ndb_fraction)
            rows["jsd"].append(result.jsd)
            rows["class_accuracy"].append(float((classifier(samples).argmax(1) == c).float().mean()))
            rows["diversity_ratio"].append(float(torch.pdist(samples).mean() / torch.pdist(real).mean()))
    return {key: float(np.mean(values)) for key, values in rows.items()}


# ---------------------------------------------------------------------------------------------- held-out images
def missing_mode_counts(real_train, generated, real_test, sigmas, steps: int = D_STAR_STEPS) -> dict[str, float]:
    """``missing_sigma_<σ>`` for each σ of ``sigmas``: the test points (rows of ``real_test``) that a
    third-party discriminator D*, trained for ``steps`` steps (seed 0) on ``real_train`` against
    ``generated`` with input noise σ, finds "certainly real" (:func:`mcgan_lib.metrics.missing_modes.missing_modes`)."""
    from mcgan_lib.metrics.missing_modes import missing_modes

    return {
        f"missing_sigma_{sigma:g}": float(
            missing_modes(real_train, generated, real_test, sigma=sigma, steps=steps, seed=0).missing_count
        )
        for sigma in sigmas
    }


def evaluate_flat_digits(data: DigitsData, generator, n_samples: int) -> dict[str, float]:
    """Che et al.'s digits protocol (Sec. 4, Eq. 5-6) on ``n_samples`` flat digits of ``generator``
    (latents of seed 0), with the library's digits classifier: the MODE score against ``data``'s label
    distribution, the inception score, the per-class histogram (``class_0`` ... ``class_9``: the share of
    samples the classifier assigns to each digit) and :func:`missing_mode_counts` against the held-out
    split (``data.test_split()``) for each σ of ``data.sigmas``, D* trained for ``data.d_star_steps``."""
    from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
    from mcgan_lib.nets.base import generate
    from mcgan_lib.nets.digits_classifier import load_digits_classifier

    n_samples = check_int("n_samples", n_samples, minimum=2)
    with torch.no_grad():
        fake = generate(generator, n_samples, seed=0).detach().cpu().reshape(n_samples, -1).float()
    probabilities = load_digits_classifier().probabilities(fake)
    return {
        "mode_score": mode_score(probabilities, data.label_distribution()),
        "inception_score": inception_score(probabilities),
        **{f"class_{k}": float(v) for k, v in enumerate(label_histogram(probabilities))},
        **missing_mode_counts(data.real, fake, data.test_split().real, data.sigmas, data.d_star_steps),
    }


def evaluate_held_out(data: HeldOutImages, generator, n_samples: int) -> dict[str, float]:
    """:func:`score_held_out` of ``n_samples`` samples of ``generator``."""
    from mcgan_lib.nets.base import generate

    n_samples = check_int("n_samples", n_samples, minimum=2)
    with torch.no_grad():
        fake = generate(generator, n_samples, seed=1).detach().cpu()
    return score_held_out(data, fake)


def score_held_out(data: HeldOutImages, images: torch.Tensor) -> dict[str, float]:
    """The Mode-Regularized GAN paper's protocol for images (Che et al. 2017, Sec. 4) on ``images``
    (N, *data_shape): generated ones, or real ones for reference rows.

    - ``missing_sigma_<σ>``: the **missing-mode count** of a third-party discriminator D*, trained on the
      training images against ``images`` with Gaussian noise of std σ on its inputs, for each σ of
      ``data.sigmas``: the number of test images that D* finds "certainly real" (D*(t) > 0.95), i.e.
      images whose kind the generator does not produce (:mod:`mcgan_lib.metrics.missing_modes`; the
      layout of Che et al.'s CelebA Table 3, one row per σ). D* is an MLP on the flattened pixels, σ in
      pixel units of [-1, 1]; the paper's σ = 3.5 and 4.0 refer to its own pixel scale and do not transfer.
    - for the digits only (``data.mode_score``): the **MODE score** and the inception score computed with
      the library's digits classifier (:mod:`mcgan_lib.metrics.classifier_scores`), the paper's other measure.
    """
    from mcgan_lib.metrics.classifier_scores import inception_score, mode_score

    if images.ndim != 4 or tuple(images.shape[1:]) != data.data_shape:
        raise ValueError(
            f"images must have shape (N, {', '.join(map(str, data.data_shape))}), got {tuple(images.shape)}"
        )
    flat = images.reshape(len(images), -1).float()
    real_train, real_test = data.images.reshape(len(data), -1), data.test.images.reshape(len(data.test), -1)
    scores = {}
    if data.mode_score:
        from mcgan_lib.nets.digits_classifier import load_digits_classifier

        probabilities = load_digits_classifier().probabilities(flat)
        label_distribution = torch.bincount(data.train_labels, minlength=10).double() / len(data.train_labels)
        scores["mode_score"] = mode_score(probabilities, label_distribution)
        scores["inception_score"] = inception_score(probabilities)
    return scores | missing_mode_counts(real_train, flat, real_test, data.sigmas)


# ---------------------------------------------------------------------------------------------- paired images
def paired_test_outputs(data: PairedTask, generator, n_inputs: int, seed: int = 1) -> torch.Tensor:
    """Outputs (n_inputs, outputs_per_input, C, H, W) of ``generator`` for the first test inputs of ``data``."""
    from mcgan_lib.metrics.lpips_diversity import generate_outputs

    n_inputs = min(check_int("n_inputs", n_inputs, minimum=1), len(data.test))
    device = next(generator.parameters()).device
    conditions = data.test.inputs[:n_inputs].reshape(n_inputs, -1)
    return generate_outputs(generator, conditions, data.outputs_per_input, seed=seed, device=device)


def evaluate_paired(data: PairedTask, generator, n_samples: int) -> dict[str, float]:
    """:func:`score_paired` of ``n_samples / outputs_per_input`` test inputs (at most the whole test split)."""
    n_inputs = max(1, check_int("n_samples", n_samples, minimum=1) // data.outputs_per_input)
    outputs = paired_test_outputs(data, generator, n_inputs)
    return score_paired(outputs, data.test.images[: len(outputs)])


def score_paired(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """A paired task's metrics of ``outputs`` (n_inputs, K, C, H, W) against ``targets`` (n_inputs, C, H, W):

    - ``l1_error``: mean |G(x, z) - y| over inputs, outputs and pixels (pix2pix's ℓ1; fidelity);
    - ``mean_l2_error``: mean squared error of the *sample mean* over the K outputs (the ℓ2 loss is
      minimised by the conditional mean, so a diverse generator can have a large ``l1_error`` and still a
      small ``mean_l2_error``);
    - ``pixel_std``: the per-pixel standard deviation over one input's outputs, averaged over pixels and
      inputs: 0 when G ignores z (the failure pix2pix reports: "the generator simply learned to ignore the
      noise");
    - ``lpips``: LPIPS diversity over pairs of one input's outputs (:mod:`mcgan_lib.metrics.lpips_diversity`),
      and ``lpips_calibrated``: 0 when the ImageNet backbone could not be loaded (offline) and the distances
      come from a random backbone, comparable only with each other;
    - ``fid``: the Fréchet distance between the test targets and all the outputs, in the features of a
      seeded random conv net (:class:`~mcgan_lib.metrics.fid.RandomConvFeatures`): an offline stand-in that
      is NOT the papers' FID (Inception weights need a download), comparable only within the chapter.

    For inpainting the known pixels are pasted back by the generator, so ``pixel_std`` and ``lpips``
    average over the whole image, of which the hole is a quarter: the chapter says so.
    """
    from scipy.linalg import LinAlgWarning

    from mcgan_lib.metrics.fid import RandomConvFeatures, fid
    from mcgan_lib.metrics.lpips_diversity import conditional_diversity

    if outputs.ndim != 5 or outputs.shape[0] != targets.shape[0] or outputs.shape[2:] != targets.shape[1:]:
        raise ValueError(
            f"outputs must have shape (n_inputs, K, *{tuple(targets.shape[1:])}) with n_inputs = "
            f"{targets.shape[0]}, got {tuple(outputs.shape)}"
        )
    outputs, targets = outputs.float(), targets.float()
    diversity = conditional_diversity(outputs, pairs_per_input=10, seed=0)
    features = RandomConvFeatures(seed=0)
    with warnings.catch_warnings():  # 64 random features of a few hundred near-identical outputs give
        warnings.simplefilter("ignore", LinAlgWarning)  # singular covariances; scipy's sqrtm says so each time
        distance = fid(targets, outputs.flatten(0, 1), features).value
    return {
        "l1_error": float((outputs - targets[:, None]).abs().mean()),
        "mean_l2_error": float((outputs.mean(1) - targets).square().mean()),
        "pixel_std": float(outputs.std(1).mean()),
        "lpips": diversity.mean,
        "lpips_calibrated": float(diversity.calibrated),
        "fid": distance,
    }


def paired_real_score(data: PairedTask) -> dict[str, float]:
    """The metrics of the real test targets with each input's one target repeated: what a generator that
    returns the truth and ignores z would score (0 error, 0 diversity; FID of the set with itself)."""
    targets = data.test.images
    repeated = targets[:, None].expand(-1, data.outputs_per_input, -1, -1, -1)
    return score_paired(repeated, targets)


# ---------------------------------------------------------------------------------------------- the table
GAUSSIAN_MIXTURE = Evaluator("toy2d", evaluate_gaussian_mixture, 2500)
BRANCHING = Evaluator("toy_conditional", evaluate_branching, 2500)
STACKED_DIGITS = Evaluator("image", evaluate_stacked_digits, 26_000)
CLASS_CONDITIONAL_DIGITS = Evaluator("image", evaluate_class_conditional_digits, 2500)
HELD_OUT = Evaluator("held_out", evaluate_held_out, 2000)
FLAT_DIGITS = Evaluator("held_out_flat", evaluate_flat_digits, 1000)
PAIRED = Evaluator("paired", evaluate_paired, 1000)

# A source's class -> its evaluator. A new kind of source adds its line here.
EVALUATORS: dict[type, Evaluator] = {
    GaussianMixture: GAUSSIAN_MIXTURE,
    BranchingConditional: BRANCHING,
    StackedDigits: STACKED_DIGITS,
    ClassConditionalDigits: CLASS_CONDITIONAL_DIGITS,
    HeldOutImages: HELD_OUT,
    DigitsData: FLAT_DIGITS,
    PairedTask: PAIRED,
}


def _find_evaluator(data: DataSource) -> Evaluator | None:
    return next((EVALUATORS[cls] for cls in type(data).__mro__ if cls in EVALUATORS), None)


def evaluator_of(data: DataSource) -> Evaluator:
    """The evaluator of ``data``: that of the first class of ``type(data).__mro__`` in :data:`EVALUATORS`."""
    evaluator = _find_evaluator(data)
    if evaluator is not None:
        return evaluator
    raise ValueError(
        f"{type(data).__name__} has no evaluator: add one to mcgan_lib.tasks.evaluators.EVALUATORS, or score "
        "the generator with a function of your own"
    )


def evaluate(data: DataSource, generator, n_samples: int | None = None) -> dict[str, float]:
    """The chapters' metrics of ``generator`` on ``data`` (numbers only), with ``n_samples`` samples
    (default: the protocol's own count)."""
    evaluator = evaluator_of(data)
    return evaluator.evaluate(data, generator, evaluator.n_samples if n_samples is None else n_samples)


def kind_of(data: DataSource) -> str | None:
    """The kind of task ``data`` is, one of :data:`KINDS`; None for a source no evaluator knows (a plain
    :class:`~mcgan_lib.data.base.TensorDataSource`, a user's own source)."""
    evaluator = _find_evaluator(data)
    return None if evaluator is None else evaluator.kind
