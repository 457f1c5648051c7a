"""Reg-GAN and MDGAN (Che et al. 2017): loss values and gradients, the sign of the mode term, the
MDGAN schedule inside the one training loop, errors, and a measured training outcome."""

import math

import pandas as pd
import pytest
import torch

from mcgan_lib.chapters.ch06_mode_regularized import METHOD_SETTINGS, chapter_setup, train_method
from mcgan_lib.data.base import Batch
from mcgan_lib.data.digits import digits
from mcgan_lib.data.toy import imbalanced_ring, ring
from mcgan_lib.losses import discriminator_loss
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPEncoder, MLPGenerator
from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep
from mcgan_lib.regularizers.mode_regularized import (
    ManifoldDiffusionRegularizer,
    ModeRegularizer,
    check_encoder_matches,
    check_geometric_inputs,
    check_mode_loss_inputs,
    geometric_loss,
    mode_loss,
    reconstruct,
)
from mcgan_lib.sweeps import sweep
from mcgan_lib.tasks import evaluate
from mcgan_lib.training import TrainConfig, Trainer


def small_nets(seed=0, latent_dim=2):
    generator = MLPGenerator(latent_dim, 2, hidden_dim=16, seed=seed)
    discriminator = MLPDiscriminator(2, hidden_dim=16, seed=seed + 1)
    encoder = MLPEncoder(2, latent_dim, hidden_dim=16, seed=seed + 2)
    return generator, discriminator, encoder


def generator_step(batch_real, generator, discriminator, z):
    fake = generator(z)
    return GeneratorStep(
        step=1,
        batch=Batch(batch_real),
        z=z[None],
        condition=None,
        fake=fake[None],
        features=None,
        fake_logits=discriminator(fake)[None],
        generator=generator,
        discriminator=discriminator,
        rng=torch.Generator().manual_seed(0),
        gan_loss="non_saturating",
    )


# ------------------------------------------------------------------ geometric loss
def test_geometric_loss_by_hand():
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    x_rec = torch.tensor([[1.0, 0.0], [1.0, 3.0]])
    assert geometric_loss(x, x_rec).item() == pytest.approx((1 + 4) / 2)  # squared l2 summed per example
    assert geometric_loss(x, x_rec, "l1").item() == pytest.approx((1 + 2) / 2)
    assert geometric_loss(x, x).item() == 0.0


def test_geometric_loss_flattens_images():
    x = torch.zeros(3, 2, 2)
    assert geometric_loss(x, torch.ones(3, 2, 2)).item() == pytest.approx(4.0)


@pytest.mark.parametrize("distance", ["squared_l2", "l1"])
def test_geometric_loss_gradcheck(distance):
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, generator=rng, dtype=torch.float64)
    x_rec = (x + 0.5 + torch.rand(4, 3, generator=rng, dtype=torch.float64)).requires_grad_()  # no |0| kink
    assert torch.autograd.gradcheck(lambda r: geometric_loss(x, r, distance), (x_rec,))


# ------------------------------------------------------------------ mode loss and its sign
def test_mode_loss_by_hand():
    logits = torch.tensor([0.0, math.log(3.0)])  # D = 1/2 and 3/4
    expected = -(math.log(0.5) + math.log(0.75)) / 2
    assert mode_loss(logits).item() == pytest.approx(expected)


