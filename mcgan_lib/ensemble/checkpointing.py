"""What an :class:`~mcgan_lib.ensemble.EnsembleTrainer`'s checkpoint holds, and how it is checked and restored.

Beside the stacked weights, the stacked Adam states, every member's RNG state, which members are still
training and the history, a checkpoint describes the run: the networks' specs, the data's settings and
every member's :class:`~mcgan_lib.training.TrainConfig` and regularizer settings. Restoring compares
those first, so a checkpoint of another ensemble is refused with the differences listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from mcgan_lib.checkpoint import CheckpointError, describe_differences
from mcgan_lib.training import History, TrainConfig

if TYPE_CHECKING:
    from mcgan_lib.ensemble.trainer import EnsembleTrainer


def ensemble_descriptions(ensemble: EnsembleTrainer) -> dict:
    """What identifies the ensemble's run: the networks' specs, the data's and every member's settings."""
    spec = lambda net: net.spec() if hasattr(net, "spec") else {}  # noqa: E731
    return {
        "generator_spec": spec(ensemble.template.generator),
        "discriminator_spec": spec(ensemble.template.discriminator),
        "regularizer_configs": ensemble.regularizer_configs,
        "data_spec": ensemble.data.spec(),
        "configs": [c.to_dict() for c in ensemble.configs],
    }


def ensemble_state(ensemble: EnsembleTrainer) -> dict:
    """The full state of ``ensemble`` (see the module docstring)."""
    return {
        "step": ensemble.step,
        **ensemble_descriptions(ensemble),
        "params": {k: v.detach() for k, v in ensemble.params.items()},
        "buffers": dict(ensemble.buffers),
        "optimizer_g": ensemble.optimizer_g.state_dict(),
        "optimizer_d": ensemble.optimizer_d.state_dict(),
        "rng_states": [rng.get_state() for rng in ensemble.rngs],
        "active": ensemble.active.clone(),
        "diverged_at": [-1 if s is None else s for s in ensemble.diverged_at],
        "history": ensemble.history.state_dict(),
    }


def restore_ensemble_state(ensemble: EnsembleTrainer, state: dict, source: str = "checkpoint") -> None:
    """Restore into ``ensemble`` a state written by :func:`ensemble_state`, after checking that it belongs
    to the same members, settings and data (:class:`~mcgan_lib.checkpoint.CheckpointError` names the
    differences)."""
    problems = []
    current = ensemble_descriptions(ensemble)
    for key in ("generator_spec", "discriminator_spec", "data_spec"):
        problems += describe_differences(state.get(key, {}), current[key], key)
    saved_configs, saved_regs = state.get("configs", []), state.get("regularizer_configs", [])
    if len(saved_configs) != ensemble.size:
        problems.append(f"the checkpoint has {len(saved_configs)} members, this ensemble {ensemble.size}")
    else:
        for i in range(ensemble.size):
            problems += describe_differences(
                TrainConfig.completed(saved_configs[i]),
                current["configs"][i],
                f"members[{i}].config",
                ignore=TrainConfig.RESUMABLE_CHANGES,
            )
            problems += describe_differences(
                saved_regs[i], current["regularizer_configs"][i], f"members[{i}].regularizer"
            )
    if problems:
        raise CheckpointError(f"{source} was written for another ensemble:\n  " + "\n  ".join(problems))
    with torch.no_grad():
        for name, value in state["params"].items():
            ensemble.params[name].copy_(value)
        for name, value in state["buffers"].items():
            ensemble.buffers[name].copy_(value)
    ensemble.optimizer_g.load_state_dict(state["optimizer_g"])
    ensemble.optimizer_d.load_state_dict(state["optimizer_d"])
    for rng, rng_state in zip(ensemble.rngs, state["rng_states"]):
        rng.set_state(rng_state.cpu())
    ensemble.active = state["active"].to(ensemble.device)
    ensemble.diverged_at = [None if s < 0 else int(s) for s in state["diverged_at"]]
    ensemble.step = int(state["step"])
    ensemble.history = History(state.get("history", {}))
