"""DQN on CartPole, read top to bottom (in the spirit of cleanrl's dqn.py), with Go computing the targets.

alpha places the regression target between the frozen target network Q̄ and the TD target T:

    T = r + gamma * (1 - terminated) * max_a' Q̄(s',a')
    y = Q̄(s,a) + alpha * (T - Q̄(s,a)) = (1 - alpha) * Q̄(s,a) + alpha * T

alpha = 1 is textbook DQN (Mnih et al. 2015). alpha sets where y sits; it does
not move the network: each training phase fits the online network toward y
with Adam on random batches, which ends near y, not on it. If the network
landed on y at every sync, Q̄ <- (1 - alpha) * Q̄ + alpha * T(Q̄) would be
value iteration damped by alpha: the same fixed point Q*, and a contraction of
1 - alpha * (1 - gamma) per sync instead of gamma (helpers/lessons/dqn_study.py
shows it; tests/test_dqn_study.py measures both). Every stabiliser
can be switched off: replay=False trains on the latest transitions only,
target_network=False bootstraps from the online network itself. Both off, with
y = Q(s,a) + alpha * delta from the online network, is the article's workflow
(lesson 04's Trainer, batched), and the error fitted is alpha * delta. Lesson
04's "Adam cancels alpha" needs a constant alpha and the MSE; here the Huber
loss (quadratic only within huber_delta) and the gradient clipping make the
gradient depend on clip(alpha * delta), not on alpha times one gradient, and
after a change of alpha Adam's second moment keeps the old scale for about
1 / (1 - beta_2) = 1,000 steps (tests/test_dqn_study.py measures each).

Where the time goes (design notes, section 4): a Python -> TensorFlow call
costs ~0.5 ms, a NumPy forward pass of this small network ~10 us. So acting,
evaluation and Q̄ are NumPy forward passes on copied weights, and a training
phase takes one of two paths, the same algorithm (one phase gives the same
weights to float32 tolerance, tests/test_dqn_phase.py; here bit for bit):

- fused (the default, with a target network; plain and Double DQN): Q̄ is
  frozen for the whole phase, so all of its gradient_steps x batch_size
  transitions are sampled at once, Q̄ is computed on them (NumPy, 8 batches a
  call: the per-step path's very products; half of the calls on a helper
  thread, so on two cores), Go computes every target in ONE
  call, and ONE compiled TensorFlow call runs all the Adam steps (a loop in
  the graph, dqn_graph.py: the weights and Adam's state are read from Keras
  once, stepped as flat vectors, written back once) and returns the new
  weights. Double DQN's a' needs the online network as it is at each step: Go
  computes the target for every possible a', and the compiled loop lets the
  online network pick one at each step.
- per step (target_network=False, whose targets read the online network after
  every step, or DQN(..., fused=False)): per batch, Q̄ in NumPy, the targets in
  one Go call and one compiled Keras step (optimizer.apply, which the fused
  loop matches bit for bit); the weights are read back after the phase (and
  after every step where the targets need them). replay=False takes the fused
  path when the target network is on (its batches are the latest transitions,
  repeated).
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from helpers.agents.dqn_graph import build_network
from helpers.agents.qnet import keras, tf
from helpers.agents.replay import ReplayBuffer
from helpers.core.knobs import SPECS, Range, check_fields, size_range

EVAL_SEEDS = range(10_000, 10_010)  # the solve criterion's 10 greedy episodes
FINAL_SEEDS = range(20_000, 20_020)  # 20 other episodes for the final report


def _h(text: str, default, allowed):
    """A dataclass field with a help string (shown by the command line) and its allowed values (a Range, or bool)."""
    return field(default=default, metadata={"help": text, "allowed": allowed})


POSITIVE, STEPS = Range(0, open_low=True), Range(1, 10**9, whole=True)


@dataclass
class Settings:
    """Every setting of the DQN: what it does, its default, its allowed values (checked on creation)."""

    alpha: float = _h("how far each target moves from Q̄(s,a) toward the TD target (1 = textbook DQN)", 1.0,
                      SPECS["alpha"].range)
    gamma: float = _h("discount factor", 0.99, SPECS["gamma"].range)
    learning_rate: float = _h("Adam's learning rate", 2.3e-3, SPECS["learning_rate"].range)
    hidden: tuple = _h("hidden layer widths of the network 4 -> ... -> 2", (128, 128), size_range("hidden"))
    huber_delta: float = _h("Huber loss: quadratic within delta, linear outside (robust to big errors)", 1.0,
                            POSITIVE)
    clip_norm: float = _h("clip the gradient's global norm to this", 10.0, POSITIVE)
    double_dqn: bool = _h("the online network picks a', the target network evaluates it", False, bool)
    replay: bool = _h("sample batches from a replay buffer (False: the latest transitions only)", True, bool)
    buffer_size: int = _h("replay buffer capacity, in transitions", 100_000, Range(1, 10**7, whole=True))
    batch_size: int = _h("transitions per gradient step", 64, size_range("batch_size"))
    learning_starts: int = _h("environment steps before the first gradient step", 1_000,
                              Range(0, 10**9, whole=True))
    train_freq: int = _h("environment steps between two training phases", 256, STEPS)
    gradient_steps: int = _h("gradient steps per training phase", 128, Range(1, 10**5, whole=True))
    target_network: bool = _h("bootstrap from a frozen copy Q̄ (False: from the online network)", True, bool)
    target_sync: int = _h("environment steps between two copies online -> Q̄", 256, STEPS)
    epsilon_start: float = _h("exploration at the start of the decay", 1.0, SPECS["epsilon"].range)
    epsilon: float = _h("exploration after the decay (the ε slider)", 0.04, SPECS["epsilon"].range)
    epsilon_decay: int = _h("environment steps of linear decay from epsilon_start to epsilon", 8_000,
                            Range(0, 10**9, whole=True))
    eval_every: int = _h("environment steps between two greedy evaluations (10 training phases)", 2_560, STEPS)
    solved_at: float = _h("solved when the greedy mean over EVAL_SEEDS reaches this", 475.0, Range())

    def __post_init__(self):
        check_fields(self)  # a bad value fails here, by name, not later as NaN weights or a ZeroDivisionError

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)


def epsilon_at(s: Settings, step: int, epsilon: float | None = None) -> float:
    """Linear decay from epsilon_start to epsilon (the slider's, if given) over epsilon_decay steps, then epsilon."""
    end = s.epsilon if epsilon is None else epsilon
    return end + (s.epsilon_start - end) * max(0.0, 1.0 - step / max(s.epsilon_decay, 1))


def forward(weights: list, x: np.ndarray) -> np.ndarray:
    """Q-values of states x (batch, 4) with a NumPy copy of the network's weights [W1, b1, W2, b2, ...]."""
    for w, b in zip(weights[0:-2:2], weights[1:-2:2]):
        x = x @ w
        x += b  # in place: the same sums as x @ w + b, without two temporary arrays per layer
        np.maximum(x, 0.0, out=x)
    x = x @ weights[-2]
    x += weights[-1]
    return x


class DQN:
    """The agent's state; step() is one environment step, with a training phase when one is due."""

    def __init__(self, env, lib, settings: Settings | None = None, seed: int = 0, fused: bool = True):
        # Small matrices: a multi-threaded BLAS only waits for its own threads (measured here under load:
        # a 64 x 128 forward pass took 700 us with 2 BLAS threads, 120 us with 1). For this process.
        threadpool_limits(1, user_api="blas")
        tf.config.experimental.enable_op_determinism()  # the same seed gives the same run, bit for bit
        s = self.settings = settings or Settings()
        self.env, self.lib, self.seed, self.fused = env, lib, seed, fused  # fused=False: the per-step phase
        keras.utils.set_random_seed(seed)
        self.rng = np.random.default_rng(seed)  # every random choice of training comes from here
        env.action_space.seed(seed)
        obs_dim, self.n_actions = env.observation_space.shape[0], int(env.action_space.n)
        self.net = build_network(s, obs_dim, self.n_actions, seed)
        self.model, self.read_weights = self.net.model, self.net.read_weights
        self.online = self.read_weights()  # NumPy copy for acting
        self.target = [w.copy() for w in self.online]  # Q̄, frozen between syncs
        self.buffer = ReplayBuffer(s.buffer_size if s.replay else s.batch_size, obs_dim)
        self.obs = env.reset(seed=seed)[0].astype(np.float32)
        self.global_step = self.episode = 0
        self.episode_return, self.last_loss, self.last_q = 0.0, float("nan"), np.zeros(self.n_actions)
        self.finished: list[tuple[int, float]] = []  # (step, return) of episodes that ended since the last read
        self.phase_seconds: list[float] = []  # wall time of each training phase, as measured while it trained

    def step(self, alpha: float, gamma: float, epsilon: float) -> None:
        """One environment step; then, if due, a training phase and a target sync."""
        s = self.settings
        # 1. act: epsilon-greedy with a NumPy forward pass (no TensorFlow call per step)
        if self.rng.random() < epsilon_at(s, self.global_step, epsilon):
            action = int(self.rng.integers(self.n_actions))
        else:
            action = int(np.argmax(forward(self.online, self.obs[None])[0]))
        # 2. step the environment; remember the transition (truncated still bootstraps, terminated does not)
        next_obs, reward, terminated, truncated, _ = self.env.step(action)
        self.buffer.add(self.obs, action, reward, next_obs, terminated)
        self.episode_return += reward
        if terminated or truncated:
            self.finished.append((self.global_step + 1, self.episode_return))
            self.episode, self.episode_return = self.episode + 1, 0.0
            next_obs, _ = self.env.reset()
        self.obs = np.asarray(next_obs, dtype=np.float32)
        self.global_step += 1
        # 3. train: gradient steps toward Go's targets, Q̄ frozen during the phase
        if self.global_step > s.learning_starts and self.global_step % s.train_freq == 0:
            self.train_phase(alpha, gamma)
        # 4. sync the target network
        if s.target_network and self.global_step % s.target_sync == 0:
            self.target = [w.copy() for w in self.online]

    def train_phase(self, alpha: float, gamma: float) -> None:
        """gradient_steps Adam steps toward Go's targets: one compiled call, or one call per step (see above)."""
        s, start = self.settings, time.perf_counter()
        batches = self.buffer.sample(self.rng, s.batch_size, recent=not s.replay, steps=s.gradient_steps)
        fused = self.fused and s.target_network
        loss, weights = (self._fused_phase if fused else self._stepwise_phase)(batches, alpha, gamma)
        self.online = [np.asarray(w) for w in weights]  # the fused phase returns them as tensors
        self.last_loss = float(loss)
        self.last_q = forward(self.online, batches[0][-1]).mean(axis=0)
        self.phase_seconds.append(time.perf_counter() - start)

    def _fused_phase(self, batches, alpha: float, gamma: float):
        """Q̄ on all the phase's transitions (NumPy), all their targets in one Go call, one compiled loop."""
        obs, actions, rewards, next_obs, terminated = batches
        steps, n = actions.shape
        # Q̄ on stacks of 8 batches: NumPy multiplies a stack batch by batch, so these are the per-step path's
        # very products (a BLAS may round one larger product differently) and both paths train on the same
        # targets, bit for bit; 8 batches a call cut NumPy's per-call cost and still fit in the cache.
        states = np.concatenate([obs, next_obs])  # (2 * steps, n, obs_dim)
        qbar = np.concatenate(_on_two_cores(lambda i: forward(self.target, states[i:i + 8]), range(0, 2 * steps, 8)))
        qbar_sa = np.take_along_axis(qbar[:steps], actions[..., None], axis=2).ravel()
        next_qbar = qbar[steps:].reshape(steps * n, -1)
        rewards, terminated = rewards.ravel(), terminated.ravel()
        if not self.settings.double_dqn:
            y = self.lib.dqn_targets(qbar_sa, next_qbar, rewards, terminated, alpha, gamma)
            return self.net.train_phase(tf.constant(obs), tf.constant(actions),
                                        tf.constant(y.reshape(steps, n), tf.float32))
        # Double DQN: a' comes from the online network at each step, inside the loop; Go computes the target
        # for every possible a' (one row per transition and action, with Q̄(s', a') as the only next value).
        k = next_qbar.shape[1]
        y_each = self.lib.dqn_targets(np.repeat(qbar_sa, k), next_qbar.reshape(-1, 1), np.repeat(rewards, k),
                                      np.repeat(terminated, k), alpha, gamma)
        return self.net.train_phase_double(tf.constant(obs), tf.constant(actions), tf.constant(next_obs),
                                           tf.constant(y_each.reshape(steps, n, k), tf.float32))

    def _stepwise_phase(self, batches, alpha: float, gamma: float):
        """One step at a time: Q̄ in NumPy, y in Go, one compiled Adam step, each on one batch."""
        s, loss = self.settings, None
        for obs, actions, rewards, next_obs, terminated in zip(*batches):
            bar = self.target if s.target_network else self.online
            qbar_sa = forward(bar, obs)[np.arange(len(obs)), actions]
            y = self.lib.dqn_targets(qbar_sa, forward(bar, next_obs), rewards, terminated, alpha, gamma,
                                     next_q_online=forward(self.online, next_obs) if s.double_dqn else None)
            loss = self.net.train_step(tf.constant(obs), tf.constant(actions), tf.constant(y, tf.float32))
            if s.double_dqn or not s.target_network:
                self.online = self.read_weights()  # they read the online network inside the phase
        return loss, self.read_weights()

    def evaluate(self, make_env, seeds=EVAL_SEEDS) -> np.ndarray:
        """Returns of greedy episodes on fixed seeds, in environments of their own (training is not disturbed)."""
        return greedy_returns(self.online, make_env, seeds)


_helper = ThreadPoolExecutor(1, thread_name_prefix="qkit-dqn-helper")  # idle until a fused phase needs it


def _on_two_cores(fn, items) -> list:
    """[fn(item) for item in items], the second half on a helper thread (NumPy lets go of the GIL)."""
    later = _helper.submit(lambda: [fn(item) for item in items[len(items) // 2:]])
    return [fn(item) for item in items[:len(items) // 2]] + later.result()


def greedy_returns(weights: list, make_env, seeds) -> np.ndarray:
    """Play one greedy episode per seed (all in lockstep, one forward pass per step); their returns."""
    envs = [make_env() for _ in seeds]
    obs = np.stack([env.reset(seed=seed)[0] for env, seed in zip(envs, seeds)]).astype(np.float32)
    returns, active = np.zeros(len(envs)), list(range(len(envs)))
    while active:
        actions = np.argmax(forward(weights, obs[active]), axis=1)
        still = []
        for i, a in zip(active, actions):
            obs[i], r, terminated, truncated, _ = envs[i].step(int(a))
            returns[i] += r
            if not (terminated or truncated):
                still.append(i)
        active = still
    for env in envs:
        env.close()
    return returns
