"""Training on several GPUs or machines with the library's one loop: ``torchrun`` + DistributedDataParallel.

Launch a script with ``torchrun --nproc_per_node=N script.py``; in the script::

    context = init_distributed()                      # reads RANK / WORLD_SIZE / LOCAL_RANK from torchrun
    trainer = distributed_trainer(context, data, generator, discriminator, config, checkpoint_dir=...)
    trainer.train()
    shutdown_distributed()

What :func:`distributed_trainer` does, so that :class:`~mcgan_lib.training.Trainer` itself is unchanged:

- wraps G and D in :class:`DistributedModule` (``DistributedDataParallel`` that still exposes
  ``latent_dim``, ``sample_latent``, ``spec`` ... and saves the same ``state_dict`` as the bare network,
  so checkpoints are interchangeable with single-process ones). Gradients are averaged over ranks in
  every backward pass, and BatchNorm buffers are broadcast from rank 0, so the ranks' weights stay
  identical (the two-process test checks it);
- gives every rank its own data and latents: rank 0 keeps the configured seed and its generator's
  stream (so a one-process run is the rank-0 part of a multi-process run, and the checkpoint holds
  rank 0's state), and rank r > 0 re-seeds the trainer's generator before every step with
  :func:`rank_seed` (seed, r, step). A rank's draws are thus a function of the step alone, so a run
  resumed from any checkpoint continues exactly as it would have. The loop draws batches *with
  replacement*, so independent per-rank draws are exactly what ``DistributedSampler`` would give a
  with-replacement sampler; the global batch is ``world_size * batch_size``. For epoch-style passes
  over a data set (streaming evaluation of FID or NDB on large sets) :func:`distributed_loader` uses a
  real ``DistributedSampler``;
- makes the ranks agree, every step, on whether to stop (Ctrl-C: ``torchrun`` forwards the signal to
  every worker, each at its own point of the step) and whether a loss is finite, so that all stop after
  the same step and none waits forever in a collective (:class:`DistributedTrainer`);
- logs, shows progress, runs callbacks and writes checkpoints on rank 0 only.

Backend: ``nccl`` on GPUs, ``gloo`` on the CPU (the test runs two CPU processes with gloo).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from mcgan_lib.training import TrainConfig, Trainer
from mcgan_lib.validation import check_int


@dataclass
class DistributedContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


# How long a process waits in a collective before the group is declared hung: rank 0 alone evaluates the
# generator (minutes at full size) while the others wait at the next step's all-reduce.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)


def init_distributed(
    backend: str | None = None, device: str | None = None, timeout: timedelta = COLLECTIVE_TIMEOUT
) -> DistributedContext:
    """Join the process group torchrun (or a spawner) describes in RANK, WORLD_SIZE, LOCAL_RANK and
    MASTER_ADDR/MASTER_PORT; without them, a one-process context (no process group). ``timeout``: how long
    a collective may wait (:data:`COLLECTIVE_TIMEOUT`)."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        resolved = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        return DistributedContext(0, 1, 0, resolved)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
    backend = backend or ("nccl" if use_cuda else "gloo")
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size, timeout=timeout)
    return DistributedContext(rank, world_size, local_rank, torch.device(f"cuda:{local_rank}" if use_cuda else "cpu"))


def shutdown_distributed() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


class DistributedModule(DistributedDataParallel):
    """DDP that forwards unknown attributes (``latent_dim``, ``sample_latent``, ``spec``, ...) to the
    wrapped network and saves/loads the wrapped network's own ``state_dict`` (no ``module.`` prefix)."""

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)

    def state_dict(self, *args, **kwargs):
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


def wrap(module: nn.Module, context: DistributedContext) -> nn.Module:
    """``module`` on the context's device, in :class:`DistributedModule` when there are several ranks."""
    module = module.to(context.device)
    if context.world_size == 1:
        return module
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return DistributedModule(module, device_ids=device_ids)


def rank_seed(seed: int, rank: int, step: int = 0) -> int:
    """The data/latent seed of rank ``rank`` > 0 (rank 0 keeps ``seed``): distinct for each (seed, rank, step)."""
    return (seed * 1_000_003 + rank * 7_919 + step * 104_729) % (2**63 - 1) if rank else seed


def unwrap(module: nn.Module) -> nn.Module:
    """The network inside a :class:`DistributedModule` (or ``module`` itself): for evaluation on one rank,
    which must not run DDP's collectives."""
    return module.module if isinstance(module, DistributedDataParallel) else module


