"""The registry of the chapters' precomputed sweeps: valid arguments, one name each, quick < full."""

import pytest

import mcgan_lib.store as store
import mcgan_lib.sweeps as sweeps
from mcgan_lib.chapters import CHAPTERS, ch07_comparison, chapter_sweep, chapter_sweeps
from mcgan_lib.cli import main
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP
from mcgan_lib.methods import METHODS, comparison_methods
from mcgan_lib.tasks import make_task


@pytest.mark.parametrize("quick", ["1", "0"])
def test_every_entry_is_a_valid_sweep(monkeypatch, quick):
    monkeypatch.setenv("MCGAN_QUICK", quick)
    for chapter in CHAPTERS:
        for name, arguments in chapter_sweeps(chapter).items():
            method = METHODS[arguments["method"]]
            make_task(arguments["task"])
            assert sweeps._grid_settings(arguments.get("grid"), method.name), (chapter, name)
            assert set(arguments.get("method_options", {})) <= set(method.defaults)
            assert arguments["seeds"]


def test_quick_mode_trains_fewer_members(monkeypatch):
    def members(quick):
        monkeypatch.setenv("MCGAN_QUICK", quick)
        total = 0
        for chapter in CHAPTERS:
            for arguments in chapter_sweeps(chapter).values():
                total += len(sweeps._grid_settings(arguments.get("grid"), arguments["method"])) * len(
                    arguments["seeds"]
                )
        return total

    assert members("1") < members("0")


def test_comparison_covers_every_method_on_every_task(monkeypatch):
    monkeypatch.setenv("MCGAN_QUICK", "1")
    entries = chapter_sweeps("07_comparison")
    for task in sweeps.COMPARISON_TASKS:
        for name in comparison_methods():
            expected = METHODS[name].conditional or task != "conditional"
            if task == "imbalanced_ring":
                expected = name in ch07_comparison.IMBALANCED_RING_METHODS
            assert (f"{task}_{name}" in entries) == expected
            assert (name in ch07_comparison.comparison_methods_on(task)) == expected
    assert entries["ring_ms"]["seeds"] == [0, 1] and entries["ring_ms"]["steps"] == 1000
    monkeypatch.setenv("MCGAN_QUICK", "0")
    entries = chapter_sweeps("07_comparison")
    assert len(entries["ring_ms"]["seeds"]) == len(entries["grid_ms"]["seeds"]) == 10
    assert entries["ring_ms"]["steps"] == PLAIN_GAN_SETUP.steps == 10_000
    for name in ch07_comparison.sensitivity_methods():  # the method's own λ is read from the comparison, not retrained
        weights = entries[f"sensitivity_{name}"]["grid"]["weight"]
        assert METHODS[name].defaults["weight"] not in weights
        assert sorted([*weights, METHODS[name].defaults["weight"]]) == ch07_comparison.sensitivity_lambdas()
        assert entries[f"sensitivity_{name}"]["seeds"] == entries[f"ring_{name}"]["seeds"][:3]


def test_build_all_runs_each_entry(monkeypatch):
    calls = []

    def fake_sweep(**arguments):
        calls.append(arguments)
        return [None] * len(arguments["seeds"])

    monkeypatch.setattr(store, "sweep", fake_sweep)
    counts = store.build_all(["01_eight_gaussians"])
    assert list(counts) == [
        "01_eight_gaussians/collapse_ring",
        "01_eight_gaussians/ring_plain",
        "01_eight_gaussians/grid_plain",
        "01_eight_gaussians/lr_seed",
    ]
    assert [c["task"] for c in calls] == ["unit_ring", "ring", "grid", "ring"]


