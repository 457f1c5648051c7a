"""Sweeps: the one multi-seed engine. Every (setting × seed) of a toy experiment, trained as batched
ensembles and cached on disk.

    table = sweep("ring", "ms", grid={"weight": [0.1, 1, 10]}, seeds=range(10))

returns a tidy pandas table, one row per member: the task, the method, one column per grid key, the
seed, the data's own metrics (:func:`mcgan_lib.tasks.evaluate`: modes captured, high-quality fraction, reverse KL;
branches per condition for the conditional toy), ``diverged_at_step`` (NaN when the member trained to
the end), ``train_seconds`` (its ensemble's training time divided by the number of members: the cost
per member), ``samples`` (``keep_samples`` generated points, numpy) and, with
``keep_generators=True``, ``generator`` (the trained G, in eval mode). ``task`` is the name given, or
the data's ``name`` when a DataSource is passed. :func:`summarize` turns any such table into
"mean ± std" per setting; :func:`compare` runs many methods on many tasks.

- **Methods**: the names of the registry :data:`mcgan_lib.methods.METHODS`, with their defaults.
- **Grid keys**: a setting of the method (``weight`` = λ; ``lambda_mode``, ``samples_per_input``,
  ``ere``, ...) or a training setting (``lr`` for both networks, ``lr_g``, ``lr_d``,
  ``weight_decay``, ``grad_clip``).
- **Batched**: members that differ only in seed, learning rates, weight decay, clipping or λ train as
  one :class:`~mcgan_lib.ensemble.EnsembleTrainer` (at most ``max_members`` at a time); a setting that
  changes shapes (K samples, ERE targets) starts another ensemble; what an ensemble cannot hold
  (batch norm) trains one by one with the :class:`~mcgan_lib.training.Trainer`.
- **Seeding**: seed s trains with ``TrainConfig(seed=s)``, networks from
  :meth:`~mcgan_lib.experiments.toy.ToySetup.networks` (G from s, D from s + 10,000) and a method's
  extra networks from s + :data:`mcgan_lib.methods.EXTRA_NETWORK_SEED_OFFSETS`.
- **Stored results**: a full-size result shipped with the library (``mcgan_lib/stored_results``,
  written by ``python -m mcgan_lib prebuild --full`` with its provenance) is read when its
  configuration is exactly the one asked for.
- **Cache**: otherwise the table is stored under ``cache_dir`` (default ``$MCGAN_CACHE_DIR/sweeps``,
  else ``~/.cache/mcgan/sweeps``) in data-only files (:mod:`mcgan_lib.tables`: CSV, ``.npz`` and a JSON
  manifest; kept generators as tensors loaded with ``weights_only``) named by a hash of the whole
  configuration (task spec, method and its settings, grid, seeds, setup, steps, evaluation) and of the
  library (its version and a hash of the source files that can change a result: everything but the
  figures, widgets, CLI and reference tables), so a notebook re-run or a slider move reads it back, and
  any change of a setting or of the training code trains again. A damaged or foreign entry is
  recomputed. ``table.attrs["source"]`` says ``"stored"``, ``"cache"`` or ``"trained"``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import mcgan_lib
from mcgan_lib.data.base import DataSource
from mcgan_lib.ensemble import PER_MEMBER_SETTINGS, EnsembleTrainer, Member, regularizer_structure, unbatchable_reason
from mcgan_lib.experiments.setup import ExperimentSetup
from mcgan_lib.methods import METHODS, comparison_methods, get_method, method_settings
from mcgan_lib.nets.base import generate
from mcgan_lib.runs import RunSpec, default_setup
from mcgan_lib.tables import canonical, read_table, write_table
from mcgan_lib.tasks import evaluate, make_task
from mcgan_lib.training import Trainer, TrainingDivergedError
from mcgan_lib.validation import check_choice, check_float, check_int

TRAIN_GRID_KEYS = ("lr", "lr_g", "lr_d", "weight_decay", "grad_clip")
ENGINES = ("auto", "ensemble", "sequential")
# Modules that cannot change a trained result: left out of the cache fingerprint, so editing a figure
# does not retrain every sweep.
PRESENTATION_MODULES = ("viz.py", "widgets.py", "cli.py", "__main__.py", "reference.py", "distributed.py", "book.py")


# ---------------------------------------------------------------------------------------------- cache
@functools.lru_cache(maxsize=1)
def library_fingerprint() -> str:
    """The library's version and a hash of its source files (but :data:`PRESENTATION_MODULES`): part of
    every cache key."""
    digest = hashlib.sha256()
    root = Path(mcgan_lib.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.name in PRESENTATION_MODULES:
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{mcgan_lib.__version__}+{digest.hexdigest()[:16]}"


def default_cache_dir() -> Path:
    """``$MCGAN_CACHE_DIR/sweeps`` (the library's cache folder), else ``~/.cache/mcgan/sweeps``."""
    return Path(os.environ.get("MCGAN_CACHE_DIR") or Path.home() / ".cache" / "mcgan") / "sweeps"


def cache_key(description: dict) -> str:
    return hashlib.sha256(json.dumps(canonical(description), sort_keys=True).encode()).hexdigest()[:24]


def stored_results_dir() -> Path:
    """``$MCGAN_RESULTS_DIR``, else the stored full-size results shipped with the library
    (``mcgan_lib/stored_results``, written by ``python -m mcgan_lib prebuild --full``)."""
    return Path(os.environ.get("MCGAN_RESULTS_DIR") or Path(mcgan_lib.__file__).parent / "stored_results")


def stored_description(description: dict) -> dict:
    """The part of a sweep's description that a stored result must match: the whole configuration,
    but not the library's fingerprint (a stored result keeps its commit and fingerprint as provenance)."""
    return {k: v for k, v in description.items() if k != "library"}


def stored_stem(method: str, description: dict) -> Path:
    """Where ``prebuild --full`` stores the result of the sweep with this ``description``."""
    return stored_results_dir() / f"{method}-{cache_key(stored_description(description))}"


def writable_folder(folder: Path) -> str | None:
    """None when files can be created in ``folder`` (made if missing), else the reason."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"{folder} is not writable ({error.strerror or error})"
    return None


def _save_generators(table: pd.DataFrame, path: Path) -> None:
    states = [{k: v.detach().cpu() for k, v in g.state_dict().items()} for g in table.generator]
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(states, tmp)
    os.replace(tmp, path)


def _load_generators(path: Path, data, setup: ExperimentSetup, seeds: list[int]) -> list | None:
    """The kept generators, rebuilt with ``setup`` and loaded as tensors only (``weights_only``)."""
    try:
        states = torch.load(path, map_location="cpu", weights_only=True)
        generators = []
        for state, seed in zip(states, seeds, strict=True):
            generator = setup.networks(data, seed)[0]
            generator.load_state_dict(state)
            generators.append(generator.eval())
        return generators
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, EOFError):
        return None


# ---------------------------------------------------------------------------------------------- sweep
def _grid_settings(grid: Mapping | None, method: str) -> list[dict]:
    grid = dict(grid or {})
    allowed = set(get_method(method).defaults) | set(TRAIN_GRID_KEYS)
    for key, values in grid.items():
        if key not in allowed:
            raise ValueError(f"grid key {key!r} is not a setting of method {method!r}; allowed: {sorted(allowed)}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"grid[{key!r}] must be a list of values, got {values!r}")
        if len(list(values)) == 0:
            raise ValueError(f"grid[{key!r}] is empty; give at least one value")
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(grid[k]) for k in keys))]


def run_spec(plan: SweepPlan, setting: dict, seed: int) -> RunSpec:
    """The run of one member: the sweep's method options overridden by its grid ``setting`` (training keys
    of :data:`TRAIN_GRID_KEYS` go to the TrainConfig, ``lr`` to both networks) with the seed."""
    train = {k: v for k, v in setting.items() if k in TRAIN_GRID_KEYS}
    if "lr" in train:
        lr = train.pop("lr")
        train.setdefault("lr_g", lr)
        train.setdefault("lr_d", lr)
    steps = plan.steps
    train["log_every"] = max(1, steps // 50) if steps else 1
    settings = {**plan.options, **{k: v for k, v in setting.items() if k not in TRAIN_GRID_KEYS}}
    return RunSpec(plan.data, plan.method, settings, plan.setup, seed, steps, train)


def _member(plan: SweepPlan, setting: dict, seed: int) -> Member:
    run = run_spec(plan, setting, seed).build(plan.data)
    return Member(run.generator, run.discriminator, run.config, run.regularizer)


def _group_key(member: Member) -> str:
    config = {k: v for k, v in member.config.to_dict().items() if k not in PER_MEMBER_SETTINGS}
    structure = regularizer_structure(member.regularizer) if member.regularizer is not None else {}
    return json.dumps(canonical({"config": config, "regularizer": structure}), sort_keys=True)


def stored_samples(generator, data: DataSource, n: int) -> np.ndarray:
    """``n`` samples of ``generator`` (latents of seed 0) as numpy rows (images flattened); for conditional
    data each row is the condition (from ``data.display_conditions``) followed by the sample."""
    condition = data.display_conditions(n, torch.Generator().manual_seed(0))
    out = generate(generator, n, seed=0, condition=condition).detach().cpu().reshape(n, -1)
    if condition is not None:
        out = torch.cat([condition.cpu(), out], dim=1)
    return out.numpy()


@dataclasses.dataclass
class SweepPlan:
    """A validated sweep: its data, members' settings, and the ``description`` that names its results."""

    data: DataSource
    method: str
    seeds: list[int]
    setup: ExperimentSetup
    steps: int
    options: dict
    settings: list[dict]
    description: dict

    @property
    def stored_stem(self) -> Path:
        return stored_stem(self.method, self.description)


