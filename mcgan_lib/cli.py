"""Command line: ``python -m mcgan_lib train ...`` (also installed as ``mcgan``).

    python -m mcgan_lib train --task ring --steps 6000 --seed 0 --out runs/ring0
    python -m mcgan_lib train --resume runs/ring0 --steps 8000
    python -m mcgan_lib train --task ring --method ms --weight 1.0 --out runs/ring0_ms
    python -m mcgan_lib train --task ring --method reg_gan --set lambda_mode=0.2 --out runs/ring0_reg
    python -m mcgan_lib train --task facades --method ms_l1 --device cuda --progress --out runs/facades_ms
    torchrun --nproc_per_node 4 -m mcgan_lib train --task maps --method gaussian_proxy_mr2 --out runs/maps_mr
    python -m mcgan_lib train --task facades --size tiny --device cpu --out /tmp/smoke   # a one-minute check
    python -m mcgan_lib sweep --task ring --method ms --grid weight=0.1,1,10 --seeds 10 --out ms.csv
    python -m mcgan_lib prebuild            # every sweep the chapters read, before a class
    python -m mcgan_lib doctor              # what this installation has, and what to do about the rest

``--out`` receives ``run.json`` (the arguments, so ``--resume`` rebuilds the same run),
``checkpoint.pt`` (atomic, written every ``--checkpoint-every`` steps and at the end), ``metrics.json``
(mode coverage of the final generator and the training history) and ``figures/`` (PNG). The folder is
checked for writability and locked before training starts, so a second ``train`` into it stops at once;
an ``--out`` folder that already holds a checkpoint or results is refused. ``--resume`` continues the
recorded run and accepts only the flags of ``RESUME_FLAGS``; the new ``--steps`` is recorded in
``run.json``. Ctrl-C stops after the current step, saves a checkpoint and exits with status 130.
Image tasks (``--task facades``, ``maps``, ``celeba_sr``, ``celeba_inpainting``, and the offline
``edges2photo``, ``super_resolution``, ``inpainting``) train the configuration named in
:mod:`mcgan_lib.experiments.full_size` (the papers' networks, optimiser, batch, λ, K and length; ``--lr``,
``--batch-size``, ``--latent-dim``, ``--optimizer``, ``--steps``, ``--weight`` and ``--set`` change it);
their data are read from ``--data-root`` (default ``$MCGAN_DATA_DIR`` or ``~/data``), and a missing or
corrupt data set stops the command with one ``error:`` line (exit status 2) that says where to get it.
Their ``metrics.json`` holds the task's scores, the step, the wall time, the device and the number of
processes, and ``figures/samples.png`` shows test inputs, their targets and eight outputs for each.
Under ``torchrun`` every process trains on its own batches and gradients are averaged
(:mod:`mcgan_lib.distributed`); only the first process writes the folder and prints.
``sweep`` trains every grid setting × seed as batched ensembles (:func:`mcgan_lib.sweeps.sweep`, cached),
prints mean ± std per setting and writes the per-member table as CSV.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from mcgan_lib.checkpoint import CHECKPOINT_NAME, CheckpointError
from mcgan_lib.config import resolve_device
from mcgan_lib.data.tasks import TASKS, TOY_TASKS, make_task
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.experiments.full_size import SIZES, TASK_CONFIGURATIONS
from mcgan_lib.locks import FolderInUseError, FolderLock, FolderNotWritableError
from mcgan_lib.methods import METHODS, build_method
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


class CommandError(SystemExit):
    """The command cannot run with what it was given (a missing or corrupt data set): ``str()`` of it is
    the one-line message (``error: ...``), which :func:`main` prints on stderr, and the exit status is 2,
    as for argparse's usage errors."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _parser(suppress_defaults: bool = False) -> argparse.ArgumentParser:
    """The command line; with ``suppress_defaults`` an option absent from the command line stays absent
    from the parsed namespace (to tell which flags were written)."""
    parser = argparse.ArgumentParser(prog="python -m mcgan_lib", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a toy or image-to-image GAN, or resume one")
    train.add_argument(
        "--task",
        choices=[*sorted(TOY_TASKS), *PAIRED_IMAGE_TASKS],
        default="ring",
        help="toy data set, or image task with its papers' configuration (mcgan_lib.experiments.full_size; "
        "default: ring)",
    )
    train.add_argument(
        "--size",
        choices=SIZES,
        default="full",
        help="image tasks: the papers' size, or tiny (small images and networks, 20 steps: a smoke test)",
    )
    train.add_argument(
        "--data-root", type=Path, default=None, help="image data sets' folder (default: $MCGAN_DATA_DIR or ~/data)"
    )
    train.add_argument(
        "--steps", type=int, default=None, help="total generator steps (default: the setup's; image tasks: the papers')"
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, help="output folder (new run)")
    train.add_argument("--resume", type=Path, help="folder of a run to continue")
    train.add_argument(
        "--method",
        choices=list(METHODS),
        default="gan",
        help="the plain GAN or a regularizer, by its name in mcgan_lib.methods (default: gan)",
    )
    train.add_argument("--weight", type=float, default=None, help="the method's λ (default: the method's own)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="another setting of the method, e.g. lambda_mode=0.2 (repeatable)",
    )
    paper = " (image tasks: the papers' unless given)"
    train.add_argument("--lr", type=float, default=PLAIN_GAN_SETUP.lr, help="learning rate of G and D" + paper)
    train.add_argument("--batch-size", type=int, default=PLAIN_GAN_SETUP.batch_size, help="batch per process" + paper)
    train.add_argument("--latent-dim", type=int, default=PLAIN_GAN_SETUP.latent_dim, help="dimensions of z" + paper)
    train.add_argument("--hidden-dim", type=int, default=PLAIN_GAN_SETUP.hidden_dim, help="toy MLPs' width")
    train.add_argument(
        "--optimizer", choices=["adam", "amsgrad"], default=PLAIN_GAN_SETUP.optimizer, help="optimiser" + paper
    )
    train.add_argument(
        "--checkpoint-every", type=int, default=500, help="steps between checkpoints (image tasks: the task's)"
    )
    train.add_argument(
        "--eval-every", type=int, default=500, help="steps between evaluations (image tasks: the task's)"
    )
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    train.add_argument("--no-figures", action="store_true", help="skip writing PNG figures")
    train.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar: steps, rate, time left (image tasks show it on a terminal anyway)",
    )
    sweep = commands.add_parser("sweep", help="train a grid of settings × seeds as batched ensembles")
    sweep.add_argument(
        "--task", choices=sorted(TASKS), default="ring", help="toy or offline image data set (default: ring)"
    )
    sweep.add_argument(
        "--method", choices=list(METHODS), default="gan", help="a method of mcgan_lib.methods (default: gan)"
    )
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a grid axis, e.g. weight=0.1,1,10 (repeat for more axes)",
    )
    sweep.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default: 5)")
    sweep.add_argument("--steps", type=int, default=None, help="steps per member (default: the setup's)")
    sweep.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    sweep.add_argument("--out", type=Path, help="CSV file for the per-member table")
    sweep.add_argument("--no-cache", action="store_true", help="train even when a cached table exists")
    sweep.add_argument("--progress", action="store_true", help="show a progress bar")
    doctor = commands.add_parser(
        "doctor", help="versions, device, mode, weights, data sets and folders, and what to do about anything missing"
    )
    doctor.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="where the image data sets live (default: $MCGAN_DATA_DIR or ~/data)",
    )
    prebuild = commands.add_parser(
        "prebuild", help="train every sweep the chapters read, so their sliders answer at once"
    )
    prebuild.add_argument("--chapter", action="append", default=None, help="only this chapter (repeatable)")
    prebuild.add_argument(
        "--sweep",
        action="append",
        default=None,
        help="only the sweeps whose name matches this shell pattern, e.g. 'ring_*' (repeatable; to split a "
        "chapter over several processes)",
    )
    prebuild.add_argument(
        "--rebuild",
        action="store_true",
        help="with --full: retrain and rewrite sweeps whose stored result already matches (default: keep them)",
    )
    prebuild.add_argument(
        "--full",
        action="store_true",
        help="train the full-mode sweeps and write them into the stored results (with provenance)",
    )
    if suppress_defaults:
        for command in commands.choices.values():
            for action in command._actions:
                action.default = argparse.SUPPRESS
    return parser


