"""Experiments: named configurations and the runs the chapters are built on.

- :mod:`~mcgan_lib.experiments.setup`: :class:`ExperimentSetup`, the optimiser and step budget that every
  setup shares, and the run's ``TrainConfig``;
- :mod:`~mcgan_lib.experiments.toy`: :class:`ToySetup` (the MLPs of a toy experiment), chapter 01's
  baseline :data:`PLAIN_GAN_SETUP` and the single-mode regime :data:`COLLAPSE_SETUP` (one run of any of
  them is a :class:`mcgan_lib.runs.RunSpec`);
- :mod:`~mcgan_lib.experiments.tuning`: the stated rule that chooses a method's λ on tuning seeds;
- :mod:`~mcgan_lib.experiments.images`: :class:`ImageSetup` (the DCGANs of an image experiment) and
  chapter 08's :data:`CATEGORICAL_SETUP` (D a quarter of G's width) with its control :data:`BALANCED_SETUP`;
- :mod:`~mcgan_lib.experiments.paired`: :class:`PairedSetup` (the U-Net, SRResNet or GLCIC networks of an
  image-to-image experiment, and proxy MR-GAN's predictor for it);
- :mod:`~mcgan_lib.experiments.fitting`: what is fitted before a run: :func:`fit_predictor` (MR-GAN's
  moment predictor) and :func:`estimate_ere_bounds` (HMGAN's lower bounds after pre-training);
- :mod:`~mcgan_lib.experiments.full_size`: the papers' full-size image configurations (Facades, Maps,
  CelebA super-resolution and inpainting) that ``python -m mcgan_lib train --task ...`` runs on GPUs;
- :mod:`~mcgan_lib.experiments.moment_reconstruction`: MR-GAN's Appendix B setup (chapters 02-03).

Each chapter's sweeps, claims and own runs are declared in :mod:`mcgan_lib.chapters`.

Multi-seed tables come from the one engine, :func:`mcgan_lib.sweeps.sweep`, and are summarised by
:func:`mcgan_lib.sweeps.summarize`.
"""

from mcgan_lib.experiments.images import BALANCED_SETUP, CATEGORICAL_SETUP, ImageSetup
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.experiments.toy import COLLAPSE_SETUP, PLAIN_GAN_SETUP, ToySetup

__all__ = [
    "BALANCED_SETUP",
    "CATEGORICAL_SETUP",
    "COLLAPSE_SETUP",
    "ExperimentSetup",
    "ImageSetup",
    "PLAIN_GAN_SETUP",
    "PairedSetup",
    "ToySetup",
]
