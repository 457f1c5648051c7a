"""mcgan_lib: the support library of the mcgan textbook on mode collapse in GANs.

Architecture (one module, one job):

- ``data``: data sources (2D Gaussian mixtures, later images) that hand the loop seeded batches.
- ``nets``: networks; every network can return its per-layer features.
- ``losses``: adversarial losses as pure functions of discriminator logits.
- ``regularizers``: the anti-collapse terms, each a small object the training loop calls.
- ``training``: the one training loop (seeded, resumable, atomic checkpoints).
- ``ensemble``: many toy GANs trained as one batched model; ``sweeps``: cached seed × setting tables.
- ``metrics``: numbers computed from samples, apart from training.
- ``viz`` and ``widgets``: the figures and the interactive panel of the chapters.
- ``config``: quick mode (``MCGAN_QUICK=1``) for CI.
"""

__version__ = "0.1.0"
