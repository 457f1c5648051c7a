"""Command line: ``python -m mcgan_lib train ...`` (also installed as ``mcgan``).

    python -m mcgan_lib train --task ring --steps 6000 --seed 0 --out runs/ring0
    python -m mcgan_lib train --resume runs/ring0 --steps 8000
    python -m mcgan_lib train --task ring --regularizer ms --weight 1.0 --out runs/ring0_ms

``--out`` receives ``run.json`` (the arguments, so ``--resume`` rebuilds the same run),
``checkpoint.pt`` (atomic, written every ``--checkpoint-every`` steps and at the end), ``metrics.json``
(mode coverage of the final generator and the training history) and ``figures/`` (PNG).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcgan_lib.checkpoint import CheckpointError
from mcgan_lib.data.toy import TOY_TASKS, make_toy_task
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.training import EvaluateEvery, Trainer, TrainingDivergedError

RUN_FILE = "run.json"
REGULARIZERS = ("none", "ms", "hm", "mr", "reg_gan", "mdgan")


def make_regularizer(name: str, weight: float, data_dim: int, latent_dim: int, seed: int):
    """The regularizer named on the command line (``none``: the plain GAN), with weight λ = ``weight``:
    ``ms`` MSGAN, ``hm`` HMGAN (all ERE targets 0), ``mr`` Gaussian MR2 with K = 8, ``reg_gan`` and
    ``mdgan`` (λ1 = λ2 = ``weight``)."""
    if name == "none":
        return None
    if name == "ms":
        from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer

        return ModeSeekingRegularizer(weight)
    if name == "hm":
        from mcgan_lib.regularizers.hierarchical import HierarchicalModeRegularizer

        return HierarchicalModeRegularizer(weight)
    if name == "mr":
        from mcgan_lib.regularizers.moment_reconstruction import MomentReconstruction

        return MomentReconstruction(weight, samples_per_input=8, distribution="gaussian", moments=2)
    from mcgan_lib.experiments.mode_regularized import build_regularizer

    return build_regularizer(
        name, data_dim, latent_dim, hidden_dim=64, lambda_geometric=weight, lambda_mode=weight, seed=seed
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mcgan_lib", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a toy GAN, or resume one")
    train.add_argument("--task", choices=sorted(TOY_TASKS), default="ring", help="toy data set (default: ring)")
    train.add_argument("--steps", type=int, default=None, help="total generator steps (default: the setup's)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, help="output folder (new run)")
    train.add_argument("--resume", type=Path, help="folder of a run to continue")
    train.add_argument("--regularizer", choices=REGULARIZERS, default="none", help="anti-collapse term (default: none)")
    train.add_argument("--weight", type=float, default=1.0, help="the regularizer's λ (default: 1.0)")
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
    return parser


def _build(arguments: dict):
    data = make_toy_task(arguments["task"])
    setup = PLAIN_GAN_SETUP.replace(
        lr=arguments["lr"], batch_size=arguments["batch_size"], latent_dim=arguments["latent_dim"],
        hidden_dim=arguments["hidden_dim"], d_hidden_dim=arguments["hidden_dim"], optimizer=arguments["optimizer"],
    )
    generator, discriminator = setup.networks(data, arguments["seed"])
    regularizer = make_regularizer(
        arguments.get("regularizer", "none"), arguments.get("weight", 1.0), data.data_dim, setup.latent_dim,
        arguments["seed"],
    )
    config = setup.train_config(
        arguments["seed"], steps=arguments["steps"] if arguments["steps"] is not None else setup.steps,
        device=arguments["device"], checkpoint_every=arguments["checkpoint_every"],
    )
    return data, generator, discriminator, regularizer, config


def _write_outputs(trainer: Trainer, data, out: Path, figures: bool) -> dict:
    coverage = evaluate_mixture(trainer.generator, data)
    metrics = {"step": trainer.step, **coverage.as_dict(), "history": trainer.history.state_dict()}
    tmp = out / "metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2, allow_nan=True))
    tmp.replace(out / "metrics.json")
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from mcgan_lib.viz import gan_lab_figure, plot_history

        (out / "figures").mkdir(exist_ok=True)
        gan_lab_figure(trainer.generator, trainer.discriminator, data, title=f"step {trainer.step}").savefig(
            out / "figures" / "gan_lab.png"
        )
        plot_history(trainer.history).savefig(out / "figures" / "history.png")
    return metrics


def train_command(args: argparse.Namespace) -> int:
    if (args.out is None) == (args.resume is None):
        raise SystemExit("error: give exactly one of --out DIR (a new run) or --resume DIR (continue a run)")
    if args.resume is not None:
        run_file = args.resume / RUN_FILE
        if not run_file.exists():
            raise SystemExit(f"error: --resume {args.resume}: no {RUN_FILE} there; is it a folder written by --out?")
        arguments = json.loads(run_file.read_text())
        if args.steps is not None:
            arguments["steps"] = args.steps
        out = args.resume
    else:
        arguments = {k: v for k, v in vars(args).items() if k not in {"out", "resume", "command", "func"}}
        out = args.out
        if (out / "checkpoint.pt").exists():
            raise SystemExit(f"error: --out {out} already holds a checkpoint; use --resume {out} to continue it")
    try:
        data, generator, discriminator, regularizer, config = _build(arguments)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    out.mkdir(parents=True, exist_ok=True)
    if args.resume is None:
        (out / RUN_FILE).write_text(json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in arguments.items()}, indent=2))
    callbacks = [EvaluateEvery(arguments["eval_every"], lambda t: evaluate_mixture(t.generator, data).scalars())]
    trainer = Trainer(
        data, generator, discriminator, config, regularizer=regularizer, callbacks=callbacks, checkpoint_dir=out,
        progress=args.progress,
    )
    if args.resume is not None:
        try:
            trainer.resume(out)
        except CheckpointError as error:
            raise SystemExit(f"error: {error}") from None
    try:
        trainer.train()
    except TrainingDivergedError as error:
        raise SystemExit(f"error: {error}") from None
    metrics = _write_outputs(trainer, data, out, figures=not arguments["no_figures"])
    print(
        f"step {metrics['step']}: modes captured {metrics['modes_captured']}/{data.n_modes}, "
        f"high-quality fraction {metrics['high_quality_fraction']:.3f}, reverse KL {metrics['reverse_kl']:.3f}; "
        f"wrote {out}"
    )
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        return train_command(args)
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
