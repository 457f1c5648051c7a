"""Nothing a user trained is lost, nothing silently wrong: real processes, real files, real corruption."""

import io
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mcgan_lib.checkpoint import CHECKPOINT_VERSION, CheckpointError, load_checkpoint, save_checkpoint
from mcgan_lib.cli import main
from mcgan_lib.data import ring
from mcgan_lib.locks import LOCK_NAME, FolderLock
from mcgan_lib.nets import MLPDiscriminator, MLPGenerator
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.run_folder import _divergence_message
from mcgan_lib.training import Callback, TrainConfig, Trainer, TrainingDivergedError
from test_cli import SMALL  # the CLI's small networks, shared with the CLI tests

ROOT = Path(__file__).resolve().parents[1]


def _cli(*arguments) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "mcgan_lib", "train", *arguments],
        env=env,
        # a run started from a terminal gets Ctrl-C; a test suite run as a background job has SIGINT ignored,
        # which the child would inherit
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {path} appeared: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)


def _trainer(tmp_path=None, **config):
    settings = {"steps": 20, "batch_size": 32, "log_every": 5, **config}
    return Trainer(
        ring(),
        MLPGenerator(latent_dim=4, hidden_dim=16, depth=2, seed=0),
        MLPDiscriminator(hidden_dim=16, depth=2, seed=1),
        TrainConfig(**settings),
        checkpoint_dir=tmp_path,
    )


# ------------------------------------------------------------------------------------ 1. two writers
def test_a_second_writer_of_a_run_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "run"
    first = _cli("--steps", "100000", "--out", str(out), "--no-figures", *SMALL)
    try:
        _wait_for(out / "checkpoint.pt", first)
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "mcgan_lib", "train", "--steps", "20", "--seed", "7", "--out", str(out), *SMALL],
            env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert f"error: --out {out} is in use by another process (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        assert time.monotonic() - started < 60  # it did not wait for the first run
        assert json.loads((out / "run.json").read_text())["seed"] == 0  # the first run's description stands
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert not (out / LOCK_NAME).exists()  # released with the run
    main(["train", "--resume", str(out), "--steps", str(load_checkpoint(out)["step"] + 2), "--no-figures"])


def test_folder_lock_is_reentrant_in_a_process_and_exclusive_across_processes(tmp_path):
    with FolderLock(tmp_path), FolderLock(tmp_path):
        assert (tmp_path / LOCK_NAME).exists()
        code = f"from mcgan_lib.locks import FolderLock; FolderLock({str(tmp_path)!r}).acquire()"
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        assert other.returncode != 0 and "FolderInUseError" in other.stderr and str(tmp_path) in other.stderr
    assert not (tmp_path / LOCK_NAME).exists()
    FolderLock(tmp_path).acquire().release()  # free again


# ------------------------------------------------------------------------------------ 2. checkpoint digests
def _payload_offset(path: Path) -> int:
    return path.read_bytes().index(b"\n") + 1


def test_flipped_bytes_inside_a_checkpoint_are_refused_by_name(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.train()
    path = tmp_path / "checkpoint.pt"
    data = bytearray(path.read_bytes())
    start = _payload_offset(path)
    middle = start + (len(data) - start) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"checkpoint {path} is corrupt: the SHA-256 of its contents"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="is corrupt: the SHA-256"):
        _trainer(tmp_path).resume()


def test_a_nan_planted_in_a_weight_is_caught_by_the_digest(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.train()
    path = tmp_path / "checkpoint.pt"
    weight = trainer.generator.state_dict()[next(iter(trainer.generator.state_dict()))]
    raw = path.read_bytes()
    at = raw.index(weight.numpy().tobytes())
    planted = raw[:at] + struct.pack("<f", math.nan) + raw[at + 4 :]
    path.write_bytes(planted)
    # the payload still loads as a valid torch file, with the NaN in it: only the digest stands in the way
    unverified = torch.load(io.BytesIO(planted[_payload_offset(path) :]), weights_only=True)
    assert torch.isnan(unverified["generator"][next(iter(unverified["generator"]))]).any()
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(path)


def test_truncated_and_legacy_checkpoints_are_refused(tmp_path):
    path = save_checkpoint({"x": torch.ones(100)}, tmp_path / "a.pt")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="truncated or partial copy"):
        load_checkpoint(path)
    torch.save({"format": "mcgan-checkpoint", "version": 1, "x": torch.ones(2)}, tmp_path / "old.pt")
    with pytest.raises(
        CheckpointError, match=rf"older mcgan_lib \(format version 1, without a SHA-256.*{CHECKPOINT_VERSION}"
    ):
        load_checkpoint(tmp_path / "old.pt")


