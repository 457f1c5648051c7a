import matplotlib.pyplot as plt
import pytest
import torch

from mcgan_lib.data import grid, ring
from mcgan_lib.experiments import COLLAPSE_SETUP, PLAIN_GAN_SETUP
from mcgan_lib.nets import MLPDiscriminator, MLPGenerator
from mcgan_lib.runs import RunSpec, train_run
from mcgan_lib.viz import gan_lab_figure, plot_history, scatter_grid, snapshot_timeline
from mcgan_lib.widgets import SessionSettings, TrainingPanel, TrainingSession


def test_gan_lab_figure_has_heat_map_samples_arrows_and_manifold():
    figure = gan_lab_figure(MLPGenerator(seed=0), MLPDiscriminator(seed=1), ring(), n_samples=200, n_arrows=20)
    left, right, colour_bar = figure.axes
    assert len(left.images) == 1  # D's heat map
    assert len(left.collections) == 3  # real, generated, quiver
    assert len(right.lines) == 2 * 15  # manifold grid lines
    plt.close(figure)


def test_snapshot_timeline_subsamples_panels_and_checks_lengths():
    samples = [torch.randn(10, 2)] * 20
    figure = snapshot_timeline(list(range(20)), samples, ring(), max_panels=6, ncols=3)
    assert sum(ax.axison for ax in figure.axes) == 6
    plt.close(figure)
    with pytest.raises(ValueError, match="equal length"):
        snapshot_timeline([0, 1], samples[:1], ring())


def test_session_trains_in_chunks_and_never_past_its_steps():
    session = TrainingSession(SessionSettings(steps=25, batch_size=32, latent_dim=4).run_spec())
    assert session.run_chunk(10) == 10 and session.step == 10
    assert session.run_chunk(100) == 15 and session.finished
    assert session.run_chunk(5) == 0
    assert "step 25/25" in session.status()
    assert session.figure_png()[:4] == b"\x89PNG"


def test_the_panel_draws_its_frames_without_pyplot(monkeypatch):
    """The panel draws on its own thread; a pyplot figure there would leak into the next cell's output."""
    session = TrainingSession(SessionSettings(steps=5, batch_size=32, latent_dim=4).run_spec())
    session.run_chunk(5)
    for name in ("figure", "subplots", "gcf"):
        monkeypatch.setattr(plt, name, lambda *a, _name=name, **k: pytest.fail(f"the panel called pyplot.{_name}"))
    open_before = plt.get_fignums()
    assert session.figure_png()[:4] == b"\x89PNG"
    assert plt.get_fignums() == open_before


def test_the_panel_sliders_start_on_their_own_grid():
    """A value off a slider's step grid is snapped by the browser and sent back as a different value."""
    from mcgan_lib.experiments import PLAIN_GAN_SETUP

    panel = TrainingPanel(steps=3000, update_every=100)
    assert panel.lr.value == PLAIN_GAN_SETUP.lr and panel.lr.label == "0.0003"
    for slider in (panel.steps, panel.latent_dim, panel.batch_size, panel.update_every):
        assert (slider.value - slider.min) % slider.step == 0, slider.description


def test_panel_runs_pauses_and_steps_synchronously():
    panel = TrainingPanel(steps=100, update_every=10)
    panel.steps.value = 100
    panel.batch_size.value = 32
    panel.start(background=False, paused=True)
    assert panel.session.step == 0
    panel.step_once()
    assert panel.session.step == 10
    assert panel.image.value[:4] == b"\x89PNG"
    assert "step 10/100" in panel.status.value
    assert panel.step_button.disabled is False and panel.pause_button.description == "Continue"


def test_the_panel_trains_the_shared_regime_on_a_unit_toy():
    panel = TrainingPanel(task="unit_ring", steps=100, update_every=10, setup=COLLAPSE_SETUP)
    assert panel.lr.value == COLLAPSE_SETUP.lr and panel.lr.label == "0.00015"
    panel.batch_size.value = 32
    panel.start(background=False, paused=True)
    panel.step_once()
    config = panel.session.trainer.config
    assert (config.lr_g, config.batch_size, panel.session.step) == (COLLAPSE_SETUP.lr, 32, 10)
    assert panel.session.trainer.discriminator.hparams["depth"] == COLLAPSE_SETUP.d_depth
    with pytest.raises(ValueError, match="setup must be a ToySetup"):
        TrainingPanel(setup="collapse")


def test_train_run_keeps_snapshots_and_metrics_and_plots():
    setup = PLAIN_GAN_SETUP.replace(hidden_dim=16, d_hidden_dim=16, batch_size=32)
    run = train_run(RunSpec(ring(), setup=setup, steps=10), snapshot_every=5, eval_every=5, n_eval_samples=200)
    assert run.trainer.step == 10
    assert run.snapshots.steps == [0, 5, 10]
    assert run.trainer.history["eval"]["step"] == [5, 10]
    assert set(run.metrics) == {"modes_captured", "modes_covered", "high_quality_fraction", "reverse_kl"}
    figure = scatter_grid({"a": torch.randn(5, 2), "b": torch.randn(5, 2)}, grid())
    assert sum(ax.axison for ax in figure.axes) == 2
    plt.close(figure)
    plt.close(plot_history(run.trainer.history))


