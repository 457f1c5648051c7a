"""Full-size image-to-image runs: the papers' configurations, one named configuration per task.

``python -m mcgan_lib train --task facades --method ms_l1 --out runs/facades_ms`` (on one GPU) or
``torchrun --nproc_per_node 4 -m mcgan_lib train --task facades ...`` (on four) trains with the
configuration named here; :data:`TASK_CONFIGURATIONS` is the one place that holds it, and
:func:`full_size_run` resolves a (task, method) pair into what a run needs (the networks' setup, the
method's settings, the step count, the data). The CLI (:mod:`mcgan_lib.cli`) only reads it.

Tasks and families (a family shares networks and the papers' method settings):

- ``facades`` and ``maps`` (family ``pix2pix``): pix2pix's Facades (label map -> photo, 400 training
  images, its 106-image test split) and Maps (aerial photo -> map, 1096 training images, its 1098-image
  ``val`` split as the test split), 256x256, read by :func:`mcgan_lib.data.images.load_pix2pix` from
  ``<data root>/facades`` and ``<data root>/maps``;
- ``celeba_sr`` (family ``srgan``): MR-GAN's SRGAN-CelebA, 16x16 -> 64x64 (4x) on CelebA's aligned crops,
  square-cropped (:func:`~mcgan_lib.data.images.load_celeba` from ``<data root>/celeba``);
- ``celeba_inpainting`` (family ``glcic``): MR-GAN's GLCIC-CelebA, 128x128 with a 64x64 hole;
- ``edges2photo``, ``super_resolution``, ``inpainting``: the offline 16x16 tasks of chapters 09 and 10 at
  CPU size, with *exactly the chapters' configuration* (their setups and method settings, from
  :mod:`mcgan_lib.experiments.chapter_sweeps`), so one CLI run is one member of a chapter's sweep.

The data root is ``--data-root``, else ``$MCGAN_DATA_DIR``, else ``~/data`` (as ``python -m mcgan_lib
doctor`` reports it). ``size="tiny"`` keeps a task's pipeline (loader, networks' kinds, method settings,
evaluation, figures) but shrinks images, widths and steps so that it runs in seconds on a CPU: a smoke test
of an installation before a GPU run, and what the tests train.

The papers' values (a row names a family, or methods by their names in :mod:`mcgan_lib.methods`):

================ =================================================================================
pix2pix family   U-Net 256x256, depth 8, width 64 (Isola et al. 2017); PatchGAN 70x70 (n_layers 3,
                 width 64); Adam lr 2e-4, betas (0.5, 0.999); batch 1; 200 epochs (pix2pix App. 6.2,
                 Facades and Maps); z of 8 dimensions in every encoder layer (BicycleGAN's
                 ``G_Unet_add_all``, ``nz 8``, as MSGAN's ``--where_add all``)
``gan_l1``       pix2pix: λ_ℓ1 = 100
``ms``/``ms_l1`` MSGAN: λ_ms = 1 (Eq. 2); ``ms_l1`` keeps the authors' ℓ1 weight, 10 (their code's
                 ``--lambda_L1`` default, which their README's command does not change), and their
                 400 epochs (the released Facades and Maps models are ``--epoch 400``)
``hm``/``hm_l1`` HMGAN¹: every ERE λ^(i) = 0, β = 1, ℓ1 distances (Sec. 4); ``hm_l1`` keeps pix2pix's
                 λ_ℓ1 = 100 ("we kept the original hyperparameters setting of Pix2Pix"); HMGAN² is
                 ``--set ere=1``
MR variants      MR-GAN thesis App. B.1-B.2: λ_MR = λ_pMR = 10, K = 10; AMSGrad lr 1e-4, betas
                 (0.5, 0.999), weight decay 1e-4; generator batch 8 (80 rows with K = 10); z of 32
                 dimensions
srgan family     SRResNet 16 residual blocks, width 64 (SRGAN); MR-GAN App. B.1/B.3: AMSGrad lr 1e-4,
                 weight decay 1e-4, batch 8, z of 16 dimensions; ``gan_l2`` λ_ℓ2 = 1000, MR λ_MR =
                 20, proxy MR λ_pMR = 2400, K = 24 (192 rows); 100,000 steps
glcic family     GLCIC completion net, width 64, 4 dilated layers; global (6 layers) + local (5)
                 discriminator; MR-GAN App. B.1/B.4: AMSGrad lr 1e-4, weight decay 1e-4, batch 8, z of
                 32 dimensions; ``gan_l2`` λ_ℓ2 = 100, ``gaussian_proxy_mr2`` λ_pMR = 1000, K = 12 (96
                 rows); 100,000 steps
================ =================================================================================

Sources: the MR-GAN, MSGAN and HMGAN values come from the project's copies of those papers. The pix2pix
rows (data sizes, 200 epochs, batch 1, Adam) match pix2pix's paper; the SRGAN and GLCIC network sizes
are quoted from those papers, which the project does not hold, and are **unverified** here.

Choices where the papers are ambiguous or our networks differ (each is ours, with the reason):

- **Noise in the U-Net.** MR-GAN concatenates 32-channel noise maps to the *decoder's* 1x1, 2x2 and 4x4
  features; our U-Net (:class:`~mcgan_lib.nets.unet.UNetGenerator`) injects a tiled z at the input or at
  every *encoder* layer. We take ``noise_injection="all"`` with 32 dimensions for the MR variants: the
  encoder's 4x4 and 2x2 inputs are the positions closest to the thesis's, and every method of the family
  then sees the same kind of noise (BicycleGAN's, as MSGAN). A tiled z is constant over space where the
  thesis samples every element independently.
- **SRResNet and GLCIC noise.** The thesis adds 16 noise channels at every residual block (SRGAN) and 32 at
  the first dilated layers (GLCIC); our networks take z at their input only. We keep the thesis's
  dimensions (16, 32) at the input.
- **One batch size.** The thesis trains D (and the predictor) on 16 (SRGAN: 32) inputs and G on 8 inputs
  x K samples; the Trainer draws one batch size for both, so we use G's 8 for both.
- **Update ratios.** SRGAN updates G five times and GLCIC three times per D update; the Trainer's
  ``d_steps`` counts D steps per G step (>= 1), so these run 1:1. A gap, not a choice.
- **Gradient clipping.** The thesis clips every gradient *element* to ±0.5; the Trainer's ``grad_clip``
  clips the gradient's *norm*, which at 0.5 would bind on nearly every step of a 50M-parameter network
  and change the optimiser. We clip nothing. A gap.
- **pix2pix's loss and data.** pix2pix uses the non-saturating GAN loss (kept); BicycleGAN's and MSGAN's
  code use LSGAN and two PatchGANs at two scales (not in the library: one PatchGAN, non-saturating).
  pix2pix and BicycleGAN jitter (resize to 286, random 256 crop) and mirror the training images and decay
  the learning rate linearly to 0 over the second half of training; the loop has no augmentation and no
  schedule (gaps). An "epoch" here is ``train size / global batch`` steps of batches drawn with
  replacement.
- **Inpainting holes.** GLCIC-CelebA's holes are random squares of side 48-64 filled with the data set's
  mean pixel; :func:`~mcgan_lib.data.images.inpainting_pairs` cuts the centred 64x64 square and fills it
  with 0 (mid-grey in [-1, 1]). The thesis normalises to [0, 1]; the library works in [-1, 1].
- **CelebA in memory.** The image sets are held as float32 tensors; CelebA's 162,770 training images take
  8.5 GB at 64x64 (``celeba_sr``, all of them) but 75 GB at 128x128 with the inpainting inputs, so
  ``celeba_inpainting`` reads the first 20,000 (9.2 GB). Every process of a multi-GPU run holds its own
  copy. Both evaluate on the first 300 test images (MR-GAN's 300 inputs).
- **Step counts.** The thesis gives none; SRGAN trains 10^5 iterations at lr 1e-4 (then 10^5 at 1e-5,
  which needs a schedule), so 100,000 steps for both CelebA tasks; MR variants on pix2pix keep pix2pix's
  200 epochs (at batch 8: 10,000 steps on Facades). The proxy predictor is fitted for 5,000 steps
  (pix2pix) or 20,000 (CelebA) and its best-validation weights are kept ("until it is overfitted").
- **Proxy predictor at full size.** :func:`mcgan_lib.experiments.fitting.fit_predictor` scores its
  validation set (2,000 draws) in one forward pass: about 40 GB of GPU memory for the 256x256 U-Net.
  It is built on the run's device (:class:`DeviceSetup`) so that it is fitted there, not on the CPU.
- **Evaluation.** The scores are computed on the CPU (:meth:`~mcgan_lib.data.paired.PairedTask.score`:
  LPIPS and the random-feature FID stand-in): about 5 minutes for 1,000 outputs at 256x256 on one thread,
  so the full-size tasks evaluate every 10,000 steps and at the end. Under torchrun the first process
  evaluates, with its share of the CPU cores, while the others wait at the next step (the process group
  waits 30 minutes before it calls that a hang, :data:`mcgan_lib.distributed.COLLECTIVE_TIMEOUT`).
- **Noise for the baselines.** pix2pix's own generator has no z (dropout only); every method here keeps
  BicycleGAN's z, so that the baselines' (lack of) diversity is measured on the same network.

Several GPUs (``torchrun``): every process trains on its own batches (seeded by
:func:`mcgan_lib.distributed.rank_seed`), gradients are averaged, and the *global* batch is ``processes x
batch``; the epochs above are kept by dividing the step count by the number of processes (the learning
rate is not scaled). A run resumes only with the number of processes it was started with.

**Beside the chapters' results.** A run writes ``metrics.json`` (``"metrics"``: the task's
:meth:`~mcgan_lib.data.paired.PairedTask.evaluate` numbers; ``"configuration"``: this module's resolved
configuration) in its ``--out`` folder. The chapters read their tables through :func:`mcgan_lib.sweeps.sweep`,
which looks for stored results in :func:`mcgan_lib.sweeps.stored_results_dir` (``mcgan_lib/stored_results``,
or ``$MCGAN_RESULTS_DIR``) as three data-only files written by :func:`mcgan_lib.tables.write_table` and
read back, for exactly one configuration, by :func:`mcgan_lib.tables.read_table`. A full-size row is
stored the same way, its configuration as the description::

    import json
    from pathlib import Path

    import pandas as pd

    from mcgan_lib.sweeps import stored_results_dir
    from mcgan_lib.tables import read_table, write_table

    result = json.loads(Path("runs/facades_ms/metrics.json").read_text())
    configuration = result["configuration"]
    row = pd.DataFrame([{"task": configuration["task"], "method": configuration["method"],
                         "seed": configuration["seed"], **result["metrics"]}])
    stem = stored_results_dir() / f"{configuration['method']}-full-{configuration['task']}-{configuration['seed']}"
    write_table(row, stem, configuration, provenance={"command": result["command"]})
    table = read_table(stem, configuration)  # what a chapter reads back

Such a row is not a sweep's (another description), so :func:`~mcgan_lib.sweeps.sweep` does not pick it up by
itself: a chapter names it with ``read_table``, beside the CPU-size table it shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch

from mcgan_lib.data.images import (
    CELEBA_PARTITION_MD5,
    ImageDataset,
    inpainting_pairs,
    load_celeba,
    load_pix2pix,
    manifest_path,
    super_resolution_pairs,
)
from mcgan_lib.data.paired import PairedTask
from mcgan_lib.data.tasks import make_task
from mcgan_lib.experiments.chapter_sweeps import (
    PAIRED_EVAL_SAMPLES,
    RESTORATION_METHODS,
    RESTORATION_SETUPS,
    TRANSLATION_METHODS,
    TRANSLATION_SETUP,
)
from mcgan_lib.experiments.paired import PairedSetup
from mcgan_lib.methods import get_method, method_settings
from mcgan_lib.regularizers.moment_reconstruction import VARIANTS, parse_variant
from mcgan_lib.validation import check_choice, check_int

SIZES = ("full", "tiny")
OUTPUTS_PER_INPUT = 10  # MSGAN and BicycleGAN score 10 outputs per test input
TINY_STEPS = 20
TINY_EVAL_SAMPLES = 40  # 4 test inputs x 10 outputs
SETUP_BUDGET_FIELDS = ("steps", "quick_steps", "train_overrides")  # a run's own steps replace the setup's


# ---------------------------------------------------------------------------------------------- data
def _pix2pix_loader(name: str, test_split: str) -> Callable[..., PairedTask]:
    def load(root: Path, image_size: int, limit: int | None = None, **options) -> PairedTask:
        train = load_pix2pix(name, root, "train", image_size=image_size, **options)
        test = load_pix2pix(name, root, test_split, image_size=image_size, **options)
        return PairedTask.from_splits(train, test, OUTPUTS_PER_INPUT, name=name)

    return load


def _celeba_loader(name: str, pairs: Callable[[ImageDataset], ImageDataset]) -> Callable[..., PairedTask]:
    def load(root: Path, image_size: int, limit: int | None = None, test_limit: int = 300, **options) -> PairedTask:
        train = load_celeba(root, "train", image_size=image_size, limit=limit, **options)
        test = load_celeba(root, "test", image_size=image_size, limit=test_limit, **options)
        return PairedTask.from_splits(pairs(train), pairs(test), OUTPUTS_PER_INPUT, name=name)

    return load


def _offline_loader(name: str) -> Callable[..., PairedTask]:
    def load(root: Path, image_size: int, limit: int | None = None, **options) -> PairedTask:
        return make_task(name)  # built from the photographs scikit-image ships: no data root

    return load


def _pix2pix_note(name: str, root: Path) -> str:
    return (
        f"The pix2pix archives publish no checksum: the first complete load records every file's MD5 in "
        f"{manifest_path(root / name)} (trust on first use) and later loads verify them"
    )


def _celeba_note(name: str, root: Path) -> str:
    return (
        f"list_eval_partition.txt is checked against its published MD5 {CELEBA_PARTITION_MD5}; the JPEGs are "
        f"recorded on first use in {manifest_path(root / 'celeba')} and verified at every later load"
    )


# ---------------------------------------------------------------------------------------------- recipes
@dataclass(frozen=True)
class MethodRecipe:
    """A paper's setting of one method on one task family.

    ``settings``: the method's settings (:func:`mcgan_lib.methods.build_method`: ``weight`` = λ,
    ``samples_per_input`` = K, ``l1_weight``, ``ere``, ...); ``setup``: changes to the family's
    :class:`~mcgan_lib.experiments.paired.PairedSetup` (another paper's optimiser, batch, noise); ``epochs``:
    replaces the task's epochs; ``reference``: where the numbers come from.
    """

    settings: Mapping = field(default_factory=dict)
    setup: Mapping = field(default_factory=dict)
    epochs: int | None = None
    reference: str = ""


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


MR_GAN_COMMON = (
    "MR-GAN thesis App. B.1: AMSGrad, lr 1e-4, betas (0.5, 0.999), weight decay 1e-4 (its clipping by value 0.5 "
    "is not the Trainer's norm clipping: none)"
)
MR_GAN_OPTIMISER = _frozen({"optimizer": "amsgrad", "lr": 1e-4, "weight_decay": 1e-4})
MR_VARIANTS = tuple(VARIANTS)


def _mr_recipes(weight: float, proxy_weight: float, k: int, predictor_steps: int, setup: Mapping, where: str):
    recipes = {}
    for variant in MR_VARIANTS:
        proxy = parse_variant(variant)[2]
        settings = {"weight": proxy_weight if proxy else weight, "samples_per_input": k}
        if proxy:
            settings["predictor_steps"] = predictor_steps
        symbol = "λ_pMR" if proxy else "λ_MR"
        recipes[variant] = MethodRecipe(
            _frozen(settings),
            _frozen(setup),
            reference=f"{where}: {symbol} = {settings['weight']:g}, K = {k}; {MR_GAN_COMMON}",
        )
    return recipes


PIX2PIX_MR_SETUP = {**MR_GAN_OPTIMISER, "batch_size": 8, "latent_dim": 32}
PIX2PIX_RECIPES = _frozen(
    {
        "gan": MethodRecipe(reference="pix2pix's objective without its ℓ1 term (the GAN loss alone)"),
        "gan_l1": MethodRecipe(_frozen({"weight": 100.0}), reference="pix2pix (Isola et al. 2017, Eq. 4): λ_ℓ1 = 100"),
        "ms": MethodRecipe(_frozen({"weight": 1.0}), reference="MSGAN Eq. 2: λ_ms = 1"),
        "ms_l1": MethodRecipe(
            _frozen({"weight": 1.0, "l1_weight": 10.0}),
            epochs=400,
            reference="MSGAN Eq. 2: λ_ms = 1; the authors' code (BicycleGAN's): λ_ℓ1 = 10, its models are at epoch 400",
        ),
        "hm": MethodRecipe(_frozen({"weight": 1.0, "ere": 0.0}), reference="HMGAN¹ (Sec. 4): every ERE 0, β = 1"),
        "hm_l1": MethodRecipe(
            _frozen({"weight": 1.0, "ere": 0.0, "l1_weight": 100.0}),
            reference="HMGAN¹ (Sec. 4): every ERE 0, β = 1, pix2pix's settings kept (λ_ℓ1 = 100)",
        ),
        **_mr_recipes(10.0, 10.0, 10, 5_000, PIX2PIX_MR_SETUP, "MR-GAN thesis App. B.2 (Pix2Pix)"),
    }
)
SRGAN_RECIPES = _frozen(
    {
        "gan": MethodRecipe(reference="SRGAN's adversarial loss alone"),
        "gan_l2": MethodRecipe(_frozen({"weight": 1000.0}), reference="MR-GAN thesis App. B.3: λ_ℓ2 = 1000"),
        **_mr_recipes(20.0, 2400.0, 24, 20_000, {}, "MR-GAN thesis App. B.3 (SRGAN)"),
    }
)
GLCIC_RECIPES = _frozen(
    {
        "gan": MethodRecipe(reference="GLCIC's adversarial loss alone"),
        "gan_l2": MethodRecipe(_frozen({"weight": 100.0}), reference="MR-GAN thesis App. B.4: λ_ℓ2 = 100"),
        "gaussian_proxy_mr2": MethodRecipe(
            _frozen({"weight": 1000.0, "samples_per_input": 12, "predictor_steps": 20_000}),
            reference="MR-GAN thesis App. B.4 (GLCIC): λ_pMR = 1000, K = 12 (no MR setting worked there); "
            + MR_GAN_COMMON,
        ),
    }
)


def _chapter_recipes(methods: Mapping, reference: str) -> Mapping:
    return _frozen({name: MethodRecipe(_frozen(settings), reference=reference) for name, settings in methods.items()})


# ---------------------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class TaskConfiguration:
    """One task's full configuration: its data, its networks and optimiser, its methods' paper settings,
    how long it trains, and its tiny (smoke-test) variant.

    ``setup``: the family's :class:`~mcgan_lib.experiments.paired.PairedSetup` at full size (networks,
    optimiser, batch); ``recipes``: the papers' settings per method (a method without one trains with the
    registry's defaults); ``epochs`` (else ``steps``): the training length; ``image_size``/``limit``: what the
    loader reads; ``eval_samples``: outputs scored at the end (10 per test input); ``tiny``: the changes
    for ``size="tiny"`` (setup fields, image size, limits).
    """

    name: str
    family: str
    description: str
    load: Callable[..., PairedTask]
    setup: PairedSetup
    recipes: Mapping[str, MethodRecipe]
    image_size: int
    epochs: int | None = None
    steps: int | None = None
    limit: int | None = None
    eval_samples: int = 1_000
    checkpoint_every: int = 5_000
    eval_every: int = 10_000
    needs_data_root: bool = True
    checksum_note: Callable[[str, Path], str] | None = None
    tiny_setup: Mapping = field(default_factory=dict)
    tiny_image_size: int | None = None
    tiny_limit: int | None = None
    reference: str = ""

    def load_data(self, data_root: str | Path | None = None, size: str = "full", **options) -> PairedTask:
        """The task's data (train and test pairs) at ``size``; ``options`` go to the loader (tests pass
        ``checksums`` or ``expected_size`` for synthetic files). Raises the loader's
        :class:`~mcgan_lib.data.images.DatasetNotFoundError` when the files are missing."""
        check_choice("size", size, SIZES)
        root = resolve_data_root(data_root)
        image_size = self.tiny_image_size if size == "tiny" and self.tiny_image_size else self.image_size
        limit = self.tiny_limit if size == "tiny" and self.tiny_limit else self.limit
        if limit is not None:
            options.setdefault("limit", limit)
        if size == "tiny" and self.family in ("srgan", "glcic") and self.needs_data_root:
            options.setdefault("test_limit", 16)
        return self.load(root, image_size, **options)

    def data_advice(self, data_root: str | Path | None = None) -> str:
        """Where the data goes and how it is checked, for the message of a missing data set."""
        root = resolve_data_root(data_root)
        note = f" {self.checksum_note(self.name, root)}." if self.checksum_note else ""
        return f"{note} The data root is {root} (--data-root, or $MCGAN_DATA_DIR)."


def resolve_data_root(data_root: str | Path | None = None) -> Path:
    """``data_root``, else ``$MCGAN_DATA_DIR``, else ``~/data`` (:func:`mcgan_lib.doctor.data_root`)."""
    from mcgan_lib.doctor import data_root as default_data_root

    return Path(data_root) if data_root is not None else default_data_root()


PIX2PIX_SETUP = PairedSetup(
    architecture="unet",
    latent_dim=8,
    noise_injection="all",
    g_channels=64,
    depth=8,
    d_channels=64,
    d_layers=3,
    lr=2e-4,
    betas=(0.5, 0.999),
    batch_size=1,
    optimizer="adam",
    gan_loss="non_saturating",
)
PIX2PIX_TINY = _frozen({"g_channels": 8, "depth": 5, "d_channels": 8, "d_layers": 3})
SRGAN_SETUP = PairedSetup(
    architecture="srresnet",
    latent_dim=16,
    g_channels=64,
    depth=16,
    d_channels=64,
    d_layers=3,
    batch_size=8,
    **MR_GAN_OPTIMISER,
)
SRGAN_TINY = _frozen({"g_channels": 8, "depth": 2, "d_channels": 8, "d_layers": 2})
GLCIC_SETUP = PairedSetup(
    architecture="glcic",
    latent_dim=32,
    g_channels=64,
    depth=4,
    d_channels=64,
    d_layers=6,
    batch_size=8,
    **MR_GAN_OPTIMISER,
)
GLCIC_TINY = _frozen({"g_channels": 8, "depth": 2, "d_channels": 8, "d_layers": 2})
CHAPTER_REFERENCE = "the configuration of chapter {chapter}'s sweeps (mcgan_lib.experiments.chapter_sweeps)"


def _offline(name: str, family: str, setup: PairedSetup, methods: Mapping, chapter: str) -> TaskConfiguration:
    return TaskConfiguration(
        name=name,
        family=family,
        description=f"the offline 16x16 {name} task of chapter {chapter}, at CPU size",
        load=_offline_loader(name),
        setup=setup,
        recipes=_chapter_recipes(methods, CHAPTER_REFERENCE.format(chapter=chapter)),
        image_size=16,
        steps=setup.steps,
        eval_samples=PAIRED_EVAL_SAMPLES,
        checkpoint_every=500,
        eval_every=500,
        needs_data_root=False,
        reference=CHAPTER_REFERENCE.format(chapter=chapter),
    )


def _pix2pix(name: str, description: str, test_split: str, reference: str) -> TaskConfiguration:
    """A pix2pix data set at the papers' size: one family, one setup and recipe for Facades and Maps."""
    return TaskConfiguration(
        name=name,
        family="pix2pix",
        description=description,
        load=_pix2pix_loader(name, test_split),
        setup=PIX2PIX_SETUP,
        recipes=PIX2PIX_RECIPES,
        image_size=256,
        epochs=200,
        checksum_note=_pix2pix_note,
        tiny_setup=PIX2PIX_TINY,
        tiny_image_size=32,
        reference=reference,
    )