def prebuild_command(args: argparse.Namespace) -> int:
    import os
    import time

    from mcgan_lib.config import QUICK_ENV_VAR
    from mcgan_lib.experiments.chapter_sweeps import CHAPTERS, build_all
    from mcgan_lib.sweeps import stored_results_dir

    chapters = args.chapter or list(CHAPTERS)
    for chapter in chapters:
        if chapter not in CHAPTERS:
            raise SystemExit(f"error: --chapter must be one of {sorted(CHAPTERS)}, got {chapter!r}")
    quick = os.environ.get(QUICK_ENV_VAR)
    if args.full:
        os.environ[QUICK_ENV_VAR] = "0"
    start = time.perf_counter()
    try:
        counts = build_all(chapters, progress=True, store=args.full, patterns=args.sweep, rebuild=args.rebuild)
    finally:
        if quick is None:
            os.environ.pop(QUICK_ENV_VAR, None)
        else:
            os.environ[QUICK_ENV_VAR] = quick
    where = f"; stored in {stored_results_dir()}" if args.full else ""
    print(
        f"{len(counts)} sweeps, {sum(counts.values())} trained generators, "
        f"ready in {time.perf_counter() - start:.0f} s{where}"
    )
    return 0


def _parse_value(value: str):
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _parse_values(values: str) -> list:
    """``V1,V2,...`` as a list of parsed values; JSON values may hold commas (``[0.5,0.3],[0.2,0.1]``)."""
    try:
        return list(json.loads(f"[{values}]"))
    except json.JSONDecodeError:
        return [_parse_value(v) for v in values.split(",")]


