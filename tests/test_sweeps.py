"""sweep(): tidy table, member i equals the single run, cache hit / miss / invalidation, clear errors."""

import json

import numpy as np
import pandas as pd
import pytest

import mcgan_lib.sweeps as sweeps
from mcgan_lib.data.toy import ring
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.methods import METHODS
from mcgan_lib.sweeps import compare, summarize, summary_table, sweep

SETUP = PLAIN_GAN_SETUP.replace(latent_dim=4, hidden_dim=16, d_hidden_dim=16, batch_size=64)
STEPS = 20


def small_sweep(tmp_path, **kwargs):
    arguments = dict(seeds=[0, 1], setup=SETUP, steps=STEPS, cache_dir=tmp_path, keep_samples=10, n_eval_samples=300)
    arguments.update(kwargs)
    return sweep(arguments.pop("task", "ring"), arguments.pop("method", "ms"), **arguments)


def test_table_is_tidy_one_row_per_member(tmp_path):
    table = small_sweep(tmp_path, grid={"weight": [0.5, 2.0], "lr": [1e-3, 3e-4]})
    assert len(table) == 2 * 2 * 2
    assert list(table.columns[:5]) == ["task", "method", "weight", "lr", "seed"]
    assert {"modes_captured", "high_quality_fraction", "reverse_kl", "diverged_at_step", "samples"} <= set(table)
    assert table[["weight", "lr", "seed"]].drop_duplicates().shape[0] == 8
    assert table.samples.iloc[0].shape == (10, 2)
    assert table.diverged_at_step.isna().all()


def test_rows_equal_single_runs(tmp_path):
    """The batched sweep gives the metrics of the sequential engine (one Trainer per member)."""
    table = small_sweep(tmp_path, grid={"weight": [0.5]})
    single = small_sweep(tmp_path, grid={"weight": [0.5]}, engine="sequential", cache=False)
    assert table.modes_captured.tolist() == single.modes_captured.tolist()
    assert np.allclose(table.reverse_kl, single.reverse_kl, atol=1e-4)
    assert np.allclose(np.stack(table.samples), np.stack(single.samples), atol=1e-4)


def test_cache_hit_miss_and_invalidation(tmp_path, monkeypatch):
    first = small_sweep(tmp_path)
    assert first.attrs["cache"] == "miss"
    again = small_sweep(tmp_path)
    assert again.attrs["cache"] == "hit"
    pd.testing.assert_frame_equal(first.drop(columns="samples"), again.drop(columns="samples"))
    assert all(np.array_equal(a, b) for a, b in zip(first.samples, again.samples))
    assert small_sweep(tmp_path, steps=STEPS + 1).attrs["cache"] == "miss"  # a changed setting
    assert small_sweep(tmp_path, grid={"weight": [1.0]}).attrs["cache"] == "miss"  # a changed grid
    assert small_sweep(tmp_path, seeds=[0, 2]).attrs["cache"] == "miss"  # changed seeds
    monkeypatch.setattr(sweeps, "library_fingerprint", lambda: "0.1.0+changed-code")
    assert small_sweep(tmp_path).attrs["cache"] == "miss"  # the library changed
    assert len(list(tmp_path.glob("*.json"))) == 5
    assert not list(tmp_path.glob("*.pkl"))  # data-only files: CSV, npz and a JSON manifest


@pytest.mark.parametrize("damage", ["csv", "npz", "json", "delete npz"])
def test_cache_off_and_damaged_files_are_recomputed(tmp_path, damage):
    table = small_sweep(tmp_path, cache=False)
    assert table.attrs["cache"] == "miss" and not list(tmp_path.iterdir())
    first = small_sweep(tmp_path)
    (manifest,) = tmp_path.glob("*.json")
    target = manifest.with_suffix("." + damage.split()[-1])
    if damage.startswith("delete"):
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped byte inside the file
        target.write_bytes(bytes(data))
    again = small_sweep(tmp_path)
    assert again.attrs["cache"] == "miss"  # recomputed and replaced
    assert small_sweep(tmp_path).attrs["cache"] == "hit"
    assert again.modes_captured.tolist() == first.modes_captured.tolist()


def test_a_foreign_or_planted_entry_is_never_taken_as_a_hit(tmp_path):
    """A manifest copied from another configuration, or a pickle planted under the entry's name, is not
    read as this sweep's table (and nothing in the folder is unpickled)."""
    import pickle

    small_sweep(tmp_path, grid={"weight": [2.0]})
    (other,) = tmp_path.glob("*.json")
    first = small_sweep(tmp_path)
    stem = first.attrs["cache_path"]
    for suffix in (".json", ".csv", ".npz"):
        (tmp_path / f"{other.stem}{suffix}").replace(f"{stem}{suffix}")  # another table under this name
    assert small_sweep(tmp_path).attrs["cache"] == "miss"

    class Planted:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled')",))

    with open(f"{stem}.npz", "wb") as handle:
        pickle.dump(Planted(), handle)
    document = json.loads(open(f"{stem}.json").read())
    assert small_sweep(tmp_path).attrs["cache"] == "miss" and document["format"] == 1


