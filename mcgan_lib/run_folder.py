"""The folder of one ``train`` run: ``run.json``, the lock, resume, the checkpoints and the outputs.

:mod:`mcgan_lib.cli` parses the command line; this module takes the parsed arguments, records them in
``run.json`` (so ``--resume`` rebuilds the same run), turns them into one :class:`~mcgan_lib.runs.RunSpec`
with the command line's ``spec_of(arguments, device, world_size)`` (which returns the spec and, for a
full-size image task, its :class:`~mcgan_lib.experiments.full_size.FullSizeRun`, else None), and trains
it: alone, or in every process of ``torchrun`` (:mod:`mcgan_lib.distributed`). See the CLI's docstring for
the folder's files and the rules of ``--out`` and ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mcgan_lib.checkpoint import CHECKPOINT_NAME, CheckpointError
from mcgan_lib.config import resolve_device
from mcgan_lib.experiments.full_size import TASK_CONFIGURATIONS
from mcgan_lib.locks import FolderInUseError, FolderLock, FolderNotWritableError
from mcgan_lib.runs import RunSpec
from mcgan_lib.tasks import evaluate
from mcgan_lib.training import EvaluateEvery, Trainer, TrainingDivergedError, TrainingInterrupted

RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
# The only flags that may accompany --resume: they change how the run continues, never what it trains.
RESUME_FLAGS = ("steps", "progress", "no_figures", "device", "checkpoint_every", "eval_every", "data_root")
# Arguments added after run.json files were first written: an older run.json lacks them and gets these values.
LATER_ARGUMENTS = {"size": "full", "data_root": None}
# Toy settings that an image task takes from its full configuration unless they are given.
IMAGE_SETUP_FLAGS = ("lr", "batch_size", "latent_dim", "optimizer")
PAIRED_IMAGE_TASKS = tuple(TASK_CONFIGURATIONS)  # trained with their configuration in experiments.full_size
# arguments, device, world size -> the run and, for a full-size image task, its FullSizeRun (else None)
SpecOf = Callable[[dict, str, int], tuple[RunSpec, object]]


def _write_outputs(trainer: Trainer, data, out: Path, figures: bool) -> dict:
    from mcgan_lib.distributed import unwrap

    generator = unwrap(trainer.generator)
    metrics = {"step": trainer.step, **evaluate(data, generator), "history": trainer.history.state_dict()}
    tmp = out / "metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2, allow_nan=True))
    tmp.replace(out / "metrics.json")
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from mcgan_lib.viz import gan_lab_figure, plot_history

        (out / "figures").mkdir(exist_ok=True)
        if data.condition_dim == 0:  # the GAN-Lab view is drawn in the data's plane
            gan_lab_figure(generator, unwrap(trainer.discriminator), data, title=f"step {trainer.step}").savefig(
                out / "figures" / "gan_lab.png"
            )
        plot_history(trainer.history).savefig(out / "figures" / "history.png")
    return metrics


SAMPLES_FIGURE = "samples.png"
SAMPLES_CAPTION = "rows: test inputs; columns: the input, its target, then G(x, z) for 8 latents (seed 0)"


def _write_image_outputs(trainer: Trainer, data, out: Path, figures: bool, run, context: dict) -> dict:
    """``metrics.json`` (the last evaluation, at the final step, and how the run was made) and the figures."""
    from mcgan_lib.distributed import unwrap

    generator = unwrap(trainer.generator)
    last = trainer.history.last("eval") if "eval" in trainer.history else {}
    if last.get("step") != trainer.step:
        last = {"step": trainer.step, **evaluate(data, generator, run.eval_samples)}
    scores = {k: v for k, v in last.items() if k != "step"}
    result = {
        "step": trainer.step,
        "task": run.task,
        "method": run.method,
        "metrics": scores,
        **context,
        "configuration": run.describe(trainer.config.seed, trainer.config.steps, context["world_size"]),
        "figures": {SAMPLES_FIGURE: SAMPLES_CAPTION} if figures else {},
        "history": trainer.history.state_dict(),
    }
    tmp = out / f"{METRICS_FILE}.tmp"
    tmp.write_text(json.dumps(result, indent=2, allow_nan=True))
    tmp.replace(out / METRICS_FILE)
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from PIL import Image

        from mcgan_lib.viz import plot_history, sample_grid

        (out / "figures").mkdir(exist_ok=True)
        Image.fromarray(sample_grid(data, generator)).save(out / "figures" / SAMPLES_FIGURE)
        plot_history(trainer.history, metrics=("l1_error", "lpips")).savefig(out / "figures" / "history.png")
    return result


def _read_run_file(folder: Path, recorded_keys: set[str]) -> dict:
    run_file = folder / RUN_FILE
    if not run_file.exists():
        raise SystemExit(f"error: --resume {folder}: no {RUN_FILE} there; is it a folder written by --out?")
    try:
        arguments = json.loads(run_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        raise SystemExit(f"error: --resume {folder}: {run_file} cannot be read ({error}); it is damaged") from None
    if not isinstance(arguments, dict):
        raise SystemExit(f"error: --resume {folder}: {run_file} does not hold the arguments of a run (a JSON object)")
    for name, value in LATER_ARGUMENTS.items():
        arguments.setdefault(name, value)
    missing = sorted(k for k in recorded_keys if k not in arguments)
    if missing:
        raise SystemExit(f"error: --resume {folder}: {run_file} lacks {missing}; it is damaged or from another program")
    return arguments


def _write_run_file(folder: Path, arguments: dict) -> None:
    tmp = folder / f"{RUN_FILE}.tmp"
    tmp.write_text(json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in arguments.items()}, indent=2))
    tmp.replace(folder / RUN_FILE)


def _divergence_message(error: TrainingDivergedError, out: Path) -> str:
    if error.last_checkpoint is not None:
        where = (
            f"the last good checkpoint is kept in {out} (inspect it, or continue it with --resume {out}; the same "
            "settings will likely diverge again)"
        )
    else:
        where = f"no checkpoint had been written yet (lower --checkpoint-every to keep one); nothing in {out} is usable"
    return (
        f"error: training diverged: {error.reason} at step {error.step}; {where}. Start a new run (a new --out) "
        "with a smaller --lr or --weight"
    )


def _process_group(device: str):
    """The torchrun process group this process belongs to (:func:`mcgan_lib.distributed.init_distributed`),
    or None when it runs alone."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch

    from mcgan_lib.distributed import init_distributed

    # torchrun starts every process with one CPU thread; the first process also scores the generator on
    # the CPU (LPIPS, FID features), minutes at full size with one thread: give each its share of the cores.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // _processes_per_node()))
    return init_distributed(device=None if device == "auto" else device)