def _all_reduce_min(values: list[float], context: DistributedContext) -> list[float]:
    tensor = torch.tensor(values, dtype=torch.float32, device=context.device)
    if context.world_size > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.MIN)
    return tensor.tolist()


def ranks_agree(ok: bool, context: DistributedContext) -> tuple[bool, bool]:
    """``(every rank ok, rank 0 ok)``, known to every rank (one collective; no-op for one process)."""
    every, main = _all_reduce_min([float(ok), float(ok) if context.is_main else 1.0], context)
    return every == 1.0, main == 1.0


@torch.no_grad()
def broadcast_module(module: nn.Module, context: DistributedContext) -> None:
    """Copy rank 0's parameters and buffers of ``module`` to every rank (e.g. a regularizer's fitted
    predictor, fitted on every rank but not bit-identically on GPUs)."""
    if context.world_size > 1:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


class DistributedTrainer(Trainer):
    """The library's :class:`~mcgan_lib.training.Trainer` for one rank of a multi-process run (see the
    module docstring): per-step data seeds for ranks > 0, and agreement on stopping and divergence. Its
    checkpoints are a plain Trainer's (rank 0's state)."""

    def __init__(self, context: DistributedContext, *args, **kwargs):
        self.context = context
        super().__init__(*args, **kwargs)

    def train_step(self):
        if self.context.rank:
            self.rng.manual_seed(rank_seed(self.config.seed, self.context.rank, self.step))
        return super().train_step()

    def _stop_check(self, interrupted):
        return lambda: _all_reduce_min([0.0 if interrupted() else 1.0], self.context)[0] == 0.0

    def _check_finite(self, name, value, step):
        finite = bool(torch.isfinite(value))
        if not ranks_agree(finite, self.context)[0]:
            shown = f"{value.item()}" if not finite else "non-finite on another process"
            raise self._diverged(f"the {name} became {shown}", step, updated=False)


def distributed_trainer(
    context: DistributedContext,
    data,
    generator: nn.Module,
    discriminator: nn.Module,
    config=None,
    regularizer=None,
    callbacks=(),
    checkpoint_dir=None,
    progress: bool = False,
):
    """A :class:`~mcgan_lib.training.Trainer` for this rank (see the module docstring)."""
    import dataclasses

    config = config if config is not None else TrainConfig()
    config = dataclasses.replace(config, device=str(context.device))
    trainer = DistributedTrainer(
        context,
        data,
        wrap(generator, context),
        wrap(discriminator, context),
        config,
        regularizer,
        callbacks=callbacks if context.is_main else (),
        checkpoint_dir=checkpoint_dir if context.is_main else None,
        progress=progress and context.is_main,
    )
    if context.rank:
        trainer.rng.manual_seed(rank_seed(config.seed, context.rank))
    return trainer


def resume_distributed(trainer, path, context: DistributedContext):
    """Every rank loads rank 0's checkpoint ``path``; ranks > 0 then re-seed from (seed, rank, step), as
    they do before every step."""
    trainer.resume(path)
    if context.rank:
        trainer.rng.manual_seed(rank_seed(trainer.config.seed, context.rank, trainer.step))
    return trainer


def distributed_loader(
    dataset: Dataset, batch_size: int, context: DistributedContext, shuffle: bool = False, seed: int = 0
) -> DataLoader:
    """A DataLoader over this rank's share of ``dataset`` (``DistributedSampler``; no shuffling by default,
    for evaluation). The last batch may be short; DistributedSampler pads with repeats to equal shares."""
    check_int("batch_size", batch_size, minimum=1)
    sampler = DistributedSampler(
        dataset, num_replicas=context.world_size, rank=context.rank, shuffle=shuffle, seed=seed
    )
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)


@torch.no_grad()
def broadcast_buffers(module: nn.Module) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank.

    DDP broadcasts them at the start of each forward pass, but the last forward pass of training updates
    each rank's copy from its own batch; call this before evaluating on every rank.
    """
    if dist.is_initialized() and dist.get_world_size() > 1:
        for buffer in getattr(module, "module", module).buffers():
            dist.broadcast(buffer, src=0)


@torch.no_grad()
def parameters_in_sync(module: nn.Module, atol: float = 0.0) -> bool:
    """True when every rank holds the same parameters (compares against rank 0 with a broadcast)."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return True
    vector = torch.cat([p.detach().flatten().float() for p in module.parameters()]).cpu()
    reference = vector.clone()
    dist.broadcast(reference, src=0)
    same = torch.tensor([1.0 if torch.allclose(vector, reference, atol=atol, rtol=0) else 0.0])
    dist.all_reduce(same, op=dist.ReduceOp.MIN)
    return bool(same.item() == 1.0)
