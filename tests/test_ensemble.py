"""EnsembleTrainer: member i follows the single Trainer run with the same seed and settings."""

import dataclasses

import pytest
import torch
from torch import nn

from mcgan_lib.checkpoint import CheckpointError
from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.toy import ring
from mcgan_lib.ensemble import EnsembleTrainer, Member, StackedAdam
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.methods import METHODS, build_method
from mcgan_lib.nets.mlp import MLPGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.regularizers.moment_reconstruction import MomentReconstruction
from mcgan_lib.training import TrainConfig, Trainer, TrainingDivergedError

STEPS = 12
TOLERANCE = 1e-5


SETUP = ToySetup(latent_dim=4, hidden_dim=16, d_hidden_dim=16)


def networks(data, seed):
    return SETUP.networks(data, seed)


def config(seed, **changes):
    settings = dict(steps=STEPS, batch_size=32, lr_g=1e-3, lr_d=1e-3, seed=seed, log_every=4)
    return TrainConfig(**{**settings, **changes})


def single_run(data, seed, make_regularizer, **changes):
    generator, discriminator = networks(data, seed)
    trainer = Trainer(data, generator, discriminator, config(seed, **changes), make_regularizer())
    trainer.train()
    return trainer


def ensemble_run(data, seeds, make_regularizer, changes=None):
    changes = changes or [{} for _ in seeds]
    members = []
    for seed, change in zip(seeds, changes):
        generator, discriminator = networks(data, seed)
        members.append(Member(generator, discriminator, config(seed, **change), make_regularizer()))
    ensemble = EnsembleTrainer(data, members)
    ensemble.train()
    return ensemble


def assert_same_weights(ensemble, index, trainer):
    state = ensemble.member_state(index)
    single = {f"generator.{k}": v for k, v in trainer.generator.state_dict().items()}
    single.update({f"discriminator.{k}": v for k, v in trainer.discriminator.state_dict().items()})
    single.update({f"regularizer.{k}": v for k, v in trainer.regularizer.state_dict().items()})
    assert set(single) == set(state)
    for name, value in single.items():
        assert torch.allclose(state[name], value, atol=TOLERANCE, rtol=0), f"{name} differs for member {index}"


RING = ring()
# Small settings so that every method trains quickly: K = 3 samples and a short predictor fit.
SMALL = {"samples_per_input": 3, "predictor_steps": 20}


def registered(name, seed=0):
    """A factory of method ``name`` of the registry, at its defaults (shrunk by SMALL where it has them)."""
    settings = {k: v for k, v in SMALL.items() if k in METHODS[name].defaults}
    return lambda: build_method(name, RING, SETUP, seed, **settings)


# Every registered method, and the variants of a setting that changes the code path.
REGULARIZERS = {name: registered(name) for name in METHODS}
REGULARIZERS["ms per pair"] = lambda: build_method("ms", RING, SETUP, reduction="pair")
REGULARIZERS["hm per pair"] = lambda: build_method("hm", RING, SETUP, pairs="pair")


@pytest.mark.parametrize("name", list(REGULARIZERS))
def test_member_equals_single_run(name):
    """Member i of an ensemble follows the single Trainer run of the same seed, for every registered method
    (a method added to the registry is covered here without a new line)."""
    make = REGULARIZERS[name]
    ensemble = ensemble_run(RING, [0, 1], make)
    for index, seed in enumerate([0, 1]):
        assert_same_weights(ensemble, index, single_run(RING, seed, make))


def test_conditional_member_equals_single_run():
    data = BranchingConditional()
    make = lambda: ModeSeekingRegularizer(1.0)  # noqa: E731
    ensemble = ensemble_run(data, [3, 4], make)
    assert_same_weights(ensemble, 1, single_run(data, 4, make))


def test_per_member_lambda_learning_rate_and_clipping():
    """λ, lr and clipping differ per member; each member still equals its own single run."""
    weights = [0.1, 3.0, 1.0]
    changes = [
        {"lr_g": 1e-3, "lr_d": 2e-3, "grad_clip": 0.05},
        {"lr_g": 5e-4, "lr_d": 1e-3, "grad_clip": None},
        {"lr_g": 2e-3, "lr_d": 5e-4, "grad_clip": 1.0},
    ]
    members = []
    for seed, (weight, change) in enumerate(zip(weights, changes)):
        generator, discriminator = networks(RING, seed)
        members.append(Member(generator, discriminator, config(seed, **change), ModeSeekingRegularizer(weight)))
    ensemble = EnsembleTrainer(RING, members)
    ensemble.train()
    for seed, (weight, change) in enumerate(zip(weights, changes)):
        trainer = single_run(RING, seed, lambda weight=weight: ModeSeekingRegularizer(weight), **change)
        assert_same_weights(ensemble, seed, trainer)


