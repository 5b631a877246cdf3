"""Tabular Q-learning in Go (qTabularRun), whole episodes per call, and the DQN targets (dqnTargets).

A tabular MDP crosses into Go as flat tables (gymnasium's P[s][a] padded to K
outcomes, see TabularMDP). The arrays are checked here first (dtype, shape,
contiguity, ranges) so a learner gets a message naming the argument; Go checks
every value again and its status code becomes a Python exception.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from helpers.bridge.checks import floats, param
from helpers.core.knobs import SIZES

STATE_WORDS = 4  # a PCG generator saved between calls (qlearn.StateWords)


@dataclasses.dataclass(frozen=True)
class TabularMDP:
    """gymnasium's P[s][a] = [(prob, next, reward, terminated), ...] as (nS, nA, K) arrays, padded with prob 0."""

    prob: np.ndarray  # (nS, nA, K) float64; each (s, a) row sums to 1
    next: np.ndarray  # (nS, nA, K) int64 in [0, nS)
    reward: np.ndarray  # (nS, nA, K) float64, finite
    terminated: np.ndarray  # (nS, nA, K) uint8 0/1
    start: np.ndarray  # (nS,) float64 start distribution
    name: str = ""  # the gymnasium id it came from
    env_kwargs: dict = dataclasses.field(default_factory=dict)  # gymnasium.make(name, **env_kwargs)
    max_steps: int | None = None  # the registered time limit (None: none)
    grid: tuple[int, int] | None = None  # (rows, cols) of a grid world, for plots
    holes: tuple[int, ...] = ()  # hazard cells (lake holes, cliff cells), for plots
    goal: tuple[int, ...] = ()  # goal states

    def __post_init__(self):
        """Tables given as lists (or other array-likes) become arrays of the table's dtype; arrays are kept as they
        are (check_mdp refuses a wrong dtype rather than silently copying)."""
        for name, dtype in {**_TABLES, "start": np.float64}.items():
            value = getattr(self, name)
            if not isinstance(value, np.ndarray):
                object.__setattr__(self, name, _table_from(f"mdp.{name}", value, dtype))

    @property
    def shape(self) -> tuple[int, int, int]:
        """(nS, nA, K)."""
        return self.prob.shape


_TABLES = {"prob": np.float64, "next": np.int64, "reward": np.float64, "terminated": np.uint8}
_KINDS = {np.float64: "biuf", np.int64: "biu", np.uint8: "biu"}  # what each table's values may be, exactly


def _table_from(name: str, value, dtype) -> np.ndarray:
    """An array-like table as a C-contiguous array of dtype, or a TypeError that says what is needed."""
    need = f"{name} must be an array (or nested lists) of {'whole ' if dtype != np.float64 else ''}numbers"
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as e:  # ragged lists
        raise TypeError(f"{need} with one length per axis ({e})") from None
    if a.dtype.kind not in _KINDS[dtype] or a.ndim == 0:
        raise TypeError(f"{need}; got {type(value).__name__} of {a.dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


def check_max_steps(max_steps) -> int:
    """An episode's step limit as an int (the bounds of SIZES['steps']), or a ValueError that says what is needed."""
    if isinstance(max_steps, (bool, np.bool_)) or not isinstance(max_steps, (int, np.integer)) \
            or not 1 <= max_steps <= SIZES["steps"][2]:
        raise ValueError(f"max_steps is the step limit of one episode: a whole number from 1 to "
                         f"{SIZES['steps'][2]:,} (None: the environment's own limit); got {max_steps!r}")
    return int(max_steps)


def check_mdp(mdp: TabularMDP) -> tuple[int, int, int]:
    """(nS, nA, K) after checking every table's dtype, shape and contiguity (no copies are made)."""
    if np.ndim(mdp.prob) != 3 or min(np.shape(mdp.prob)) < 1:
        raise ValueError(f"mdp.prob must be an (nS, nA, K) array with all sizes >= 1; got shape {np.shape(mdp.prob)}")
    for name, dtype in {**_TABLES, "start": np.float64}.items():
        shape = mdp.prob.shape[:1] if name == "start" else mdp.prob.shape
        _check_array(f"mdp.{name}", getattr(mdp, name), dtype, shape)
    return mdp.prob.shape


def _check_array(name: str, a, dtype, shape, writeable: bool = False) -> None:
    """Refuse (instead of silently copying) an array of the wrong type, dtype, shape or layout."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of {np.dtype(dtype)}; got {type(a).__name__}")
    if a.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}; got {a.dtype} (convert with .astype)")
    if a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name} must be writeable: Go updates it in place")


def _whole(name: str, v, low: int, high: int) -> int:
    """v as an int in [low, high], or a ValueError that names it."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or not low <= v <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}; got {v!r}")
    return int(v)


def seed_state(lib, seed: int) -> np.ndarray:
    """A fresh generator state (4 uint64 words) for run_episodes, seeded from seed."""
    lib._check_fresh()
    state = np.zeros(STATE_WORDS, dtype=np.uint64)
    seed = _whole("seed", seed, 0, 2**64 - 1)
    lib._raise_for(lib.raw.qTabularSeed(seed, state, STATE_WORDS), "qTabularSeed", {})
    return state


