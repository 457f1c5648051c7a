"""Anti-collapse regularizers. Each is a :class:`Regularizer` the training loop calls (see ``base``);
each module also holds its losses as pure functions of tensors and, beside each loss, a ``check_*``
function that validates its inputs (the losses do not, so they read like the paper; the classes check
their settings when built). What is fitted before a run (MR-GAN's predictor, HMGAN's pre-trained
bounds) is in :mod:`mcgan_lib.experiments.fitting`.

- ``mode_seeking``: MSGAN's mode-seeking loss (Mao et al. 2019)
- ``hierarchical``: HMGAN's per-layer ratio loss with ERE targets and their lower bounds
- ``moment_reconstruction``: MR-GAN's eight (proxy) moment-reconstruction losses (Lee et al. 2019)
- ``reconstruction``: the plain ℓ1/ℓ2 reconstruction baselines
- ``mode_regularized``: Reg-GAN and MDGAN (Che et al. 2017)
"""

from mcgan_lib.regularizers.base import (
    DiscriminatorStep,
    GeneratorStep,
    NoRegularizer,
    Regularizer,
    check_samples_and_target,
)
from mcgan_lib.regularizers.hierarchical import (
    HierarchicalModeRegularizer,
    check_hierarchical_mode_inputs,
    ere_lower_bounds,
    hierarchical_mode_loss,
    layer_diversity,
)
from mcgan_lib.regularizers.mode_regularized import (
    ManifoldDiffusionRegularizer,
    ModeRegularizer,
    check_geometric_inputs,
    check_mode_loss_inputs,
    geometric_loss,
    mode_loss,
)
from mcgan_lib.regularizers.mode_seeking import ModeSeekingRegularizer, check_mode_seeking_inputs, mode_seeking_loss
from mcgan_lib.regularizers.moment_reconstruction import (
    MomentReconstruction,
    check_mle_inputs,
    check_mr_inputs,
    check_proxy_mr_inputs,
    mle_loss,
    mr_loss,
    proxy_mr_loss,
)
from mcgan_lib.regularizers.reconstruction import Reconstruction, reconstruction_loss

__all__ = [
    "Regularizer",
    "NoRegularizer",
    "GeneratorStep",
    "DiscriminatorStep",
    "ModeSeekingRegularizer",
    "mode_seeking_loss",
    "check_mode_seeking_inputs",
    "HierarchicalModeRegularizer",
    "hierarchical_mode_loss",
    "check_hierarchical_mode_inputs",
    "ere_lower_bounds",
    "layer_diversity",
    "MomentReconstruction",
    "mr_loss",
    "proxy_mr_loss",
    "mle_loss",
    "check_mr_inputs",
    "check_proxy_mr_inputs",
    "check_mle_inputs",
    "Reconstruction",
    "reconstruction_loss",
    "check_samples_and_target",
    "ModeRegularizer",
    "ManifoldDiffusionRegularizer",
    "geometric_loss",
    "mode_loss",
    "check_geometric_inputs",
    "check_mode_loss_inputs",
]
