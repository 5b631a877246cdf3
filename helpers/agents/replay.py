"""A replay buffer: the last `capacity` transitions in NumPy arrays, sampled uniformly.

    >>> buffer = ReplayBuffer(capacity=100_000, obs_dim=4)
    >>> buffer.add(obs, action, reward, next_obs, terminated)
    >>> obs, actions, rewards, next_obs, terminated = buffer.sample(rng, 64)
    >>> obs, actions, ... = buffer.sample(rng, 64, steps=128)   # a whole phase: (128, 64, ...)

A ring: once full, each new transition overwrites the oldest, so memory stays
bounded however long training runs. `capacity = batch_size` with
`recent=True` turns replay off: every batch is simply the latest transitions.
"""

from __future__ import annotations

import numpy as np


class ReplayBuffer:
    """Fixed-size ring buffer of (obs, action, reward, next_obs, terminated)."""

    def __init__(self, capacity: int, obs_dim: int):
        self.capacity = int(capacity)
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.actions = np.zeros(capacity, np.int32)
        self.rewards = np.zeros(capacity, np.float64)
        self.terminated = np.zeros(capacity, np.bool_)  # truncated is not terminated: it still bootstraps
        self.pos = self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        i = self.pos
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.rewards[i], self.terminated[i] = action, reward, terminated
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batch_size: int, recent: bool = False, steps: int | None = None):
        """batch_size transitions drawn uniformly (recent=True: the latest ones, in order).

        steps=k: k such batches stacked, shape (k, batch_size, ...), drawing the same random numbers
        as k calls in a row (one draw of k * batch_size integers continues the generator's stream).
        """
        if recent:
            idx = (self.pos - 1 - np.arange(min(batch_size, self.size))[::-1]) % self.capacity
            idx = idx if steps is None else np.tile(idx, (steps, 1))
        else:
            idx = rng.integers(0, self.size, size=batch_size if steps is None else (steps, batch_size))
        return self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.terminated[idx]
