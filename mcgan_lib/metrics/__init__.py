"""Metrics computed from samples, apart from training."""

from mcgan_lib.metrics.toy import ModeCoverage, conditional_branch_coverage, evaluate_mixture, mode_coverage

__all__ = ["ModeCoverage", "mode_coverage", "evaluate_mixture", "conditional_branch_coverage"]
