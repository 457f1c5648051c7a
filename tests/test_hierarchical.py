"""Tests of the hierarchical mode-exploring loss, the ERE lower bounds and the HMGAN regularizer."""

import math
import warnings

import pytest
import torch

from mcgan_lib.data.toy import ring
from mcgan_lib.experiments import PLAIN_GAN_SETUP, ToySetup
from mcgan_lib.experiments.fitting import estimate_ere_bounds
from mcgan_lib.regularizers.hierarchical import (
    HierarchicalModeRegularizer,
    check_hierarchical_mode_inputs,
    ere_lower_bounds,
    ere_lower_bounds_naive,
    generator_features,
    hierarchical_mode_loss,
    layer_diversity,
    layer_ratios,
    output_push,
    proposition_one_curves,
    ratio_of_ends,
)
from mcgan_lib.regularizers.mode_seeking import mode_seeking_loss
from mcgan_lib.sweeps import sweep
from mcgan_lib.training import Trainer


def _hand_pair():
    """One pair, three layers: z (2 elements), h (4 elements), x (1 element)."""
    features_a = [torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0, 0.0, 0.0]]), torch.tensor([[0.0]])]
    features_b = [torch.tensor([[1.0, 3.0]]), torch.tensor([[1.0, 1.0, 0.0, 2.0]]), torch.tensor([[4.0]])]
    # mean distances: d1 = 2, d2 = 1, d3 = 4 -> ratios 2/1 = 2, 1/4 = 0.25
    # sum distances:  d1 = 4, d2 = 4, d3 = 4 -> ratios 1, 1
    return features_a, features_b


# ------------------------------------------------------------------------------------------------------------- values


def test_loss_matches_hand_computation():
    a, b = _hand_pair()
    assert hierarchical_mode_loss(a, b, [0.0, 0.0]).item() == pytest.approx(2.25, rel=1e-6)
    assert hierarchical_mode_loss(a, b, [1.0, 1.0]).item() == pytest.approx(1.0 + 0.75, rel=1e-6)
    assert hierarchical_mode_loss(a, b, [2.0, 0.25]).item() == pytest.approx(0.0, abs=1e-6)


def test_sum_reduction_is_the_literal_l1_norm_and_rescales_by_widths():
    a, b = _hand_pair()
    assert hierarchical_mode_loss(a, b, [0.0, 0.0], reduction="sum").item() == pytest.approx(2.0, rel=1e-6)
    mean_ratios = layer_ratios(a, b, eps=1e-12)[:, 0]
    sum_ratios = layer_ratios(a, b, eps=1e-12, reduction="sum")[:, 0]
    widths = torch.tensor([2.0, 4.0, 1.0])
    # ratio_sum_i = ratio_mean_i * f_{i-1} / f_i
    assert torch.allclose(sum_ratios, mean_ratios * widths[:-1] / widths[1:])


def test_loss_is_the_mean_over_pairs():
    a, b = _hand_pair()
    a2 = [torch.cat([x, x]) for x in a]
    b2 = [torch.cat([y, x]) for x, y in zip(a, b)]
    b2 = [torch.cat([y, 2 * y]) for y in b]  # second pair: every distance doubled, same ratios
    assert hierarchical_mode_loss(a2, b2, [0.0, 0.0]).item() == pytest.approx(2.25, rel=1e-6)


