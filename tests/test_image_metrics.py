"""NDB/JSD, LPIPS diversity, FID and IS formulas, and the Stacked-Digits mode count, on known answers."""

import math
import warnings

import numpy as np
import pytest
import torch

from mcgan_lib.data.digits import digits_images
from mcgan_lib.data.stacked_digits import StackedDigits
from mcgan_lib.metrics.fid import (
    FeatureStatistics,
    RandomConvFeatures,
    fid,
    frechet_distance,
    inception_score_from_probabilities,
)
from mcgan_lib.metrics.lpips_diversity import (
    conditional_diversity,
    generate_outputs,
    load_lpips,
    lpips_distances,
    pair_indices,
    per_layer_diversity,
)
from mcgan_lib.metrics.ndb import fit_bins, jensen_shannon, kmeans, ndb_jsd, two_proportion_z_test
from mcgan_lib.metrics.stacked_digits import (
    classify_stacked,
    expected_kl_for_equal_modes,
    mode_statistics,
    split_digits,
    stacked_digits_modes,
)


def clusters(n_per_cluster, n_clusters=10, dim=16, seed=0, drop=None):
    """Well-separated Gaussian clusters (centres 10 apart, std 0.1); ``drop`` leaves one out."""
    rng = torch.Generator().manual_seed(seed)
    centres = torch.eye(n_clusters, dim) * 10
    keep = [k for k in range(n_clusters) if k != drop]
    return torch.cat([centres[k] + 0.1 * torch.randn(n_per_cluster, dim, generator=rng) for k in keep])


# ------------------------------------------------------------------------------------ NDB / JSD
def test_z_test_and_jsd_against_hand_computed_values():
    z, p = two_proportion_z_test(torch.tensor([30, 50]), 100, torch.tensor([10, 50]), 100)
    # pooled 0.2, se = sqrt(0.2 * 0.8 * (1/100 + 1/100)) = 0.056569, z = 0.2 / se = 3.5355
    assert z[0].item() == pytest.approx(3.535534, rel=1e-5)
    assert p[0].item() == pytest.approx(4.0695e-4, rel=1e-3)
    assert z[1].item() == 0 and p[1].item() == 1
    assert jensen_shannon(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(math.log(2))
    assert jensen_shannon(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])) == pytest.approx(0.215762, rel=1e-5)
    assert jensen_shannon(torch.tensor([3.0, 1.0]), torch.tensor([6.0, 2.0])) == pytest.approx(0.0)


def test_kmeans_finds_separated_clusters():
    data = clusters(30)
    centres = kmeans(data, 10, seed=0)
    truth = torch.eye(10, 16) * 10
    assert torch.cdist(truth, centres).min(1).values.max() < 0.2  # every true centre recovered


def test_identical_samples_give_no_different_bin():
    real = clusters(200)
    result = ndb_jsd(real, real.clone(), n_bins=10)
    assert result.ndb == 0 and result.different_bins == [] and result.jsd == pytest.approx(0.0, abs=1e-12)
    fresh = ndb_jsd(real, clusters(200, seed=1), n_bins=10)  # same distribution, new draw: 10 equal bins
    assert fresh.ndb == 0


def test_a_dropped_cluster_is_flagged_as_its_bin():
    real = clusters(200)
    bins = fit_bins(real, n_bins=10)
    dropped = clusters(200, seed=1, drop=3)
    result = bins.evaluate(dropped)
    bin_of_cluster_3 = int(torch.cdist((torch.eye(10, 16) * 10)[3:4], bins.centres).argmin())
    assert result.different_bins == [bin_of_cluster_3]
    assert result.missing_bins == [bin_of_cluster_3]
    assert result.generated_proportions[bin_of_cluster_3] == 0
    assert result.jsd > 0.02
    streamed = bins.evaluate(iter(dropped.split(333)))  # streaming batches gives the same answer
    assert streamed.different_bins == result.different_bins and streamed.jsd == pytest.approx(result.jsd)


