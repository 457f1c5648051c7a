"""The image-to-image experiments: PairedSetup's networks, the predictor clone, the ℓ1 wrapper of the
diversity terms, PairedTask's scores on hand-computed cases, and a measured claim over seeds."""

import pytest
import torch

from mcgan_lib.chapters.ch09_paired_translation import TRANSLATION_SETUP, ere_targets
from mcgan_lib.chapters.ch10_super_resolution_inpainting import RESTORATION_SETUPS
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.data.paired import DISPLAY_NOISES, PairedTask, edges_to_photo, sample_statistics
from mcgan_lib.data.photos import photo_patches
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.methods import build_method, get_method, task_predictors
from mcgan_lib.nets.base import build_network
from mcgan_lib.nets.inpainting import GLCICDiscriminator, GLCICGenerator
from mcgan_lib.nets.predictor import ImageMomentPredictor
from mcgan_lib.nets.srresnet import SRResNetGenerator
from mcgan_lib.nets.unet import PatchDiscriminator, UNetGenerator
from mcgan_lib.regularizers.base import GeneratorStep
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer
from mcgan_lib.regularizers.reconstruction import WithReconstruction
from mcgan_lib.runs import default_setup
from mcgan_lib.sweeps import sweep
from mcgan_lib.tasks import kind_of, make_task, task_names
from mcgan_lib.tasks.evaluators import score_paired


@pytest.fixture(scope="module")
def small_pairs():
    """60 pairs of 8x8 edges -> photo patches, 20 held out."""
    from mcgan_lib.data.paired import edges_to_photo_pairs

    return PairedTask(edges_to_photo_pairs(photo_patches(patch_size=8, n_patches=60, scale=0.25)), test_fraction=1 / 3)


def test_paired_tasks_are_named_and_split():
    assert task_names("paired") == ("edges2photo", "super_resolution", "inpainting")
    for name in task_names("paired"):
        task = make_task(name)
        assert task.kind == kind_of(task) == "paired" and len(task) == 1920 and len(task.test) == 480
        assert isinstance(default_setup(task), PairedSetup)
    assert make_task("super_resolution").condition_shape == (3, 4, 4)
    assert make_task("inpainting").condition_shape == (4, 16, 16)


def test_paired_setup_builds_each_architecture_for_its_task():
    g, d = TRANSLATION_SETUP.networks(make_task("edges2photo"), seed=0)
    assert isinstance(g, UNetGenerator) and isinstance(d, PatchDiscriminator)
    sr = make_task("super_resolution")
    g, d = RESTORATION_SETUPS["super_resolution"].networks(sr, seed=0)
    assert isinstance(g, SRResNetGenerator) and g.image_shape == (3, 16, 16)
    g, d = RESTORATION_SETUPS["inpainting"].networks(make_task("inpainting"), seed=0)
    assert isinstance(g, GLCICGenerator) and isinstance(d, GLCICDiscriminator)
    z = torch.randn(4, g.latent_dim)
    batch = make_task("inpainting").sample_batch(4)
    out = g(z, batch.condition)
    mask = batch.condition.reshape(4, 4, 16, 16)[:, 3:]
    known = batch.condition.reshape(4, 4, 16, 16)[:, :3] * (1 - mask)
    assert torch.allclose(out * (1 - mask), known)  # GLCIC pastes the known pixels back


def test_paired_setup_refuses_unpaired_data_and_unknown_architectures():
    with pytest.raises(ValueError, match="paired image task"):
        PairedSetup().networks(make_task("digits"), seed=0)
    with pytest.raises(ValueError, match="architecture"):
        PairedSetup(architecture="resnet").networks(make_task("edges2photo"), seed=0)


@pytest.mark.parametrize("task", ["edges2photo", "super_resolution", "inpainting"])
def test_the_predictor_is_a_noiseless_clone_with_unbounded_outputs_and_rebuilds_from_its_spec(task):
    data = make_task(task)
    setup = RESTORATION_SETUPS.get(task, TRANSLATION_SETUP)
    predictor = setup.predictor(data, seed=0)
    assert isinstance(predictor, ImageMomentPredictor)
    assert not any(isinstance(m, torch.nn.Tanh) for m in predictor.modules())
    condition = data.sample_batch(3).condition
    center, log_spread = predictor(condition)
    assert center.shape == log_spread.shape == (3, data.data_dim)
    rebuilt = build_network(predictor.spec())
    rebuilt.load_state_dict(predictor.state_dict())
    assert torch.equal(rebuilt(condition)[0], center)
    with pytest.raises(ValueError, match="condition must have shape"):
        predictor(condition[:, :5])


