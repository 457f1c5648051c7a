"""The full-size image runs: each task's configuration holds the papers' values, a tiny run of every task
family trains through ``python -m mcgan_lib train`` (on synthetic files in the data sets' true on-disk
formats, or on the offline tasks), resumes exactly, reports a missing data set in one line, and trains
under ``torchrun`` with two CPU processes."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mcgan_lib.chapters.ch09_paired_translation import TRANSLATION_METHODS, TRANSLATION_SETUP
from mcgan_lib.chapters.ch10_super_resolution_inpainting import RESTORATION_METHODS, RESTORATION_SETUPS
from mcgan_lib.checkpoint import load_checkpoint
from mcgan_lib.cli import main
from mcgan_lib.data import pix2pix
from mcgan_lib.data.celeba import CELEBA_PARTITION_MD5
from mcgan_lib.experiments.full_size import (
    FULL_SIZE_TASKS,
    TASK_CONFIGURATIONS,
    full_size_run,
    on_device,
)
from mcgan_lib.regularizers.moment_reconstruction import VARIANTS as MR_VARIANTS
from mcgan_lib.tables import read_table, write_table

CPU = ["--device", "cpu"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Checksum manifests (trust on first use) go to this test's own folder."""
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))


def write_pix2pix(root: Path, name: str = "facades", side: int = 32) -> Path:
    """A pix2pix release's layout with the release's image counts: ``root/name/<split>/<i>.jpg``, each
    JPEG the A|B pair side by side (width = 2 x height)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in pix2pix.PIX2PIX_SIZES[name].items():
        folder = root / name / split
        folder.mkdir(parents=True)
        for i in range(count):
            pair = rng.integers(0, 256, (side, 2 * side, 3), dtype=np.uint8)
            pair[:, side:] = pair[:, :side] // 2 + 64  # B a function of A
            Image.fromarray(pair).save(folder / f"{i + 1}.jpg", quality=90)
    return root


def write_celeba(root: Path, n_train: int = 24, n_test: int = 8) -> str:
    """CelebA's layout: ``root/celeba/img_align_celeba/*.jpg`` (178x218 in the release, smaller here) and
    ``list_eval_partition.txt``; returns the partition file's MD5 (the release's is published)."""
    from PIL import Image

    folder = root / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    lines = []
    for i in range(n_train + n_test):
        name = f"{i + 1:06d}.jpg"
        Image.fromarray(rng.integers(0, 256, (44, 36, 3), dtype=np.uint8)).save(folder / name, quality=90)
        lines.append(f"{name} {0 if i < n_train else 2}")
    partition = root / "celeba" / "list_eval_partition.txt"
    partition.write_text("\n".join(lines) + "\n")
    return hashlib.md5(partition.read_bytes()).hexdigest()


def train(out: Path, *flags) -> int:
    return main(["train", "--size", "tiny", "--out", str(out), *CPU, *flags])


# ---------------------------------------------------------------------------------------------- the papers' values
@pytest.mark.parametrize("task", ["facades", "maps"])
def test_pix2pix_tasks_hold_pix2pix_msgan_hmgan_and_mr_gan_values(task):
    configuration = TASK_CONFIGURATIONS[task]
    assert (configuration.family, configuration.image_size, configuration.epochs) == ("pix2pix", 256, 200)
    base = full_size_run(task, "gan_l1")
    setup = base.setup
    assert (setup.architecture, setup.depth, setup.g_channels) == ("unet", 8, 64)  # pix2pix's 256x256 U-Net
    assert (setup.d_layers, setup.d_channels) == (3, 64)  # the 70x70 PatchGAN
    assert (setup.optimizer, setup.lr, setup.betas, setup.batch_size) == ("adam", 2e-4, (0.5, 0.999), 1)
    assert (setup.latent_dim, setup.noise_injection, setup.gan_loss) == (8, "all", "non_saturating")
    assert base.settings["weight"] == 100.0  # pix2pix's λ_ℓ1
    train_size = pix2pix.PIX2PIX_SIZES[task]["train"]
    assert base.total_steps(train_size) == 200 * train_size  # 200 epochs at batch 1

    ms = full_size_run(task, "ms_l1")
    assert (ms.settings["weight"], ms.settings["l1_weight"], ms.epochs) == (1.0, 10.0, 400)
    assert full_size_run(task, "ms").settings["weight"] == 1.0
    for name, l1_weight in (("hm", None), ("hm_l1", 100.0)):
        hm = full_size_run(task, name)
        assert (hm.settings["weight"], hm.settings["ere"], hm.settings.get("l1_weight")) == (1.0, 0.0, l1_weight)
    for variant in MR_VARIANTS:
        mr = full_size_run(task, variant)
        assert (mr.settings["weight"], mr.settings["samples_per_input"]) == (10.0, 10)
        s = mr.setup
        assert (s.optimizer, s.lr, s.weight_decay, s.batch_size, s.latent_dim) == ("amsgrad", 1e-4, 1e-4, 8, 32)
        assert (s.depth, s.g_channels, s.d_layers) == (8, 64, 3)  # the same networks
        assert mr.total_steps(train_size) == 200 * train_size // 8
    assert full_size_run(task, "gaussian_proxy_mr2").settings["predictor_steps"] == 5_000


def test_celeba_tasks_hold_mr_gan_appendix_b_values():
    sr = TASK_CONFIGURATIONS["celeba_sr"]
    assert (sr.family, sr.image_size, sr.steps, sr.limit) == ("srgan", 64, 100_000, None)
    run = full_size_run("celeba_sr", "gan_l2")
    s = run.setup
    assert (s.architecture, s.depth, s.g_channels, s.latent_dim) == ("srresnet", 16, 64, 16)
    assert (s.optimizer, s.lr, s.weight_decay, s.batch_size) == ("amsgrad", 1e-4, 1e-4, 8)
    assert run.settings["weight"] == 1000.0 and run.total_steps(162_770) == 100_000
    for variant in MR_VARIANTS:
        settings = full_size_run("celeba_sr", variant).settings
        expected = 2400.0 if "proxy" in variant else 20.0
        assert (settings["weight"], settings["samples_per_input"]) == (expected, 24)

    inpainting = TASK_CONFIGURATIONS["celeba_inpainting"]
    assert (inpainting.family, inpainting.image_size, inpainting.limit) == ("glcic", 128, 20_000)
    run = full_size_run("celeba_inpainting", "gaussian_proxy_mr2")
    s = run.setup
    assert (s.architecture, s.depth, s.d_layers, s.latent_dim, s.batch_size) == ("glcic", 4, 6, 32, 8)
    assert (run.settings["weight"], run.settings["samples_per_input"]) == (1000.0, 12)
    assert full_size_run("celeba_inpainting", "gan_l2").settings["weight"] == 100.0
    assert full_size_run("celeba_inpainting", "gaussian_mr2").recipe is None  # the thesis found no setting


def test_offline_tasks_are_the_chapters_configurations():
    assert full_size_run("edges2photo", "gan").setup == TRANSLATION_SETUP
    for name, options in TRANSLATION_METHODS.items():
        assert {k: full_size_run("edges2photo", name).settings[k] for k in options} == options
    for task in ("super_resolution", "inpainting"):
        assert full_size_run(task, "gan").setup == RESTORATION_SETUPS[task]
        for name, options in RESTORATION_METHODS[task].items():
            assert {k: full_size_run(task, name).settings[k] for k in options} == options
    assert set(FULL_SIZE_TASKS) == {"facades", "maps", "celeba_sr", "celeba_inpainting"}


def test_global_batch_overrides_and_tiny_size():
    run = full_size_run("facades", "gan_l1")
    assert run.total_steps(400, world_size=4) == 20_000  # 200 epochs at a global batch of 4
    changed = full_size_run("facades", "ms", settings={"weight": 2.0}, steps=50, lr=1e-3, batch_size=4)
    assert (changed.settings["weight"], changed.total_steps(400), changed.setup.lr) == (2.0, 50, 1e-3)
    assert changed.setup.depth == 8 and changed.setup.batch_size == 4
    tiny = full_size_run("facades", "gaussian_proxy_mr2", size="tiny")
    assert (tiny.setup.depth, tiny.setup.g_channels, tiny.total_steps(400)) == (5, 8, 20)
    assert tiny.settings["predictor_steps"] == 20 and tiny.settings["weight"] == 10.0
    with pytest.raises(ValueError, match="task must be one of"):
        full_size_run("cityscapes", "gan")
    with pytest.raises(ValueError, match="method must be one of"):
        full_size_run("facades", "bicyclegan")
    with pytest.raises(ValueError, match=r"\['zeta'\] are not settings of method 'ms'"):
        full_size_run("facades", "ms", settings={"zeta": 1})


def test_celeba_loaders_read_the_release_layout_and_build_the_papers_networks(tmp_path):
    md5 = write_celeba(tmp_path)
    checksums = {"list_eval_partition.txt": md5}
    sr = TASK_CONFIGURATIONS["celeba_sr"].load_data(tmp_path, "tiny", checksums=checksums)
    assert (sr.condition_shape, sr.data_shape, len(sr), len(sr.test)) == ((3, 4, 4), (3, 16, 16), 24, 8)
    inpainting = TASK_CONFIGURATIONS["celeba_inpainting"].load_data(tmp_path, "tiny", checksums=checksums)
    assert (inpainting.condition_shape, inpainting.data_shape) == ((4, 16, 16), (3, 16, 16))
    assert inpainting.spec()["test_split"] == "celeba-test-inpaint"
    for task, data in (("celeba_sr", sr), ("celeba_inpainting", inpainting)):
        setup = on_device(full_size_run(task, "gan", size="tiny").setup, "cpu")
        generator, discriminator = setup.networks(data, seed=0)
        batch = data.sample_batch(2, torch.Generator().manual_seed(0))
        fake = generator(generator.sample_latent(2), batch.condition)
        assert fake.shape == (2, *data.data_shape) and discriminator(fake, batch.condition).shape[0] == 2


# ---------------------------------------------------------------------------------------------- tiny runs
def test_tiny_facades_run_on_the_pix2pix_layout_writes_metrics_samples_and_a_checkpoint(tmp_path, capsys):
    root = write_pix2pix(tmp_path / "data")
    out = tmp_path / "facades_ms"
    assert train(out, "--task", "facades", "--method", "ms_l1", "--data-root", str(root)) == 0
    printed = capsys.readouterr().out
    assert "facades (tiny), ms_l1: to step 20, batch 1, on cpu; MSGAN Eq. 2" in printed
    result = json.loads((out / "metrics.json").read_text())
    assert (result["step"], result["device"], result["world_size"]) == (20, "cpu", 1)
    assert set(result["metrics"]) == {"l1_error", "mean_l2_error", "pixel_std", "lpips", "lpips_calibrated", "fid"}
    assert result["wall_seconds"] > 0 and result["command"].startswith("python -m mcgan_lib train")
    configuration = result["configuration"]
    assert (configuration["settings"]["l1_weight"], configuration["setup"]["depth"]) == (10.0, 5)
    assert result["history"]["eval"]["step"] == [10, 20]
    assert (out / "figures" / "samples.png").read_bytes()[:4] == b"\x89PNG"
    assert load_checkpoint(out)["step"] == 20
    recorded = json.loads((out / "run.json").read_text())
    assert (recorded["lr"], recorded["checkpoint_every"], recorded["world_size"]) == (None, 10, 1)

    # the module docstring's recipe: the row stored beside the chapters' results, and read back
    row = pd.DataFrame([{"task": "facades", "method": "ms_l1", "seed": 0, **result["metrics"]}])
    stem = tmp_path / "stored" / "ms_l1-full-facades-0"
    write_table(row, stem, configuration, provenance={"command": result["command"]})
    table = read_table(stem, json.loads(json.dumps(configuration)))
    assert table is not None and table["lpips"].iloc[0] == pytest.approx(result["metrics"]["lpips"])


@pytest.mark.parametrize(("task", "method"), [("super_resolution", "gaussian_mr2"), ("inpainting", "gan_l2")])
def test_tiny_srresnet_and_glcic_runs_on_the_offline_tasks(tmp_path, task, method):
    out = tmp_path / task
    assert train(out, "--task", task, "--method", method, "--no-figures") == 0
    result = json.loads((out / "metrics.json").read_text())
    assert result["step"] == 20 and np.isfinite(result["metrics"]["l1_error"])
    network = "SRResNetGenerator" if task == "super_resolution" else "GLCICGenerator"
    assert load_checkpoint(out)["generator_spec"]["type"] == network


def test_tiny_celeba_runs_from_the_command_line(tmp_path, monkeypatch):
    md5 = write_celeba(tmp_path / "data")
    monkeypatch.setattr("mcgan_lib.data.celeba.CELEBA_PARTITION_MD5", md5)  # our synthetic partition file's checksum
    for task, method in (("celeba_sr", "gan_l2"), ("celeba_inpainting", "gaussian_proxy_mr2")):
        out = tmp_path / task
        assert (
            train(out, "--task", task, "--method", method, "--data-root", str(tmp_path / "data"), "--steps", "4") == 0
        )
        assert json.loads((out / "metrics.json").read_text())["step"] == 4


def test_resume_continues_exactly_like_an_uninterrupted_image_run(tmp_path):
    flags = ["--task", "edges2photo", "--method", "gaussian_proxy_mr2", "--no-figures"]
    train(tmp_path / "whole", *flags)
    train(tmp_path / "split", *flags, "--steps", "10")
    assert main(["train", "--resume", str(tmp_path / "split"), "--steps", "20", "--no-figures"]) == 0
    whole, split = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "split")
    assert split["step"] == whole["step"] == 20
    for part in ("generator", "discriminator", "regularizer"):
        for name, tensor in whole[part].items():
            assert torch.equal(tensor, split[part][name]), (part, name)
    with pytest.raises(SystemExit, match="--hidden-dim sets the toy MLPs' width"):
        train(tmp_path / "bad", *flags, "--hidden-dim", "8")
    with pytest.raises(SystemExit, match="--size tiny applies to image tasks"):
        train(tmp_path / "bad", "--task", "ring")


def test_ranks_after_the_first_resume_their_data_exactly(tmp_path):
    """A rank > 0 draws from (seed, rank, step) before every step, so it resumes from any checkpoint
    exactly (the checkpoint holds rank 0's generator state only)."""
    from mcgan_lib.distributed import DistributedContext, DistributedTrainer
    from mcgan_lib.training import TrainConfig

    def trainer(steps, folder=None):
        setup = full_size_run("edges2photo", "gan", size="tiny").setup
        data = TASK_CONFIGURATIONS["edges2photo"].load_data()
        generator, discriminator = setup.networks(data, 0)
        context = DistributedContext(rank=1, world_size=1, local_rank=1, device=torch.device("cpu"))
        config = TrainConfig(steps=steps, batch_size=4, lr_g=2e-4, lr_d=2e-4, seed=0, log_every=5)
        return DistributedTrainer(context, data, generator, discriminator, config, checkpoint_dir=folder)

    whole = trainer(6)
    whole.train()
    first = trainer(3, tmp_path)
    first.train()
    resumed = trainer(6, tmp_path).resume()
    resumed.train()
    for a, b in zip(whole.generator.parameters(), resumed.generator.parameters()):
        assert torch.equal(a, b)


# ---------------------------------------------------------------------------------------------- errors
def test_missing_data_set_is_one_line_with_where_to_get_it_and_status_2(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "MCGAN_DATA_DIR": str(tmp_path / "empty"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "mcgan_lib", "train", "--task", "maps", "--out", str(out), *CPU]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the pix2pix 'maps' 'train' split was not found")
    assert "maps.tar.gz" in lines[0] and "trust on first use" in lines[0] and "MCGAN_DATA_DIR" in lines[0]
    assert not out.exists()  # nothing left behind
    celeba = ["train", "--task", "celeba_sr", "--out", str(out), *CPU, "--data-root"]
    with pytest.raises(SystemExit, match="CelebA's list_eval_partition.txt was not found") as missing:
        main([*celeba, str(tmp_path / "empty")])
    assert CELEBA_PARTITION_MD5 in str(missing.value) and "\n" not in str(missing.value)
    write_celeba(tmp_path / "other")  # a partition file that is not the release's
    with pytest.raises(SystemExit, match=f"published checksum is {CELEBA_PARTITION_MD5}"):
        main([*celeba, str(tmp_path / "other")])


# ---------------------------------------------------------------------------------------------- torchrun
TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")


@pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed beside this Python")
def test_two_processes_under_torchrun_train_and_write_the_results_once(tmp_path):
    out = tmp_path / "ddp"
    command = [TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "mcgan_lib", "train"]
    command += ["--task", "edges2photo", "--method", "ms_l1", "--size", "tiny", "--out", str(out), *CPU]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MCGAN_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("wrote") == 1 and result.stdout.count("edges2photo (tiny)") == 1
    assert "per process x 2 = 64" in result.stdout
    result_file = json.loads((out / "metrics.json").read_text())
    assert (result_file["world_size"], result_file["step"]) == (2, 20)
    assert result_file["configuration"]["global_batch_size"] == 64
    assert json.loads((out / "run.json").read_text())["world_size"] == 2
    assert load_checkpoint(out)["step"] == 20
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "figures", "metrics.json", "run.json"]
    with pytest.raises(SystemExit, match=r"continues a run of 2 process\(es\) and this is 1"):
        main(["train", "--resume", str(out), "--steps", "30"])
