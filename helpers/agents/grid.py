"""Grid worlds' pictures and walks: the moves of each action, a table's view, the greedy path and its return."""

from __future__ import annotations

import numpy as np

from helpers.bridge.tabular import TabularMDP

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
