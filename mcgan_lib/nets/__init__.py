"""Networks. Each forward can return its per-layer features with ``return_features=True``.

``mlp``: the toy generator, discriminator and encoder (Reg-GAN/MDGAN); ``dcgan``, ``unet`` (U-Net
generator with noise and PatchGAN), ``srresnet``, ``inpainting`` (GLCIC-style): the image networks;
``predictor``: MR-GAN's moment predictor; ``digits_classifier``: the 8x8-digits classifier used by
the MODE score.
"""

from mcgan_lib.nets.base import FeatureNetwork, build_network, seeded_init
from mcgan_lib.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from mcgan_lib.nets.inpainting import GLCICDiscriminator, GLCICGenerator
from mcgan_lib.nets.mlp import MLPDiscriminator, MLPEncoder, MLPGenerator
from mcgan_lib.nets.predictor import MomentPredictor
from mcgan_lib.nets.srresnet import SRResNetGenerator
from mcgan_lib.nets.unet import PatchDiscriminator, UNetGenerator

__all__ = [
    "FeatureNetwork",
    "build_network",
    "seeded_init",
    "MLPGenerator",
    "MLPDiscriminator",
    "MLPEncoder",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "UNetGenerator",
    "PatchDiscriminator",
    "SRResNetGenerator",
    "GLCICGenerator",
    "GLCICDiscriminator",
    "MomentPredictor",
]
