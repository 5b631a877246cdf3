"""Bench suite of tabular Q-learning: Go's episode runner against the plain-Python reference on the real env.

Go's speed depends on the world: where the next cell is a coin toss (the slippery lakes) or there are
six actions to compare (Taxi), the CPU mispredicts more of the step's branches, which costs Go's
20-45 ns step a large share and Python's microseconds hardly any. So every world the kit supports is
timed, each with its own ratio, and the headline ratio is their median.
"""

from __future__ import annotations

import statistics

import numpy as np

from helpers.core.timing import median_time
from helpers.tooling.bench import figure

WORLDS = {  # slug: (gymnasium id, make kwargs)
    "lake4x4": ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False}),
    "lake4x4_slippery": ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": True}),
    "lake8x8": ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}),
    "lake8x8_slippery": ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": True}),
    "cliff": ("CliffWalking-v1", {}),
    "taxi": ("Taxi-v4", {}),
}
GO_EPISODES, PY_EPISODES = 20_000, 500  # both from a zero table; episodes end after 200 steps at most
SETTINGS = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1, "max_steps": 200}


def world_rates(lib, mdp) -> tuple[float, float]:
    """(Go, Python) steps/s of the same Q-learning on mdp's tables: Go median of 5 runs, the reference of 3.

    Each run starts from a zero table with the same random numbers, so every run plays the same steps.
    """
    from helpers.agents import mdp as M
    from helpers.bridge import tabular as T

    uniforms = np.random.default_rng(0).random(PY_EPISODES * (1 + 3 * SETTINGS["max_steps"]))

    def go():
        q = np.zeros(mdp.prob.shape[:2])
        return T.run_episodes(lib, mdp, q, episodes=GO_EPISODES, state=T.seed_state(lib, 0), **SETTINGS)[1]

    def python():
        q = np.zeros(mdp.prob.shape[:2])
        return M.q_learning_reference(mdp.name, mdp, q, episodes=PY_EPISODES, uniforms=uniforms, **SETTINGS)[1]

    return go().sum() / median_time(go, repeat=5), python().sum() / median_time(python, repeat=3)


def figures() -> list[dict]:
    """Go vs Python steps/s on every world, the median ratio, and the time to train the 8x8 lake."""
    from helpers.agents import mdp as M
    from helpers.bridge import golib

    lib = golib.load()
    out, rates = [], {}
    for slug, (env_id, kwargs) in WORLDS.items():
        go_rate, py_rate = rates[slug] = world_rates(lib, M.from_gymnasium(env_id, **kwargs))
        out += [figure(f"tabular_go_steps_per_s.{slug}", go_rate, "steps/s",
                       what=f"qTabularRun, {env_id} {kwargs}, {GO_EPISODES:,} episodes per call, median of 5"),
                figure(f"tabular_python_steps_per_s.{slug}", py_rate, "steps/s",
                       what=f"the Python reference stepping the gymnasium env, {PY_EPISODES} episodes, median of 3"),
                figure(f"tabular_go_vs_python.{slug}", go_rate / py_rate, "x", what="the two above, same run")]
    ratios = {slug: go / py for slug, (go, py) in rates.items()}
    slowest = min(ratios, key=ratios.get)
    lake = M.from_gymnasium("FrozenLake-v1", map_name="8x8", is_slippery=False)
    train_s = median_time(lambda: M.train(lib, lake, M.LAKE_CHUNKS, M.LAKE_GAMMA, lake.max_steps), repeat=5)
    return out + [
        figure("tabular_go_steps_per_s", statistics.median(go for go, _ in rates.values()), "steps/s",
               what=f"median over the {len(WORLDS)} worlds above"),
        figure("tabular_python_steps_per_s", statistics.median(py for _, py in rates.values()), "steps/s",
               what=f"median over the {len(WORLDS)} worlds above"),
        figure("tabular_go_vs_python", statistics.median(ratios.values()), "x", target=">= 200",
               what=f"median of the {len(WORLDS)} same-run ratios above; lowest: {slowest} "
                    f"{ratios[slowest]:.0f}x, highest {max(ratios.values()):.0f}x"),
        figure("tabular_train_lake8x8_s", train_s, "s", target="< 1",
               what=f"train the non-slippery 8x8 lake to 100/100 greedy successes ({M.LAKE_CHUNKS}), median of 5"),
    ]

