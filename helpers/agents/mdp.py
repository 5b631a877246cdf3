"""gymnasium's toy-text environments as tables for Go, value iteration, and a plain-Python Q-learning reference.

    >>> mdp = from_gymnasium("FrozenLake-v1", is_slippery=False)
    >>> mdp.shape
    (16, 4, 1)
    >>> float(value_iteration(mdp, 0.9).max())
    1.0
"""

from __future__ import annotations

import numpy as np

from helpers.bridge.tabular import TabularMDP, run_episodes, seed_state

# Settings that meet the criteria (tests/test_tabular.py checks them; the bench times them):
# chunks of (alpha, epsilon, episodes), run one after another on one generator stream, and gamma.
LAKE_CHUNKS, LAKE_GAMMA = [(0.5, 0.5, 5_000)], 0.95  # non-slippery 4x4 and 8x8: greedy 100/100
SLIPPERY_CHUNKS = [(0.1, 0.5, 50_000), (0.05, 0.3, 50_000), (0.02, 0.2, 100_000), (0.01, 0.1, 100_000)]
SLIPPERY_GAMMA = 0.99  # slippery 4x4: greedy success within 0.02 of Q*'s
CLIFF_CHUNKS, CLIFF_GAMMA, CLIFF_MAX_STEPS = [(0.5, 0.1, 2_000)], 1.0, 200  # CliffWalking: greedy return -13


def _make(env_id: str, **kwargs):
    import gymnasium as gym  # noqa: PLC0415 - loads when an environment is made: value iteration on tables needs none

    return gym.make(env_id, **kwargs)


def from_gymnasium(env_id: str, **kwargs) -> TabularMDP:
    """The tables of env.unwrapped.P, copied exactly (e.g. CliffWalking's cliff: -100, back to start, not terminal)."""
    env = _make(env_id, **kwargs)
    u = env.unwrapped
    if not (hasattr(u, "P") and hasattr(u.observation_space, "n") and hasattr(u.action_space, "n")):
        env.close()
        raise ValueError(f"{env_id} is not a tabular environment: a TabularAgent needs a toy-text env with a "
                         "transition table env.unwrapped.P and discrete states and actions (FrozenLake-v1, "
                         f"CliffWalking-v1, Taxi-v4); {env_id} has observations {u.observation_space} and actions "
                         f"{u.action_space}. For it, use a DQN (helpers.agents.dqn_agent).")
    P, nS, nA = u.P, u.observation_space.n, u.action_space.n
    K = max(len(P[s][a]) for s in range(nS) for a in range(nA))
    prob, reward = np.zeros((nS, nA, K)), np.zeros((nS, nA, K))
    nxt, term = np.zeros((nS, nA, K), dtype=np.int64), np.zeros((nS, nA, K), dtype=np.uint8)
    for s in range(nS):
        for a in range(nA):
            for k, (p, s2, r, done) in enumerate(P[s][a]):
                prob[s, a, k], nxt[s, a, k], reward[s, a, k], term[s, a, k] = p, s2, r, bool(done)
            nxt[s, a, len(P[s][a]):] = nxt[s, a, 0]  # padding: prob 0, never drawn
    grid, holes, goal = _cells(u)
    start = np.ascontiguousarray(u.initial_state_distrib, dtype=np.float64)
    env.close()
    return TabularMDP(prob, nxt, reward, term, start, name=env_id, env_kwargs=dict(kwargs),
                      max_steps=registered_limit(env.spec, kwargs), grid=grid, holes=holes, goal=goal)


def registered_limit(spec, kwargs: dict) -> int | None:
    """The time limit gymnasium registers for these settings: FrozenLake-v1 with map_name="8x8" is registered as
    FrozenLake8x8-v1 (200 steps), not FrozenLake-v1's 100; the most specific registration that matches wins."""
    import gymnasium as gym  # noqa: PLC0415 - gymnasium loads when a world is built, not on import

    if spec is None:
        return None
    settings = {**spec.kwargs, **kwargs}
    same = [s for s in gym.registry.values() if s.entry_point == spec.entry_point
            and all(k in settings and settings[k] == v for k, v in s.kwargs.items())]
    return max(same, key=lambda s: len(s.kwargs)).max_episode_steps if same else spec.max_episode_steps


def _cells(u) -> tuple[tuple[int, int] | None, tuple[int, ...], tuple[int, ...]]:
    """(rows, cols), hazard cells and goal cells of a grid world (FrozenLake's desc, CliffWalking's shape)."""
    desc = getattr(u, "desc", None)
    if desc is not None and np.asarray(desc).ndim == 2 and hasattr(u, "ncol"):  # FrozenLake
        flat = np.asarray(desc).ravel()
        return tuple(np.asarray(desc).shape), _where(flat == b"H"), _where(flat == b"G")
    cliff = getattr(u, "_cliff", None)
    if cliff is not None:  # CliffWalking: the goal is the bottom-right cell
        return tuple(u.shape), _where(np.asarray(cliff).ravel()), (int(np.prod(u.shape)) - 1,)
    return None, (), ()


