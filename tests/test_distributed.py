"""Two CPU processes with the gloo backend train the same small GAN through the one Trainer and stay in sync."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.distributed import (
    DistributedModule,
    broadcast_buffers,
    distributed_loader,
    init_distributed,
    parameters_in_sync,
    rank_seed,
    shutdown_distributed,
)

STEPS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    from mcgan_lib.distributed import distributed_trainer
    from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANGenerator
    from mcgan_lib.training import TrainConfig

    context = init_distributed(device="cpu")
    data = ImageDataset(torch.rand(64, 1, 8, 8) * 2 - 1, labels=torch.arange(64) % 4, num_classes=4)
    generator = DCGANGenerator(
        latent_dim=4, image_shape=(1, 8, 8), num_classes=4, base_channels=4, upsamplings=1, seed=0
    )
    discriminator = DCGANDiscriminator(image_shape=(1, 8, 8), num_classes=4, base_channels=4, downsamplings=1, seed=0)
    initial = torch.cat([p.detach().flatten() for p in generator.parameters()]).clone()
    config = TrainConfig(steps=STEPS, batch_size=8, lr_g=1e-2, lr_d=1e-2, seed=3, log_every=1)
    trainer = distributed_trainer(
        context, data, generator, discriminator, config, checkpoint_dir=os.path.join(out_dir, f"ckpt{rank}")
    )
    first_batch = data.sample_batch(8, torch.Generator().manual_seed(rank_seed(3, rank))).real
    trainer.train()
    buffers_before = torch.cat([b.flatten().float() for b in trainer.generator.module.buffers()])
    broadcast_buffers(trainer.generator)
    in_sync = parameters_in_sync(trainer.generator) and parameters_in_sync(trainer.discriminator)
    final = torch.cat([p.detach().flatten() for p in trainer.generator.parameters()])
    buffers = torch.cat([b.flatten().float() for b in trainer.generator.module.buffers()])
    torch.save(
        {
            "in_sync": in_sync,
            "final": final,
            "moved": float((final - initial).abs().max()),
            "buffers": buffers,
            "buffers_before": buffers_before,
            "first_batch": first_batch,
            "wrapped": isinstance(trainer.generator, DistributedModule),
            "state_keys": list(trainer.generator.state_dict()),
            "spec": trainer.generator.spec(),
            "has_checkpoint": trainer.last_checkpoint is not None,
        },
        os.path.join(out_dir, f"rank{rank}.pt"),
    )
    shutdown_distributed()


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(2, _free_port(), str(out_dir)), nprocs=2, join=True)
    return [torch.load(out_dir / f"rank{r}.pt", weights_only=False) for r in range(2)]


def test_two_processes_stay_in_sync_after_training(two_process_run):
    rank0, rank1 = two_process_run
    assert rank0["wrapped"] and rank1["wrapped"]
    assert rank0["in_sync"] and rank1["in_sync"]
    assert rank0["moved"] > 1e-4  # the weights did change
    assert torch.equal(rank0["final"], rank1["final"])  # and identically on both ranks
    # BatchNorm statistics: each rank's last forward pass updated its own copy; broadcast_buffers aligns them
    assert not torch.equal(rank0["buffers_before"], rank1["buffers_before"])
    assert torch.equal(rank0["buffers"], rank1["buffers"])


def test_ranks_draw_different_data_and_only_rank0_checkpoints(two_process_run):
    rank0, rank1 = two_process_run
    assert not torch.equal(rank0["first_batch"], rank1["first_batch"])
    assert rank0["has_checkpoint"] and not rank1["has_checkpoint"]


def test_wrapped_network_saves_the_bare_state_dict(two_process_run):
    keys = two_process_run[0]["state_keys"]
    assert keys and not any(k.startswith("module.") for k in keys)
    assert two_process_run[0]["spec"]["type"] == "DCGANGenerator"


def test_single_process_context_without_torchrun(monkeypatch):
    for name in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    context = init_distributed(device="cpu")
    assert (context.rank, context.world_size, context.is_main) == (0, 1, True)
    assert rank_seed(5, 0) == 5 and rank_seed(5, 1) != rank_seed(5, 2)


def test_distributed_loader_splits_the_data_between_ranks():
    from mcgan_lib.distributed import DistributedContext

    data = ImageDataset(torch.arange(10.0).view(10, 1, 1, 1))
    seen = []
    for rank in range(2):
        loader = distributed_loader(data, 3, DistributedContext(rank, 2, rank, torch.device("cpu")))
        seen.append(torch.cat([images.flatten() for images, _ in loader]))
    assert len(seen[0]) == len(seen[1]) == 5
    assert sorted(torch.cat(seen).tolist()) == list(range(10))
