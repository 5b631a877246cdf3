"""Check that everything the kit needs is installed, with advice for each gap.

From a notebook cell: ``from helpers import doctor; doctor.run()``.
From a shell: ``make doctor`` (or ``python -m helpers.tooling.doctor``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata

from helpers.bridge import golib, toolchain
from helpers.tooling import pythons

# package -> (minimum version, why the kit needs it)
PACKAGES = {
    "numpy": ("1.26", "arrays passed to Go"),
    "tensorflow": ("2.16", "the Keras Q-network (tensorflow or tensorflow-cpu)"),
    "matplotlib": ("3.8", "the two-panel figure"),
    "ipywidgets": ("8.1", "sliders and buttons"),
    "ipykernel": ("7.1", "output from training threads"),
    "jupyterlab": ("4.2", "where the lessons run"),
    "gymnasium": ("1.0", "CartPole-v1 and the toy-text tables"),
    "pillow": ("10", "PNG frames of the live figures"),
}
# A module that more than one distribution provides: either counts (pyproject.toml picks one by platform).
PROVIDERS = {"tensorflow": ("tensorflow", "tensorflow-cpu")}


@dataclass
class Check:
    """One line of the report: ok is True, False (must fix) or None (optional)."""

    name: str
    ok: bool | None
    detail: str
    advice: str = ""


def _version_tuple(v: str) -> tuple:
    return tuple(int(p) for p in v.split(".")[:2] if p.isdigit())


def check_python() -> Check:
    v = sys.version.split()[0]
    ok = pythons.supported()
    return Check("Python", ok, f"{v} ({sys.executable})", "" if ok else pythons.advice())


def installed_version(names: tuple[str, ...]) -> tuple[str, str] | None:
    """(distribution, version) of the first of names that is installed, else None."""
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_packages() -> list[Check]:
    out = []
    for name, (minimum, why) in PACKAGES.items():
        found = installed_version(PROVIDERS.get(name, (name,)))
        if found is None:
            out.append(Check(name, False, f"not installed ({why})", "run `make setup`"))
            continue
        dist, v = found
        ok = _version_tuple(v) >= _version_tuple(minimum)
        shown = v if dist == name else f"{v} ({dist})"
        out.append(Check(name, ok, shown, "" if ok else f"needs >= {minimum}: run `make setup`"))
    return out


def _check_tool(name: str, find, version_flag: str) -> Check:
    """A tool found by find() (which raises ToolMissingError with advice), and its version."""
    try:
        path = find()
    except toolchain.ToolMissingError as e:
        return Check(name, False, "not found", str(e))
    return Check(name, True, f"{toolchain.version_of([path, version_flag])} ({path})")


def check_go() -> Check:
    return _check_tool("go", toolchain.find_go, "version")


def check_cc() -> Check:
    try:
        if toolchain.find_cc() == toolchain.ZIG:
            version = toolchain.version_of([*toolchain.zig_argv()[:3], "version"])
            return Check("C compiler", True, f"{toolchain.ZIG}, version {version}")
    except toolchain.ToolMissingError:
        pass  # _check_tool says it with advice
    return _check_tool("C compiler", toolchain.find_cc, "--version")


def check_library() -> list[Check]:
    path = golib.library_path()
    if not path.exists():
        return [Check("Go library", False, f"{path.name} not built for the current sources",
                      "run `make lib`, or golib.build() in a cell")]
    out = [Check("Go library", True, str(path))]
    try:  # in a fresh process: never load a second Go runtime into this one
        value = golib.call_in_fresh_process(path, "q_update_scalar", 1.0, 1.0, 2.0, False, 0.5, 0.9)
        ok = abs(value - 1.9) < 1e-12
        out.append(Check("Go library works", ok, f"q_update_scalar(1, 1, 2, False, 0.5, 0.9) = {value}",
                         "" if ok else "expected 1.9: the Go update was edited? see go/qlearn/qlearn.go"))
    except RuntimeError as e:
        out.append(Check("Go library works", False, str(e).splitlines()[-1], "run `make lib` again"))
    loaded = golib.loaded_path()
    if loaded is not None and loaded != path.resolve():
        out.append(Check("this kernel", False, f"runs {loaded.name}, older than the sources",
                         "restart the kernel (Kernel > Restart Kernel...)"))
    return out


def check_kernel() -> Check:
    """The 'python3' kernel JupyterLab starts must be this Python (an older user-wide one can shadow it)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return Check("python3 kernel", False, "not found", "run `make setup` (it installs ipykernel)")
    exe = spec.argv[0]
    # jupyter_client runs a bare "python" with the Python that runs JupyterLab: this one, via `make lab`.
    if exe in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}") or \
            os.path.realpath(exe) == os.path.realpath(sys.executable):
        return Check("python3 kernel", True, f"runs this Python ({spec.resource_dir})")
    return Check("python3 kernel", False, f"runs {exe}, not this kit's Python ({spec.resource_dir})",
                 f"the lessons would not find `helpers` there. Remove that kernel with "
                 f"`jupyter kernelspec remove python3` (it is {spec.resource_dir}), then run `make lab` again")


def check_browser() -> Check:
    found = shutil.which("chromium") or (shutil.which("/usr/bin/chromium"))
    return Check("chromium (optional)", True if found else None, found or "not found",
                 "" if found else "only for the browser test: `make chromium`")


def checks() -> list[Check]:
    """Every check, in the order a learner should fix them."""
    return [check_python(), *check_packages(), check_go(), check_cc(), *check_library(), check_kernel(),
            check_browser()]


def run() -> bool:
    """Print the report; return True when nothing required is missing."""
    results = checks()
    mark = {True: "ok  ", False: "FAIL", None: "--  "}
    for c in results:
        print(f"[{mark[c.ok]}] {c.name:20} {c.detail}")
        if c.advice:
            print("       -> " + c.advice.replace("\n", "\n          "))
    ok = all(c.ok is not False for c in results)
    print("\nAll set." if ok else "\nFix the FAIL lines above (top first), then run the doctor again.")
    return ok


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
