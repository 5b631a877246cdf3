"""Environments the trainers learn from, as batches with gymnasium's vector API.

``make_env("CartPole-v1", 32)`` is 32 copies of gymnasium's CartPole;
``make_env("random", 32)`` is the article's stand-in: random states, random rewards.
``watch("CartPole-v1")`` is one environment and its pictures, for an animation of an episode.
"""

from __future__ import annotations

import importlib.util
import math
import os

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control import CartPoleEnv

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


# gymnasium's CartPole picture (classic_control/cartpole.py, render), drawn with PIL so the kit needs no pygame:
# 600 x 400 pixels, the track's +-2.4 m across the width (125 px a metre), the cart's middle 100 px up.
CARTPOLE_SIZE, CARTPOLE_SCALE, CART_Y = (600, 400), 600 / 4.8, 100
CART_HALF, POLE_HALF_WIDTH, AXLE_UP = (25, 15), 5, 30 / 4
POLE_LENGTH = CARTPOLE_SCALE * 2 * 0.5  # gymnasium's `length` (0.5 m) is half the pole's
POLE_COLOUR, AXLE_COLOUR = (202, 152, 101), (129, 132, 203)


def draw_cartpole(state):
    """CartPole's frame for a state (x, x', theta, theta') as gymnasium draws it: theta > 0 leans the pole right."""
    from PIL import Image, ImageDraw  # noqa: PLC0415 - only to watch: headless runs never load PIL

    width, height = CARTPOLE_SIZE
    cart_x, theta = float(state[0]) * CARTPOLE_SCALE + width / 2, float(state[2])
    axle_y, cos, sin = CART_Y + AXLE_UP, math.cos(theta), math.sin(theta)

    def pixel(x, y):  # gymnasium draws with y up, then flips the picture
        return x, height - 1 - y

    image = Image.new("RGB", CARTPOLE_SIZE, "white")
    draw = ImageDraw.Draw(image)
    (cx, cy), w = CART_HALF, POLE_HALF_WIDTH
    draw.polygon([pixel(cart_x + dx, CART_Y + dy) for dx, dy in ((-cx, -cy), (-cx, cy), (cx, cy), (cx, -cy))],
                 fill=(0, 0, 0))
    pole = ((-w, -w), (-w, POLE_LENGTH - w), (w, POLE_LENGTH - w), (w, -w))  # upright, then turned by -theta
    draw.polygon([pixel(cart_x + u * cos + v * sin, axle_y - u * sin + v * cos) for u, v in pole], fill=POLE_COLOUR)
    ax, ay = pixel(int(cart_x), int(axle_y))
    draw.ellipse((ax - w, ay - w, ax + w, ay + w), fill=AXLE_COLOUR)
    draw.line((pixel(0, CART_Y), pixel(width, CART_Y)), fill=(0, 0, 0))
    return image


def watch(env_id: str):
    """(env, frame): one environment and frame() -> a PIL image of its current state.

    CartPole is drawn by the kit (draw_cartpole); any other environment by gymnasium's rgb_array render,
    which needs pygame (not in the kit's base: `pip install "gymnasium[classic-control]"` brings it).
    """
    from PIL import Image  # noqa: PLC0415 - only to watch: headless runs never load PIL

    env = gym.make(env_id)
    if isinstance(env.unwrapped, CartPoleEnv):
        return env, lambda: draw_cartpole(env.unwrapped.state)
    env.close()
    if importlib.util.find_spec("pygame") is None:
        raise ModuleNotFoundError(f"Drawing {env_id} needs pygame (the kit draws only CartPole itself): "
                                  'pip install "gymnasium[classic-control]"')
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws off screen, no display needed
    env = gym.make(env_id, render_mode="rgb_array")
    return env, lambda: Image.fromarray(env.render())
