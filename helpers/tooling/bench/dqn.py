"""`make bench` suite: the DQN on CartPole-v1, measured the way the lesson's solve criterion reads.

Solved = the mean return of 10 greedy episodes on fixed seeds reaches 475,
evaluated every 2,560 environment steps. Four seeds at the default settings
(alpha = 1, gamma = 0.99) within 50,000 steps; then alpha = 0.3 on the same
seeds, to show that alpha acts: alpha_effect_ratio = median steps to solve at
0.3 over median steps at 1 (an unsolved run counts as its step budget).
"""

from __future__ import annotations

import statistics
import time

from helpers.tooling.bench import figure

SEEDS = (0, 1, 2, 3)


def solve(seed: int, alpha: float = 1.0, max_steps: int = 50_000) -> dict:
    """Train one DQN until solved or max_steps; steps and seconds to solve (None if not solved)."""
    from helpers.agents.dqn_agent import DQNAgent

    agent = DQNAgent.create(seed=seed, alpha=alpha)
    start = time.perf_counter()
    while agent.solved_step is None and agent.dqn.global_step < max_steps:
        agent.train(1)
    seconds = time.perf_counter() - start
    return {"seed": seed, "alpha": alpha, "steps": agent.solved_step, "seconds": seconds if agent.solved_step else None,
            "budget": max_steps}


def figures(seeds=SEEDS) -> list[dict]:
    runs = [solve(seed) for seed in seeds]
    solved = [r for r in runs if r["steps"] is not None]
    slow = [solve(seed, alpha=0.3, max_steps=100_000) for seed in seeds]
    steps_1 = statistics.median(r["steps"] or r["budget"] for r in runs)
    steps_03 = statistics.median(r["steps"] or r["budget"] for r in slow)
    return [
        figure("dqn_cartpole_seeds_solved", len(solved), f"of {len(seeds)}", target=f"{len(seeds)} of {len(seeds)}",
               what="seeds whose greedy mean reached 475 within 50,000 environment steps (alpha 1, gamma 0.99)",
               steps=[r["steps"] for r in runs]),
        figure("dqn_cartpole_solve_steps_median", steps_1, "env steps", what="median steps to solve, seeds 0-3"),
        figure("dqn_cartpole_solve_s_median",
               statistics.median(r["seconds"] for r in solved) if solved else float("nan"), "s",
               target="<= half of SB3's (design notes: about 120 s a seed here)",
               what="median wall time to solve, this machine, this run", seconds=[r["seconds"] for r in runs]),
        figure("alpha_effect_ratio", steps_03 / steps_1, "x", target="clearly > 1",
               what="median steps to solve at alpha 0.3 over at alpha 1 (unsolved = its 100,000-step budget)",
               steps_alpha_03=[r["steps"] for r in slow]),
    ]


if __name__ == "__main__":
    for f in figures():
        print(f)
