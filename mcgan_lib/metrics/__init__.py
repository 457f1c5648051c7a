"""Metrics computed from samples, apart from training.

``toy``: mode coverage of 2D mixtures and of the conditional toy; ``classifier_scores``: Inception
and MODE scores; ``missing_modes``: the third-party-discriminator count; ``ndb``: NDB/JSD;
``lpips_diversity``: LPIPS diversity; ``fid``: Fréchet distance; ``stacked_digits``: the 1,000-mode count.
"""

from mcgan_lib.metrics.classifier_scores import inception_score, mode_score
from mcgan_lib.metrics.missing_modes import missing_modes
from mcgan_lib.metrics.ndb import ndb_jsd
from mcgan_lib.metrics.toy import ModeCoverage, conditional_branch_coverage, evaluate_mixture, mode_coverage

__all__ = [
    "ModeCoverage",
    "mode_coverage",
    "evaluate_mixture",
    "conditional_branch_coverage",
    "inception_score",
    "mode_score",
    "missing_modes",
    "ndb_jsd",
]
