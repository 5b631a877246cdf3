"""`make lock`: pin every package of the course image in binder/constraints.txt, from a resolved install.

pip resolves binder/requirements.txt (the kit's base + nbgitpuller) as a fresh install would
(``pip install --dry-run --ignore-installed --report``: nothing is installed) and the exact versions
it picked are written out. Binder's image and the teachers' recipe install with ``-c`` this file, so a
rebuild next term gets the same packages. Run it with the image's Python (binder/runtime.txt) on
Linux x86-64, as the image is built; tests/test_lock.py checks the file against pyproject.toml.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers.core.durable import write_text_durably

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "binder" / "requirements.txt"
CONSTRAINTS = ROOT / "binder" / "constraints.txt"
KIT = "go-rl-kit"


def image_python() -> str:
    """The image's Python, 'X.Y', from binder/runtime.txt ('python-3.11')."""
    return (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")


def resolve(requirements: Path = REQUIREMENTS) -> list[tuple[str, str]]:
    """[(name, version)] that pip would install for requirements into an empty environment (the kit left out).

    The file's own `-c constraints.txt` line is dropped: the old pins must not hold the new ones back.
    """
    lines = unpinned(requirements.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        report, free = Path(tmp) / "report.json", Path(tmp) / "requirements.txt"
        free.write_text("\n".join(lines) + "\n")
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), "-r", str(free)], cwd=ROOT, check=True)
        items = json.loads(report.read_text())["install"]
    pins = {(i["metadata"]["name"], i["metadata"]["version"]) for i in items}
    return sorted((p for p in pins if p[0].lower() != KIT), key=lambda p: p[0].lower())


def unpinned(requirements: str) -> list[str]:
    """The requirement file's lines without its constraints (`-c ...`)."""
    return [ln for ln in requirements.splitlines() if not ln.strip().startswith(("-c", "--constraint"))]


def constraints_text(pins: list[tuple[str, str]]) -> str:
    header = [
        "# Written by `make lock` (helpers/tooling/lock.py): every package of the course image, pinned.",
        f"# Resolved for Python {sys.version_info[0]}.{sys.version_info[1]} on {sys.platform} "
        f"{platform.machine()}, from binder/requirements.txt. Do not edit: run `make lock` again.",
    ]
    return "\n".join(header + [f"{name}=={version}" for name, version in pins]) + "\n"


def main() -> int:
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if here != image_python() or sys.platform != "linux" or platform.machine() != "x86_64":
        print(f"make lock pins the course image: run it with Python {image_python()} on Linux x86-64 "
              f"(binder/runtime.txt), not Python {here} on {sys.platform} {platform.machine()}.", file=sys.stderr)
        return 1
    pins = resolve()
    write_text_durably(CONSTRAINTS, constraints_text(pins))
    print(f"Wrote {CONSTRAINTS.relative_to(ROOT)}: {len(pins)} packages pinned.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
