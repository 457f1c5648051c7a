"""The registry of the chapters' precomputed sweeps: valid arguments, one name each, quick < full."""

import pytest

import mcgan_lib.sweeps as sweeps
from mcgan_lib.cli import main
from mcgan_lib.data.tasks import make_task
from mcgan_lib.experiments import chapter_sweeps as registry
from mcgan_lib.methods import METHODS, comparison_methods


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
                total += len(sweeps._grid_settings(arguments.get("grid"), arguments["method"])) * len(
                    arguments["seeds"]
                )
        return total

    assert members("1") < members("0")


def test_comparison_covers_every_method_on_every_task(monkeypatch):
    monkeypatch.setenv("MCGAN_QUICK", "1")
    entries = registry.chapter_sweeps("07_comparison")
    for task in sweeps.COMPARISON_TASKS:
        for name in comparison_methods():
            expected = METHODS[name].conditional or task != "conditional"
            assert (f"{task}_{name}" in entries) == expected
    assert entries["ring_ms"]["seeds"] == [0, 1] and entries["ring_ms"]["steps"] == 1000
    monkeypatch.setenv("MCGAN_QUICK", "0")
    entries = registry.chapter_sweeps("07_comparison")
    assert len(entries["ring_ms"]["seeds"]) == 10 and len(entries["grid_ms"]["seeds"]) == 3
    assert entries["ring_ms"]["steps"] == sweeps.PLAIN_GAN_SETUP.steps == 10_000


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


def full_mode_entries(monkeypatch) -> dict:
    """Every full-mode chapter sweep, by the stored description its result must carry."""
    monkeypatch.setenv("MCGAN_QUICK", "0")
    entries = {}
    for chapter in registry.CHAPTERS:
        for name, arguments in registry.chapter_sweeps(chapter).items():
            plan = sweeps.plan_sweep(**arguments)
            names, _ = entries.get(plan.stored_stem.name, (set(), None))
            entries[plan.stored_stem.name] = (
                names | {f"{chapter}/{name}"},
                sweeps.stored_description(plan.description),
            )
    return entries


def test_every_stored_result_matches_its_registry_entry(monkeypatch):
    """A stored result whose configuration is no longer a chapter's full-mode sweep (or whose files were
    altered) fails here: run ``python -m mcgan_lib prebuild --full`` again."""
    from mcgan_lib.tables import read_manifest, read_table

    entries = full_mode_entries(monkeypatch)
    stored = sorted(sweeps.stored_results_dir().glob("*.json"))
    for manifest in stored:
        stem = manifest.with_suffix("")
        assert stem.name in entries, (
            f"{manifest.name} matches no chapter sweep in full mode (stale: re-run prebuild --full)"
        )
        names, description = entries[stem.name]  # two chapters may read one sweep (01 and 04: the plain GAN)
        document = read_manifest(stem)
        assert document["provenance"]["chapter"] + "/" + document["provenance"]["sweep"] in names
        assert read_table(stem, description) is not None, f"{manifest.name}: its data files do not match the manifest"
    total = sum(p.stat().st_size for p in sweeps.stored_results_dir().glob("*") if p.is_file())
    assert total < 20e6, f"stored results take {total / 1e6:.1f} MB; keep them to a few MB"


def test_prebuild_full_writes_stored_results_with_provenance(monkeypatch, tmp_path):
    monkeypatch.setenv("MCGAN_RESULTS_DIR", str(tmp_path / "stored"))
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def small(chapter):
        arguments = dict(
            task="ring",
            method="ms",
            grid={"weight": [0.5, 1.0]},
            seeds=[0],
            steps=3,
            setup=sweeps.PLAIN_GAN_SETUP.replace(hidden_dim=8, d_hidden_dim=8, batch_size=16),
        )
        calls.append(chapter)
        return {"tiny": arguments}

    monkeypatch.setattr(registry, "chapter_sweeps", small)
    monkeypatch.setitem(registry.CHAPTERS, "99_tiny", None)
    monkeypatch.setenv("MCGAN_QUICK", "1")
    assert main(["prebuild", "--chapter", "99_tiny", "--full"]) == 0
    assert __import__("os").environ["MCGAN_QUICK"] == "1"  # restored after the full-mode build
    (manifest,) = (tmp_path / "stored").glob("*.json")
    document = __import__("json").loads(manifest.read_text())
    provenance = document["provenance"]
    assert provenance["chapter"] == "99_tiny" and provenance["sweep"] == "tiny" and provenance["members"] == 2
    assert provenance["commit"] and provenance["library"].startswith("0.") and provenance["source"] == "trained"
    again = sweeps.sweep(**small("99_tiny")["tiny"])
    assert again.attrs["source"] == "stored" and len(again) == 2


def test_prebuild_sweep_pattern_builds_only_the_matching_sweeps(monkeypatch, tmp_path):
    monkeypatch.setenv("MCGAN_RESULTS_DIR", str(tmp_path / "stored"))
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))
    setup = sweeps.PLAIN_GAN_SETUP.replace(hidden_dim=8, d_hidden_dim=8, batch_size=16)
    tiny = {f"{task}_gan": dict(task=task, method="gan", seeds=[0], steps=2, setup=setup) for task in ("ring", "grid")}
    monkeypatch.setattr(registry, "chapter_sweeps", lambda chapter: tiny)
    monkeypatch.setitem(registry.CHAPTERS, "99_tiny", None)
    assert main(["prebuild", "--chapter", "99_tiny", "--sweep", "grid_*", "--full"]) == 0
    (manifest,) = (tmp_path / "stored").glob("*.json")
    assert __import__("json").loads(manifest.read_text())["provenance"]["sweep"] == "grid_gan"
