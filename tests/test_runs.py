"""RunSpec: one frozen description of a run and the library's only assembler; the sweep engine, the CLI,
the training panel and the chapters' single runs build through it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from mcgan_lib.experiments import COLLAPSE_SETUP, PLAIN_GAN_SETUP
from mcgan_lib.experiments.images import ImageSetup
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.runs import RunSpec, default_setup, train_run
from mcgan_lib.sweeps import plan_sweep, run_spec
from mcgan_lib.tasks import make_task

SMALL = PLAIN_GAN_SETUP.replace(hidden_dim=16, d_hidden_dim=16, batch_size=32)


def _parameters(module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_build_gives_the_seeded_networks_the_methods_regularizer_and_the_config():
    spec = RunSpec("unit_ring", "ms", {"weight": 0.1}, COLLAPSE_SETUP, seed=3, steps=40, train={"log_every": 7})
    run = spec.build()
    assert isinstance(run.regularizer, ModeSeekingRegularizer) and run.regularizer.weight == 0.1
    assert (run.config.seed, run.config.steps, run.config.lr_g, run.config.log_every) == (3, 40, COLLAPSE_SETUP.lr, 7)
    again = spec.build()
    assert torch.equal(_parameters(run.generator), _parameters(again.generator))
    other = spec.replace(seed=4).build()
    assert not torch.equal(_parameters(run.generator), _parameters(other.generator))
    assert spec.label == "MSGAN (weight=0.1)"


def test_a_spec_is_frozen_and_its_defaults_come_from_the_task():
    spec = RunSpec("ring")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 1
    assert spec.build().regularizer is None and spec.build().config.steps == PLAIN_GAN_SETUP.default_steps()
    assert default_setup(make_task("ring")) is PLAIN_GAN_SETUP
    assert isinstance(default_setup(make_task("stacked_digits")), ImageSetup)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "msgan"}, "method"),
        ({"seed": -1}, "seed"),
        ({"steps": -5}, "steps"),
        ({"setup": "collapse"}, "setup must be an ExperimentSetup"),
        ({"method": "ms", "settings": {"lambda": 1.0}}, "not settings of method 'ms'"),
        ({"train": {"learning_rate": 1e-3}}, "unknown TrainConfig fields"),
    ],
)
def test_bad_specs_are_refused_with_the_argument_named(changes, message):
    with pytest.raises(ValueError, match=message):
        RunSpec("ring", **changes)


def test_a_conditional_task_refuses_an_unconditional_method_at_build():
    with pytest.raises(ValueError, match="unconditional"):
        RunSpec("conditional", "reg_gan").build()


def test_a_sweep_member_is_the_run_spec_of_its_setting_and_seed():
    plan = plan_sweep("ring", "ms", grid={"weight": [0.5], "lr": [1e-3]}, seeds=[2], setup=SMALL, steps=10)
    spec = run_spec(plan, plan.settings[0], 2)
    assert (spec.method, dict(spec.settings), spec.seed, spec.steps) == ("ms", {"weight": 0.5}, 2, 10)
    assert (spec.train["lr_g"], spec.train["lr_d"]) == (1e-3, 1e-3)


def test_train_run_trains_the_spec_and_its_trainer_matches_a_fresh_build():
    spec = RunSpec("ring", setup=SMALL, seed=1, steps=12)
    run = train_run(spec, eval_every=6, n_eval_samples=100)
    assert run.trainer.step == 12 and run.seed == 1 and run.spec is spec
    assert run.trainer.history["eval"]["step"] == [6, 12]
    twin = spec.trainer()
    twin.train()
    assert torch.equal(_parameters(run.generator), _parameters(twin.generator))
    with pytest.raises(ValueError, match="spec must be a RunSpec"):
        train_run("ring")


def test_every_kind_of_task_has_a_default_setup():
    from mcgan_lib.runs import DEFAULT_SETUPS
    from mcgan_lib.tasks import KINDS

    assert set(DEFAULT_SETUPS) == set(KINDS)
