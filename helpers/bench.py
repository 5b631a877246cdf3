"""`make bench`: measure the kit, print a table, write results/bench.json.

Machines here are shared and noisy, so every target is a ratio against a
baseline measured in the same run, and timings are medians of repeats.
Each suite is a function returning a list of figure() dicts.
"""

from __future__ import annotations

import importlib
import json
import platform
import statistics
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "results" / "bench.json"

# "module:function" of every suite, run in this order.
SUITES = [
    "helpers.bench:go_figures",
    "helpers.bench:boundary_figures",
    "helpers.bench_training:figures",
    "helpers.bench_dashboard:figures",
]


def figure(name: str, value: float, unit: str, **extra) -> dict:
    """One measured figure, as written to bench.json."""
    return {"name": name, "value": value, "unit": unit, **extra}


def _round_seconds(fn, number: int) -> float:
    """Seconds taken by `number` calls of fn()."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def median_time(fn, repeat: int = 15, number: int = 1, min_seconds: float | None = None) -> float:
    """Median wall time of one fn() call, over `repeat` rounds of `number` calls.

    With min_seconds, `number` grows tenfold until a round lasts that long, so a quick
    call is not lost in the timer's own resolution.
    """
    round_s = _round_seconds(fn, number)  # also the warm-up (first calls page in memory, fill caches)
    while min_seconds is not None and round_s < min_seconds and number < 1_000_000:
        number *= 10
        round_s = _round_seconds(fn, number)
    return statistics.median(_round_seconds(fn, number) / number for _ in range(repeat))


def go_figures() -> list[dict]:
    """Go's own benchmarks (go test -bench) of the pure package: no ctypes, no Python."""
    import re
    import subprocess

    from . import golib, toolchain

    cmd = [toolchain.find_go(), "test", "-run", "^$", "-bench", ".", "-benchtime", "200x", "-count", "3", "./qlearn"]
    out = subprocess.run(cmd, cwd=golib.GO_DIR, env=golib._go_env(), capture_output=True, text=True, check=True).stdout
    runs: dict[str, list[float]] = {}
    for name, ns in re.findall(r"^Benchmark(\w+?)-\d+\s+\d+\s+([\d.]+) ns/op", out, re.M):
        runs.setdefault(name, []).append(float(ns))
    return [figure(f"go_bench_{name}_ns", statistics.median(v), "ns/op", what="go test -bench, median of 3")
            for name, v in runs.items()]


def boundary_figures() -> list[dict]:
    """What crossing into Go costs: a scalar call, and the batch update against NumPy."""
    import numpy as np

    from . import golib
    from . import reference as ref

    lib = golib.load()
    fig = []
    t = median_time(lambda: lib.update_q_value(1.0, 1.0, 2.0, 0.5, 0.9), repeat=9, number=20000)
    fig.append(figure("ctypes_scalar_call_ns", t * 1e9, "ns", what="one update_q_value call, checks included"))
    raw = lib.raw.updateQValue
    t = median_time(lambda: raw(1.0, 1.0, 2.0, 0.5, 0.9), repeat=9, number=20000)
    fig.append(figure("ctypes_scalar_call_raw_ns", t * 1e9, "ns", what="bare ctypes call, argtypes set"))

    n = 1_000_000
    rng = np.random.default_rng(0)
    q, r, m = rng.normal(size=(3, n))
    term = rng.random(n) < 0.1
    go_t, np_t = [], []
    for _ in range(15):  # interleaved, so both see the same machine load
        go_t.append(median_time(lambda: lib.q_update(q, r, m, term, 0.5, 0.9), repeat=3))
        np_t.append(median_time(lambda: ref.q_update(q, r, m, term, 0.5, 0.9), repeat=3))
    go_s, np_s = statistics.median(go_t), statistics.median(np_t)
    fig.append(figure("q_update_go_1e6_ms", go_s * 1e3, "ms", what="Go batch update, N=1e6, wrapper included"))
    fig.append(figure("q_update_numpy_1e6_ms", np_s * 1e3, "ms", what="NumPy expression of the same update"))
    fig.append(figure("q_update_go_vs_numpy_1e6", np_s / go_s, "x", target=">= 1.5",
                      what="throughput ratio Go / NumPy, same run"))
    moved = n * (4 * 8 + 1)  # read q, r, max_next_q (8 B), terminal (1 B); write out (8 B)
    big = np.ones(32_000_000)  # 256 MB: far larger than any cache
    dst = np.empty_like(big)
    copy_s = median_time(lambda: np.copyto(dst, big), repeat=5)
    bw = 2 * big.nbytes / copy_s
    fig.append(figure("memory_copy_gb_per_s", bw / 1e9, "GB/s", what="np.copyto of 256 MB (read + write)"))
    fig.append(figure("q_update_go_bandwidth_fraction", moved / go_s / bw, "fraction",
                      what="Go update's bytes/s over the copy's (1e6 inputs may sit partly in cache)"))
    return fig


def run(suites: list[str] = SUITES) -> list[dict]:
    """Run every suite; a suite that fails is reported, not fatal to the others."""
    figures = []
    for spec in suites:
        module, func = spec.split(":")
        print(f"running {spec} ...", flush=True)
        try:
            figures.extend(getattr(importlib.import_module(module), func)())
        except Exception as e:  # noqa: BLE001 - reported in the table and the JSON
            figures.append(figure(f"{func}_error", float("nan"), "", error=f"{type(e).__name__}: {e}"))
    return figures


def main() -> int:
    figures = run()
    print(f"\n{'figure':38} {'value':>12}  unit      target")
    for f in figures:
        print(f"{f['name']:38} {f['value']:12.4g}  {f['unit']:9} {f.get('target', '')}")
        if "error" in f:
            print(f"    {f['error']}")
    RESULTS.parent.mkdir(exist_ok=True)
    meta = {"python": sys.version.split()[0], "machine": platform.machine(), "processor": platform.processor(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.write_text(json.dumps({"meta": meta, "figures": figures}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 1 if any("error" in f for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
