"""Anti-collapse regularizers. Each is a :class:`Regularizer` the training loop calls; see ``base``."""

from mcgan_lib.regularizers.base import DiscriminatorStep, GeneratorStep, NoRegularizer, Regularizer

__all__ = ["Regularizer", "NoRegularizer", "GeneratorStep", "DiscriminatorStep"]
