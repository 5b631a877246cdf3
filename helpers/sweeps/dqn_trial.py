"""The DQN's sweep trial: CartPole until solved or a step budget (its own module: it loads TensorFlow)."""

from __future__ import annotations

import time

from helpers.agents.dqn import Settings
from helpers.agents.dqn_agent import DQNAgent
from helpers.core.knobs import NAMES, check, check_size
from helpers.sweeps.trials import worker_lib

# -- the DQN's trial ---------------------------------------------------------------------------------------------

# CartPole with the DQN's Settings; a sweep usually shortens the budget (fixed={"max_steps": ...}).
# until_solved=False trains the whole budget: the curve then shows what happens after solving too.
DQN = {**{name: getattr(Settings(), name) for name in NAMES}, "max_steps": 50_000, "until_solved": True}
EVAL = "eval_"  # column prefix of the learning curve: eval_<environment step> = that greedy evaluation's mean


def dqn_trial(params: dict, seed: int, **fixed) -> dict:
    """Train the DQN until solved (or all of max_steps); the solve step, the last evaluation and every evaluation.

    eval_<step>: the greedy mean of 10 fixed episodes at that environment step (every 2,560), the
    learning curve; a trial that stopped at its solve has no columns after it (NaN in the sweep's table).
    """
    unknown = (set(params) | set(fixed)) - set(DQN)
    if unknown:
        raise ValueError(f"the dqn trial has no setting {sorted(unknown)}; it takes {', '.join(DQN)}")
    s = {**DQN, **fixed, **params}
    agent = DQNAgent.create(seed=seed, lib=worker_lib(), **{name: check(name, s[name]) for name in NAMES})
    budget, start = check_size("steps", s["max_steps"]), time.perf_counter()
    if not isinstance(s["until_solved"], bool):
        raise ValueError(f"until_solved must be True or False; got {s['until_solved']!r}")
    while agent.dqn.global_step < budget and (agent.solved_step is None or not s["until_solved"]):
        agent.train(1)
    last = agent.evals[-1][1] if agent.evals else float("nan")
    return {"success": float(agent.solved_step is not None), "mean_return": last,
            "episodes_to_solve": float("nan") if agent.solved_step is None else float(agent.solved_step),
            "train_s": time.perf_counter() - start, "steps": agent.dqn.global_step,
            **{f"{EVAL}{step}": mean for step, mean, _ in agent.evals}}


dqn_trial.uses = ("alpha", "gamma", "epsilon", "learning_rate", "max_steps")