def test_an_unwritable_cache_warns_and_still_returns_the_table(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="not writable"):
        table = small_sweep(blocked / "cache")
    assert len(table) == 2 and table.attrs["cache_path"] is None


def test_stored_results_are_read_for_their_exact_configuration(tmp_path, monkeypatch):
    from mcgan_lib.tables import write_table

    monkeypatch.setenv("MCGAN_RESULTS_DIR", str(tmp_path / "stored"))
    trained = small_sweep(tmp_path / "cache")
    description = trained.attrs["description"]
    stem = sweeps.stored_stem("ms", description)
    write_table(
        trained.assign(modes_captured=7.0), stem, sweeps.stored_description(description), provenance={"commit": "abc"}
    )
    stored = small_sweep(tmp_path / "cache")
    assert stored.attrs["source"] == "stored" and stored.attrs["provenance"] == {"commit": "abc"}
    assert (stored.modes_captured == 7.0).all()
    assert small_sweep(tmp_path / "cache", stored=False).attrs["source"] == "cache"
    assert small_sweep(tmp_path / "cache", steps=STEPS + 1).attrs["source"] == "trained"  # another configuration
    monkeypatch.setattr(sweeps, "library_fingerprint", lambda: "0.1.0+changed-code")
    assert small_sweep(tmp_path / "cache").attrs["source"] == "stored"  # provenance, not part of the match


def test_shape_changing_settings_train_as_separate_ensembles(tmp_path):
    table = small_sweep(tmp_path, method="gaussian_mr2", grid={"samples_per_input": [2, 4]}, seeds=[0])
    assert table.samples_per_input.tolist() == [2, 4]
    assert table.modes_captured.notna().all()


def test_library_fingerprint_changes_with_the_source():
    fingerprint = sweeps.library_fingerprint()
    assert fingerprint.startswith("0.") and "+" in fingerprint


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "nope"}, "method must be one of"),
        ({"task": "moon"}, "task must be one of"),
        ({"grid": {"alpha": [1]}}, "grid key 'alpha' is not a setting of method 'ms'; allowed"),
        ({"grid": {"weight": []}}, r"grid\['weight'\] is empty"),
        ({"grid": {"weight": 1.0}}, r"grid\['weight'\] must be a list"),
        ({"seeds": []}, "seeds must hold at least one seed"),
        ({"seeds": [1, 1]}, "seeds must be distinct"),
        ({"seeds": [-1]}, r"seeds\[i\] must be >= 0"),
        ({"method": "reg_gan", "task": "conditional"}, "needs unconditional data"),
        ({"method_options": {"zeta": 1}}, "method_options"),
        ({"grid": {"weight": [-1.0]}}, "weight must be >= 0"),
        ({"engine": "gpu"}, "engine must be one of"),
    ],
)
def test_errors_name_the_argument(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_sweep(tmp_path, **kwargs)


def test_every_method_has_a_label_and_a_weight():
    for name, method in METHODS.items():
        assert method.label
        assert "weight" in method.defaults or name == "gan"


def test_summarize_uses_sample_std_skips_nan_and_counts_divergence():
    table = pd.DataFrame(
        {
            "method": ["a"] * 4,
            "seed": [0, 1, 2, 3],
            "modes_captured": [1.0, 2.0, 3.0, np.nan],
            "diverged_at_step": [np.nan, np.nan, np.nan, 7],
        }
    )
    row = summarize(table).loc["a"]
    assert row.modes_captured == "2.00 ± 1.00" and row.seeds == 4 and row.diverged == 1
    one = summarize(table.iloc[:1], digits=1).loc["a"]
    assert one.modes_captured == "1.0 ± 0.0"
    assert summarize(table.iloc[3:]).loc["a", "modes_captured"] == "—"


def test_sequential_engine_trains_what_an_ensemble_cannot(tmp_path):
    """A network with batch statistics cannot be batched: "auto" trains it one by one, "ensemble" refuses."""
    import torch

    class NormedSetup(type(SETUP)):
        def networks(self, data, seed):
            generator, discriminator = super().networks(data, seed)
            generator.hidden[0].append(torch.nn.BatchNorm1d(self.hidden_dim))
            return generator, discriminator

    setup = NormedSetup(**{f: getattr(SETUP, f) for f in SETUP.__dataclass_fields__})
    table = small_sweep(tmp_path, setup=setup, method="gan", cache=False)
    assert len(table) == 2 and table.diverged_at_step.isna().all()
    with pytest.raises(ValueError, match="BatchNorm1d keeps batch statistics"):
        small_sweep(tmp_path, setup=setup, method="gan", cache=False, engine="ensemble")


def test_compare_and_summary(tmp_path):
    table = compare(
        ["ring", "conditional"],
        ["gan", "ms", "reg_gan"],
        seeds=[0, 1],
        setup=SETUP,
        steps=5,
        cache_dir=tmp_path,
        keep_samples=0,
        n_eval_samples=200,
    )
    assert table.attrs["skipped"] == [("conditional", "reg_gan")]
    assert set(table.label) == {"GAN", "MSGAN", "Reg-GAN"}
    assert (table[table.task == "ring"].coverage_max == 8).all()
    assert (table[table.task == "conditional"].coverage_max == 2).all()
    summary = summary_table(table)
    assert len(summary) == 5 and (summary.seeds == 2).all()
    assert summary.coverage.str.contains("±").all()


def test_keep_generators_gives_the_trained_networks(tmp_path):
    table = small_sweep(tmp_path, keep_generators=True, seeds=[0])
    generator = table.generator.iloc[0]
    assert not generator.training
    samples = sweeps.stored_samples(generator, ring(), 10)
    assert np.allclose(samples, table.samples.iloc[0], atol=1e-6)
    assert small_sweep(tmp_path, keep_generators=True, seeds=[0]).attrs["cache"] == "hit"


def test_default_cache_dir_follows_the_library_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path))
    assert sweeps.default_cache_dir() == tmp_path / "sweeps"
    monkeypatch.delenv("MCGAN_CACHE_DIR")
    assert sweeps.default_cache_dir().parts[-3:] == (".cache", "mcgan", "sweeps")