def test_the_predictor_refuses_a_network_with_noise():
    noisy = UNetGenerator(input_shape=(1, 8, 8), output_channels=6, latent_dim=4, base_channels=4, depth=2)
    with pytest.raises(ValueError, match="latent_dim=0"):
        ImageMomentPredictor(noisy)


def test_proxy_mr_on_a_paired_task_fits_the_clone_and_lowers_its_validation_loss(small_pairs):
    setup = PairedSetup(depth=2, g_channels=8, batch_size=16)
    predictors = task_predictors(small_pairs, steps=30, setup=setup)
    fit = predictors["fits"]["gaussian"]
    assert isinstance(predictors["gaussian"], ImageMomentPredictor)
    assert fit.best_step == 30  # the weights after 30 steps beat the initial ones on the validation pairs
    regularizer = build_method("gaussian_proxy_mr2", small_pairs, setup, seed=0, predictor_steps=30)
    assert regularizer.predictor is predictors["gaussian"]


def _step(fake: torch.Tensor, real: torch.Tensor, z: torch.Tensor) -> GeneratorStep:
    from mcgan_lib.data.base import Batch

    return GeneratorStep(0, Batch(real), z, None, fake, None, None, None, None, None, "non_saturating")


def test_with_reconstruction_adds_the_weighted_l1_of_every_copy_to_the_inner_terms():
    real = torch.zeros(1, 1, 1, 2)
    fake = torch.tensor([[[[[1.0, -1.0]]]], [[[[3.0, 1.0]]]]])  # two copies (2, 1, 1, 1, 2)
    z = torch.tensor([[[0.0]], [[2.0]]])
    wrapped = WithReconstruction(ModeSeekingRegularizer(weight=1.0), reconstruction_weight=10.0, p=1)
    terms = wrapped.generator_terms(_step(fake, real, z))
    # ℓ1: mean of |1|, |-1|, |3|, |1| = 1.5, times 10; mode seeking: 1 / (mean|(2, 2)| / |2| + 1e-5)
    assert terms["l1"].item() == pytest.approx(15.0)
    assert terms["mode_seeking"].item() == pytest.approx(1 / (1 + 1e-5))
    assert (wrapped.latent_copies, wrapped.needs_features, wrapped.name) == (2, False, "mode_seeking+l1")
    assert wrapped.config()["reconstruction_weight"] == 10.0
    with pytest.raises(ValueError, match="inner must be a Regularizer"):
        WithReconstruction("ms")
    with pytest.raises(ValueError, match="reconstruction_weight"):
        WithReconstruction(ModeSeekingRegularizer(), reconstruction_weight=-1.0)


def test_the_l1_methods_wrap_the_registered_diversity_terms_with_pix2pix_weight():
    data = make_task("edges2photo")
    for name, inner_name in (("ms_l1", "mode_seeking"), ("hm_l1", "hierarchical_modes")):
        method = get_method(name)
        assert method.defaults["l1_weight"] == 100.0 and not method.in_comparison
        regularizer = build_method(name, data, TRANSLATION_SETUP, seed=0, weight=2.0)
        assert regularizer.inner.name == inner_name and regularizer.inner.weight == 2.0
        assert regularizer.reconstruction_weight == 100.0


def test_ere_targets_split_the_unet_ratios_into_encoder_and_decoder():
    assert ere_targets(0.1, 0.5) == [0.1, 0.1, 0.1, 0.5, 0.5, 0.5]
    generator, _ = TRANSLATION_SETUP.networks(make_task("edges2photo"), seed=0)
    features = generator(torch.zeros(2, 8), make_task("edges2photo").sample_batch(2).condition, return_features=True)[1]
    assert len(features) - 1 == len(ere_targets(0, 0))  # one target per ratio of consecutive features


