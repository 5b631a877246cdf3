"""The Ray Tune backend on a real Ray cluster: `ray start --head` on loopback, started here as a separate
process, the sweep sent to it by address, results equal to the local pool's for the same seeds."""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers.bridge import golib
from helpers.sweeps import sweep as S

GRID, SEEDS = {"alpha": [0.03, 0.3], "gamma": [0.99]}, [0, 1]  # 4 trials: well under 2 minutes with the head's start
SAME = ["trial", "alpha", "gamma", "seed", "success", "mean_return", "episodes_to_solve", "steps"]

# `ray start` turns on token auth; the head (a child of this process) and this driver share one token, set
# before Ray is imported (it reads the mode once), so a ~/.ray/auth_token of another cluster cannot mismatch.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
if os.environ.get("CI", "").lower() not in ("1", "true"):  # CI installs the extra: there the test must run
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[sweep]'")
RAY = Path(sys.executable).with_name("ray")


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(temp_dir: str) -> None:
    """Stop this test's cluster: SIGKILL every process whose command line names its temp dir (only ours)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if temp_dir.encode() in cmdline and int(pid) != os.getpid():
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)
    if os.environ.get("CI", "").lower() in ("1", "true"):  # a CI machine is ours alone: the documented way too
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster started by `ray start --head` in its own process; yields its address."""
    temp_dir = tempfile.mkdtemp(prefix="qkit-ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    port = _free_port()

    cmd = [str(RAY), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
           "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
    try:
        started = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, f"ray start failed:\n{started.stdout[-2000:]}\n{started.stderr[-2000:]}"
        yield f"127.0.0.1:{port}"
    finally:
        _stop(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_ray_cluster_sweep_equals_the_local_pool(cluster, tmp_path):
    start = time.perf_counter()
    on_ray = S.sweep("tabular", GRID, SEEDS, backend="ray", address=cluster, progress=False, save_to=tmp_path)
    ray_s = time.perf_counter() - start
    local = S.sweep("tabular", GRID, SEEDS, progress=False)
    assert on_ray.attrs["backend"] == "ray" and on_ray.attrs["complete"] and len(on_ray) == 4
    assert on_ray[SAME].equals(local[SAME]), f"\nray:\n{on_ray[SAME]}\nlocal:\n{local[SAME]}"
    assert S.load_sweep(tmp_path)[SAME].equals(local[SAME])
    print(f"ray cluster at {cluster}: 4 trials in {ray_s:.1f} s, equal to the local pool")


TOKEN_ALONE = """
import sys
from helpers.sweeps.ray_backend import connect
try:
    connect(sys.argv[1], 1, 30)
    print("connected")
except ConnectionError as e:
    print("refused", e)
"""


def test_the_token_without_the_auth_mode_is_refused_with_the_remedy(cluster):
    """What README's cluster section says: a driver with the token but not RAY_AUTH_MODE=token is refused."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"}
    done = subprocess.run([sys.executable, "-c", TOKEN_ALONE, cluster], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(S.__file__).parents[2])
    assert done.stdout.startswith("refused"), (done.stdout + done.stderr)[-3000:]
    assert "RAY_AUTH_MODE=token" in done.stdout


def test_readme_says_how_a_driver_authenticates_and_how_long_it_waits():
    readme = (Path(S.__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("## Run a sweep on a cluster"):]
    section = section[:section.index("\n## ", 1)]
    assert "`RAY_AUTH_MODE=token`" in section and "with the token alone, `ray.init(address=...)` is refused" in section
    assert f"connect_timeout={S.CONNECT_TIMEOUT_S:g}" in section


def test_an_unreachable_address_fails_within_the_timeout_and_says_what_to_check():
    import pandas  # noqa: F401 - loaded first (seconds on a busy machine), so the clock times the connection
    from ray import tune  # noqa: F401 - the same

    golib.build(quiet=True)
    start = time.monotonic()
    with pytest.raises(ConnectionError) as caught:
        S.sweep("tabular", GRID, SEEDS, backend="ray", address=f"127.0.0.1:{_free_port()}", connect_timeout=5,
                progress=False)
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert "does not answer" in message and "`ray status`" in message and "address=None" in message
    assert "RAY_AUTH_MODE=token" in message and "~/.ray/auth_token" in message and "the token alone" in message


SILENT = """
import socket, sys, time
from ray import tune  # imported first: it takes seconds under load, and the timeout is for connecting
from helpers.sweeps.ray_backend import connect
server = socket.create_server(("127.0.0.1", 0))  # accepts connections, never speaks Ray
start = time.monotonic()
try:
    connect(f"127.0.0.1:{server.getsockname()[1]}", 1, float(sys.argv[1]))  # what sweep(backend="ray") calls
except ConnectionError as e:
    print(f"{time.monotonic() - start:.2f}", e)
"""


def test_a_port_that_answers_but_is_not_ray_fails_within_the_timeout():
    """The port takes the connection, Ray never gets an answer: the sweep gives up after connect_timeout."""
    done = subprocess.run([sys.executable, "-c", SILENT, "6"], capture_output=True, text=True, timeout=120,
                          cwd=Path(S.__file__).parents[2])
    assert done.stdout, done.stderr[-3000:]
    seconds, message = done.stdout.split(" ", 1)
    print(f"a silent port: ConnectionError after {float(seconds):.1f} s (connect_timeout=6)")
    assert 6 <= float(seconds) < 9
    assert "Ray did not accept the connection within 6 s" in message and "RAY_AUTH_MODE=token" in message


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "30", True, 10_000])
def test_bad_connect_timeouts_get_clear_errors(timeout):
    with pytest.raises(ValueError, match="connect_timeout is the seconds to reach a Ray cluster"):
        S.sweep("tabular", GRID, SEEDS, backend="ray", address="127.0.0.1:1", connect_timeout=timeout, progress=False)


def test_a_dqn_learning_curve_comes_through_ray_as_through_the_pool(cluster):
    """The DQN trial's eval_<step> columns (its learning curve) arrive from Ray with the local pool's numbers."""
    from helpers.sweeps.figure import curves

    fixed = {"max_steps": 2_560, "until_solved": False}
    on_ray = S.sweep("dqn", {"alpha": [1.0]}, seeds=[1], fixed=fixed, backend="ray", address=cluster, progress=False)
    local = S.sweep("dqn", {"alpha": [1.0]}, seeds=[1], fixed=fixed, progress=False)
    assert curves(on_ray).columns.tolist() == [2_560] and curves(on_ray).equals(curves(local))
