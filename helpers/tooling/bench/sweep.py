"""Bench suite of the sweep: the spawn pool against one process, Ray's cost per trial, and per-trial times.

Every figure is measured here, in this run: the pool's speedup is over the same trials run one after
another in this process; Ray's overhead is its wall time minus that sequential time, per trial.
"""

from __future__ import annotations

import time

from helpers.tooling.bench import figure

# Heavy enough that the pool's start-up (spawn, imports, loading the library) is small beside the work.
POOL_GRID, POOL_SEEDS, POOL_FIXED = {"alpha": [0.03, 0.1, 0.3, 1.0]}, range(4), {"num_episodes": 600_000}
RAY_GRID, RAY_SEEDS = {"alpha": [0.03, 0.3]}, range(4)


def _wall(trial: str = "tabular", **kw) -> tuple[float, object]:
    from helpers.sweeps.sweep import sweep

    t = time.perf_counter()
    df = sweep(trial, progress=False, **kw)
    return time.perf_counter() - t, df


def figures() -> list[dict]:
    """sweep_pool_speedup, sweep_ray_overhead_per_trial_s, and the per-trial times behind the README's estimate."""
    serial_s, serial = _wall(grid=POOL_GRID, seeds=POOL_SEEDS, fixed=POOL_FIXED, backend="serial")
    pool_s, pooled = _wall(grid=POOL_GRID, seeds=POOL_SEEDS, fixed=POOL_FIXED)
    n, workers = len(serial), pooled.attrs["workers"]
    out = [
        figure("sweep_pool_speedup", serial_s / pool_s, "x", target=">= 1.8",
               what=f"{n} tabular trials ({POOL_FIXED['num_episodes']:,} episodes each): one process "
                    f"{serial_s:.1f} s, spawn pool of {workers} {pool_s:.1f} s (start-up included)"),
        figure("sweep_tabular_trial_s", serial_s / n, "s", what="one tabular trial in one process (the pool's work)"),
    ]
    lesson_s, lesson = _wall(grid={"alpha": [0.01, 0.03, 0.1, 0.3, 1.0], "gamma": [0.5, 0.8, 0.9, 0.95, 0.99]},
                             seeds=range(4))
    out.append(figure("sweep_lesson06_s", lesson_s, "s", what="lesson 06's 5 x 5 x 4 sweep in the pool, wall time"))
    out += _ray_figures()
    from helpers.sweeps.sweep import TRIALS

    if "dqn" in TRIALS:  # the core-hour estimate in the README scales this number
        dqn_s, dqn = _wall(trial="dqn", grid={"gamma": [0.99]}, seeds=range(4), backend="serial")
        out.append(figure("sweep_dqn_trial_s", dqn_s / len(dqn), "s",
                          what="one DQN trial (until solved, at most 50,000 steps) in one process, mean of seeds 0-3"))
    return out


def _ray_figures() -> list[dict]:
    """Ray Tune's cost per trial on a local Ray (started first, so its start-up is reported on its own)."""
    try:
        import ray
    except ImportError:
        return [figure("sweep_ray_overhead_per_trial_s", float("nan"), "s", what="skipped: pip install -e '.[sweep]'")]
    from helpers.sweeps.ray_backend import connect

    t = time.perf_counter()
    connect(None, 2)
    init_s = time.perf_counter() - t
    try:
        serial_s, df = _wall(grid=RAY_GRID, seeds=RAY_SEEDS, backend="serial")
        ray_s, _ = _wall(grid=RAY_GRID, seeds=RAY_SEEDS, backend="ray")
    finally:
        ray.shutdown()
    n = len(df)
    return [
        figure("sweep_ray_overhead_per_trial_s", (ray_s - serial_s) / n, "s",
               what=f"(Ray Tune wall {ray_s:.1f} s - one process {serial_s:.1f} s) / {n} trials, Ray already up"),
        figure("sweep_ray_start_s", init_s, "s", what="ray.init() of a local Ray with 2 CPUs"),
    ]
