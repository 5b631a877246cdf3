"""The sweep's Ray Tune backend: one Tune trial per (grid point, seed), on a local Ray or an existing cluster.

    >>> sweep("tabular", grid, seeds, backend="ray")                    # a local Ray, started and stopped here
    >>> sweep("tabular", grid, seeds, backend="ray", address="auto")    # the cluster of `ray start --head`
    >>> sweep("tabular", grid, seeds, backend="ray", address="ray://head:10001")   # Ray Client (KubeRay)

The grid becomes Tune's param_space of tune.grid_search values (seed included); each trial reports its
metrics through tune.report, and a Tune callback hands them to the sweep as they arrive, so the
DataFrame is the local backend's. Ray workers are fresh processes: each loads the Go library itself
(the driver's build when the path exists there, else a build from the kit's sources on that node).
Ray does not limit TensorFlow's threads (ray#30543): each trial sets one thread before anything imports it.
Joining a cluster is given connect_timeout seconds (Ray alone retries an address that does not answer for
about 14 minutes), and a failure names what to check, token authentication included.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time

from helpers.core.durable import scratch_folder
from helpers.sweeps.trials import LIB_ENV, ONE_THREAD, run_one

CONNECT_TIMEOUT_S = 30.0  # seconds to reach a cluster before saying what to check
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


AUTH = ("Ray clusters start with token authentication on: the driver needs RAY_AUTH_MODE=token and the "
        "cluster's token (RAY_AUTH_TOKEN, or the file ~/.ray/auth_token) in its environment before Ray is "
        "imported (set both, then restart the kernel); with an explicit address the token alone is refused.")


def _unreachable(address: str, why: str) -> ConnectionError:
    """A ConnectionError that says what to check."""
    return ConnectionError(
        f"could not connect to a Ray cluster at address={address!r}: {why}. Check that the cluster runs "
        "(`ray status` on its head), that the address is the head's (host:6379 by default, or ray://host:10001 "
        f"for Ray Client) and reachable from here; or use address=None for a Ray on this machine. {AUTH}")


def _host_port(address: str) -> tuple[str, int] | None:
    """The (host, port) of 'host:port' or 'ray://host:port' ('auto' is found by Ray itself: None)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    return (host.strip("[]"), int(port)) if host and port.isdigit() else None


def _not_main_thread(record: logging.LogRecord) -> bool:
    """A logging filter that drops Ray's 'SIGTERM handler is not set ... not the main thread' warning."""
    return "not the main thread" not in record.getMessage()


def _init_within(ray, timeout: float, address: str) -> None:
    """ray.init(address=...) given `timeout` seconds (Ray alone retries an unanswered address for ~14 minutes)."""
    start = time.monotonic()
    if (target := _host_port(address)) is not None:
        try:  # a closed port or an unreachable host: known at once, or after the timeout
            socket.create_connection(target, timeout=timeout).close()
        except OSError as e:
            raise _unreachable(address, f"{target[0]}:{target[1]} does not answer ({e})") from None
    outcome: dict = {}

    def init() -> None:
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        except BaseException as e:  # handed to the caller below
            outcome["error"] = e

    # Off the main thread Ray only skips its SIGTERM handler, and warns so: not news for a learner.
    quiet = logging.getLogger("ray._private.worker")
    quiet.addFilter(_not_main_thread)
    thread = threading.Thread(target=init, name="qkit-ray-connect", daemon=True)
    thread.start()
    thread.join(max(timeout - (time.monotonic() - start), 1.0))
    quiet.removeFilter(_not_main_thread)
    if thread.is_alive():
        raise _unreachable(address, f"Ray did not accept the connection within {timeout:g} s (connect_timeout=)")
    if "error" in outcome:
        raise _unreachable(address, f"{type(outcome['error']).__name__}: {outcome['error']}") from outcome["error"]


def connect(address: str | None, workers: int, timeout: float = CONNECT_TIMEOUT_S):
    """Start a local Ray (address=None) or join a cluster ('auto', 'host:port', 'ray://...'); True if we started it."""
    ray, _ = _import_ray()
    if ray.is_initialized():
        return False
    if address is None:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    else:
        _init_within(ray, timeout, address)
    return True


def run_ray(fn, trials, grid: dict, seeds: list[int], fixed: dict, lib_path, address, workers, on_result,
            connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Every trial as a Ray Tune grid-search trial (1 CPU each); results go to on_result(index, metrics, error)."""
    ray, tune = _import_ray()
    names = list(grid)
    index = {(*(params[n] for n in names), seed): i for i, (params, seed) in enumerate(trials)}
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's own tables would bury the progress bar
    started = connect(address, max(workers, 1), connect_timeout)
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
