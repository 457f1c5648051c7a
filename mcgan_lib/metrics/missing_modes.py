"""The missing-mode count of a third-party discriminator D* (Che et al., ICLR 2017, Sec. 4.3, Table 3).

D* is a fresh classifier, never used to train the generator, trained on real training data (label 1)
against generated data (label 0) in equal numbers per batch, with zero-mean Gaussian noise of std
``sigma`` added to *its inputs* during training (so it cannot learn a perfect 0/1 separation and its
output stays smooth). With balanced classes the optimal D* is the probability that a point is real,

    D*(s) = p_d,σ(s) / (p_d,σ(s) + p_g,σ(s)),       (p_σ: the density blurred by the noise)

It is then evaluated, without noise, on held-out real test points t. When D*(t) is close to 1, the
generator (almost) never produces points like t: t lies on a **missing mode**. We count the test
points with D*(t) > ``threshold`` (default 0.95, i.e. p_g,σ(t) < p_d,σ(t) / 19).

Choices the paper leaves open: (1) the paper's slides write D* ≈ p_g / (p_g + p_d) *and* "D(t) close
to 1 means t's mode is missing", which contradict each other; we orient D* so that 1 means "real", the
reading under which the second sentence holds; (2) the threshold is not given: 0.95, an argument;
(3) D* is an MLP (``hidden_dim`` 128, depth 2), trained with Adam (lr 1e-3) for ``steps`` steps on
batches of ``batch_size`` real + ``batch_size`` generated points. σ is in the units of the data
(the paper's CelebA values 3.5 and 4.0 refer to its own pixel scale and do not transfer).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mcgan_lib.losses import discriminator_loss
from mcgan_lib.nets.mlp import MLPDiscriminator
from mcgan_lib.validation import check_float, check_int, check_tensor


@dataclass
class MissingModeCount:
    """The count for one σ: test points D* flags as never generated, and D*(t) of every test point."""

    sigma: float
    threshold: float
    missing_count: int
    n_test: int
    d_star_on_test: torch.Tensor

    @property
    def missing_fraction(self) -> float:
        return self.missing_count / self.n_test

    def row(self) -> dict:
        return {"sigma": self.sigma, "missing_count": self.missing_count, "missing_fraction": self.missing_fraction}


def _check_sets(real_train, generated, real_test) -> None:
    for name, value in (("real_train", real_train), ("generated", generated), ("real_test", real_test)):
        check_tensor(name, value, ndim=2)
        if value.shape[0] == 0:
            raise ValueError(f"{name} must contain at least one point, got 0")
    if not real_train.shape[1] == generated.shape[1] == real_test.shape[1]:
        raise ValueError(
            "real_train, generated and real_test must have the same number of features, got "
            f"{real_train.shape[1]}, {generated.shape[1]} and {real_test.shape[1]}"
        )


def train_third_party_discriminator(
    real_train: torch.Tensor,
    generated: torch.Tensor,
    sigma: float,
    steps: int = 1000,
    batch_size: int = 128,
    hidden_dim: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
) -> MLPDiscriminator:
    """D* (logit of "real") trained on real_train (N, D) vs generated (M, D) with input noise ``sigma``."""
    _check_sets(real_train, generated, real_train)
    sigma = check_float("sigma", sigma, minimum=0.0)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    rng = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    real_train, generated = real_train.detach().float().cpu(), generated.detach().float().cpu()
    d_star = MLPDiscriminator(real_train.shape[1], hidden_dim=hidden_dim, seed=seed)
    optimizer = torch.optim.Adam(d_star.parameters(), lr=lr, betas=(0.5, 0.999))
    for _ in range(steps):
        real = real_train[torch.randint(len(real_train), (batch_size,), generator=rng)]
        fake = generated[torch.randint(len(generated), (batch_size,), generator=rng)]
        real = real + sigma * torch.randn(real.shape, generator=rng)
        fake = fake + sigma * torch.randn(fake.shape, generator=rng)
        loss = discriminator_loss(d_star(real), d_star(fake), "non_saturating")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return d_star.eval()


def missing_modes(
    real_train: torch.Tensor,
    generated: torch.Tensor,
    real_test: torch.Tensor,
    sigma: float,
    threshold: float = 0.95,
    **training_kwargs,
) -> MissingModeCount:
    """Train D* with input noise ``sigma`` and count test points with D*(t) > ``threshold``.

    real_train (N, D), generated (M, D), real_test (T, D). ``training_kwargs`` go to
    :func:`train_third_party_discriminator` (steps, batch_size, hidden_dim, lr, seed).
    """
    _check_sets(real_train, generated, real_test)
    sigma = check_float("sigma", sigma, minimum=0.0)
    threshold = check_float("threshold", threshold, minimum=0.5, maximum=1.0)
    d_star = train_third_party_discriminator(real_train, generated, sigma, **training_kwargs)
    with torch.no_grad():
        probability_real = torch.sigmoid(d_star(real_test.detach().float().cpu()))
    return MissingModeCount(
        sigma=sigma,
        threshold=threshold,
        missing_count=int((probability_real > threshold).sum()),
        n_test=real_test.shape[0],
        d_star_on_test=probability_real,
    )


def missing_modes_table(
    real_train: torch.Tensor,
    generated: torch.Tensor,
    real_test: torch.Tensor,
    sigmas=(0.25, 0.5, 1.0),
    threshold: float = 0.95,
    **training_kwargs,
) -> list[dict]:
    """One row ``{sigma, missing_count, missing_fraction}`` per σ (the shape of the paper's Table 3)."""
    if len(sigmas) == 0:
        raise ValueError("sigmas must contain at least one value, got an empty sequence")
    return [missing_modes(real_train, generated, real_test, s, threshold, **training_kwargs).row() for s in sigmas]
