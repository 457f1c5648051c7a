"""The papers' training recipes as options of the one loop: the G:D update ratio, Adam/AMSGrad with weight
decay, value clipping, pix2pix's linear learning-rate decay, MR-GAN's ``min_noise`` and the proxy
predictor's held-out validation split. Each is measured on a tiny model; the defaults change nothing."""

import math

import pytest
import torch

from mcgan_lib.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mcgan_lib.data.base import TensorDataSource
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.data.toy import ring
from mcgan_lib.ensemble import EnsembleTrainer, Member, unbatchable_reason
from mcgan_lib.experiments.fitting import _rows, fit_predictor, held_out_split
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.regularizers.base import GeneratorStep
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.regularizers.moment_reconstruction import MomentReconstruction, mr_loss
from mcgan_lib.sweeps import sweep
from mcgan_lib.training import Callback, TrainConfig, Trainer, linear_decay_factor
from mcgan_lib.training.config import make_optimizer
from test_training import same, weights  # the same weight comparisons as the loop's own tests

SETUP = ToySetup(latent_dim=4, hidden_dim=16, d_hidden_dim=16)
RING = ring()


def make_trainer(steps=12, regularizer=None, checkpoint_dir=None, callbacks=(), seed=0, **config):
    generator, discriminator = SETUP.networks(RING, seed)
    settings = {"steps": steps, "batch_size": 32, "lr_g": 1e-3, "lr_d": 1e-3, "seed": seed, "log_every": 4, **config}
    return Trainer(
        RING,
        generator,
        discriminator,
        TrainConfig(**settings),
        regularizer=regularizer,
        callbacks=callbacks,
        checkpoint_dir=checkpoint_dir,
    )


def updates(optimizer) -> int:
    """How many times ``optimizer`` stepped (Adam counts its steps per parameter)."""
    counts = {int(state["step"]) for state in optimizer.state.values()}
    assert len(counts) == 1
    return counts.pop()


# ----------------------------------------------------------------------------- defaults
def test_the_default_options_leave_a_run_bit_for_bit_unchanged():
    implicit = make_trainer(steps=10, regularizer=MomentReconstruction(2.0, 4, "gaussian", 2))
    explicit = make_trainer(
        steps=10,
        regularizer=MomentReconstruction(2.0, 4, "gaussian", 2, min_noise=0.0),
        g_steps_per_d_step=1,
        grad_value_clip=None,
        lr_decay_start=None,
    )
    for trainer in (implicit, explicit):
        trainer.train()
    assert same(weights(implicit), weights(explicit))
    assert implicit.history["loss"] == explicit.history["loss"]
    assert implicit.lr_schedulers == [] and "lr_schedulers" not in implicit.state_dict()
    assert "min_noise" not in explicit.regularizer.config()  # a run's description is unchanged
    samples, y = torch.randn(5, 3, 2), torch.randn(3, 2)
    for distribution in ("gaussian", "laplace"):
        assert torch.equal(mr_loss(samples, y, distribution, 2), mr_loss(samples, y, distribution, 2, min_noise=0.0))


