"""Train E independent toy GANs at once, as one batched model (the engine of seeds and λ sweeps).

How it works, and why member i equals a single run:

- Every member is built exactly as a single run would be (:class:`Member`: its own seeded G, D,
  regularizer and :class:`~mcgan_lib.training.TrainConfig`). Their parameters are stacked along a new
  leading *ensemble axis*.
- One step evaluates the library's own objectives (:func:`~mcgan_lib.training.generator_objective`,
  :func:`~mcgan_lib.training.discriminator_objective`) for all members at once with
  :func:`torch.func.vmap` over :func:`torch.func.functional_call`: every ``nn.Linear`` becomes one
  batched matrix product and every regularizer runs unchanged.
- The members' losses are summed and differentiated once. Member i's loss depends only on member i's
  weights, so the gradient of the sum with respect to member i's slice *is* member i's gradient.
- Adam and AMSGrad are element-wise: :class:`StackedAdam` repeats ``torch.optim.Adam``'s arithmetic on
  the stacked tensors, with a per-member learning rate, betas and weight decay. Gradient-norm
  clipping is computed per member (``torch.nn.utils.clip_grad_norm_``'s formula on each slice), so
  nothing couples the members; value clipping (``grad_value_clip``) is element-wise anyway.
- ``d_steps`` and ``g_steps_per_d_step`` repeat a side's step as the single run does.
- Data and latents are drawn per member, from its own ``torch.Generator`` seeded with its config's
  ``seed``, in the single run's order. Member i therefore follows the single run's trajectory up to
  float rounding (batched and single matrix products round differently); ``tests/test_ensemble.py``
  checks the weights after N steps for the plain GAN and every regularizer.

What may differ between members: the seed, ``lr_g``, ``lr_d``, ``betas``, ``weight_decay``,
``grad_clip`` and the regularizer's ``member_hyperparameters`` (λ; Reg-GAN's λ1 and λ2). Everything
that changes shapes or code paths (K samples, the loss, the networks) must be equal:
:func:`mcgan_lib.sweeps.sweep` splits a grid into one ensemble per such group.

Divergence: a member whose loss becomes NaN or infinite is *frozen* (its weights stop changing, its
metrics read NaN) and the step is kept in :attr:`EnsembleTrainer.diverged_at`; the other members go on.
So is a member that stopped learning without a NaN, found every ``log_every`` steps as by the single
trainer: its Adam moments overflowed (a huge λ or lr), or a step with a non-zero gradient changed none of
its weights.
The single :class:`~mcgan_lib.training.Trainer` raises instead; in a sweep, one bad λ must not cost
every other member its run.

Speed (``benchmarks/bench_ensemble.py`` measures it): each side's parameters form one (E, P) block,
so Adam, the divergence masks and clipping run once per side; a Gaussian mixture's batches and the
latents are drawn with two generator calls per member (:mod:`~mcgan_lib.ensemble.draws`); on the CPU
freed activations stay in the heap (:func:`mcgan_lib.allocator.retain_freed_memory`). ``compile=True``
(or ``MCGAN_ENSEMBLE_COMPILE=1``) runs the objective through ``torch.compile`` and falls back to eager
on a compiler error; off by default (on a 2-core CPU it compiles for ~40 s and then runs slower than
eager).

Limits: networks without batch statistics (the toy MLPs; a BatchNorm layer is rejected), no
randomness inside the objectives (every library regularizer qualifies) and constant learning rates
(a run with ``lr_decay_start`` trains on the single Trainer). :func:`unbatchable_reason` says which.

The modules: :mod:`~mcgan_lib.ensemble.members` (what a member is, what may differ between members),
:mod:`~mcgan_lib.ensemble.stacked_adam`, :mod:`~mcgan_lib.ensemble.draws` (the members' batches and
latents), :mod:`~mcgan_lib.ensemble.trainer` and :mod:`~mcgan_lib.ensemble.checkpointing`.
"""

from mcgan_lib.ensemble.members import (
    PER_MEMBER_SETTINGS,
    Member,
    MemberModel,
    member_hyperparameters,
    regularizer_structure,
    unbatchable_reason,
)
from mcgan_lib.ensemble.stacked_adam import StackedAdam
from mcgan_lib.ensemble.trainer import EnsembleTrainer

__all__ = [
    "PER_MEMBER_SETTINGS",
    "EnsembleTrainer",
    "Member",
    "MemberModel",
    "StackedAdam",
    "member_hyperparameters",
    "regularizer_structure",
    "unbatchable_reason",
]
