"""An ensemble's members: what each one is (:class:`Member`, exactly a single run's arguments), what must
match between members and what may differ (:data:`PER_MEMBER_SETTINGS`, a regularizer's
``member_hyperparameters``), and one member's networks as one module (:class:`MemberModel`)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from torch import nn

from mcgan_lib.data.base import Batch
from mcgan_lib.regularizers.base import Regularizer
from mcgan_lib.training import TrainConfig, discriminator_objective, generator_objective

# TrainConfig fields that may differ between members; every other field must be equal.
PER_MEMBER_SETTINGS = ("seed", "lr_g", "lr_d", "betas", "weight_decay", "grad_clip")


@dataclass
class Member:
    """One member of an ensemble: exactly what a single :class:`~mcgan_lib.training.Trainer` run takes."""

    generator: nn.Module
    discriminator: nn.Module
    config: TrainConfig
    regularizer: Regularizer | None = None


def unbatchable_reason(member: Member) -> str | None:
    """Why ``member`` cannot train inside an ensemble (None when it can)."""
    if member.config.lr_decay_start is not None:
        return (
            f"lr_decay_start={member.config.lr_decay_start!r} decays the learning rate with PyTorch's LambdaLR, "
            "which the ensemble's stacked Adam does not run; train the members one by one (the Trainer)"
        )
    modules = [member.generator, member.discriminator] + ([member.regularizer] if member.regularizer else [])
    for module in (m for network in modules for m in network.modules()):
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            return (
                f"{type(module).__name__} keeps batch statistics, which an ensemble cannot split per member; "
                "use networks without batch norm (the toy MLPs) or train the members one by one"
            )
    return None


class MemberModel(nn.Module):
    """G, D and the regularizer of one member as one module, so that ``functional_call`` can swap all
    of a member's weights at once. ``forward`` is the member's G or D objective."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, regularizer: Regularizer):
        super().__init__()
        self.generator, self.discriminator, self.regularizer = generator, discriminator, regularizer

    def forward(self, side: str, real, condition, z, hyper: dict, step: int, gan_loss: str):
        batch = Batch(real, condition)
        with member_hyperparameters(self.regularizer, hyper):
            objective = generator_objective if side == "generator" else discriminator_objective
            loss, terms = objective(self.generator, self.discriminator, self.regularizer, batch, z, gan_loss, step)
        if loss is None:  # D rests (no adversarial loss, no D term): a zero that trains nothing
            loss = real.new_zeros(())
        return loss, terms


@contextmanager
def member_hyperparameters(regularizer: Regularizer, values: dict):
    """Temporarily set the regularizer's per-member hyper-parameters (λ...) to ``values``."""
    saved = {name: getattr(regularizer, name) for name in values}
    try:
        for name, value in values.items():
            setattr(regularizer, name, value)
        yield regularizer
    finally:
        for name, value in saved.items():
            setattr(regularizer, name, value)


def regularizer_structure(regularizer: Regularizer) -> dict:
    """The regularizer's settings with its per-member hyper-parameters blanked (what must match)."""
    blank = {name: 0.0 for name in regularizer.member_hyperparameters}
    with member_hyperparameters(regularizer, blank):
        return {"class": type(regularizer).__name__, **regularizer.config()}