def test_paired_scores_on_hand_computed_outputs(small_pairs):
    targets = small_pairs.test.images[:4]
    exact = targets[:, None].expand(-1, 2, -1, -1, -1)
    scores = score_paired(exact, targets)
    assert scores["l1_error"] == 0 and scores["mean_l2_error"] == 0 and scores["pixel_std"] == 0
    assert scores["lpips"] == pytest.approx(0.0, abs=1e-6)
    spread = torch.stack([targets + 0.5, targets - 0.5], dim=1)
    scores = score_paired(spread, targets)
    # every output 0.5 away; their mean is the target; the unbiased std of (+0.5, -0.5) is 0.5·√2
    assert scores["l1_error"] == pytest.approx(0.5)
    assert scores["mean_l2_error"] == pytest.approx(0.0, abs=1e-12)
    assert scores["pixel_std"] == pytest.approx(0.5 * 2**0.5)
    assert scores["lpips"] > 0 and scores["lpips_calibrated"] in (0.0, 1.0)
    mean, variance = sample_statistics(spread)
    assert mean == pytest.approx(targets.numpy(), abs=1e-6) and variance == pytest.approx(0.5)
    with pytest.raises(ValueError, match="outputs must have shape"):
        score_paired(spread[:, 0], targets)


def test_paired_task_shows_each_display_input_under_many_noises_and_checks_its_arguments(small_pairs):
    conditions = small_pairs.display_conditions(DISPLAY_NOISES + 3)
    assert torch.equal(conditions[0], conditions[DISPLAY_NOISES - 1])
    assert torch.equal(conditions[0], small_pairs.test.inputs[0].flatten())
    assert torch.equal(conditions[DISPLAY_NOISES], small_pairs.test.inputs[1].flatten()) and len(conditions) == 19
    with pytest.raises(ValueError, match="pairs must be a paired ImageDataset"):
        PairedTask(photo_patches(patch_size=8, n_patches=10))
    with pytest.raises(ValueError, match="test_fraction"):
        PairedTask(small_pairs, test_fraction=0.0)
    one_pair = ImageDataset(torch.zeros(1, 1, 8, 8), inputs=torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="empty split"):
        PairedTask(one_pair, test_fraction=0.5)


def _pixel_std(method: str, seeds, steps: int, options: dict) -> list[float]:
    data = edges_to_photo(n_patches=600)
    setup = TRANSLATION_SETUP.replace(batch_size=16)
    table = sweep(
        data,
        method,
        seeds=seeds,
        setup=setup,
        steps=steps,
        method_options=options,
        n_eval_samples=400,
        cache=False,
        stored=False,
        keep_samples=0,
    )
    return table.pixel_std.tolist()


def test_pix2pix_ignores_its_noise_where_the_mode_seeking_term_keeps_it():
    seeds = [0, 1]
    plain = _pixel_std("gan_l1", seeds, 300, {"weight": 100.0})
    seeking = _pixel_std("ms_l1", seeds, 300, {})
    assert all(s > 1.5 * p for p, s in zip(plain, seeking)), (plain, seeking)


def test_a_task_on_a_data_sets_own_splits_names_its_test_split_and_checks_shapes(small_pairs):
    from mcgan_lib.data.paired import edges_to_photo_pairs

    train, test = (edges_to_photo_pairs(photo_patches(patch_size=8, n_patches=n, scale=0.25)) for n in (30, 10))
    test.name = "edges-val"
    task = PairedTask.from_splits(train, test, outputs_per_input=4)
    assert (len(task), len(task.test), task.outputs_per_input) == (30, 10, 4)
    assert task.spec()["test_split"] == "edges-val" and "test_split" not in small_pairs.spec()
    assert task.test_fraction == pytest.approx(0.25)
    with pytest.raises(ValueError, match="test must be a paired ImageDataset"):
        PairedTask.from_splits(train, photo_patches(patch_size=8, n_patches=10))
    with pytest.raises(ValueError, match="same shapes"):
        PairedTask.from_splits(train, edges_to_photo_pairs(photo_patches(patch_size=16, n_patches=5)))
