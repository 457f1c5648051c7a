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
import sys
import time
from pathlib import Path

from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.experiments.full_size import SIZES
from mcgan_lib.methods import METHODS
from mcgan_lib.run_folder import IMAGE_SETUP_FLAGS, PAIRED_IMAGE_TASKS, train_in_folder
from mcgan_lib.runs import RunSpec
from mcgan_lib.tasks import make_task, task_names


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
        choices=[*sorted(task_names("toy2d", "toy_conditional")), *PAIRED_IMAGE_TASKS],
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
        "--task", choices=sorted(task_names()), default="ring", help="toy or offline image data set (default: ring)"
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

    from mcgan_lib.chapters import CHAPTERS
    from mcgan_lib.config import QUICK_ENV_VAR
    from mcgan_lib.store import build_all
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
    from mcgan_lib.runs import default_setup
    from mcgan_lib.sweeps import summarize, sweep

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


def run_spec_of(arguments: dict, device: str, world_size: int):
    """The run that the train command's ``arguments`` (as recorded in ``run.json``) describe: a toy on
    chapter 01's ``PLAIN_GAN_SETUP`` with the flags' changes, or an image task's full configuration
    (:func:`mcgan_lib.experiments.full_size.full_size_run`, its data read from ``--data-root``). Returns
    the :class:`~mcgan_lib.runs.RunSpec` and the image task's run (None for a toy)."""
    train = {"checkpoint_every": arguments["checkpoint_every"]}
    if arguments["task"] not in PAIRED_IMAGE_TASKS:
        setup = PLAIN_GAN_SETUP.replace(
            lr=arguments["lr"],
            batch_size=arguments["batch_size"],
            latent_dim=arguments["latent_dim"],
            hidden_dim=arguments["hidden_dim"],
            d_hidden_dim=arguments["hidden_dim"],
            optimizer=arguments["optimizer"],
        )
        steps = arguments["steps"] if arguments["steps"] is not None else setup.steps
        settings = _method_settings(arguments)
        train["device"] = arguments["device"]
        return RunSpec(
            arguments["task"], arguments.get("method", "gan"), settings, setup, arguments["seed"], steps, train
        ), None
    from mcgan_lib.data.checksums import ChecksumError, DatasetNotFoundError
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
    train["device"] = device
    steps = run.total_steps(len(data), world_size)
    return RunSpec(data, run.method, run.settings, on_device(run.setup, device), arguments["seed"], steps, train), run


def train_command(args: argparse.Namespace, given: set[str] | None = None, argv: list[str] | None = None) -> int:
    """``train``: the run folder (:func:`mcgan_lib.run_folder.train_in_folder`) of the run the flags describe."""
    return train_in_folder(args, given or set(), argv, run_spec_of)


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
