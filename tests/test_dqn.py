"""The DQN: α with its textbook meaning, switchable stabilisers, the agent's lifecycle, the headless run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from helpers.agents.dqn import DQN, EVAL_SEEDS, Settings, forward, greedy_returns
from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.qnet import load_model
from helpers.bridge import reference
from helpers.runs import runstore
from helpers.runs.lifecycle import Status

ROOT = Path(__file__).resolve().parent.parent
SMALL = dict(learning_starts=256, train_freq=128, gradient_steps=32, target_sync=128, epsilon_decay=2_000)


def run(lib, steps, alpha=1.0, gamma=0.99, seed=0, **changes):
    dqn = DQN(gym.make("CartPole-v1"), lib, Settings(alpha=alpha, gamma=gamma, **{**SMALL, **changes}), seed=seed)
    for _ in range(steps):
        dqn.step(alpha, gamma, dqn.settings.epsilon)
    return dqn


def test_alpha_one_is_the_textbook_dqn_target(lib):
    rng = np.random.default_rng(0)
    qbar_sa, next_qbar, reward = rng.normal(size=64), rng.normal(size=(64, 2)), rng.normal(size=64)
    terminated = rng.random(64) < 0.2
    y = lib.dqn_targets(qbar_sa, next_qbar, reward, terminated, 1.0, 0.99)
    np.testing.assert_allclose(y, reward + 0.99 * ~terminated * next_qbar.max(axis=1), atol=1e-12)
    y = lib.dqn_targets(qbar_sa, next_qbar, reward, terminated, 0.3, 0.99)
    np.testing.assert_allclose(y, reference.dqn_targets(qbar_sa, next_qbar, reward, terminated, 0.3, 0.99))


def test_the_same_seed_gives_the_same_network(lib):
    a, b = run(lib, 1_024), run(lib, 1_024)
    for wa, wb in zip(a.online, b.online):
        np.testing.assert_array_equal(wa, wb)


def test_alpha_changes_what_the_network_learns_between_syncs(lib):
    """α = 0.1 and α = 1 from the same seed: after the same number of syncs, Q differs clearly."""
    states = np.random.default_rng(1).normal(scale=0.05, size=(256, 4)).astype(np.float32)
    q = {alpha: forward(run(lib, 2_048, alpha=alpha).online, states).mean() for alpha in (0.1, 1.0)}
    # With α = 1 the targets carry the whole reward each sync; with α = 0.1 a tenth of the step: Q rises slower.
    assert q[1.0] > 1.5 * q[0.1] > 0, q


@pytest.mark.parametrize("changes", [dict(replay=False), dict(target_network=False), dict(double_dqn=True),
                                     dict(replay=False, target_network=False)])
def test_each_stabiliser_can_be_switched_off(lib, changes):
    dqn = run(lib, 600, **changes)
    assert np.isfinite(dqn.last_loss) and all(np.isfinite(w).all() for w in dqn.online)


def test_terminated_does_not_bootstrap_but_truncated_does(lib):
    dqn = run(lib, 300)
    b = dqn.buffer
    assert b.terminated[: b.size].any(), "CartPole episodes that fall are terminated"
    assert not b.terminated[: b.size].all()


def test_greedy_evaluation_does_not_disturb_training(lib):
    a, b = run(lib, 512), run(lib, 512)
    greedy_returns(a.online, lambda: gym.make("CartPole-v1"), EVAL_SEEDS)
    for _ in range(512):
        a.step(1.0, 0.99, 0.04)
        b.step(1.0, 0.99, 0.04)
    for wa, wb in zip(a.online, b.online):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("every", [None, 2_500])  # the default (10 chunks), and one that ends mid-chunk
def test_the_model_evaluated_is_the_model_a_stop_saves(lib, tmp_path, every):
    # An evaluation comes at the end of a lifecycle step, after its training phase: a learner who stops
    # (or --until-solved) on an evaluation keeps exactly the network that was judged.
    agent = DQNAgent.create(seed=0, lib=lib, **({"eval_every": every} if every else {}))
    assert agent.settings.eval_every == (every or 10 * agent.chunk)
    agent.train(10)
    (step, mean, _), = agent.evals
    assert step == agent.dqn.global_step == 10 * agent.chunk
    saved = runstore.load_run(agent.save(tmp_path / "dqn"), load_model)
    online = [w.numpy() for w in saved.model.weights]
    assert greedy_returns(online, lambda: gym.make("CartPole-v1"), EVAL_SEEDS).mean() == mean


def test_agent_lifecycle_records_changes_in_environment_steps(lib, tmp_path):
    agent = DQNAgent.create(seed=0, lib=lib, **SMALL)
    agent.train(4)
    agent.set("alpha", 0.5)
    agent.train(2)
    snap = agent.snapshot()
    assert snap["changes"] == [(4 * agent.chunk, "alpha", 1.0, 0.5)]
    assert snap["step"][-1] == agent.dqn.global_step == 6 * agent.chunk
    agent.start()
    agent.stop()
    assert agent.status is Status.STOPPED
    run_ = runstore.load_run(agent.save(tmp_path / "dqn"), load_model)
    assert run_.config["env_steps"] == agent.dqn.global_step and len(run_.history) == agent.step_count
    animation = agent.play_greedy(every=10)
    assert animation.data[:6] == b"GIF89a" and animation.width == 600, "CartPole shown at 600 x 400, not 300 x 200"


def test_headless_dqn_writes_summary(tmp_path):
    out = tmp_path / "dqn"
    proc = subprocess.run([sys.executable, "-m", "helpers.tooling.demo", "--agent", "dqn", "--seed", "1",
                           "--max-steps", "2600", "--epsilon", "0.3", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, QKIT_FAST="1"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    save = runstore.latest_save(out)  # the run's files are published together, in its save folder
    summary = json.loads((save / "summary.json").read_text())
    for key in ("solved", "solve_step", "solve_seconds", "greedy_mean", "greedy_std", "episodes", "seed"):
        assert key in summary
    assert summary["seed"] == 1 and len(summary["evals"]) == 1
    assert "a random policy" in proc.stdout and (save / "figure.png").exists()
    assert runstore.load_run(out, load_model).config["epsilon"] == 0.3, "--epsilon is the DQN's ε slider"
