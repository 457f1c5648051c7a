"""The tuning rule: best mean strict count among sharp settings, on tuning seeds only."""

import pandas as pd
import pytest

from mcgan_lib.experiments.tuning import TUNING_SEEDS, tuned_setting, tuning_summary


def _table(rows):
    return pd.DataFrame(
        [
            {"weight": w, "seed": s, "modes_covered": c, "high_quality_fraction": q, "diverged_at_step": d}
            for w, s, c, q, d in rows
        ]
    )


def test_the_rule_prefers_coverage_among_sharp_settings():
    table = _table(
        [
            (0.1, 100, 2, 0.95, float("nan")),
            (0.1, 101, 2, 0.95, float("nan")),
            (1.0, 100, 6, 0.80, float("nan")),
            (1.0, 101, 7, 0.75, float("nan")),
            (10.0, 100, 8, 0.40, float("nan")),  # more modes, but blurred: not eligible
            (10.0, 101, 8, 0.40, float("nan")),
        ]
    )
    summary = tuning_summary(table)
    assert tuned_setting(table) == 1.0
    assert summary.loc[1.0, "modes_covered"] == 6.5
    assert summary.sharp.tolist() == [True, True, False]


def test_ties_go_to_quality_then_to_the_smaller_value_and_divergence_scores_zero():
    table = _table(
        [
            (1.0, 100, 8, 0.8, float("nan")),
            (10.0, 100, 8, 0.9, float("nan")),
            (100.0, 100, 8, 0.9, float("nan")),
            (1000.0, 100, float("nan"), float("nan"), 50.0),
        ]
    )
    assert tuned_setting(table) == 10.0
    assert tuning_summary(table).loc[1000.0, "modes_covered"] == 0.0


def test_without_a_sharp_setting_the_highest_count_wins():
    table = _table([(0.1, 100, 1, 0.2, float("nan")), (1.0, 100, 3, 0.3, float("nan"))])
    summary = tuning_summary(table)
    assert not summary.sharp.any() and tuned_setting(table) == 1.0


def test_tuning_seeds_are_not_reported_seeds_and_errors_name_the_column():
    assert not set(TUNING_SEEDS) & set(range(10))
    with pytest.raises(ValueError, match="no column 'weight'"):
        tuning_summary(pd.DataFrame({"seed": [0]}))
    with pytest.raises(ValueError, match="min_quality"):
        tuning_summary(_table([(1.0, 100, 1, 1.0, 0.0)]), min_quality=2.0)
