"""Mode-regularized GAN (Reg-GAN) and manifold-diffusion GAN (MDGAN), Che et al., ICLR 2017.

An encoder E (data -> latent) is trained jointly with G, so that G∘E is an autoencoder of the data.
Two regularizers use it (paper Eq. 1-4):

- the **geometric** regularizer ``E_x[d(x, G(E(x)))]`` pulls the generated manifold onto every real
  point, the points of a minor mode included (:func:`geometric_loss`);
- the **mode** regularizer pushes the reconstruction G(E(x)) to where D says "real"
  (:func:`mode_loss`), so a reconstruction that lands near a minor mode is pulled into it.

**The sign of the mode term.** The paper writes ``T_G = -E_z log D(G(z)) + E_x[λ1 d(x, G∘E(x)) +
λ2 log D(G∘E(x))]`` and says the term should "encourage G(E(x)) to move towards a nearby mode".
T_G is *minimised*; minimising ``+λ2 log D(G∘E(x))`` drives D(G∘E(x)) to 0, i.e. *away* from what D
accepts as real. The term that does what the paper says is ``-λ2 log D(G∘E(x))``, the same
non-saturating form as the adversarial term on G(z): its gradient with respect to the logit l is
``-λ2 (1 - sigmoid(l)) < 0``, so a descent step raises D(G∘E(x)). We implement that sign and test it
by its effect on D(G(E(x))) (``tests/test_mode_regularized.py``). The slides also write
``λ1 log d(...)``; we use ``λ1 d(...)``, the regularizer of the paper's Eq. 1 (and of the issue).

MDGAN (paper Sec. 3.3 and its Algorithm) is the same idea as a two-step schedule, with the main
discriminator switched off (``adversarial_weight = 0``):

- **manifold step**: D1 separates x from G(E(x)); G and E minimise
  ``-log D1(G(E(x))) + λ d(x, G(E(x)))``;
- **diffusion step**: D2 separates G(E(x)) (its "real" side) from G(z); G minimises ``-log D2(G(z))``
  so that G(z) spreads its mass like the reconstructions, i.e. like the data.

Both steps run every iteration through the one training loop. D1 and D2 have disjoint parameters and
losses that depend only on their own parameters, and Adam acts element-wise, so one Adam step on the
sum of their losses is exactly two separate Adam optimisers (same lr and betas). On the generator side
the manifold and diffusion losses are summed into one Adam step of (G, E): the paper's algorithm
applies them one after the other; here they are applied simultaneously (gradients of the same
parameters at the same point). This is our documented deviation, which keeps the one training loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from mcgan_lib.losses import discriminator_loss, generator_loss
from mcgan_lib.nets.base import FeatureNetwork, register_network, seeded_init
from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep, Regularizer
from mcgan_lib.validation import check_choice, check_float, check_int, check_tensor

if TYPE_CHECKING:
    import pandas

GEOMETRIC_DISTANCES = ("squared_l2", "l1")


# ---------------------------------------------------------------------------------------------- losses
def geometric_loss(x: torch.Tensor, x_rec: torch.Tensor, distance: str = "squared_l2") -> torch.Tensor:
    """Geometric regularizer (Che et al. 2017, Eq. 1): E_x[d(x, G(E(x)))].

    x, x_rec: (B, ...) real examples and their reconstructions G(E(x)), same shape.
    ``distance`` is ``"squared_l2"`` (default, sum_i (x_i - x_rec_i)^2) or ``"l1"`` (sum_i |x_i - x_rec_i|).
    Choice the paper leaves open: d is summed over the features of one example (it is a distance
    between two examples) and averaged over the batch (the expectation over x). Returns a scalar.
    """
    check_choice("distance", distance, GEOMETRIC_DISTANCES)
    check_tensor("x", x)
    check_tensor("x_rec", x_rec)
    if x.shape != x_rec.shape or x.ndim < 2:
        raise ValueError(
            f"x and x_rec must have the same shape (batch, ...), got x {tuple(x.shape)} and x_rec {tuple(x_rec.shape)}"
        )
    difference = (x - x_rec).flatten(1)
    per_example = difference.pow(2).sum(1) if distance == "squared_l2" else difference.abs().sum(1)
    return per_example.mean()


def mode_loss(d_logits_rec: torch.Tensor) -> torch.Tensor:
    """Mode regularizer (Che et al. 2017, Eq. 2-3, with the sign that does what the paper says).

    d_logits_rec: (B,) D's logits on the reconstructions G(E(x)). Returns the scalar
    ``-E_x log D(G(E(x))) = mean softplus(-logit)``: minimising it raises D(G(E(x))), moving the
    reconstruction towards the region D accepts as real (a nearby mode). The paper's printed
    ``+λ2 log D(...)`` in a minimised objective would do the opposite; see the module docstring.
    """
    check_tensor("d_logits_rec", d_logits_rec, ndim=1)
    return generator_loss(d_logits_rec, "non_saturating")


# ---------------------------------------------------------------------------------------------- encoder
@register_network
class MLPEncoder(FeatureNetwork):
    """E: x (B, input_dim) -> latent code (B, latent_dim); ``depth`` ReLU layers of ``hidden_dim``.

    The output is linear (the prior of G is a standard normal, unbounded).
    """

    def __init__(self, input_dim: int = 2, latent_dim: int = 2, hidden_dim: int = 128, depth: int = 2, seed: int | None = None):
        super().__init__()
        check_int("input_dim", input_dim, minimum=1)
        check_int("latent_dim", latent_dim, minimum=1)
        check_int("hidden_dim", hidden_dim, minimum=1)
        check_int("depth", depth, minimum=0)
        widths = [input_dim] + [hidden_dim] * depth
        layers: list[nn.Module] = []
        with seeded_init(seed):
            for a, b in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            layers.append(nn.Linear(widths[-1], latent_dim))
        self.net = nn.Sequential(*layers)
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.hparams = dict(input_dim=input_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, depth=depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        if flat.shape[1] != self.input_dim:
            raise ValueError(f"x must have input_dim={self.input_dim} features per example, got shape {tuple(x.shape)}")
        return self.net(flat)


def check_encoder_matches(encoder: nn.Module, generator: nn.Module) -> None:
    """Raise ValueError when E's latent size differs from G's ``latent_dim`` (G∘E would not compose)."""
    encoder_dim = getattr(encoder, "latent_dim", None)
    generator_dim = getattr(generator, "latent_dim", None)
    if encoder_dim != generator_dim:
        raise ValueError(
            f"encoder latent_dim={encoder_dim} does not match generator latent_dim={generator_dim}; "
            "the encoder must map data into the generator's latent space"
        )


def _check_unconditional(batch) -> None:
    if batch.condition is not None:
        raise ValueError(
            "Reg-GAN and MDGAN are implemented for unconditional data (condition_dim=0); this batch has a "
            f"condition of shape {tuple(batch.condition.shape)}"
        )


def reconstruct(encoder: nn.Module, generator: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """G(E(x)) with the shapes checked: x (B, ...) -> (B, ...) like x."""
    code = encoder(x)
    if code.ndim != 2 or code.shape[1] != generator.latent_dim:
        raise ValueError(
            f"encoder latent_dim={code.shape[-1]} does not match generator latent_dim={generator.latent_dim}"
        )
    return generator(code).reshape(x.shape)


# ---------------------------------------------------------------------------------------------- Reg-GAN
class ModeRegularizer(Regularizer):
    """Reg-GAN (Che et al. 2017, Eq. 3-4) as one regularizer; E is trained by G's optimiser.

    Generator step adds ``λ1 d(x, G(E(x))) + λ2 (-log D(G(E(x))))`` (see :func:`mode_loss` for the
    sign) to G's adversarial loss ``-log D(G(z))``. E only enters through these terms, so the summed
    loss gives E exactly T_E (Eq. 4) and G exactly T_G (Eq. 3). D is the main discriminator, trained
    as in the plain GAN on real vs G(z). Unconditional data only (a conditional batch is a ValueError).
    """

    name = "mode_regularized"

    def __init__(
        self,
        encoder: nn.Module,
        lambda_geometric: float = 0.5,
        lambda_mode: float = 0.5,
        distance: str = "squared_l2",
    ):
        super().__init__(weight=check_float("lambda_geometric", lambda_geometric, minimum=0.0))
        self.lambda_geometric = self.weight
        self.lambda_mode = check_float("lambda_mode", lambda_mode, minimum=0.0)
        self.distance = check_choice("distance", distance, GEOMETRIC_DISTANCES)
        self.encoder = encoder

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        x_rec = reconstruct(self.encoder, step.generator, x)
        return {
            "geometric": self.lambda_geometric * geometric_loss(x, x_rec, self.distance),
            "mode": self.lambda_mode * mode_loss(step.discriminator(x_rec)),
        }

    def generator_side_modules(self) -> list[nn.Module]:
        return [self.encoder]

    def config(self) -> dict:
        return {
            **super().config(), "lambda_geometric": self.lambda_geometric, "lambda_mode": self.lambda_mode,
            "distance": self.distance, "encoder": getattr(self.encoder, "spec", lambda: {})(),
        }


# ---------------------------------------------------------------------------------------------- MDGAN
class ManifoldDiffusionRegularizer(Regularizer):
    """MDGAN (Che et al. 2017, Sec. 3.3): manifold step with D1, diffusion step with D2, main D off.

    ``manifold_discriminator`` (D1) and ``diffusion_discriminator`` (D2) are trained by the
    discriminator's optimiser, the encoder by the generator's. Discriminator step:
    ``L(D1; real=x, fake=G(E(x)))`` + ``L(D2; real=G(E(x)), fake=G(z))`` (reconstructions and G(z)
    detached). Generator step: ``-log D1(G(E(x))) + λ d(x, G(E(x)))`` (manifold; G and E) +
    ``-log D2(G(z))`` (diffusion; G). ``L`` and the generator's adversarial form follow the run's
    ``gan_loss``. See the module docstring for how the two steps share one iteration.
    """

    name = "manifold_diffusion"
    adversarial_weight = 0.0

    def __init__(
        self,
        encoder: nn.Module,
        manifold_discriminator: nn.Module,
        diffusion_discriminator: nn.Module,
        lambda_geometric: float = 0.5,
        distance: str = "squared_l2",
    ):
        super().__init__(weight=check_float("lambda_geometric", lambda_geometric, minimum=0.0))
        self.lambda_geometric = self.weight
        self.distance = check_choice("distance", distance, GEOMETRIC_DISTANCES)
        self.encoder = encoder
        self.manifold_discriminator = manifold_discriminator
        self.diffusion_discriminator = diffusion_discriminator

    def discriminator_terms(self, step: DiscriminatorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        with torch.no_grad():
            x_rec = reconstruct(self.encoder, step.generator, x)
        d1, d2 = self.manifold_discriminator, self.diffusion_discriminator
        return {
            "manifold": discriminator_loss(d1(x), d1(x_rec), step.gan_loss),
            "diffusion": discriminator_loss(d2(x_rec), d2(step.fake), step.gan_loss),
        }

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        _check_unconditional(step.batch)
        x = step.batch.real
        x_rec = reconstruct(self.encoder, step.generator, x)
        fake = step.fake.reshape(-1, *step.fake.shape[2:])
        return {
            "manifold": generator_loss(self.manifold_discriminator(x_rec), step.gan_loss)
            + self.lambda_geometric * geometric_loss(x, x_rec, self.distance),
            "diffusion": generator_loss(self.diffusion_discriminator(fake), step.gan_loss),
        }

    def generator_side_modules(self) -> list[nn.Module]:
        return [self.encoder]

    def discriminator_side_modules(self) -> list[nn.Module]:
        return [self.manifold_discriminator, self.diffusion_discriminator]

    def config(self) -> dict:
        spec = lambda module: getattr(module, "spec", lambda: {})()  # noqa: E731
        return {
            **super().config(), "lambda_geometric": self.lambda_geometric, "distance": self.distance,
            "encoder": spec(self.encoder), "manifold_discriminator": spec(self.manifold_discriminator),
            "diffusion_discriminator": spec(self.diffusion_discriminator),
        }


# ---------------------------------------------------------------------------------------------- experiments
METHODS = ("gan", "reg_gan", "mdgan")


def build_regularizer(
    method: str,
    data_dim: int,
    latent_dim: int,
    hidden_dim: int = 128,
    lambda_geometric: float = 0.5,
    lambda_mode: float = 0.5,
    distance: str = "squared_l2",
    seed: int = 0,
    discriminator_kwargs: dict | None = None,
) -> Regularizer | None:
    """The regularizer of ``method`` (``"gan"``: None; ``"reg_gan"``; ``"mdgan"``) with seeded networks.

    The encoder (and MDGAN's D1, D2) are MLPs of ``hidden_dim`` units, initialised from ``seed`` + an
    offset so they differ from G and D. ``discriminator_kwargs`` go to D1 and D2 (e.g. ``input_scale``).
    """
    from mcgan_lib.nets.mlp import MLPDiscriminator

    check_choice("method", method, METHODS)
    if method == "gan":
        return None
    encoder = MLPEncoder(data_dim, latent_dim, hidden_dim=hidden_dim, seed=seed + 101)
    if method == "reg_gan":
        return ModeRegularizer(encoder, lambda_geometric, lambda_mode, distance)
    kwargs = dict(hidden_dim=hidden_dim, **(discriminator_kwargs or {}))
    d1 = MLPDiscriminator(data_dim, seed=seed + 202, **kwargs)
    d2 = MLPDiscriminator(data_dim, seed=seed + 303, **kwargs)
    return ManifoldDiffusionRegularizer(encoder, d1, d2, lambda_geometric, distance)


def train_method(
    method: str,
    data,
    seed: int = 0,
    steps: int = 1000,
    latent_dim: int = 2,
    hidden_dim: int = 64,
    batch_size: int = 128,
    lr: float = 1e-3,
    lambda_geometric: float = 0.5,
    lambda_mode: float = 0.5,
    input_scale: float = 1.0,
    callbacks=(),
):
    """Train the plain GAN, Reg-GAN or MDGAN on ``data`` with MLPs, all through the one :class:`Trainer`.

    G and D (and E, D1, D2) are MLPs of ``hidden_dim`` units seeded from ``seed``; ``input_scale`` scales
    every discriminator's input. Returns the trained :class:`~mcgan_lib.training.Trainer`.
    """
    from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator
    from mcgan_lib.training import Trainer, TrainConfig

    data_dim = data.data_dim
    generator = MLPGenerator(latent_dim, data_dim, hidden_dim=hidden_dim, seed=seed)
    discriminator = MLPDiscriminator(data_dim, hidden_dim=hidden_dim, input_scale=input_scale, seed=seed + 1)
    regularizer = build_regularizer(
        method, data_dim, latent_dim, hidden_dim, lambda_geometric, lambda_mode, seed=seed,
        discriminator_kwargs={"input_scale": input_scale},
    )
    config = TrainConfig(steps=steps, batch_size=batch_size, lr_g=lr, lr_d=lr, seed=seed, log_every=max(1, steps // 50))
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer, callbacks=callbacks)
    trainer.train()
    return trainer


def minor_mode_report(generator, mixture, minor_mode: int = 0, n_samples: int = 2500, seed: int = 0) -> dict:
    """Modes captured, whether ``minor_mode`` is captured (>= 1 high-quality sample, the protocol of
    :mod:`mcgan_lib.metrics.toy`), its share of the HQ samples (the data's share is its weight), and
    the HQ fraction, for ``n_samples`` samples of ``generator``."""
    from mcgan_lib.metrics.toy import evaluate_mixture

    coverage = evaluate_mixture(generator, mixture, n_samples=n_samples, seed=seed)
    total = max(sum(coverage.samples_per_mode), 1)
    return {
        "modes_captured": coverage.modes_captured,
        "minor_captured": int(coverage.samples_per_mode[minor_mode] >= 1),
        "minor_share": coverage.samples_per_mode[minor_mode] / total,
        "high_quality_fraction": coverage.high_quality_fraction,
    }


def run_over_seeds(run_one, settings: list[dict], seeds) -> "pandas.DataFrame":
    """A per-seed table: ``run_one(seed=s, **setting)`` (a dict of numbers) for every setting and seed.

    Each row holds the setting's values, ``seed`` and the numbers returned. (A small stand-in for the
    project's generic multi-seed helper, which did not exist when this chapter was written.)
    """
    import pandas as pd

    rows = []
    for setting in settings:
        for seed in seeds:
            rows.append({**setting, "seed": seed, **run_one(seed=seed, **setting)})
    return pd.DataFrame(rows)


def mean_std_table(frame, by, columns, digits: int = 2) -> "pandas.DataFrame":
    """``mean ± std`` (sample std, ddof=1) of ``columns`` grouped by ``by``, as strings, with the seed count."""
    grouped = frame.groupby(by, sort=False)
    table = grouped[columns].agg(lambda c: f"{c.mean():.{digits}f} ± {c.std(ddof=1):.{digits}f}")
    table["seeds"] = grouped.size()
    return table


def toy_comparison(mixture, methods=METHODS, seeds=range(5), minor_mode: int = 0, keep: dict | None = None,
                   **train_kwargs):
    """Per-seed :func:`minor_mode_report` of each method trained on ``mixture`` (a DataFrame).

    When ``keep`` is a dict, ``keep[method]`` receives the trainer of the first seed (for figures).
    """
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, mixture, seed=seed, **train_kwargs)
        if keep is not None and seed == first_seed:
            keep[method] = trainer
        return minor_mode_report(trainer.generator, mixture, minor_mode)

    return run_over_seeds(run_one, [{"method": m} for m in methods], list(seeds))


def lambda_sweep(mixture, lambda_geometric_values, lambda_mode_values, seeds=(0,), n_show: int = 500, **train_kwargs):
    """Train Reg-GAN on ``mixture`` for every (λ1, λ2) pair and seed (the chapter's precomputed slider).

    Returns ``(table, samples)``: the per-seed :func:`minor_mode_report` table with columns
    ``lambda_geometric`` and ``lambda_mode``, and ``samples[(λ1, λ2)]`` = ``n_show`` samples (n_show, 2)
    of the first seed's generator, for the figure the slider shows.
    """
    samples = {}
    first_seed = list(seeds)[0]

    def run_one(seed, lambda_geometric, lambda_mode):
        trainer = train_method("reg_gan", mixture, seed=seed, lambda_geometric=lambda_geometric,
                               lambda_mode=lambda_mode, **train_kwargs)
        if seed == first_seed:
            samples[(lambda_geometric, lambda_mode)] = trainer.sample(n_show)
        return minor_mode_report(trainer.generator, mixture)

    settings = [{"lambda_geometric": float(a), "lambda_mode": float(b)} for a in lambda_geometric_values for b in lambda_mode_values]
    return run_over_seeds(run_one, settings, list(seeds)), samples


DIGIT_SIGMAS = (0.5, 1.0)


def digits_report(generator, classifier, train_data, test_data, n_samples: int = 1000, sigmas=DIGIT_SIGMAS,
                  d_star_steps: int = 500, seed: int = 0) -> dict:
    """MODE score, inception score, per-class histogram (``class_0`` ... ``class_9``, argmax of the
    classifier) and the missing-mode count for each σ (``missing_sigma_<σ>``) of a digits generator.

    ``n_samples`` generated digits (latents seeded by ``seed``) are scored by ``classifier``; D* is
    trained on ``train_data.real`` vs the same samples and evaluated on ``test_data.real``.
    """
    from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
    from mcgan_lib.metrics.missing_modes import missing_modes

    rng = torch.Generator().manual_seed(seed)
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        fake = generator(generator.sample_latent(n_samples, rng, device="cpu")).cpu()
    generator.train(was_training)
    probs = classifier.probabilities(fake)
    report = {
        "mode_score": mode_score(probs, train_data.label_distribution()),
        "inception_score": inception_score(probs),
        **{f"class_{k}": float(v) for k, v in enumerate(label_histogram(probs))},
    }
    for sigma in sigmas:
        result = missing_modes(train_data.real, fake, test_data.real, sigma=sigma, steps=d_star_steps, seed=seed)
        report[f"missing_sigma_{sigma:g}"] = result.missing_count
    return report


def digits_comparison(methods=METHODS, seeds=range(5), sigmas=DIGIT_SIGMAS, d_star_steps: int = 500,
                      n_show: int = 16, **train_kwargs):
    """Train each method on the digits' train split for every seed and score it with :func:`digits_report`.

    Defaults for the nets: ``latent_dim`` 16, ``hidden_dim`` 128. Returns ``(table, samples)``:
    the per-seed table and ``samples[method]`` = ``n_show`` flat digits (n_show, 64) of the first seed.
    """
    from mcgan_lib.data.digits import digits
    from mcgan_lib.nets.digits_classifier import load_digits_classifier

    train_data, test_data = digits("train"), digits("test")
    classifier = load_digits_classifier()
    train_kwargs = {"latent_dim": 16, "hidden_dim": 128, **train_kwargs}
    samples = {}
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, train_data, seed=seed, **train_kwargs)
        if seed == first_seed:
            samples[method] = trainer.sample(n_show)
        return digits_report(trainer.generator, classifier, train_data, test_data, sigmas=sigmas,
                             d_star_steps=d_star_steps, seed=seed)

    return run_over_seeds(run_one, [{"method": m} for m in methods], list(seeds)), samples