def _where(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask))


def train(lib, mdp: TabularMDP, chunks, gamma: float, max_steps: int, seed: int = 1) -> np.ndarray:
    """Q learned in Go from zeros, chunk by chunk ((alpha, epsilon, episodes) each) on one seeded stream."""
    q, state = np.zeros(mdp.prob.shape[:2]), seed_state(lib, seed)
    for alpha, epsilon, episodes in chunks:
        run_episodes(lib, mdp, q, alpha=alpha, gamma=gamma, epsilon=epsilon, max_steps=max_steps,
                     episodes=episodes, state=state)
    return q


def value_iteration(mdp: TabularMDP, gamma: float, tol: float = 1e-10, max_iter: int = 1_000_000) -> np.ndarray:
    """Q* (nS, nA) by value iteration on the tables, until no entry moves by more than tol."""
    q = np.zeros(mdp.prob.shape[:2])
    not_done = 1.0 - mdp.terminated
    for _ in range(max_iter):
        v = q.max(axis=1)
        new = np.sum(mdp.prob * (mdp.reward + gamma * not_done * v[mdp.next]), axis=2)
        if np.max(np.abs(new - q)) <= tol:
            return new
        q = new
    raise RuntimeError(f"value iteration did not converge within {max_iter:,} sweeps (gamma={gamma}): try gamma < 1")


class UniformStream:
    """Stands in for env.np_random: random() returns the given uniforms in order; used counts them."""

    def __init__(self, uniforms):
        self.u, self.used = np.asarray(uniforms, dtype=np.float64).tolist(), 0

    def random(self) -> float:
        if self.used >= len(self.u):
            raise ValueError(f"the uniforms ran out after {self.used:,} (each episode takes 1 + 3 per step)")
        self.used += 1
        return self.u[self.used - 1]


def choose_action(row: list[float], epsilon: float, u1: float, u2: float) -> int:
    """Epsilon-greedy as Go does it: explore iff u1 < epsilon; u2 picks the action, or one of the tied best."""
    if u1 < epsilon:
        return min(int(u2 * len(row)), len(row) - 1)
    best = max(row)
    ties = [a for a, v in enumerate(row) if v == best]
    return ties[min(int(u2 * len(ties)), len(ties) - 1)]


def q_learning_reference(env_or_id, mdp: TabularMDP, q: np.ndarray, alpha: float, gamma: float, epsilon: float,
                         max_steps: int, episodes: int, uniforms) -> tuple[np.ndarray, np.ndarray, int]:
    """Q-learning in plain Python on the real gymnasium env: (returns, lengths, uniforms used); q updated in place.

    Parity with Go: the env's own random generator is replaced by a
    UniformStream over the same uniforms, so env.reset() draws the start state
    with u0 and env.step() draws the outcome with u3, both through gymnasium's
    categorical_sample (first k whose cumulative probability exceeds u, as Go),
    while the agent draws u1 and u2. The real env.step supplies reward,
    next state and terminated. We step env.unwrapped and stop after max_steps
    ourselves, so gymnasium's TimeLimit plays no part. (Go's fallback when
    rounding leaves no cumulative sum above u is never needed for these tables.)
    Taxi with fickle_passenger=True draws extra numbers P does not show, so it
    has no parity; FrozenLake, CliffWalking and plain Taxi do.
    """
    env = _make(env_or_id, **mdp.env_kwargs) if isinstance(env_or_id, str) else env_or_id
    u = env.unwrapped
    u.reset(seed=0)  # seeds and sets up the env; its generator is replaced next
    stream = UniformStream(uniforms)
    u.np_random = stream
    if q.shape != mdp.prob.shape[:2]:
        raise ValueError(f"q must have shape {mdp.prob.shape[:2]} (states, actions); got {q.shape}")
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    for ep in range(episodes):
        s, _ = u.reset()
        s, ret, steps = int(s), 0.0, 0
        while steps < max_steps:
            a = choose_action(q[s].tolist(), epsilon, stream.random(), stream.random())
            s2, r, terminated, _, _ = u.step(a)
            s2, r, done = int(s2), float(r), float(bool(terminated))
            target = r + gamma * max(q[s2].tolist()) * (1 - done)
            q[s, a] += alpha * (target - q[s, a])
            ret, steps, s = ret + r, steps + 1, s2
            if done:
                break
        returns[ep], lengths[ep] = ret, steps
    return returns, lengths, stream.used
