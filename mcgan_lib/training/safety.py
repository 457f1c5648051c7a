"""What keeps a run safe to leave alone: divergence checks, Ctrl-C between two steps, and the lock of the
checkpoint folder.

- A non-finite loss stops training with :class:`TrainingDivergedError` naming the step; no update and no
  checkpoint is written after it, so the last good checkpoint stays. So does training that has silently
  stopped learning: every ``log_every`` steps the trainer checks that each optimiser's state is finite
  (:func:`finite_optimizer_state`) and that an update with a non-zero gradient changed at least one weight
  (:func:`update_problem`; a huge λ or learning rate overflows Adam's second moment to inf, after which
  every update is 0), and before each checkpoint that the weights and optimiser states are finite
  (:func:`state_problem`).
- Ctrl-C (SIGINT) inside :func:`deferred_interrupt` only sets a flag, so the loop stops after the current
  step, saves a checkpoint and raises :class:`TrainingInterrupted`. A second Ctrl-C interrupts at once.
- While a loop trains with a ``checkpoint_dir`` it holds that folder's exclusive lock (:func:`folder_lock`,
  :class:`mcgan_lib.locks.FolderLock`): a second process training into it fails at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

import torch

from mcgan_lib.locks import FolderLock

DEFAULT_ADVICE = "Try a smaller learning rate, gradient clipping or a smaller λ."


class TrainingDivergedError(RuntimeError):
    """Training diverged: a loss, a weight or an optimiser state became NaN or infinite, or updates stopped
    changing the weights although the gradients are not zero. The message names the step and the last good
    checkpoint; ``reason``, ``step`` and ``last_checkpoint`` hold them for callers that reword the advice."""

    def __init__(self, message: str, reason: str = "", step: int = 0, last_checkpoint: Path | None = None):
        super().__init__(message)
        self.reason, self.step, self.last_checkpoint = reason, step, last_checkpoint


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training between two steps; ``step`` is the last completed step and ``checkpoint``
    the file saved for it (None when the loop had no ``checkpoint_dir``)."""

    def __init__(self, step: int, checkpoint: Path | None):
        saved = f"saved {checkpoint}" if checkpoint is not None else "nothing saved (no checkpoint_dir)"
        super().__init__(f"training interrupted after step {step}; {saved}")
        self.step, self.checkpoint = step, checkpoint


def divergence_error(
    reason: str,
    step: int,
    last_checkpoint: Path | None,
    checkpoint_dir: Path | None,
    updated: bool = True,
    advice: str = DEFAULT_ADVICE,
) -> TrainingDivergedError:
    """The error for ``reason`` at ``step``, saying whether the networks were updated and where the last
    good checkpoint is."""
    if last_checkpoint is not None:
        where = f"the last good checkpoint is {last_checkpoint}"
    elif checkpoint_dir is not None:
        where = "no checkpoint had been written yet"
    else:
        where = "no checkpoint was written (pass checkpoint_dir to keep one)"
    return TrainingDivergedError(
        f"{reason} at step {step}; training stopped "
        f"{'without saving this state' if updated else 'before updating the networks'}, and {where}. {advice}",
        reason=reason,
        step=step,
        last_checkpoint=last_checkpoint,
    )


def finite_optimizer_state(optimizer: torch.optim.Optimizer) -> bool:
    """Whether every floating-point tensor of the optimiser's state (Adam's moments) is finite."""
    tensors = [
        t
        for state in optimizer.state.values()
        for t in state.values()
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel() > 1
    ]
    return not tensors or bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all())


def update_problem(
    network: str, optimizer: torch.optim.Optimizer, params: list[torch.Tensor], before: list[torch.Tensor]
) -> tuple[str, str] | None:
    """After an update of ``params`` (whose values were ``before``): ``(reason, advice)`` when the
    optimiser's state is not finite, or when a non-zero gradient changed no weight; None when it is sound."""
    if not finite_optimizer_state(optimizer):
        return (
            f"the {network}'s optimiser state (Adam's moment estimates) became non-finite: its gradients "
            "overflowed, so from now on every update is 0 or NaN",
            DEFAULT_ADVICE,
        )
    updated = [(p, b) for p, b in zip(params, before) if p.grad is not None]
    if not updated:
        return None
    grad_nonzero = torch.stack([p.grad.ne(0).any() for p, _ in updated]).any()
    unchanged = all(torch.equal(p, b) for p, b in updated)
    if unchanged and bool(grad_nonzero):
        return (
            f"the {network}'s update left every weight unchanged although its gradient is not zero (an "
            "overflowed optimiser state, or a learning rate too small to change the weights)",
            "Check that the learning rate and λ lie in a sensible range (e.g. lr 1e-4 to 1e-2).",
        )
    return None


def state_problem(network: str, params: list[torch.Tensor], optimizer: torch.optim.Optimizer) -> str | None:
    """Why the weights ``params`` or the optimiser state of ``network`` are not worth saving (None: they are)."""
    if params and not bool(torch.stack([torch.isfinite(p).all() for p in params]).all()):
        return f"a weight of the {network} became non-finite"
    if not finite_optimizer_state(optimizer):
        return f"the {network}'s optimiser state became non-finite"
    return None


@contextlib.contextmanager
def deferred_interrupt():
    """Within the block, the first SIGINT only sets a flag (read by calling the yielded function), so the
    loop can stop between two steps; a second one raises KeyboardInterrupt at once. Outside the main
    thread, or when a program installed its own SIGINT handler, nothing changes."""
    received = []
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return

    def handler(signum, frame):
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def folder_lock(folder: Path | None):
    """The exclusive lock of ``folder`` (a no-op context for None)."""
    return FolderLock(folder) if folder is not None else contextlib.nullcontext()
