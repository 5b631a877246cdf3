"""The exercises' expected answers, recomputed here so that no lesson cell holds them.

A check cell calls one of these and passes its verdict to `check`:

    check(2, answers.l05_q_panel(q_never_falls_095, steps_left), hint="(a) 1/(1 − γ); ...")

Each function takes the learner's answer (and what the lesson built: its table, its agent, its
measured speeds) and returns True or False; it never raises on a half-finished answer (`close`
answers False for anything that is not a number). A student copy (`make student`) keeps the check
cells, and they hold nothing a learner could read the answer off. tests/test_exercise_checks.py
runs every check cell with wrong answers ("not yet") and with the solutions (PASS).
"""

from __future__ import annotations

import math

import numpy as np

from helpers.agents.mdp import value_iteration
from helpers.lessons.exercises import close


def _update(q, reward, max_next_q, terminal, alpha, gamma):
    """Q + alpha * (reward + gamma * (1 - terminal) * max_next_q - Q), in NumPy."""
    q = np.asarray(q, dtype=float)
    return q + alpha * (np.asarray(reward, float) + gamma * (1 - np.asarray(terminal, float)) * max_next_q - q)


# -- lesson 01 ------------------------------------------------------------------------------------------------

def l01_update(answer) -> bool:
    """Exercise 1: Q = 1.5, reward −1, max next Q 2, alpha 0.2, gamma 0.9, not terminal."""
    return close(answer, _update(1.5, -1.0, 2.0, False, 0.2, 0.9))


def l01_clipped(got) -> bool:
    """Exercise 3: the rebuilt update on rewards 5, −3 (terminal), 0.5 with the rewards clipped to [−1, 1]."""
    return close(got, _update(np.zeros(3), np.clip([5.0, -3.0, 0.5], -1, 1), 2.0, [False, True, False], 0.5, 0.9))


# -- lesson 02 ------------------------------------------------------------------------------------------------

def l02_targets(answer, next_q, reward, terminal, gamma: float) -> bool:
    """Exercise 1: the TD targets of the batch."""
    return close(answer, _update(np.zeros(len(reward)), reward, np.max(next_q, axis=1), terminal, 1.0, gamma))


# -- lesson 03 ------------------------------------------------------------------------------------------------

def l03_update(answer) -> bool:
    """Exercise 1: Q(10, down) = 0.2, r = 0, max Q(14, ·) = 0.5, α = 0.5, γ = 0.9."""
    return close(answer, _update(0.2, 0.0, 0.5, False, 0.5, 0.9))


def l03_start_value(answer, lake) -> bool:
    """Exercise 2: max_a Q*(0, a) on the deterministic lake, γ = 0.9 (value iteration)."""
    return close(answer, value_iteration(lake, 0.9).max(axis=1)[0], tol=1e-6)


def l03_epsilon(agent, dash) -> bool:
    """Exercise 3: the live agent's ε set from code to the exercise's value, slider included."""
    return bool(agent.history.changes) and agent.history.changes[-1][1:] == ("epsilon", 0.1, 0.2) \
        and dash.sliders["epsilon"].value == 0.2


# -- lesson 04 ------------------------------------------------------------------------------------------------

def l04_params(answer, model) -> bool:
    """Exercise 1: how many numbers the network learns."""
    return isinstance(answer, (int, np.integer)) and not isinstance(answer, bool) and answer == model.count_params()


def l04_target_and_update(target, updated) -> bool:
    """Exercise 2: TD target and updated Q for Q = 1, r = 1, max Q(s′) = 2, alpha = 0.5, gamma = 0.9."""
    return close(target, _update(0.0, 1.0, 2.0, False, 1.0, 0.9)) and close(updated, _update(1.0, 1.0, 2.0, False,
                                                                                             0.5, 0.9))


