"""Which Pythons the kit supports (pyproject.toml's requires-python, bounded by TensorFlow's wheels).

Standard library only: the Makefile runs ``python -m helpers.tooling.pythons`` before pip
installs anything, and the doctor reuses the same line.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def requires_python() -> str:
    """The requires-python specifier, from pyproject.toml (a checkout) or the installed kit's metadata."""
    if PYPROJECT.is_file():
        found = re.search(r'^requires-python\s*=\s*"([^"]+)"', PYPROJECT.read_text(), re.M)
        if found:
            return found.group(1)
    return metadata.metadata("go-rl-kit")["Requires-Python"]


def supported_range(spec: str | None = None) -> tuple[tuple[int, int], tuple[int, int]]:
    """(lowest, first unsupported) minor versions from a '>=3.10,<3.14' specifier."""
    spec = spec or requires_python()
    low = re.search(r">=\s*(\d+)\.(\d+)", spec)
    high = re.search(r"<\s*(\d+)\.(\d+)", spec)
    return (int(low[1]), int(low[2])), ((int(high[1]), int(high[2])) if high else (4, 0))


def supported(version: tuple = tuple(sys.version_info[:2]), spec: str | None = None) -> bool:
    low, high = supported_range(spec)
    return low <= tuple(version[:2]) < high


def advice(spec: str | None = None) -> str:
    """One line: which Pythons work and how to get one."""
    low, high = supported_range(spec)
    last = (high[0], high[1] - 1)
    pick = f"{last[0]}.{last[1] - 1}" if last[1] > low[1] else f"{last[0]}.{last[1]}"
    return (f"The kit needs Python {low[0]}.{low[1]}-{last[0]}.{last[1]} (TensorFlow ships for those only). "
            f"Get one with `uv python install {pick}`, `pyenv install {pick}` or "
            f"`conda create -n qkit python={pick}`, then run e.g. `make lab PYTHON=python{pick}`.")


def main(argv: list[str]) -> int:
    if "--advice" in argv:
        print(advice())
        return 0
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if supported():
        print(f"Python {here} ({sys.executable}): supported.")
        return 0
    print(f"Python {here} ({sys.executable}) is not supported. {advice()}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
