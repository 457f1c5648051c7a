import math

import numpy as np
import pytest
import torch

from mcgan_lib.data import (
    Batch,
    BranchingConditional,
    GaussianMixture,
    TensorDataSource,
    grid,
    imbalanced_ring,
    ring,
)
from mcgan_lib.tasks import make_task


def test_ring_centers_are_evenly_spaced_on_the_circle():
    mixture = ring(n_modes=8, radius=2.0)
    assert mixture.centers.shape == (8, 2)
    assert torch.allclose(mixture.centers.norm(dim=1), torch.full((8,), 2.0), atol=1e-6)
    assert torch.allclose(mixture.centers[0], torch.tensor([2.0, 0.0]))
    assert torch.allclose(mixture.centers[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    # no repeated endpoint (the unrolled-GAN notebook's linspace bug gives 7 distinct modes)
    assert torch.cdist(mixture.centers, mixture.centers).add(torch.eye(8) * 10).min() > 1.5


def test_grid_matches_the_veegan_means():
    mixture = grid(side=5)
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(round(v) for v in c) for c in mixture.centers.tolist()} == expected
    assert mixture.std == 0.05


def test_sampling_is_seeded_and_has_the_right_moments():
    mixture = ring(std=0.1)
    a, modes = mixture.sample_with_modes(20_000, torch.Generator().manual_seed(3))
    b = mixture.sample(20_000, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    residual = a - mixture.centers[modes]
    assert abs(residual.std().item() - 0.1) < 0.005
    counts = torch.bincount(modes, minlength=8).float() / 20_000
    assert torch.allclose(counts, torch.full((8,), 1 / 8), atol=0.01)


def test_imbalanced_ring_gives_the_minor_mode_its_mass():
    mixture = imbalanced_ring(minor_mass=0.05)
    assert math.isclose(mixture.weights[0].item(), 0.05, rel_tol=1e-6)
    assert math.isclose(mixture.weights.sum().item(), 1.0, rel_tol=1e-6)
    _, modes = mixture.sample_with_modes(40_000, torch.Generator().manual_seed(0))
    assert abs((modes == 0).float().mean().item() - 0.05) < 0.005


def test_user_mixture_normalises_weights():
    mixture = GaussianMixture([[0.0, 0.0], [1.0, 1.0]], std=0.1, weights=[1, 3])
    assert torch.allclose(mixture.weights, torch.tensor([0.25, 0.75]))
    batch = mixture.sample_batch(7, torch.Generator().manual_seed(0))
    assert isinstance(batch, Batch) and batch.real.shape == (7, 2) and batch.condition is None


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: ring(n_modes=0), "n_modes must be >= 1"),
        (lambda: ring(std=-0.1), "std must be > 0"),
        (lambda: ring(std=float("nan")), "std must be finite"),
        (lambda: grid(side=0), "side must be >= 1"),
        (lambda: GaussianMixture(torch.zeros(0, 2)), "centers must have shape"),
        (lambda: GaussianMixture([[0.0, 0.0]], weights=[-1.0]), "weights must be finite, >= 0"),
        (lambda: GaussianMixture([[0.0, 0.0], [1.0, 0.0]], weights=[1.0]), "weights must have one entry per mode"),
        (lambda: imbalanced_ring(minor_mass=1.5), "minor_mass must be <= 1"),
        (lambda: ring().sample(0), "n must be >= 1"),
        (lambda: make_task("spiral"), "task must be one of"),
    ],
)
def test_bad_arguments_raise_clear_errors(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_tensor_data_source_draws_rows_with_their_conditions():
    real = torch.arange(10.0)[:, None]
    source = TensorDataSource(real, condition=real * 2)
    batch = source.sample_batch(50, torch.Generator().manual_seed(0))
    assert torch.equal(batch.condition, batch.real * 2)
    with pytest.raises(ValueError, match="condition must have shape"):
        TensorDataSource(real, condition=torch.zeros(3, 1))


def test_branching_conditional_is_multimodal_given_x():
    data = BranchingConditional(n_branches=2, spacing=2.0, amplitude=0.5, std=0.05)
    x = torch.full((4000, 1), 0.5)
    y = data.sample_given(x, torch.Generator().manual_seed(0))
    centers = data.branch_means(x[:1])[0]  # offsets ±1 plus 0.5*sin(pi/2) = 0.5
    assert torch.allclose(centers, torch.tensor([-0.5, 1.5]))
    upper = (y > 0.5).float().mean().item()
    assert 0.45 < upper < 0.55
    assert torch.allclose(data.true_mean(x[:1]), torch.tensor([[0.5]]))
    assert math.isclose(data.true_variance(x[:1]).item(), 1.0 + 0.05**2, rel_tol=1e-5)


# ----------------------------------------------------------------------------- training coordinates
def test_normalized_toys_lie_in_the_unit_box_and_map_back_to_data_units():
    ring_ = ring(normalize=True)
    assert ring_.centers.norm(dim=1).tolist() == pytest.approx([1.0] * 8, abs=1e-6)
    assert ring_.std == pytest.approx(0.01) and ring_.unit == 2.0
    assert torch.allclose(ring_.to_data_units(ring_.centers), ring().centers, atol=1e-6)
    grid_ = grid(normalize=True)
    assert grid_.centers.abs().max().item() == pytest.approx(1.0)
    assert grid_.std == pytest.approx(0.0125) and grid_.unit == 4.0
    shifted = GaussianMixture([[10.0, 0.0], [14.0, 2.0]], std=0.1).normalized()
    assert torch.allclose(shifted.centers, torch.tensor([[-1.0, -0.5], [1.0, 0.5]]))
    assert torch.allclose(shifted.to_data_units(shifted.centers), torch.tensor([[10.0, 0.0], [14.0, 2.0]]))
    assert "unit" in ring_.spec() and "unit" not in ring().spec()  # the unnormalised toys keep their keys


def test_scaling_a_toy_changes_neither_training_nor_any_metric():
    from mcgan_lib.experiments.toy import ToySetup
    from mcgan_lib.sweeps import sweep

    setup = ToySetup(hidden_dim=16, d_hidden_dim=16, batch_size=32, steps=60, quick_steps=60)
    tables = [
        sweep(ring(radius=radius, std=std, normalize=True), "ms", seeds=[0, 1], setup=setup, cache=False, stored=False)
        for radius, std in ((2.0, 0.02), (50.0, 0.5))
    ]
    metrics = ["modes_captured", "modes_covered", "high_quality_fraction", "reverse_kl"]
    assert tables[0][metrics].equals(tables[1][metrics])
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(tables[0].samples, tables[1].samples))
    # the metrics count in units of the std: scaling samples and mixture together changes nothing
    from mcgan_lib.metrics.toy import mode_coverage

    samples = ring().sample(500, torch.Generator().manual_seed(0)) * 1.1
    scaled = GaussianMixture(ring().centers * 7, std=0.02 * 7)
    assert mode_coverage(samples, ring()).as_dict() == mode_coverage(samples * 7, scaled).as_dict()


