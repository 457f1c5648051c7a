"""Tests of MR-GAN (Lee, Ha and Kim 2019): the eight losses, the MLE loss, the predictor, the
regularizer in the training loop, bad input, and the Appendix C claim on the ring.

Hand-computed cases use the samples ỹ = (1, 2, 6) (odd K: mean 3, unbiased variance 7, median 2,
MAD 5/3) and ỹ = (1, 2, 6, 10) (even K: lower median 2), with the real y = 5.
"""

import math

import pytest
import torch

from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.toy import GaussianMixture, ring
from mcgan_lib.experiments.fitting import fit_predictor
from mcgan_lib.experiments.moment_reconstruction import appendix_b_run, seed_table
from mcgan_lib.methods import build_method
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.moment_reconstruction import (
    DEFAULT_EPS,
    VARIANTS,
    MomentReconstruction,
    check_mle_inputs,
    check_mr_inputs,
    check_proxy_mr_inputs,
    mle_loss,
    mr_loss,
    parse_variant,
    proxy_mr2_variance_optimum,
    proxy_mr_loss,
    sample_center,
    sample_spread,
)
from mcgan_lib.regularizers.reconstruction import Reconstruction, reconstruction_loss
from mcgan_lib.sweeps import summarize
from mcgan_lib.training import TrainConfig, Trainer

ODD = [1.0, 2.0, 6.0]
EVEN = [1.0, 2.0, 6.0, 10.0]
Y = 5.0


def column(values, dtype=torch.float64, requires_grad=True):
    """K samples of a one-element target: shape (K, 1)."""
    return torch.tensor(values, dtype=dtype).reshape(-1, 1).requires_grad_(requires_grad)


def target(value=Y, dtype=torch.float64):
    return torch.tensor([value], dtype=dtype)


def gradient(loss, samples):
    (grad,) = torch.autograd.grad(loss, samples)
    return grad.flatten().tolist()


# ----------------------------------------------------------------------------- statistics
def test_sample_statistics_by_hand():
    odd, even = column(ODD, requires_grad=False), column(EVEN, requires_grad=False)
    assert sample_center(odd, "gaussian").item() == pytest.approx(3.0)
    assert sample_spread(odd, "gaussian").item() == pytest.approx(7.0)  # unbiased: 14 / 2
    assert sample_center(odd, "laplace").item() == 2.0
    assert sample_spread(odd, "laplace").item() == pytest.approx(5 / 3)
    assert sample_center(even, "laplace").item() == 2.0  # the lower middle value, not 4
    assert sample_spread(even, "laplace").item() == pytest.approx((1 + 0 + 4 + 8) / 4)


# ----------------------------------------------------------------------------- MR loss, Algorithms 1-4
def test_gaussian_mr1_value_and_gradient():
    samples = column(ODD)
    loss = mr_loss(samples, target(), "gaussian", moments=1)
    assert loss.item() == pytest.approx((5 - 3) ** 2)
    assert gradient(loss, samples) == pytest.approx([-2 * 2 / 3] * 3)  # -2 (y - mean) / K


def test_gaussian_mr2_value():
    loss = mr_loss(column(ODD), target(), "gaussian", moments=2, eps=0.0)
    assert loss.item() == pytest.approx(4 / (2 * 7) + 0.5 * math.log(7))


