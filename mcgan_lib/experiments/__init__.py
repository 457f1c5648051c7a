"""Experiments: named configurations, single runs and multi-seed tables the chapters are built on.

- :mod:`~mcgan_lib.experiments.toy`: chapter 01's baseline :data:`PLAIN_GAN_SETUP` and :func:`train_toy`
  (one run, with snapshots and metrics over training);
- :mod:`~mcgan_lib.experiments.multiseed`: :func:`run_seeds`, :func:`sweep_weights` and
  :func:`summarize` (mean ± std over seeds), shared by every chapter;
- :mod:`~mcgan_lib.experiments.fitting`: :func:`fit_predictor` (MR-GAN's moment predictor) and
  :func:`estimate_ere_bounds` (HMGAN's lower bounds after pre-training), fitted before a run;
- :mod:`~mcgan_lib.experiments.moment_reconstruction` (chapters 02-03) and
  :mod:`~mcgan_lib.experiments.mode_regularized` (chapter 06): each chapter's runs.
"""

from mcgan_lib.experiments.fitting import PredictorFit, estimate_ere_bounds, fit_predictor
from mcgan_lib.experiments.multiseed import (
    arguments_from_setup,
    build_networks,
    default_evaluate,
    run_seeds,
    summarize,
    sweep_weights,
    table_over_settings,
)
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP, ToyRun, ToySetup, train_toy

__all__ = [
    "PLAIN_GAN_SETUP", "ToySetup", "ToyRun", "train_toy",
    "run_seeds", "sweep_weights", "summarize", "arguments_from_setup", "build_networks", "default_evaluate",
    "table_over_settings", "fit_predictor", "PredictorFit", "estimate_ere_bounds",
]