def test_a_cached_digits_classifier_without_digest_is_retrained(tmp_path):
    from mcgan_lib.nets import digits_classifier as module

    torch.save(
        {"format": "mcgan-checkpoint", "version": 1, "settings": module.TRAINING_SETTINGS}, tmp_path / module.CACHE_FILE
    )
    model = module.load_digits_classifier(tmp_path)
    assert model.test_accuracy > 0.8
    assert load_checkpoint(tmp_path / module.CACHE_FILE)["version"] == CHECKPOINT_VERSION  # replaced, verifiable


# ------------------------------------------------------------------------------------ 3. silent divergence
def test_a_huge_weight_that_overflows_adam_is_divergence(tmp_path):
    out = tmp_path / "huge"
    with pytest.raises(SystemExit) as raised:
        main(
            ["train", "--method", "ms", "--weight", "1e30", "--steps", "60", "--out", str(out), "--no-figures", *SMALL]
        )
    message = str(raised.value)
    assert message.startswith(
        "error: training diverged: the generator's optimiser state (Adam's moment estimates) became"
    )
    assert "--lr or --weight" in message and "pass checkpoint_dir" not in message


def test_updates_that_change_no_weight_are_divergence():
    trainer = _trainer(lr_g=1e-12)
    with pytest.raises(TrainingDivergedError, match="generator's update left every weight unchanged") as raised:
        trainer.train()
    assert raised.value.step == 5
    trainer = _trainer()
    trainer.train()  # the usual settings raise nothing
    assert trainer.step == 20


class _NanAfter(Regularizer):
    """Adds NaN to the generator loss from step ``at`` on."""

    name = "nan_after"

    def __init__(self, at):
        super().__init__(weight=1.0)
        self.at = at

    def generator_terms(self, step):
        return {"boom": step.fake.sum() * 0 + (math.nan if step.step >= self.at else 0.0)}


def test_divergence_after_a_checkpoint_advises_resume_in_the_cli(tmp_path):
    trainer = _trainer(tmp_path, checkpoint_every=5)
    trainer.regularizer = _NanAfter(at=8)
    with pytest.raises(TrainingDivergedError) as raised:
        trainer.train()
    assert "pass checkpoint_dir" not in str(raised.value)
    message = _divergence_message(raised.value, tmp_path)
    assert message == (
        f"error: training diverged: the generator loss became nan at step 8; the last good checkpoint is kept in "
        f"{tmp_path} (inspect it, or continue it with --resume {tmp_path}; the same settings will likely diverge "
        "again). Start a new run (a new --out) with a smaller --lr or --weight"
    )