def _processes_per_node() -> int:
    return int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))


def _agree(group, error: SystemExit | None) -> None:
    """Before training, every process must be ready: when one is not, all stop with status 2, and the
    reason is printed once (by the first process, or by the one that failed alone)."""
    if group is None:
        if error is not None:
            raise error
        return
    from mcgan_lib.distributed import ranks_agree

    every_ready, main_ready = ranks_agree(error is None, group)
    if every_ready:
        return
    if error is not None and group.is_main:
        raise error
    if error is not None and main_ready:
        raise SystemExit(f"error: process {group.rank}: {str(error).removeprefix('error: ')}")
    raise SystemExit(2)


def train_in_folder(args: argparse.Namespace, given: set[str], argv: list[str] | None, spec_of: SpecOf) -> int:
    """The ``train`` command on its folder; ``given`` names the flags written on the command line (to refuse
    conflicts with --resume), ``argv`` is recorded in an image task's ``metrics.json``, ``spec_of`` turns
    the recorded arguments into the run (see the module docstring). Under ``torchrun`` each process runs it."""
    group = _process_group(args.device)
    try:
        return _train_in_group(args, given, argv, group, spec_of)
    finally:
        if group is not None:
            from mcgan_lib.distributed import shutdown_distributed

            shutdown_distributed()


def _check_arguments(args: argparse.Namespace, given: set[str]) -> Path:
    if (args.out is None) == (args.resume is None):
        raise SystemExit("error: give exactly one of --out DIR (a new run) or --resume DIR (continue a run)")
    if args.eval_every < 1:
        raise SystemExit(f"error: --eval-every must be >= 1, got {args.eval_every}")
    if args.checkpoint_every < 0:
        raise SystemExit(f"error: --checkpoint-every must be >= 0 (0: only at the end), got {args.checkpoint_every}")
    out = args.out if args.resume is None else args.resume
    if args.resume is not None:
        conflicts = sorted(given - set(RESUME_FLAGS) - {"resume", "command"})
        if conflicts:
            flags = ", ".join("--set" if name == "settings" else "--" + name.replace("_", "-") for name in conflicts)
            allowed = ", ".join("--" + name.replace("_", "-") for name in RESUME_FLAGS)
            raise SystemExit(
                f"error: --resume {out} continues the run recorded in {out / RUN_FILE}; {flags} cannot change it "
                f"(with --resume only {allowed} may be given); start a new run with --out to change them"
            )
        if not out.is_dir():
            raise SystemExit(f"error: --resume {out}: no such folder")
    return out


