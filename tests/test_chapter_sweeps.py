"""The registry of the chapters' precomputed sweeps: valid arguments, one name each, quick < full."""

import pytest

import mcgan_lib.sweeps as sweeps
from mcgan_lib.data.tasks import make_task
from mcgan_lib.methods import METHODS, comparison_methods
from mcgan_lib.cli import main
from mcgan_lib.experiments import chapter_sweeps as registry


@pytest.mark.parametrize("quick", ["1", "0"])
def test_every_entry_is_a_valid_sweep(monkeypatch, quick):
    monkeypatch.setenv("MCGAN_QUICK", quick)
    for chapter in registry.CHAPTERS:
        for name, arguments in registry.chapter_sweeps(chapter).items():
            method = METHODS[arguments["method"]]
            make_task(arguments["task"])
            assert sweeps._grid_settings(arguments.get("grid"), method.name), (chapter, name)
            assert set(arguments.get("method_options", {})) <= set(method.defaults)
            assert arguments["seeds"]


def test_quick_mode_trains_fewer_members(monkeypatch):
    def members(quick):
        monkeypatch.setenv("MCGAN_QUICK", quick)
        total = 0
        for chapter in registry.CHAPTERS:
            for arguments in registry.chapter_sweeps(chapter).values():
                total += len(sweeps._grid_settings(arguments.get("grid"), arguments["method"])) * len(arguments["seeds"])
        return total

    assert members("1") < members("0")


def test_comparison_covers_every_method_on_every_task(monkeypatch):
    monkeypatch.setenv("MCGAN_QUICK", "1")
    entries = registry.chapter_sweeps("07_comparison")
    for task in sweeps.COMPARISON_TASKS:
        for name in comparison_methods():
            expected = METHODS[name].conditional or task != "conditional"
            assert (f"{task}_{name}" in entries) == expected
    assert entries["ring_ms"]["seeds"] == [0, 1, 2]


def test_build_all_runs_each_entry(monkeypatch):
    calls = []

    def fake_sweep(**arguments):
        calls.append(arguments)
        return [None] * len(arguments["seeds"])

    monkeypatch.setattr(registry, "sweep", fake_sweep)
    counts = registry.build_all(["04_mode_seeking"])
    assert list(counts) == ["04_mode_seeking/plain", "04_mode_seeking/ms_lambda"]
    assert [c["method"] for c in calls] == ["gan", "ms"]


def test_lookup_errors_and_describe():
    with pytest.raises(ValueError, match="chapter must be one of"):
        registry.chapter_sweeps("99_nope")
    with pytest.raises(ValueError, match="name must be one of"):
        registry.chapter_sweep("04_mode_seeking", "nope")
    text = registry.describe(registry.chapter_sweep("04_mode_seeking", "ms_lambda"))
    assert text.startswith("sweep('ring', 'ms', grid={'weight': [0.3, 1.0, 3.0]}")
    with pytest.raises(SystemExit, match="--chapter must be one of"):
        main(["prebuild", "--chapter", "99_nope"])