def test_proxy_predictor_steps_is_a_setting(tmp_path):
    table = small_sweep(
        tmp_path,
        method="gaussian_proxy_mr2",
        grid={"predictor_steps": [5]},
        method_options={"samples_per_input": 2},
        seeds=[0],
        steps=3,
    )
    assert table.predictor_steps.tolist() == [5]
    with pytest.raises(ValueError, match="predictor_steps must be >= 1"):
        small_sweep(tmp_path, method="gaussian_proxy_mr2", grid={"predictor_steps": [0]}, seeds=[0], steps=3)


def test_compare_takes_seeds_per_task(tmp_path):
    kwargs = dict(setup=SETUP, steps=2, cache_dir=tmp_path, keep_samples=0, n_eval_samples=100)
    table = compare(["ring", "grid"], ["gan"], seeds={"ring": [0, 1, 2], "grid": [4]}, **kwargs)
    assert table.groupby("task").seed.apply(list).to_dict() == {"grid": [4], "ring": [0, 1, 2]}
    with pytest.raises(ValueError, match=r"seeds has no entry for tasks \['grid'\]"):
        compare(["ring", "grid"], ["gan"], seeds={"ring": [0]}, **kwargs)


def test_compare_with_nothing_to_run_says_so(tmp_path):
    with pytest.raises(ValueError, match="compare has nothing to run"):
        compare(["conditional"], ["reg_gan"], seeds=[0], cache_dir=tmp_path)
    with pytest.raises(ValueError, match="methods\\[i\\] must be one of"):
        compare(["ring"], ["nope"], seeds=[0], cache_dir=tmp_path)


def test_a_member_whose_optimiser_overflows_is_reported_diverged_by_both_engines(tmp_path):
    """λ = 1e30 keeps the loss finite but overflows Adam: the row says diverged (no scores), not trained."""
    for engine in ("ensemble", "sequential"):
        table = small_sweep(tmp_path, grid={"weight": [1.0, 1e30]}, seeds=[0], cache=False, engine=engine)
        assert table.diverged_at_step.isna().tolist() == [True, False], engine
        assert table.modes_captured.isna().tolist() == [False, True], engine


def test_target_check_on_a_hand_made_table():
    import numpy as np
    import pandas as pd

    from mcgan_lib.sweeps import target_check

    table = pd.DataFrame(
        {
            "task": ["ring"] * 5,
            "label": ["GAN", "GAN", "MR", "MR", "MR"],
            "coverage": [2.0, 6.0, 8.0, 8.0, np.nan],
            "coverage_strict": [2.0, 5.0, 8.0, 7.0, np.nan],
            "coverage_max": [8] * 5,
            "high_quality_fraction": [0.9, 0.8, 0.6, 0.5, np.nan],
            "diverged_at_step": [np.nan, np.nan, np.nan, np.nan, 40.0],
        }
    )
    checked = target_check(table, "ring", coverage=7.5, high_quality=0.5)
    assert checked.loc["GAN"].tolist() == pytest.approx([4.0, 3.5, 0.85, 2, 2, 0, False, True])
    # the diverged seed has no score: means over the two others, and it is not counted as missing a mode
    assert checked.loc["MR"].tolist() == pytest.approx([8.0, 7.5, 0.55, 1, 3, 1, True, True])
    with pytest.raises(ValueError, match="high_quality"):
        target_check(table, "ring", coverage=7.5, high_quality=80)
    with pytest.raises(ValueError, match="coverage"):
        target_check(table, "ring", coverage=9, high_quality=0.5)
    with pytest.raises(ValueError, match="task must be one of"):
        target_check(table, "grid", coverage=7.5, high_quality=0.5)