TASK_CONFIGURATIONS: Mapping[str, TaskConfiguration] = _frozen(
    {
        "facades": _pix2pix(
            "facades",
            "pix2pix Facades, label map -> photo (BtoA), 256x256; 400 training pairs, 106 test",
            test_split="test",
            reference="pix2pix App. 6.2: 400 images, 200 epochs, batch 1; MSGAN and HMGAN Table 3 (Facades)",
        ),
        "maps": _pix2pix(
            "maps",
            "pix2pix Maps, aerial photo -> map (AtoB), 256x256; 1096 training pairs, 1098 val as test",
            test_split="val",
            reference="pix2pix App. 6.2: 1096 images, 200 epochs, batch 1; MSGAN, HMGAN and MR-GAN App. D (Maps)",
        ),
        "celeba_sr": TaskConfiguration(
            name="celeba_sr",
            family="srgan",
            description="MR-GAN's SRGAN-CelebA: 16x16 -> 64x64 (4x), CelebA's aligned crops, square-cropped",
            load=_celeba_loader("celeba_sr", lambda data: super_resolution_pairs(data, 4)),
            setup=SRGAN_SETUP,
            recipes=SRGAN_RECIPES,
            image_size=64,
            steps=100_000,
            eval_samples=3_000,
            checksum_note=_celeba_note,
            tiny_setup=SRGAN_TINY,
            tiny_image_size=16,
            tiny_limit=64,
            reference="MR-GAN thesis App. B.3; SRGAN (Ledig et al. 2017): 16 residual blocks, 10^5 steps at lr 1e-4",
        ),
        "celeba_inpainting": TaskConfiguration(
            name="celeba_inpainting",
            family="glcic",
            description="MR-GAN's GLCIC-CelebA: 128x128 with the centred 64x64 hole (first 20,000 training images)",
            load=_celeba_loader("celeba_inpainting", inpainting_pairs),
            setup=GLCIC_SETUP,
            recipes=GLCIC_RECIPES,
            image_size=128,
            steps=100_000,
            limit=20_000,
            eval_samples=3_000,
            checksum_note=_celeba_note,
            tiny_setup=GLCIC_TINY,
            tiny_image_size=16,
            tiny_limit=64,
            reference="MR-GAN thesis App. B.4; GLCIC (Iizuka et al. 2017)",
        ),
        "edges2photo": _offline("edges2photo", "pix2pix", TRANSLATION_SETUP, TRANSLATION_METHODS, "09"),
        "super_resolution": _offline(
            "super_resolution",
            "srgan",
            RESTORATION_SETUPS["super_resolution"],
            RESTORATION_METHODS["super_resolution"],
            "10",
        ),
        "inpainting": _offline(
            "inpainting", "glcic", RESTORATION_SETUPS["inpainting"], RESTORATION_METHODS["inpainting"], "10"
        ),
    }
)
FULL_SIZE_TASKS = tuple(name for name, task in TASK_CONFIGURATIONS.items() if task.needs_data_root)
OFFLINE_TASKS = tuple(name for name, task in TASK_CONFIGURATIONS.items() if not task.needs_data_root)