def test_batch_pairs_form_divides_batch_mean_distances():
    a, b = _hand_pair()
    # second pair: z distance 2, h distance 3, x distance 0 -> batch means d = (2, 2, 2): ratios 1, 1
    a2 = [torch.cat([x, torch.zeros_like(x)]) for x in a]
    b2 = [
        torch.cat([b[0], torch.tensor([[2.0, 2.0]])]),
        torch.cat([b[1], torch.tensor([[3.0, 3.0, 3.0, 3.0]])]),
        torch.cat([b[2], torch.tensor([[0.0]])]),
    ]
    assert layer_ratios(a2, b2, pairs="batch").squeeze(1).tolist() == pytest.approx([1.0, 1.0])
    assert hierarchical_mode_loss(a2, b2, [0.5, 0.0], pairs="batch").item() == pytest.approx(1.5, rel=1e-6)
    # the per-pair form: pair 1 ratios (2, 0.25), pair 2 ratios (2/3, 3/eps) -> dominated by the collapsed pair
    assert hierarchical_mode_loss(a2, b2, [0.5, 0.0]).item() > 1e6
    with pytest.raises(ValueError, match="pairs"):
        hierarchical_mode_loss(a2, b2, [0.5, 0.0], pairs="each")


@pytest.mark.parametrize("pairs", ["pair", "batch"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradcheck(reduction, pairs):
    gen = torch.Generator().manual_seed(0)
    shapes = [(3, 2), (3, 5), (3, 2)]
    inputs = [torch.randn(*s, generator=gen, dtype=torch.float64, requires_grad=True) for s in shapes + shapes]

    def loss(*tensors):
        return hierarchical_mode_loss(
            list(tensors[:3]), list(tensors[3:]), [0.3, 0.7], reduction=reduction, pairs=pairs
        )

    assert torch.autograd.gradcheck(loss, inputs)


def test_ratio_of_ends_is_the_product_of_layer_ratios_and_msgan_ratio():
    gen = torch.Generator().manual_seed(0)
    a = [torch.randn(5, k, generator=gen, dtype=torch.float64) for k in (3, 6, 2)]
    b = [torch.randn(5, k, generator=gen, dtype=torch.float64) for k in (3, 6, 2)]
    product = layer_ratios(a, b, eps=1e-300).prod(dim=0)
    assert torch.allclose(ratio_of_ends(a, b, eps=1e-300), product)
    # with one pair, MSGAN's loss is 1 / (1 / L_d + eps)
    single_a, single_b = [x[:1] for x in a], [x[:1] for x in b]
    ms = mode_seeking_loss(single_a[-1], single_b[-1], single_a[0], single_b[0], eps=1e-12)
    assert ms.item() == pytest.approx(ratio_of_ends(single_a, single_b, eps=1e-300).item(), rel=1e-8)


# ------------------------------------------------------------------------------------------------ numerics and errors


def test_coinciding_outputs_give_finite_loss_and_gradient():
    a = [torch.randn(4, 3), torch.ones(4, 5, requires_grad=True), torch.ones(4, 2, requires_grad=True)]
    b = [torch.randn(4, 3), torch.ones(4, 5), torch.ones(4, 2)]
    loss = hierarchical_mode_loss(a, b, [0.0, 0.0])
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(a[1].grad).all() and torch.isfinite(a[2].grad).all()


@pytest.mark.parametrize(
    "features_b, ere, match",
    [
        ([torch.zeros(4, 3), torch.zeros(4, 5)], [0.0, 0.0], "features_a has 3 layers"),
        ([torch.zeros(4, 3), torch.zeros(4, 6), torch.zeros(4, 2)], [0.0, 0.0], r"features_a\[1\] and features_b\[1\]"),
        ([torch.zeros(3, 3), torch.zeros(3, 5), torch.zeros(3, 2)], [0.0, 0.0], "features_b"),
        ([torch.zeros(4, 3), torch.full((4, 5), math.nan), torch.zeros(4, 2)], [0.0, 0.0], r"features_b\[1\]"),
        ([torch.zeros(4, 3), torch.zeros(4, 5), torch.zeros(4, 2)], [0.0, 0.0, 0.0], "ere must have one target"),
        ([torch.zeros(4, 3), torch.zeros(4, 5), torch.zeros(4, 2)], [0.0], "ere must have one target"),
        ([torch.zeros(4, 3), torch.zeros(4, 5), torch.zeros(4, 2)], [0.0, -0.5], "ere must hold"),
        ([torch.zeros(4, 3), torch.zeros(4, 5), torch.zeros(4, 2)], [0.0, math.inf], "ere must hold"),
    ],
)
def test_bad_inputs_raise(features_b, ere, match):
    features_a = [torch.ones(4, 3), torch.ones(4, 5), torch.ones(4, 2)]
    with pytest.raises(ValueError, match=match):
        check_hierarchical_mode_inputs(features_a, features_b, ere)


def test_features_must_be_a_list_of_layers():
    with pytest.raises(ValueError, match="features_a must be a list"):
        check_hierarchical_mode_inputs(torch.zeros(4, 3), [torch.zeros(4, 3)], [0.0])
    with pytest.raises(ValueError, match="eps"):
        check_hierarchical_mode_inputs([torch.ones(2, 2)] * 2, [torch.zeros(2, 2)] * 2, eps=0.0)
    with pytest.raises(ValueError, match="reduction"):
        check_hierarchical_mode_inputs([torch.ones(2, 2)] * 2, [torch.zeros(2, 2)] * 2, [0.0], reduction="max")
    with pytest.raises(ValueError, match="reduction"):
        hierarchical_mode_loss([torch.ones(2, 2)] * 2, [torch.zeros(2, 2)] * 2, [0.0], reduction="max")
    check_hierarchical_mode_inputs([torch.ones(2, 2)] * 2, [torch.zeros(2, 2)] * 2, [0.0])  # well formed


# ------------------------------------------------------------------------------------------------------------- bounds


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_bounds_match_brute_force(reduction, chunk_size):
    gen = torch.Generator().manual_seed(2)
    features = [torch.randn(23, k, generator=gen) for k in (4, 8, 8, 2)]
    fast = ere_lower_bounds(features, chunk_size=chunk_size, reduction=reduction)
    slow = ere_lower_bounds_naive(features, reduction=reduction)
    assert fast.shape == (3,)
    assert torch.allclose(fast, slow, rtol=1e-10)


def test_bounds_hand_case_and_skip_pairs_with_zero_distance():
    # three inputs; layer 2 maps inputs 0 and 1 to the same point (that pair is skipped)
    z = torch.tensor([[0.0], [1.0], [3.0]])
    h = torch.tensor([[0.0], [0.0], [6.0]])
    # pairs (0,2): 3/6 = 0.5, (1,2): 2/6 = 1/3 -> b_2 = 1/3
    assert ere_lower_bounds([z, h]).tolist() == pytest.approx([1 / 3])
    with pytest.raises(ValueError, match="layer 2"):
        ere_lower_bounds([z, torch.zeros(3, 1)])


def test_bounds_errors():
    with pytest.raises(ValueError, match="m=1"):
        ere_lower_bounds([torch.zeros(1, 2), torch.zeros(1, 2)])
    with pytest.raises(ValueError, match="chunk_size"):
        ere_lower_bounds([torch.randn(4, 2), torch.randn(4, 2)], chunk_size=0)
    with pytest.raises(ValueError, match=r"features\[1\]"):
        ere_lower_bounds([torch.randn(4, 2), torch.randn(5, 2)])


def test_bounds_are_below_every_batch_ratio():
    data = ring()
    generator, _ = PLAIN_GAN_SETUP.networks(data, seed=0)
    features = generator_features(generator, 300, seed=1)
    bounds = ere_lower_bounds(features, chunk_size=64)
    ratios = layer_ratios([f[:150] for f in features], [f[150:] for f in features])
    assert (ratios.double() >= bounds[:, None] - 1e-6).all()


# ---------------------------------------------------------------------------------------- diversity and Proposition 1


def test_layer_diversity_hand_case():
    layer = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])  # pairwise mean |Δ|: 1, 2, 3 -> 2
    diversity = layer_diversity([layer, layer * 2])
    assert diversity.tolist() == pytest.approx([2.0, 4.0])
    assert layer_diversity([layer, layer], reduction="sum").tolist() == pytest.approx([4.0, 4.0])
    with pytest.raises(ValueError, match="at least 2 rows"):
        layer_diversity([layer[:1], layer[:1]])