def test_ndb_rejects_bad_input():
    with pytest.raises(ValueError, match="n_bins"):
        fit_bins(torch.zeros(5, 3), n_bins=10)
    with pytest.raises(ValueError, match="real"):
        fit_bins(torch.full((20, 3), float("nan")), n_bins=2)
    with pytest.raises(ValueError, match="values per example"):
        fit_bins(clusters(5), n_bins=2).evaluate(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="significance"):
        fit_bins(clusters(5), n_bins=2, significance=0.0)


# ------------------------------------------------------------------------------------ LPIPS
@pytest.fixture(scope="module")
def lpips_network():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_lpips()


def test_identical_outputs_have_zero_diversity(lpips_network):
    one = torch.rand(1, 1, 3, 16, 16) * 2 - 1
    outputs = one.expand(4, 5, -1, -1, -1)  # 4 inputs, 5 identical outputs each: a collapsed generator
    result = conditional_diversity(outputs, pairs_per_input=6, network=lpips_network)
    assert result.mean == pytest.approx(0.0, abs=1e-6) and result.n_pairs == 24
    assert result.calibrated == lpips_network.calibrated
    if not lpips_network.calibrated:
        assert "UNCALIBRATED" in result.label


def test_different_outputs_are_diverse_and_layers_sum_to_the_total(lpips_network):
    outputs = torch.rand(3, 4, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    total = conditional_diversity(outputs, pairs_per_input=None, network=lpips_network)
    layered = per_layer_diversity(outputs, pairs_per_input=None, network=lpips_network)
    assert total.mean > 0.01 and total.n_pairs == 3 * 6  # all 6 unordered pairs of 4 outputs
    assert len(layered.per_layer) == 5
    assert sum(layered.per_layer) == pytest.approx(total.mean, rel=1e-4)
    grey = lpips_distances(outputs[0, :2, :1], outputs[0, 2:, :1], lpips_network)  # 1-channel images are accepted
    assert grey.shape == (2,) and (grey > 0).all()


def test_streamed_chunks_give_the_same_diversity(lpips_network):
    outputs = torch.rand(4, 3, 3, 16, 16, generator=torch.Generator().manual_seed(2)) * 2 - 1
    whole = conditional_diversity(outputs, pairs_per_input=2, seed=5, network=lpips_network)
    streamed = conditional_diversity(iter(outputs.split(1)), pairs_per_input=2, seed=5, network=lpips_network)
    assert torch.allclose(whole.per_input, streamed.per_input) and whole.n_pairs == streamed.n_pairs == 8


def test_random_pairs_are_distinct_and_seeded():
    pairs = pair_indices(5, 7, 10, seed=1)
    assert pairs.shape == (10, 7, 2) and (pairs[..., 0] != pairs[..., 1]).all() and pairs.max() < 5
    assert torch.equal(pairs, pair_indices(5, 7, 10, seed=1))
    assert pair_indices(4, None, 2).shape == (2, 6, 2)
    with pytest.raises(ValueError, match="n_outputs"):
        pair_indices(1, 3, 2)
    with pytest.raises(ValueError, match="n_outputs"):
        conditional_diversity(torch.zeros(2, 1, 3, 8, 8))


def test_generate_outputs_groups_samples_by_input():
    from mcgan_lib.nets.dcgan import DCGANGenerator

    generator = DCGANGenerator(4, (3, 8, 8), 3, 4, 1, seed=0)
    outputs = generate_outputs(generator, torch.eye(3), n_outputs=5)
    assert outputs.shape == (3, 5, 3, 8, 8)
    assert torch.equal(outputs, generate_outputs(generator, torch.eye(3), n_outputs=5))


# ------------------------------------------------------------------------------------ FID / IS
def test_frechet_distance_known_answer():
    # |mu1 - mu2|^2 = 1 + 4 = 5; Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = (1 + 4 - 4) + (4 + 1 - 4) = 2
    assert frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([4.0, 1.0])) == pytest.approx(7.0)
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    sigma = rotation @ np.diag([2.0, 0.5]) @ rotation.T
    assert frechet_distance([1, 1], sigma, [1, 1], sigma) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="sigma2"):
        frechet_distance([0, 0], np.eye(2), [0, 0], np.eye(3))


