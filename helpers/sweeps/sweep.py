"""Sweep hyperparameters x seeds: a grid of trials, run in a spawn process pool (or on Ray), as a DataFrame.

    >>> df = sweep("tabular", {"alpha": [0.03, 0.3], "gamma": [0.9, 0.99]}, seeds=range(4))  # doctest: +SKIP
    >>> df.groupby(["alpha", "gamma"]).success.agg(["mean", "std"])                          # doctest: +SKIP

A trial is a top-level function (params: dict, seed: int, **fixed) -> flat dict of numbers, registered
by name in TRIALS (spawn workers and Ray import it by name, so it cannot live in a notebook cell).
The parent builds the Go library once; each worker only loads it (never fork a process that loaded
one: golang/go#15538). Ctrl+C stops the workers and keeps the trials already finished; a trial whose worker
dies (SIGKILL, out of memory) is named, run once more, and left out (df.attrs["lost"]) if it dies again.
"""

from __future__ import annotations

import importlib
import itertools
import json
import numbers
import os
import time
from pathlib import Path

from helpers.bridge import golib
from helpers.core.durable import DamagedRunError, write_text_durably
from helpers.core.knobs import SIZES, SPECS, check, check_size
from helpers.sweeps.pool import run_local
from helpers.sweeps.ray_backend import CONNECT_TIMEOUT_S, run_ray

FILE, FORMAT, SAVE_EVERY_S = "sweep.json", 1, 2.0
MAX_WORKERS_PER_CORE = 4  # more only wait for a core, and each worker holds its own copy of the libraries

# name -> trial function, or "module:function" imported on first use (in the worker, not here).
TRIALS: dict = {"tabular": "helpers.sweeps.trials:tabular_trial",
                "dqn": "helpers.sweeps.dqn_trial:dqn_trial"}


# -- the grid -----------------------------------------------------------------------------------------------------


def resolve(trial):
    """The trial function for a registered name (or the function itself), checked to be importable by workers."""
    fn = TRIALS.get(trial) if isinstance(trial, str) else trial
    if fn is None:
        raise ValueError(f"unknown trial {trial!r}; registered: {', '.join(TRIALS)}")
    if isinstance(fn, str):
        module, _, name = fn.partition(":")
        try:
            fn = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"trial {trial!r} is registered as {TRIALS[trial]!r}, which cannot be imported: {e}") \
                from e
    if not callable(fn) or getattr(fn, "__module__", "__main__") == "__main__" or "<" in fn.__qualname__:
        raise ValueError(f"{fn!r} must be a top-level function in an importable module (not a notebook cell or a "
                         "lambda): spawn workers and Ray import trials by name")
    return fn


