"""Chapter 06, mode-regularized GANs (Reg-GAN, MDGAN): its sweeps, its claims and its own runs.

The sweeps: the plain GAN, Reg-GAN and MDGAN over five seeds on Che et al.'s toy (the imbalanced ring,
scored with its minor mode's numbers) and on flat 8x8 digits (MODE score, inception score, class
histogram, missing modes), with section 4's networks (:func:`chapter_setup`, D seeded from seed + 1);
the (λ1, λ2) slider grid of Reg-GAN on the imbalanced ring; and chapter 07's single-mode runs on the
ring (the same stored results). The figures that need D as well as G train one sequential run
(:func:`method_run`), a sibling of a sweep's seed-0 row. The losses and regularizers live in
:mod:`mcgan_lib.regularizers.mode_regularized`; the methods are those of :mod:`mcgan_lib.methods`.
"""

from __future__ import annotations

import pandas as pd

from mcgan_lib.chapters import ch07_comparison
from mcgan_lib.chapters.ch07_comparison import tuned_settings
from mcgan_lib.claims import Claim, paired_row, paired_test
from mcgan_lib.config import choose
from mcgan_lib.data.digits import DigitsData, digits
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.methods import get_method
from mcgan_lib.runs import RunSpec, train_run
from mcgan_lib.training import Trainer

CHAPTER = "06_mode_regularized"


METHODS = ("gan", "reg_gan", "mdgan")
# Section 4's λ's: Reg-GAN's λ1 (``weight``) and λ2 (``lambda_mode``), MDGAN's λ (Che et al.'s toy values).
METHOD_SETTINGS = {"gan": {}, "reg_gan": {"weight": 0.5, "lambda_mode": 0.5}, "mdgan": {"weight": 0.5}}
SEEDS = [0, 1, 2, 3, 4]
DIGIT_SIGMAS = (0.5, 1.0)  # the missing-mode count's input noise, in pixel units of [-1, 1]


def reg_gan_setup() -> ToySetup:
    """Section 4's toy settings (latent 2, 64 units, lr 1e-3) as a setup."""
    return ToySetup(
        latent_dim=2, hidden_dim=64, d_hidden_dim=64, lr=1e-3, batch_size=choose(256, 128), steps=1500, quick_steps=300
    )


def sweeps() -> dict[str, dict]:
    """The chapter's sweeps in the current mode: name -> :func:`mcgan_lib.sweeps.sweep` keyword arguments.

    ``minor_mode_<method>`` and ``digits_<method>`` for each of :data:`METHODS`: section 4's toy and
    section 7's digits, five seeds each."""
    lambdas = [0.0, 0.5, 2.0]
    declared = {
        "reg_gan_lambdas": dict(
            task="imbalanced_ring",
            method="reg_gan",
            grid={"weight": lambdas, "lambda_mode": lambdas},
            seeds=choose([0, 1, 2], [0]),
            setup=reg_gan_setup(),
        ),
    }
    for method in METHODS:
        declared[f"minor_mode_{method}"] = dict(
            task="imbalanced_ring",
            method=method,
            method_options=METHOD_SETTINGS[method],
            seeds=list(SEEDS),
            setup=toy_setup(),
        )
    for method in METHODS:
        declared[f"digits_{method}"] = dict(
            task=digits_task(),
            method=method,
            method_options=METHOD_SETTINGS[method],
            seeds=list(SEEDS),
            setup=digits_setup(),
            n_eval_samples=1000,
            keep_samples=16,
        )
    comparison = ch07_comparison.sweeps()  # chapter 07's single-mode runs on the ring (the same stored results)
    declared |= {name: comparison[name] for name in ("collapse_ring_gan", "collapse_ring_reg_gan")}
    return declared


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


def toy_setup() -> ToySetup:
    """Section 4's toy: :func:`chapter_setup` with 1,500 steps of batch 256 (quick: 300 of 128)."""
    return chapter_setup(steps=choose(1500, 300), batch_size=choose(256, 128))


def digits_setup() -> ToySetup:
    """Section 7's digits: :func:`chapter_setup` with a 16-dimensional latent, MLPs of 128 units and 2,000
    steps of batch 128 (quick: 300 of 64)."""
    return chapter_setup(steps=choose(2000, 300), latent_dim=16, hidden_dim=128, batch_size=choose(128, 64))


