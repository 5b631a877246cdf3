"""The seed article's learning loop, as written: one random state at a time.

    result = run_article_workflow(200, seed=0)
    result.losses, result.q_values, result.history.snapshot()

Each sample: ``model.predict`` -> Go ``updateQValue`` on the taken action's
Q-value -> ``model.fit`` toward the edited prediction (a few samples a second;
lesson 04 measures why, and the Trainer does the same work batched).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from helpers.agents.qnet import build_q_network, keras
from helpers.bridge import golib
from helpers.core.knobs import Hyperparams, check_size
from helpers.core.timing import progress_bar
from helpers.runs.history import History


@dataclass
class ArticleResult:
    """What run_article_workflow returns: the trained model and what it tracked."""

    model: keras.Model
    q_values: np.ndarray  # samples x actions: the Q-values predicted for each sample
    losses: np.ndarray  # the loss model.fit reported for each sample
    history: History  # the same figures as a History, for TrainingFigure
    seconds: float

    @property
    def samples_per_second(self) -> float:
        return len(self.losses) / self.seconds if self.seconds > 0 else float("nan")


def article_sample(model, lib, state, action, reward, alpha, gamma):
    """One sample of the article's loop: predict, Go update of the taken action's Q, fit."""
    x = state.reshape(1, -1)
    q_values = model.predict(x, verbose=0)  # 2. predict the Q-values (a copy we may edit)
    current_q = q_values[0, action]
    max_next_q = np.max(q_values[0])  # the article has no next state: it bootstraps from this one
    q_values[0, action] = lib.update_q_value(current_q, reward, max_next_q, alpha, gamma)  # 3. Go
    fit = model.fit(x, q_values, verbose=0)  # 4. retrain toward the updated Q-values
    return q_values[0], fit.history["loss"][0]


def run_article_workflow(num_samples: int, lib=None, alpha: float = 0.5, gamma: float = 0.9,
                         seed: int = 0, model=None, progress: bool = False) -> ArticleResult:
    """The article's learning workflow, one random state at a time (the slow baseline)."""
    num_samples = check_size("num_samples", num_samples)
    params = Hyperparams(alpha=alpha, gamma=gamma)  # validates alpha and gamma
    lib = lib or golib.load()
    model = model if model is not None else build_q_network(seed=seed)
    n_features, n_actions = model.input_shape[-1], model.output_shape[-1]
    rng = np.random.default_rng(seed)
    history = History(n_actions=n_actions, capacity=num_samples)
    q_values, losses = np.empty((num_samples, n_actions)), np.empty(num_samples)
    start = time.perf_counter()
    for i in progress_bar(range(num_samples), progress, "article loop", "sample"):
        state = rng.random(n_features, dtype=np.float32)  # 1. a random state
        action, reward = int(rng.integers(n_actions)), float(rng.random())
        q_values[i], losses[i] = article_sample(model, lib, state, action, reward, params.alpha, params.gamma)
        history.record(step=i, episode=0, samples=i + 1, time=time.perf_counter() - start, loss=losses[i],
                       q_mean=q_values[i], alpha=params.alpha, gamma=params.gamma, epsilon=float("nan"),
                       learning_rate=float(model.optimizer.learning_rate.numpy()))  # 5. track
    return ArticleResult(model, q_values, losses, history, time.perf_counter() - start)
