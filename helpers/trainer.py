"""Train the Q-network: the seed article's loop as written, and a fast trainer.

The article's workflow, sample by sample (``model.predict``, Go ``updateQValue``,
``model.fit``: about 7 samples a second)::

    result = run_article_workflow(200, seed=0)
    result.losses, result.q_values, result.history.snapshot()

The same workflow, fast (batched; one ``tf.function`` per step that computes the
Q-values, asks Go for the targets and takes an Adam step; tens of thousands of
samples a second), on the article's random states or on gymnasium's CartPole::

    t = Trainer(env="CartPole-v1", alpha=0.5, gamma=0.9, seed=0)
    t.start()                 # a background thread; returns at once
    t.params.alpha = 0.2      # from any thread: used from the next step, recorded in t.history.changes
    t.pause(); t.resume(); t.stop()
    t.save("runs/cartpole"); t2 = Trainer.load("runs/cartpole")

A "step" is one batch of ``batch_size`` transitions -> Go targets
``q + alpha * (r + gamma * max Q(s') - q)`` -> one gradient step on the MSE
between the network's Q-values and those targets.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import golib
from .history import History
from .hyperparams import NAMES, Hyperparams
from .qnet import build_q_network

import keras  # noqa: E402  (after qnet, which quiets TensorFlow's start-up logs)
import tensorflow as tf  # noqa: E402

RANDOM = "random"
STATUSES = ("idle", "running", "paused", "stopped", "finished", "error")


# -- the article's workflow, as written ---------------------------------------


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
    num_samples = _positive_int("num_samples", num_samples)
    params = Hyperparams(alpha=alpha, gamma=gamma)  # validates alpha and gamma
    lib = lib or golib.load()
    model = model if model is not None else build_q_network(seed=seed)
    n_features, n_actions = model.input_shape[-1], model.output_shape[-1]
    rng = np.random.default_rng(seed)
    history = History(n_actions=n_actions, capacity=num_samples)
    q_values, losses = np.empty((num_samples, n_actions)), np.empty(num_samples)
    start = time.perf_counter()
    for i in _progress(range(num_samples), progress, "article loop", "sample"):
        state = rng.random(n_features, dtype=np.float32)  # 1. a random state
        action, reward = int(rng.integers(n_actions)), float(rng.random())
        q_values[i], losses[i] = article_sample(model, lib, state, action, reward, params.alpha, params.gamma)
        history.record(step=i, episode=0, samples=i + 1, time=time.perf_counter() - start, loss=losses[i],
                       q_mean=q_values[i], alpha=params.alpha, gamma=params.gamma, epsilon=float("nan"),
                       learning_rate=float(model.optimizer.learning_rate.numpy()))  # 5. track
    return ArticleResult(model, q_values, losses, history, time.perf_counter() - start)


# -- environments --------------------------------------------------------------


class RandomStates:
    """The article's 'environment' as a batch: uniform random 4-feature states, rewards in [0, 1).

    Nothing ever terminates, so Q-values settle near mean reward / (1 - gamma).
    Same calls as a gymnasium vector env (reset(seed=...), step(actions)).
    """

    def __init__(self, num_envs: int, n_features: int = 4, n_actions: int = 2):
        import gymnasium as gym

        self.num_envs = num_envs
        self.single_observation_space = gym.spaces.Box(0.0, 1.0, (n_features,), np.float32)
        self.single_action_space = gym.spaces.Discrete(n_actions)
        self._rng = np.random.default_rng()

    def reset(self, *, seed=None, options=None):
        self._rng = np.random.default_rng(seed)
        return self._states(), {}

    def step(self, actions):
        none = np.zeros(self.num_envs, dtype=bool)
        return self._states(), self._rng.random(self.num_envs), none, none.copy(), {}

    def _states(self):
        return self._rng.random((self.num_envs, self.single_observation_space.shape[0]), dtype=np.float32)

    def close(self):
        pass


def make_env(env: str, num_envs: int):
    """A batch of num_envs environments: 'random' (the article's) or a gymnasium id such as 'CartPole-v1'."""
    import gymnasium as gym

    if env == RANDOM:
        return RandomStates(num_envs)
    if not isinstance(env, str):
        raise TypeError(f"env must be 'random' or a gymnasium id such as 'CartPole-v1'; got {env!r}")
    try:
        envs = gym.make_vec(env, num_envs=num_envs)
    except gym.error.Error as e:
        raise ValueError(f"unknown environment {env!r} ({e}). Use 'random' (the article's random "
                         "states) or a gymnasium id such as 'CartPole-v1'.") from None
    obs, act = envs.single_observation_space, envs.single_action_space
    if not (isinstance(obs, gym.spaces.Box) and len(obs.shape) == 1 and isinstance(act, gym.spaces.Discrete)):
        envs.close()
        raise ValueError(f"{env} has observations {obs} and actions {act}: the Q-network needs a vector of "
                         "state features and a discrete set of actions (CartPole-v1 has 4 and 2)")
    return envs


# -- the fast trainer ------------------------------------------------------------

_running: "weakref.WeakSet[Trainer]" = weakref.WeakSet()


def running_trainers() -> list["Trainer"]:
    """Trainers whose background thread is alive in this process."""
    return [t for t in list(_running) if t._thread is not None and t._thread.is_alive()]


def stop_all(timeout: float = 10) -> int:
    """Stop every trainer running in the background; return how many were stopped."""
    trainers = running_trainers()
    for t in trainers:
        t.stop(timeout=timeout)
    return len(trainers)


class Trainer:
    """The article's workflow, batched and compiled, steerable while it runs in a thread."""

    def __init__(self, env: str = "CartPole-v1", alpha: float = 0.5, gamma: float = 0.9, epsilon: float = 0.1,
                 learning_rate: float = 1e-3, batch_size: int = 32, seed: int | None = 0, lib=None,
                 hidden: int = 32):
        self.params = Hyperparams(alpha=alpha, gamma=gamma, epsilon=epsilon, learning_rate=learning_rate)
        self.batch_size = _positive_int("batch_size", batch_size)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be a whole number or None; got {seed!r}")
        self.seed, self.hidden, self.env_id = seed, _positive_int("hidden", hidden), env
        self.lib = lib or golib.load()
        self._env = make_env(env, self.batch_size)
        self.n_features = self._env.single_observation_space.shape[0]
        self.n_actions = int(self._env.single_action_space.n)
        self.history = History(n_actions=self.n_actions)
        self.error: BaseException | None = None
        self._status = "idle"
        self._thread: threading.Thread | None = None
        self._control = threading.Lock()  # start/stop/reset, one at a time
        self._params_lock = threading.Lock()  # step start vs. change records
        self._status_lock = threading.Lock()  # pause/resume vs. the thread ending
        self._stop_flag, self._go, self._parked = threading.Event(), threading.Event(), threading.Event()
        self._go.set()
        self._rate = 0.0
        self._values = self.params.as_dict()  # the values steps use: committed with their change record
        self._build()
        self.params.observe(self._record_change, names=list(NAMES))

    def __repr__(self) -> str:
        return (f"<Trainer {self.env_id} {self._status}: step {self.step_count}, episode {self.episode}, "
                f"{self.params!r}>")

    # -- state readable from any thread --

    @property
    def status(self) -> str:
        """One of 'idle', 'running', 'paused', 'stopped', 'finished', 'error'."""
        return self._status

    @property
    def step_count(self) -> int:
        """Steps (batches) trained so far."""
        return self._step_count

    @property
    def episode(self) -> int:
        """Episodes finished so far, over all batch_size copies of the environment (0 for 'random')."""
        return self._episode

    @property
    def samples_per_second(self) -> float:
        """Transitions trained per second over the last half second or so (0 while paused)."""
        return self._rate

    @property
    def trace_count(self) -> int:
        """How many times the training step was traced (1 after the first step, whatever the sliders do)."""
        return self._step_fn.experimental_get_tracing_count()

    def set(self, name: str, value: float) -> None:
        """Set hyperparameter `name` (alpha, gamma, epsilon, learning_rate); used from the next step."""
        self.params.set(name, value)

    # -- building --

    def _build(self) -> None:
        """A fresh model from the seed, its compiled step, the environment reset, counters at zero."""
        self.model = build_q_network(self.n_features, self.n_actions, self.hidden,
                                     self._values["learning_rate"], seed=self.seed)
        self._compile_step()
        self.history.clear()
        self._step_count = self._episode = 0
        self._reset_env()

    def _compile_step(self) -> None:
        """Build the optimizer, the tf.Variables alpha, gamma and the one-graph training step."""
        self.model.optimizer.build(self.model.trainable_variables)
        values = self._values
        self._alpha = tf.Variable(values["alpha"], dtype=tf.float64, trainable=False, name="alpha")
        self._gamma = tf.Variable(values["gamma"], dtype=tf.float64, trainable=False, name="gamma")
        self._assigned = {"alpha": values["alpha"], "gamma": values["gamma"],
                          "learning_rate": float(self.model.optimizer.learning_rate.numpy())}
        self._step_fn = _make_train_step(self.model, self.lib, self._alpha, self._gamma, self.n_features)
        # Traced once, here. Calling the concrete graph skips tf.function's argument matching (~0.2 ms a step).
        self._graph = self._step_fn.get_concrete_function()

    def _reset_env(self) -> None:
        self._obs, _ = self._env.reset(seed=self.seed)
        self._rng = np.random.default_rng(self.seed)
        self._q_act = self.model(self._obs, training=False).numpy()
        self._returns = np.zeros(self.batch_size)
        self._prev_done = np.zeros(self.batch_size, dtype=bool)
        self._t0 = None

    # -- one step --

    def _record_change(self, change) -> None:
        """traitlets observer: commit the new value and note (step, name, old, new) in one locked move.

        step is the first step that uses the new value. Steps read the committed values, never
        the trait itself (traitlets stores a value before it notifies observers).
        """
        name, new = change["name"], change["new"]
        with self._params_lock:
            old = self._values[name]
            if new == old:
                return
            self._values[name] = new
            step = self._step_count + (1 if self._in_step else 0)
            self.history.add_change(step, name, old, new)

    _in_step = False
    _runner: threading.Thread | None = None  # the thread running the training loop (start() or train())

    def _read_params(self) -> dict:
        """This step's hyperparameters (under the lock, so change records name the right step)."""
        with self._params_lock:
            self._in_step = True
            p = dict(self._values)
        for name, var in (("alpha", self._alpha), ("gamma", self._gamma),
                          ("learning_rate", self.model.optimizer.learning_rate)):
            if self._assigned[name] != p[name]:  # assign() changes a value in the graph: no retracing
                var.assign(p[name])
                self._assigned[name] = p[name]
        return p

    def _act(self, epsilon: float) -> np.ndarray:
        """Epsilon-greedy actions for the current states."""
        actions = np.argmax(self._q_act, axis=1)
        explore = self._rng.random(self.batch_size) < epsilon
        actions[explore] = self._rng.integers(self.n_actions, size=int(explore.sum()))
        return actions.astype(np.int32)

    def _one_step(self) -> None:
        """Act in batch_size environments, then one compiled step: Q, Go targets, Adam."""
        if self._t0 is None:  # the clock of the history's "time" column (continues after load())
            last = self.history.last()
            self._t0 = time.perf_counter() - (last["time"] if last else 0.0)
        try:
            p = self._read_params()
            actions = self._act(p["epsilon"])
            next_obs, reward, terminated, truncated, _ = self._env.step(actions)
            # gymnasium vector envs reset a finished copy on the *next* step: that row is no transition.
            valid = ~self._prev_done
            loss, q_mean, next_q = self._compiled_step(self._obs, actions, reward, next_obs, terminated, valid)
            done = (np.asarray(terminated) | np.asarray(truncated)) & valid
            self._returns += np.where(valid, reward, 0.0)
            finished = self._returns[done]
            self._returns[done] = 0.0
            with self._params_lock:
                self.history.record(step=self._step_count, episode=self._episode + int(done.sum()),
                                    samples=(self._step_count + 1) * self.batch_size,
                                    time=time.perf_counter() - self._t0, loss=float(loss), q_mean=q_mean.numpy(),
                                    episode_return=finished.mean() if len(finished) else float("nan"),
                                    alpha=p["alpha"], gamma=p["gamma"], epsilon=p["epsilon"],
                                    learning_rate=p["learning_rate"])
                self._episode += int(done.sum())
                self._step_count += 1
                self._in_step = False  # with the count, so a change made now names the next step
        except BaseException:
            with self._params_lock:
                self._in_step = False
            raise
        self._obs, self._q_act, self._prev_done = next_obs, next_q.numpy(), done

    def _compiled_step(self, obs, actions, reward, next_obs, terminated, valid):
        """Call the tf.function with tensors; an error raised in Go comes out as itself, not as a TF error."""
        try:
            return self._graph(tf.constant(obs), tf.constant(actions), tf.constant(np.asarray(reward, np.float64)),
                               tf.constant(next_obs), tf.constant(np.asarray(terminated, bool)), tf.constant(valid))
        except tf.errors.OpError:
            go_error, self._step_fn.go_error = self._step_fn.go_error, None
            if go_error is not None:
                raise go_error from None
            raise

    # -- running --

    def _loop(self, steps: int | None, bar=None) -> str:
        """Train until `steps` more steps are done or stop() is called; honour pause(). Returns the end status."""
        self._runner = threading.current_thread()
        done, mark = 0, (time.perf_counter(), self._step_count)
        while steps is None or done < steps:
            if not self._go.is_set():  # paused: park here, between two steps
                self._rate = 0.0
                self._parked.set()
                self._go.wait()
                self._parked.clear()
                mark = (time.perf_counter(), self._step_count)
            if self._stop_flag.is_set():
                return "stopped"
            self._one_step()
            done += 1
            if bar is not None:
                bar.update(1)
            now = time.perf_counter()
            if now - mark[0] >= 0.5:
                self._rate = (self._step_count - mark[1]) * self.batch_size / (now - mark[0])
                mark = (now, self._step_count)
        if done and now > mark[0] and self._step_count > mark[1]:
            self._rate = (self._step_count - mark[1]) * self.batch_size / (now - mark[0])
        return "finished"

    def _claim(self, steps) -> int | None:
        """Check that nothing runs yet and prepare a run of `steps` steps (None: until stopped)."""
        if (self._thread is not None and self._thread.is_alive()) or self._status in ("running", "paused"):
            raise RuntimeError(f"this trainer is already {self._status} (step {self.step_count}): "
                               "use pause()/resume(), or stop() before starting it again")
        steps = None if steps is None else _positive_int("steps", steps)
        self._stop_flag.clear()
        self._go.set()
        self.error, self._status = None, "running"
        return steps

    def train(self, steps: int, progress: bool = False) -> "Trainer":
        """Train `steps` steps in the calling thread (tests, scripts); errors are raised (and kept in .error)."""
        with self._control:
            steps = self._claim(steps)
        bar = _progress(None, progress, f"training on {self.env_id}", "step", total=steps)
        try:
            end = self._loop(steps, bar)
        except KeyboardInterrupt:  # the learner interrupted the cell: a stop, not an error
            end = "stopped"
            raise
        except BaseException as e:
            self.error, end = e, "error"
            raise
        finally:
            with self._status_lock:
                self._status = end
            self._parked.set()
            if bar is not None:
                bar.close()
        return self

    def start(self, steps: int | None = None) -> "Trainer":
        """Train in a background thread (until stop(), or `steps` steps) and return at once."""
        with self._control:
            steps = self._claim(steps)
            self._thread = threading.Thread(target=self._run, args=(steps,), name="qkit-trainer", daemon=True)
            _running.add(self)
            self._thread.start()
        return self

    def _run(self, steps: int | None) -> None:
        """The background thread: any exception is kept in .error, never lost."""
        try:
            end = self._loop(steps)
        except BaseException as e:  # noqa: BLE001 - shown by whoever reads .error / .status
            self.error, end = e, "error"
        with self._status_lock:
            self._status = end
            self._rate = 0.0 if end == "error" else self._rate
        self._parked.set()

    def pause(self, timeout: float = 10) -> None:
        """Pause between two steps (returns once the training thread has parked)."""
        with self._status_lock:
            if self._status != "running":
                return
            self._parked.clear()
            self._go.clear()
            self._status = "paused"
        if self._runner is not threading.current_thread():  # the training loop's thread cannot wait for itself
            self._parked.wait(timeout)

    def resume(self) -> None:
        """Continue after pause()."""
        with self._status_lock:
            if self._status == "paused":
                self._status = "running"
                self._go.set()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the current step and wait for the thread: model and history then agree."""
        with self._control:
            self._stop_flag.set()
            self._go.set()
            thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
                if thread.is_alive():
                    raise TimeoutError(f"the training thread did not stop within {timeout} s")
            with self._status_lock:
                if self._status in ("running", "paused"):
                    self._status = "stopped"
                self._rate = 0.0

    def reset(self) -> None:
        """Stop, rebuild the model from the seed, and clear the history and counters (hyperparameters stay)."""
        self.stop()
        with self._control:
            self._build()
            self.error, self._status, self._rate = None, "idle", 0.0

    # -- files --

    def save(self, path) -> Path:
        """Write model.keras, history.csv, changes.csv and trainer.json into the folder `path`."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        was_running = self._status == "running"
        self.pause()  # a consistent picture: no step half-way
        try:
            self.model.save(path / "model.keras")
            self.history.to_csv(path / "history.csv", path / "changes.csv")
            config = dict(env=self.env_id, batch_size=self.batch_size, seed=self.seed, hidden=self.hidden,
                          step_count=self.step_count, episode=self.episode, **self._values)
            (path / "trainer.json").write_text(json.dumps(config, indent=2) + "\n")
        finally:
            if was_running:
                self.resume()
        return path

    @classmethod
    def load(cls, path, lib=None) -> "Trainer":
        """A trainer restored from save(path): model (optimizer state included), history, counters."""
        path = Path(path)
        missing = [n for n in ("model.keras", "history.csv", "trainer.json") if not (path / n).exists()]
        if missing:
            raise FileNotFoundError(f"{path} holds no saved trainer: {', '.join(missing)} missing")
        config = json.loads((path / "trainer.json").read_text())
        step_count, episode = config.pop("step_count"), config.pop("episode")
        t = cls(lib=lib, **config)
        t.model = keras.models.load_model(path / "model.keras")
        t._compile_step()
        t.history = History.from_csv(path / "history.csv", path / "changes.csv")
        t._step_count, t._episode = step_count, episode
        t._q_act = t.model(t._obs, training=False).numpy()
        return t


def _make_train_step(model, lib, alpha: tf.Variable, gamma: tf.Variable, n_features: int):
    """One tf.function: Q(s), Q(s'), Go's targets for the taken actions, one Adam step on the MSE."""

    def go_targets(q_taken, reward, max_next_q, terminal, a, g):  # runs in Go, between graph ops
        try:
            return lib.q_update(q_taken, reward, max_next_q, terminal, float(a), float(g))
        except Exception as e:  # TensorFlow would wrap it; keep the original for the caller
            train_step.go_error = e
            raise

    n_actions = model.output_shape[-1]
    spec = [tf.TensorSpec([None, n_features], tf.float32), tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([None], tf.float64), tf.TensorSpec([None, n_features], tf.float32),
            tf.TensorSpec([None], tf.bool), tf.TensorSpec([None], tf.bool)]

    @tf.function(input_signature=spec)
    def train_step(states, actions, reward, next_states, terminal, valid):
        next_q = model(next_states, training=False)
        with tf.GradientTape() as tape:
            q = model(states, training=True)
            q_taken = tf.gather(q, actions, batch_dims=1)
            target = tf.numpy_function(go_targets, [tf.cast(q_taken, tf.float64), reward,
                                                    tf.cast(tf.reduce_max(next_q, axis=1), tf.float64),
                                                    terminal, alpha, gamma], tf.float64, stateful=True)
            target = tf.where(valid, tf.cast(tf.reshape(target, [-1]), tf.float32), q_taken)
            # The article's fit target: the predicted Q-values, the taken action's replaced by Go's.
            y = tf.stop_gradient(q + tf.one_hot(actions, n_actions) * (target - q_taken)[:, None])
            weight = tf.cast(valid, tf.float32)
            per_sample = tf.reduce_mean(tf.square(y - q), axis=1)  # Keras's MSE
            loss = tf.reduce_sum(per_sample * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)
        return loss, tf.reduce_mean(q, axis=0), next_q

    train_step.go_error = None
    return train_step


# -- small helpers ------------------------------------------------------------


def _positive_int(name: str, v) -> int:
    """v as an int >= 1, or a ValueError naming the argument."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {v!r}")
    return int(v)


def _progress(iterable, enabled: bool, desc: str, unit: str, total=None):
    """A tqdm progress bar (a widget in notebooks) when enabled, else the iterable / None."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit=unit, total=total)
