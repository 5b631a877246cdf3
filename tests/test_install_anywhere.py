"""Any normal install works: `pip install .` (not editable) ships the Go sources, and a read-only install builds
the library, the lessons' scratch copies and their runs in the user's own folder (QKIT_HOME), never in itself."""

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json
from importlib import metadata
from pathlib import Path
import helpers
from helpers import golib
from helpers.lessons.table_tools import runner_loop, scratch_runner

package = Path(helpers.__file__).parent
assert golib.GO_DIR == package / "go", golib.GO_DIR          # the Go sources shipped as package data
assert metadata.version("go-rl-kit") == helpers.__version__  # one version string
lib = golib.load()                                           # builds into QKIT_HOME's build/, then loads
copy = scratch_runner("sarsa", runner_loop())                # lesson 03's scratch copy of go/
edited = golib.build(src=copy, out_dir=copy / "build", quiet=True)   # lesson 01's way to build a copy
print(json.dumps({"home": str(golib.KIT_HOME), "lib": str(lib.path), "watched": str(lib._src),
                  "value": lib.q_update_scalar(1.0, 1.0, 2.0, False, 0.5, 0.9), "copy": str(copy),
                  "edited": golib.call_in_fresh_process(edited, "q_update_scalar", 1.0, 1.0, 2.0, False, 0.5, 0.9),
                  "runs": str(golib.RUNS_DIR), "package": str(package)}))
"""


def clean_copy(dest: Path) -> Path:
    """The files git would see (tracked and new, not ignored): what a clone holds."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, out.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_pip_install_dot_builds_and_runs_from_a_read_only_install(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies come from this environment (no second TensorFlow download); the kit itself is
    # installed for real: `pip install --no-deps .` from a clean copy, not editable.
    Path(site, "kit-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QKIT_", "PYTHONPATH"))}
    env.update(HOME=str(tmp_path / "home"), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "home").mkdir()
    source = clean_copy(tmp_path / "source")
    done = subprocess.run([py, "-m", "pip", "install", "--no-deps", "--no-cache-dir", str(source)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    package = Path(site) / "helpers"
    assert (package / "go" / "go.mod").is_file() and (package / "go" / "qlearn" / "tabular.go").is_file()

    for p in [package, *package.rglob("*")]:  # read-only, as a hub's shared environment is
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = files_under(package)
    try:
        done = subprocess.run([py, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900)
    finally:
        for p in [package, *package.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)  # so that pytest can delete tmp_path
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    home = tmp_path / "home" / "go-rl-kit"  # QKIT_HOME's default: the user's own folder
    assert out["package"] == str(package) and out["home"] == str(home)
    assert Path(out["lib"]).parent == home / "build" and out["value"] == 1.9 and out["edited"] == 1.9
    assert out["watched"] == str(package / "go"), "the stale-build guard watches the installed sources"
    assert Path(out["copy"]) == home / "scratch" / "sarsa" and out["runs"] == str(home / "runs")
    assert files_under(package) == before, "nothing may be written into the install (even as root)"


def test_qkit_home_moves_what_a_checkout_writes(tmp_path):
    """A hub's persistent home (docs/teachers.md): QKIT_HOME takes the library, scratch copies and runs;
    the Go sources stay the checkout's."""
    show = ("import json; from helpers.core import home as h; print(json.dumps({k: str(getattr(h, k)) for k in "
            "('KIT_HOME', 'GO_DIR', 'BUILD_DIR', 'SCRATCH_DIR', 'RUNS_DIR')}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QKIT_")}
    where = json.loads(subprocess.run([sys.executable, "-c", show], cwd=ROOT, env={**env, "QKIT_HOME": str(tmp_path)},
                                      capture_output=True, text=True, check=True).stdout)
    assert where == {"KIT_HOME": str(tmp_path), "GO_DIR": str(ROOT / "go"), "BUILD_DIR": str(tmp_path / "build"),
                     "SCRATCH_DIR": str(tmp_path / "scratch"), "RUNS_DIR": str(tmp_path / "runs")}
    default = json.loads(subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True,
                                        text=True, check=True).stdout)
    assert default["BUILD_DIR"] == str(ROOT / "build") and default["SCRATCH_DIR"] == str(ROOT / "notebooks" / "scratch")
