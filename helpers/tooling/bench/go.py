"""Bench suites of the Go bridge: Go's own benchmarks, and what crossing into Go costs."""

from __future__ import annotations

import statistics

from helpers.bridge import golib, toolchain
from helpers.bridge import reference as ref
from helpers.core.timing import median_time
from helpers.tooling.bench import figure


def go_figures() -> list[dict]:
    """Go's own benchmarks (go test -bench) of the pure package: no ctypes, no Python."""
    import re
    import subprocess

    cmd = [toolchain.find_go(), "test", "-run", "^$", "-bench", ".", "-benchtime", "200x", "-count", "3", "./qlearn"]
    out = subprocess.run(cmd, cwd=golib.GO_DIR, env=golib.go_env(), capture_output=True, text=True, check=True).stdout
    runs: dict[str, list[float]] = {}
    for name, ns in re.findall(r"^Benchmark(\w+?)-\d+\s+\d+\s+([\d.]+) ns/op", out, re.M):
        runs.setdefault(name, []).append(float(ns))
    return [figure(f"go_bench_{name}_ns", statistics.median(v), "ns/op", what="go test -bench, median of 3")
            for name, v in runs.items()]


def boundary_figures() -> list[dict]:
    """What crossing into Go costs: a scalar call, and the batch update against NumPy."""
    import numpy as np

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