def test_proposition_one_ratio_of_ends_stops_earlier():
    times = torch.linspace(0, 50, 5001)
    curves = proposition_one_curves([0.02, 0.02, 2.0], threshold=0.5, times=times)
    assert torch.allclose(curves.ratio_of_ends, curves.ratios.prod(0))
    assert curves.stop_time_ratio_of_ends < curves.stop_time_hierarchical
    # when L_d stops, the slow layers have barely moved
    stop = int((times >= curves.stop_time_ratio_of_ends).nonzero()[0, 0])
    assert curves.ratios[0, stop] > 0.9
    with pytest.raises(ValueError, match="rates"):
        proposition_one_curves([-1.0], 0.5, times)


# -------------------------------------------------------------------------------------------------------- regularizer


def test_regularizer_checks_targets_against_bounds():
    with pytest.raises(ValueError, match=r"ere\[1\] \(layer 3\)"):
        HierarchicalModeRegularizer(ere=[0.5, 0.1], bounds=[0.2, 0.3])
    with pytest.raises(ValueError, match=r"ere\[0\] \(layer 2\)"):
        HierarchicalModeRegularizer(ere=[1.5, 0.5], bounds=[0.2, 0.3])
    with pytest.raises(ValueError, match="ere must have one target"):
        HierarchicalModeRegularizer(ere=[0.5, 0.5, 0.5], bounds=[0.2, 0.3])
    with pytest.raises(ValueError, match="bounds"):
        HierarchicalModeRegularizer(ere=[0.5], bounds=[math.nan])
    with pytest.raises(ValueError, match="weight"):
        HierarchicalModeRegularizer(weight=-0.1)
    with pytest.raises(ValueError, match="ere"):
        HierarchicalModeRegularizer(ere=-1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        HierarchicalModeRegularizer(ere=[0.5, 0.1], bounds=[0.2, 0.3], out_of_range="warn")
    assert any("layer 3" in str(w.message) for w in caught)
    HierarchicalModeRegularizer(ere=[0.5, 0.3], bounds=[0.2, 0.3])  # in range: no error


def test_targets_above_one_are_refused_without_bounds():
    with pytest.raises(ValueError, match=r"ere = 1\.5 is above 1.*ere must lie in \[bound, 1\]"):
        HierarchicalModeRegularizer(ere=1.5)
    with pytest.raises(ValueError, match=r"ere\[1\] = 2 is above 1"):
        HierarchicalModeRegularizer(ere=[0.5, 2.0])
    with pytest.warns(UserWarning, match="above 1"):
        HierarchicalModeRegularizer(ere=1.5, out_of_range="warn")
    HierarchicalModeRegularizer(ere=1.0)  # the upper end of the range is allowed


def test_regularizer_in_the_loop_matches_the_loss():
    data = ring()
    config = PLAIN_GAN_SETUP.train_config(seed=0, steps=1, log_every=1)
    generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed=0)
    regularizer = HierarchicalModeRegularizer(weight=0.5, ere=[0.2, 0.4, 0.6])
    trainer = Trainer(data, generator, discriminator, config, regularizer=regularizer)
    seen = {}
    original = regularizer.generator_terms

    def spy(step):
        seen["features"] = [f.detach() for f in step.features]
        return original(step)

    regularizer.generator_terms = spy
    logs = trainer.train_step()
    assert [tuple(f.shape[:2]) for f in seen["features"]] == [(2, PLAIN_GAN_SETUP.batch_size)] * 4
    a, b = [f[0] for f in seen["features"]], [f[1] for f in seen["features"]]
    expected = 0.5 * hierarchical_mode_loss(a, b, [0.2, 0.4, 0.6], pairs="batch")  # the regularizer's default
    assert logs["g_hierarchical_modes"] == pytest.approx(expected.item(), rel=1e-5)
    wrong = HierarchicalModeRegularizer(ere=[0.1, 0.1])
    trainer = Trainer(data, *PLAIN_GAN_SETUP.networks(data, seed=0), config, regularizer=wrong)
    with pytest.raises(ValueError, match="ere must have one target per layer"):
        trainer.train_step()


