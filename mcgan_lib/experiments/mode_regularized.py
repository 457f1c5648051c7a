"""The runs of chapter 06: plain GAN, Reg-GAN and MDGAN on the toys and on 8x8 digits, over seeds
(the chapter's (λ1, λ2) slider grid is a :func:`mcgan_lib.sweeps.sweep`). The losses and regularizers live in
:mod:`mcgan_lib.regularizers.mode_regularized`; the methods are those of :mod:`mcgan_lib.methods`.

These runs keep their trainers (the chapter draws G *and* D) and score the minor mode, so they are a
loop of single runs rather than a sweep; their setup seeds D from the run's seed + 1.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.data.digits import digits
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.methods import build_method
from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
from mcgan_lib.metrics.missing_modes import missing_modes
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.nets.base import generate
from mcgan_lib.nets.digits_classifier import load_digits_classifier
from mcgan_lib.training import Trainer

METHODS = ("gan", "reg_gan", "mdgan")


def chapter_setup(
    steps: int = 1000,
    latent_dim: int = 2,
    hidden_dim: int = 64,
    batch_size: int = 128,
    lr: float = 1e-3,
    input_scale: float = 1.0,
) -> ToySetup:
    """Section 4's networks and optimiser: MLPs of ``hidden_dim`` units, Adam with betas (0.5, 0.999),
    every discriminator's input scaled by ``input_scale``, D seeded from the run's seed + 1."""
    return ToySetup(
        latent_dim=latent_dim,
        hidden_dim=hidden_dim,
        d_hidden_dim=hidden_dim,
        lr=lr,
        batch_size=batch_size,
        d_input_scale=input_scale,
        d_seed_offset=1,
        steps=steps,
        quick_steps=steps,
    )


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
) -> Trainer:
    """Train the plain GAN, Reg-GAN or MDGAN (``METHODS``) on ``data`` with :func:`chapter_setup`, through
    the one :class:`~mcgan_lib.training.Trainer`; returns the trained trainer.

    ``lambda_geometric`` is λ1 (the method's ``weight``), ``lambda_mode`` Reg-GAN's λ2.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    setup = chapter_setup(steps, latent_dim, hidden_dim, batch_size, lr, input_scale)
    generator, discriminator = setup.networks(data, seed)
    settings = {
        "reg_gan": {"weight": lambda_geometric, "lambda_mode": lambda_mode},
        "mdgan": {"weight": lambda_geometric},
    }.get(method, {})
    regularizer = build_method(method, data, setup, seed, **settings)
    config = setup.train_config(seed, steps, log_every=max(1, steps // 50))
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer, callbacks=callbacks)
    trainer.train()
    return trainer


def _table(run_one, methods, seeds) -> pd.DataFrame:
    """One row per (method, seed): the method, the seed and what ``run_one(seed, method)`` returns."""
    return pd.DataFrame([{"method": m, "seed": s, **run_one(s, m)} for m in methods for s in seeds])


def minor_mode_report(generator, mixture, minor_mode: int = 0, n_samples: int = 2500, seed: int = 0) -> dict:
    """Modes captured, the stricter modes covered, whether ``minor_mode`` is captured (>= 1 high-quality
    sample, the protocol of :mod:`mcgan_lib.metrics.toy`), its count of HQ samples and its share of all HQ
    samples (the data's share is its weight), and the HQ fraction, for ``n_samples`` samples of ``generator``."""
    coverage = evaluate_mixture(generator, mixture, n_samples=n_samples, seed=seed)
    total = max(sum(coverage.samples_per_mode), 1)
    return {
        "modes_captured": coverage.modes_captured,
        "modes_covered": coverage.modes_covered,
        "minor_captured": int(coverage.samples_per_mode[minor_mode] >= 1),
        "minor_hq_samples": coverage.samples_per_mode[minor_mode],
        "minor_share": coverage.samples_per_mode[minor_mode] / total,
        "high_quality_fraction": coverage.high_quality_fraction,
    }


def toy_comparison(
    mixture, methods=METHODS, seeds=range(5), minor_mode: int = 0, keep: dict | None = None, **train_kwargs
):
    """Per-seed :func:`minor_mode_report` of each method trained on ``mixture`` (a DataFrame).

    When ``keep`` is a dict, ``keep[method]`` receives the trainer of the first seed (for figures).
    """
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, mixture, seed=seed, **train_kwargs)
        if keep is not None and seed == first_seed:
            keep[method] = trainer
        return minor_mode_report(trainer.generator, mixture, minor_mode)

    return _table(run_one, methods, list(seeds))


DIGIT_SIGMAS = (0.5, 1.0)


def digits_report(
    generator,
    classifier,
    train_data,
    test_data,
    n_samples: int = 1000,
    sigmas=DIGIT_SIGMAS,
    d_star_steps: int = 500,
    seed: int = 0,
) -> dict:
    """MODE score, inception score, per-class histogram (``class_0`` ... ``class_9``, argmax of the
    classifier) and the missing-mode count for each σ (``missing_sigma_<σ>``) of a digits generator.

    ``n_samples`` generated digits (latents seeded by ``seed``) are scored by ``classifier``; D* is
    trained on ``train_data.real`` vs the same samples and evaluated on ``test_data.real``.
    """
    fake = generate(generator, n_samples, seed).cpu()
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


def digits_comparison(
    methods=METHODS, seeds=range(5), sigmas=DIGIT_SIGMAS, d_star_steps: int = 500, n_show: int = 16, **train_kwargs
):
    """Train each method on the digits' train split for every seed and score it with :func:`digits_report`.

    Defaults for the nets: ``latent_dim`` 16, ``hidden_dim`` 128. Returns ``(table, samples)``:
    the per-seed table and ``samples[method]`` = ``n_show`` flat digits (n_show, 64) of the first seed.
    """
    train_data, test_data = digits("train"), digits("test")
    classifier = load_digits_classifier()
    train_kwargs = {"latent_dim": 16, "hidden_dim": 128, **train_kwargs}
    samples = {}
    first_seed = list(seeds)[0]

    def run_one(seed, method):
        trainer = train_method(method, train_data, seed=seed, **train_kwargs)
        if seed == first_seed:
            samples[method] = trainer.sample(n_show)
        return digits_report(
            trainer.generator, classifier, train_data, test_data, sigmas=sigmas, d_star_steps=d_star_steps, seed=seed
        )

    return _table(run_one, methods, list(seeds)), samples


# ---------------------------------------------------------------------------------------------- single-mode regime
def reconstructions(trainer, mixture, n_per_mode: int = 200, seed: int = 0) -> dict:
    """``n_per_mode`` real points x of every mode of ``mixture`` (drawn from ``seed``; training
    coordinates), their modes, codes E(x) and reconstructions G(E(x)), for a trainer whose regularizer has
    an ``encoder`` (Reg-GAN or MDGAN; Che et al. Eq. 1). Returns a dict of tensors: ``x``, ``mode``,
    ``code``, ``reconstruction``."""
    import torch

    from mcgan_lib.validation import check_int

    n_per_mode = check_int("n_per_mode", n_per_mode, minimum=1)
    encoder = getattr(trainer.regularizer, "encoder", None)
    if encoder is None:
        raise ValueError("trainer.regularizer has no encoder: reconstructions need Reg-GAN or MDGAN")
    rng = torch.Generator().manual_seed(seed)
    modes = torch.arange(mixture.n_modes).repeat_interleave(n_per_mode)
    x = mixture.centers[modes] + mixture.std * torch.randn(len(modes), mixture.centers.shape[1], generator=rng)
    states = [(net, net.training) for net in (trainer.generator, encoder)]
    for net, _ in states:
        net.eval()
    try:
        with torch.no_grad():
            code = encoder(x)
            reconstruction = trainer.generator(code)
    finally:
        for net, was_training in states:
            net.train(was_training)
    return {"x": x, "mode": modes, "code": code, "reconstruction": reconstruction}


def encoder_report(trainer, mixture, n_per_mode: int = 200, seed: int = 0) -> dict:
    """What Reg-GAN's encoder and D do, per mode k of ``mixture`` (training coordinates; Che et al. Eq. 1-3),
    from :func:`reconstructions`: ``rec_on_own_k`` the fraction of reconstructions G(E(x)) of mode k's
    points within 3 std of mode k, ``rec_distance_k`` the median ‖x − G(E(x))‖ in units of the std,
    ``d_real_k`` the mean D(x), ``d_rec_k`` the mean D(G(E(x))) (what the mode term raises),
    ``code_norm_k`` the mean ‖E(x)‖, and ``g_share_k`` the share of 2,500 prior samples G(z) within 3 std
    of mode k; ``prior_norm`` is the mean ‖z‖ of those z, the yardstick for ``code_norm_k``. Scalars, so
    that :class:`~mcgan_lib.training.EvaluateEvery` can log it."""
    import torch

    from mcgan_lib.metrics.toy import mode_coverage

    out = reconstructions(trainer, mixture, n_per_mode, seed)
    x, modes, code, rec = out["x"], out["mode"], out["code"], out["reconstruction"]
    generator, discriminator = trainer.generator, trainer.discriminator
    states = [(net, net.training) for net in (generator, discriminator)]
    for net, _ in states:
        net.eval()
    try:
        with torch.no_grad():
            d_real, d_rec = torch.sigmoid(discriminator(x)), torch.sigmoid(discriminator(rec))
            z = generator.sample_latent(2500, torch.Generator().manual_seed(seed), device="cpu")
            counts = mode_coverage(generator(z), mixture).samples_per_mode
    finally:
        for net, was_training in states:
            net.train(was_training)
    on_own = (rec - mixture.centers[modes]).norm(dim=1) <= 3 * mixture.std
    distance = (rec - x).norm(dim=1) / mixture.std
    report = {"prior_norm": float(z.norm(dim=1).mean())}
    for k in range(mixture.n_modes):
        mine = modes == k
        report.update(
            {
                f"rec_on_own_{k}": float(on_own[mine].float().mean()),
                f"rec_distance_{k}": float(distance[mine].median()),
                f"d_real_{k}": float(d_real[mine].mean()),
                f"d_rec_{k}": float(d_rec[mine].mean()),
                f"code_norm_{k}": float(code[mine].norm(dim=1).mean()),
                f"g_share_{k}": counts[k] / 2500,
            }
        )
    return report


def encoder_run(
    method: str = "reg_gan",
    task: str = "unit_ring",
    seed: int = 0,
    setup=None,
    steps: int | None = None,
    every: int | None = None,
    **settings,
):
    """Train ``method`` (``reg_gan`` or ``mdgan``) on ``task`` with ``setup`` (default ``COLLAPSE_SETUP``)
    and log :func:`encoder_report` every ``every`` steps (default: 20 times); returns the
    :class:`~mcgan_lib.experiments.toy.ToyRun` (``run.trainer.history["eval"]`` holds the reports).
    ``settings`` are the method's (``weight`` = λ1, ``lambda_mode`` = λ2)."""
    from mcgan_lib.data.tasks import make_task
    from mcgan_lib.experiments.toy import COLLAPSE_SETUP, train_toy
    from mcgan_lib.training import EvaluateEvery
    from mcgan_lib.validation import check_choice, check_int

    check_choice("method", method, ("reg_gan", "mdgan"))
    data = make_task(task)
    setup = COLLAPSE_SETUP if setup is None else setup
    steps = setup.default_steps() if steps is None else check_int("steps", steps, minimum=1)
    every = max(1, steps // 20) if every is None else check_int("every", every, minimum=1)
    regularizer = build_method(method, data, setup, seed, **settings)
    callback = EvaluateEvery(every, lambda trainer: encoder_report(trainer, data, seed=seed))
    return train_toy(data, seed=seed, setup=setup, regularizer=regularizer, steps=steps, callbacks=[callback])


def encoder_history(history: dict, latent_dim: int, held: int | None = None) -> pd.DataFrame:
    """:func:`encoder_report`'s log (``trainer.history["eval"]``) as one row per logged step: for the mode
    that G(z) holds at the end (``held``, default the mode with the largest final ``g_share``) and the
    mean over the other modes, the G(z) share (summed over the others), the fraction of reconstructions on
    their own mode, the mean code norm ‖E(x)‖, D(G(E(x))) and D(x); ``prior_tail_others`` is the prior's
    probability of a latent at least as far out as the other modes' mean code norm (χ² with
    ``latent_dim`` degrees of freedom)."""
    from scipy.stats import chi2

    from mcgan_lib.validation import check_int

    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    n_modes = len([key for key in history if key.startswith("g_share_")])
    if n_modes == 0:
        raise ValueError("history must be encoder_report's log (keys g_share_0, ...), got keys " + str(sorted(history)))
    held = max(range(n_modes), key=lambda k: history[f"g_share_{k}"][-1]) if held is None else held
    held = check_int("held", held, minimum=0, maximum=n_modes - 1)
    others = [k for k in range(n_modes) if k != held]
    table = pd.DataFrame({"step": list(history["step"]), "prior_norm": list(history["prior_norm"])})
    for name in ("g_share", "rec_on_own", "code_norm", "d_rec", "d_real"):
        columns = pd.DataFrame({k: list(history[f"{name}_{k}"]) for k in range(n_modes)})
        table[f"{name}_held"] = columns[held]
        table[f"{name}_others"] = columns[others].sum(axis=1) if name == "g_share" else columns[others].mean(axis=1)
    table["prior_tail_others"] = chi2.sf(table["code_norm_others"] ** 2, latent_dim)
    table.attrs["held"] = held
    return table
