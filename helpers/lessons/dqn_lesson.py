"""Lesson 5's experiments on the DQN, each one call, so that the lesson's cells stay short.

    agent = DQNAgent.create(seed=0)
    dash = Dashboard(agent)
    train_until_solved(dash, max_steps=60_000)   # what pressing Start does, bounded, and waits
    q_level(agent)                               # the Q panel's reading on the states the agent visits
    greedy_return(agent)                         # the solve criterion's 10 greedy episodes, next to random play

tests/test_lesson05.py runs the same calls at the lesson's length.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from helpers.agents.dqn import EVAL_SEEDS, forward, greedy_returns
from helpers.agents.envs import random_policy_returns
from helpers.runs.lifecycle import Status


def env_steps(agent) -> int:
    """Environment steps the agent has trained so far."""
    return agent.dqn.global_step


def train_until_solved(dash, max_steps: int, quiet: bool = False) -> int | None:
    """Train (as Start does) until solved or max_steps environment steps; print when and after how long.

    It trains in runs that end on an evaluation, so it stops right after the solving one, every
    time; the status line says "running" and what the cell waits for all along, and the sliders and
    Stop act meanwhile (Stop ends the wait).
    """
    agent = dash.trainer
    every = agent.settings.eval_every
    with dash.waiting(f"· this cell trains until solved, at most {max_steps:,} environment steps"):
        while agent.solved_step is None and env_steps(agent) < max_steps:
            step = env_steps(agent)
            to_eval = every * (step // every + 1) - step  # environment steps to the next evaluation
            if not dash.watch(-(-min(to_eval, max_steps - step) // agent.chunk)):
                break  # Stop pressed (or the run ended with an error, raised below)
        if agent.status == Status.ERROR:
            raise RuntimeError("training failed: see the red error area under the dashboard") from agent.error
    if not quiet:
        print(solved_text(agent))
    return agent.solved_step


def solved_text(agent) -> str:
    """'solved at env step N after S s of training' from the agent's own records (or 'not solved yet')."""
    if agent.solved_step is None:
        return f"not solved yet after {env_steps(agent):,} environment steps"
    seconds = next(t for step, _, _, t in agent.eval_times if step == agent.solved_step)
    return f"solved at environment step {agent.solved_step:,}, after {seconds:.0f} s of training on this machine"


def watch_env_steps(dash, steps: int) -> None:
    """Train `steps` more environment steps (rounded up to whole lifecycle steps) and wait for them."""
    dash.watch(-(-steps // dash.trainer.chunk), note=f"· this cell trains {steps:,} environment steps and waits")


def greedy_return(agent, seeds=EVAL_SEEDS, quiet: bool = False) -> float:
    """Mean return of greedy episodes on the solve criterion's fixed seeds, beside a random policy's."""
    mean = float(greedy_returns(agent.dqn.online, lambda: gym.make(agent.env_id), seeds).mean())
    if not quiet:
        rand = random_policy_returns(agent.env_id, seeds).mean()
        print(f"greedy return over {len(seeds)} fixed episodes: {mean:.1f}   (a random policy: {rand:.1f}; "
              f"solved: {agent.settings.solved_at:g}; the maximum: 500)")
    return mean


def visited_states(agent, seeds=EVAL_SEEDS, max_steps: int = 500) -> np.ndarray:
    """The states greedy episodes on fixed seeds pass through (up to max_steps each)."""
    states = []
    for seed in seeds:
        env = gym.make(agent.env_id)
        obs, done, n = env.reset(seed=seed)[0], False, 0
        while not done and n < max_steps:
            states.append(obs)
            obs, _, terminated, truncated, _ = env.step(int(np.argmax(forward(agent.dqn.online, obs[None])[0])))
            done, n = terminated or truncated, n + 1
        env.close()
    return np.asarray(states, dtype=np.float32)


def q_level(agent, quiet: bool = False) -> float:
    """The mean of max_a Q(s, a) over the states greedy episodes visit: the value the agent expects now."""
    q = float(forward(agent.dqn.online, visited_states(agent)).max(axis=1).mean())
    if not quiet:
        gamma = agent.params.gamma
        ceiling = "∞" if gamma >= 1 else f"{1 / (1 - gamma):.0f}"
        print(f"Q on the states the greedy agent visits: {q:.1f}   (γ = {gamma:g}: 1/(1 − γ) = {ceiling})")
    return q


def recent_return(agent, until: int, window: int = 2_500) -> float:
    """Mean return of the training episodes that ended in the `window` environment steps before `until`."""
    snap = agent.history.snapshot()
    steps, returns = snap["samples"], snap["episode_return"]
    keep = (steps > until - window) & (steps <= until) & np.isfinite(returns)
    return float(returns[keep].mean()) if keep.any() else float("nan")


def q_panel_at(agent, until: int) -> float:
    """The Q panel's reading (the larger action's mean Q on a training batch) at the last step before `until`."""
    snap = agent.history.snapshot()
    keep = snap["samples"] <= until
    return float(snap["q_mean"][keep][-1].max()) if keep.any() else float("nan")


def race(agents: dict, steps: int, window: int = 2_500, quiet: bool = False) -> dict:
    """Each agent at environment step `steps`: its Q panel, and its mean training-episode return over `window`."""
    out = {name: dict(q=q_panel_at(agent, steps), ret=recent_return(agent, steps, window))
           for name, agent in agents.items()}
    if not quiet:
        print(f"at environment step {steps:,}: the Q panel, and the mean return of the training episodes "
              f"that ended in steps {max(steps - window, 0):,}-{steps:,}")
        for name, r in out.items():
            print(f"{name:>18}:  Q {r['q']:10.1f}   return {r['ret']:6.1f}")
    return out


def push_share(agent, quiet: bool = False) -> float:
    """The share of 'push right' among the greedy agent's actions on the states it visits."""
    actions = np.argmax(forward(agent.dqn.online, visited_states(agent)), axis=1)
    share = float(np.mean(actions == 1))
    if not quiet:
        print(f"the greedy agent pushes right in {share:.0%} of its steps, left in {1 - share:.0%}")
    return share