@pytest.mark.parametrize("moments", [1, 2])
def test_gaussian_mr_gradcheck(moments):
    samples = torch.randn(5, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    assert torch.autograd.gradcheck(lambda s, t: mr_loss(s, t, "gaussian", moments), (samples, y))


@pytest.mark.parametrize("values", [ODD, EVEN], ids=["odd K", "even K"])
def test_laplace_mr1_detach_trick_spreads_gradient_over_all_samples(values):
    samples = column(values)
    loss = mr_loss(samples, target(), "laplace", moments=1)
    assert loss.item() == pytest.approx(abs(5 - 2))  # |y - median|, median = 2 for both
    K = len(values)
    assert gradient(loss, samples) == pytest.approx([-1 / K] * K)  # every sample, not only the median


def test_laplace_mr1_without_the_trick_would_move_only_the_median():
    """What the trick fixes: the plain |y - median| gives a gradient to the median sample alone."""
    samples = column(ODD)
    naive = (target() - sample_center(samples, "laplace")).abs().mean()
    assert gradient(naive, samples) == pytest.approx([0.0, -1.0, 0.0])


def test_laplace_mr2_value_and_gradient_odd_k():
    samples = column(ODD)
    loss = mr_loss(samples, target(), "laplace", moments=2, eps=0.0)
    b = 5 / 3
    assert loss.item() == pytest.approx(3 / b + math.log(b))
    # L = A / b + log b; dA/dỹ_i = -1/3 (trick); db/dỹ = (-1/3, 0, +1/3); dL/db = -A/b^2 + 1/b = -12/25
    assert gradient(loss, samples) == pytest.approx([-1 / 25, -1 / 5, -9 / 25])


def test_laplace_mr2_value_even_k():
    loss = mr_loss(column(EVEN), target(), "laplace", moments=2, eps=0.0)
    b = 13 / 4
    assert loss.item() == pytest.approx(3 / b + math.log(b))


def test_mr_loss_is_mean_over_every_element():
    samples = torch.stack([torch.zeros(2, 3), torch.ones(2, 3) * 2])  # K=2, mean 1 everywhere
    y = torch.tensor([[1.0, 1, 1], [1, 1, 4]])  # squared errors 0,0,0,0,0,9
    assert mr_loss(samples, y, "gaussian", 1).item() == pytest.approx(9 / 6)


# ----------------------------------------------------------------------------- proxy MR, Algorithms 5-8
def test_proxy_gaussian_values_and_gradient():
    samples = column(ODD)
    mu, var = torch.tensor([4.0], dtype=torch.float64), torch.tensor([5.0], dtype=torch.float64)
    assert proxy_mr_loss(samples, mu, None, "gaussian", 1).item() == pytest.approx(1.0)
    loss = proxy_mr_loss(samples, mu, var, "gaussian", 2)
    assert loss.item() == pytest.approx((4 - 3) ** 2 + (5 - 7) ** 2)
    # d/dỹ_i: -2(μ̂-μ̃)/K + 2(σ̃²-σ̂²) * 2(ỹ_i-μ̃)/(K-1) = -2/3 + 4(ỹ_i - 3)
    assert gradient(loss, samples) == pytest.approx([-2 / 3 - 8, -2 / 3 - 4, -2 / 3 + 12])


@pytest.mark.parametrize("moments", [1, 2])
def test_proxy_gaussian_gradcheck(moments):
    rng = torch.Generator().manual_seed(2)
    samples = torch.randn(4, 3, dtype=torch.float64, generator=rng, requires_grad=True)
    center = torch.randn(3, dtype=torch.float64, generator=rng)
    spread = torch.rand(3, dtype=torch.float64, generator=rng) + 0.5
    assert torch.autograd.gradcheck(lambda s: proxy_mr_loss(s, center, spread, "gaussian", moments), (samples,))


@pytest.mark.parametrize("values", [ODD, EVEN], ids=["odd K", "even K"])
def test_proxy_laplace_mr1_detach_trick(values):
    samples = column(values)
    median_hat = torch.tensor([4.0], dtype=torch.float64)
    loss = proxy_mr_loss(samples, median_hat, None, "laplace", 1)
    assert loss.item() == pytest.approx((4 - 2) ** 2)
    K = len(values)
    assert gradient(loss, samples) == pytest.approx([-2 * 2 / K] * K)


def test_proxy_laplace_mr2_value_and_gradient():
    samples = column(ODD)
    loss = proxy_mr_loss(
        samples, torch.tensor([4.0], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64), "laplace", 2
    )
    assert loss.item() == pytest.approx(4 + (1 - 5 / 3) ** 2)
    # trick part: -4/3 each; MAD part: 2(b̃ - b̂) * db̃/dỹ = (4/3) * (-1/3, 0, 1/3)
    assert gradient(loss, samples) == pytest.approx([-4 / 3 - 4 / 9, -4 / 3, -4 / 3 + 4 / 9])


# ----------------------------------------------------------------------------- MLE loss, Eq. 4.1 / 4.2
def test_mle_loss_values():
    y, center, log_spread = torch.tensor([3.0]), torch.tensor([1.0]), torch.tensor([math.log(2.0)])
    assert mle_loss(y, center, log_spread, "gaussian").item() == pytest.approx(4 / 4 + 0.5 * math.log(2))
    assert mle_loss(y, center, log_spread, "laplace").item() == pytest.approx(2 / 2 + math.log(2))


@pytest.mark.parametrize("distribution", ["gaussian", "laplace"])
def test_mle_loss_gradcheck(distribution):
    rng = torch.Generator().manual_seed(3)
    y = torch.randn(4, 2, dtype=torch.float64, generator=rng)
    center = (y + 0.5 + torch.rand(4, 2, dtype=torch.float64, generator=rng)).requires_grad_(True)  # |y - m| > 0
    log_spread = torch.randn(4, 2, dtype=torch.float64, generator=rng, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c, s: mle_loss(y, c, s, distribution), (center, log_spread))


# ----------------------------------------------------------------------------- numerics and bad input
@pytest.mark.parametrize("distribution", ["gaussian", "laplace"])
def test_equal_samples_give_finite_loss_and_gradient(distribution):
    samples = torch.full((6, 4, 2), 0.3, requires_grad=True)
    loss = mr_loss(samples, torch.zeros(4, 2), distribution, moments=2)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(samples.grad).all()
    spread = DEFAULT_EPS
    expected = (
        0.09 / (2 * spread) + 0.5 * math.log(spread) if distribution == "gaussian" else 0.3 / spread + math.log(spread)
    )
    assert loss.item() == pytest.approx(expected, rel=1e-4)


def test_bad_input_errors():
    samples, y = torch.randn(4, 3, 2), torch.randn(3, 2)
    with pytest.raises(ValueError, match="samples"):
        check_mr_inputs(samples, torch.randn(3, 5))
    with pytest.raises(ValueError, match="samples"):
        check_mr_inputs(torch.randn(3, 2), y)  # the K axis is missing
    with pytest.raises(ValueError, match="distribution"):
        check_mr_inputs(samples, y, distribution="cauchy")
    with pytest.raises(ValueError, match="distribution"):
        mr_loss(samples, y, distribution="cauchy")  # an unknown variant is never computed
    with pytest.raises(ValueError, match="moments"):
        check_mr_inputs(samples, y, moments=3)
    with pytest.raises(ValueError, match="moments"):
        proxy_mr_loss(samples, y, y, moments=3)
    with pytest.raises(ValueError, match="K must be >= 2"):
        check_mr_inputs(samples[:1], y, moments=2)
    check_mr_inputs(samples[:1], y, moments=1)  # one moment needs only one sample
    mr_loss(samples[:1], y, moments=1)
    with pytest.raises(ValueError, match="K must be >= 2"):
        check_proxy_mr_inputs(samples[:1], y, y, moments=2)
    with pytest.raises(ValueError, match="spread"):
        check_proxy_mr_inputs(samples, y, None, moments=2)
    with pytest.raises(ValueError, match="center"):
        check_proxy_mr_inputs(samples, torch.randn(2), None, moments=1)
    with pytest.raises(ValueError, match="log_spread"):
        check_mle_inputs(y, y, torch.randn(3))
    with pytest.raises(ValueError, match="distribution"):
        mle_loss(y, y, y, distribution="cauchy")
    with pytest.raises(ValueError, match="eps"):
        check_mr_inputs(samples, y, eps=-1.0)
    with pytest.raises(ValueError, match="eps"):
        MomentReconstruction(eps=-1.0)
    with pytest.raises(ValueError, match="center must be a tensor with the target's shape"):
        fit_predictor(MomentPredictor(output_dim=3), ring(), steps=1)  # the ring is 2D
    with pytest.raises(ValueError, match="samples_per_input"):
        MomentReconstruction(samples_per_input=0)
    with pytest.raises(ValueError, match="K must be >= 2"):
        MomentReconstruction(samples_per_input=1, moments=2)
    with pytest.raises(ValueError, match="method must be one of"):
        build_method("gan+l3", ring(), None)
    with pytest.raises(ValueError, match=r"settings \['K'\] are not settings of method 'gaussian_mr2'"):
        build_method("gaussian_mr2", ring(), None, K=3)
    with pytest.raises(ValueError, match="p must be one of"):
        Reconstruction(p=3)
    with pytest.raises(ValueError, match="batch_size"):
        MomentPredictor(output_dim=2)(None)


def test_variant_names_cover_all_eight():
    assert len(VARIANTS) == 8 and len(set(VARIANTS)) == 8
    assert parse_variant("laplace_proxy_mr2") == ("laplace", 2, True)
    assert parse_variant("gaussian_mr1") == ("gaussian", 1, False)


def test_reconstruction_loss_values():
    samples, y = torch.tensor([[1.0], [4.0]]), torch.tensor([2.0])
    assert reconstruction_loss(samples, y, p=2).item() == pytest.approx((1 + 4) / 2)
    assert reconstruction_loss(samples, y, p=1).item() == pytest.approx((1 + 2) / 2)


# ----------------------------------------------------------------------------- the predictor
def test_predictor_recovers_conditional_mean_and_variance():
    data = BranchingConditional(n_branches=2, spacing=2.0, amplitude=0.5, std=0.05)
    predictor = MomentPredictor(output_dim=1, condition_dim=1, hidden_dim=64, seed=0)
    fit = fit_predictor(predictor, data, "gaussian", steps=800, batch_size=256, lr=3e-3, eval_every=25)
    assert fit.best_validation_loss == min([*fit.validation_loss, fit.best_validation_loss])
    assert not any(p.requires_grad for p in predictor.parameters())  # frozen
    x = torch.linspace(-0.9, 0.9, 19)[:, None]
    with torch.no_grad():
        center, log_variance = predictor(x)
    # the mean follows 0.5 sin(pi x) between the branches; the variance is spacing^2/4 + std^2 ~ 1.0025
    assert (center - data.true_mean(x)).abs().max() < 0.12
    assert (log_variance.exp() / data.true_variance(x)).sub(1).abs().max() < 0.15


def test_laplace_predictor_recovers_median_and_mad():
    data = GaussianMixture([[1.0, -2.0]], std=0.5)
    predictor = MomentPredictor(output_dim=2, condition_dim=0)
    fit_predictor(predictor, data, "laplace", steps=600, lr=2e-2)
    center, log_mad = predictor(None, batch_size=1)
    assert center.detach().flatten().tolist() == pytest.approx([1.0, -2.0], abs=0.05)
    mad = 0.5 * math.sqrt(2 / math.pi)  # E|y - median| of N(m, s^2)
    assert log_mad.exp().detach().flatten().tolist() == pytest.approx([mad, mad], rel=0.1)


# ----------------------------------------------------------------------------- in the training loop
def test_regularizer_batches_k_samples_and_returns_the_loss():
    data = ring()
    generator = MLPGenerator(hidden_dim=16, seed=0)
    regularizer = MomentReconstruction(weight=2.0, samples_per_input=5, distribution="laplace", moments=2)
    seen = {}

    class Spy(MomentReconstruction):
        def generator_terms(self, step):
            seen["fake"] = step.fake.shape
            terms = super().generator_terms(step)
            seen["expected"] = 2.0 * mr_loss(step.fake, step.batch.real, "laplace", 2)
            seen["term"] = terms["laplace_mr2"]
            return terms

    spy = Spy(weight=2.0, samples_per_input=5, distribution="laplace", moments=2)
    trainer = Trainer(
        data,
        generator,
        MLPDiscriminator(hidden_dim=16, seed=1),
        TrainConfig(steps=2, batch_size=8, log_every=1),
        regularizer=spy,
    )
    trainer.train()
    assert seen["fake"] == (5, 8, 2)  # K copies of a batch of 8, from one forward pass of 40 rows
    assert seen["term"].item() == pytest.approx(seen["expected"].item())
    assert math.isfinite(trainer.history.last("loss")["g_laplace_mr2"])
    assert regularizer.config()["latent_copies"] == 5


def test_proxy_regularizer_uses_the_frozen_predictor():
    data = ring()
    predictor = MomentPredictor(output_dim=2, condition_dim=0)
    fit_predictor(predictor, data, "gaussian", steps=300, lr=2e-2)
    before = {k: v.clone() for k, v in predictor.state_dict().items()}
    regularizer = MomentReconstruction(1.0, 4, "gaussian", 2, predictor=predictor)
    assert regularizer.name == "gaussian_proxy_mr2"
    trainer = Trainer(
        data,
        MLPGenerator(hidden_dim=16, seed=0),
        MLPDiscriminator(hidden_dim=16, seed=1),
        TrainConfig(steps=3, batch_size=8, log_every=1),
        regularizer=regularizer,
    )
    trainer.train()
    assert all(torch.equal(before[k], v) for k, v in predictor.state_dict().items())
    # the ring's per-coordinate variance is radius^2 / 2 + std^2
    _, variance = predictor(None, batch_size=1)
    assert variance.exp().detach().flatten().tolist() == pytest.approx([2.0, 2.0], rel=0.15)


# ----------------------------------------------------------------------------- Appendix C claim, small
# CI size: a ring with wider modes (std 0.1, so 300 steps reach them), a 2x32 MLP, lr 3e-3, λ = 10.
# Measured when written (3 seeds): GAN + ℓ2 0/0/0 modes, Gaussian MR1 8/8/8, Gaussian proxy MR2 4/4/4.
RING_SETTINGS = dict(
    steps=300,
    weight=10.0,
    samples_per_input=8,
    batch_size=32,
    hidden_dim=32,
    lr=3e-3,
    n_eval_samples=1000,
    predictor_steps=200,
)


def test_mr_captures_more_ring_modes_than_gan_plus_l2():
    methods = ["gan_l2", "gaussian_mr1", "gaussian_proxy_mr2"]
    runs, _ = seed_table(ring(std=0.1), methods, seeds=range(3), **RING_SETTINGS)
    modes = runs.groupby("method")["modes_captured"].mean()
    assert modes["gaussian_mr1"] >= modes["gan_l2"] + 2.0
    assert modes["gaussian_proxy_mr2"] >= modes["gan_l2"] + 2.0
    table = summarize(runs)
    assert list(table.index) == methods and (table["seeds"] == 3).all()


@pytest.mark.parametrize("method", ["gan", "gaussian_proxy_mr2"])
def test_appendix_b_run_keeps_d_and_matches_the_seed_table_generator(method):
    """The GAN-Lab view's run (sequential Trainer, G and D kept) starts as the seed table's seed-0 member:
    after 30 steps the two generators agree to float rounding."""
    settings = {k: v for k, v in RING_SETTINGS.items() if k != "n_eval_samples"} | {"steps": 30}
    _, generators = seed_table(ring(std=0.1), [method], seeds=[0], **settings)
    run = appendix_b_run(ring(std=0.1), method, seed=0, **settings)
    z = run.generator.sample_latent(64, torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.allclose(run.generator.eval()(z), generators[method](z), atol=1e-4)
        assert run.discriminator(run.generator(z)).shape == (64,)
    with pytest.raises(ValueError, match="method"):
        appendix_b_run(ring(), "no_such_method")


@pytest.mark.slow
def test_every_variant_beats_gan_plus_l2_on_the_ring_slow():
    runs, _ = seed_table(ring(std=0.1), ["gan_l2", *VARIANTS], seeds=range(5), **{**RING_SETTINGS, "steps": 1500})
    modes = runs.groupby("method")["modes_captured"].mean()
    for variant in VARIANTS:
        assert modes[variant] > modes["gan_l2"], variant


def test_reconstruction_alone_trains_and_predicts_the_conditional_mean():
    """ℓ2 alone (adversarial weight 0) is a regression: G ignores z and outputs E[y | x]."""
    data = BranchingConditional(n_branches=2)
    regularizer = Reconstruction(weight=1.0, p=2, adversarial_weight=0.0)
    generator = MLPGenerator(latent_dim=2, output_dim=1, hidden_dim=32, condition_dim=1, seed=0)
    discriminator = MLPDiscriminator(input_dim=1, hidden_dim=16, condition_dim=1, seed=1)
    trainer = Trainer(
        data,
        generator,
        discriminator,
        TrainConfig(steps=400, batch_size=128, lr_g=3e-3, log_every=100),
        regularizer=regularizer,
    )
    trainer.train()
    assert "d_unused_adversarial" in trainer.history["loss"]
    x = torch.linspace(-0.8, 0.8, 9)[:, None].repeat_interleave(50, dim=0)
    y = trainer.sample(z=generator.sample_latent(len(x), torch.Generator().manual_seed(0)), condition=x)
    assert (y - data.true_mean(x)).abs().mean() < 0.2  # the mean, between the branches at ±1
    assert y.view(9, 50).std(dim=1).mean() < 0.2  # and almost no spread over z


# ----------------------------------------------------------------------------- unconditional pooling, s*
def _pooling_spy(pooling: str, proxy: bool = False):
    data = ring(normalize=True)
    predictor = None
    if proxy:
        predictor = MomentPredictor(output_dim=2, condition_dim=0)
        fit_predictor(predictor, data, "gaussian", steps=50, lr=2e-2)
    seen = {}

    class Spy(MomentReconstruction):
        def generator_terms(self, step):
            seen["fake"], seen["real"] = step.fake.detach(), step.batch.real.detach()
            seen["term"] = super().generator_terms(step)[self.name].detach()
            return {}

    spy = Spy(weight=1.0, samples_per_input=4, distribution="gaussian", moments=1, predictor=predictor, pooling=pooling)
    Trainer(
        data,
        MLPGenerator(hidden_dim=16, seed=0),
        MLPDiscriminator(hidden_dim=16, seed=1),
        TrainConfig(steps=1, batch_size=6, log_every=1),
        regularizer=spy,
    ).train()
    return seen, predictor


def test_pooling_all_matches_every_real_sample_against_the_mean_of_all_k_times_b_samples():
    seen, _ = _pooling_spy("all")
    fake, real = seen["fake"], seen["real"]  # (4, 6, 2), (6, 2)
    pooled_mean = fake.reshape(-1, 2).mean(dim=0)
    assert seen["term"].item() == pytest.approx((real - pooled_mean).square().mean().item(), rel=1e-6)
    per_input, _ = _pooling_spy("per_input")
    expected = (per_input["real"] - per_input["fake"].mean(dim=0)).square().mean()
    assert per_input["term"].item() == pytest.approx(expected.item(), rel=1e-6)


def test_pooling_all_uses_one_predicted_moment_for_the_proxy_loss():
    seen, predictor = _pooling_spy("all", proxy=True)
    center, _ = predictor(None, batch_size=1)
    pooled_mean = seen["fake"].reshape(-1, 2).mean(dim=0)
    assert seen["term"].item() == pytest.approx((center.flatten() - pooled_mean).square().mean().item(), rel=1e-5)


def test_pooled_mean_carries_a_b_times_smaller_variance_penalty():
    # E over draws of (y - mean of n samples)^2 = (E y - m)^2 + Var y + s/n: the MR1 pull towards one point is
    # λ s/K per input and λ s/(K B) over all samples. Samples N(0, s) per coordinate, y = 0.
    torch.manual_seed(0)
    s, K, B = 0.5, 4, 16
    samples = torch.randn(20_000, K, B, 2) * math.sqrt(s)
    per_input = torch.stack([mr_loss(x, torch.zeros(B, 2), "gaussian", 1) for x in samples[:4000]]).mean()
    pooled = torch.stack(
        [mr_loss(x.reshape(-1, 1, 2), torch.zeros(B, 2), "gaussian", 1) for x in samples[:4000]]
    ).mean()
    assert per_input.item() == pytest.approx(s / K, rel=0.05)
    assert pooled.item() == pytest.approx(s / (K * B), rel=0.1)


def test_pooling_errors_name_the_argument():
    with pytest.raises(ValueError, match="pooling must be one of"):
        MomentReconstruction(pooling="batch")
    with pytest.raises(ValueError, match="pooling='all' needs unconditional data"):
        build_method("gaussian_mr1", BranchingConditional(), setup=None, pooling="all")


@pytest.mark.parametrize("target, K", [(0.086, 8), (0.0074, 8), (0.086, 2), (0.086, 16), (0.3, 24), (1.0, 4)])
def test_proxy_mr2_variance_optimum_matches_a_monte_carlo_minimum(target, K):
    # The expected Gaussian proxy-MR2 loss of K Gaussian samples N(mu_hat, s), estimated over 40,000 draws
    # per s on a grid, is smallest at the closed form s*.
    s_star = proxy_mr2_variance_optimum(target, K).item()
    assert s_star == pytest.approx(max(0.0, (target - 1 / (2 * K)) * (K - 1) / (K + 1)))
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(40_000, K, 1, generator=generator, dtype=torch.float64)
    grid_ = torch.linspace(0.0, 1.5 * target, 301, dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    expected = torch.stack(
        [
            proxy_mr_loss((noise * s.sqrt()).transpose(0, 1), zero.expand(40_000, 1), torch.full((40_000, 1), target))
            for s in grid_
        ]
    )
    best = grid_[expected.argmin()].item()
    assert best == pytest.approx(s_star, abs=0.02 * target + 1.5 * target / 300)


def test_proxy_mr2_variance_optimum_rejects_bad_input():
    with pytest.raises(ValueError, match="samples_per_input"):
        proxy_mr2_variance_optimum(0.1, 1)
    with pytest.raises(ValueError, match="predicted_variance must be finite and >= 0"):
        proxy_mr2_variance_optimum(-0.1, 8)


def test_binned_sample_statistics_read_stored_conditional_samples_in_data_units():
    from mcgan_lib.chapters.ch02_conditional_collapse import binned_sample_statistics
    from mcgan_lib.tasks import make_task

    data = make_task("unit_conditional3")
    x = torch.linspace(-1, 1, 2000)[:, None]
    real = data.sample_given(x, torch.Generator().manual_seed(0))
    truth = binned_sample_statistics(torch.cat([x, real], dim=1).numpy(), data, n_bins=20)
    assert len(truth) == 20 and truth.n.sum() == 2000
    assert abs(truth.variance.mean() / truth.true_variance.mean() - 1) < 0.1  # 8/3 + 0.05² in data units
    assert abs(truth.true_variance.iloc[0] - (8 / 3 + 0.05**2)) < 1e-4
    middle = torch.cat([x, data.branch_means(x)[:, 1:2]], dim=1).numpy()  # collapsed onto the middle branch
    collapsed = binned_sample_statistics(middle, data, n_bins=20)
    assert collapsed.variance.max() < 1e-8 and (collapsed["mean"] - collapsed.true_mean).abs().max() < 1e-5
    with pytest.raises(ValueError, match="samples must be rows"):
        binned_sample_statistics(middle[:, :1], data)
    with pytest.raises(ValueError, match="n_bins"):
        binned_sample_statistics(middle, data, n_bins=0)


def test_branch_shares_count_samples_on_each_branch():
    from mcgan_lib.chapters.ch02_conditional_collapse import branch_shares
    from mcgan_lib.tasks import make_task

    data = make_task("unit_conditional3")
    x = torch.linspace(-1, 1, 300)[:, None]
    y = torch.cat([data.branch_means(x[:100])[:, 1:2], data.branch_means(x[100:200])[:, 2:], torch.full((100, 1), 0.4)])
    shares = branch_shares(torch.cat([x, y], dim=1).numpy(), data)
    assert shares.round(3).to_dict() == {"branch 0": 0.0, "branch 1": 0.333, "branch 2": 0.333, "off": 0.333}
    with pytest.raises(ValueError, match="threshold_std"):
        branch_shares(torch.cat([x, y], dim=1).numpy(), data, threshold_std=0)
