"""A small classifier of scikit-learn's 8x8 digits, trained once and cached on disk (for the MODE score).

The classifier is an MLP (64 -> 128 -> 128 -> 10, ReLU) trained with Adam on the ``"train"`` split of
:mod:`mcgan_lib.data.digits`, with Gaussian input noise (std 0.1) so that it does not give arbitrary
confident answers on slightly off-manifold generated images. Training is seeded and deterministic
(full-batch, a fixed number of steps). Its weights and its test accuracy are cached in
``$MCGAN_CACHE_DIR`` (default ``~/.cache/mcgan``) as ``digits_classifier_v1.pt``; the file name
carries a version and the file stores the training settings, so a stale cache is retrained, never used.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mcgan_lib.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mcgan_lib.data.digits import DIGITS_DIM, N_CLASSES, load_digits_tensors
from mcgan_lib.nets.base import FeatureNetwork, register_network, seeded_init
from mcgan_lib.validation import check_int, check_tensor

CACHE_ENV_VAR = "MCGAN_CACHE_DIR"
CACHE_FILE = "digits_classifier_v1.pt"
TRAINING_SETTINGS = {"steps": 400, "lr": 3e-3, "input_noise": 0.1, "seed": 0, "hidden_dim": 128}


def cache_dir() -> Path:
    """The cache folder: ``$MCGAN_CACHE_DIR`` when set, else ``~/.cache/mcgan`` (read at call time)."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "mcgan")


@register_network
class DigitsClassifier(FeatureNetwork):
    """p(y | x) for flat 8x8 digits in [-1, 1]: x (B, 64) -> logits (B, 10)."""

    def __init__(self, hidden_dim: int = 128, seed: int | None = None):
        super().__init__()
        check_int("hidden_dim", hidden_dim, minimum=1)
        with seeded_init(seed):
            self.net = nn.Sequential(
                nn.Linear(DIGITS_DIM, hidden_dim),
                nn.ReLU(),
                nn.Linear(hidden_dim, hidden_dim),
                nn.ReLU(),
                nn.Linear(hidden_dim, N_CLASSES),
            )
        self.hparams = {"hidden_dim": hidden_dim}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, ndim=2, last_dim=DIGITS_DIM)
        return self.net(x)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """p(y | x) (B, 10), rows summing to 1."""
        was_training = self.training
        self.eval()
        probs = F.softmax(self(x), dim=1)
        self.train(was_training)
        return probs

    @torch.no_grad()
    def accuracy(self, x: torch.Tensor, labels: torch.Tensor) -> float:
        return float((self.probabilities(x).argmax(1) == labels).double().mean())


def train_digits_classifier(settings: dict | None = None) -> tuple[DigitsClassifier, float]:
    """Train a :class:`DigitsClassifier` from scratch; return it and its accuracy on the test split."""
    settings = {**TRAINING_SETTINGS, **(settings or {})}
    x, y = load_digits_tensors("train")
    model = DigitsClassifier(settings["hidden_dim"], seed=settings["seed"])
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    rng = torch.Generator().manual_seed(settings["seed"])
    for _ in range(settings["steps"]):
        noisy = x + settings["input_noise"] * torch.randn(x.shape, generator=rng)
        loss = F.cross_entropy(model(noisy), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    x_test, y_test = load_digits_tensors("test")
    return model.eval(), model.accuracy(x_test, y_test)


def load_digits_classifier(directory: str | os.PathLike | None = None, retrain: bool = False) -> DigitsClassifier:
    """The cached classifier (trained and cached on first use); ``test_accuracy`` is set on it.

    ``directory`` overrides :func:`cache_dir`. A cache file written with other settings, or that cannot
    be read, is replaced by a freshly trained classifier.
    """
    path = Path(directory) if directory is not None else cache_dir()
    path = path / CACHE_FILE
    if path.exists() and not retrain:
        try:
            state = load_checkpoint(path)
            if state.get("settings") == TRAINING_SETTINGS:
                model = DigitsClassifier(TRAINING_SETTINGS["hidden_dim"])
                model.load_state_dict(state["weights"])
                model.test_accuracy = float(state["test_accuracy"])
                return model.eval()
        except (CheckpointError, KeyError, RuntimeError):
            pass
    model, test_accuracy = train_digits_classifier()
    save_checkpoint(
        {"settings": TRAINING_SETTINGS, "weights": model.state_dict(), "test_accuracy": test_accuracy}, path
    )
    model.test_accuracy = test_accuracy
    return model
