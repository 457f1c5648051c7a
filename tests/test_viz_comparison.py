"""The comparison figures of chapter 07: spread over seeds per method, and sensitivity to λ."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mcgan_lib.viz import DIVERGED_COLOR, plot_metric_distributions, plot_sensitivity


def compare_like_table(diverge=()):
    """A small table with the columns of :func:`mcgan_lib.sweeps.compare`; ``diverge`` lists
    (task, method, seed) members whose scores are NaN, as the sweeps write them for a diverged run."""
    rng = np.random.default_rng(0)
    rows = []
    for task, best in (("ring", 8), ("grid", 25), ("conditional", 2)):
        for method, label in (("gan", "GAN"), ("ms", "MSGAN"), ("reg_gan", "Reg-GAN")):
            if task == "conditional" and method == "reg_gan":
                continue  # as compare: Reg-GAN is not run on the conditional toy
            for seed in range(3):
                failed = (task, method, seed) in diverge
                rows.append(
                    {
                        "task": task,
                        "method": method,
                        "label": label,
                        "seed": seed,
                        "coverage": np.nan if failed else float(rng.integers(1, best + 1)),
                        "coverage_max": best,
                        "reverse_kl": np.nan if failed else float(rng.random()),
                        "diverged_at_step": 42.0 if failed else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def sensitivity_table(diverge=()):
    rows = []
    for method, label in (("ms", "MSGAN"), ("hm", "HMGAN"), ("gan_l2", "GAN + ℓ2")):
        for weight in (0.1, 1.0, 10.0):
            for seed in range(3):
                failed = (method, weight, seed) in diverge
                rows.append(
                    {
                        "task": "ring",
                        "method": method,
                        "label": label,
                        "weight": weight,
                        "seed": seed,
                        "modes_captured": np.nan if failed else float(seed + 2),
                        "diverged_at_step": 7.0 if failed else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def texts(figure):
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def test_distributions_one_panel_per_task_and_notes_for_missing_methods():
    table = compare_like_table()
    figure = plot_metric_distributions(table, "coverage", reference_column="coverage_max")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 3
    assert [ax.get_title() for ax in figure.axes] == ["ring  (best 8)", "grid  (best 25)", "conditional  (best 2)"]
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["GAN", "MSGAN", "Reg-GAN"]
    assert texts(figure).count("not run") == 1  # Reg-GAN on the conditional toy
    plt.close(figure)
    figure = plot_metric_distributions(table, "reverse_kl", panel_order=["grid"], ncols=2)
    assert len(figure.axes) == 1
    plt.close(figure)


def test_distributions_mark_diverged_members_instead_of_dropping_them():
    table = compare_like_table(
        diverge={("ring", "ms", 0), ("ring", "ms", 1), ("grid", "gan", 0), ("grid", "gan", 1), ("grid", "gan", 2)}
    )
    figure = plot_metric_distributions(table, "coverage", reference_column="coverage_max")
    ring_notes = [t for t in figure.axes[0].texts if "diverged" in t.get_text()]
    assert [t.get_text() for t in ring_notes] == ["✕ 2 diverged"]
    assert ring_notes[0].get_color() == DIVERGED_COLOR
    assert "✕ 3 diverged" in [t.get_text() for t in figure.axes[1].texts]  # a method with no score at all
    plt.close(figure)


def test_distributions_of_a_panel_with_no_score_at_all_still_draw():
    table = compare_like_table()
    table.loc[table.task == "grid", "coverage"] = np.nan
    figure = plot_metric_distributions(table, "coverage")
    assert len(figure.axes) == 3
    assert texts(figure).count("✕ 3 diverged") == 3
    plt.close(figure)


@pytest.mark.parametrize(
    "argument, value", [("metric", "fid"), ("method", "name"), ("panel", "dataset"), ("reference_column", "best")]
)
def test_distributions_name_the_argument_of_a_missing_column(argument, value):
    with pytest.raises(ValueError, match=f"{argument}='{value}' is not a column"):
        plot_metric_distributions(compare_like_table(), **{argument: value})


def test_distributions_reject_an_empty_or_foreign_table():
    with pytest.raises(ValueError, match="table has no rows"):
        plot_metric_distributions(compare_like_table().iloc[:0])
    with pytest.raises(ValueError, match="table must be a pandas DataFrame"):
        plot_metric_distributions([{"coverage": 1}])


def test_sensitivity_one_panel_per_method_on_a_log_axis():
    figure = plot_sensitivity(sensitivity_table(), max_value=8, reference=[1.0, 1.0, 2.0], ncols=2)
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 3  # the unused fourth cell of the 2 x 2 grid is removed
    assert [ax.get_title() for ax in figure.axes] == ["MSGAN", "HMGAN", "GAN + ℓ2"]
    assert all(ax.get_xscale() == "log" for ax in figure.axes)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["0.1", "1", "10"]
    mean_line = figure.axes[0].lines[-1]
    np.testing.assert_allclose(mean_line.get_ydata(), [3.0, 3.0, 3.0])  # seeds score 2, 3, 4
    plt.close(figure)


def test_sensitivity_shows_diverged_members_with_counts_and_gaps():
    diverge = {("ms", 10.0, 0), ("hm", 10.0, 0), ("hm", 10.0, 1), ("hm", 10.0, 2)}
    figure = plot_sensitivity(sensitivity_table(diverge), max_value=8)
    ms, hm, l2 = figure.axes
    assert [t.get_text() for t in ms.texts] == ["1/3"]
    assert [t.get_text() for t in hm.texts] == ["3/3"]
    assert len(l2.texts) == 0
    assert np.isnan(hm.lines[-1].get_ydata()[-1])  # every seed diverged: a gap in the mean line, not a 0
    np.testing.assert_allclose(ms.lines[-1].get_ydata()[-1], 3.5)  # mean of the two scored seeds
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "diverged (no score)" in legend
    plt.close(figure)


def test_sensitivity_checks_its_arguments():
    table = sensitivity_table()
    for argument, value in (("x", "lambda"), ("metric", "fid"), ("panel", "regularizer")):
        with pytest.raises(ValueError, match=f"{argument}='{value}' is not a column"):
            plot_sensitivity(table, **{argument: value})
    with pytest.raises(ValueError, match="band must be one of"):
        plot_sensitivity(table, band="iqr")
    with pytest.raises(ValueError, match="log axis"):
        plot_sensitivity(table.assign(weight=table.weight - 0.1))
    figure = plot_sensitivity(table.assign(weight=table.weight - 0.1), logx=False, band="std", label=None)
    assert [ax.get_title() for ax in figure.axes] == ["ms", "hm", "gan_l2"]
    plt.close(figure)