def test_figures_hold_every_sample_have_a_scale_and_a_colour_bar():
    """No sample is clipped (limits grow to the cloud), panels carry ticks, D's heat map has a colour bar,
    and a grid of panels is at least 520 px wide, each panel at least 208 px tall."""
    stray = torch.tensor([[9.0, -7.0], [0.0, 0.0]])
    figure = scatter_grid({"stray": stray}, ring(), ncols=1)
    ax = figure.axes[0]
    assert ax.get_xlim()[1] >= 9.0 and ax.get_ylim()[0] <= -7.0
    assert len(ax.get_xticks()) > 1
    width, height = figure.get_size_inches() * figure.dpi
    assert width >= 520 and height >= 208
    five = scatter_grid({f"seed {seed}": stray for seed in range(5)}, ring(), ncols=5)
    assert five.get_size_inches()[1] * five.dpi >= 208  # a row of five panels is not a 170 px strip
    lab = gan_lab_figure(MLPGenerator(seed=0), MLPDiscriminator(seed=1), ring(), n_samples=100, n_arrows=5)
    assert any(a.get_label() == "<colorbar>" for a in lab.axes)


def test_grid_slider_puts_min_max_and_value_on_the_step_grid():
    from mcgan_lib.widgets import grid_slider

    slider = grid_slider(0.5, 0.4380, 1.0, 0.01, description="λ")  # chapter 05: a layer's bound as minimum
    assert (slider.min, slider.value, slider.max, slider.step) == (0.44, 0.5, 1.0, 0.01)
    for number in (slider.min, slider.value, slider.max):
        assert abs(number / slider.step - round(number / slider.step)) < 1e-9
    assert grid_slider(0.123, 0.0, 1.0, 0.05).value == 0.1  # snapped to the nearest point
    assert grid_slider(0.2, 0.438, 1.0, 0.01).value == 0.44  # clamped into the range
    with pytest.raises(ValueError, match="no point of the step grid"):
        grid_slider(0.5, 0.431, 0.439, 0.01)


def test_no_chapter_builds_a_float_slider_off_the_grid():
    """Every float slider in a chapter comes from grid_slider or is a SelectionSlider over its values, so
    the browser never snaps a value and re-runs a callback."""
    import json
    import re
    from pathlib import Path

    notebooks = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                assert not re.search(r"\b(FloatSlider|FloatLogSlider|FloatRangeSlider)\(", source), path.name


def test_a_regularizer_panel_trains_the_plain_and_the_regularized_gan_side_by_side():
    import ipywidgets as w

    weight = w.SelectionSlider(options=[0.1, 1.0, 10.0], value=10.0, description="λ")
    panel = TrainingPanel(steps=100, update_every=10, method="ms", controls={"weight": weight})
    panel.batch_size.value = 32
    panel.start(background=False, paused=True)
    plain, regularized = panel.sessions
    for a, b in zip(plain.trainer.generator.parameters(), regularized.trainer.generator.parameters()):
        assert torch.equal(a, b)  # the same initial networks
    assert regularized.trainer.regularizer.weight == 10.0 and plain.trainer.regularizer.config()["name"] == "none"
    panel.step_once()
    assert plain.step == regularized.step == 10
    assert all(image.value[:4] == b"\x89PNG" for image in panel.images)
    assert "GAN: step 10/100" in panel.status.value and "MSGAN (weight=10.0): step 10/100" in panel.status.value
    with pytest.raises(ValueError, match="controls"):
        TrainingPanel(method="ms", controls={"not_a_setting": weight})
    with pytest.raises(ValueError, match="method="):
        TrainingPanel(controls={"weight": weight})


def test_panel_controls_may_be_a_list_of_widgets_or_a_plain_value():
    import ipywidgets as w

    ere = [w.FloatSlider(value=v, min=0.0, max=1.0, step=0.1) for v in (0.0, 0.5, 1.0)]
    panel = TrainingPanel(method="hm", controls={"ere": ere, "out_of_range": "warn"})
    assert panel.method_settings() == {"ere": [0.0, 0.5, 1.0], "out_of_range": "warn"}


def test_scatter_grid_limits_per_panel_keep_a_stray_run_from_shrinking_the_others():
    from mcgan_lib.data import ring
    from mcgan_lib.viz import scatter_grid

    mixture = ring()
    near = mixture.sample(200, torch.Generator().manual_seed(0))
    stray = torch.cat([near, torch.tensor([[-40.0, -40.0]])])
    shared = scatter_grid({"near": near, "stray": stray}, mixture, ncols=2, limits="shared")
    each = scatter_grid({"near": near, "stray": stray}, mixture, ncols=2, limits="each")
    assert shared.axes[0].get_xlim()[0] < -30  # the stray point sets every panel's limits
    assert -5 < each.axes[0].get_xlim()[0] < -2 and each.axes[1].get_xlim()[0] < -30
    with pytest.raises(ValueError, match="limits must be one of"):
        scatter_grid({"near": near}, mixture, limits="auto")


def test_setting_heatmaps_show_the_mean_of_each_pair_and_name_a_missing_column():
    import pandas as pd

    from mcgan_lib.viz import plot_setting_heatmaps

    table = pd.DataFrame(
        {"weight": [0.0, 0.0, 1.0, 1.0] * 2, "lambda_mode": [0.0, 1.0] * 4, "seed": [0] * 4 + [1] * 4},
    ).assign(modes_covered=lambda t: t.weight + 2 * t.lambda_mode + t.seed)
    fig = plot_setting_heatmaps(table, "weight", "lambda_mode", {"modes_covered": "strict count"})
    width, height = fig.get_size_inches() * fig.dpi
    assert width >= 600 and 200 <= height <= 2 * width
    labels = sorted(text.get_text() for text in fig.axes[0].texts)
    assert labels == ["0.50", "1.50", "2.50", "3.50"]  # mean over the two seeds of each pair
    plt.close(fig)
    with pytest.raises(ValueError, match="metrics\\['missing'\\]"):
        plot_setting_heatmaps(table, "weight", "lambda_mode", {"missing": "x"})