def _parse_pairs(items: list[str], flag: str, example: str, many: bool) -> dict:
    """``KEY=V`` (or ``KEY=V1,V2,...`` when ``many``) command-line items as a dict of parsed values.

    A value is read as JSON when it is JSON (numbers, ``true``, lists such as ``[0.5,0.3,0.2]``), else
    kept as text. A key given twice is an error (the second would silently replace the first)."""
    parsed = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise SystemExit(f"error: {flag} {item!r}: write {example}")
        if key in parsed:
            raise SystemExit(
                f"error: {flag} {key}=... is given twice; give each key once"
                + (f" with all its values, e.g. {flag} {key}=V1,V2" if many else "")
            )
        parsed[key] = _parse_values(values) if many else _parse_value(values)
    return parsed


def _parse_grid(items: list[str]) -> dict:
    return _parse_pairs(items, "--grid", "KEY=V1,V2,... e.g. weight=0.1,1,10", many=True)


def sweep_command(args: argparse.Namespace) -> int:
    from mcgan_lib.sweeps import default_setup, summarize, sweep

    if args.seeds < 1:
        raise SystemExit(f"error: --seeds must be >= 1, got {args.seeds}")
    grid = _parse_grid(args.grid)
    try:
        setup = default_setup(make_task(args.task)).replace(train_overrides={"device": args.device})
        table = sweep(
            args.task,
            args.method,
            grid=grid,
            seeds=range(args.seeds),
            setup=setup,
            steps=args.steps,
            cache=not args.no_cache,
            progress=args.progress,
        )
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    per_member = table.drop(columns=["samples"], errors="ignore")
    keys = list(grid) or ["method"]
    metrics = [
        c for c in per_member.columns if c not in {"task", "method", "seed", "diverged_at_step", "train_seconds", *grid}
    ]
    per_member = per_member.assign(setting=per_member[keys].astype(str).agg(", ".join, axis=1))
    print(summarize(per_member, by="setting", metrics=metrics).to_string())
    print(f"({len(table)} members; cache {table.attrs['cache']})")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        per_member.drop(columns="setting").to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def _method_settings(arguments: dict) -> dict:
    settings = _parse_pairs(arguments.get("settings", []), "--set", "KEY=VALUE e.g. lambda_mode=0.2", many=False)
    if arguments.get("weight") is not None:
        settings["weight"] = arguments["weight"]
    return settings


