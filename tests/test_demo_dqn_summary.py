"""The headless DQN's summary (issue 16 A12): a solve during training is not a final model that balances.

summary.json reports the solve step and judges the final model on 20 other fixed seeds; the run at its
best greedy evaluation is kept in best/ beside the final run, and both load and replay what was reported.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

from helpers.agents.dqn import EVAL_SEEDS, FINAL_SEEDS, greedy_returns
from helpers.agents.qnet import load_model
from helpers.runs import runstore

ROOT = Path(__file__).resolve().parent.parent


def test_summary_judges_the_final_model_and_keeps_the_best(tmp_path):
    # Seed 0, 5,120 steps: evaluations 153.1 (step 2,560) then 106.1 (5,120): the best is not the final model.
    out = tmp_path / "dqn"
    proc = subprocess.run([sys.executable, "-m", "helpers.tooling.demo", "--agent", "dqn", "--seed", "0",
                           "--max-steps", "5120", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, QKIT_FAST="1"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((runstore.latest_save(out) / "summary.json").read_text())  # published with its run
    evals = [m for _, m, _ in summary["evals"]]
    assert len(evals) == 2 and evals[0] != evals[1], evals
    best = summary["best"]
    assert best["eval_mean"] == max(evals) and best["step"] == summary["evals"][int(np.argmax(evals))][0]
    assert summary["final_balances"] is (summary["greedy_mean"] >= 475)
    cartpole = lambda: gym.make("CartPole-v1")  # noqa: E731
    final_model = runstore.load_run(out, load_model).model.get_weights()
    best_model = runstore.load_run(out / best["folder"], load_model).model.get_weights()
    # Each folder holds the model its numbers came from: replaying them gives the same returns.
    assert greedy_returns(final_model, cartpole, FINAL_SEEDS).mean() == summary["greedy_mean"]
    assert greedy_returns(final_model, cartpole, EVAL_SEEDS).mean() == evals[-1]
    assert greedy_returns(best_model, cartpole, EVAL_SEEDS).mean() == best["eval_mean"]
    scores = greedy_returns(best_model, cartpole, FINAL_SEEDS)
    assert (scores.mean(), scores.std()) == (best["greedy_mean"], best["greedy_std"])
    assert "final model, greedy return" in proc.stdout and "best model" in proc.stdout


def test_the_readme_says_which_model_is_which():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`best/` holds the run as it was at its best greedy evaluation" in readme
    assert "the final model" in readme and "`final_balances`" in readme