# ----------------------------------------------------------------------------- update ratio
@pytest.mark.parametrize("d_steps, g_steps, expected_d, expected_g", [(1, 1, 4, 4), (3, 1, 12, 4), (1, 5, 4, 20)])
def test_the_update_ratio_counts_the_optimiser_steps_of_g_and_d(d_steps, g_steps, expected_d, expected_g):
    trainer = make_trainer(steps=4, d_steps=d_steps, g_steps_per_d_step=g_steps)
    trainer.train()
    assert trainer.step == 4  # iterations
    assert (updates(trainer.optimizer_d), updates(trainer.optimizer_g)) == (expected_d, expected_g)
    logged = trainer.history.last("loss")
    assert math.isfinite(logged["d_loss"]) and math.isfinite(logged["g_loss"])


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"g_steps_per_d_step": 0}, "g_steps_per_d_step must be >= 1"),
        ({"g_steps_per_d_step": 5, "d_steps": 2}, "d_steps=2 and g_steps_per_d_step=5: at most one"),
        ({"grad_value_clip": 0.0}, "grad_value_clip must be > 0"),
        ({"lr_decay_start": -1}, r"lr_decay_start must be None, an iteration \(an int in \[0, steps=30\]\)"),
        ({"lr_decay_start": 31}, r"float in \[0, 1\]\), got lr_decay_start=31"),
        ({"lr_decay_start": 1.5}, "lr_decay_start=1.5"),
        ({"lr_decay_start": True}, "lr_decay_start=True"),
        ({"lr_decay_start": "half"}, "lr_decay_start='half'"),
    ],
)
def test_bad_recipe_settings_are_named(settings, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(steps=30, **settings)


# ----------------------------------------------------------------------------- optimiser
def hand_adam(start, gradients, lr, betas, weight_decay, amsgrad, eps=1e-8):
    """Adam (Kingma and Ba 2015, Alg. 1) with L2 weight decay added to the gradient and, for AMSGrad
    (Reddi et al. 2018), the running maximum of the second moment, written out in float64."""
    p, m, v, v_max = start.clone(), torch.zeros_like(start), torch.zeros_like(start), torch.zeros_like(start)
    beta1, beta2 = betas
    for t, g in enumerate(gradients, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = torch.maximum(v_max, v)
        second = v_max if amsgrad else v
        p = p - lr / (1 - beta1**t) * m / (second.sqrt() / math.sqrt(1 - beta2**t) + eps)
    return p


@pytest.mark.parametrize("optimizer", ["adam", "amsgrad"])
def test_weight_decay_is_torchs_own_l2_decay_for_adam_and_amsgrad(optimizer):
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    gradients = [torch.tensor([3.0, 0.0, -1.0]), torch.tensor([0.1, 0.2, 0.0]), torch.tensor([0.0, -0.1, 0.05])]
    gradients = [g.double() for g in gradients]
    betas = (0.5, 0.9)  # a short memory of the second moment, so that AMSGrad's maximum matters
    config = TrainConfig(optimizer=optimizer, weight_decay=0.1, betas=betas)
    param = torch.nn.Parameter(start.clone())
    torch_optimizer = make_optimizer([param], 0.01, config)
    for g in gradients:
        param.grad = g.clone()
        torch_optimizer.step()
    expected = hand_adam(start, gradients, 0.01, betas, 0.1, optimizer == "amsgrad")
    assert torch.allclose(param.detach(), expected, rtol=1e-12, atol=0)
    # the case tells the options apart: no decay, or the other variant, ends elsewhere
    for other in (
        hand_adam(start, gradients, 0.01, betas, 0.0, optimizer == "amsgrad"),
        hand_adam(start, gradients, 0.01, betas, 0.1, optimizer != "amsgrad"),
    ):
        assert (other - expected).abs().max() > 1e-4
    trainer = make_trainer(optimizer=optimizer, weight_decay=1e-4)
    for side in (trainer.optimizer_g, trainer.optimizer_d):
        group = side.param_groups[0]
        assert isinstance(side, torch.optim.Adam)
        assert (group["weight_decay"], group["amsgrad"]) == (1e-4, optimizer == "amsgrad")


# ----------------------------------------------------------------------------- clipping
def largest_gradients(trainer) -> dict[str, list[float]]:
    """Record, at every optimiser step of G and D, the largest |gradient element| and the gradient norm."""
    seen = {"generator": [], "discriminator": [], "generator norm": [], "discriminator norm": []}
    for side, optimizer in (("generator", trainer.optimizer_g), ("discriminator", trainer.optimizer_d)):
        original = optimizer.step

        def step(*args, side=side, optimizer=optimizer, original=original, **kwargs):
            grads = [
                p.grad.flatten() for group in optimizer.param_groups for p in group["params"] if p.grad is not None
            ]
            seen[side].append(torch.cat(grads).abs().max().item())
            seen[f"{side} norm"].append(torch.cat(grads).norm().item())
            return original(*args, **kwargs)

        optimizer.step = step
    return seen


def test_value_clipping_bounds_every_gradient_element():
    clip = 1e-3
    trainer = make_trainer(steps=3, grad_value_clip=clip, regularizer=ModeSeekingRegularizer(1.0))
    seen = largest_gradients(trainer)
    trainer.train()
    for side in ("generator", "discriminator"):
        assert len(seen[side]) == 3
        assert all(value == pytest.approx(clip, rel=1e-6) for value in seen[side])  # clipped, never above

    unclipped = make_trainer(steps=3, regularizer=ModeSeekingRegularizer(1.0))
    free = largest_gradients(unclipped)
    unclipped.train()
    assert min(free["generator"] + free["discriminator"]) > 10 * clip  # the bound was binding

    both = make_trainer(steps=3, grad_value_clip=clip, grad_clip=1e-3)  # values first, then the norm
    seen = largest_gradients(both)
    both.train()
    for side in ("generator", "discriminator"):
        assert max(seen[side]) <= clip * (1 + 1e-6) and max(seen[f"{side} norm"]) <= 1e-3 * (1 + 1e-5)


def test_the_ensemble_runs_the_ratio_and_value_clipping_as_the_single_trainer():
    changes = {"g_steps_per_d_step": 3, "grad_value_clip": 0.05, "optimizer": "amsgrad", "weight_decay": 1e-4}
    members = []
    for seed in (0, 1):
        generator, discriminator = SETUP.networks(RING, seed)
        config = TrainConfig(steps=6, batch_size=32, lr_g=1e-3, lr_d=1e-3, seed=seed, log_every=3, **changes)
        members.append(Member(generator, discriminator, config, ModeSeekingRegularizer(1.0)))
    assert unbatchable_reason(members[0]) is None
    ensemble = EnsembleTrainer(RING, members)
    ensemble.train()
    for seed in (0, 1):
        single = make_trainer(steps=6, seed=seed, log_every=3, regularizer=ModeSeekingRegularizer(1.0), **changes)
        single.train()
        state = ensemble.member_state(seed)
        for name, value in single.generator.state_dict().items():
            assert torch.allclose(state[f"generator.{name}"], value, atol=1e-5, rtol=0), name
        for name, value in single.discriminator.state_dict().items():
            assert torch.allclose(state[f"discriminator.{name}"], value, atol=1e-5, rtol=0), name


# ----------------------------------------------------------------------------- learning-rate decay
class LearningRates(Callback):
    """lr[t]: the learning rates (G, D) of the update of iteration t (0-based)."""

    def __init__(self):
        self.lr = {}

    def _record(self, trainer):
        self.lr[trainer.step] = (trainer.optimizer_g.param_groups[0]["lr"], trainer.optimizer_d.param_groups[0]["lr"])

    def on_train_begin(self, trainer):
        self._record(trainer)

    def on_step_end(self, trainer, logs):
        self._record(trainer)


@pytest.mark.parametrize("start", [0.5, 10])
def test_the_linear_decay_is_constant_then_falls_to_zero(start):
    recorder = LearningRates()
    trainer = make_trainer(steps=20, lr_g=1e-3, lr_d=2e-3, lr_decay_start=start, callbacks=[recorder])
    trainer.train()
    # pix2pix's rule with 10 constant and 10 decaying iterations: 1 - max(0, t + 1 - 10) / 11
    expected = {0: 1.0, 9: 1.0, 10: 10 / 11, 15: 5 / 11, 19: 1 / 11, 20: 0.0}
    for t, factor in expected.items():
        assert recorder.lr[t] == pytest.approx((1e-3 * factor, 2e-3 * factor), rel=1e-12, abs=1e-18)
        assert linear_decay_factor(t, 10, 20) == pytest.approx(factor, rel=1e-12)
    assert all(recorder.lr[t] >= recorder.lr[t + 1] for t in range(20))
    with pytest.raises(ValueError, match="past config.steps=20"):
        trainer.train(steps=1)


@pytest.mark.parametrize(
    "recipe",
    [
        {"lr_decay_start": 0.4},
        {"lr_decay_start": 0.4, "g_steps_per_d_step": 2, "grad_value_clip": 0.5, "optimizer": "amsgrad"},
    ],
)
def test_resume_across_the_decay_is_exact(tmp_path, recipe):
    uninterrupted = make_trainer(steps=30, weight_decay=1e-4, **recipe)
    uninterrupted.train()

    first = make_trainer(steps=30, checkpoint_dir=tmp_path, weight_decay=1e-4, **recipe)
    first.train(steps=17)  # inside the decay (it starts at iteration 12)
    resumed = make_trainer(steps=30, checkpoint_dir=tmp_path, weight_decay=1e-4, **recipe).resume()
    assert resumed.step == 17
    assert [s.last_epoch for s in resumed.lr_schedulers] == [17, 17]
    assert resumed.optimizer_g.param_groups[0]["lr"] == first.optimizer_g.param_groups[0]["lr"]
    resumed.train()
    assert same(weights(resumed), weights(uninterrupted))
    assert resumed.history["loss"] == uninterrupted.history["loss"]
    assert resumed.optimizer_g.param_groups[0]["lr"] == uninterrupted.optimizer_g.param_groups[0]["lr"] == 0.0

    with pytest.raises(CheckpointError, match="config.steps"):  # the decay's slope depends on steps
        make_trainer(steps=40, checkpoint_dir=tmp_path, weight_decay=1e-4, **recipe).resume()


def test_a_checkpoint_written_before_the_options_existed_still_resumes(tmp_path):
    make_trainer(steps=4, checkpoint_dir=tmp_path).train()
    state = load_checkpoint(tmp_path)
    for key in TrainConfig.LATER_SETTINGS:
        del state["config"][key]
    save_checkpoint(state, tmp_path / "checkpoint.pt")
    assert make_trainer(steps=8, checkpoint_dir=tmp_path).resume().step == 4
    with pytest.raises(CheckpointError, match="config.g_steps_per_d_step"):
        make_trainer(steps=8, checkpoint_dir=tmp_path, g_steps_per_d_step=2).resume()


def test_the_ensemble_refuses_the_decay_and_sweep_falls_back_to_the_trainer():
    generator, discriminator = SETUP.networks(RING, 0)
    member = Member(generator, discriminator, TrainConfig(steps=4, lr_decay_start=0.5))
    assert "lr_decay_start=0.5" in unbatchable_reason(member)
    with pytest.raises(ValueError, match="lr_decay_start"):
        EnsembleTrainer(RING, [member])
    setup = ToySetup(
        latent_dim=4, hidden_dim=16, d_hidden_dim=16, batch_size=32, train_overrides={"lr_decay_start": 0.5}
    )
    options = dict(seeds=[0, 1], setup=setup, steps=4, n_eval_samples=200, keep_samples=0, cache=False, stored=False)
    table = sweep("ring", "gan", **options)
    assert len(table) == 2 and table["diverged_at_step"].isna().all()
    with pytest.raises(ValueError, match="lr_decay_start"):
        sweep("ring", "gan", engine="ensemble", **options)


# ----------------------------------------------------------------------------- min_noise
def test_min_noise_is_added_to_the_error_by_hand():
    # Gaussian, K = 2: samples 1 and 3, so mean 2 and unbiased variance 2; y = 4: squared error 4.
    samples, y = torch.tensor([[1.0], [3.0]], dtype=torch.float64), torch.tensor([4.0], dtype=torch.float64)
    expected = (4 + 0.5) / (2 * 2) + 0.5 * math.log(2)
    assert mr_loss(samples, y, "gaussian", 2, eps=0.0, min_noise=0.5).item() == pytest.approx(expected, rel=1e-12)
    # Laplace, K = 3: samples 1, 2, 6, so median 2 and MAD (1 + 0 + 4) / 3; y = 3: absolute error 1.
    samples, y = torch.tensor([[1.0], [2.0], [6.0]], dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64)
    expected = (1 + 0.5) / (5 / 3) + math.log(5 / 3)
    assert mr_loss(samples, y, "laplace", 2, eps=0.0, min_noise=0.5).item() == pytest.approx(expected, rel=1e-12)


def test_min_noise_floors_the_variance_the_loss_asks_for():
    """With the mean on target, samples mean ± a have variance 2a²; the loss is stationary at 2a² = min_noise
    (without it, it would push the variance to 0)."""
    min_noise = 0.02
    a = torch.tensor(math.sqrt(min_noise / 2), dtype=torch.float64, requires_grad=True)
    samples = torch.stack([1.0 - a, 1.0 + a]).reshape(2, 1)
    loss = mr_loss(samples, torch.tensor([1.0], dtype=torch.float64), "gaussian", 2, eps=0.0, min_noise=min_noise)
    (gradient,) = torch.autograd.grad(loss, a)
    assert abs(gradient.item()) < 1e-10
    check = lambda s: mr_loss(s, torch.ones(3, dtype=torch.float64), "gaussian", 2, 1e-6, 1e-2)  # noqa: E731
    assert torch.autograd.gradcheck(check, (torch.randn(4, 3, dtype=torch.float64, requires_grad=True),))


def test_the_regularizer_passes_min_noise_to_the_loss_and_validates_it():
    regularizer = MomentReconstruction(weight=2.0, samples_per_input=3, moments=2, min_noise=1e-4)
    assert regularizer.config()["min_noise"] == 1e-4
    fake, real = torch.randn(3, 4, 2), torch.randn(4, 2)
    step = GeneratorStep(0, RING.sample_batch(4), None, None, fake, None, None, None, None, None, "non_saturating")
    step.batch.real = real
    term = regularizer.generator_terms(step)["gaussian_mr2"]
    assert term.item() == pytest.approx(2.0 * mr_loss(fake, real, "gaussian", 2, min_noise=1e-4).item())
    with pytest.raises(ValueError, match="min_noise must be >= 0"):
        MomentReconstruction(min_noise=-1.0)
    with pytest.raises(ValueError, match="min_noise=0.01 applies to the MR2 loss only"):
        MomentReconstruction(moments=1, min_noise=0.01)
    with pytest.raises(ValueError, match="with a predictor"):
        MomentReconstruction(predictor=MomentPredictor(output_dim=2), min_noise=0.01)


# ----------------------------------------------------------------------------- the predictor's held-out split
def numbered_pairs(n=60):
    """Pairs whose condition is the row's own number, so that a batch names the rows it holds."""
    generator = torch.Generator().manual_seed(0)
    return TensorDataSource(torch.randn(n, 1, generator=generator), torch.arange(n, dtype=torch.float32)[:, None])


def test_the_held_out_split_is_deterministic_and_disjoint():
    data = numbered_pairs(60)
    train, held_out = held_out_split(data, seed=3)
    again_train, again_held_out = held_out_split(data, seed=3)
    assert torch.equal(train, again_train) and torch.equal(held_out, again_held_out)
    assert len(held_out) == 6 and len(train) == 54  # 10 %
    assert sorted(torch.cat([train, held_out]).tolist()) == list(range(60))
    assert not torch.equal(held_out_split(data, seed=4)[1], held_out)
    assert len(held_out_split(data, seed=3, max_size=4)[1]) == 4
    with pytest.raises(ValueError, match="finite data set"):
        held_out_split(RING)


def test_the_predictor_never_trains_on_its_held_out_pairs():
    data = numbered_pairs(60)
    seen = {"train": set(), "validation": []}

    class Recording(MomentPredictor):
        def forward(self, condition=None, batch_size=None):
            rows = condition[:, 0].long().tolist()
            if torch.is_grad_enabled():
                seen["train"].update(rows)
            else:
                seen["validation"].append(rows)
            return super().forward(condition, batch_size)

    predictor = Recording(output_dim=1, condition_dim=1, hidden_dim=8, seed=0)
    fit = fit_predictor(predictor, data, "gaussian", steps=40, batch_size=16, eval_every=10, seed=5)
    held_out = set(fit.held_out.tolist())
    assert fit.held_out.tolist() == held_out_split(data, seed=5)[1].tolist()
    assert len(held_out) == 6 and not held_out & seen["train"]
    assert len(seen["train"]) > 40  # the other 54 pairs are drawn
    assert all(rows == fit.held_out.tolist() for rows in seen["validation"])  # every validation is on them


def test_a_source_of_fresh_draws_keeps_fresh_validation_draws():
    fit = fit_predictor(MomentPredictor(output_dim=2, condition_dim=0), RING, "gaussian", steps=5, lr=2e-2)
    assert fit.held_out is None


def test_rows_are_the_pairs_sample_batch_draws():
    images, generator = torch.rand(12, 1, 4, 4) * 2 - 1, torch.Generator().manual_seed(1)
    sources = [
        ImageDataset(images, inputs=torch.rand(12, 2, 2, 2)),
        ImageDataset(images, labels=torch.arange(12) % 3),
        ImageDataset(images),
        numbered_pairs(12),
    ]
    for data in sources:
        batch = data.sample_batch(7, torch.Generator().manual_seed(1))
        rows = _rows(data, torch.randint(len(data), (7,), generator=generator.manual_seed(1)))
        assert torch.equal(rows.real, batch.real)
        assert (rows.condition is None and batch.condition is None) or torch.equal(rows.condition, batch.condition)
