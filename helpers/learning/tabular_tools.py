"""Tools around the tabular agent: table views, greedy paths, and the SARSA exercise's scratch build.

Lesson 03 trains in this kernel with the kit's Go library, and trains an EDITED
copy of the runner in a fresh process (a Go library cannot be unloaded).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from helpers.bridge.tabular import TabularMDP
from helpers.learning.mdp import from_gymnasium, train

# (drow, dcol) of each action, in gymnasium's action order: for the arrows and the greedy path.
MOVES = {"FrozenLake": ((0, -1), (1, 0), (0, 1), (-1, 0)),  # left, down, right, up
         "CliffWalking": ((-1, 0), (0, 1), (1, 0), (0, -1))}  # up, right, down, left

def moves_for(mdp: TabularMDP):
    """The (drow, dcol) of each action of mdp's grid world, or None."""
    return next((m for prefix, m in MOVES.items() if mdp.name.startswith(prefix)), None)


def table_view(mdp: TabularMDP, q: np.ndarray) -> dict:
    """What a picture of the table needs: q, the grid, holes, goal, start, the moves, a title."""
    return {"q": q, "grid": mdp.grid, "holes": mdp.holes, "goal": mdp.goal, "start": int(np.argmax(mdp.start)),
            "moves": moves_for(mdp), "title": mdp.name + (" (slippery)" if mdp.env_kwargs.get("is_slippery") else "")}


def path_picture(mdp: TabularMDP, path: list[int]) -> str:
    """The grid as text: S start, G goal, H hole / C cliff, o a cell of path, . the rest."""
    rows, cols = mdp.grid
    cells = ["."] * (rows * cols)
    for s in path:
        cells[s] = "o"
    for s in mdp.holes:
        cells[s] = "C" if mdp.name.startswith("CliffWalking") else "H"
    cells[path[0]] = "S"
    for s in mdp.goal:
        cells[s] = "G"
    return "\n".join(" ".join(cells[r * cols:(r + 1) * cols]) for r in range(rows))


def greedy_path(mdp: TabularMDP, q: np.ndarray, max_len: int = 200) -> list[int]:
    """Follow argmax_a Q(s, a) from the start state until a terminal outcome or max_len steps."""
    s, path = int(np.argmax(mdp.start)), [int(np.argmax(mdp.start))]
    for _ in range(max_len):
        a = int(np.argmax(q[s]))
        s, done = int(mdp.next[s, a, 0]), bool(mdp.terminated[s, a, 0])
        path.append(s)
        if done:
            break
    return path


def path_return(mdp: TabularMDP, q: np.ndarray, path: list[int]) -> float:
    """The undiscounted return of walking `path` greedily (deterministic envs)."""
    return float(sum(mdp.reward[s, int(np.argmax(q[s])), 0] for s in path[:-1]))


_FRESH_SCRIPT = """
import ctypes, json, sys
from helpers.bridge.library import QValueLib
from helpers.learning.tabular_tools import train_here
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
    from helpers.bridge.build import KIT_ROOT

    proc = subprocess.run([sys.executable, "-c", _FRESH_SCRIPT, str(lib_path), json.dumps(settings)],
                          capture_output=True, text=True, timeout=300, cwd=KIT_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"training with {lib_path} in a fresh process failed:\n{proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout)


# -- the SARSA exercise: the Go runner's step loop, replaced in a scratch copy of go/ --

LOOP_FIRST, LOOP_LAST = "\t\ts := sample(m.Start, u[0])\n", "\t\t\ts = s2\n"  # the lines it spans


def runner_loop(go_dir=None) -> str:
    """The lines of go/qlearn/tabular.go from the episode's start state to `s = s2` (what the exercise edits)."""
    from helpers.bridge.build import GO_DIR

    text = ((go_dir or GO_DIR) / "qlearn" / "tabular.go").read_text()
    first = text.index(LOOP_FIRST)
    return text[first:text.index(LOOP_LAST, first) + len(LOOP_LAST)]


def scratch_runner(dst, loop: str):
    """A fresh copy of go/ at dst whose runner loop is `loop` (its qlearn/tabular.go edited); returns dst."""
    import shutil
    from pathlib import Path

    from helpers.bridge.build import GO_DIR

    dst = Path(dst)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(GO_DIR, dst, ignore=shutil.ignore_patterns("build", "*.so", "*.dylib", "*.dll", "*.h"))
    go_file = dst / "qlearn" / "tabular.go"
    go_file.write_text(go_file.read_text().replace(runner_loop(GO_DIR), loop if loop.endswith("\n") else loop + "\n"))
    return dst
