"""docs/architecture.md's recipe for a new regularizer, followed to the letter with a tiny one: a class, one
registry line, and the CLI, ``sweep`` and the batched ensemble take it with nothing else changed."""

import pytest
import torch

from mcgan_lib import methods
from mcgan_lib.checkpoint import load_checkpoint
from mcgan_lib.cli import main
from mcgan_lib.data.toy import ring
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.regularizers.base import GeneratorStep, Regularizer
from mcgan_lib.sweeps import sweep

SETUP = ToySetup(latent_dim=4, hidden_dim=16, d_hidden_dim=16, batch_size=32)


def centre_loss(fake: torch.Tensor) -> torch.Tensor:
    """Squared norm of the batch mean: a toy term that pulls the samples' centre to the origin."""
    return fake.mean(dim=0).pow(2).sum()


class CentreRegularizer(Regularizer):
    """Step 1 of the recipe: the loss above, weighted by λ."""

    name = "centre"

    def generator_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        return {self.name: self.weight * centre_loss(step.fake)}


@pytest.fixture
def registered():
    """Step 2: one registry line (taken out again after the test)."""
    methods.register_method(
        methods.Method("centre", "Centre", lambda data, setup, seed, weight: CentreRegularizer(weight), {"weight": 1.0})
    )
    yield "centre"
    del methods.METHODS["centre"]


def test_a_new_regularizer_needs_only_its_class_and_one_registry_line(registered, tmp_path):
    table = sweep("ring", registered, grid={"weight": [0.0, 100.0]}, seeds=[0], setup=SETUP, steps=30, cache=False)
    assert list(table.weight) == [0.0, 100.0] and table.diverged_at_step.isna().all()
    sequential = sweep(
        "ring",
        registered,
        grid={"weight": [0.0, 100.0]},
        seeds=[0],
        setup=SETUP,
        steps=30,
        cache=False,
        engine="sequential",
    )
    assert table.modes_captured.tolist() == sequential.modes_captured.tolist()
    centres = [float(torch.as_tensor(s).mean(0).norm()) for s in table.samples]
    assert centres[1] < centres[0]  # a large λ pulls the samples' centre to the origin
    out = tmp_path / "run"
    main(
        [
            "train",
            "--steps",
            "3",
            "--method",
            registered,
            "--weight",
            "2",
            "--out",
            str(out),
            "--no-figures",
            "--hidden-dim",
            "16",
            "--latent-dim",
            "4",
            "--batch-size",
            "32",
        ]
    )
    assert load_checkpoint(out)["regularizer_config"] == {"name": "centre", "weight": 2.0, "latent_copies": 1}


def test_a_name_is_registered_once(registered):
    with pytest.raises(ValueError, match="method 'centre' is already registered"):
        methods.register_method(methods.Method("centre", "Again", lambda data, setup, seed: None))
    with pytest.raises(ValueError, match="method must be one of"):
        methods.build_method("centre_typo", ring(), SETUP)