def test_the_conditional_toy_in_training_coordinates():
    from mcgan_lib.data.conditional import branching

    data = make_task("unit_conditional3")
    assert data.n_branches == 3 and math.isclose(data.unit, 2.5)
    assert torch.allclose(data.offsets, torch.tensor([-0.8, 0.0, 0.8])) and math.isclose(data.std, 0.02)
    x = torch.linspace(-1, 1, 101)[:, None]
    assert data.branch_means(x).abs().max() <= 1.0 + 1e-6  # y in [-1, 1]
    original = branching(n_branches=3)
    assert torch.allclose(data.to_data_units(data.branch_means(x)), original.branch_means(x), atol=1e-6)
    assert data.normalized().spec() == data.spec() and "unit" not in original.spec()
    assert make_task("unit_conditional").offsets.tolist() == pytest.approx([-2 / 3, 2 / 3])
    with pytest.raises(ValueError, match="normalize must be True or False"):
        branching(normalize=1)
    with pytest.raises(ValueError, match="unit"):
        BranchingConditional(unit=-1.0)


def test_scaling_the_conditional_toy_changes_neither_training_nor_any_metric():
    from mcgan_lib.data.conditional import branching
    from mcgan_lib.experiments.toy import ToySetup
    from mcgan_lib.sweeps import sweep

    setup = ToySetup(hidden_dim=16, d_hidden_dim=16, batch_size=32, steps=60, quick_steps=60)
    tables = [
        sweep(
            branching(n_branches=3, spacing=2.0 * c, amplitude=0.5 * c, std=0.05 * c, normalize=True),
            "gan_l2",
            seeds=[0, 1],
            setup=setup,
            cache=False,
            stored=False,
        )
        for c in (1.0, 25.0)
    ]
    metrics = ["branches_per_condition", "branches_covered_per_condition", "high_quality_fraction", "reverse_kl"]
    assert tables[0][metrics].equals(tables[1][metrics])
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(tables[0].samples, tables[1].samples))


def test_normalize_and_offset_errors_name_the_argument():
    with pytest.raises(ValueError, match="normalize must be True or False"):
        ring(normalize="yes")
    with pytest.raises(ValueError, match="unit"):
        GaussianMixture([[0.0, 0.0]], unit=0.0)
    with pytest.raises(ValueError, match="offset must be 2 finite numbers"):
        GaussianMixture([[0.0, 0.0]], offset=[0.0])