def test_lookup_errors_and_describe():
    with pytest.raises(ValueError, match="chapter must be one of"):
        chapter_sweeps("99_nope")
    with pytest.raises(ValueError, match="name must be one of"):
        chapter_sweep("04_mode_seeking", "nope")
    text = store.describe(chapter_sweep("07_comparison", "sensitivity_ms"))
    assert text.startswith("sweep('ring', 'ms', grid={'weight': [10.0")  # λ = 1 is the comparison's own run
    with pytest.raises(SystemExit, match="--chapter must be one of"):
        main(["prebuild", "--chapter", "99_nope"])


def full_mode_entries(monkeypatch) -> dict:
    """Every full-mode chapter sweep, by the stored description its result must carry."""
    monkeypatch.setenv("MCGAN_QUICK", "0")
    entries = {}
    for chapter in CHAPTERS:
        for name, arguments in chapter_sweeps(chapter).items():
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
            setup=PLAIN_GAN_SETUP.replace(hidden_dim=8, d_hidden_dim=8, batch_size=16),
        )
        calls.append(chapter)
        return {"tiny": arguments}

    monkeypatch.setattr(store, "chapter_sweeps", small)
    monkeypatch.setitem(CHAPTERS, "99_tiny", None)
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
    setup = PLAIN_GAN_SETUP.replace(hidden_dim=8, d_hidden_dim=8, batch_size=16)
    tiny = {f"{task}_gan": dict(task=task, method="gan", seeds=[0], steps=2, setup=setup) for task in ("ring", "grid")}
    monkeypatch.setattr(store, "chapter_sweeps", lambda chapter: tiny)
    monkeypatch.setitem(CHAPTERS, "99_tiny", None)
    assert main(["prebuild", "--chapter", "99_tiny", "--sweep", "grid_*", "--full"]) == 0
    (manifest,) = (tmp_path / "stored").glob("*.json")
    assert __import__("json").loads(manifest.read_text())["provenance"]["sweep"] == "grid_gan"


def test_the_configuration_search_names_the_shared_setup_as_its_choice():
    from mcgan_lib.chapters.ch01_eight_gaussians import configuration_search_table

    table = configuration_search_table()
    chosen = table[table.outcome.str.startswith("chosen")]
    setup = PLAIN_GAN_SETUP
    assert set(chosen.method) == {"gan", "laplace_mr1"}
    for row in chosen.itertuples():
        assert (row.d_hidden_dim, row.lr, row.batch_size, row.steps) == (
            setup.d_hidden_dim,
            setup.lr,
            setup.batch_size,
            setup.steps,
        )
    plain = chosen[chosen.method == "gan"].iloc[0]
    assert plain.high_quality_fraction >= 0.8 and plain.modes_captured < 8  # sharp, and collapsed


def test_prebuild_full_keeps_matching_stored_results_unless_rebuild(monkeypatch, tmp_path):
    monkeypatch.setenv("MCGAN_RESULTS_DIR", str(tmp_path / "stored"))
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))
    setup = PLAIN_GAN_SETUP.replace(hidden_dim=8, d_hidden_dim=8, batch_size=16)
    tiny = {"ring_gan": dict(task="ring", method="gan", seeds=[0], steps=2, setup=setup)}
    monkeypatch.setattr(store, "chapter_sweeps", lambda chapter: tiny)
    monkeypatch.setitem(CHAPTERS, "99_tiny", None)
    assert main(["prebuild", "--chapter", "99_tiny", "--full"]) == 0
    (manifest,) = (tmp_path / "stored").glob("*.json")
    first = manifest.read_text()
    calls = []
    monkeypatch.setattr(store, "sweep", lambda **a: calls.append(a) or sweeps.sweep(**a))
    assert main(["prebuild", "--chapter", "99_tiny", "--full"]) == 0  # an interrupted build resumes here
    assert manifest.read_text() == first and calls[-1]["stored"] is True
    assert main(["prebuild", "--chapter", "99_tiny", "--full", "--rebuild"]) == 0
    assert calls[-1]["stored"] is False
    assert __import__("json").loads(manifest.read_text())["provenance"]["source"] in {"cache", "trained"}
