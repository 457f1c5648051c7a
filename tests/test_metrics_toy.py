import math

import pytest
import torch

from mcgan_lib.data import BranchingConditional, GaussianMixture, ring
from mcgan_lib.metrics.toy import conditional_branch_coverage, covered_modes, evaluate_mixture, mode_coverage
from mcgan_lib.nets import MLPGenerator


def test_perfect_samples_cover_every_mode():
    mixture = ring()
    samples = mixture.sample(2500, torch.Generator().manual_seed(0))
    coverage = mode_coverage(samples, mixture)
    assert coverage.modes_captured == 8
    assert coverage.high_quality_fraction > 0.98  # 3 std in 2D keeps ~98.9%
    assert coverage.reverse_kl < 0.01


def test_collapse_to_one_mode_gives_log_m_reverse_kl():
    mixture = ring()
    samples = mixture.centers[3].repeat(100, 1)
    coverage = mode_coverage(samples, mixture)
    assert coverage.modes_captured == 1
    assert coverage.high_quality_fraction == 1.0
    assert math.isclose(coverage.reverse_kl, math.log(8), rel_tol=1e-9)
    assert coverage.samples_per_mode == [0, 0, 0, 100, 0, 0, 0, 0]


def test_hand_made_case_with_thresholds():
    mixture = GaussianMixture([[0.0, 0.0], [10.0, 0.0]], std=1.0)
    samples = torch.tensor([[0.5, 0.0], [2.9, 0.0], [3.1, 0.0], [5.1, 0.0]])
    # distances to nearest center: 0.5, 2.9 (HQ), 3.1 (not HQ, nearest mode 0), 4.9 (nearest mode 1, not HQ)
    coverage = mode_coverage(samples, mixture)
    assert coverage.high_quality_fraction == 0.5
    assert coverage.modes_captured == 1
    # all-sample histogram q = (3/4, 1/4) against p = (1/2, 1/2)
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert math.isclose(coverage.reverse_kl, expected, rel_tol=1e-9)
    assert mode_coverage(samples, mixture, threshold_std=6.0).modes_captured == 2
    assert mode_coverage(samples, mixture, min_samples=3).modes_captured == 0


def test_modes_covered_needs_a_quarter_of_the_expected_share_as_hq_samples():
    """Two equal modes and N = 40 samples: a mode is covered with >= 0.25 * 0.5 * 40 = 5 HQ samples."""
    mixture = GaussianMixture([[0.0, 0.0], [10.0, 0.0]], std=1.0)
    on_0, on_1, far = [[0.0, 0.0]], [[10.0, 0.0]], [[5.0, 0.0]]
    samples = torch.tensor(on_0 * 5 + on_1 * 4 + far * 31)
    coverage = mode_coverage(samples, mixture)
    assert coverage.samples_per_mode == [5, 4]
    assert coverage.modes_captured == 2 and coverage.modes_covered == 1
    weighted = GaussianMixture([[0.0, 0.0], [10.0, 0.0]], std=1.0, weights=[0.9, 0.1])  # mode 1 needs 1 HQ sample
    assert mode_coverage(samples, weighted).modes_covered == 1  # mode 0 now needs 9
    assert mode_coverage(torch.tensor(on_0 * 9 + on_1 + far * 30), weighted).modes_covered == 2


def test_uniform_noise_is_captured_but_not_covered():
    """The published rule credits noise with most ring modes; the strict rule with none."""
    noise = (torch.rand(2500, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 2.5
    coverage = mode_coverage(noise, ring())
    assert coverage.modes_captured >= 3 and coverage.modes_covered == 0
    real = ring().sample(2500, torch.Generator().manual_seed(1))
    assert mode_coverage(real, ring()).modes_covered == 8


def test_reverse_kl_uses_the_mixture_weights():
    mixture = GaussianMixture([[0.0, 0.0], [10.0, 0.0]], std=1.0, weights=[0.2, 0.8])
    samples = torch.tensor([[0.0, 0.0]] * 2 + [[10.0, 0.0]] * 8)
    assert mode_coverage(samples, mixture).reverse_kl == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "samples, kwargs, match",
    [
        (torch.zeros(5, 3), {}, "samples must have 2 features"),
        (torch.zeros(0, 2), {}, "at least one sample"),
        (torch.full((3, 2), float("nan")), {}, "NaN or infinite"),
        (torch.zeros(3, 2), {"threshold_std": 0}, "threshold_std must be > 0"),
        (torch.zeros(3, 2), {"min_samples": 0}, "min_samples must be >= 1"),
    ],
)
def test_metric_errors(samples, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, ring(), **kwargs)


def test_evaluate_mixture_is_seeded_and_leaves_training_mode():
    generator = MLPGenerator(seed=0)
    a = evaluate_mixture(generator, ring(), n_samples=500, seed=1)
    b = evaluate_mixture(generator, ring(), n_samples=500, seed=1)
    assert a == b and generator.training


def test_conditional_branch_coverage_separates_collapse_from_coverage():
    data = BranchingConditional(n_branches=2, std=0.05)

    class Oracle(torch.nn.Module):
        """Picks the branch from the sign of z: a perfect conditional generator (no noise)."""

        latent_dim = 1

        def __init__(self, collapse):
            super().__init__()
            self.collapse = collapse
            self.dummy = torch.nn.Parameter(torch.zeros(()))

        def sample_latent(self, n, generator=None, device="cpu"):
            return torch.randn(n, 1, generator=generator, device=device)

        def forward(self, z, x):
            means = data.branch_means(x)
            pick = torch.zeros_like(z, dtype=torch.long) if self.collapse else (z > 0).long()
            return means.gather(1, pick)

    good = conditional_branch_coverage(Oracle(False), data)
    bad = conditional_branch_coverage(Oracle(True), data)
    assert good["branches_per_condition"] == 2.0 and good["high_quality_fraction"] == 1.0
    assert good["branches_covered_per_condition"] == 2.0 and bad["branches_covered_per_condition"] == 1.0
    assert good["reverse_kl"] < 0.01
    assert bad["branches_per_condition"] == 1.0 and bad["reverse_kl"] == pytest.approx(math.log(2))


def test_covered_modes_names_the_modes_of_the_strict_count():
    """1,000 samples on the ring: 300 on mode 2, 200 on mode 5, 25 on mode 7 (below a quarter of its share
    of 125), the rest far away: modes 2 and 5 are covered, mode 7 is only captured."""
    mixture = ring()
    centers = mixture.centers
    samples = torch.cat(
        [centers[2].repeat(300, 1), centers[5].repeat(200, 1), centers[7].repeat(25, 1), torch.full((475, 2), 10.0)]
    )
    assert covered_modes(samples, mixture) == [2, 5]
    assert mode_coverage(samples, mixture).modes_covered == 2
    assert mode_coverage(samples, mixture).modes_captured == 3
