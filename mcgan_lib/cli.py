"""Command line: ``python -m mcgan_lib train ...`` (also installed as ``mcgan``).

    python -m mcgan_lib train --task ring --steps 6000 --seed 0 --out runs/ring0
    python -m mcgan_lib train --resume runs/ring0 --steps 8000
    python -m mcgan_lib train --task ring --method ms --weight 1.0 --out runs/ring0_ms
    python -m mcgan_lib train --task ring --method reg_gan --set lambda_mode=0.2 --out runs/ring0_reg
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
``sweep`` trains every grid setting × seed as batched ensembles (:func:`mcgan_lib.sweeps.sweep`, cached),
prints mean ± std per setting and writes the per-member table as CSV.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcgan_lib.checkpoint import CHECKPOINT_NAME, CheckpointError
from mcgan_lib.data.tasks import TASKS, TOY_TASKS, make_task
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.locks import FolderInUseError, FolderLock, FolderNotWritableError
from mcgan_lib.methods import METHODS, build_method
from mcgan_lib.training import EvaluateEvery, Trainer, TrainingDivergedError, TrainingInterrupted

RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
# The only flags that may accompany --resume: they change how the run continues, never what it trains.
RESUME_FLAGS = ("steps", "progress", "no_figures", "device", "checkpoint_every", "eval_every")


def _parser(suppress_defaults: bool = False) -> argparse.ArgumentParser:
    """The command line; with ``suppress_defaults`` an option absent from the command line stays absent
    from the parsed namespace (to tell which flags were written)."""
    parser = argparse.ArgumentParser(prog="python -m mcgan_lib", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a toy GAN, or resume one")
    train.add_argument("--task", choices=sorted(TOY_TASKS), default="ring", help="toy data set (default: ring)")
    train.add_argument("--steps", type=int, default=None, help="total generator steps (default: the setup's)")
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
    train.add_argument("--lr", type=float, default=PLAIN_GAN_SETUP.lr)
    train.add_argument("--batch-size", type=int, default=PLAIN_GAN_SETUP.batch_size)
    train.add_argument("--latent-dim", type=int, default=PLAIN_GAN_SETUP.latent_dim)
    train.add_argument("--hidden-dim", type=int, default=PLAIN_GAN_SETUP.hidden_dim)
    train.add_argument("--optimizer", choices=["adam", "amsgrad"], default=PLAIN_GAN_SETUP.optimizer)
    train.add_argument("--checkpoint-every", type=int, default=500)
    train.add_argument("--eval-every", type=int, default=500)
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    train.add_argument("--no-figures", action="store_true", help="skip writing PNG figures")
    train.add_argument("--progress", action="store_true", help="show a progress bar")
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
    settings = _parse_pairs(arguments.get("settings", []), "--set", "KEY=VALUE e.g. lambda_mode=0.2", many=False)
    if arguments.get("weight") is not None:
        settings["weight"] = arguments["weight"]
    regularizer = build_method(arguments.get("method", "gan"), data, setup, arguments["seed"], **settings)
    config = setup.train_config(
        arguments["seed"],
        steps=arguments["steps"] if arguments["steps"] is not None else setup.steps,
        device=arguments["device"],
        checkpoint_every=arguments["checkpoint_every"],
    )
    return data, generator, discriminator, regularizer, config


def _write_outputs(trainer: Trainer, data, out: Path, figures: bool) -> dict:
    metrics = {"step": trainer.step, **data.evaluate(trainer.generator), "history": trainer.history.state_dict()}
    tmp = out / "metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2, allow_nan=True))
    tmp.replace(out / "metrics.json")
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from mcgan_lib.viz import gan_lab_figure, plot_history

        (out / "figures").mkdir(exist_ok=True)
        if data.condition_dim == 0:  # the GAN-Lab view is drawn in the data's plane
            gan_lab_figure(trainer.generator, trainer.discriminator, data, title=f"step {trainer.step}").savefig(
                out / "figures" / "gan_lab.png"
            )
        plot_history(trainer.history).savefig(out / "figures" / "history.png")
    return metrics


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


def train_command(args: argparse.Namespace, given: set[str] | None = None) -> int:
    """``train``; ``given`` names the flags written on the command line (to refuse conflicts with --resume)."""
    if (args.out is None) == (args.resume is None):
        raise SystemExit("error: give exactly one of --out DIR (a new run) or --resume DIR (continue a run)")
    if args.eval_every < 1:
        raise SystemExit(f"error: --eval-every must be >= 1, got {args.eval_every}")
    if args.checkpoint_every < 0:
        raise SystemExit(f"error: --checkpoint-every must be >= 0 (0: only at the end), got {args.checkpoint_every}")
    out = args.out if args.resume is None else args.resume
    if args.resume is not None:
        conflicts = sorted((given or set()) - set(RESUME_FLAGS) - {"resume", "command"})
        if conflicts:
            flags = ", ".join("--set" if name == "settings" else "--" + name.replace("_", "-") for name in conflicts)
            allowed = ", ".join("--" + name.replace("_", "-") for name in RESUME_FLAGS)
            raise SystemExit(
                f"error: --resume {out} continues the run recorded in {out / RUN_FILE}; {flags} cannot change it "
                f"(with --resume only {allowed} may be given); start a new run with --out to change them"
            )
        if not out.is_dir():
            raise SystemExit(f"error: --resume {out}: no such folder")
    created = not out.exists()
    try:
        lock = FolderLock(out, what="--out" if args.resume is None else "--resume").acquire()
    except (FolderInUseError, FolderNotWritableError) as error:
        raise SystemExit(f"error: {error}") from None
    try:
        return _train_locked(args, out, given or set())
    finally:
        lock.release()
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a run refused before it wrote anything leaves no empty folder behind


def _train_locked(args: argparse.Namespace, out: Path, given: set[str]) -> int:
    if args.resume is not None:
        arguments = _read_run_file(out)
        for name in given & set(RESUME_FLAGS):
            arguments[name] = getattr(args, name)
    else:
        arguments = {k: v for k, v in vars(args).items() if k not in {"out", "resume", "command", "func"}}
        if (out / CHECKPOINT_NAME).exists():
            raise SystemExit(f"error: --out {out} already holds a checkpoint; use --resume {out} to continue it")
        if (out / METRICS_FILE).exists():
            raise SystemExit(
                f"error: --out {out} already holds the results of a run ({METRICS_FILE}) but no {CHECKPOINT_NAME}; "
                "choose another folder, or move those files away to reuse it"
            )
    try:
        data, generator, discriminator, regularizer, config = _build(arguments)
        callbacks = [EvaluateEvery(arguments["eval_every"], lambda t: data.evaluate(t.generator))]
        trainer = Trainer(
            data,
            generator,
            discriminator,
            config,
            regularizer=regularizer,
            callbacks=callbacks,
            checkpoint_dir=out,
            progress=args.progress,
        )
        if args.resume is not None:
            trainer.resume(out)
    except (ValueError, CheckpointError) as error:
        raise SystemExit(f"error: {error}") from None
    _write_run_file(out, arguments)
    try:
        trainer.train()
    except TrainingDivergedError as error:
        raise SystemExit(_divergence_message(error, out)) from None
    except TrainingInterrupted as interrupt:
        print(
            f"interrupted after step {interrupt.step}; saved {interrupt.checkpoint}; continue with: "
            f"python -m mcgan_lib train --resume {out}",
            file=sys.stderr,
        )
        return 130
    except ValueError as error:  # a setting that only the networks' shapes reveal (e.g. one ERE per layer)
        raise SystemExit(f"error: {error}") from None
    metrics = _write_outputs(trainer, data, out, figures=not arguments["no_figures"])
    coverage = data.coverage_metric
    print(
        f"step {metrics['step']}: {coverage.replace('_', ' ')} {metrics[coverage]:g}/{data.full_coverage}, "
        f"high-quality fraction {metrics['high_quality_fraction']:.3f}, reverse KL {metrics['reverse_kl']:.3f}; "
        f"wrote {out}"
    )
    return 0


def _given_flags(argv: list[str]) -> set[str]:
    """The destinations of the options written in ``argv`` (not those left at their defaults)."""
    return set(vars(_parser(suppress_defaults=True).parse_args(argv))) - {"command"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.command == "train":
        try:
            return train_command(args, _given_flags(argv))
        except KeyboardInterrupt:  # before or after the loop, which saves its own checkpoint
            print("interrupted; nothing more was written", file=sys.stderr)
            return 130
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