def _train_in_group(args: argparse.Namespace, given: set[str], argv, group, spec_of: SpecOf) -> int:
    main_process = group is None or group.is_main
    lock, created, out, prepared, error = None, False, None, None, None
    try:
        try:
            out = _check_arguments(args, given)
            if main_process:  # only the first process touches the folder
                created = not out.exists()
                try:
                    lock = FolderLock(out, what="--out" if args.resume is None else "--resume").acquire()
                except (FolderInUseError, FolderNotWritableError) as refused:
                    raise SystemExit(f"error: {refused}") from None
            prepared = _prepare(args, out, given, group, spec_of)
        except SystemExit as stop:
            error = stop
        _agree(group, error)
        error = None
        try:
            prepared["trainer"] = _make_trainer(prepared, out, args.resume is not None, group)
        except SystemExit as stop:
            error = stop
        _agree(group, error)
        return _train_prepared(prepared, out, argv, group)
    finally:
        if lock is not None:
            lock.release()
            if created and out.is_dir() and not any(out.iterdir()):
                out.rmdir()  # a run refused before it wrote anything leaves no empty folder behind


def _prepare(args: argparse.Namespace, out: Path, given: set[str], group, spec_of: SpecOf) -> dict:
    """The run's arguments (recorded or new), its data, networks and regularizer, without any collective
    of torchrun's processes (they agree afterwards that all are ready); nothing is written."""
    from mcgan_lib.distributed import unwrap

    main_process = group is None or group.is_main
    world_size = 1 if group is None else group.world_size
    if args.resume is not None:
        arguments = _read_run_file(out, set(vars(args)) - {"out", "resume", "command", "func"})
        for name in given & set(RESUME_FLAGS):
            arguments[name] = getattr(args, name)
        recorded = arguments.get("world_size", 1)
        if recorded != world_size:
            how = "without torchrun" if recorded == 1 else f"with torchrun --nproc_per_node {recorded}"
            raise SystemExit(
                f"error: --resume {out} continues a run of {recorded} process(es) and this is {world_size}; the "
                f"global batch and every process's data would change: launch it {how}"
            )
    else:
        arguments = {k: v for k, v in vars(args).items() if k not in {"out", "resume", "command", "func"}}
        if main_process and (out / CHECKPOINT_NAME).exists():
            raise SystemExit(f"error: --out {out} already holds a checkpoint; use --resume {out} to continue it")
        if main_process and (out / METRICS_FILE).exists():
            raise SystemExit(
                f"error: --out {out} already holds the results of a run ({METRICS_FILE}) but no {CHECKPOINT_NAME}; "
                "choose another folder, or move those files away to reuse it"
            )
        image = arguments["task"] in PAIRED_IMAGE_TASKS
        if image:
            _image_defaults(arguments, given)
        if image or world_size > 1:
            arguments["world_size"] = world_size
    image = arguments["task"] in PAIRED_IMAGE_TASKS
    if not image and arguments.get("size", "full") != "full":
        raise SystemExit(
            f"error: --size {arguments['size']} applies to image tasks; --task {arguments['task']} is a toy"
        )
    try:
        device = str(group.device) if group is not None else str(resolve_device(arguments["device"]))
        spec, run = spec_of(arguments, device, world_size)
        built = spec.build()
    except (ValueError, CheckpointError) as error:
        raise SystemExit(f"error: {error}") from None
    data = built.data
    if image:
        evaluate_run = lambda trainer: evaluate(data, unwrap(trainer.generator), run.eval_samples)  # noqa: E731
    else:
        evaluate_run = lambda trainer: evaluate(data, unwrap(trainer.generator))  # noqa: E731
    return {
        "arguments": arguments,
        "data": data,
        "built": built,
        "evaluate": evaluate_run,
        "run": run,
        "device": device,
        "progress": bool(arguments["progress"]) or (image and sys.stderr.isatty()),
    }


