import math

import pytest
import torch
from torch import nn

from mcgan_lib.checkpoint import CheckpointError, load_checkpoint
from mcgan_lib.data import ring
from mcgan_lib.nets import MLPDiscriminator, MLPGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.training import EvaluateEvery, History, Snapshots, TrainConfig, Trainer, TrainingDivergedError


def make_trainer(seed=0, steps=30, checkpoint_dir=None, regularizer=None, callbacks=(), **config):
    generator = MLPGenerator(latent_dim=4, hidden_dim=16, depth=2, seed=seed)
    discriminator = MLPDiscriminator(hidden_dim=16, depth=2, seed=seed + 1)
    settings = dict(steps=steps, batch_size=32, seed=seed, log_every=5)
    settings.update(config)
    return Trainer(
        ring(),
        generator,
        discriminator,
        TrainConfig(**settings),
        regularizer=regularizer,
        callbacks=callbacks,
        checkpoint_dir=checkpoint_dir,
    )


def weights(trainer):
    return [p.detach().clone() for p in [*trainer.generator.parameters(), *trainer.discriminator.parameters()]]


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def test_same_seed_gives_the_same_weights_and_another_seed_does_not():
    a, b, c = make_trainer(seed=0), make_trainer(seed=0), make_trainer(seed=0)
    c.config.seed = 1
    c.rng.manual_seed(1)
    for t in (a, b, c):
        t.train()
    assert same(weights(a), weights(b))
    assert not same(weights(a), weights(c))
    assert a.history["loss"]["step"] == [5, 10, 15, 20, 25, 30]


@pytest.mark.parametrize("config", [{}, {"d_steps": 2, "optimizer": "amsgrad", "grad_clip": 0.5, "weight_decay": 1e-4}])
def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, config):
    uninterrupted = make_trainer(steps=30, **config)
    uninterrupted.train()

    first = make_trainer(steps=12, checkpoint_dir=tmp_path, **config)
    first.train()
    resumed = make_trainer(steps=30, checkpoint_dir=tmp_path, **config).resume()
    assert resumed.step == 12
    resumed.train()
    assert resumed.step == 30
    assert same(weights(resumed), weights(uninterrupted))
    assert resumed.history["loss"] == uninterrupted.history["loss"]


