"""What the article's alpha does to a Q-network trained with Adam, and with plain SGD.

    runs = compare_alphas((0.5, 1.0), steps=1500, seed=0)                  # Adam: the same Q curve
    runs = compare_alphas((0.5, 1.0), steps=1500, seed=0, optimizer="sgd")  # SGD: alpha sets the pace
    AlphaFigure(runs, title="Adam")                                         # Q and loss, one line per alpha

The Trainer fits the network to y = q + alpha * delta, computed from the network
itself, so the error it fits is alpha * delta: alpha scales the gradient. Adam
divides each gradient by a running estimate of its own size (Kingma & Ba 2015,
section 2.1), so a constant factor cancels; SGD has no such division.
"""

from __future__ import annotations

import io

import numpy as np

from helpers.agents.envs import make_env
from helpers.agents.qnet import build_q_network, keras
from helpers.agents.trainer import Trainer
from helpers.core.knobs import Hyperparams

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}


def alpha_trainer(alpha: float, *, optimizer: str = "adam", learning_rate: float = 1e-3, seed: int = 0,
                  gamma: float = 0.9, batch_size: int = 32, lib=None) -> Trainer:
    """A Trainer on the article's random states whose network uses `optimizer` ('adam' or 'sgd')."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}; got {optimizer!r}")
    model = build_q_network(learning_rate=learning_rate, seed=seed)  # the same first weights for every alpha
    model.compile(optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate), loss="mse")
    params = Hyperparams(alpha=alpha, gamma=gamma, epsilon=0.1, learning_rate=learning_rate)
    return Trainer(model, make_env("random", batch_size), lib=lib, params=params, seed=seed, env_id="random")


def compare_alphas(alphas=(0.5, 1.0), steps: int = 1500, seed: int = 0, optimizer: str = "adam",
                   learning_rate: float = 1e-3, lib=None) -> dict:
    """Train one Trainer per alpha (same seed, same states and rewards); {alpha: history snapshot}."""
    runs = {}
    for alpha in alphas:
        t = alpha_trainer(alpha, optimizer=optimizer, learning_rate=learning_rate, seed=seed, lib=lib)
        runs[alpha] = t.train(steps).history.snapshot()
    return runs


def mean_q(snapshot: dict) -> np.ndarray:
    """The mean predicted Q-value of each step, averaged over the actions."""
    return np.asarray(snapshot["q_mean"]).mean(axis=1)


def summarize(runs: dict, last: int = 200) -> dict:
    """{alpha: (final mean Q, median loss of the last `last` steps)}: the numbers the lesson prints."""
    return {a: (float(mean_q(s)[-1]), float(np.median(s["loss"][-last:]))) for a, s in runs.items()}


def q_moved(runs: dict) -> dict:
    """{alpha: how far the mean Q moved from the first step to the last}."""
    return {a: float(mean_q(s)[-1] - mean_q(s)[0]) for a, s in runs.items()}


def largest_gap(runs: dict, a: float, b: float) -> float:
    """The largest |mean Q(a) - mean Q(b)| over the run, step by step."""
    return float(np.max(np.abs(mean_q(runs[a]) - mean_q(runs[b]))))


class AlphaFigure:
    """Two panels, one line per alpha: mean Q by step (left), loss by step on a log scale (right)."""

    def __init__(self, runs: dict, title: str = ""):
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - matplotlib when drawn
        from matplotlib.figure import Figure  # noqa: PLC0415 - (a second) only when a figure is drawn

        self.figure = Figure(figsize=(8.4, 3.6))  # 840 px: unshrunk beside JupyterLab's file browser
        FigureCanvasAgg(self.figure)
        self.ax_q, self.ax_loss = self.figure.subplots(1, 2)
        styles = ["-", "--", ":", "-."]
        for i, (alpha, s) in enumerate(runs.items()):
            self.ax_q.plot(s["step"], mean_q(s), styles[i % 4], lw=2, label=f"alpha = {alpha}")
            self.ax_loss.plot(s["step"], s["loss"], lw=0.8, alpha=0.7, label=f"alpha = {alpha}")
        self.ax_q.set(title="mean predicted Q", xlabel="training step", ylabel="Q")
        self.ax_loss.set(title="loss", xlabel="training step", yscale="log")
        for ax in (self.ax_q, self.ax_loss):
            ax.grid(True, alpha=0.3)
            ax.legend()
        self.figure.suptitle(title)
        self.figure.tight_layout()

    def _repr_png_(self) -> bytes:  # a notebook cell ending in an AlphaFigure shows it
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=80)
        return buf.getvalue()


def step_sizes(trainer: Trainer, steps: int) -> np.ndarray:
    """Train `steps` steps one at a time; the size (global norm) of each step's change of the weights."""
    sizes, before = [], trainer.model.get_weights()
    for _ in range(steps):
        trainer.train(1)
        after = trainer.model.get_weights()
        sizes.append(np.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(after, before))))
        before = after
    return np.asarray(sizes)



def step_size_ratio(alphas=(1.0, 0.5), switch_to: float | None = None, before: int = 1000,
                    at=(0, 1950), window: int = 50, seed: int = 0, lib=None) -> dict:
    """Adam and alpha's scale. Two Trainers (alphas[0], alphas[1]) train `before` steps; then, if switch_to is
    given, the second one switches to it. {steps after that: mean step size of the second / the first, over
    `window` steps}: about 1 when Adam cancels alpha's scale."""
    runs = [alpha_trainer(a, seed=seed, lib=lib) for a in alphas]
    for t in runs:
        t.train(before)
    if switch_to is not None:
        runs[1].set("alpha", switch_to)
    ratios, done = {}, 0
    for step in at:
        for t in runs:
            if step > done:
                t.train(step - done)
        sizes = [step_sizes(t, window).mean() for t in runs]
        ratios[step], done = float(sizes[1] / sizes[0]), step + window
    return ratios