def test_amsgrad_weight_decay_and_per_member_betas():
    changes = [
        {"optimizer": "amsgrad", "weight_decay": 1e-4, "betas": (0.5, 0.999)},
        {"optimizer": "amsgrad", "weight_decay": 1e-2, "betas": (0.9, 0.99)},
    ]
    ensemble = ensemble_run(RING, [0, 1], lambda: None, changes)
    for seed, change in enumerate(changes):
        assert_same_weights(ensemble, seed, single_run(RING, seed, lambda: None, **change))


def test_stacked_adam_matches_torch_adam_on_a_quadratic():
    torch.manual_seed(0)
    start = torch.randn(3, 5)
    stacked = {"w": start.clone()}
    optimizer = StackedAdam(["w"], [0.1, 0.01, 0.05], [(0.9, 0.999)] * 3, [0.0, 0.1, 0.0], False, "cpu")
    singles = [start[i].clone().requires_grad_(True) for i in range(3)]
    torch_optimizers = [
        torch.optim.Adam([p], lr=lr, weight_decay=wd) for p, lr, wd in zip(singles, [0.1, 0.01, 0.05], [0.0, 0.1, 0.0])
    ]
    for _ in range(20):
        optimizer.step(stacked, {"w": 2 * stacked["w"] - 1})
        for p, opt in zip(singles, torch_optimizers):
            opt.zero_grad()
            ((p - 0.5) ** 2).sum().backward()
            opt.step()
    for i in range(3):
        assert torch.allclose(stacked["w"][i], singles[i].detach(), atol=1e-6)


class _NaNBelowFive(Regularizer):
    """A regularizer whose term is NaN when λ < 5 (log of a negative number)."""

    name = "nan_below_five"

    def generator_terms(self, step):
        return {"boom": torch.log(self.weight - 5.0 + 0.0 * step.fake.sum())}


def test_a_diverged_member_is_frozen_and_the_others_continue():
    members = []
    for seed, weight in enumerate([1.0, 10.0]):
        generator, discriminator = networks(RING, seed)
        members.append(Member(generator, discriminator, config(seed), _NaNBelowFive(weight)))
    initial_generator = {k: v.clone() for k, v in members[0].generator.state_dict().items()}
    ensemble = EnsembleTrainer(RING, members)
    ensemble.train()
    assert ensemble.diverged_at == [1, None]
    assert ensemble.active.tolist() == [False, True]
    state = ensemble.member_state(0)
    for name, value in initial_generator.items():  # G of member 0 never moved; its D took one step
        assert torch.equal(state[f"generator.{name}"], value)
    assert_same_weights(ensemble, 1, single_run(RING, 1, lambda: _NaNBelowFive(10.0)))
    assert all(torch.isfinite(v).all() for v in ensemble.params.values())


def test_a_member_that_stops_learning_without_a_nan_is_diverged_and_stays_put():
    """A huge λ overflows member 0's Adam moments with finite losses; a tiny lr makes member 1's steps change
    nothing: both are found at the first sampled step (log_every = 4), frozen from then on, and member 2
    still equals its single run, as the single trainer would have stopped both with TrainingDivergedError."""
    settings = [(1e30, {}), (1.0, {"lr_g": 1e-30, "lr_d": 1e-30}), (1.0, {})]
    members = []
    for seed, (weight, change) in enumerate(settings):
        generator, discriminator = networks(RING, seed)
        members.append(Member(generator, discriminator, config(seed, **change), ModeSeekingRegularizer(weight)))
    ensemble = EnsembleTrainer(RING, members)
    ensemble.train(steps=4)
    assert ensemble.diverged_at == [4, 4, None]
    frozen = {k: v.clone() for k, v in ensemble.member_state(0).items()}
    ensemble.train()  # to config.steps
    assert all(torch.equal(ensemble.member_state(0)[k], v) for k, v in frozen.items())
    assert_same_weights(ensemble, 2, single_run(RING, 2, lambda: ModeSeekingRegularizer(1.0)))
    with pytest.raises(TrainingDivergedError, match="optimiser state"):
        single_run(RING, 0, lambda: ModeSeekingRegularizer(1e30))


