"""What a run records (:class:`History`) and the hooks that the loop calls during training (:class:`Callback`):
metrics every N steps (:class:`EvaluateEvery`) and the generator's samples over time (:class:`Snapshots`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from mcgan_lib.validation import check_int

if TYPE_CHECKING:
    from mcgan_lib.training.loop import Trainer


class History:
    """Scalars recorded during training, grouped (``"loss"``, ``"eval"``, ...), each a dict of lists."""

    def __init__(self, groups: dict | None = None):
        self.groups: dict[str, dict[str, list]] = groups or {}

    def record(self, group: str, step: int, **values) -> None:
        table = self.groups.setdefault(group, {"step": []})
        table["step"].append(int(step))
        n = len(table["step"])
        for key, value in values.items():
            column = table.setdefault(key, [math.nan] * (n - 1))
            column.append(float(value))
        for column in table.values():  # keep columns aligned when a value is absent this time
            if len(column) < n:
                column.append(math.nan)

    def __getitem__(self, group: str) -> dict[str, list]:
        return self.groups[group]

    def __contains__(self, group: str) -> bool:
        return group in self.groups

    def last(self, group: str) -> dict[str, float]:
        table = self.groups[group]
        return {key: column[-1] for key, column in table.items()}

    def to_frame(self, group: str):
        import pandas as pd

        return pd.DataFrame(self.groups.get(group, {"step": []}))

    def state_dict(self) -> dict:
        return {group: {k: list(v) for k, v in table.items()} for group, table in self.groups.items()}


class Callback:
    """Hooks called by :class:`Trainer`; override the ones you need."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_step_end(self, trainer: Trainer, logs: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class EvaluateEvery(Callback):
    """Every ``every`` steps (and at the end), record ``evaluate(trainer) -> dict`` in history["eval"]."""

    def __init__(self, every: int, evaluate: Callable[[Trainer], dict]):
        self.every = check_int("every", every, minimum=1)
        self.evaluate = evaluate

    def _run(self, trainer):
        if "eval" in trainer.history and trainer.history["eval"]["step"][-1:] == [trainer.step]:
            return
        trainer.history.record("eval", trainer.step, **self.evaluate(trainer))

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0:
            self._run(trainer)

    def on_train_end(self, trainer):
        self._run(trainer)


class Snapshots(Callback):
    """Every ``every`` steps, keep G's samples for a fixed set of ``n_samples`` latents (for timelines).

    The fixed latents are drawn from their own generator seeded with ``seed``, so taking snapshots
    never changes the training run.
    """

    def __init__(self, every: int, n_samples: int = 1000, seed: int = 12345):
        self.every = check_int("every", every, minimum=1)
        self.n_samples = check_int("n_samples", n_samples, minimum=1)
        self.seed = seed
        self.steps: list[int] = []
        self.samples: list[torch.Tensor] = []
        self._z = None

    def _take(self, trainer):
        if self.steps and self.steps[-1] == trainer.step:
            return
        if self._z is None:
            rng = torch.Generator().manual_seed(self.seed)
            self._z = trainer.generator.sample_latent(self.n_samples, rng, device="cpu")
        self.steps.append(trainer.step)
        self.samples.append(trainer.sample(z=self._z).cpu())

    def on_train_begin(self, trainer):
        self._take(trainer)

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0:
            self._take(trainer)

    def on_train_end(self, trainer):
        self._take(trainer)