def check_grid(grid, seeds, uses=None) -> tuple[dict, list[int]]:
    """The grid as {name: [values]} and the seeds as ints, every value checked against SPECS/SIZES."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"the grid is empty: give {{name: [values]}}, e.g. {{'alpha': [0.1, 0.5]}}; got {grid!r}")
    clean = {}
    for name, values in grid.items():
        if name not in SPECS and name not in SIZES or name == "seed":
            raise ValueError(f"unknown hyperparameter {name!r} in the grid; choose from "
                             f"{', '.join(n for n in [*SPECS, *SIZES] if n != 'seed')} (seeds go in seeds=)")
        if uses is not None and name not in uses:
            raise ValueError(f"this trial does not use {name!r}; it sweeps {', '.join(uses)}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") or not list(values):
            raise ValueError(f"grid[{name!r}] must be a non-empty list of values; got {values!r}")
        try:
            clean[name] = [check(name, v) if name in SPECS else check_size(name, v) for v in values]
        except ValueError as e:
            raise type(e)(f"grid[{name!r}]: {e}") from None
        if len(set(clean[name])) < len(clean[name]):
            raise ValueError(f"grid[{name!r}] repeats a value: {list(values)}")
    seeds = [] if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__") else list(seeds)
    if not seeds:
        raise ValueError("seeds must be a non-empty list of whole numbers, e.g. seeds=range(4)")
    seeds = [check_size("seed", s) for s in seeds]
    if len(set(seeds)) < len(seeds):
        raise ValueError(f"seeds repeat a value: {seeds}")
    return clean, seeds


def plan(grid: dict, seeds: list[int]) -> list[tuple[dict, int]]:
    """Every (params, seed) of the grid, grid order, seeds innermost."""
    return [(dict(zip(grid, values)), seed) for values in itertools.product(*grid.values()) for seed in seeds]


# -- running ------------------------------------------------------------------------------------------------------


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_workers(workers, backend: str) -> int:
    """The number of worker processes: one per core by default; asked for, 1 to MAX_WORKERS_PER_CORE per core."""
    n, high = cores(), MAX_WORKERS_PER_CORE * cores()
    if workers is None:
        return n
    if backend == "local" and workers == 0 and not isinstance(workers, bool):
        raise ValueError("workers=0 starts no process: use backend='serial' to run the trials in this process, "
                         f"or workers=None for one per core ({n})")
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or not 1 <= workers <= high:
        raise ValueError(f"workers must be a whole number of processes from 1 to {high} ({MAX_WORKERS_PER_CORE} per "
                         f"core: each is a process with its own memory), or None for one per core ({n}); "
                         f"got {workers!r}")
    return int(workers)


def sweep(trial, grid: dict, seeds=range(4), *, fixed: dict | None = None, backend: str = "local",
          workers: int | None = None, address: str | None = None, connect_timeout: float = CONNECT_TIMEOUT_S,
          save_to=None, progress: bool = True):
    """Run every (grid point, seed) trial; return a DataFrame, one row per trial, saved to save_to as it grows."""
    import pandas as pd  # noqa: PLC0415 - ~2 s, parent only: the spawned pool workers import this module too
    from tqdm.auto import tqdm  # noqa: PLC0415 - the same

    fn = resolve(trial)
    grid, seeds = check_grid(grid, seeds, getattr(fn, "uses", None))
    fixed = dict(fixed or {})
    if clash := sorted(set(fixed) & set(grid)):
        raise ValueError(f"{clash} are both swept (grid) and fixed: keep each setting in one place")
    if backend not in ("local", "serial", "ray"):
        raise ValueError(f"backend must be 'local' (a process pool), 'serial' (this process) or 'ray'; got {backend!r}")
    if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, numbers.Real) \
            or not 0 < connect_timeout <= 3600:
        raise ValueError(f"connect_timeout is the seconds to reach a Ray cluster: a number > 0 and <= 3600; "
                         f"got {connect_timeout!r}")
    trials, rows, lost = plan(grid, seeds), {}, []
    workers = 0 if backend == "serial" else min(check_workers(workers, backend), len(trials))
    meta = {"trial": trial if isinstance(trial, str) else f"{fn.__module__}:{fn.__name__}", "grid": grid,
            "seeds": seeds, "fixed": fixed, "backend": backend, "workers": workers, "n_planned": len(trials),
            "lost": lost}
    lib_path = golib.build(quiet=True)  # once, here; workers only load it
    bar, last_save = tqdm(total=len(trials), desc=f"sweep ({backend})", disable=not progress), [time.monotonic()]

    def table(complete: bool):
        records = [{"trial": i, **trials[i][0], "seed": trials[i][1], **rows[i]} for i in sorted(rows)]
        df = pd.DataFrame.from_records(records, columns=["trial", *grid, "seed"] if not records else None)
        df.attrs.update(meta, complete=complete)
        return df

    def on_result(index: int, metrics: dict | None, error: str = "") -> None:
        if metrics is None:
            params, seed = trials[index]
            raise RuntimeError(f"trial {index} ({params}, seed {seed}) failed; the {len(rows)} finished trials are "
                               f"kept{' in ' + str(save_to) if save_to else ''}. Its worker said:\n{error}")
        rows[index] = metrics
        bar.update()
        if save_to and time.monotonic() - last_save[0] > SAVE_EVERY_S:
            save_sweep(table(False), save_to)
            last_save[0] = time.monotonic()

    def on_lost(index: int, why: str, retried: bool) -> None:
        params, seed = trials[index]
        if retried:
            print(f"Trial {index} ({params}, seed {seed}) was lost: its worker died ({why}). Running it once more.")
            return
        lost.append({"trial": index, **params, "seed": seed})
        lost.sort(key=lambda t: t["trial"])  # grid order, whichever worker died first
        advice = "Fewer workers, or a smaller trial, need less memory." if "memory" in why else \
            "The worker's own error is printed above."
        print(f"Trial {index} ({params}, seed {seed}) was lost again: its worker died ({why}); the sweep goes on "
              f"without it (df.attrs['lost']). {advice}")

    try:
        if backend == "ray":
            run_ray(fn, trials, grid, seeds, fixed, lib_path, address, workers, on_result, connect_timeout)
        else:
            run_local(fn, trials, fixed, workers, lib_path, on_result, on_lost)
    except KeyboardInterrupt:
        print(f"Interrupted: workers stopped; kept the {len(rows)} of {len(trials)} finished trials"
              f"{' (saved in ' + str(save_to) + ')' if save_to else ''}.")
    finally:
        bar.close()
        if save_to:
            save_sweep(table(len(rows) == len(trials)), save_to)
    return table(len(rows) == len(trials))


# -- saving and loading -------------------------------------------------------------------------------------------


def save_sweep(df, folder) -> Path:
    """Write df and its settings (df.attrs) to folder/sweep.json: a temp file, then one rename."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = {str(c): [None if v != v else v for v in df[c].tolist()] for c in df.columns}  # NaN -> null
    text = json.dumps({"format": FORMAT, "meta": df.attrs, "columns": columns}, default=_plain)
    write_text_durably(folder / FILE, text + "\n")
    return folder / FILE


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"sweep settings must be JSON numbers, strings, lists or dicts; got {value!r}")


def load_sweep(folder):
    """The DataFrame saved by sweep(save_to=folder), with its settings in df.attrs."""
    import pandas as pd  # noqa: PLC0415 - as in sweep()

    path = Path(folder) / FILE
    if not path.is_file():
        raise DamagedRunError(path, "is missing: no sweep was saved here", "Check the path, or run sweep(save_to=...).")
    try:
        saved = json.loads(path.read_text())
        version = saved["format"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"format {version!r} is not a format number")
        if version > FORMAT:
            raise DamagedRunError(path, f"was saved in format {version} by a newer kit; this kit reads format "
                                        f"{FORMAT}", "Update the kit (git pull), or run the sweep again.")
        df = pd.DataFrame(saved["columns"])
        df = df.astype({c: float for c in df.columns if df[c].isna().any() and c not in ("trial", "seed")})
    except DamagedRunError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise DamagedRunError(path, f"is not a saved sweep ({type(e).__name__}: {e})", "Run the sweep again.") from e
    df.attrs.update(saved.get("meta", {}))
    return df