def test_estimate_ere_bounds_runs_the_papers_procedure():
    data = ring()
    config = PLAIN_GAN_SETUP.train_config(seed=0, steps=5)
    generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed=0)
    bounds, trainer = estimate_ere_bounds(data, generator, discriminator, config, beta=1.0, n_inputs=200, chunk_size=50)
    assert trainer.step == 5 and trainer.regularizer.ere == [0.0]
    assert bounds.shape == (3,) and (bounds > 0).all()
    features = generator_features(generator, 200, seed=0)
    assert torch.allclose(bounds, ere_lower_bounds_naive(features), rtol=1e-10)


def test_output_push_is_minus_the_gradient_of_the_last_ratio_by_hand():
    """One pair, hidden distance 0.5, outputs 0.2 apart in the first coordinate only (mean distance 0.1):
    ratio_n = 0.5 / 0.1 and -d ratio_n / d x_a0 = d_{n-1} / d_n^2 · 1/2 = 25; the equal coordinate gets no
    push (the sign of a zero difference is 0), and the pair is pushed apart symmetrically."""
    a = [torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.1, 0.0]])]
    b = [torch.ones(1, 2), torch.tensor([[0.0, 0.0]]), torch.tensor([[-0.1, 0.0]])]
    push_a, push_b = output_push(a, b, ere=[0.0, 0.0], eps=0.0)
    assert torch.allclose(push_a, torch.tensor([[25.0, 0.0]]))
    assert torch.allclose(push_b, -push_a)
    assert not a[-1].requires_grad  # the caller's tensors are left alone


