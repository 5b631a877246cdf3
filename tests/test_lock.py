"""The course image is reproducible: binder/constraints.txt (`make lock`) pins what pyproject.toml declares."""

import re
import subprocess
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from helpers.tooling import lock

ROOT = Path(__file__).resolve().parent.parent
IMAGE = {**default_environment(), "sys_platform": "linux", "platform_machine": "x86_64",
         "platform_system": "Linux", "python_version": lock.image_python()}


def pins() -> dict[str, Version]:
    lines = [ln for ln in lock.CONSTRAINTS.read_text().splitlines() if ln and not ln.startswith("#")]
    out = {}
    for line in lines:
        name, _, version = line.partition("==")
        assert version, f"binder/constraints.txt: {line!r} is not name==version"
        out[canonicalize_name(name)] = Version(version)
    return out


def base_requirements() -> list[Requirement]:
    """pyproject.toml's base dependencies that apply in the image (Linux x86-64, binder/runtime.txt's Python)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S).group(1)
    reqs = [Requirement(r) for r in re.findall(r'^\s+"([^"]+)",', block, re.M)]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(IMAGE)]


def test_every_base_dependency_is_pinned_within_its_range():
    pinned = pins()
    for req in base_requirements():
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not in binder/constraints.txt: run `make lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"{req.name}=={pinned[name]} is outside pyproject's {req.specifier}: run `make lock`"
    assert "tensorflow-cpu" in pinned and "tensorflow" not in pinned, "the image is Linux x86-64: tensorflow-cpu"


def test_the_image_pins_no_test_tools_and_not_the_kit():
    pinned = pins()
    assert not {"ray", "pytest", "playwright", "ruff", "ziglang", "jupyter-repo2docker", "go-rl-kit"} & set(pinned)
    assert not {"pygame", "pygame-ce"} & set(pinned), "the kit draws CartPole itself (helpers/agents/envs.py)"
    assert "nbgitpuller" in pinned


def test_the_lock_was_made_for_the_image_and_binder_uses_it():
    header = lock.CONSTRAINTS.read_text().splitlines()[:2]
    assert f"Python {lock.image_python()} on linux x86_64" in header[1], header
    reqs = [ln.split("#")[0].strip() for ln in lock.REQUIREMENTS.read_text().splitlines()]
    assert "-c constraints.txt" in reqs, "binder/requirements.txt must install with the pins"
    assert "binder/constraints.txt" in (ROOT / "docs" / "teachers.md").read_text(), "the teachers' recipe too"
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed-lab", "lock"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    assert "-m helpers.tooling.lock" in out


def test_a_resolve_ignores_the_old_pins():
    """`make lock` must not be held back by the file it rewrites: the `-c` line is dropped before pip runs."""
    lines = lock.unpinned(lock.REQUIREMENTS.read_text())
    assert "-e ." in lines and not any(ln.strip().startswith("-c") for ln in lines)
