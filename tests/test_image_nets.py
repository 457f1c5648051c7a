"""Image networks: shapes, per-layer features, seeded rebuilds, errors, and 2 training steps each through Trainer."""

import pytest
import torch

from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.data.paired import inpainting_pairs, super_resolution_pairs
from mcgan_lib.data.stacked_digits import StackedDigits
from mcgan_lib.nets.base import build_network
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from mcgan_lib.nets.inpainting import GLCICDiscriminator, GLCICGenerator
from mcgan_lib.nets.srresnet import SRResNetGenerator
from mcgan_lib.nets.unet import PatchDiscriminator, UNetGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.training import TrainConfig, Trainer


def small_models():
    """(name, generator, discriminator, data) for every image task, at CPU quick-mode size."""
    rng = torch.Generator().manual_seed(0)
    rgb = torch.rand(16, 3, 16, 16, generator=rng) * 2 - 1
    labelled = ImageDataset(rgb, labels=torch.arange(16) % 4)
    paired = ImageDataset(rgb, inputs=rgb.mean(1, keepdim=True))
    sr = super_resolution_pairs(ImageDataset(rgb), factor=4)
    inpaint = inpainting_pairs(ImageDataset(rgb), hole_fraction=0.5)
    return [
        (
            "dcgan",
            DCGANGenerator(8, (3, 16, 16), 4, 8, 2, seed=0),
            DCGANDiscriminator((3, 16, 16), 4, 8, 2, seed=0),
            labelled,
        ),
        (
            "stacked",
            DCGANGenerator(8, (1, 8, 24), 0, 8, 1, seed=0),
            DCGANDiscriminator((1, 8, 24), 0, 8, 1, seed=0),
            StackedDigits(),
        ),
        (
            "unet",
            UNetGenerator((1, 16, 16), 3, 4, 8, 3, "all", seed=0),
            PatchDiscriminator((3, 16, 16), (1, 16, 16), 8, 2, seed=0),
            paired,
        ),
        (
            "srresnet",
            SRResNetGenerator((3, 4, 4), 4, 4, 8, 2, seed=0),
            PatchDiscriminator((3, 16, 16), (3, 4, 4), 8, 2, seed=0),
            sr,
        ),
        (
            "glcic",
            GLCICGenerator((3, 16, 16), 4, 8, 2, seed=0),
            GLCICDiscriminator((3, 16, 16), True, 0.5, 8, 2, 1, seed=0),
            inpaint,
        ),
    ]


MODELS = {name: (g, d, data) for name, g, d, data in small_models()}


@pytest.mark.parametrize("name", list(MODELS))
def test_shapes_features_and_spec(name):
    generator, discriminator, data = MODELS[name]
    batch = data.sample_batch(3, torch.Generator().manual_seed(1))
    z = generator.sample_latent(3, torch.Generator().manual_seed(2))
    fake, features = generator(z, batch.condition, return_features=True)
    assert fake.shape == batch.real.shape
    assert fake.abs().max() <= 1
    assert torch.equal(features[0], z) and torch.equal(features[-1], fake)  # HMGAN convention: layer 1 is z
    assert len(features) >= 4 and all(f.shape[0] == 3 for f in features)
    logits, d_features = discriminator(fake, batch.condition, return_features=True)
    assert logits.shape[0] == 3 and torch.equal(d_features[-1], logits) and torch.equal(d_features[0], fake)
    assert generator.condition_dim == data.condition_dim == discriminator.condition_dim
    rebuilt = build_network(generator.spec())  # the checkpoint path: spec -> same architecture
    assert rebuilt.spec() == generator.spec()
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in generator.parameters()]


