"""What α does in lesson 5's DQN (issue 16 A1, A2): each sentence of the lesson and of dqn.py's docstring,
measured on the real DQN, on seeds the lesson does not use (its SEED is 0).

About 30 s of DQN training in all (several minutes on a loaded 2-CPU machine).
"""

import contextlib
import io

import lesson_setup
import numpy as np
import pytest

from helpers.agents import dqn
from helpers.agents.dqn_agent import DQNAgent
from helpers.lessons import alpha_study, dqn_study
from helpers.tooling import notebooks

LESSON05 = notebooks.NOTEBOOK_DIR / "05_steer_training_live.ipynb"


def said(path, phrase: str) -> None:
    text = " ".join(" ".join(c.source.split()) for c in lesson_setup.cells(path) if c.cell_type == "markdown")
    assert " ".join(phrase.split()) in text, f"{path.name} no longer says: {phrase!r}"


# -- A1: α places the target; damped value iteration if the network landed on it --------------------------


def test_the_docstring_no_longer_says_q_moves_a_fraction_alpha_as_a_table_would():
    doc = " ".join(dqn.__doc__.split())
    assert "as a table would" not in doc
    assert "y = Q̄(s,a) + alpha * (T - Q̄(s,a)) = (1 - alpha) * Q̄(s,a) + alpha * T" in doc
    assert "1 - alpha * (1 - gamma) per sync instead of gamma" in doc


def test_damped_value_iteration_contracts_by_1_minus_alpha_1_minus_gamma(lib):
    # Lesson 05: "each copy shrinks the distance to it by **1 − α(1 − γ)** instead of γ: 0.99 at α = 1, 0.999 at
    # α = 0.1 (γ = 0.99)" and "the same fixed point Q* for every α > 0". The recursion runs Go's own target.
    said(LESSON05, "shrinks the distance to it by **1 − α(1 − γ)** instead of γ: 0.99 at α = 1, 0.999 at α = 0.1")
    said(LESSON05, "It has the same fixed point Q* for every α > 0")
    for alpha, gamma in ((1.0, 0.99), (0.1, 0.99), (0.5, 0.9)):
        c, star = dqn_study.contraction(alpha, gamma), 1 / (1 - gamma)
        qbar = dqn_study.damped_syncs(lib, alpha, gamma, 300)
        distance = star - qbar
        assert np.allclose(distance[1:] / distance[:-1], c, rtol=1e-9), (alpha, gamma)
        assert np.allclose(qbar, star * (1 - c ** np.arange(301)), rtol=1e-9)
        held = lib.dqn_targets([star], [[star, star]], [1.0], [False], alpha, gamma)[0]
        assert abs(held - star) < 1e-9, "Q* is a fixed point of the damped update for every α"
    assert (dqn_study.contraction(1.0, 0.99), dqn_study.contraction(0.1, 0.99)) == pytest.approx((0.99, 0.999))


def test_the_lesson_cell_prints_the_damped_recursion(lib):
    # The cell after Step 1: "17 copies are the training phases of Step 6's 5,120 environment steps".
    said(LESSON05, "17 copies are the training phases of Step 6's 5,120 environment steps")
    s = dqn.Settings()
    assert (5_120 - s.learning_starts) // s.train_freq + 1 == 17 and s.target_sync == s.train_freq
    cell = next(c.source for c in lesson_setup.cells(LESSON05) if "print_damped_syncs" in c.source)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(cell, {"agent": type("A", (), {"lib": lib})})
    text = out.getvalue()
    assert "x0.9900" in text and "x0.9990" in text and "15.7" in text and "1.7" in text, text


