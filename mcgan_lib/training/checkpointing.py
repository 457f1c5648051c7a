"""What a :class:`~mcgan_lib.training.Trainer`'s checkpoint holds, and how it is checked and restored.

A checkpoint holds everything needed to continue exactly (weights, optimiser states, learning-rate
schedules, the RNG state, the step and the history) beside descriptions of the run (the networks'
specs, the regularizer's and the data's settings, the :class:`~mcgan_lib.training.TrainConfig`). Loading
compares the descriptions first, so a checkpoint of another model or configuration is refused with the
differences listed. The file format itself (atomic writes, verified reads) is :mod:`mcgan_lib.checkpoint`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mcgan_lib.checkpoint import CHECKPOINT_NAME, CheckpointError, describe_differences
from mcgan_lib.training.callbacks import History
from mcgan_lib.training.config import TrainConfig

if TYPE_CHECKING:
    from mcgan_lib.training.loop import Trainer


def checkpoint_file(path: Path) -> Path:
    """The checkpoint file of ``path``: ``path/checkpoint.pt`` for a folder, else ``path`` itself."""
    return path / CHECKPOINT_NAME if path.is_dir() else path


def run_descriptions(trainer: Trainer) -> dict:
    """What identifies the trainer's run: the networks' specs, the regularizer's and the data's settings."""
    return {
        "generator_spec": trainer.generator.spec() if hasattr(trainer.generator, "spec") else {},
        "discriminator_spec": trainer.discriminator.spec() if hasattr(trainer.discriminator, "spec") else {},
        "regularizer_config": trainer.regularizer.config(),
        "data_spec": trainer.data.spec(),
    }


def trainer_state(trainer: Trainer) -> dict:
    """The full state of ``trainer`` (see the module docstring), as :meth:`Trainer.state_dict` returns it."""
    return {
        "step": trainer.step,
        "config": trainer.config.to_dict(),
        **run_descriptions(trainer),
        "generator": trainer.generator.state_dict(),
        "discriminator": trainer.discriminator.state_dict(),
        "regularizer": trainer.regularizer.state_dict(),
        "optimizer_g": trainer.optimizer_g.state_dict(),
        "optimizer_d": trainer.optimizer_d.state_dict(),
        **({"lr_schedulers": [s.state_dict() for s in trainer.lr_schedulers]} if trainer.lr_schedulers else {}),
        "rng_state": trainer.rng.get_state(),
        "history": trainer.history.state_dict(),
    }


def restore_trainer_state(trainer: Trainer, state: dict, source: str = "checkpoint") -> None:
    """Restore into ``trainer`` a state written by :func:`trainer_state`, after checking that it belongs to
    this model and configuration (:class:`~mcgan_lib.checkpoint.CheckpointError` names the differences)."""
    problems = []
    for key, current in run_descriptions(trainer).items():
        problems += describe_differences(state.get(key, {}), current, key)
    problems += describe_differences(
        TrainConfig.completed(state.get("config", {})),
        trainer.config.to_dict(),
        "config",
        ignore=trainer.config.resumable_changes(),
    )
    if problems:
        raise CheckpointError(f"{source} was written for another model or configuration:\n  " + "\n  ".join(problems))
    try:
        trainer.generator.load_state_dict(state["generator"])
        trainer.discriminator.load_state_dict(state["discriminator"])
        trainer.regularizer.load_state_dict(state["regularizer"])
        trainer.optimizer_g.load_state_dict(state["optimizer_g"])
        trainer.optimizer_d.load_state_dict(state["optimizer_d"])
        if trainer.lr_schedulers:
            for scheduler, saved in zip(trainer.lr_schedulers, state["lr_schedulers"], strict=True):
                scheduler.load_state_dict(saved)
    except (KeyError, RuntimeError, ValueError) as error:
        raise CheckpointError(f"{source} does not match this model's weights: {error}") from None
    trainer.rng.set_state(state["rng_state"].cpu())
    trainer.step = int(state["step"])
    trainer.history = History(state.get("history", {}))
