"""Every chapter claim holds on the stored full-mode results (no training), and a false one is caught."""

import pytest

from mcgan_lib.chapters import CHAPTER_CLAIMS, CHAPTERS
from mcgan_lib.claims import Claim
from mcgan_lib.store import MissingStoredResult, check_claim, check_claims, stored_chapter_table


@pytest.mark.parametrize("chapter", sorted(CHAPTER_CLAIMS))
def test_every_chapter_claim_holds_on_the_stored_results(chapter):
    assert chapter in CHAPTERS
    checked = check_claims(CHAPTER_CLAIMS, chapter)
    assert checked, f"{chapter} declares no claim"
    false = [str(c) for c in checked if not c.holds]
    assert not false, f"claims of {chapter} that the stored results contradict: {false}"
    keys = [c.claim.key for c in checked]
    assert len(keys) == len(set(keys)), f"claim keys repeat in {chapter}: {keys}"


def test_a_planted_false_claim_fails():
    # The same evidence as chapter 01's ring claim, with the opposite predicate: it must be reported false,
    # and the chapter test above would fail on it.
    planted = Claim(
        "planted",
        "The plain GAN covers every ring mode on {covered_all} of {seeds} seeds.",
        lambda read: {"covered_all": int((read("ring_plain").modes_covered == 8).sum()), "seeds": 5},
        lambda e: e["covered_all"] == e["seeds"],
    )
    checked = check_claim(planted, "01_eight_gaussians")
    assert not checked.holds
    assert str(checked).startswith("[FALSE] The plain GAN covers every ring mode on 0 of 5 seeds")
    claims = {"01_eight_gaussians": (*CHAPTER_CLAIMS["01_eight_gaussians"], planted)}
    assert [c.holds for c in check_claims(claims, "01_eight_gaussians")][-1] is False


def test_claim_numbers_come_from_the_stored_table():
    (ring_sharp,) = [c for c in CHAPTER_CLAIMS["01_eight_gaussians"] if c.key == "ring_sharp"]
    checked = check_claim(ring_sharp, "01_eight_gaussians")
    table = stored_chapter_table("01_eight_gaussians", "ring_plain")
    assert checked.values["lowest_hq"] == table.high_quality_fraction.min()
    assert f"{table.high_quality_fraction.min():.2f}" in checked.sentence


def test_a_missing_stored_result_is_a_clear_error(monkeypatch, tmp_path):
    import mcgan_lib.store as store

    monkeypatch.setenv("MCGAN_RESULTS_DIR", str(tmp_path))
    store._stored_table.cache_clear()
    try:
        with pytest.raises(MissingStoredResult, match="prebuild --full --chapter 01_eight_gaussians"):
            stored_chapter_table("01_eight_gaussians", "ring_plain")
    finally:
        store._stored_table.cache_clear()
    with pytest.raises(ValueError, match="chapter must be one of"):
        check_claims(CHAPTER_CLAIMS, "99_missing")


def test_tuned_settings_are_the_rule_applied_to_the_stored_tuning_runs():
    from mcgan_lib.chapters import chapter_sweeps
    from mcgan_lib.chapters.ch07_comparison import TUNED_SETTINGS
    from mcgan_lib.experiments.tuning import TUNING_SEEDS, tuned_setting

    entries = chapter_sweeps("07_comparison")
    for method, settings in TUNED_SETTINGS.items():
        table = stored_chapter_table("07_comparison", f"tune_{method}")
        assert set(table.seed) <= set(TUNING_SEEDS), f"{method} was tuned on reported seeds"
        assert tuned_setting(table) == settings["weight"], f"TUNED_SETTINGS[{method!r}] is not the rule's choice"
        reported = entries[f"collapse_ring_{method}"]
        assert reported["method_options"] == settings and not set(reported["seeds"]) & set(TUNING_SEEDS)
