"""Paired verdicts: Wilcoxon's signed-rank test on per-seed differences, checked by hand."""

import numpy as np
import pandas as pd
import pytest

from mcgan_lib.metrics.paired import paired_table, paired_test


def test_ten_wins_give_the_exact_two_sided_p_of_2_over_1024():
    # Every one of 2^10 sign patterns is equally likely under H0; only all-positive and all-negative are as
    # extreme as ten wins with distinct ranks: p = 2 / 1024.
    test = paired_test(np.arange(1, 11) + 5.0, np.full(10, 5.0))
    assert test.p_value == pytest.approx(2 / 1024)
    assert (test.wins, test.losses, test.verdict) == (10, 0, "helps")
    assert test.mean_difference == pytest.approx(5.5)
    assert paired_test(np.full(10, 5.0), np.arange(1, 11) + 5.0).verdict == "hurts"


def test_five_seeds_cannot_reach_p_below_0_05():
    # With 5 pairs the smallest two-sided p is 2 / 32 = 0.0625: no verdict, however large the effect.
    test = paired_test([9.0, 9, 9, 9, 9], [1.0, 2, 3, 4, 5])
    assert test.p_value == pytest.approx(2 / 32)
    assert test.verdict == "no effect detected"
    assert "no effect on modes detected against GAN at 5 seeds" in test.sentence("MSGAN", "GAN", "modes")


def test_ties_and_diverged_seeds():
    test = paired_test([3.0, 3.0, float("nan"), 4.0], [3.0, 3.0, 1.0, 2.0], seeds=[0, 1, 2, 3])
    assert test.seeds == (0, 1, 3)  # seed 2 diverged: dropped from the pair
    assert test.differences == (0.0, 0.0, 2.0)
    equal = paired_test([2.0, 2.0], [2.0, 2.0])
    assert (equal.p_value, equal.verdict) == (1.0, "no effect detected")


def test_paired_table_pairs_by_seed_not_by_row_order():
    gan = [2, 2, 6, 2, 2, 2, 8, 2, 2, 2]
    rows = [("gan", s, v) for s, v in enumerate(gan)]
    rows += [("ms", s, gan[s] + 3) for s in reversed(range(10))]  # the rows in the other order
    table = pd.DataFrame(rows, columns=["method", "seed", "modes_covered"])
    out = paired_table(table, "modes_covered")
    assert out.loc["ms", "wins / losses"] == "10 / 0"
    assert out.loc["ms", "verdict"] == "helps"
    assert out.loc["gan", "mean ± std"] == "3.00 ± 2.16"
    assert out.loc["gan", "verdict"] == "—" and out.loc["ms", "Wilcoxon p"] == "0.00195"


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="one length"):
        paired_test([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="every pair has a NaN"):
        paired_test([float("nan")], [1.0])
    with pytest.raises(ValueError, match="alpha"):
        paired_test([1.0], [0.0], alpha=0.0)
    table = pd.DataFrame({"method": ["ms"], "seed": [0], "modes_covered": [1.0]})
    with pytest.raises(ValueError, match="baseline 'gan' is not a value of column 'method'"):
        paired_table(table, "modes_covered")
    with pytest.raises(ValueError, match="no column 'hq'"):
        paired_table(table, "hq")