# ---------------------------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class FullSizeRun:
    """A (task, method, size) resolved: everything a run needs but the data and the number of processes.

    ``setup``: the networks, optimiser and per-process batch; ``settings``: the method's settings (the
    registry's defaults updated with the paper's and the caller's); ``epochs``/``steps``: the length
    (:meth:`total_steps`); ``recipe``: the paper's setting used, None when the papers give none for this
    method on this task (``settings`` are then the registry's defaults).
    """

    task: str
    method: str
    size: str
    setup: PairedSetup
    settings: Mapping
    epochs: int | None
    steps: int | None
    eval_samples: int
    checkpoint_every: int
    eval_every: int
    recipe: MethodRecipe | None
    configuration: TaskConfiguration

    def total_steps(self, train_size: int, world_size: int = 1) -> int:
        """``steps`` when set, else ``epochs`` passes over ``train_size`` pairs at the global batch
        ``world_size x setup.batch_size`` (rounded up)."""
        if self.steps is not None:
            return self.steps
        check_int("train_size", train_size, minimum=1)
        global_batch = self.setup.batch_size * check_int("world_size", world_size, minimum=1)
        return math.ceil(self.epochs * train_size / global_batch)

    def describe(self, seed: int, steps: int, world_size: int) -> dict:
        """The resolved configuration as plain values (``metrics.json``'s ``"configuration"``)."""
        return {
            "task": self.task,
            "method": self.method,
            "size": self.size,
            "seed": seed,
            "steps": steps,
            "epochs": self.epochs,
            "world_size": world_size,
            "batch_size": self.setup.batch_size,
            "global_batch_size": self.setup.batch_size * world_size,
            "setup": {k: v for k, v in dataclasses.asdict(self.setup).items() if k not in SETUP_BUDGET_FIELDS},
            "settings": dict(self.settings),
            "reference": self.recipe.reference if self.recipe is not None else "",
            "task_reference": self.configuration.reference,
        }