def digits_task() -> DigitsData:
    """The digits' train split, scored against the test split at :data:`DIGIT_SIGMAS` with D* trained for
    1,000 steps (quick: 200)."""
    return digits("train", sigmas=DIGIT_SIGMAS, d_star_steps=choose(1000, 200))


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
    settings = {
        "reg_gan": {"weight": lambda_geometric, "lambda_mode": lambda_mode},
        "mdgan": {"weight": lambda_geometric},
    }.get(method, {})
    spec = RunSpec(data, method, settings, setup, seed, steps, {"log_every": max(1, steps // 50)})
    trainer = spec.trainer(callbacks)
    trainer.train()
    return trainer


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
    :class:`~mcgan_lib.runs.TrainedRun` (``run.trainer.history["eval"]`` holds the reports).
    ``settings`` are the method's (``weight`` = λ1, ``lambda_mode`` = λ2)."""
    from mcgan_lib.experiments.toy import COLLAPSE_SETUP
    from mcgan_lib.tasks import make_task
    from mcgan_lib.training import EvaluateEvery
    from mcgan_lib.validation import check_choice, check_int

    check_choice("method", method, ("reg_gan", "mdgan"))
    data = make_task(task)
    setup = COLLAPSE_SETUP if setup is None else setup
    steps = setup.default_steps() if steps is None else check_int("steps", steps, minimum=1)
    every = max(1, steps // 20) if every is None else check_int("every", every, minimum=1)
    callback = EvaluateEvery(every, lambda trainer: encoder_report(trainer, data, seed=seed))
    return train_run(RunSpec(data, method, settings, setup, seed, steps), callbacks=[callback])


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


# ------------------------------------------------------------------------------------------------- claims
def reg_gan_single_mode(read, metric: str = "modes_covered") -> dict:
    """Reg-GAN against the plain GAN in the single-mode regime on the ring (chapter 07's runs),
    paired seeds, Wilcoxon; the means, the verdict and its evidence on ``metric``."""
    tables = {name: read(f"collapse_ring_{name}") for name in ("gan", "reg_gan")}
    settings = {**get_method("reg_gan").defaults, **tuned_settings("reg_gan")}
    return {
        "lambda_1": float(settings["weight"]),
        "lambda_2": float(settings["lambda_mode"]),
        "hq_gan": float(tables["gan"].high_quality_fraction.mean()),
        "hq_reg_gan": float(tables["reg_gan"].high_quality_fraction.mean()),
        **paired_row(tables, metric, "reg_gan"),
    }


def che_toy_minor_mode(read) -> dict:
    """Section 4's imbalanced ring, five paired seeds: seeds on which each method captures the minor mode,
    the range of its mean share of the HQ samples, and Reg-GAN's and MDGAN's paired tests on its HQ samples."""
    tables = {method: read(f"minor_mode_{method}") for method in METHODS}
    both = pd.concat(tables.values(), ignore_index=True)
    shares = [float(t.minor_share.mean()) for t in tables.values()]
    tests = {method: paired_test(both, method, "minor_hq_samples") for method in METHODS if method != "gan"}
    return {
        **{method: int(t.minor_captured.sum()) for method, t in tables.items()},
        "seeds": int(tables["gan"].seed.nunique()),
        "low": min(shares),
        "high": max(shares),
        "p_reg_gan": tests["reg_gan"]["p"],
        "p_mdgan": tests["mdgan"]["p"],
        "verdicts": {test["verdict"] for test in tests.values()},
    }


def digits_mode_scores(read) -> dict:
    """Section 7's digits: each method's mean MODE score over its seeds."""
    return {method: float(read(f"digits_{method}").mode_score.mean()) for method in METHODS}


CLAIMS = (
    Claim(
        "che_toy_minor_mode",
        "Che et al.'s imbalanced ring, {seeds} paired seeds: the plain GAN, Reg-GAN and MDGAN capture the minor "
        "mode on {gan}, {reg_gan} and {mdgan} seeds, and give it a mean share of their HQ samples between "
        "{low:.3f} and {high:.3f} (the data's 0.05); on its HQ samples, Wilcoxon p = {p_reg_gan:.3g} (Reg-GAN) "
        "and {p_mdgan:.3g} (MDGAN): no effect detected at {seeds} seeds.",
        che_toy_minor_mode,
        lambda e: (
            e["verdicts"] == {"no effect detected"} and e["high"] < 0.05 and min(e["reg_gan"], e["mdgan"]) >= e["gan"]
        ),
    ),
    Claim(
        "digits_mode_score",
        "Digits, five seeds: the plain GAN has the highest mean MODE score ({gan:.2f}, against {reg_gan:.2f} "
        "for Reg-GAN and {mdgan:.2f} for MDGAN).",
        digits_mode_scores,
        lambda e: e["gan"] > max(e["reg_gan"], e["mdgan"]),
    ),
    Claim(
        "single_mode_ring",
        "Ring, single-mode regime, seeds 0-9 (chapter 07's runs): Reg-GAN (λ1 = {lambda_1:g} tuned on seeds "
        "100-102, λ2 = {lambda_2:g}) covers {reg_gan:.1f} modes by the strict count against the plain GAN's "
        "{gan:.1f} (wins / losses {wins}, Wilcoxon p = {p}): {verdict} at {seeds} seeds; high-quality "
        "fraction {hq_reg_gan:.2f} against {hq_gan:.2f}.",
        lambda read: reg_gan_single_mode(read),
        lambda e: e["verdict"] == "no effect detected" and e["seeds"] == 10 and e["reg_gan"] < 3,
    ),
)
