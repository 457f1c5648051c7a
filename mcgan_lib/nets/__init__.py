"""Networks. Each forward can return its per-layer features with ``return_features=True``."""

from mcgan_lib.nets.base import FeatureNetwork, build_network, seeded_init
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPGenerator

__all__ = ["FeatureNetwork", "build_network", "seeded_init", "MLPGenerator", "MLPDiscriminator"]
