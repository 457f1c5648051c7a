"""The one training loop of the library, used by every chapter, regularizer and task.

- :mod:`~mcgan_lib.training.step`: one GAN step, the part a reader needs first. The discriminator's and
  the generator's objectives (chapter 01 shows them) and the clipped optimiser step that descends each.
- :mod:`~mcgan_lib.training.loop`: :class:`Trainer`, seeded and deterministic on the CPU (all randomness
  comes from one ``torch.Generator`` owned by the trainer), and :class:`TrainingLoop`, what it shares with
  :class:`mcgan_lib.ensemble.EnsembleTrainer`. A regularizer plugs in through
  :class:`mcgan_lib.regularizers.Regularizer`; the plain GAN has none.
- :mod:`~mcgan_lib.training.config`: :class:`TrainConfig`, the settings of a run. ``d_steps``
  discriminator steps per generator step, or ``g_steps_per_d_step`` generator steps per discriminator
  step; Adam or AMSGrad (PyTorch's own) with optional weight decay; optional gradient clipping by norm
  and by value; optional linear decay of the learning rate to 0 (pix2pix's schedule).
- :mod:`~mcgan_lib.training.callbacks`: the :class:`History` of losses and metrics, and callbacks (live
  plots, metrics every N steps, snapshots).
- :mod:`~mcgan_lib.training.safety`: a diverged run stops with :class:`TrainingDivergedError` naming the
  step, Ctrl-C stops it between two steps (:class:`TrainingInterrupted`), and a checkpoint folder is
  locked while a process trains into it.
- :mod:`~mcgan_lib.training.checkpointing`: what a checkpoint holds, so that :meth:`Trainer.resume`
  continues exactly (same RNG state, same next step).
"""

from mcgan_lib.training.callbacks import Callback, EvaluateEvery, History, Snapshots
from mcgan_lib.training.config import OPTIMIZERS, TrainConfig, linear_decay_factor
from mcgan_lib.training.loop import Trainer, TrainingLoop
from mcgan_lib.training.safety import TrainingDivergedError, TrainingInterrupted
from mcgan_lib.training.step import descend, discriminator_objective, generator_objective

__all__ = [
    "OPTIMIZERS",
    "Callback",
    "EvaluateEvery",
    "History",
    "Snapshots",
    "TrainConfig",
    "Trainer",
    "TrainingDivergedError",
    "TrainingInterrupted",
    "TrainingLoop",
    "descend",
    "discriminator_objective",
    "generator_objective",
    "linear_decay_factor",
]