def test_mode_loss_gradcheck_and_gradient_sign():
    logits = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(mode_loss, (logits,))
    mode_loss(logits).backward()
    # d/dl of -log sigmoid(l) = -(1 - sigmoid(l)) / B: negative, so descent raises every logit
    assert torch.allclose(logits.grad, -(1 - torch.sigmoid(logits.detach())) / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mode_term_moves_reconstructions_towards_what_d_accepts_as_real(seed):
    """The sign test: a descent step on λ2 * mode_loss raises D(G(E(x))); the paper's printed
    +λ2 log D(G(E(x))) (= -λ2 * mode_loss) lowers it."""
    x = imbalanced_ring().sample(256, torch.Generator().manual_seed(seed))

    def d_on_reconstruction_after_step(sign):
        generator, _, encoder = small_nets(seed)
        discriminator = torch.nn.Linear(2, 1)  # a hand-made D: "real" lies to the right (logit 3 x_0)
        with torch.no_grad():
            discriminator.weight.copy_(torch.tensor([[3.0, 0.0]]))
            discriminator.bias.zero_()
        discriminator = discriminator.requires_grad_(False)
        d_logit = lambda points: discriminator(points).squeeze(1)  # noqa: E731
        params = list(generator.parameters()) + list(encoder.parameters())
        before = torch.sigmoid(d_logit(reconstruct(encoder, generator, x))).mean().item()
        for _ in range(10):  # ten plain gradient-descent steps of G and E; D is fixed
            loss = sign * 0.5 * mode_loss(d_logit(reconstruct(encoder, generator, x)))
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.05 * g
        after = torch.sigmoid(d_logit(reconstruct(encoder, generator, x))).mean().item()
        return before, after

    before, after = d_on_reconstruction_after_step(+1)
    assert after > before + 0.01
    before, after_printed_sign = d_on_reconstruction_after_step(-1)
    assert after_printed_sign < before - 0.01


# ------------------------------------------------------------------ Reg-GAN
def test_mode_regularizer_terms_match_the_formulas_and_train_the_encoder():
    generator, discriminator, encoder = small_nets()
    regularizer = ModeRegularizer(encoder, lambda_geometric=0.3, lambda_mode=0.7, distance="l1")
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    z = torch.randn(8, 2, generator=torch.Generator().manual_seed(2))
    terms = regularizer.generator_terms(generator_step(x, generator, discriminator, z))
    x_rec = generator(encoder(x))
    assert terms["geometric"].item() == pytest.approx(0.3 * (x - x_rec).abs().sum(1).mean().item(), rel=1e-6)
    assert terms["mode"].item() == pytest.approx(
        0.7 * -torch.log(torch.sigmoid(discriminator(x_rec))).mean().item(), rel=1e-5
    )
    sum(terms.values()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())
    assert regularizer.generator_side_modules() == [encoder]
    assert regularizer.adversarial_weight == 1.0  # Reg-GAN keeps -log D(G(z))


def test_zero_lambdas_give_zero_terms():
    generator, discriminator, encoder = small_nets()
    regularizer = ModeRegularizer(encoder, lambda_geometric=0.0, lambda_mode=0.0)
    x = torch.randn(4, 2)
    terms = regularizer.generator_terms(generator_step(x, generator, discriminator, torch.randn(4, 2)))
    assert all(t.item() == 0.0 for t in terms.values())


# ------------------------------------------------------------------ MDGAN
def mdgan(seed=0, lambda_geometric=0.5):
    generator, discriminator, encoder = small_nets(seed)
    d1 = MLPDiscriminator(2, hidden_dim=16, seed=seed + 10)
    d2 = MLPDiscriminator(2, hidden_dim=16, seed=seed + 11)
    return generator, discriminator, ManifoldDiffusionRegularizer(encoder, d1, d2, lambda_geometric)


def test_mdgan_discriminator_terms_are_the_two_steps():
    generator, discriminator, regularizer = mdgan()
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    fake = generator(torch.randn(8, 2, generator=torch.Generator().manual_seed(2))).detach()
    step = DiscriminatorStep(
        step=1,
        batch=Batch(x),
        fake=fake,
        real_logits=None,
        fake_logits=None,
        generator=generator,
        discriminator=discriminator,
        rng=torch.Generator(),
        gan_loss="non_saturating",
        sample_latent=None,
    )
    terms = regularizer.discriminator_terms(step)
    x_rec = generator(regularizer.encoder(x)).detach()
    d1, d2 = regularizer.manifold_discriminator, regularizer.diffusion_discriminator
    assert terms["manifold"].item() == pytest.approx(discriminator_loss(d1(x), d1(x_rec)).item(), rel=1e-6)
    assert terms["diffusion"].item() == pytest.approx(discriminator_loss(d2(x_rec), d2(fake)).item(), rel=1e-6)
    sum(terms.values()).backward()
    assert all(p.grad is None for p in generator.parameters())  # D's step never trains G or E
    assert all(p.grad is None for p in regularizer.encoder.parameters())


def test_mdgan_generator_terms_train_the_right_networks():
    generator, discriminator, regularizer = mdgan(lambda_geometric=0.4)
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    z = torch.randn(8, 2, generator=torch.Generator().manual_seed(2))
    terms = regularizer.generator_terms(generator_step(x, generator, discriminator, z))
    x_rec = generator(regularizer.encoder(x))
    d1, d2 = regularizer.manifold_discriminator, regularizer.diffusion_discriminator
    manifold = -torch.log(torch.sigmoid(d1(x_rec))).mean() + 0.4 * (x - x_rec).pow(2).sum(1).mean()
    assert terms["manifold"].item() == pytest.approx(manifold.item(), rel=1e-5)
    assert terms["diffusion"].item() == pytest.approx(
        -torch.log(torch.sigmoid(d2(generator(z)))).mean().item(), rel=1e-5
    )
    terms["diffusion"].backward()  # the diffusion step trains G only, through G(z)
    assert all(p.grad is None for p in regularizer.encoder.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def test_mdgan_runs_in_the_training_loop_with_the_main_discriminator_off(tmp_path):
    generator, discriminator, regularizer = mdgan()
    main_d_before = [p.detach().clone() for p in discriminator.parameters()]
    d1_before = [p.detach().clone() for p in regularizer.manifold_discriminator.parameters()]
    encoder_before = [p.detach().clone() for p in regularizer.encoder.parameters()]
    config = TrainConfig(steps=3, batch_size=16, log_every=1)
    trainer = Trainer(
        imbalanced_ring(), generator, discriminator, config, regularizer=regularizer, checkpoint_dir=tmp_path
    )
    trainer.train()
    assert all(torch.equal(a, b) for a, b in zip(main_d_before, discriminator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d1_before, regularizer.manifold_discriminator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(encoder_before, regularizer.encoder.parameters()))
    losses = trainer.history["loss"]
    assert {"d_manifold", "d_diffusion", "g_manifold", "g_diffusion"} <= set(losses)
    assert "d_adversarial" not in losses and "g_adversarial" not in losses
    # D1, D2 and E are saved with the regularizer: a fresh trainer resumes to the same weights
    generator2, discriminator2, regularizer2 = mdgan(seed=5)
    resumed = Trainer(imbalanced_ring(), generator2, discriminator2, config, regularizer=regularizer2).resume(tmp_path)
    assert resumed.step == 3
    assert torch.equal(
        next(regularizer2.diffusion_discriminator.parameters()), next(regularizer.diffusion_discriminator.parameters())
    )


# ------------------------------------------------------------------ errors
def test_errors_name_the_argument():
    generator, discriminator, encoder = small_nets()
    with pytest.raises(ValueError, match="lambda_geometric"):
        ModeRegularizer(encoder, lambda_geometric=-0.1)
    with pytest.raises(ValueError, match="lambda_mode"):
        ModeRegularizer(encoder, lambda_mode=-1.0)
    with pytest.raises(ValueError, match="lambda_geometric"):
        ManifoldDiffusionRegularizer(encoder, discriminator, discriminator, lambda_geometric=-2.0)
    with pytest.raises(ValueError, match="distance"):
        ModeRegularizer(encoder, distance="l3")
    with pytest.raises(ValueError, match="x_rec"):
        check_geometric_inputs(torch.zeros(4, 2), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="distance"):
        geometric_loss(torch.zeros(4, 2), torch.zeros(4, 2), distance="l3")  # an unknown distance is never computed
    with pytest.raises(ValueError, match="d_logits_rec"):
        check_mode_loss_inputs(torch.zeros(4, 1))
    with pytest.raises(ValueError, match="method must be one of"):
        train_method("wgan", imbalanced_ring())


def test_mismatched_encoder_and_generator_latents_give_a_clear_error():
    generator, discriminator, _ = small_nets(latent_dim=2)
    encoder = MLPEncoder(2, latent_dim=5, hidden_dim=8)
    with pytest.raises(ValueError, match="latent_dim"):
        check_encoder_matches(encoder, generator)
    trainer = Trainer(
        imbalanced_ring(),
        generator,
        discriminator,
        TrainConfig(steps=1, batch_size=8),
        regularizer=ModeRegularizer(encoder),
    )
    with pytest.raises(ValueError, match="encoder latent_dim=5 does not match generator latent_dim=2"):
        trainer.train()


class _OnCenters(torch.nn.Module):
    """Puts every sample exactly on one of ``centers`` in turn (latent i -> centre i mod len)."""

    latent_dim = 1

    def __init__(self, centers):
        super().__init__()
        self.register_buffer("centers", centers)
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def sample_latent(self, n, generator=None, device="cpu"):
        return torch.arange(n, dtype=torch.float32, device=device)[:, None]

    def forward(self, z, condition=None):
        return self.centers[z[:, 0].long() % len(self.centers)]


def test_the_mixture_evaluator_reports_the_minor_mode_by_hand():
    mixture = imbalanced_ring(minor_mass=0.05)
    # 100 samples, a quarter on each of modes 0 (the minor mode), 1, 2, 3: every one HQ
    report = evaluate(mixture, _OnCenters(mixture.centers[:4]), 100)
    assert report["modes_captured"] == 4 and report["high_quality_fraction"] == 1.0
    assert report["minor_captured"] == 1 and report["minor_share"] == pytest.approx(0.25)
    assert report["minor_hq_samples"] == 25
    assert report["modes_covered"] == 4  # 25 HQ samples each >= a quarter of each mode's expected share
    # every sample on mode 1: the minor mode is missed, one mode captured and covered
    missed = evaluate(mixture, _OnCenters(mixture.centers[1:2]), 100)
    assert (missed["modes_captured"], missed["modes_covered"], missed["minor_captured"]) == (1, 1, 0)
    assert missed["minor_share"] == 0.0
    # equal weights: no minor mode, no minor-mode numbers
    assert "minor_captured" not in evaluate(ring(), _OnCenters(ring().centers), 100)


def test_the_flat_digits_evaluator_scores_real_digits_as_the_data():
    class _RealDigits(torch.nn.Module):
        latent_dim = 1

        def __init__(self, images):
            super().__init__()
            self.register_buffer("images", images)
            self.dummy = torch.nn.Parameter(torch.zeros(()))

        def sample_latent(self, n, generator=None, device="cpu"):
            return torch.arange(n, dtype=torch.float32, device=device)[:, None]

        def forward(self, z, condition=None):
            return self.images[z[:, 0].long() % len(self.images)]

    data = digits("train", sigmas=(1.0,), d_star_steps=20)
    report = evaluate(data, _RealDigits(data.real), 400)
    assert set(report) == {"mode_score", "inception_score", "missing_sigma_1", *(f"class_{k}" for k in range(10))}
    assert report["mode_score"] > 8 and sum(report[f"class_{k}"] for k in range(10)) == pytest.approx(1.0)
    assert 0 <= report["missing_sigma_1"] <= len(data.test_split())
    assert data.spec()["d_star_steps"] == 20 and data.spec()["sigmas"] == [1.0]


# ------------------------------------------------------------------ measured training outcome
CI_STEPS, CI_SEEDS = 300, [0, 1, 2, 3]


def test_reg_gan_captures_more_modes_than_gan_on_the_imbalanced_ring(tmp_path):
    """Small CI version: an easier (std 0.1) imbalanced ring, 300 steps, 4 seeds, the chapter's networks."""
    mixture = imbalanced_ring(minor_mass=0.05, std=0.1)
    setup = chapter_setup(steps=CI_STEPS, batch_size=64, hidden_dim=32)
    table = pd.concat(
        [
            sweep(mixture, m, seeds=CI_SEEDS, setup=setup, method_options=METHOD_SETTINGS[m], cache_dir=tmp_path)
            for m in ("gan", "reg_gan")
        ]
    )
    modes = table.groupby("method")["modes_captured"].mean()
    assert modes["reg_gan"] >= modes["gan"] + 2.0  # measured: 8.0 vs 3.0
    minor = table.groupby("method")["minor_captured"].sum()
    assert minor["reg_gan"] >= 3  # measured: 4 of 4 seeds (plain GAN: 2 of 4)


def test_conditional_data_is_refused_with_a_clear_error():
    from mcgan_lib.data.conditional import BranchingConditional

    data = BranchingConditional()
    generator = MLPGenerator(2, 1, hidden_dim=8, condition_dim=1, seed=0)
    discriminator = MLPDiscriminator(1, hidden_dim=8, condition_dim=1, seed=1)
    regularizer = ModeRegularizer(MLPEncoder(1, 2, hidden_dim=8))
    trainer = Trainer(data, generator, discriminator, TrainConfig(steps=1, batch_size=8), regularizer=regularizer)
    with pytest.raises(ValueError, match="unconditional"):
        trainer.train()


def test_encoder_report_logs_reconstructions_d_and_codes_per_mode_over_training():
    from mcgan_lib.chapters.ch06_mode_regularized import encoder_report, encoder_run, reconstructions
    from mcgan_lib.experiments.toy import ToySetup
    from mcgan_lib.tasks import make_task

    setup = ToySetup(latent_dim=4, hidden_dim=16, d_hidden_dim=16, steps=20, quick_steps=20)
    run = encoder_run("reg_gan", "unit_ring", seed=0, setup=setup, every=10, weight=1.0)
    history = run.trainer.history["eval"]
    assert history["step"] == [10, 20]
    for k in range(8):
        for name in ("rec_on_own", "d_real", "d_rec", "g_share"):
            assert all(0.0 <= value <= 1.0 for value in history[f"{name}_{k}"])
        assert all(value >= 0.0 for value in history[f"rec_distance_{k}"] + history[f"code_norm_{k}"])
    data = make_task("unit_ring")
    out = reconstructions(run.trainer, data, n_per_mode=5)
    assert out["reconstruction"].shape == (40, 2) and out["code"].shape == (40, 4)
    assert out["mode"].tolist() == [k for k in range(8) for _ in range(5)]
    report = encoder_report(run.trainer, data, n_per_mode=5)
    expected = (out["reconstruction"] - out["x"]).norm(dim=1)[:5].median() / data.std
    assert report["rec_distance_0"] == pytest.approx(float(expected))
    assert sum(report[f"g_share_{k}"] for k in range(8)) <= 1.0


def test_encoder_report_names_what_it_needs():
    from mcgan_lib.chapters.ch06_mode_regularized import encoder_report, encoder_run
    from mcgan_lib.tasks import make_task

    plain = train_method("gan", imbalanced_ring(), steps=1, hidden_dim=8)
    with pytest.raises(ValueError, match="encoder"):
        encoder_report(plain, make_task("unit_ring"))
    with pytest.raises(ValueError, match="method must be one of"):
        encoder_run("gan", steps=1)