def _build(arguments: dict):
    data = make_task(arguments["task"])
    setup = PLAIN_GAN_SETUP.replace(
        lr=arguments["lr"],
        batch_size=arguments["batch_size"],
        latent_dim=arguments["latent_dim"],
        hidden_dim=arguments["hidden_dim"],
        d_hidden_dim=arguments["hidden_dim"],
        optimizer=arguments["optimizer"],
    )
    generator, discriminator = setup.networks(data, arguments["seed"])
    settings = _method_settings(arguments)
    regularizer = build_method(arguments.get("method", "gan"), data, setup, arguments["seed"], **settings)
    config = setup.train_config(
        arguments["seed"],
        steps=arguments["steps"] if arguments["steps"] is not None else setup.steps,
        device=arguments["device"],
        checkpoint_every=arguments["checkpoint_every"],
    )
    return data, generator, discriminator, regularizer, config


def _build_image(arguments: dict, device: str, world_size: int):
    """An image task's data, networks, regularizer and TrainConfig from its full configuration
    (:func:`mcgan_lib.experiments.full_size.full_size_run`), and the resolved run."""
    from mcgan_lib.data.images import ChecksumError, DatasetNotFoundError
    from mcgan_lib.experiments.full_size import full_size_run, on_device

    changes = {name: arguments[name] for name in IMAGE_SETUP_FLAGS if arguments.get(name) is not None}
    run = full_size_run(
        arguments["task"],
        arguments.get("method", "gan"),
        arguments["size"],
        settings=_method_settings(arguments),
        steps=arguments["steps"],
        **changes,
    )
    try:
        data = run.configuration.load_data(arguments["data_root"], arguments["size"])
    except (DatasetNotFoundError, ChecksumError) as error:
        advice = run.configuration.data_advice(arguments["data_root"])
        raise CommandError(" ".join(f"error: {error}{advice}".split())) from None
    setup = on_device(run.setup, device)
    generator, discriminator = setup.networks(data, arguments["seed"])
    regularizer = build_method(run.method, data, setup, arguments["seed"], **run.settings)
    config = setup.train_config(
        arguments["seed"],
        steps=run.total_steps(len(data), world_size),
        device=device,
        checkpoint_every=arguments["checkpoint_every"],
    )
    return data, generator, discriminator, regularizer, config, run


def _write_outputs(trainer: Trainer, data, out: Path, figures: bool) -> dict:
    from mcgan_lib.distributed import unwrap

    generator = unwrap(trainer.generator)
    metrics = {"step": trainer.step, **data.evaluate(generator), "history": trainer.history.state_dict()}
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
        last = {"step": trainer.step, **data.evaluate(generator, run.eval_samples)}
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

        from mcgan_lib.experiments.full_size import sample_grid
        from mcgan_lib.viz import plot_history

        (out / "figures").mkdir(exist_ok=True)
        Image.fromarray(sample_grid(data, generator)).save(out / "figures" / SAMPLES_FIGURE)
        plot_history(trainer.history, metrics=("l1_error", "lpips")).savefig(out / "figures" / "history.png")
    return result


def _read_run_file(folder: Path) -> dict:
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
    defaults = vars(_parser().parse_args(["train", "--out", "."]))
    missing = sorted(k for k in defaults if k not in {"out", "resume", "command"} and k not in arguments)
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