def test_checkpoints_are_written_atomically_every_n_steps(tmp_path):
    trainer = make_trainer(steps=10, checkpoint_dir=tmp_path, checkpoint_every=4)
    trainer.train(steps=8)
    state = load_checkpoint(tmp_path)
    assert state["step"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temporary file left


def test_checkpoint_of_another_model_is_refused(tmp_path):
    make_trainer(steps=3, checkpoint_dir=tmp_path).train()
    other = Trainer(
        ring(),
        MLPGenerator(latent_dim=4, hidden_dim=32, seed=0),
        MLPDiscriminator(hidden_dim=16, seed=1),
        TrainConfig(steps=5, batch_size=32),
    )
    with pytest.raises(CheckpointError, match="generator_spec.hidden_dim"):
        other.resume(tmp_path)
    with pytest.raises(CheckpointError, match="config.lr_g"):
        make_trainer(steps=5, lr_g=0.1).resume(tmp_path)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04garbage"])
def test_corrupt_checkpoint_gives_a_clear_error(tmp_path, content):
    (tmp_path / "checkpoint.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match="corrupt or is not an mcgan_lib checkpoint"):
        make_trainer().resume(tmp_path)


def test_missing_checkpoint_and_foreign_pickle(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        make_trainer().resume(tmp_path / "nothing")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="no 'mcgan-checkpoint' header"):
        make_trainer().resume(tmp_path / "foreign.pt")


class ExplodingRegularizer(Regularizer):
    """Adds NaN to the generator loss from step ``at`` on."""

    name = "exploding"

    def __init__(self, at):
        super().__init__(weight=1.0)
        self.at = at

    def generator_terms(self, step):
        value = math.nan if step.step >= self.at else 0.0
        return {"boom": step.fake.sum() * 0 + value}


def test_nan_loss_stops_training_names_the_step_and_keeps_the_last_checkpoint(tmp_path):
    trainer = make_trainer(
        steps=20, checkpoint_dir=tmp_path, checkpoint_every=5, regularizer=ExplodingRegularizer(at=8)
    )
    with pytest.raises(TrainingDivergedError, match=r"generator loss became nan at step 8.*checkpoint\.pt"):
        trainer.train()
    assert load_checkpoint(tmp_path)["step"] == 5
    assert trainer.step == 7
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())


class CountingRegularizer(Regularizer):
    """Owns an extra network on each side and checks what the loop hands it."""

    name = "counting"
    latent_copies = 3
    needs_features = True

    def __init__(self):
        super().__init__(weight=0.5)
        self.encoder = nn.Linear(2, 4)
        self.critic = nn.Linear(2, 1)
        self.seen = []

    def generator_side_modules(self):
        return [self.encoder]

    def discriminator_side_modules(self):
        return [self.critic]

    def generator_terms(self, step):
        self.seen.append((tuple(step.z.shape), tuple(step.fake.shape), [tuple(f.shape) for f in step.features]))
        return {"encoder": self.weight * self.encoder(step.batch.real).pow(2).mean()}

    def discriminator_terms(self, step):
        return {"critic": self.critic(step.fake).pow(2).mean()}


def test_regularizer_plugs_in_through_one_interface():
    regularizer = CountingRegularizer()
    encoder_before = regularizer.encoder.weight.detach().clone()
    critic_before = regularizer.critic.weight.detach().clone()
    trainer = make_trainer(steps=5, regularizer=regularizer)
    trainer.train()
    z_shape, fake_shape, feature_shapes = regularizer.seen[0]
    assert z_shape == (3, 32, 4) and fake_shape == (3, 32, 2)
    assert feature_shapes == [(3, 32, 4), (3, 32, 16), (3, 32, 16), (3, 32, 2)]
    assert not torch.equal(regularizer.encoder.weight, encoder_before)  # trained with G's optimiser
    assert not torch.equal(regularizer.critic.weight, critic_before)  # trained with D's optimiser
    assert {"g_encoder", "d_critic", "g_adversarial", "d_adversarial"} <= set(trainer.history["loss"])


def test_callbacks_record_metrics_and_snapshots_without_changing_the_run():
    snapshots = Snapshots(every=10, n_samples=50)
    evaluations = EvaluateEvery(10, lambda t: {"mean_x": t.sample(100)[:, 0].mean().item()})
    with_callbacks = make_trainer(steps=20, callbacks=[snapshots, evaluations])
    with_callbacks.train()
    plain = make_trainer(steps=20)
    plain.train()
    assert same(weights(with_callbacks), weights(plain))
    assert snapshots.steps == [0, 10, 20]
    assert snapshots.samples[0].shape == (50, 2)
    assert with_callbacks.history["eval"]["step"] == [10, 20]


def test_history_keeps_columns_aligned():
    history = History()
    history.record("eval", 1, a=1.0)
    history.record("eval", 2, b=2.0)
    table = history["eval"]
    assert table["step"] == [1, 2]
    assert table["a"][0] == 1.0 and math.isnan(table["a"][1])
    assert math.isnan(table["b"][0]) and table["b"][1] == 2.0


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"lr_g": -1.0}, "lr_g must be > 0"),
        ({"d_steps": 0}, "d_steps must be >= 1"),
        ({"optimizer": "sgd"}, "optimizer must be one of"),
        ({"gan_loss": "wgan"}, "gan_loss must be one of"),
        ({"betas": (0.5, 1.5)}, r"betas\[1\] must be <="),
        ({"grad_clip": 0.0}, "grad_clip must be > 0"),
        ({"steps": -1}, "steps must be >= 0"),
    ],
)
def test_bad_training_settings_are_named(settings, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**settings)


def test_incompatible_networks_and_data_are_refused():
    with pytest.raises(ValueError, match="condition_dim"):
        Trainer(ring(), MLPGenerator(condition_dim=1), MLPDiscriminator(), TrainConfig())
    with pytest.raises(ValueError, match="output_dim=3"):
        Trainer(ring(), MLPGenerator(output_dim=3), MLPDiscriminator(), TrainConfig())
    with pytest.raises(ValueError, match="weight must be >= 0"):
        Regularizer(weight=-1.0)
    with pytest.raises(ValueError, match="device"):
        Trainer(ring(), MLPGenerator(), MLPDiscriminator(), TrainConfig(device="tpu"))
