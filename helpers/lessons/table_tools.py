"""Lesson 03's tools: training in this kernel or a fresh process, and the SARSA exercise's scratch build.

Lesson 03 trains in this kernel with the kit's Go library, and trains an EDITED
copy of the runner in a fresh process (a Go library cannot be unloaded).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers.agents.grid import greedy_path, path_picture, path_return, table_view  # noqa: F401 - lesson 03's names
from helpers.agents.mdp import from_gymnasium, train
from helpers.bridge.build import GO_DIR, SCRATCH_DIR
from helpers.bridge.library import run_fresh

_FRESH_SCRIPT = """
import ctypes, json, sys
from helpers.bridge.library import QValueLib
from helpers.lessons.table_tools import train_here
lib = QValueLib(ctypes.CDLL(sys.argv[1]), sys.argv[1])
print(json.dumps(train_here(lib, **json.loads(sys.argv[2]))))
"""


def train_here(lib, env: str = "CliffWalking-v1", alpha: float = 0.5, gamma: float = 1.0, epsilon: float = 0.1,
               episodes: int = 2_000, max_steps: int = 200, seed: int = 0, env_kwargs: dict | None = None) -> dict:
    """Train from zeros with `lib` and return the greedy path, its return and the last 100 training returns."""
    mdp = from_gymnasium(env, **(env_kwargs or {}))
    q = train(lib, mdp, [(alpha, epsilon, episodes)], gamma, max_steps, seed=seed)
    path = greedy_path(mdp, q, max_steps)
    return {"path": path, "return": path_return(mdp, q, path), "steps": len(path) - 1}


def train_in_fresh_process(lib_path, **settings) -> dict:
    """train_here(...) with the library at lib_path, in a new Python process (an edited build must not be
    loaded into this kernel: a Go library cannot be unloaded). Returns {"path", "return", "steps"}."""
    return run_fresh(_FRESH_SCRIPT, str(lib_path), json.dumps(settings), what=f"training with {lib_path}",
                     timeout=300)


# -- the SARSA exercise: the Go runner's step loop, replaced in a scratch copy of go/ --

LOOP_FIRST, LOOP_LAST = "\t\ts := sample(m.Start, u[0])\n", "\t\t\ts = s2\n"  # the lines it spans


def runner_loop(go_dir=None) -> str:
    """The lines of go/qlearn/tabular.go from the episode's start state to `s = s2` (what the exercise edits)."""
    text = ((go_dir or GO_DIR) / "qlearn" / "tabular.go").read_text()
    first = text.index(LOOP_FIRST)
    return text[first:text.index(LOOP_LAST, first) + len(LOOP_LAST)]


def scratch_runner(dst, loop: str):
    """A fresh copy of go/ at dst whose runner loop is `loop` (its qlearn/tabular.go edited); returns dst.

    A bare name ("sarsa") goes to the kit's scratch folder (SCRATCH_DIR: notebooks/scratch/ in a checkout,
    under QKIT_HOME in an installed kit), which is always writable.
    """
    dst = Path(dst) if Path(dst).is_absolute() else SCRATCH_DIR / dst
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(GO_DIR, dst, ignore=shutil.ignore_patterns("build", "*.so", "*.dylib", "*.dll", "*.h"))
    go_file = dst / "qlearn" / "tabular.go"
    go_file.write_text(go_file.read_text().replace(runner_loop(GO_DIR), loop if loop.endswith("\n") else loop + "\n"))
    return dst
