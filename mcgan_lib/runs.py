"""One run, described once: :class:`RunSpec` and its :meth:`RunSpec.build`, the library's only assembler.

A run is a task, a method of the registry with its settings, a setup (networks and optimiser), a seed and
a step budget. Everything that trains one toy or image GAN starts from a ``RunSpec``: the sweep engine
expands a sweep into one spec per setting × seed, the CLI parses its flags into one, the training panel,
:func:`train_run` and the chapters' single runs take one. ``build()`` turns it
into the data, the two networks, the regularizer and the :class:`~mcgan_lib.training.TrainConfig`:

    spec = RunSpec("unit_ring", "ms", {"weight": 0.1}, setup=COLLAPSE_SETUP, seed=3)
    trainer = spec.trainer()          # built, not yet trained
    run = train_run(spec, snapshot_every=500)   # trained, with snapshots and its final metrics

``settings`` are the method's (checked against its registered defaults); ``train`` sets fields of the
TrainConfig beyond the setup's (``lr_g``, ``log_every``, ``device``, ``checkpoint_every`` ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from mcgan_lib.data.base import DataSource
from mcgan_lib.experiments.images import ImageSetup
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP
from mcgan_lib.methods import METHODS, build_method, get_method, method_settings
from mcgan_lib.metrics.toy import DEFAULT_SAMPLES
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.tasks import evaluate, kind_of, make_task
from mcgan_lib.training import EvaluateEvery, Snapshots, TrainConfig, Trainer
from mcgan_lib.validation import check_choice, check_int

# The setup of a run given none, by the kind of its task (mcgan_lib.tasks.kind_of).
DEFAULT_SETUPS = {
    "toy2d": PLAIN_GAN_SETUP,
    "toy_conditional": PLAIN_GAN_SETUP,
    "image": ImageSetup(),
    "held_out": ImageSetup(),
    "held_out_flat": PLAIN_GAN_SETUP,
    "paired": PairedSetup(),
}


def default_setup(data: DataSource) -> ExperimentSetup:
    """The setup of a run given none (:data:`DEFAULT_SETUPS`): chapter 01's ``PLAIN_GAN_SETUP`` for the toys,
    the DCGAN :class:`~mcgan_lib.experiments.images.ImageSetup` for images, and the U-Net/SRResNet
    :class:`~mcgan_lib.experiments.paired.PairedSetup` for paired images. A source no task evaluator knows
    is taken as a toy when its samples are flat and as images when they are (C, H, W)."""
    kind = kind_of(data) or ("image" if len(data.data_shape) == 3 else "toy2d")
    return DEFAULT_SETUPS[kind]


@dataclass(frozen=True)
class Run:
    """A built run: what :meth:`RunSpec.build` returns, ready to hand to a trainer."""

    data: DataSource
    generator: object
    discriminator: object
    regularizer: Regularizer | None
    config: TrainConfig


@dataclass(frozen=True)
class RunSpec:
    """A frozen description of one run (see the module docstring). ``task`` is a name of
    :data:`~mcgan_lib.tasks.TASKS` or a data source; ``setup`` None takes :func:`default_setup`;
    ``steps`` None the setup's full- or quick-mode count."""

    task: str | DataSource
    method: str = "gan"
    settings: Mapping = field(default_factory=dict)
    setup: ExperimentSetup | None = None
    seed: int = 0
    steps: int | None = None
    train: Mapping = field(default_factory=dict)

    def __post_init__(self):
        check_choice("method", self.method, METHODS)
        check_int("seed", self.seed, minimum=0)
        if self.steps is not None:
            check_int("steps", self.steps, minimum=0)
        if self.setup is not None and not isinstance(self.setup, ExperimentSetup):
            raise ValueError(
                "setup must be an ExperimentSetup (a ToySetup, ImageSetup or PairedSetup), "
                f"got {type(self.setup).__name__}"
            )
        method_settings(self.method, self.settings)
        field_names = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(self.train) - field_names)
        if unknown:
            raise ValueError(f"train holds unknown TrainConfig fields {unknown}; allowed: {sorted(field_names)}")

    def replace(self, **changes) -> RunSpec:
        return dataclasses.replace(self, **changes)

    @property
    def label(self) -> str:
        """The method's label with the settings given, e.g. ``MSGAN (weight=0.1)``."""
        shown = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return get_method(self.method).label + (f" ({shown})" if shown else "")

    def build(self, data: DataSource | None = None) -> Run:
        """The run's data (``data``, when the caller already made the task's source), G and D initialised
        from the seed, the method's regularizer and the TrainConfig."""
        data = make_task(self.task) if data is None else data
        setup = default_setup(data) if self.setup is None else self.setup
        generator, discriminator = setup.networks(data, self.seed)
        regularizer = build_method(self.method, data, setup, self.seed, **self.settings)
        config = setup.train_config(self.seed, self.steps, **self.train)
        return Run(data, generator, discriminator, regularizer, config)

    def trainer(self, callbacks=(), checkpoint_dir=None, progress: bool = False, data: DataSource | None = None):
        """A :class:`~mcgan_lib.training.Trainer` of the built run, not yet trained."""
        run = self.build(data)
        return Trainer(
            run.data,
            run.generator,
            run.discriminator,
            run.config,
            regularizer=run.regularizer,
            callbacks=callbacks,
            checkpoint_dir=checkpoint_dir,
            progress=progress,
        )


@dataclass
class TrainedRun:
    """One trained run: its spec, its trainer (networks, history), snapshots and final metrics."""

    spec: RunSpec
    trainer: Trainer
    snapshots: Snapshots | None
    metrics: dict

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def generator(self):
        return self.trainer.generator

    @property
    def discriminator(self):
        return self.trainer.discriminator


def train_run(
    spec: RunSpec,
    snapshot_every: int | None = None,
    eval_every: int | None = None,
    n_eval_samples: int = DEFAULT_SAMPLES,
    checkpoint_dir=None,
    callbacks=(),
    progress: bool = False,
) -> TrainedRun:
    """Train ``spec`` with the sequential :class:`~mcgan_lib.training.Trainer` (which keeps D as well as G,
    for the GAN-Lab view) and return it with its final metrics (:func:`mcgan_lib.tasks.evaluate`).

    ``snapshot_every`` keeps samples of fixed latents (for timelines); ``eval_every`` records the metrics
    in ``trainer.history["eval"]``.
    """
    if not isinstance(spec, RunSpec):
        raise ValueError(f"spec must be a RunSpec, got {type(spec).__name__}")
    data = make_task(spec.task)
    callbacks = list(callbacks)
    snapshots = None
    if snapshot_every:
        snapshots = Snapshots(every=check_int("snapshot_every", snapshot_every, minimum=1), n_samples=500)
        callbacks.append(snapshots)
    if eval_every:
        check_int("eval_every", eval_every, minimum=1)
        callbacks.append(EvaluateEvery(eval_every, lambda t: evaluate(data, t.generator, n_eval_samples)))
    trainer = spec.trainer(callbacks, checkpoint_dir, progress, data=data)
    trainer.train()
    return TrainedRun(spec, trainer, snapshots, evaluate(data, trainer.generator, n_eval_samples))