def full_size_run(
    task: str,
    method: str,
    size: str = "full",
    settings: Mapping | None = None,
    steps: int | None = None,
    **setup_changes,
) -> FullSizeRun:
    """The configuration of ``method`` on ``task`` (a name of :data:`TASK_CONFIGURATIONS`) at ``size``.

    ``settings`` update the method's (e.g. ``{"weight": 2.0}``); ``steps`` replaces the epochs;
    ``setup_changes`` replace fields of the setup (``lr``, ``batch_size``, ``latent_dim``, ``optimizer``,
    ...), after the paper's and, for ``size="tiny"``, the tiny widths.
    """
    configuration = TASK_CONFIGURATIONS[check_choice("task", task, TASK_CONFIGURATIONS)]
    check_choice("size", size, SIZES)
    get_method(method)
    recipe = configuration.recipes.get(method)
    setup = configuration.setup
    epochs, total = configuration.epochs, configuration.steps
    if recipe is not None:
        setup = setup.replace(**recipe.setup)
        epochs = recipe.epochs or epochs
    if size == "tiny":
        setup = setup.replace(**configuration.tiny_setup)
        epochs, total = None, TINY_STEPS
    if steps is not None:
        epochs, total = None, check_int("steps", steps, minimum=0)
    setup = setup.replace(**setup_changes)
    resolved = method_settings(method, {**(recipe.settings if recipe else {}), **dict(settings or {})})
    if size == "tiny" and "predictor_steps" in resolved and "predictor_steps" not in (settings or {}):
        resolved["predictor_steps"] = TINY_STEPS
    tiny = size == "tiny"
    return FullSizeRun(
        task=task,
        method=method,
        size=size,
        setup=setup,
        settings=_frozen(resolved),
        epochs=epochs,
        steps=total,
        eval_samples=TINY_EVAL_SAMPLES if tiny else configuration.eval_samples,
        checkpoint_every=10 if tiny else configuration.checkpoint_every,
        eval_every=10 if tiny else configuration.eval_every,
        recipe=recipe,
        configuration=configuration,
    )