@pytest.fixture(scope="module")
def phases(lib):
    """{(seed, steps, α): phase_fit after `steps` environment steps at α = 1} on seeds other than the lesson's."""
    out = {}
    for seed, steps in ((1, 2_560), (2, 5_120)):
        for alpha in (1.0, 0.1):
            agent = DQNAgent.create(seed=seed, lib=lib)
            agent.train(steps // agent.chunk)
            out[seed, steps, alpha] = dqn_study.phase_fit(agent, alpha)
    print({k: (float(np.median(v["moved"])), v["gap_before"], v["gap_after"], v["farther"]) for k, v in out.items()})
    return out


def test_one_phase_moves_q_near_its_targets_not_onto_them(phases):
    # "Q ends *near* its targets, not on them (measured on this DQN over one phase: the typical sample covers
    # about α of its way from Q̄ to T, and some of them end farther from y than they started)".
    # Measured (median share of the way from Q̄ to T; mean |y − Q| before -> after; share farther):
    # seed 1 at 2,560: α = 1 1.04, 0.97 -> 0.19, 4 %; α = 0.1 0.115, 0.097 -> 0.027; seed 2 at 5,120: α = 1 0.95,
    # 1.06 -> 0.30; α = 0.1 0.097, 0.106 -> 0.046; seed 3 at 5,120, α = 0.1: 0.065 and 17 % farther.
    said(LESSON05, "the typical sample covers about α of its way from Q̄ to T, and some of them end farther from y")
    for (seed, steps, alpha), r in phases.items():
        assert 0.5 * alpha < np.median(r["moved"]) < 1.3 * alpha, (seed, steps, alpha, np.median(r["moved"]))
        assert r["gap_after"] < 0.6 * r["gap_before"], (seed, steps, alpha, r)  # near its targets...
        assert r["gap_after"] > 0.1 * r["gap_before"], (seed, steps, alpha, r)  # ...not on them
        assert 0 < r["farther"] < 0.3, (seed, steps, alpha, r)


# -- A2: Adam cancels α only for a constant α and the MSE -------------------------------------------------

LESSON04 = notebooks.NOTEBOOK_DIR / "04_train_the_q_network.ipynb"


def test_the_docstring_says_where_adam_cancels_alpha():
    doc = " ".join(dqn.__doc__.split())
    assert "there alpha only rescales the gradient, and Adam cancels a constant scale" not in doc
    assert "needs a constant alpha and the MSE" in doc and "clip(alpha * delta)" in doc


@pytest.fixture(scope="module")
def scales(lib):
    """{(seed, variant): gradient_scales} for a DQN without target network after its first phase."""
    variants = {"mse": dict(huber_delta=1e9, clip_norm=1e9), "huber": dict(clip_norm=1e9),
                "clip": dict(huber_delta=1e9), "dqn": {}}
    out = {}
    for seed in (1, 2):
        agent = DQNAgent.create(seed=seed, lib=lib, target_network=False)
        agent.train(4)  # 1,024 environment steps: one training phase
        for name, kw in variants.items():
            out[seed, name] = dqn_study.gradient_scales(agent, **kw)
    print({k: (np.median(v["scale"]), v["uneven"].max()) for k, v in out.items()})
    return out


def test_huber_and_clipping_break_the_gradient_scaling(scales):
    # Lesson 04: "That holds for a **constant** alpha and this loss, the MSE, with nothing clipped ... Where
    # alpha · δ is large, the gradient hardly depends on alpha at all; where some errors are small and some
    # large, it is no longer alpha times one fixed gradient". One cause at a time, on the same batches
    # (α = 0.5 against α = 1). Measured, seeds 1 and 2: MSE: scale 0.500 on every batch, uneven 0; Huber alone:
    # median scale 1.000 and 1.006, uneven up to 0.019 and 0.147; clipping alone: scale 1.000; both: 1.000.
    said(LESSON04, "That holds for a **constant** alpha and this loss, the MSE, with nothing clipped.")
    said(LESSON04, "Where alpha · δ is large, the gradient hardly depends on alpha at all")
    for seed in (1, 2):
        mse = scales[seed, "mse"]
        assert np.allclose(mse["scale"], 0.5, atol=1e-4) and mse["uneven"].max() < 1e-4, (seed, mse)
        for cause in ("huber", "clip", "dqn"):
            assert np.median(scales[seed, cause]["scale"]) > 0.9, (seed, cause, scales[seed, cause])
    assert max(scales[s, "huber"]["uneven"].max() for s in (1, 2)) > 0.01, "some batch is not α times one gradient"


def test_adam_cancels_a_constant_alpha_but_remembers_a_change(lib):
    # Lesson 04: "Switched from 1 to 0.5, this `Trainer` takes steps about 0.6 as big as a run that kept alpha = 1,
    # and still smaller 2,000 steps later." Measured on seed 1 (the lesson uses 0): constant α = 0.5 against
    # α = 1: step sizes x0.999; switched 1 -> 0.5: x0.60 right after, x0.85 at 1,950-2,000 steps after.
    said(LESSON04, "takes steps about 0.6 as big as a run that kept alpha = 1, and still smaller 2,000 steps later")
    constant = alpha_study.step_size_ratio((1.0, 0.5), seed=1, at=(0,), lib=lib)
    switched = alpha_study.step_size_ratio((1.0, 1.0), switch_to=0.5, seed=1, at=(0, 1950), lib=lib)
    print(constant, switched)
    assert 0.93 < constant[0] < 1.07, constant
    assert 0.45 < switched[0] < 0.75 and switched[0] + 0.05 < switched[1950] < 0.97, switched