def test_seed_fixes_the_initial_weights():
    a = DCGANGenerator(8, (3, 16, 16), 0, 8, 2, seed=5)
    b = DCGANGenerator(8, (3, 16, 16), 0, 8, 2, seed=5)
    c = DCGANGenerator(8, (3, 16, 16), 0, 8, 2, seed=6)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_full_size_shapes():
    assert DCGANGenerator(seed=0)(torch.zeros(2, 100)).shape == (2, 3, 32, 32)  # DCGAN CIFAR-10: 4x4 -> 32x32
    unet = UNetGenerator((3, 256, 256), 3, 8, 8, 8)  # pix2pix depth 8 (channels scaled down)
    assert unet(torch.zeros(1, 8), torch.zeros(1, 3 * 256 * 256)).shape == (1, 3, 256, 256)
    assert PatchDiscriminator((3, 256, 256), (3, 256, 256), 8, 3).patch_shape == (
        30,
        30,
    )  # pix2pix's 70x70 PatchGAN map


def test_noise_changes_the_output_and_glcic_keeps_known_pixels():
    for name in ("unet", "srresnet", "glcic"):
        generator, _, data = MODELS[name]
        condition = data.sample_batch(1, torch.Generator().manual_seed(0)).condition.expand(2, -1)
        generator.eval()
        out = generator(torch.randn(2, generator.latent_dim, generator=torch.Generator().manual_seed(3)), condition)
        generator.train()
        assert (out[0] - out[1]).abs().max() > 1e-4, name
    generator, _, data = MODELS["glcic"]
    batch = data.sample_batch(2, torch.Generator().manual_seed(0))
    out = generator(generator.sample_latent(2), batch.condition)
    known = data.unflatten_condition(batch.condition)[:, 3:] == 0
    assert torch.allclose(out[known.expand_as(out)], batch.real[known.expand_as(out)])


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="image_shape"):
        DCGANGenerator(image_shape=(3, 30, 30), upsamplings=3)
    with pytest.raises(ValueError, match="z must have shape"):
        DCGANGenerator(8, (3, 16, 16), 0, 8, 2)(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="pass condition"):
        DCGANGenerator(8, (3, 16, 16), 4, 8, 2)(torch.zeros(2, 8))
    with pytest.raises(ValueError, match="unconditional"):
        DCGANDiscriminator((3, 16, 16), 0, 8, 2)(torch.zeros(2, 3, 16, 16), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="condition must have shape"):
        UNetGenerator((1, 16, 16), 3, 4, 8, 3)(torch.zeros(2, 4), torch.zeros(2, 10))
    with pytest.raises(ValueError, match="noise_injection"):
        UNetGenerator(noise_injection="middle")
    with pytest.raises(ValueError, match="n_layers"):
        PatchDiscriminator((3, 16, 16), n_layers=3)
    with pytest.raises(ValueError, match="scale"):
        SRResNetGenerator(scale=3)
    with pytest.raises(ValueError, match="x must have shape"):
        GLCICDiscriminator((3, 16, 16), base_channels=8)(torch.zeros(2, 3, 8, 8), torch.zeros(2, 4 * 64))


class FeatureSpread(Regularizer):
    """A test regularizer using two latent copies and G's features (the HMGAN/MSGAN shape of a term)."""

    name = "feature_spread"
    latent_copies = 2
    needs_features = True

    def generator_terms(self, step):
        spread = sum((f[0] - f[1]).abs().mean() for f in step.features[1:])
        assert step.fake.shape[:2] == (2, step.batch.real.shape[0])
        return {"spread": -self.weight * spread}


@pytest.mark.parametrize("name", list(MODELS))
def test_two_training_steps_through_the_one_trainer(name):
    _, generator, discriminator, data = next(m for m in small_models() if m[0] == name)
    before = [p.detach().clone() for p in generator.parameters()]
    trainer = Trainer(
        data,
        generator,
        discriminator,
        TrainConfig(steps=2, batch_size=4, log_every=1, seed=0),
        regularizer=FeatureSpread(0.1),
    )
    history = trainer.train()
    assert history["loss"]["step"] == [1, 2]
    assert all(torch.isfinite(torch.tensor(history["loss"][key])).all() for key in ("d_loss", "g_loss", "g_spread"))
    assert any(not torch.equal(p, q) for p, q in zip(before, generator.parameters()))