def test_output_push_points_the_other_way_below_the_target():
    """A ratio below its target: |ratio - ERE| falls as the outputs move together, so the push reverses."""
    a = [torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.1, 0.0]])]
    b = [torch.ones(1, 2), torch.tensor([[0.0, 0.0]]), torch.tensor([[-0.1, 0.0]])]
    push_a, _ = output_push(a, b, ere=[0.0, 10.0], eps=0.0)
    assert push_a[0, 0] < 0


# --------------------------------------------------------------------------------------------------- training outcome


def _modes(method, seeds, steps):
    """Modes captured early in training with the small-discriminator setting (2 × 64 in G and D, batch 256:
    the first rows of chapter 01's configuration search), where a plain GAN's short run stays narrow."""
    return sweep("ring", method, seeds=seeds, steps=steps, setup=ToySetup(), cache=False)["modes_captured"].to_numpy()


def test_hierarchical_modes_capture_more_ring_modes_than_plain_gan():
    """The small-discriminator setting (λ = 1, every ERE 0, batch-mean ratios), early in training (600
    steps): over 3 seeds HMGAN captures on average at least 2 more modes than the plain GAN,
    and more on every seed."""
    seeds, steps = [0, 1, 2], 600
    plain = _modes("gan", seeds, steps)
    hierarchical = _modes("hm", seeds, steps)
    assert hierarchical.mean() >= plain.mean() + 2.0, (plain, hierarchical)
    assert (hierarchical > plain).all(), (plain, hierarchical)


@pytest.mark.slow
def test_hierarchical_modes_capture_more_ring_modes_than_plain_gan_long():
    seeds, steps = [0, 1, 2, 3, 4], 2000
    plain = _modes("gan", seeds, steps)
    hierarchical = _modes("hm", seeds, steps)
    assert hierarchical.mean() >= plain.mean() + 3.0, (plain, hierarchical)
