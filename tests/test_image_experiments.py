"""The image experiments: the DCGAN setup, the two digit tasks' scores on known generators, and image sweeps."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mcgan_lib.chapters import chapter_sweeps
from mcgan_lib.chapters.ch08_categorical import CATEGORICAL_METHODS
from mcgan_lib.data.digits import ClassConditionalDigits, digits_images
from mcgan_lib.data.paired import edges_to_photo_pairs
from mcgan_lib.data.stacked_digits import StackedDigits
from mcgan_lib.experiments.images import BALANCED_SETUP, CATEGORICAL_SETUP, ImageSetup
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP
from mcgan_lib.metrics.stacked_digits import mode_statistics
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from mcgan_lib.runs import default_setup
from mcgan_lib.sweeps import sweep
from mcgan_lib.tasks import evaluate, make_task, task_names
from mcgan_lib.tasks.evaluators import score_class_conditional_digits, score_stacked_digits
from mcgan_lib.viz import image_grid, stored_images, tile_images


def test_strict_mode_count_hand_computed():
    # 10 samples over 2 modes: the expected share is 5, a quarter of it 1.25; mode 1's single sample is
    # captured (>= 1) but not covered
    result = mode_statistics(torch.tensor([0] * 9 + [1]), n_modes=2)
    assert (result.modes_captured, result.modes_covered) == (2, 1)
    assert result.scalars()["modes_covered"] == 1.0


def test_stacked_digits_scores_real_digits_as_every_mode_and_a_repeated_image_as_one():
    data = StackedDigits()
    real, _ = data.sample_with_modes(26000, torch.Generator().manual_seed(0))
    scores = score_stacked_digits(data, real)
    assert scores["modes_captured"] == 1000 and scores["modes_covered"] >= 995
    assert scores["kl_to_uniform"] < 0.05  # the finite-sample floor is about 999 / 52,000 = 0.019
    collapsed = score_stacked_digits(data, real[:1].expand(2000, -1, -1, -1))
    assert (collapsed["modes_captured"], collapsed["modes_covered"]) == (1.0, 1.0)
    assert collapsed["kl_to_uniform"] == pytest.approx(math.log(1000))
    assert (data.coverage_metric, data.strict_coverage_metric, data.full_coverage) == (
        "modes_captured",
        "modes_covered",
        1000,
    )
    generator, _ = CATEGORICAL_SETUP.networks(data, seed=0)
    untrained = evaluate(data, generator, n_samples=3000)  # 3,000 samples: one batch of 4,096 is not filled
    assert (
        set(untrained) == {"modes_captured", "modes_covered", "kl_to_uniform"} and untrained["modes_captured"] <= 1000
    )


def test_class_conditional_digits_scores_real_test_digits_near_real_and_one_image_a_class_as_collapsed():
    data = ClassConditionalDigits()
    test = digits_images("test")
    each_once = [test.images[test.labels == c] for c in range(10)]  # each held-out digit once
    real = score_class_conditional_digits(data, each_once)
    assert real["class_accuracy"] > 0.95  # the classifier reads held-out digits as their class
    assert 0.9 < real["diversity_ratio"] < 1.1
    assert real["ndb_fraction"] <= 0.1 and real["jsd"] < 0.06
    collapsed = score_class_conditional_digits(
        data, [test.images[test.labels == c][:1].expand(50, -1, -1, -1) for c in range(10)]
    )
    assert collapsed["diversity_ratio"] == 0.0
    assert collapsed["ndb_fraction"] >= 0.7 and collapsed["jsd"] > 0.3
    with pytest.raises(ValueError, match="10 tensors"):
        score_class_conditional_digits(data, [test.images[:5]] * 9)


def test_class_conditional_digits_shows_every_class_in_stored_samples():
    conditions = ClassConditionalDigits().display_conditions(25)
    assert conditions.argmax(1).tolist() == [i % 10 for i in range(25)]


def test_image_setup_builds_dcgans_that_follow_the_data():
    conditional, stacked = ClassConditionalDigits(), StackedDigits()
    g, d = CATEGORICAL_SETUP.networks(conditional, seed=3)
    assert isinstance(g, DCGANGenerator) and isinstance(d, DCGANDiscriminator)
    assert g.hparams["num_classes"] == 10 and d.hparams["base_channels"] == 8
    condition = F.one_hot(torch.arange(4), 10).float()
    assert g(g.sample_latent(4), condition).shape == (4, 1, 8, 8)
    g, d = BALANCED_SETUP.networks(stacked, seed=3)
    g_again, _ = BALANCED_SETUP.networks(stacked, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(), g_again.state_dict().values()))
    assert g.hparams["num_classes"] == 0 and d.hparams["base_channels"] == g.hparams["base_channels"] == 32
    assert d(g(g.sample_latent(4))).shape == (4,)


def test_image_setup_refuses_data_it_cannot_model():
    with pytest.raises(ValueError, match="needs image data"):
        ImageSetup().networks(make_task("ring"), seed=0)
    with pytest.raises(ValueError, match="paired data"):
        ImageSetup().networks(edges_to_photo_pairs(digits_images()), seed=0)
    with pytest.raises(ValueError, match="toy MLPs need flat data"):
        PLAIN_GAN_SETUP.networks(StackedDigits(), seed=0)


def test_train_config_is_shared_by_both_setups():
    image = CATEGORICAL_SETUP.train_config(seed=2, steps=7, log_every=3)
    assert (image.steps, image.batch_size, image.lr_g, image.betas, image.seed, image.log_every) == (
        7,
        64,
        2e-4,
        (0.5, 0.999),
        2,
        3,
    )
    assert PLAIN_GAN_SETUP.train_config(seed=0).steps == PLAIN_GAN_SETUP.default_steps()


def test_a_sweep_trains_scores_and_stores_an_image_task(tmp_path):
    assert (
        isinstance(default_setup(StackedDigits()), ImageSetup) and default_setup(make_task("ring")) is PLAIN_GAN_SETUP
    )
    arguments = dict(seeds=[0, 1], setup=CATEGORICAL_SETUP, steps=3, n_eval_samples=200, keep_samples=12)
    table = sweep("digits", "ms", cache_dir=tmp_path, **arguments)
    assert table.attrs["source"] == "trained" and table.seed.tolist() == [0, 1]
    assert {"ndb_fraction", "jsd", "class_accuracy", "diversity_ratio"} <= set(table.columns)
    assert table.samples[0].shape == (12, 10 + 64)  # the one-hot class, then the flattened image
    assert table.samples[0][:, :10].argmax(1).tolist() == [i % 10 for i in range(12)]
    again = sweep("digits", "ms", cache_dir=tmp_path, **arguments)
    assert again.attrs["source"] == "cache" and again.class_accuracy.tolist() == table.class_accuracy.tolist()


def test_chapter_08_trains_each_family_on_both_digit_tasks():
    sweeps = chapter_sweeps("08_categorical")
    for task in ("stacked_digits", "digits"):
        assert {sweeps[f"{task}_{m}"]["method"] for m in CATEGORICAL_METHODS} == set(CATEGORICAL_METHODS)
        assert all(sweeps[f"{task}_{m}"]["setup"] is CATEGORICAL_SETUP for m in CATEGORICAL_METHODS)
    assert sweeps["stacked_digits_balanced_gan"]["setup"] is BALANCED_SETUP
    images = task_names("image", "held_out", "paired")
    assert set(images) == {"stacked_digits", "digits", "digit_images", "photo_images", *task_names("paired")}
    assert not set(images) & set(task_names("toy2d", "toy_conditional"))


def test_tile_images_places_each_image_and_pads_with_white():
    images = torch.stack([torch.full((1, 2, 2), v) for v in (-1.0, 0.0, 1.0)])  # black, grey, white
    tile = tile_images(images, ncols=2, pad=1)
    assert tile.shape == (5, 5)  # two rows of 2 + 1 padding row; two columns of 2 + 1 padding column
    assert tile[0, 0] == 0.0 and tile[0, 3] == 0.5 and tile[3, 0] == 1.0  # black, grey, white
    assert tile[2].tolist() == [1.0] * 5 and tile[0, 2] == 1.0  # padding
    with pytest.raises(ValueError, match="images must have shape"):
        tile_images(torch.zeros(2, 8, 8))


def test_image_grid_and_stored_images_read_a_sweeps_rows():
    rows = np.concatenate([np.eye(10)[[3, 4]], np.zeros((2, 64))], axis=1)  # two conditional digit rows
    images = stored_images(rows, (1, 8, 8), condition_dim=10)
    assert images.shape == (2, 1, 8, 8)
    fig = image_grid({"a": images, "b": -images})
    assert len([ax for ax in fig.axes if ax.images]) == 2 and fig.get_size_inches()[0] * fig.dpi >= 600
    with pytest.raises(ValueError, match="74 columns"):
        stored_images(rows[:, 1:], (1, 8, 8), condition_dim=10)


def test_reported_stacked_mnist_rows_are_labelled_and_quote_pacgans_table():
    from mcgan_lib.reference import reported_stacked_mnist

    table = reported_stacked_mnist()
    assert table.method.str.endswith("(reported)").all()
    quarter = table[
        (table.method == "DCGAN (reported)") & (table["D size"] == "¼ G") & table.source.str.startswith("PacGAN")
    ]
    assert quarter.modes_captured.tolist() == ["78.5 ± 17.56"] and quarter.kl_to_uniform.tolist() == ["5.21 ± 0.19"]
