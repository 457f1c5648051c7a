import json
import subprocess
import sys

import pytest
import torch

from mcgan_lib.checkpoint import load_checkpoint
from mcgan_lib.cli import main
from mcgan_lib.methods import METHODS

SMALL = [
    "--hidden-dim",
    "16",
    "--latent-dim",
    "4",
    "--batch-size",
    "32",
    "--eval-every",
    "10",
    "--checkpoint-every",
    "10",
]


def test_train_writes_checkpoint_metrics_and_figures(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--task", "ring", "--steps", "20", "--seed", "3", "--out", str(out), *SMALL]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 20
    assert 0 <= metrics["modes_captured"] <= 8 and 0 <= metrics["high_quality_fraction"] <= 1
    assert metrics["history"]["eval"]["step"] == [10, 20]
    assert load_checkpoint(out)["step"] == 20
    assert (out / "figures" / "gan_lab.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "run.json").read_text())["seed"] == 3


def test_resume_matches_an_uninterrupted_cli_run(tmp_path):
    main(["train", "--steps", "20", "--out", str(tmp_path / "full"), "--no-figures", *SMALL])
    main(["train", "--steps", "10", "--out", str(tmp_path / "split"), "--no-figures", *SMALL])
    main(["train", "--resume", str(tmp_path / "split"), "--steps", "20", "--no-figures"])
    full, split = load_checkpoint(tmp_path / "full"), load_checkpoint(tmp_path / "split")
    assert split["step"] == 20
    for name, tensor in full["generator"].items():
        assert torch.equal(tensor, split["generator"][name]), name


@pytest.mark.parametrize("name", [name for name in METHODS if name != "gan"])
def test_every_method_trains_from_the_cli_and_resumes(tmp_path, name):
    out = tmp_path / name
    main(["train", "--steps", "4", "--method", name, "--weight", "0.5", "--out", str(out), "--no-figures", *SMALL])
    state = load_checkpoint(out)
    assert state["regularizer_config"]["name"] != "none"
    main(["train", "--resume", str(out), "--steps", "6", "--no-figures"])
    assert load_checkpoint(out)["step"] == 6
    with pytest.raises(SystemExit, match="weight must be >= 0|lambda_geometric must be >= 0"):
        main(["train", "--steps", "2", "--method", name, "--weight", "-1", "--out", str(tmp_path / "bad"), *SMALL])


def test_method_settings_from_the_command_line(tmp_path):
    def train(out, *flags):
        return main(["train", "--steps", "2", *flags, "--out", str(out), "--no-figures", *SMALL])

    train(tmp_path / "reg", "--method", "reg_gan", "--set", "lambda_mode=0.2")
    assert load_checkpoint(tmp_path / "reg")["regularizer_config"]["lambda_mode"] == 0.2
    with pytest.raises(SystemExit, match=r"\['zeta'\] are not settings of method 'ms'"):
        train(tmp_path / "bad", "--method", "ms", "--set", "zeta=1")
    with pytest.raises(SystemExit, match="--set 'lambda_mode': write KEY=VALUE"):
        train(tmp_path / "b2", "--method", "reg_gan", "--set", "lambda_mode")


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    with pytest.raises(SystemExit, match="exactly one of --out"):
        main(["train"])
    with pytest.raises(SystemExit, match="no run.json"):
        main(["train", "--resume", str(tmp_path)])
    with pytest.raises(SystemExit, match="batch_size must be >= 1"):
        main(["train", "--out", str(tmp_path / "x"), "--batch-size", "0"])
    main(["train", "--steps", "2", "--out", str(tmp_path / "y"), "--no-figures", *SMALL])
    with pytest.raises(SystemExit, match="already holds a checkpoint"):
        main(["train", "--steps", "2", "--out", str(tmp_path / "y"), *SMALL])
    (tmp_path / "y" / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.raises(SystemExit, match="corrupt"):
        main(["train", "--resume", str(tmp_path / "y")])


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "mcgan_lib", "train", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--resume" in result.stdout


def test_sweep_writes_a_table_and_reads_the_cache(tmp_path, monkeypatch, capsys):
    import pandas as pd

    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "ms.csv"
    arguments = ["sweep", "--method", "ms", "--grid", "weight=0.5,2", "--seeds", "2", "--steps", "5", "--out", str(out)]
    assert main(arguments) == 0
    table = pd.read_csv(out)
    assert table[["weight", "seed"]].values.tolist() == [[0.5, 0], [0.5, 1], [2.0, 0], [2.0, 1]]
    assert "cache miss" in capsys.readouterr().out
    main(arguments)
    assert "cache hit" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="grid key 'alpha' is not a setting"):
        main(["sweep", "--grid", "alpha=1", "--steps", "2"])
    with pytest.raises(SystemExit, match="write KEY=V1,V2"):
        main(["sweep", "--grid", "weight", "--steps", "2"])
    with pytest.raises(SystemExit, match="--seeds must be >= 1"):
        main(["sweep", "--seeds", "0"])