@dataclass(frozen=True)
class DeviceSetup(PairedSetup):
    """A :class:`~mcgan_lib.experiments.paired.PairedSetup` whose proxy-MR predictor is built on
    ``predictor_device``, so :func:`mcgan_lib.methods.task_predictors` fits it there (on the GPU of a
    full-size run) rather than on the CPU. The networks of G and D are unchanged."""

    predictor_device: str = "cpu"

    def predictor(self, data, seed: int = 0):
        return super().predictor(data, seed).to(self.predictor_device)


def on_device(setup: PairedSetup, device: str | torch.device) -> DeviceSetup:
    """``setup`` with its predictor built on ``device``."""
    fields = {f.name: getattr(setup, f.name) for f in dataclasses.fields(PairedSetup)}
    return DeviceSetup(**fields, predictor_device=str(device))


# ---------------------------------------------------------------------------------------------- figures
def _displayable(images: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """Input images (N, C, h, w) shown beside outputs of ``shape``: the first three channels (inpainting's
    masked image without its mask), grey made RGB, low resolution enlarged (nearest)."""
    channels = shape[0]
    images = images[:, :channels] if images.shape[1] >= channels else images[:, :1].expand(-1, channels, -1, -1)
    if tuple(images.shape[2:]) != tuple(shape[1:]):
        images = torch.nn.functional.interpolate(images, size=shape[1:], mode="nearest")
    return images


@torch.no_grad()
def sample_grid(
    task: PairedTask, generator, n_inputs: int = 4, n_noises: int = 8, seed: int = 0, min_side: int = 64
) -> np.ndarray:
    """One row per test input: the input, its target, then G(x, z) for ``n_noises`` latents (drawn from
    ``seed``), as an (H, W, 3) uint8 array with 1-pixel white gaps; images smaller than ``min_side`` pixels
    are enlarged by an integer factor (nearest), larger ones keep their own resolution."""
    from mcgan_lib.metrics.lpips_diversity import generate_outputs
    from mcgan_lib.viz import tile_images

    n_inputs = min(check_int("n_inputs", n_inputs, minimum=1), len(task.test))
    check_int("n_noises", n_noises, minimum=1)
    device = next(generator.parameters()).device
    inputs = task.test.inputs[:n_inputs]
    outputs = generate_outputs(generator, inputs.reshape(n_inputs, -1), n_noises, seed=seed, device=device)
    shape = task.data_shape
    rows = [
        torch.cat([_displayable(inputs[i : i + 1], shape), task.test.images[i : i + 1], outputs[i]])
        for i in range(n_inputs)
    ]
    tiles = tile_images(torch.cat(rows).float(), ncols=n_noises + 2)
    tiles = np.repeat(tiles[..., None], 3, axis=2) if tiles.ndim == 2 else tiles
    factor = max(1, math.ceil(min_side / min(shape[1:])))
    tiles = tiles.repeat(factor, axis=0).repeat(factor, axis=1)
    return (tiles * 255).round().astype(np.uint8)
