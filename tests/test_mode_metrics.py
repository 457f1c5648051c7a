"""Inception score, MODE score, the missing-mode count, the digits data and the digits classifier."""

import math

import pytest
import torch

from mcgan_lib.data.digits import DIGITS_DIM, as_images, digits, load_digits_tensors
from mcgan_lib.metrics.classifier_scores import inception_score, label_histogram, mode_score
from mcgan_lib.metrics.missing_modes import missing_modes, missing_modes_table

K = 4
UNIFORM_PROBS = torch.full((6, K), 1.0 / K)
SPREAD_ONE_HOT = torch.eye(K).repeat(2, 1)  # confident, every class twice
COLLAPSED_ONE_HOT = torch.eye(K)[[0, 0, 0]]  # confident, always class 0
MIXED_PROBS = torch.tensor([[1.0, 0.0], [0.5, 0.5]])


# ------------------------------------------------------------------ inception score
def test_inception_score_uniform_predictions_is_one():
    assert inception_score(UNIFORM_PROBS) == pytest.approx(1.0, abs=1e-12)


def test_inception_score_confident_and_spread_is_number_of_classes():
    assert inception_score(SPREAD_ONE_HOT) == pytest.approx(K, rel=1e-12)


def test_inception_score_collapsed_is_one():
    assert inception_score(COLLAPSED_ONE_HOT) == pytest.approx(1.0, abs=1e-12)


def test_inception_score_mixed_case_by_hand():
    # marginal (3/4, 1/4); KL rows: log(4/3) and 0.5 log(2/3) + 0.5 log 2 = 0.5 log(4/3); mean 0.75 log(4/3)
    assert inception_score(MIXED_PROBS) == pytest.approx((4 / 3) ** 0.75, rel=1e-12)


# ------------------------------------------------------------------ MODE score
def test_mode_score_uniform_predictions_is_one():
    assert mode_score(UNIFORM_PROBS, torch.full((K,), 1.0 / K)) == pytest.approx(1.0, abs=1e-12)


def test_mode_score_confident_and_spread_is_number_of_classes():
    assert mode_score(SPREAD_ONE_HOT, torch.full((K,), 1.0 / K)) == pytest.approx(K, rel=1e-12)


def test_mode_score_is_zero_when_a_training_class_is_never_generated():
    # KL(p* || p) is infinite when p(y) = 0 for a class with p*(y) > 0; the inception score misses this
    assert mode_score(COLLAPSED_ONE_HOT, torch.full((K,), 1.0 / K)) == 0.0


def test_mode_score_mixed_case_by_hand():
    # term 1: (log 2 + 0) / 2; term 2: KL((.5,.5) || (.75,.25)) = 0.5 log(4/3); exp(.5 log 2 - .5 log 4/3) = sqrt(1.5)
    assert mode_score(MIXED_PROBS, torch.tensor([0.5, 0.5])) == pytest.approx(math.sqrt(1.5), rel=1e-12)


def test_the_swapped_reading_of_eq_6_is_the_inception_score():
    """Why the printed order is kept: with KL(p(y) || p*(y)) second, p* cancels and the score equals the
    Inception score for any probabilities and any training labels."""
    probs = torch.softmax(torch.randn(50, K, generator=torch.Generator().manual_seed(0)) * 3, dim=1).double()
    target = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    marginal = probs.mean(0)
    kl = lambda p, q: (p * (p / q).log()).sum(-1)  # noqa: E731
    swapped = math.exp((kl(probs, target.expand_as(probs)).mean() - kl(marginal, target)).item())
    assert swapped == pytest.approx(inception_score(probs), rel=1e-10)
    assert mode_score(probs, target) != pytest.approx(inception_score(probs), rel=1e-3)  # the printed order uses p*


def test_mode_score_is_finite_with_softmax_outputs_and_ranks_a_rare_class():
    """A softmax never gives exactly 0, so a nearly missing class lowers the score by a finite amount."""
    confident = torch.softmax(torch.eye(K).repeat(5, 1) * 8.0, dim=1)
    nearly_missing = torch.softmax(torch.eye(K)[[0, 1, 2] * 5 + [3]] * 8.0, dim=1)  # class 3 once in 16
    uniform = torch.full((K,), 1.0 / K)
    full, rare = mode_score(confident, uniform), mode_score(nearly_missing, uniform)
    assert 0 < rare < full < K and math.isfinite(rare)


def test_mode_score_penalises_a_marginal_that_differs_from_the_training_labels():
    # the same confident samples score lower against a training distribution they do not match
    balanced = mode_score(SPREAD_ONE_HOT, torch.full((K,), 1.0 / K))
    skewed = mode_score(SPREAD_ONE_HOT, torch.tensor([0.7, 0.1, 0.1, 0.1]))
    assert skewed < balanced


def test_label_histogram_counts_argmax():
    hist = label_histogram(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]))
    assert hist.tolist() == [0.75, 0.25]


@pytest.mark.parametrize(
    "probs",
    [
        torch.tensor([[0.5, 0.6]]),
        torch.tensor([[1.2, -0.2]]),
        torch.tensor([0.5, 0.5]),
        torch.tensor([[0.5, float("nan")]]),
    ],
)
def test_scores_reject_rows_that_are_not_probabilities(probs):
    with pytest.raises(ValueError, match="probs"):
        inception_score(probs)
    with pytest.raises(ValueError, match="probs"):
        mode_score(probs, torch.tensor([0.5, 0.5]))


