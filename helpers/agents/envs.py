"""Environments the trainers learn from, as batches with gymnasium's vector API.

``make_env("CartPole-v1", 32)`` is 32 copies of gymnasium's CartPole;
``make_env("random", 32)`` is the article's stand-in: random states, random rewards.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

RANDOM = "random"
# What each action does, by environment: the one name figures and lessons use.
ACTION_NAMES = {"CartPole-v1": ("push left", "push right")}


def action_names(env_id: str):
    """('push left', 'push right') for CartPole-v1; None (figures say 'action 0', ...) otherwise."""
    return ACTION_NAMES.get(env_id)


class RandomStates:
    """The article's 'environment' as a batch: uniform random 4-feature states, rewards in [0, 1).

    Nothing ever terminates, so Q-values settle near mean reward / (1 - gamma).
    Same calls as a gymnasium vector env (reset(seed=...), step(actions)).
    """

    def __init__(self, num_envs: int, n_features: int = 4, n_actions: int = 2):
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


def random_policy_returns(env_id: str, seeds) -> np.ndarray:
    """Returns of a uniformly random policy, one episode per seed (the baseline to beat)."""
    out = []
    for seed in seeds:
        env = gym.make(env_id)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        total, done = 0.0, False
        while not done:
            _, r, terminated, truncated, _ = env.step(env.action_space.sample())
            total, done = total + r, terminated or truncated
        out.append(total)
    return np.array(out)
