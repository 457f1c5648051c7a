"""The interactive training panel of the toy chapters.

:class:`TrainingSession` holds the state (a trainer being trained in chunks) and knows nothing of
widgets, so it is tested on its own. :class:`TrainingPanel` puts sliders (learning rate, steps, latent
size, batch size, seed), a Run button, a Pause/Continue button and a Step button around it, and shows a
figure that is redrawn every ``update_every`` steps while a background thread trains. The figure is
sent as a PNG to an ``ipywidgets.Image``, which is safe to update from that thread.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from mcgan_lib.experiments import PLAIN_GAN_SETUP, ToySetup
from mcgan_lib.metrics.toy import evaluate_mixture
from mcgan_lib.runs import RunSpec
from mcgan_lib.tasks import make_task
from mcgan_lib.validation import check_int


@dataclass
class SessionSettings:
    """What the panel's sliders set: the task, the learning rate, the length, the latent size, the batch
    and the seed; :meth:`run_spec` makes them a run of ``setup``."""

    task: str = "ring"
    lr: float = PLAIN_GAN_SETUP.lr
    steps: int = 3000
    latent_dim: int = PLAIN_GAN_SETUP.latent_dim
    batch_size: int = PLAIN_GAN_SETUP.batch_size
    seed: int = 0

    def run_spec(self, setup: ToySetup = PLAIN_GAN_SETUP, method: str = "gan", method_settings=None) -> RunSpec:
        setup = setup.replace(lr=self.lr, latent_dim=self.latent_dim, batch_size=self.batch_size)
        return RunSpec(self.task, method, dict(method_settings or {}), setup, self.seed, self.steps)


class TrainingSession:
    """A toy GAN (a :class:`~mcgan_lib.runs.RunSpec`) trained in chunks, so a UI can pause, step and redraw
    between chunks; two sessions of the same spec but the method start from the same networks and data."""

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.data = make_task(spec.task)
        self.label = spec.label
        self.trainer = spec.trainer(data=self.data)
        self.coverage = evaluate_mixture(self.trainer.generator, self.data, n_samples=1000)

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def finished(self) -> bool:
        return self.trainer.step >= self.trainer.config.steps

    def run_chunk(self, n: int) -> int:
        """Train up to ``n`` more steps (never past the run's steps); return the steps done."""
        n = check_int("n", n, minimum=1)
        todo = min(n, self.trainer.config.steps - self.trainer.step)
        if todo > 0:
            self.trainer.train(steps=todo)
            self.coverage = evaluate_mixture(self.trainer.generator, self.data, n_samples=1000)
        return todo

    def status(self) -> str:
        c = self.coverage
        return (
            f"{self.label}: step {self.step}/{self.trainer.config.steps} · modes captured "
            f"{c.modes_captured}/{self.data.n_modes} · high-quality {c.high_quality_fraction:.0%} · "
            f"reverse KL {c.reverse_kl:.2f}"
        )

    def figure_png(self) -> bytes:
        from mcgan_lib.viz import gan_lab_figure

        figure = gan_lab_figure(
            self.trainer.generator,
            self.trainer.discriminator,
            self.data,
            n_samples=600,
            title=self.status(),
            pyplot=False,  # drawn on the panel's thread: never registered with pyplot
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()


def _is_control(control) -> bool:
    """A widget (it has a value the reader sets) or a list of them."""
    return hasattr(control, "value") or _is_widget_list(control)


def _is_widget_list(control) -> bool:
    return isinstance(control, (list, tuple)) and bool(control) and all(hasattr(c, "value") for c in control)


PANEL_TASKS = ("ring", "grid", "imbalanced_ring", "unit_ring", "unit_grid", "unit_imbalanced_ring")
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 1.5e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 1e-2)


class TrainingPanel:
    """Sliders, Run / Pause / Step buttons and a live figure around a :class:`TrainingSession`.

    ``setup`` gives the networks and optimiser (the sliders change its learning rate, latent size and batch),
    e.g. ``COLLAPSE_SETUP`` with a ``unit_*`` task for the book's shared regime.
    With ``method`` (a registry name) the panel trains the plain GAN and the regularized one side by side,
    from the same seed (the same initial networks), and shows both figures. ``controls`` maps each setting
    of the method to the widget that sets it (a list of widgets gives a list, e.g. HMGAN's per-layer ERE;
    a plain value is passed as it is); they are read when Run is pressed and shown with the panel's own
    sliders.
    """

    def __init__(
        self,
        task: str = "ring",
        steps: int = 3000,
        update_every: int = 100,
        method: str | None = None,
        controls=None,
        setup: ToySetup = PLAIN_GAN_SETUP,
    ):
        import ipywidgets as w

        from mcgan_lib.methods import method_settings

        if not isinstance(setup, ToySetup):
            raise ValueError(f"setup must be a ToySetup (the panel trains toys), got {type(setup).__name__}")
        self.setup = setup
        self.method = method
        self.controls = dict(controls or {})
        if method is not None:
            method_settings(method, {name: None for name in self.controls}, argument="controls")  # names checked
        elif self.controls:
            raise ValueError("controls set a method's settings; pass method= as well")
        style = {"description_width": "90px"}
        self.task = w.Dropdown(options=list(PANEL_TASKS), value=task, description="task", style=style)
        # a selection, not a FloatLogSlider: the browser snaps a log slider's value to its exponent grid
        # (3e-4 became 3.16e-4), so the value shown would not be the value the text names
        self.lr = w.SelectionSlider(
            options=[(f"{lr:g}", lr) for lr in LEARNING_RATES],
            value=setup.lr,
            description="learning rate",
            style=style,
        )
        self.steps = w.IntSlider(value=steps, min=100, max=20000, step=100, description="steps", style=style)
        self.latent_dim = w.IntSlider(value=setup.latent_dim, min=1, max=64, description="latent size", style=style)
        self.batch_size = w.IntSlider(
            value=setup.batch_size, min=16, max=1024, step=16, description="batch size", style=style
        )
        self.seed = w.IntText(value=0, description="seed", style=style)
        self.update_every = w.IntSlider(
            value=update_every, min=10, max=1000, step=10, description="redraw every", style=style
        )
        self.run_button = w.Button(description="Run", button_style="success", icon="play")
        self.pause_button = w.Button(description="Pause", icon="pause", disabled=True)
        self.step_button = w.Button(description="Step", icon="step-forward", disabled=True)
        self.status = w.HTML("Press Run to train.")
        width = "640px" if method is None else "480px"
        self.images = [w.Image(format="png", layout=w.Layout(width=width)) for _ in range(1 if method is None else 2)]
        self.image = self.images[0]
        self.run_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.toggle_pause())
        self.step_button.on_click(lambda _: self.step_once())
        controls = w.VBox(
            [
                self.task,
                self.lr,
                self.steps,
                self.latent_dim,
                self.batch_size,
                self.seed,
                self.update_every,
                *(w.VBox(list(c)) if _is_widget_list(c) else c for c in self.controls.values() if _is_control(c)),
                w.HBox([self.run_button, self.pause_button, self.step_button]),
            ]
        )
        self.widget = w.VBox([w.HBox([controls, *self.images]), self.status])
        self.sessions: list[TrainingSession] = []
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def settings(self) -> SessionSettings:
        return SessionSettings(
            task=self.task.value,
            lr=self.lr.value,
            steps=self.steps.value,
            latent_dim=self.latent_dim.value,
            batch_size=self.batch_size.value,
            seed=max(0, int(self.seed.value)),
        )

    @property
    def session(self) -> TrainingSession | None:
        """The plain GAN's session (the first), or None before Run."""
        return self.sessions[0] if self.sessions else None

    def method_settings(self) -> dict:
        """The method's settings as the controls read now (a list of widgets gives a list of values)."""
        return {
            name: [c.value for c in control]
            if _is_widget_list(control)
            else (control.value if _is_control(control) else control)
            for name, control in self.controls.items()
        }

    def _redraw(self) -> None:
        for session, image in zip(self.sessions, self.images):
            image.value = session.figure_png()
        self.status.value = "<br>".join(session.status() for session in self.sessions)

    def _advance(self) -> None:
        with self._lock:
            for session in self.sessions:
                session.run_chunk(self.update_every.value)
            self._redraw()

    @property
    def finished(self) -> bool:
        return all(session.finished for session in self.sessions)

    def _loop(self) -> None:
        try:
            while not self.finished and not self._paused.is_set():
                self._advance()
        except Exception as error:  # show the message in the panel instead of losing it in a thread
            self.status.value = f"<b>stopped:</b> {error}"
        finally:
            finished = self.finished
            self.pause_button.description = "Continue" if not finished else "Pause"
            self.pause_button.disabled = finished
            self.step_button.disabled = finished
            self.run_button.disabled = False

    def start(self, background: bool = True, paused: bool = False) -> None:
        """Build a new session from the sliders and train it (in a thread unless ``background=False``);
        ``paused=True`` builds it and waits for Step or Continue."""
        if self._thread is not None and self._thread.is_alive():
            self._paused.set()
            self._thread.join()
        self.sessions = [TrainingSession(self.settings().run_spec(self.setup))]
        if self.method is not None:
            spec = self.settings().run_spec(self.setup, self.method, self.method_settings())
            self.sessions.append(TrainingSession(spec))
        if paused:
            self._paused.set()
        else:
            self._paused.clear()
        self.run_button.disabled = True
        self.pause_button.disabled = False
        self.pause_button.description = "Pause"
        self.step_button.disabled = True
        self._redraw()
        if background:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        else:
            self._loop()

    def toggle_pause(self) -> None:
        if self.session is None:
            return
        if self._thread is not None and self._thread.is_alive():
            self._paused.set()
            self.step_button.disabled = False
        else:
            self._paused.clear()
            self.pause_button.description = "Pause"
            self.step_button.disabled = True
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def step_once(self) -> None:
        """While paused: train one chunk of ``redraw every`` steps and redraw."""
        if self.session is None or (self._thread is not None and self._thread.is_alive()):
            return
        self._advance()
        if self.finished:
            self.step_button.disabled = True
            self.pause_button.disabled = True


def grid_slider(value: float, minimum: float, maximum: float, step: float, **options):
    """An ``ipywidgets.FloatSlider`` whose min, max and value lie on its step grid.

    The browser snaps a slider's value to ``min + k * step``; a value or a min off that grid comes back
    changed from the page, which re-runs an ``interact`` callback from a comm message (its figure then goes
    to the log console, not to the cell). So ``minimum`` is rounded up to the grid, ``maximum`` down, and
    ``value`` to the nearest grid point inside them. ``options`` (description, readout_format, ...) are
    passed on.
    """
    import math

    import ipywidgets

    from mcgan_lib.validation import check_float

    step = check_float("step", step, minimum=0.0, strict_minimum=True)
    low = round(math.ceil(round(check_float("minimum", minimum) / step, 9)) * step, 12)
    high = round(math.floor(round(check_float("maximum", maximum) / step, 9)) * step, 12)
    if low > high:
        raise ValueError(
            f"minimum={minimum} and maximum={maximum} leave no point of the step grid ({step}) between them"
        )
    snapped = round(round(check_float("value", value) / step) * step, 12)
    return ipywidgets.FloatSlider(value=min(max(snapped, low), high), min=low, max=high, step=step, **options)