@pytest.mark.parametrize("target", [torch.tensor([0.5, 0.6]), torch.tensor([1 / 3, 1 / 3, 1 / 3])])
def test_mode_score_rejects_a_bad_training_label_distribution(target):
    with pytest.raises(ValueError, match="train_label_dist"):
        mode_score(MIXED_PROBS, target)


# ------------------------------------------------------------------ missing modes
def _clusters(centers, per_cluster, std, seed):
    rng = torch.Generator().manual_seed(seed)
    centers = torch.tensor(centers, dtype=torch.float32)
    labels = torch.arange(len(centers)).repeat_interleave(per_cluster)
    return centers[labels] + std * torch.randn(len(labels), 2, generator=rng), labels


CORNERS = [[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]]


def test_missing_modes_finds_the_cluster_the_generator_never_produces():
    real_train, _ = _clusters(CORNERS, 200, 0.2, seed=0)
    generated, _ = _clusters(CORNERS[1:], 270, 0.2, seed=1)  # cluster 0 is missing
    real_test, test_labels = _clusters(CORNERS, 50, 0.2, seed=2)
    result = missing_modes(real_train, generated, real_test, sigma=0.5, steps=400, seed=0)
    flagged = result.d_star_on_test > result.threshold
    assert flagged[test_labels == 0].sum() >= 45  # nearly all points of the missing cluster
    assert flagged[test_labels != 0].sum() <= 5  # and almost none of the generated clusters
    assert 45 <= result.missing_count <= 55
    assert result.missing_fraction == pytest.approx(result.missing_count / 200)


def test_missing_modes_counts_few_when_nothing_is_missing():
    real_train, _ = _clusters(CORNERS, 200, 0.2, seed=0)
    generated, _ = _clusters(CORNERS, 200, 0.2, seed=1)
    real_test, _ = _clusters(CORNERS, 50, 0.2, seed=2)
    assert missing_modes(real_train, generated, real_test, sigma=0.5, steps=400).missing_count <= 5


def test_missing_modes_table_has_one_row_per_sigma():
    real_train, _ = _clusters(CORNERS, 50, 0.2, seed=0)
    generated, _ = _clusters(CORNERS[1:], 60, 0.2, seed=1)
    rows = missing_modes_table(real_train, generated, real_train, sigmas=(0.5, 4.0), steps=200)
    assert [row["sigma"] for row in rows] == [0.5, 4.0]
    # heavy noise blurs the clusters together, so D* cannot be confident anywhere
    assert rows[1]["missing_count"] < rows[0]["missing_count"]


def test_missing_modes_errors():
    x = torch.zeros(10, 2)
    with pytest.raises(ValueError, match="sigma"):
        missing_modes(x, x, x, sigma=-0.1)
    with pytest.raises(ValueError, match="threshold"):
        missing_modes(x, x, x, sigma=0.1, threshold=1.5)
    with pytest.raises(ValueError, match="real_test"):
        missing_modes(x, x, torch.zeros(10, 3), sigma=0.1)
    with pytest.raises(ValueError, match="sigmas"):
        missing_modes_table(x, x, x, sigmas=())


# ------------------------------------------------------------------ digits data and classifier
def test_digits_split_is_deterministic_disjoint_and_scaled():
    train_x, train_y = load_digits_tensors("train")
    test_x, test_y = load_digits_tensors("test")
    all_x, _ = load_digits_tensors("all")
    assert train_x.shape[1] == DIGITS_DIM and len(train_x) + len(test_x) == len(all_x) == 1797
    assert train_x.min() >= -1 and train_x.max() <= 1 and all_x.min() == -1 and all_x.max() == 1
    assert torch.equal(load_digits_tensors("train")[0], train_x)
    train_rows = {tuple(row.tolist()) for row in train_x}
    assert sum(tuple(row.tolist()) in train_rows for row in test_x) < 0.05 * len(test_x)  # a few exact duplicates exist
    source = digits("train")
    assert source.data_shape == (DIGITS_DIM,) and source.label_distribution().sum() == pytest.approx(1.0)
    assert as_images(train_x[:3]).shape == (3, 8, 8)
    assert torch.bincount(test_y).min() >= 40  # stratified: every class in the test split


def test_digits_errors():
    with pytest.raises(ValueError, match="split"):
        load_digits_tensors("validation")
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_tensors("train", test_fraction=1.5)


def test_digits_classifier_is_cached_and_accurate(tmp_path, monkeypatch):
    from mcgan_lib.nets import digits_classifier as module

    monkeypatch.setenv(module.CACHE_ENV_VAR, str(tmp_path))
    first = module.load_digits_classifier()
    assert (tmp_path / module.CACHE_FILE).exists()
    assert first.test_accuracy > 0.95
    monkeypatch.setattr(module, "train_digits_classifier", lambda *a, **k: pytest.fail("retrained despite the cache"))
    second = module.load_digits_classifier()
    x, y = load_digits_tensors("test")
    assert torch.equal(second.probabilities(x), first.probabilities(x))
    # real test digits: confident and spread over all classes, so both scores are close to 10
    probs = second.probabilities(x)
    assert mode_score(probs, digits("train").label_distribution()) > 8
    assert inception_score(probs) > 8