def test_checkpoint_resume_continues_exactly(tmp_path):
    full = ensemble_run(RING, [0, 1], lambda: ModeSeekingRegularizer(1.0))
    members = []
    for seed in [0, 1]:
        generator, discriminator = networks(RING, seed)
        members.append(Member(generator, discriminator, config(seed), ModeSeekingRegularizer(1.0)))
    first = EnsembleTrainer(RING, members, checkpoint_dir=tmp_path)
    first.train(steps=STEPS // 2)  # writes the checkpoint at the end
    members = []
    for seed in [0, 1]:
        generator, discriminator = networks(RING, seed)
        members.append(Member(generator, discriminator, config(seed), ModeSeekingRegularizer(1.0)))
    second = EnsembleTrainer(RING, members).resume(tmp_path)
    assert second.step == STEPS // 2
    second.train()
    for name, value in full.params.items():
        assert torch.equal(second.params[name], value), name


def test_resume_rejects_another_ensemble(tmp_path):
    ensemble = ensemble_run(RING, [0, 1], lambda: ModeSeekingRegularizer(1.0))
    ensemble.save_checkpoint(tmp_path / "checkpoint.pt")
    other = [Member(*networks(RING, s), config(s), ModeSeekingRegularizer(2.0)) for s in [0, 1]]
    with pytest.raises(CheckpointError, match="weight"):
        EnsembleTrainer(RING, other).resume(tmp_path)


def test_sample_and_generator_agree():
    ensemble = ensemble_run(RING, [0, 1, 2], lambda: None)
    samples = ensemble.sample(50, seed=3)
    assert samples.shape == (3, 50, 2)
    generator = ensemble.generator(2).eval()
    z = generator.sample_latent(50, torch.Generator().manual_seed(3))
    assert torch.allclose(samples[2], generator(z), atol=1e-6)


def test_history_records_mean_losses():
    ensemble = ensemble_run(RING, [0, 1], lambda: None)
    assert ensemble.history["loss"]["step"] == [4, 8, 12]
    assert {"d_loss", "g_loss"} <= set(ensemble.history["loss"])


# ------------------------------------------------------------------------------------------ errors
def test_errors_name_the_problem():
    generator, discriminator = networks(RING, 0)
    with pytest.raises(ValueError, match="at least one Member"):
        EnsembleTrainer(RING, [])
    with pytest.raises(ValueError, match=r"members\[0\] must be an ensemble.Member"):
        EnsembleTrainer(RING, [(generator, discriminator)])
    with pytest.raises(ValueError, match="data must be"):
        EnsembleTrainer([1, 2], [Member(generator, discriminator, config(0))])
    other_g, other_d = networks(RING, 1)
    with pytest.raises(ValueError, match=r"members\[1\].config.batch_size"):
        EnsembleTrainer(
            RING,
            [
                Member(generator, discriminator, config(0)),
                Member(other_g, other_d, dataclasses.replace(config(1), batch_size=16)),
            ],
        )
    with pytest.raises(ValueError, match="samples_per_input|latent_copies"):
        EnsembleTrainer(
            RING,
            [
                Member(generator, discriminator, config(0), MomentReconstruction(1.0, samples_per_input=2)),
                Member(other_g, other_d, config(1), MomentReconstruction(1.0, samples_per_input=3)),
            ],
        )
    wide_g = MLPGenerator(4, 2, hidden_dim=32, seed=1)
    with pytest.raises(ValueError, match="one architecture"):
        EnsembleTrainer(RING, [Member(generator, discriminator, config(0)), Member(wide_g, other_d, config(1))])


def test_batch_norm_is_rejected():
    generator, discriminator = networks(RING, 0)
    generator.hidden[0].append(nn.BatchNorm1d(16))
    with pytest.raises(ValueError, match="BatchNorm1d keeps batch statistics"):
        EnsembleTrainer(RING, [Member(generator, discriminator, config(0))])


def test_member_index_is_checked():
    ensemble = ensemble_run(RING, [0], lambda: None)
    with pytest.raises(ValueError, match="index must be <= 0"):
        ensemble.generator(1)