def l04_batch_gain_choice(speeds: dict) -> int:
    """Exercise 3: the choice (3, 30, 300) nearest to step 3's gain over step 2 in the measured speeds."""
    names = list(speeds)
    gain = speeds[names[3]] / speeds[names[2]]
    return min((3, 30, 300), key=lambda choice: abs(math.log(choice / gain)))


def l04_batch_gain(answer, speeds: dict) -> bool:
    """Exercise 3: the learner's choice is the one nearest the gain measured in this run."""
    return answer in (3, 30, 300) and answer == l04_batch_gain_choice(speeds)


def l04_traces(answer, tf) -> bool:
    """Exercise 4: how often `scaled` is traced for gamma = 0.5, 0.9, 0.5, 0.99 (it runs here, with the lesson's tf)."""

    @tf.function
    def scaled(x, gamma):
        return gamma * x

    for g in (0.5, 0.9, 0.5, 0.99):
        scaled(tf.constant(1.0), g)
    return answer == scaled.experimental_get_tracing_count()


def l04_settled(answer, trainer_class, lib) -> bool:
    """Exercise 5: where Q settles with alpha = 1, gamma = 0.5 on random states: a Trainer trains and compares."""
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return False
    t = trainer_class.create(env="random", alpha=1.0, gamma=0.5, learning_rate=1e-2, batch_size=64, seed=0, lib=lib)
    settled = t.train(400).history.snapshot()["q_mean"][-50:].mean()
    return abs(answer - settled) < 0.15


# -- lesson 05 ------------------------------------------------------------------------------------------------

def l05_dqn_targets(goes_on, fell) -> bool:
    """Exercise 1: y for Q̄ = 5, r = 1, max Q̄(s′) = 10, γ = 0.9, α = 0.1, going on and terminated."""
    return close([goes_on, fell], _update([5.0, 5.0], 1.0, 10.0, [False, True], 0.1, 0.9))


def l05_q_panel(q_never_falls, steps_left) -> bool:
    """Exercise 2: (a) Q of a never-falling agent at γ = 0.95; (b) L with (1 − 0.99^L) / 0.01 = 63.4."""
    expected_l = round(math.log(1 - 63.4 * (1 - 0.99)) / math.log(0.99))
    return close(q_never_falls, 1 / (1 - 0.95), tol=1e-6) and close(steps_left, expected_l) \
        and float(steps_left) == int(steps_left)


def l05_first_change(answer, agent, name: str = "gamma", new: float = 0.0) -> bool:
    """Exercise 3: the environment step from which the agent trained with `name` = `new` (its recorded changes)."""
    steps = [s for s, n, _, v in agent.snapshot()["changes"] if n == name and v == new]
    return bool(steps) and isinstance(answer, (int, np.integer)) and answer == steps[0]


# -- lesson 06 ------------------------------------------------------------------------------------------------

def l06_best_alpha(answer, table, gamma: float = 0.9) -> bool:
    """Exercise 1: the α with the highest mean success in the column γ = `gamma` of the sweep's summary."""
    return answer is not None and close(answer, table["mean"][gamma].idxmax())


def l06_good_cells(answer, table, at_least: float = 0.7) -> bool:
    """Exercise 2: how many cells have a mean success of at least `at_least`."""
    return close(answer, int((table["mean"] >= at_least).to_numpy().sum()))


def l06_epsilon_sweep(df) -> bool:
    """Exercise 3: ε swept over [0.05, 0.2, 0.5] on seeds 0-3, with α = 0.03 and γ = 0.99 held fixed."""
    if not hasattr(df, "attrs") or "epsilon" not in df:
        return False
    fixed = df.attrs.get("fixed", {})
    used = {k: set(df[k]) if k in df else {fixed.get(k)} for k in ("alpha", "gamma")}
    return (sorted(df.epsilon.unique()) == [0.05, 0.2, 0.5] and len(df) == 12 and sorted(set(df.seed)) == [0, 1, 2, 3]
            and used == {"alpha": {0.03}, "gamma": {0.99}})
