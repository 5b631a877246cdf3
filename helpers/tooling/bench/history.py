"""`make bench` suite: a 1,000,000-step History on disk and in memory.

Saving and loading are timed on a real file (medians of 3). Memory is what
tracemalloc sees the History allocate (Python objects and NumPy arrays) after
10k, 100k and 1M recorded steps: the in-memory view is bounded, so the bytes
per step fall as the run grows. SQLite's own page cache (at most 2 MiB per
connection by default) is allocated outside tracemalloc's view.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

from helpers.core.timing import median_time
from helpers.runs.history import History
from helpers.tooling.bench import figure

MARKS = (10_000, 100_000, 1_000_000)


def fill(history: History, start: int, stop: int) -> None:
    """Record steps start..stop-1 with plausible values."""
    for i in range(start, stop):
        history.record(step=i, episode=i // 200, samples=32 * (i + 1), time=0.002 * i, loss=1.0 / (i + 1),
                       q_mean=(0.5, 0.25), alpha=0.5, gamma=0.9, epsilon=0.1, learning_rate=1e-3,
                       episode_return=float(i % 200) if i % 200 == 199 else float("nan"))


def bytes_per_step(marks=MARKS) -> tuple[History, dict[int, float]]:
    """One History grown to each mark in turn; the bytes it holds in memory per step at each."""
    per_step, done = {}, 0
    tracemalloc.start()
    try:
        history = History(n_actions=2)
        for mark in marks:
            fill(history, done, mark)
            done = mark
            per_step[mark] = tracemalloc.get_traced_memory()[0] / mark
    finally:
        tracemalloc.stop()
    return history, per_step


def figures() -> list[dict]:
    """history_save_1m_s, history_load_1m_s, history_full_1m_s and the bytes per step at 10k, 100k, 1M."""
    history, per_step = bytes_per_step()
    with tempfile.TemporaryDirectory(prefix="qkit-bench-") as folder:
        path = Path(folder) / "history.sqlite"
        save_s = median_time(lambda: history.save(path), repeat=3)
        load_s = median_time(lambda: History.load(path), repeat=3)
        full_s = median_time(history.full, repeat=3)
        size_mb = path.stat().st_size / 1e6
    history.close()
    n = f"{MARKS[-1]:,}-step History"
    return [
        figure("history_save_1m_s", save_s, "s", target="<= 2", file_mb=round(size_mb, 1),
               what=f"History.save of a {n}: an atomic, fsynced standalone SQLite file"),
        figure("history_load_1m_s", load_s, "s", target="<= 2",
               what="History.load of that file: every row checked, spool seeded, view rebuilt"),
        figure("history_full_1m_s", full_s, "s", target="<= 2", what=f"History.full(): all rows of a {n} as NumPy"),
        figure("history_bytes_per_step_in_memory", per_step[MARKS[-1]], "B/step", target="falls as the run grows",
               what=f"tracemalloc bytes held by a {n} over its steps (was ~96 B/step at any length)",
               **{f"at_{m // 1000}k": round(v, 2) for m, v in per_step.items()}),
        *(figure(f"history_bytes_per_step_at_{m // 1000}k", v, "B/step", what="the same, at this many steps")
          for m, v in per_step.items() if m != MARKS[-1]),
    ]


if __name__ == "__main__":
    for f in figures():
        print(f)