# ------------------------------------------------------------------------------------ 4. unwritable places
def test_an_out_folder_that_cannot_be_created_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    started = time.monotonic()
    with pytest.raises(SystemExit, match=rf"error: --out {tmp_path / 'file' / 'run'} is not writable"):
        main(["train", "--steps", "100000", "--out", str(tmp_path / "file" / "run"), *SMALL])
    assert time.monotonic() - started < 10


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_folder_is_refused_before_training(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(SystemExit, match=rf"error: --out {folder} is not writable \(Permission denied\)"):
            main(["train", "--steps", "100000", "--out", str(folder), *SMALL])
    finally:
        folder.chmod(0o755)


# ------------------------------------------------------------------------------------ 6. smaller ones
def test_ctrl_c_saves_a_checkpoint_and_exits_with_one_line(tmp_path):
    out = tmp_path / "run"
    run = _cli("--steps", "100000", "--out", str(out), "--no-figures", *SMALL)
    _wait_for(out / "checkpoint.pt", run)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr
    step = load_checkpoint(out)["step"]
    assert lines[0] == (
        f"interrupted after step {step}; saved {out / 'checkpoint.pt'}; continue with: python -m mcgan_lib train "
        f"--resume {out}"
    )
    main(["train", "--resume", str(out), "--steps", str(step + 3), "--no-figures"])
    assert load_checkpoint(out)["step"] == step + 3


def test_resume_refuses_flags_that_would_change_the_run_and_records_steps(tmp_path):
    out = tmp_path / "run"
    main(["train", "--steps", "4", "--out", str(out), "--no-figures", *SMALL])
    with pytest.raises(SystemExit, match=r"--lr, --weight cannot change it \(with --resume only --steps, --progress"):
        main(["train", "--resume", str(out), "--weight", "50", "--lr", "0.1", "--steps", "6"])
    with pytest.raises(SystemExit, match="--set cannot change it"):
        main(["train", "--resume", str(out), "--set", "weight=2"])
    main(["train", "--resume", str(out), "--steps", "6", "--eval-every", "3", "--no-figures"])
    recorded = json.loads((out / "run.json").read_text())
    assert recorded["steps"] == 6 and recorded["eval_every"] == 3
    assert load_checkpoint(out)["step"] == 6


def test_an_out_folder_with_results_but_no_checkpoint_is_not_overwritten(tmp_path):
    out = tmp_path / "run"
    main(["train", "--steps", "2", "--out", str(out), "--no-figures", *SMALL])
    (out / "checkpoint.pt").unlink()
    before = (out / "metrics.json").read_text()
    with pytest.raises(SystemExit, match=r"already holds the results of a run \(metrics.json\) but no checkpoint.pt"):
        main(["train", "--steps", "2", "--out", str(out), *SMALL])
    assert (out / "metrics.json").read_text() == before


def test_repeated_grid_keys_and_list_settings_on_the_command_line(tmp_path):
    with pytest.raises(SystemExit, match=r"--grid weight=\.\.\. is given twice"):
        main(["sweep", "--grid", "weight=1", "--grid", "weight=2", "--steps", "2"])
    with pytest.raises(SystemExit, match=r"--set lambda_mode=\.\.\. is given twice"):
        main(
            [
                "train",
                "--method",
                "reg_gan",
                "--set",
                "lambda_mode=1",
                "--set",
                "lambda_mode=2",
                "--out",
                str(tmp_path / "x"),
            ]
        )
    out = tmp_path / "hm"
    main(
        [
            "train",
            "--steps",
            "2",
            "--method",
            "hm",
            "--set",
            "ere=[0.5,0.3,0.2]",
            "--out",
            str(out),
            "--no-figures",
            *SMALL,
        ]
    )
    assert load_checkpoint(out)["regularizer_config"]["ere"] == [0.5, 0.3, 0.2]
    from mcgan_lib.cli import _parse_grid

    assert _parse_grid(["ere=[0.5,0.3],[0.2,0.1]", "weight=0.1,1", "pairs=batch,pair"]) == {
        "ere": [[0.5, 0.3], [0.2, 0.1]],
        "weight": [0.1, 1],
        "pairs": ["batch", "pair"],
    }
    with pytest.raises(SystemExit, match=r"ere = 1\.5 is above 1.*\[bound, 1\]"):
        main(["train", "--steps", "2", "--method", "hm", "--set", "ere=1.5", "--out", str(tmp_path / "y")])
    with pytest.raises(SystemExit, match="ere must have one target per layer"):
        main(
            ["train", "--steps", "2", "--method", "hm", "--set", "ere=[0.5,0.3]", "--out", str(tmp_path / "z"), *SMALL]
        )


def test_more_cli_errors_are_messages(tmp_path):
    out = tmp_path / "run"
    main(["train", "--steps", "2", "--out", str(out), "--no-figures", *SMALL])
    (out / "run.json").write_text('{"task": "ring", ')
    with pytest.raises(SystemExit, match=rf"error: --resume {out}: {out / 'run.json'} cannot be read"):
        main(["train", "--resume", str(out)])
    (out / "run.json").write_text('{"task": "ring"}')
    with pytest.raises(SystemExit, match=r"run.json lacks \['batch_size'"):
        main(["train", "--resume", str(out)])
    with pytest.raises(SystemExit, match="error: --eval-every must be >= 1, got 0"):
        main(["train", "--out", str(tmp_path / "e"), "--eval-every", "0"])
    assert not (tmp_path / "e").exists()
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="error: device='cuda' was asked for, but no CUDA GPU is available"):
            main(["train", "--steps", "2", "--out", str(tmp_path / "g"), "--device", "cuda", *SMALL])
        assert not (tmp_path / "g").exists()


class _ProbeLock(Callback):
    """At the first step, asks another process for the lock of ``folder``; keeps its exit status."""

    def __init__(self, folder):
        self.folder, self.result = folder, None

    def on_step_end(self, trainer, logs):
        if self.result is None:
            code = f"from mcgan_lib.locks import FolderLock; FolderLock({str(self.folder)!r}).acquire()"
            self.result = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )


@pytest.mark.parametrize("kind", ["trainer", "ensemble"])
def test_both_training_loops_hold_the_lock_of_their_checkpoint_dir(tmp_path, kind):
    from mcgan_lib.ensemble import EnsembleTrainer, Member

    probe = _ProbeLock(tmp_path)
    if kind == "trainer":
        loop = _trainer(tmp_path, steps=3)
        loop.callbacks.append(probe)
    else:
        members = [
            Member(
                MLPGenerator(latent_dim=4, hidden_dim=16, depth=2, seed=s),
                MLPDiscriminator(hidden_dim=16, depth=2, seed=s),
                TrainConfig(steps=3, batch_size=32, seed=s),
                None,
            )
            for s in (0, 1)
        ]
        loop = EnsembleTrainer(ring(), members, callbacks=[probe], checkpoint_dir=tmp_path)
    loop.train()
    assert probe.result.returncode != 0 and f"run folder {tmp_path} is in use by another process" in probe.result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # lock released, its file removed
