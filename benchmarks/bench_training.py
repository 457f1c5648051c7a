"""Training-loop speed: toy GAN steps per second, and the loop's overhead against a bare PyTorch loop.

The bare loop does exactly the same work as :class:`mcgan_lib.training.Trainer` with the plain GAN
(same networks, data draws, latents, losses and Adam updates) with nothing else: no regularizer hooks,
history, callbacks or NaN checks. Goal: the Trainer within 10% of it (ratio <= 1.10). Timings alternate
between the two and take the median of several repeats, so a noisy neighbour hits both alike.
"""

from __future__ import annotations

import statistics
import time

import torch

from mcgan_lib.data.toy import ring
from mcgan_lib.experiments import PLAIN_GAN_SETUP
from mcgan_lib.losses import discriminator_loss, generator_loss
from mcgan_lib.training import Trainer


def _bare_loop(data, generator, discriminator, config, steps: int, device) -> None:
    rng = torch.Generator(device=device).manual_seed(config.seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)
    for _ in range(steps):
        real = data.sample(config.batch_size, rng)
        z = torch.randn(config.batch_size, generator.latent_dim, generator=rng, device=device)
        with torch.no_grad():
            fake = generator(z)
        d_loss = discriminator_loss(discriminator(real), discriminator(fake))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        data.sample(config.batch_size, rng)  # the Trainer draws a real batch for regularizers too
        z = torch.randn(config.batch_size, generator.latent_dim, generator=rng, device=device)
        g_loss = generator_loss(discriminator(generator(z)))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()


def _time_pair(device: torch.device, steps: int, repeats: int) -> tuple[float, float]:
    data = ring()
    trainer_times, bare_times = [], []
    for repeat in range(repeats):
        for kind in ("bare", "trainer"):
            generator, discriminator = PLAIN_GAN_SETUP.networks(data, seed=repeat)
            config = PLAIN_GAN_SETUP.train_config(seed=repeat, steps=steps, device=str(device), log_every=50)
            generator, discriminator = generator.to(device), discriminator.to(device)
            if kind == "trainer":
                trainer = Trainer(data, generator, discriminator, config)
                trainer.train(steps=5)  # warm-up
                start = time.perf_counter()
                trainer.train(steps=steps)
            else:
                _bare_loop(data, generator, discriminator, config, 5, device)
                start = time.perf_counter()
                _bare_loop(data, generator, discriminator, config, steps, device)
            if device.type == "cuda":
                torch.cuda.synchronize()
            (trainer_times if kind == "trainer" else bare_times).append(time.perf_counter() - start)
    return statistics.median(trainer_times), statistics.median(bare_times)


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(1)  # the toy MLPs gain nothing from more threads; fixed for comparable runs
    steps, repeats = (100, 2) if quick else (1000, 5)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        trainer_time, bare_time = _time_pair(device, steps, repeats)
        name = (
            f"{device.type} ({torch.get_num_threads()} threads)"
            if device.type == "cpu"
            else torch.cuda.get_device_name(0)
        )
        rows.append(
            {
                "name": "toy GAN G+D steps per second (Trainer)",
                "value": steps / trainer_time,
                "unit": "steps/s",
                "baseline": None,
                "ratio": None,
                "goal": None,
                "device": name,
            }
        )
        rows.append(
            {
                "name": "Trainer time / bare PyTorch loop time",
                "value": trainer_time / bare_time,
                "unit": "x",
                "baseline": "bare loop, same work",
                "ratio": trainer_time / bare_time,
                "goal": "<= 1.10",
                "device": name,
            }
        )
    return rows