def train_command(args: argparse.Namespace, given: set[str] | None = None, argv: list[str] | None = None) -> int:
    """``train``; ``given`` names the flags written on the command line (to refuse conflicts with --resume),
    ``argv`` is recorded in an image task's ``metrics.json``. Under ``torchrun`` each process runs it."""
    group = _process_group(args.device)
    try:
        return _train_in_group(args, given or set(), argv, group)
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


def _train_in_group(args: argparse.Namespace, given: set[str], argv, group) -> int:
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
            prepared = _prepare(args, out, given, group)
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


def _prepare(args: argparse.Namespace, out: Path, given: set[str], group) -> dict:
    """The run's arguments (recorded or new), its data, networks and regularizer, without any collective
    of torchrun's processes (they agree afterwards that all are ready); nothing is written."""
    from mcgan_lib.distributed import unwrap

    main_process = group is None or group.is_main
    world_size = 1 if group is None else group.world_size
    if args.resume is not None:
        arguments = _read_run_file(out)
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
    run = None
    try:
        device = str(group.device) if group is not None else str(resolve_device(arguments["device"]))
        if image:
            data, generator, discriminator, regularizer, config, run = _build_image(arguments, device, world_size)
            samples = run.eval_samples
            evaluate = lambda trainer: data.evaluate(unwrap(trainer.generator), samples)  # noqa: E731
        else:
            data, generator, discriminator, regularizer, config = _build(arguments)
            evaluate = lambda trainer: data.evaluate(unwrap(trainer.generator))  # noqa: E731
    except (ValueError, CheckpointError) as error:
        raise SystemExit(f"error: {error}") from None
    return {
        "arguments": arguments,
        "data": data,
        "networks": (generator, discriminator, regularizer, config),
        "evaluate": evaluate,
        "run": run,
        "device": device,
        "progress": bool(arguments["progress"]) or (image and sys.stderr.isatty()),
    }


def _make_trainer(prepared: dict, out: Path, resume: bool, group) -> Trainer:
    """The prepared run's trainer, resumed from ``out`` when ``resume``. Under torchrun every process runs
    the same collectives here (DDP's first broadcast, the regularizer's), in the same order."""
    from mcgan_lib.distributed import broadcast_module, distributed_trainer, resume_distributed

    generator, discriminator, regularizer, config = prepared["networks"]
    callbacks = [EvaluateEvery(prepared["arguments"]["eval_every"], prepared["evaluate"])]
    try:
        if group is None:
            trainer = Trainer(
                prepared["data"],
                generator,
                discriminator,
                config,
                regularizer=regularizer,
                callbacks=callbacks,
                checkpoint_dir=out,
                progress=prepared["progress"],
            )
        else:
            trainer = distributed_trainer(
                group,
                prepared["data"],
                generator,
                discriminator,
                config,
                regularizer,
                callbacks,
                checkpoint_dir=out,
                progress=prepared["progress"],
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
    source = run.recipe.reference if run.recipe is not None else "no paper setting for it here: the registry's defaults"
    start = f"from step {trainer.step} " if trainer.step else ""
    print(
        f"{run.task} ({run.size}), {run.method}: {start}to step {config.steps}, {batch}, on {device}; {source}; "
        f"checkpoints every {config.checkpoint_every} steps in {out}",
        flush=True,
    )


def _given_flags(argv: list[str]) -> set[str]:
    """The destinations of the options written in ``argv`` (not those left at their defaults)."""
    return set(vars(_parser(suppress_defaults=True).parse_args(argv))) - {"command"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.command == "train":
        try:
            return train_command(args, _given_flags(argv), argv)
        except KeyboardInterrupt:  # before or after the loop, which saves its own checkpoint
            print("interrupted; nothing more was written", file=sys.stderr)
            return 130
        except CommandError as error:
            print(error, file=sys.stderr)
            raise
    if args.command == "sweep":
        return sweep_command(args)
    if args.command == "prebuild":
        return prebuild_command(args)
    if args.command == "doctor":
        from mcgan_lib.doctor import findings, report

        print(report(findings(args.data_root)))
        return 0
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