def test_streaming_statistics_match_torch_cov():
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0)).double()
    stats = FeatureStatistics()
    for part in x.split(7):
        stats.update(part)
    mean, cov = stats.mean_and_covariance()
    assert np.allclose(mean, x.mean(0).numpy()) and np.allclose(cov, torch.cov(x.T).numpy())


def test_fid_with_the_labelled_offline_extractor():
    extractor = RandomConvFeatures(feature_dim=8, seed=0)
    assert "not Inception" in extractor.name and not extractor.comparable_with_papers
    images = torch.rand(64, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    same = fid(images, images, extractor, batch_size=16)
    shifted = fid(images, (images * 0.3 + 0.5).clamp(-1, 1), extractor)
    assert same.value == pytest.approx(0.0, abs=1e-6) and shifted.value > 1e-3
    assert same.comparable_with_papers is False and same.n_real == 64


def test_inception_score_of_known_predictions():
    uniform = torch.full((20, 10), 0.1)
    assert inception_score_from_probabilities(uniform, splits=2)[0] == pytest.approx(1.0)
    confident = torch.eye(4).repeat(5, 1)  # four classes, each predicted with certainty, equally often
    assert inception_score_from_probabilities(confident, splits=5) == pytest.approx((4.0, 0.0))
    with pytest.raises(ValueError, match="probabilities"):
        inception_score_from_probabilities(torch.full((4, 2), 2.0), splits=1)
    with pytest.raises(ValueError, match="splits"):
        inception_score_from_probabilities(uniform, splits=30)


# ------------------------------------------------------------------------------------ Stacked digits
def test_mode_statistics_hand_computed():
    result = mode_statistics(torch.tensor([0, 0, 1, 2]))
    # q = (1/2, 1/4, 1/4): KL = 1/2 log(500) + 2 * 1/4 log(250)
    assert result.modes_captured == 3
    assert result.kl_to_uniform == pytest.approx(0.5 * math.log(500) + 0.5 * math.log(250))
    assert mode_statistics(torch.arange(1000)).kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert expected_kl_for_equal_modes(8) == pytest.approx(math.log(125))
    with pytest.raises(ValueError, match="modes"):
        mode_statistics(torch.tensor([0, 1000]))


def test_split_digits_reads_the_three_thirds():
    images = torch.arange(3.0).repeat_interleave(8).repeat(8).view(1, 1, 8, 24)
    parts = split_digits(images)
    assert parts.shape == (1, 3, 64) and parts[0, :, 0].tolist() == [0.0, 1.0, 2.0] and parts[0].std(1).max() == 0


def test_real_stacked_digits_cover_every_mode_and_a_collapsed_set_does_not():
    images, modes = StackedDigits().sample_with_modes(10000, torch.Generator().manual_seed(0))
    real = stacked_digits_modes(images)
    assert (classify_stacked(images) == modes).float().mean() > 0.95
    assert real.modes_captured >= 990 and real.kl_to_uniform < 0.15  # 10 samples per mode expected
    pool = digits_images()
    zeros_and_ones = StackedDigits(pool=pool.subset((pool.labels < 2).nonzero().flatten()))
    collapsed = stacked_digits_modes(zeros_and_ones.sample_batch(4000, torch.Generator().manual_seed(1)).real)
    assert collapsed.modes_captured <= 12  # 2**3 = 8 true modes, a few misreadings allowed
    assert collapsed.kl_to_uniform == pytest.approx(expected_kl_for_equal_modes(8), abs=0.1)


def test_lpips_input_keeps_cifar_size_and_upsamples_only_smaller_images():
    from mcgan_lib.metrics.lpips_diversity import prepare

    assert prepare(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)  # not rescaled
    assert prepare(torch.zeros(2, 1, 8, 8)).shape == (2, 3, 32, 32)


def test_lpips_alexnet_is_defined_from_31_pixels():
    """The size rule above, checked on LPIPS's own AlexNet trunk: 31 px leaves one pixel, 30 px fails."""
    import lpips

    trunk = lpips.pretrained_networks.alexnet(requires_grad=False, pretrained=False)
    assert all(h.shape[-1] >= 1 for h in trunk(torch.zeros(1, 3, 31, 31)))
    with pytest.raises(RuntimeError):
        trunk(torch.zeros(1, 3, 30, 30))