def plan_sweep(
    task: str | DataSource,
    method: str = "gan",
    grid: Mapping | None = None,
    seeds: Iterable[int] = (0,),
    setup: ExperimentSetup | None = None,
    steps: int | None = None,
    method_options: Mapping | None = None,
    n_eval_samples: int = 2500,
    keep_samples: int = 500,
    keep_generators: bool = False,
) -> SweepPlan:
    """Check :func:`sweep`'s arguments (clear errors naming each) and describe the sweep, without training."""
    check_choice("method", method, METHODS)
    data = make_task(task)
    if data.condition_dim and not get_method(method).conditional:
        raise ValueError(f"method {method!r} needs unconditional data; task {task!r} is conditional")
    seeds = [check_int("seeds[i]", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty list")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    setup = default_setup(data) if setup is None else setup
    if not isinstance(setup, ExperimentSetup):
        raise ValueError(
            f"setup must be an ExperimentSetup (a ToySetup, ImageSetup or PairedSetup), got {type(setup).__name__}"
        )
    steps = setup.default_steps() if steps is None else check_int("steps", steps, minimum=0)
    options = dict(method_options or {})
    settings_in_force = method_settings(method, options, argument="method_options")
    n_eval_samples = check_int("n_eval_samples", n_eval_samples, minimum=1)
    keep_samples = check_int("keep_samples", keep_samples, minimum=0)
    settings = _grid_settings(grid, method)
    task_name = task if isinstance(task, str) else getattr(data, "name", type(data).__name__)
    description = canonical(
        {
            "task_name": task_name,
            "task": data.spec(),
            "task_class": type(data).__name__,
            "method": method,
            "settings": settings_in_force,
            "grid": dict(grid or {}),
            "seeds": seeds,
            "setup": dataclasses.asdict(setup),
            "steps": steps,
            "n_eval_samples": n_eval_samples,
            "keep_samples": keep_samples,
            "keep_generators": bool(keep_generators),
            "library": library_fingerprint(),
        }
    )
    return SweepPlan(data, method, seeds, setup, steps, options, settings, description)


def sweep(
    task: str | DataSource,
    method: str = "gan",
    grid: Mapping | None = None,
    seeds: Iterable[int] = (0,),
    setup: ExperimentSetup | None = None,
    steps: int | None = None,
    method_options: Mapping | None = None,
    n_eval_samples: int = 2500,
    keep_samples: int = 500,
    keep_generators: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    stored: bool = True,
    max_members: int = 64,
    engine: str = "auto",
    progress: bool = False,
) -> pd.DataFrame:
    """Train ``method`` on ``task`` for every grid setting × seed and return the tidy table.

    ``setup`` (default :func:`default_setup`: chapter 01's ``PLAIN_GAN_SETUP``, or a DCGAN for images)
    gives networks and optimiser; ``steps`` None uses its full- or quick-mode count. ``method_options``
    fixes method settings outside the grid.
    ``engine``: ``"ensemble"`` batches members (:class:`~mcgan_lib.ensemble.EnsembleTrainer`),
    ``"sequential"`` trains one :class:`~mcgan_lib.training.Trainer` per member (the same numbers up to
    float rounding, slower; for debugging), ``"auto"`` batches what can be batched. See the module
    docstring for the columns and the cache.

    Where the table comes from is in ``table.attrs["source"]``: ``"stored"`` (a full-size result shipped
    with the library for exactly this configuration; ``stored=False`` skips them; never used with
    ``keep_generators``, as no weights are stored), ``"cache"`` or ``"trained"``; ``attrs["provenance"]``
    says how a stored result was made, ``attrs["description"]`` what was asked for. A cache folder that
    cannot be written is reported with a warning before training, and the table is still returned.
    """
    check_choice("engine", engine, ENGINES)
    max_members = check_int("max_members", max_members, minimum=1)
    plan = plan_sweep(
        task, method, grid, seeds, setup, steps, method_options, n_eval_samples, keep_samples, keep_generators
    )
    table = _lookup_or_train(plan, bool(keep_generators), cache, cache_dir, stored, max_members, engine, progress)
    table.attrs["description"] = plan.description
    return table


def _lookup_or_train(plan: SweepPlan, keep_generators, cache, cache_dir, stored, max_members, engine, progress):
    data, method, setup, description = plan.data, plan.method, plan.setup, plan.description
    n_eval_samples, keep_samples = description["n_eval_samples"], description["keep_samples"]
    if stored and not keep_generators:
        table = read_table(plan.stored_stem, stored_description(description))
        if table is not None:
            table.attrs.update(source="stored", cache="stored", cache_path=None)
            return table
    stem = Path(cache_dir if cache_dir is not None else default_cache_dir()) / f"{method}-{cache_key(description)}"
    jobs = [(setting, seed) for setting in plan.settings for seed in plan.seeds]
    if cache:
        table = read_table(stem, description)
        generators = (
            _load_generators(Path(f"{stem}.generators.pt"), data, setup, [s for _, s in jobs])
            if (table is not None and keep_generators)
            else None
        )
        if table is not None and (generators is not None or not keep_generators):
            if keep_generators:
                table["generator"] = generators
            table.attrs.update(source="cache", cache="hit", cache_path=str(stem))
            return table
        problem = writable_folder(stem.parent)
        if problem:
            warnings.warn(f"sweep cache: {problem}; training without caching the result", stacklevel=3)
            cache = False
    members = [_member(plan, setting, seed) for setting, seed in jobs]
    rows = [None] * len(jobs)
    for chunk, trained in _train(data, members, engine, max_members, progress):
        for index, (generator, diverged, seconds) in zip(chunk, trained):
            setting, seed = jobs[index]
            metrics = evaluate(data, generator, n_eval_samples)
            if diverged is not None:  # its last finite weights are not a trained model: no scores
                metrics = {key: float("nan") for key in metrics}
            row = {
                **setting,
                "seed": seed,
                **metrics,
                "diverged_at_step": float("nan") if diverged is None else diverged,
                "train_seconds": seconds,
            }
            if keep_samples:
                row["samples"] = stored_samples(generator, data, keep_samples) if diverged is None else None
            if keep_generators:
                row["generator"] = generator.eval()
            rows[index] = row
    table = pd.DataFrame(rows)
    table.insert(0, "task", description["task_name"])
    table.insert(1, "method", method)
    table.attrs.update(source="trained", cache="miss", cache_path=str(stem) if cache else None)
    if cache:
        try:
            write_table(table.drop(columns="generator", errors="ignore"), stem, description)
            if keep_generators:
                _save_generators(table, Path(f"{stem}.generators.pt"))
        except OSError as error:
            warnings.warn(
                f"sweep cache: could not write {stem} ({error}); the table is returned uncached", stacklevel=3
            )
            table.attrs.update(cache_path=None)
    return table


def _train(data, members: list[Member], engine: str, max_members: int, progress: bool):
    """Train ``members``; yields ``(indices, [(generator, diverged_at or None, seconds per member), ...])``.

    Members that differ only in per-member settings share an ensemble of at most ``max_members``; the
    others (and every member under ``engine="sequential"``) train one by one with the ``Trainer``.
    """
    groups: dict[str, list[int]] = {}
    for index, member in enumerate(members):
        groups.setdefault(_group_key(member), []).append(index)
    for indices in groups.values():
        batched = engine != "sequential" and unbatchable_reason(members[indices[0]]) is None
        if engine == "ensemble" and not batched:
            raise ValueError(f"engine='ensemble' cannot train these members: {unbatchable_reason(members[indices[0]])}")
        size = max_members if batched else 1
        for start in range(0, len(indices), size):
            chunk = indices[start : start + size]
            yield chunk, (_train_ensemble if batched else _train_single)(data, [members[i] for i in chunk], progress)


def _train_ensemble(data, members: list[Member], progress: bool) -> list[tuple]:
    ensemble = EnsembleTrainer(data, members, progress=progress)
    began = time.perf_counter()
    ensemble.train()
    seconds = (time.perf_counter() - began) / len(members)
    return [(ensemble.generator(i), ensemble.diverged_at[i], seconds) for i in range(len(members))]


def _train_single(data, members: list[Member], progress: bool) -> list[tuple]:
    (member,) = members
    trainer = Trainer(
        data, member.generator, member.discriminator, member.config, member.regularizer, progress=progress
    )
    began = time.perf_counter()
    try:
        trainer.train()
        diverged = None
    except TrainingDivergedError:
        diverged = trainer.step + 1
    return [(trainer.generator, diverged, time.perf_counter() - began)]


# ---------------------------------------------------------------------------------------------- tables
COMPARISON_TASKS = ("ring", "grid", "imbalanced_ring", "conditional")


def compare(
    tasks: Iterable[str] = COMPARISON_TASKS,
    methods: Iterable[str] | None = None,
    seeds: Iterable[int] | Mapping[str, Iterable[int]] = range(10),
    **sweep_kwargs,
) -> pd.DataFrame:
    """:func:`sweep` of every method (its default settings; default: :func:`comparison_methods`) on
    every task, as one table. ``seeds`` is one list for every task or a mapping task -> seeds.

    Adds ``label`` (the method's display name), ``coverage`` (the data's ``coverage_metric``: modes
    captured, or branches per condition for the conditional toy), ``coverage_strict`` (the same by the
    stricter rule: modes covered) and ``coverage_max`` (their best value).
    A method that needs unconditional data is skipped on a conditional task (``table.attrs["skipped"]``).
    """
    tables, skipped = [], []
    tasks = list(tasks)
    if isinstance(seeds, Mapping):
        missing = [task for task in tasks if task not in seeds]
        if missing:
            raise ValueError(f"seeds has no entry for tasks {missing}; give seeds for every task in {tasks}")
        seeds_of = {task: list(seeds[task]) for task in tasks}
    else:
        seeds_of = dict.fromkeys(tasks, list(seeds))
    methods = comparison_methods() if methods is None else list(methods)
    for method in methods:
        check_choice("methods[i]", method, METHODS)
    for task in tasks:
        data = make_task(task)
        for method in methods:
            if data.condition_dim and not METHODS[method].conditional:
                skipped.append((task, method))
                continue
            table = sweep(task, method, seeds=seeds_of[task], **sweep_kwargs)
            tables.append(
                table.assign(
                    label=METHODS[method].label,
                    coverage=table[data.coverage_metric],
                    coverage_strict=table[data.strict_coverage_metric],
                    coverage_max=data.full_coverage,
                )
            )
    if not tables:
        raise ValueError(
            f"compare has nothing to run: every requested method needs unconditional data and every task is "
            f"conditional (skipped {skipped}); add an unconditional task or another method"
        )
    result = pd.concat(tables, ignore_index=True)
    result.attrs["skipped"] = skipped
    return result


NOT_METRICS = {
    "task",
    "method",
    "label",
    "seed",
    "setting",
    "samples",
    "generator",
    "train_seconds",
    "diverged_at_step",
    "coverage_max",
}


def summarize(
    table: pd.DataFrame, by: str | Sequence[str] = "method", metrics: Sequence[str] | None = None, digits: int = 2
) -> pd.DataFrame:
    """ "mean ± std" (sample std, ddof=1; 0 for one seed) of each metric per group of ``by``, skipping
    diverged runs' NaN scores ("—" when a group has none), with the seed count and, for a sweep table,
    the number of diverged runs. ``metrics`` None: every numeric column but the bookkeeping ones."""
    keys = [by] if isinstance(by, str) else list(by)
    if metrics is None:
        metrics = [
            c for c in table.columns if c not in NOT_METRICS | set(keys) and pd.api.types.is_numeric_dtype(table[c])
        ]
    grouped = table.groupby(keys if len(keys) > 1 else keys[0], sort=False)
    out = pd.DataFrame(index=grouped.size().index)
    for metric in metrics:
        out[metric] = [
            f"{v.mean():.{digits}f} ± {(v.std(ddof=1) if len(v) > 1 else 0.0):.{digits}f}" if len(v) else "—"
            for v in (values.dropna() for _, values in grouped[metric])
        ]
    out["seeds"] = grouped.size()
    if "diverged_at_step" in table:
        out["diverged"] = grouped["diverged_at_step"].count()
    return out


def summary_table(
    table: pd.DataFrame, metrics=("coverage", "coverage_strict", "high_quality_fraction", "reverse_kl"), digits: int = 2
) -> pd.DataFrame:
    """:func:`summarize` of a :func:`compare` table per (task, method label), as plain columns."""
    return summarize(table, ["task", "label"], list(metrics), digits).reset_index().rename(columns={"label": "method"})


def target_check(table: pd.DataFrame, task: str, coverage: float, high_quality: float) -> pd.DataFrame:
    """Per method of a :func:`compare` table on ``task``: the mean coverage (both counts) and HQ fraction
    over the seeds that did not diverge, the seeds missing a mode by the strict count, and whether the
    method meets the targets (``covers``: mean coverage >= ``coverage``; ``sharp``: mean HQ fraction >=
    ``high_quality``). Chapter 07 prints its findings from this table, so its prose cannot drift."""
    check_choice("task", task, sorted(table.task.unique()))
    check_float("high_quality", high_quality, minimum=0.0, maximum=1.0)
    rows = table[table.task == task]
    check_float("coverage", coverage, minimum=0.0, maximum=float(rows.coverage_max.iloc[0]))
    grouped = rows.groupby("label", sort=False)
    out = pd.DataFrame(
        {
            "coverage": grouped.coverage.mean(),
            "coverage_strict": grouped.coverage_strict.mean(),
            "high_quality_fraction": grouped.high_quality_fraction.mean(),
            "seeds_missing_a_mode": grouped.apply(
                lambda g: int((g.coverage_strict.dropna() < g.coverage_max.iloc[0]).sum()), include_groups=False
            ),
            "seeds": grouped.size(),
            "diverged": grouped.diverged_at_step.count(),
        }
    )
    out["covers"] = out.coverage >= coverage
    out["sharp"] = out.high_quality_fraction >= high_quality
    return out