def run_episodes(lib, mdp: TabularMDP, q: np.ndarray, *, alpha, gamma, epsilon, max_steps: int, episodes: int,
                 state: np.ndarray | None = None, uniforms=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Run episodes of epsilon-greedy Q-learning in Go; returns (returns, lengths, uniforms used).

    q, an (nS, nA) float64 C-contiguous array, is updated IN PLACE; any other
    array is refused with an error (never silently copied, which would lose the
    updates). Random numbers come from exactly one of state (from seed_state,
    advanced in place so the next call continues the stream) or uniforms
    (numbers in [0, 1), consumed in order: 1 per episode, 3 per step).
    """
    lib._check_fresh()
    nS, nA, K = check_mdp(mdp)
    _check_array("q", q, np.float64, (nS, nA), writeable=True)
    alpha, gamma, epsilon = param("alpha", alpha), param("gamma", gamma), param("epsilon", epsilon)
    max_steps = check_max_steps(max_steps)
    episodes = _whole("episodes", episodes, 0, SIZES["num_episodes"][2])
    if (state is None) == (uniforms is None):
        raise ValueError("give exactly one of state= (from seed_state) or uniforms= (numbers in [0, 1))")
    if state is not None:
        _check_array("state", state, np.uint64, (STATE_WORDS,), writeable=True)
        u_ptr, n_u = None, 0
    else:
        uniforms = floats("uniforms", uniforms)
        if not np.all((uniforms >= 0) & (uniforms < 1)):
            bad = int(np.argmin((uniforms >= 0) & (uniforms < 1)))
            raise ValueError(f"uniforms must be in [0, 1); uniforms[{bad}] is {uniforms[bad]}")
        u_ptr, n_u = uniforms.ctypes.data, len(uniforms)
    returns, lengths, used = np.zeros(episodes), np.zeros(episodes, dtype=np.int64), np.zeros(1, dtype=np.int64)
    code = lib.raw.qTabularRun(mdp.prob, mdp.next, mdp.reward, mdp.terminated, mdp.start, nS, nA, K, q,
                               alpha, gamma, epsilon, max_steps, episodes,
                               None if state is None else state.ctypes.data, STATE_WORDS, u_ptr, n_u,
                               used.ctypes.data, returns, lengths)
    if code:
        _raise_run(lib, code, mdp, q, int(used[0]), n_u)
    return returns, lengths, int(used[0])


def _raise_run(lib, code: int, mdp: TabularMDP, q: np.ndarray, used: int, n_uniforms: int) -> None:
    """Turn qTabularRun's status into an exception, naming the table entry at fault where we can."""
    name = lib.status.get(code, ("",))[0]
    if name == "UNIFORMS":
        raise ValueError(f"qTabularRun: the uniforms ran out after {used:,} of {n_uniforms:,} (each episode "
                         "takes 1 + 3 per step): pass more, or fewer episodes; Q keeps the steps already taken")
    where = mdp_problem(mdp) if name in ("PROB", "NEXT_STATE", "TERMINATED") else ""
    try:
        lib._raise_for(code, "qTabularRun", {"q": q, "reward": mdp.reward, "start": mdp.start})
    except ValueError as e:
        raise ValueError(f"{e}{': ' + where if where else ''}") from None


def mdp_problem(mdp: TabularMDP) -> str:
    """The first bad entry of the tables, as gymnasium would index it (e.g. 'P[3][1] probabilities sum to 0.9')."""
    nS = mdp.prob.shape[0]
    for label, table, bad in (("probability", mdp.prob, ~np.isfinite(mdp.prob)),
                              ("next state", mdp.next, (mdp.next < 0) | (mdp.next >= nS)),
                              ("terminated", mdp.terminated, mdp.terminated > 1)):
        if bad.any():
            s, a, k = (int(i) for i in np.argwhere(bad)[0])
            return f"P[{s}][{a}][{k}] {label} = {table[s, a, k]} (state {s}, action {a}, outcome {k})"
    sums = mdp.prob.sum(axis=2)
    rows = np.argwhere((np.abs(sums - 1) > 1e-6) | (mdp.prob < 0).any(axis=2) | (mdp.prob > 1).any(axis=2))
    if len(rows):
        s, a = (int(i) for i in rows[0])
        return f"P[{s}][{a}] probabilities {mdp.prob[s, a].tolist()} sum to {sums[s, a]:.9g}"
    if not np.isfinite(mdp.start).all():
        s = int(np.flatnonzero(~np.isfinite(mdp.start))[0])
        return f"the start distribution's start[{s}] = {mdp.start[s]}"
    if abs(mdp.start.sum() - 1) > 1e-6 or (mdp.start < 0).any():
        return f"the start distribution sums to {mdp.start.sum():.9g}"
    return ""


def greedy_success(lib, mdp: TabularMDP, q: np.ndarray, episodes: int = 10_000, max_steps: int | None = None,
                   seed: int = 12345) -> tuple[float, float]:
    """(share of episodes with return > 0, mean return) of the greedy policy, run in Go on a copy of q."""
    max_steps = max_steps or mdp.max_steps or 100
    returns, _, _ = run_episodes(lib, mdp, np.array(q, dtype=np.float64, order="C"), alpha=0.0, gamma=0.0,
                                 epsilon=0.0, max_steps=max_steps, episodes=episodes, state=seed_state(lib, seed))
    return float(np.mean(returns > 0)), float(np.mean(returns))
