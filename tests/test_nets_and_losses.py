import pytest
import torch

from mcgan_lib.losses import discriminator_loss, generator_loss
from mcgan_lib.nets import MLPDiscriminator, MLPGenerator, build_network


def test_generator_features_list_the_latent_each_hidden_layer_and_the_output():
    generator = MLPGenerator(latent_dim=3, output_dim=2, hidden_dim=5, depth=2, seed=0)
    z = torch.randn(4, 3)
    out, features = generator(z, return_features=True)
    assert [tuple(f.shape) for f in features] == [(4, 3), (4, 5), (4, 5), (4, 2)]
    assert features[0] is z
    assert torch.equal(features[-1], out)
    assert torch.equal(generator(z), out)


def test_conditional_networks_concatenate_the_condition():
    generator = MLPGenerator(latent_dim=2, output_dim=1, condition_dim=1, hidden_dim=8, seed=0)
    discriminator = MLPDiscriminator(input_dim=1, condition_dim=1, hidden_dim=8, seed=0)
    z, c = torch.randn(6, 2), torch.rand(6, 1)
    y = generator(z, c)
    assert y.shape == (6, 1)
    assert discriminator(y, c).shape == (6,)
    assert not torch.equal(generator(z, c), generator(z, c + 1))


def test_seed_fixes_initial_weights_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = MLPGenerator(seed=7)
    after = torch.rand(1)
    b = MLPGenerator(seed=7)
    c = MLPGenerator(seed=8)
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.output.weight, c.output.weight)


def test_spec_rebuilds_the_same_architecture():
    network = MLPDiscriminator(input_dim=2, hidden_dim=16, depth=3, input_scale=0.25)
    rebuilt = build_network(network.spec())
    assert rebuilt.spec() == network.spec()
    assert rebuilt.input_scale == 0.25


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: MLPGenerator(latent_dim=4)(torch.randn(3, 2)), r"latent_dim=4"),
        (lambda: MLPGenerator(latent_dim=0), "latent_dim must be >= 1"),
        (lambda: MLPGenerator(hidden_dim=0), "hidden_dim must be >= 1"),
        (lambda: MLPGenerator(activation="swish"), "activation must be one of"),
        (lambda: MLPGenerator(condition_dim=1)(torch.randn(3, 2)), "pass condition"),
        (lambda: MLPGenerator()(torch.randn(3, 2), torch.randn(3, 1)), "condition_dim=0"),
        (lambda: MLPDiscriminator(input_dim=2)(torch.randn(3, 5)), "input_dim=2"),
        (lambda: build_network({"type": "Nope"}), r"spec\['type'\]"),
    ],
)
def test_network_errors_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_saturating_losses_match_hand_computed_values():
    real = torch.tensor([0.0, 2.0])
    fake = torch.tensor([0.0, -1.0])
    # D: -log sigmoid(real) - log(1 - sigmoid(fake)) averaged: softplus(-real) + softplus(fake)
    expected_d = (torch.log(torch.tensor(2.0)) + torch.log1p(torch.exp(torch.tensor(-2.0)))) / 2 + (
        torch.log(torch.tensor(2.0)) + torch.log1p(torch.exp(torch.tensor(-1.0)))
    ) / 2
    assert torch.allclose(discriminator_loss(real, fake), expected_d)
    # G: -log sigmoid(fake)
    expected_g = (torch.log(torch.tensor(2.0)) + torch.log1p(torch.exp(torch.tensor(1.0)))) / 2
    assert torch.allclose(generator_loss(fake), expected_g)


def test_minimax_and_hinge_losses():
    fake = torch.tensor([0.0, 1.0])
    # minimax G minimises log(1 - D(G(z))) = -softplus(l)
    assert torch.allclose(generator_loss(fake, "minimax"), torch.log(1 - torch.sigmoid(fake)).mean())
    assert torch.allclose(generator_loss(fake, "hinge"), torch.tensor(-0.5))
    real = torch.tensor([0.5, 2.0])
    assert torch.allclose(discriminator_loss(real, fake, "hinge"), torch.tensor((0.5 + 0.0) / 2 + (1.0 + 2.0) / 2))


def test_losses_are_finite_for_extreme_logits_and_have_the_right_gradient():
    logits = torch.tensor([-200.0, 200.0], dtype=torch.float64, requires_grad=True)
    loss = generator_loss(logits)
    assert torch.isfinite(loss)
    loss.backward()
    # d/dl softplus(-l) / 2 = -sigmoid(-l) / 2
    assert torch.allclose(logits.grad, -torch.sigmoid(-logits.detach()) / 2)
    assert torch.autograd.gradcheck(
        lambda r, f: discriminator_loss(r, f),
        (
            torch.randn(3, dtype=torch.float64, requires_grad=True),
            torch.randn(3, dtype=torch.float64, requires_grad=True),
        ),
    )


def test_unknown_gan_loss_is_rejected():
    with pytest.raises(ValueError, match="gan_loss must be one of"):
        generator_loss(torch.zeros(2), "wasserstein")
