"""What crossing from Python into Go costs: time four ways of doing the Q-update, and plot them.

Lesson 02 measures, for n transitions:

- "go per-call": a Python loop calling lib.q_update_scalar once per transition,
- "go batch": one lib.q_update call over numpy arrays,
- "numpy": helpers.bridge.reference.q_update (NumPy's expression, one temporary array per step),
- "python loop": helpers.bridge.reference.q_update_loop (plain Python arithmetic).

    >>> rows = measure_costs(lib, sizes=(10, 1000), repeat=3)
    >>> rows[0]  # for example
    {'method': 'go per-call', 'n': 10, 'seconds': 2.9e-05, 'ns_per_item': 2900.0}
    >>> fig = plot_costs(rows)
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.figure import Figure

from helpers.bridge import reference
from helpers.core.timing import median_time

ALPHA, GAMMA = 0.5, 0.9
SIZES = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
METHODS = ("go per-call", "go batch", "numpy", "python loop")
SLOW = ("go per-call", "python loop")  # one Python step per item: only timed up to slow_cap
LABELS = {
    "go per-call": "Go, one call per item (lib.q_update_scalar)",
    "go batch": "Go, one call per batch (lib.q_update)",
    "numpy": "NumPy (reference.q_update)",
    "python loop": "Python loop (reference.q_update_loop)",
}


def transitions(n: int, seed: int = 0):
    """n random transitions (q, reward, max_next_q, terminal), about 10% of them terminal."""
    rng = np.random.default_rng(seed)
    q, reward, max_next_q = rng.normal(size=(3, n))
    return q, reward, max_next_q, rng.random(n) < 0.1


def methods(lib) -> dict:
    """The four ways to update a batch, each fn(q, reward, max_next_q, terminal) -> array."""

    def per_call(q, reward, max_next_q, terminal):
        f = lib.q_update_scalar
        items = zip(q.tolist(), reward.tolist(), max_next_q.tolist(), terminal.tolist())
        return np.array([f(cur, r, m, t, ALPHA, GAMMA) for cur, r, m, t in items])

    return {
        "go per-call": per_call,
        "go batch": lambda q, r, m, t: lib.q_update(q, r, m, t, ALPHA, GAMMA),
        "numpy": lambda q, r, m, t: reference.q_update(q, r, m, t, ALPHA, GAMMA),
        "python loop": lambda q, r, m, t: reference.q_update_loop(q, r, m, t, ALPHA, GAMMA),
    }


def time_call(fn, repeat: int = 5, min_seconds: float = 2e-3) -> float:
    """Median seconds of one fn() call; quick calls are looped until a round lasts min_seconds."""
    return median_time(fn, repeat, min_seconds=min_seconds)


def measure_costs(lib, sizes=SIZES, repeat: int = 5, slow_cap: int = 100_000, seed: int = 0) -> list[dict]:
    """Time every method at every size: rows of dict(method, n, seconds, ns_per_item).

    The slow methods (SLOW) are skipped above slow_cap items, so the lesson stays quick.
    """
    rows = []
    for n in sizes:
        data = transitions(n, seed)
        for name, fn in methods(lib).items():
            if name in SLOW and n > slow_cap:
                continue
            seconds = time_call(functools.partial(fn, *data), repeat)
            rows.append({"method": name, "n": n, "seconds": seconds, "ns_per_item": seconds / n * 1e9})
    return rows


def scalar_call_costs(lib, number: int = 20_000, repeat: int = 5) -> dict:
    """Nanoseconds per call: a Python function, the bare ctypes call, and the kit's checked wrappers."""

    def python_update(current_q, reward, max_next_q, alpha, gamma):
        return current_q + alpha * (reward + gamma * max_next_q - current_q)

    calls = {
        "Python function (no Go)": lambda: python_update(1.0, 1.0, 2.0, 0.5, 0.9),
        "bare ctypes call (lib.raw.updateQValue)": lambda: lib.raw.updateQValue(1.0, 1.0, 2.0, 0.5, 0.9),
        "checked call (lib.update_q_value)": lambda: lib.update_q_value(1.0, 1.0, 2.0, 0.5, 0.9),
        "checked call (lib.q_update_scalar)": lambda: lib.q_update_scalar(1.0, 1.0, 2.0, False, 0.5, 0.9),
    }
    return {name: 1e9 * median_time(fn, repeat, number) for name, fn in calls.items()}


def pivot(rows: list[dict], value: str = "ns_per_item") -> dict:
    """Rows as {method: {n: value}}, methods in METHODS order."""
    table = {m: {} for m in METHODS if any(r["method"] == m for r in rows)}
    for r in rows:
        table.setdefault(r["method"], {})[r["n"]] = r[value]
    return table


def table(rows: list[dict], value: str = "ns_per_item") -> str:
    """A text table: one line per size, one column per method ('-' where not measured)."""
    by_method = pivot(rows, value)
    sizes = sorted({r["n"] for r in rows})
    lines = [f"{'n':>9}" + "".join(f"{m:>14}" for m in by_method) + f"   ({value})"]
    for n in sizes:
        cells = (f"{col[n]:14.4g}" if n in col else f"{'-':>14}" for col in by_method.values())
        lines.append(f"{n:>9}" + "".join(cells))
    return "\n".join(lines)


def fastest(rows: list[dict], n: int) -> str:
    """The method that took the least time at size n."""
    at_n = [r for r in rows if r["n"] == n]
    if not at_n:
        raise ValueError(f"no measurement at n={n}; measured sizes: {sorted({r['n'] for r in rows})}")
    return min(at_n, key=lambda r: r["seconds"])["method"]


def speedup(rows: list[dict], slow: str, fast: str) -> dict:
    """{n: seconds(slow) / seconds(fast)} for every n where both methods were measured."""
    t = pivot(rows, "seconds")
    a, b = t.get(slow, {}), t.get(fast, {})
    return {n: a[n] / b[n] for n in sorted(a) if n in b}


def break_even(rows: list[dict], factor: float = 10.0, slow: str = "go per-call", fast: str = "go batch"):
    """Smallest measured n where `fast` is at least `factor` times faster than `slow` (None if never)."""
    return next((n for n, x in speedup(rows, slow, fast).items() if x >= factor), None)


def plot_costs(rows: list[dict]) -> Figure:
    """Log-log plot of nanoseconds per item against items per call, one line per method."""
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for name, by_n in pivot(rows).items():
        ns = sorted(by_n)
        ax.plot(ns, [by_n[n] for n in ns], marker="o", markersize=4, label=LABELS.get(name, name))
    ax.axhline(1000, color="grey", linestyle=":", linewidth=1)
    ax.text(0.99, 1000, "1 µs per item", transform=ax.get_yaxis_transform(), va="bottom", ha="right",
            color="grey", fontsize=8)
    ax.set(xscale="log", yscale="log", xlabel="items per call (n)", ylabel="time per item (ns, log scale)",
           title="What one Q-update costs, by how it crosses into Go")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def attempt(fn) -> None:
    """Call fn() and print what it returned, or the error it raised (type and message)."""
    try:
        result = fn()
    except Exception as e:  # the lesson shows the learner every kind of error
        print(f"{type(e).__name__}: {e}")
        return
    print(f"ok -> {result!r}")
