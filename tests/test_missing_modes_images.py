"""Reg-GAN and MDGAN on images: the DCGAN encoder, the image builders, and HeldOutImages' scores on known sets."""

import pytest
import torch

from mcgan_lib.chapters.ch11_missing_modes_images import MISSING_MODE_SETUP
from mcgan_lib.data.digits import digits_images
from mcgan_lib.data.held_out import MISSING_MODE_SIGMAS, HeldOutImages, digit_images, photo_images
from mcgan_lib.data.photos import photo_patches
from mcgan_lib.methods import build_method
from mcgan_lib.nets.base import build_network
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANEncoder
from mcgan_lib.regularizers.mode_regularized import reconstruct
from mcgan_lib.sweeps import sweep
from mcgan_lib.tasks.evaluators import score_held_out


def test_the_dcgan_encoder_maps_images_into_the_latent_space_and_rebuilds_from_its_spec():
    encoder = DCGANEncoder((1, 8, 8), latent_dim=5, base_channels=4, downsamplings=2, seed=0)
    codes = encoder(torch.randn(3, 1, 8, 8))
    assert codes.shape == (3, 5)
    rebuilt = build_network(encoder.spec())
    rebuilt.load_state_dict(encoder.state_dict())
    encoder.eval(), rebuilt.eval()
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(rebuilt(x), encoder(x))
    with pytest.raises(ValueError, match="x must have shape"):
        encoder(torch.randn(2, 1, 4, 4))
    with pytest.raises(ValueError, match="latent_dim"):
        DCGANEncoder((1, 8, 8), latent_dim=0)


def test_reg_gan_and_mdgan_build_convolutional_networks_for_images():
    data = digit_images()
    generator, _ = MISSING_MODE_SETUP.networks(data, seed=0)
    reg_gan = build_method("reg_gan", data, MISSING_MODE_SETUP, seed=0)
    assert isinstance(reg_gan.encoder, DCGANEncoder) and reg_gan.encoder.latent_dim == MISSING_MODE_SETUP.latent_dim
    x = data.sample_batch(4).real
    assert reconstruct(reg_gan.encoder, generator, x).shape == x.shape
    mdgan = build_method("mdgan", data, MISSING_MODE_SETUP, seed=0)
    assert isinstance(mdgan.manifold_discriminator, DCGANDiscriminator)
    assert not torch.equal(  # D1 and D2 start from different seeds
        mdgan.manifold_discriminator.blocks[0][0].weight, mdgan.diffusion_discriminator.blocks[0][0].weight
    )


def test_held_out_digits_score_real_digits_as_complete_and_one_repeated_digit_as_missing_most():
    data = digit_images()
    assert (len(data), len(data.test), data.sigmas) == (1352, 445, MISSING_MODE_SIGMAS)
    real = score_held_out(data, data.test.images)
    assert real["mode_score"] > 8.5 and real["inception_score"] > 8.5
    assert all(real[f"missing_sigma_{s:g}"] <= 0.05 * 445 for s in MISSING_MODE_SIGMAS)
    collapsed = score_held_out(data, data.test.images[:1].expand(500, -1, -1, -1))
    assert collapsed["mode_score"] < 2 and collapsed["inception_score"] < 1.5
    assert collapsed["missing_sigma_0.1"] > 0.8 * 445


def test_held_out_images_check_their_arguments():
    with pytest.raises(ValueError, match="one shape"):
        HeldOutImages(digits_images("train"), photo_patches(patch_size=8, n_patches=10))
    with pytest.raises(ValueError, match="sigmas"):
        HeldOutImages(digits_images("train"), digits_images("test"), sigmas=())
    with pytest.raises(ValueError, match="mode_score=True needs"):
        patches = photo_patches(patch_size=8, n_patches=10)
        HeldOutImages(patches, patches, mode_score=True)
    with pytest.raises(ValueError, match="images must have shape"):
        score_held_out(digit_images(), torch.zeros(3, 64))
    photos = photo_images()
    assert (len(photos), len(photos.test), photos.data_shape) == (1920, 480, (3, 16, 16))
    assert "mode_score" not in score_held_out(photos, photos.test.images[:50])


def test_a_short_image_sweep_of_each_method_reports_the_missing_mode_columns():
    for method in ("reg_gan", "mdgan"):
        table = sweep(
            "digit_images",
            method,
            seeds=[0],
            setup=MISSING_MODE_SETUP,
            steps=3,
            n_eval_samples=200,
            cache=False,
            stored=False,
            keep_samples=0,
        )
        assert {f"missing_sigma_{s:g}" for s in MISSING_MODE_SIGMAS} | {"mode_score"} <= set(table.columns)