def _make_trainer(prepared: dict, out: Path, resume: bool, group) -> Trainer:
    """The prepared run's trainer, resumed from ``out`` when ``resume``. Under torchrun every process runs
    the same collectives here (DDP's first broadcast, the regularizer's), in the same order."""
    from mcgan_lib.distributed import broadcast_module, distributed_trainer, resume_distributed

    run = prepared["built"]
    callbacks = [EvaluateEvery(prepared["arguments"]["eval_every"], prepared["evaluate"])]
    networks = (run.data, run.generator, run.discriminator, run.config)
    try:
        if group is None:
            trainer = Trainer(
                *networks,
                regularizer=run.regularizer,
                callbacks=callbacks,
                checkpoint_dir=out,
                progress=prepared["progress"],
            )
        else:
            trainer = distributed_trainer(
                group, *networks, run.regularizer, callbacks, checkpoint_dir=out, progress=prepared["progress"]
            )
            broadcast_module(trainer.regularizer, group)  # a fitted predictor, fitted on every process
        if resume:
            trainer.resume(out) if group is None else resume_distributed(trainer, out, group)
    except (ValueError, CheckpointError) as error:
        raise SystemExit(f"error: {error}") from None
    return trainer


def _image_defaults(arguments: dict, given: set[str]) -> None:
    """A new image run takes the full configuration's settings for every flag not written (recorded as
    None, or as the configuration's number for --checkpoint-every and --eval-every)."""
    from mcgan_lib.experiments.full_size import full_size_run

    if "hidden_dim" in given:
        raise SystemExit(
            "error: --hidden-dim sets the toy MLPs' width; an image task's networks come from "
            "mcgan_lib.experiments.full_size (change its batch or noise with --batch-size or --latent-dim)"
        )
    arguments["hidden_dim"] = None
    for name in IMAGE_SETUP_FLAGS:
        if name not in given:
            arguments[name] = None
    try:
        run = full_size_run(arguments["task"], arguments["method"], arguments["size"])
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    for name in ("checkpoint_every", "eval_every"):
        if name not in given:
            arguments[name] = getattr(run, name)


def _train_prepared(prepared: dict, out: Path, argv, group) -> int:
    main_process = group is None or group.is_main
    arguments, data, trainer, run = (prepared[k] for k in ("arguments", "data", "trainer", "run"))
    world_size = 1 if group is None else group.world_size
    if main_process:
        _write_run_file(out, arguments)
        if run is not None:
            _announce(run, trainer, world_size, prepared["device"], out)
    start = time.perf_counter()
    try:
        trainer.train()
    except TrainingDivergedError as error:
        raise SystemExit(_divergence_message(error, out) if main_process else 2) from None
    except TrainingInterrupted as interrupt:
        if main_process:
            launcher = "python -m" if world_size == 1 else f"torchrun --nproc_per_node {_processes_per_node()} -m"
            print(
                f"interrupted after step {interrupt.step}; saved {interrupt.checkpoint}; continue with: "
                f"{launcher} mcgan_lib train --resume {out}",
                file=sys.stderr,
            )
        return 130
    except ValueError as error:  # a setting that only the networks' shapes reveal (e.g. one ERE per layer)
        raise SystemExit(f"error: {error}" if main_process else 2) from None
    if not main_process:
        return 0
    figures = not arguments["no_figures"]
    if run is not None:
        context = {
            "wall_seconds": round(time.perf_counter() - start, 3),
            "device": prepared["device"],
            "world_size": world_size,
            "command": None if argv is None else "python -m mcgan_lib " + shlex.join(argv),
        }
        result = _write_image_outputs(trainer, data, out, figures, run, context)
        scores = result["metrics"]
        print(
            f"step {result['step']}: l1 error {scores['l1_error']:.4f}, pixel std {scores['pixel_std']:.4f}, "
            f"LPIPS {scores['lpips']:.4f}, FID (random features) {scores['fid']:.2f}; wrote {out}"
        )
        return 0
    metrics = _write_outputs(trainer, data, out, figures=figures)
    coverage = data.coverage_metric
    print(
        f"step {metrics['step']}: {coverage.replace('_', ' ')} {metrics[coverage]:g}/{data.full_coverage}, "
        f"high-quality fraction {metrics['high_quality_fraction']:.3f}, reverse KL {metrics['reverse_kl']:.3f}; "
        f"wrote {out}"
    )
    return 0


def _announce(run, trainer: Trainer, world_size: int, device: str, out: Path) -> None:
    """One line before an image run: what it trains, for how long, where, and from which paper."""
    config = trainer.config
    batch = f"batch {config.batch_size}" + (
        f" per process x {world_size} = {config.batch_size * world_size}" if world_size > 1 else ""
    )
    source = run.recipe.source if run.recipe is not None else "no paper setting for it here: the registry's defaults"
    start = f"from step {trainer.step} " if trainer.step else ""
    print(
        f"{run.task} ({run.size}), {run.method}: {start}to step {config.steps}, {batch}, on {device}; {source}; "
        f"checkpoints every {config.checkpoint_every} steps in {out}",
        flush=True,
    )
