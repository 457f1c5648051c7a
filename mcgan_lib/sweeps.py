"""Sweeps: every (setting × seed) of a toy experiment trained as batched ensembles, cached on disk.

    table = sweep("ring", "ms", grid={"weight": [0.1, 1, 10]}, seeds=range(10))

returns a tidy pandas table, one row per member: the task, the method, one column per grid key, the
seed, the metrics of :func:`mcgan_lib.experiments.default_evaluate` (modes captured, high-quality
fraction, reverse KL; branches per condition for the conditional toy), ``diverged_at_step`` (NaN when
the member trained to the end), ``train_seconds`` (its ensemble's training time divided by the number
of members: the cost per member), ``samples`` (``keep_samples`` generated points, numpy) and, with
``keep_generators=True``, ``generator`` (the trained G, in eval mode). ``task`` is the name given, or
the data's ``name`` when a DataSource is passed.

- **Methods** (:data:`METHODS`): the plain GAN, GAN + ℓ2, MSGAN, HMGAN, the eight MR-GAN variants,
  Reg-GAN and MDGAN, each built by the library's regularizer classes with the defaults listed there.
- **Grid keys**: a regularizer setting of the method (``weight`` = λ; ``lambda_mode``,
  ``samples_per_input``, ``ere``, ...) or a training setting (``lr`` for both networks, ``lr_g``,
  ``lr_d``, ``weight_decay``, ``grad_clip``).
- **Batched**: members that differ only in seed, learning rates, weight decay, clipping or λ train as
  one :class:`~mcgan_lib.ensemble.EnsembleTrainer` (at most ``max_members`` at a time); a setting that
  changes shapes (K samples, ERE targets) starts another ensemble.
- **Seeding** as :mod:`mcgan_lib.experiments.multiseed`: seed s trains with ``TrainConfig(seed=s)``,
  G initialised from s and D from s + 10,000; a method's extra networks from s + 101, 202, 303.
- **Cache**: the table is stored under ``cache_dir`` (default ``$MCGAN_CACHE_DIR/sweeps``, else
  ``~/.cache/mcgan/sweeps``) in a file named by a hash of the whole configuration (task spec, method
  and its settings, grid, seeds, setup, steps, evaluation) and of the library (its version and a hash
  of the source files that can change a result: everything but the figures, widgets, CLI and
  reference tables), so a notebook re-run or a slider move reads it back, and any change of a setting
  or of the training code trains again. Writes are atomic. ``table.attrs["cache"]`` says ``"hit"`` or
  ``"miss"``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

import mcgan_lib
from mcgan_lib.data.base import DataSource
from mcgan_lib.data.conditional import BranchingConditional
from mcgan_lib.data.toy import TOY_TASKS
from mcgan_lib.ensemble import PER_MEMBER_SETTINGS, EnsembleTrainer, Member, _structure
from mcgan_lib.experiments.multiseed import _samples, default_evaluate
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP, ToySetup
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.validation import check_choice, check_int

TASKS = (*TOY_TASKS, "conditional")
TRAIN_GRID_KEYS = ("lr", "lr_g", "lr_d", "weight_decay", "grad_clip")
PREDICTOR_STEPS = 500
# Modules that cannot change a trained result: left out of the cache fingerprint, so editing a figure
# does not retrain every sweep.
PRESENTATION_MODULES = ("viz.py", "widgets.py", "cli.py", "__main__.py", "reference.py", "distributed.py")


def make_task(task: str | DataSource) -> DataSource:
    """A data source: one of :data:`TASKS` by name (``conditional`` is the two-branch toy), or ``task`` itself."""
    if isinstance(task, DataSource):
        return task
    check_choice("task", task, TASKS)
    return BranchingConditional() if task == "conditional" else TOY_TASKS[task]()


# ---------------------------------------------------------------------------------------------- methods
@dataclass(frozen=True)
class Method:
    """A named regularizer recipe: ``build(data, setup, seed, **settings)`` -> Regularizer or None."""

    name: str
    label: str
    build: Callable[..., Regularizer | None]
    defaults: Mapping
    conditional: bool = True  # False: the method needs unconditional data


def _plain(data, setup, seed):
    return None


def _reconstruction(data, setup, seed, weight, p):
    from mcgan_lib.regularizers.reconstruction import Reconstruction

    return Reconstruction(weight, p=p)


def _mode_seeking(data, setup, seed, weight, reduction):
    from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer

    return ModeSeekingRegularizer(weight, reduction=reduction)


def _hierarchical(data, setup, seed, weight, ere, pairs):
    from mcgan_lib.regularizers.hierarchical import HierarchicalModeRegularizer

    return HierarchicalModeRegularizer(weight, ere=ere, pairs=pairs)


_PREDICTORS: dict[tuple[str, int], dict] = {}


def _predictors(data: DataSource, steps: int) -> dict:
    """The frozen Gaussian and Laplace predictors of a task (fitted once per task spec and step count)."""
    from mcgan_lib.experiments.moment_reconstruction import fit_predictors

    key = (json.dumps(_jsonable(data.spec()), sort_keys=True, default=str), steps)
    if key not in _PREDICTORS:
        _PREDICTORS[key] = fit_predictors(data, steps=steps, seed=0)
    return _PREDICTORS[key]


def _moment_reconstruction(variant):
    def build(data, setup, seed, weight, samples_per_input, predictor_steps=PREDICTOR_STEPS):
        from mcgan_lib.regularizers.moment_reconstruction import MomentReconstruction, parse_variant

        distribution, moments, proxy = parse_variant(variant)
        predictor = None
        if proxy:  # one frozen predictor per task (seed 0), shared by every member: a fixed target
            steps = check_int("predictor_steps", predictor_steps, minimum=1)
            predictor = _predictors(data, steps)[distribution]
        return MomentReconstruction(weight, samples_per_input, distribution, moments, predictor)

    return build


def _mode_regularized(method):
    def build(data, setup, seed, weight, lambda_mode=0.5):
        from mcgan_lib.experiments.mode_regularized import build_regularizer

        return build_regularizer(
            method, data.data_dim, setup.latent_dim, hidden_dim=setup.hidden_dim, lambda_geometric=weight,
            lambda_mode=lambda_mode, seed=seed,
        )

    return build


def _methods() -> dict[str, Method]:
    from mcgan_lib.regularizers.moment_reconstruction import VARIANTS

    methods = [
        Method("gan", "GAN", _plain, {}),
        Method("gan_l2", "GAN + ℓ2", _reconstruction, {"weight": 1.0, "p": 2}),
        Method("ms", "MSGAN", _mode_seeking, {"weight": 1.0, "reduction": "batch"}),
        Method("hm", "HMGAN", _hierarchical, {"weight": 1.0, "ere": 0.0, "pairs": "batch"}),
    ]
    for variant in VARIANTS:
        label = variant.replace("gaussian", "Gaussian").replace("laplace", "Laplace").replace("_", " ").replace("mr", "MR")
        defaults = {"weight": 1.0, "samples_per_input": 8}
        if "proxy" in variant:
            defaults["predictor_steps"] = PREDICTOR_STEPS
        methods.append(Method(variant, label, _moment_reconstruction(variant), defaults))
    methods += [
        Method("reg_gan", "Reg-GAN", _mode_regularized("reg_gan"), {"weight": 0.5, "lambda_mode": 0.5}, conditional=False),
        Method("mdgan", "MDGAN", _mode_regularized("mdgan"), {"weight": 0.5}, conditional=False),
    ]
    return {m.name: m for m in methods}


METHODS: dict[str, Method] = _methods()


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


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def cache_key(description: dict) -> str:
    text = json.dumps(_jsonable(description), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _write_atomic(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- sweep
def _grid_settings(grid: Mapping | None, method: Method) -> list[dict]:
    grid = dict(grid or {})
    allowed = set(method.defaults) | set(TRAIN_GRID_KEYS)
    for key, values in grid.items():
        if key not in allowed:
            raise ValueError(
                f"grid key {key!r} is not a setting of method {method.name!r}; allowed: {sorted(allowed)}"
            )
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"grid[{key!r}] must be a list of values, got {values!r}")
        if len(list(values)) == 0:
            raise ValueError(f"grid[{key!r}] is empty; give at least one value")
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(grid[k]) for k in keys))]


def _member(data, method: Method, setup: ToySetup, steps: int, options: dict, setting: dict, seed: int) -> Member:
    train = {k: v for k, v in setting.items() if k in TRAIN_GRID_KEYS}
    if "lr" in train:
        lr = train.pop("lr")
        train.setdefault("lr_g", lr)
        train.setdefault("lr_d", lr)
    settings = {**method.defaults, **options, **{k: v for k, v in setting.items() if k not in TRAIN_GRID_KEYS}}
    generator, discriminator = setup.networks(data, seed)
    config = setup.train_config(seed, steps, log_every=max(1, steps // 50) if steps else 1, **train)
    return Member(generator, discriminator, config, method.build(data, setup, seed, **settings))


def _group_key(member: Member) -> str:
    config = {k: v for k, v in member.config.to_dict().items() if k not in PER_MEMBER_SETTINGS}
    structure = _structure(member.regularizer) if member.regularizer is not None else {}
    return json.dumps(_jsonable({"config": config, "regularizer": structure}), sort_keys=True, default=str)


def sweep(
    task: str | DataSource,
    method: str = "gan",
    grid: Mapping | None = None,
    seeds: Iterable[int] = (0,),
    setup: ToySetup | None = None,
    steps: int | None = None,
    method_options: Mapping | None = None,
    n_eval_samples: int = 2500,
    keep_samples: int = 500,
    keep_generators: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    max_members: int = 64,
    progress: bool = False,
) -> pd.DataFrame:
    """Train ``method`` on ``task`` for every grid setting × seed (batched) and return the tidy table.

    ``setup`` (default chapter 01's ``PLAIN_GAN_SETUP``) gives networks and optimiser; ``steps`` None
    uses its full- or quick-mode count. ``method_options`` fixes method settings outside the grid.
    See the module docstring for the columns and the cache.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    spec = METHODS[method]
    data = make_task(task)
    if data.condition_dim and not spec.conditional:
        raise ValueError(f"method {method!r} needs unconditional data; task {task!r} is conditional")
    seeds = [check_int("seeds[i]", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty list")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    setup = PLAIN_GAN_SETUP if setup is None else setup
    if not isinstance(setup, ToySetup):
        raise ValueError(f"setup must be a ToySetup, got {type(setup).__name__}")
    steps = setup.default_steps() if steps is None else check_int("steps", steps, minimum=0)
    options = dict(method_options or {})
    unknown = set(options) - set(spec.defaults)
    if unknown:
        raise ValueError(f"method_options {sorted(unknown)} are not settings of {method!r}; allowed: {sorted(spec.defaults)}")
    n_eval_samples = check_int("n_eval_samples", n_eval_samples, minimum=1)
    keep_samples = check_int("keep_samples", keep_samples, minimum=0)
    max_members = check_int("max_members", max_members, minimum=1)
    settings = _grid_settings(grid, spec)
    task_name = task if isinstance(task, str) else getattr(data, "name", type(data).__name__)
    description = {
        "task_name": task_name, "task": data.spec(), "task_class": type(data).__name__, "method": method,
        "settings": {**spec.defaults, **options}, "grid": dict(grid or {}), "seeds": seeds,
        "setup": dataclasses.asdict(setup), "steps": steps, "n_eval_samples": n_eval_samples,
        "keep_samples": keep_samples, "keep_generators": bool(keep_generators), "library": library_fingerprint(),
    }
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / f"{method}-{cache_key(description)}.pkl"
    if cache and path.exists():
        try:
            with open(path, "rb") as handle:
                table = pickle.load(handle)
            table.attrs.update(cache="hit", cache_path=str(path))
            return table
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass  # a damaged cache file is recomputed and replaced
    table = _train_sweep(data, spec, setup, steps, options, settings, seeds, n_eval_samples, keep_samples,
                         bool(keep_generators), max_members, progress)
    table.insert(0, "task", task_name)
    table.insert(1, "method", method)
    table.attrs.update(cache="miss", cache_path=str(path) if cache else None)
    if cache:
        _write_atomic(table, path)
    return table


def _train_sweep(data, spec, setup, steps, options, settings, seeds, n_eval_samples, keep_samples, keep_generators,
                 max_members, progress) -> pd.DataFrame:
    jobs = [(setting, seed) for setting in settings for seed in seeds]
    members = [_member(data, spec, setup, steps, options, setting, seed) for setting, seed in jobs]
    groups: dict[str, list[int]] = {}
    for index, member in enumerate(members):
        groups.setdefault(_group_key(member), []).append(index)
    rows: list[dict | None] = [None] * len(jobs)
    for indices in groups.values():
        for start in range(0, len(indices), max_members):
            chunk = indices[start:start + max_members]
            ensemble = EnsembleTrainer(data, [members[i] for i in chunk], progress=progress)
            began = time.perf_counter()
            ensemble.train()
            seconds = (time.perf_counter() - began) / len(chunk)
            for position, index in enumerate(chunk):
                setting, seed = jobs[index]
                diverged = ensemble.diverged_at[position]
                generator = ensemble.generator(position)
                metrics = default_evaluate(generator, data, n_eval_samples)
                if diverged is not None:  # its last finite weights are not a trained model: no scores
                    metrics = {key: float("nan") for key in metrics}
                row = {**setting, "seed": seed, **metrics,
                       "diverged_at_step": float("nan") if diverged is None else diverged, "train_seconds": seconds}
                if keep_samples:
                    row["samples"] = _samples(generator, data, keep_samples) if diverged is None else None
                if keep_generators:
                    row["generator"] = generator.eval()
                rows[index] = row
    return pd.DataFrame(rows)



# ---------------------------------------------------------------------------------------------- comparison
COMPARISON_TASKS = ("ring", "grid", "imbalanced_ring", "conditional")
COVERAGE_COLUMN = {"branches_per_condition": "branches", "modes_captured": "modes"}


def compare(
    tasks: Iterable[str] = COMPARISON_TASKS,
    methods: Iterable[str] = tuple(METHODS),
    seeds: Iterable[int] = range(10),
    **sweep_kwargs,
) -> pd.DataFrame:
    """:func:`sweep` of every method (its default settings) on every task, as one table.

    Adds ``label`` (the method's display name), ``coverage`` (modes captured, or branches per
    condition for the conditional toy) and ``coverage_max`` (the task's modes or branches). A method
    that needs unconditional data is skipped on the conditional toy (``table.attrs["skipped"]``).
    """
    tables, skipped = [], []
    seeds = list(seeds)
    for task in tasks:
        data = make_task(task)
        best = data.n_modes if hasattr(data, "n_modes") else data.n_branches
        for method in methods:
            if method not in METHODS:
                raise ValueError(f"methods must be among {sorted(METHODS)}, got {method!r}")
            if data.condition_dim and not METHODS[method].conditional:
                skipped.append((task, method))
                continue
            table = sweep(task, method, seeds=seeds, **sweep_kwargs)
            coverage = "modes_captured" if "modes_captured" in table else "branches_per_condition"
            tables.append(table.assign(
                label=METHODS[method].label, coverage=table[coverage], coverage_max=best,
            ))
    if not tables:
        raise ValueError(
            f"compare has nothing to run: every requested method needs unconditional data and every task is "
            f"conditional (skipped {skipped}); add an unconditional task or another method"
        )
    result = pd.concat(tables, ignore_index=True)
    result.attrs["skipped"] = skipped
    return result


def summary_table(table: pd.DataFrame, metrics=("coverage", "high_quality_fraction", "reverse_kl"), digits: int = 2) -> pd.DataFrame:
    """"mean ± std" (sample std over seeds) of ``metrics`` per (task, method) of a :func:`compare` table,
    with the seed count and the diverged-run count; rows keep the order of the table."""
    rows = []
    for (task, label), group in table.groupby(["task", "label"], sort=False):
        row = {"task": task, "method": label}
        for metric in metrics:
            values = group[metric].dropna()
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            row[metric] = f"{values.mean():.{digits}f} ± {std:.{digits}f}" if len(values) else "—"
        row["seeds"] = len(group)
        row["diverged"] = int(group["diverged_at_step"].notna().sum())
        rows.append(row)
    return pd.DataFrame(rows)
