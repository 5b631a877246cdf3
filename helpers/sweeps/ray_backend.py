"""The sweep's Ray Tune backend: one Tune trial per (grid point, seed), on a local Ray or an existing cluster.

    >>> sweep("tabular", grid, seeds, backend="ray")                    # a local Ray, started and stopped here
    >>> sweep("tabular", grid, seeds, backend="ray", address="auto")    # the cluster of `ray start --head`
    >>> sweep("tabular", grid, seeds, backend="ray", address="ray://head:10001")   # Ray Client (KubeRay)

The grid becomes Tune's param_space of tune.grid_search values (seed included); each trial reports its
metrics through tune.report, and a Tune callback hands them to the sweep as they arrive, so the
DataFrame is the local backend's. Ray workers are fresh processes: each loads the Go library itself
(the driver's build when the path exists there, else a build from the kit's sources on that node).
Ray does not limit TensorFlow's threads (ray#30543): each trial sets one thread before anything imports it.
"""

from __future__ import annotations

import os
import shutil

from helpers.core.durable import scratch_folder
from helpers.sweeps.trials import LIB_ENV, ONE_THREAD, run_one

INSTALL = "Ray is an optional extra: pip install -e '.[sweep]' (then restart the kernel)."


def _import_ray():
    """ray and ray.tune, or an ImportError that says how to install them."""
    try:
        import ray  # noqa: PLC0415 - an optional extra, loaded only for backend="ray"
        from ray import tune  # noqa: PLC0415 - the same
    except ImportError as e:
        raise ImportError(f"backend='ray' needs Ray Tune ({e}). {INSTALL}") from e
    return ray, tune


def ray_trial(config: dict, fn, fixed: dict, lib_path: str, names: list[str]) -> None:
    """One Tune trial: one thread for TensorFlow, the driver's library build, the trial, one tune.report."""
    _, tune = _import_ray()
    os.environ.update(ONE_THREAD)
    if os.path.exists(lib_path):
        os.environ[LIB_ENV] = lib_path
    params, seed = {name: config[name] for name in names}, int(config["seed"])
    _, metrics, error = run_one((0, fn, params, seed, fixed))
    tune.report({"qkit": metrics or {}, "qkit_error": error})


def _callback(tune, index: dict, names: list[str], on_result):
    """A Tune callback that hands each finished trial's metrics to on_result, in the driver, as they arrive."""

    class Gather(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            key = (*(trial.config[n] for n in names), int(trial.config["seed"]))
            on_result(index[key], result["qkit"] or None, result.get("qkit_error", ""))

    return Gather()


def connect(address: str | None, workers: int):
    """Start a local Ray (address=None) or join a cluster ('auto', 'host:port', 'ray://...'); True if we started it."""
    ray, _ = _import_ray()
    if ray.is_initialized():
        return False
    try:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except ConnectionError as e:
        raise ConnectionError(f"no Ray cluster at address={address!r} ({e}). Start one with `ray start --head` "
                              "(or KubeRay), or use address=None for a Ray on this machine.") from e
    return True


def run_ray(fn, trials, grid: dict, seeds: list[int], fixed: dict, lib_path, address, workers, on_result) -> None:
    """Every trial as a Ray Tune grid-search trial (1 CPU each); results go to on_result(index, metrics, error)."""
    ray, tune = _import_ray()
    names = list(grid)
    index = {(*(params[n] for n in names), seed): i for i, (params, seed) in enumerate(trials)}
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's own tables would bury the progress bar
    started = connect(address, max(workers, 1))
    storage = str(scratch_folder("qkit-sweep-ray-"))  # Tune's files; a killed kernel's go next time
    try:
        trainable = tune.with_resources(
            tune.with_parameters(ray_trial, fn=fn, fixed=fixed, lib_path=str(lib_path), names=names), {"cpu": 1})
        space = {**{n: tune.grid_search(values) for n, values in grid.items()}, "seed": tune.grid_search(seeds)}
        tuner = tune.Tuner(trainable, param_space=space, tune_config=tune.TuneConfig(num_samples=1, reuse_actors=True),
                           run_config=tune.RunConfig(name="qkit-sweep", storage_path=storage, verbose=0,
                                                     callbacks=[_callback(tune, index, names, on_result)]))
        results = tuner.fit()
        if results.errors:
            raise RuntimeError(f"{len(results.errors)} Ray trials failed; the first: {results.errors[0]}")
    finally:
        if started:
            ray.shutdown()
        shutil.rmtree(storage, ignore_errors=True)
