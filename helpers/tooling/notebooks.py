"""Run and tidy the lesson notebooks (used by the tests and `make strip`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def lessons() -> list[Path]:
    """The lesson notebooks, in order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def strip(path: Path | str) -> bool:
    """Remove outputs and execution counts; ensure kernelspec metadata. True if changed."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    # Without a kernelspec JupyterLab opens a "Select Kernel" dialog first.
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata.pop("widgets", None)
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + ("" if after.endswith("\n") else "\n"))
    return after != before


def execute(path: Path | str, timeout: int = 900, fast: bool = True) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom in a fresh kernel (cwd: its folder); return it."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if fast:
        os.environ["QKIT_FAST"] = "1"  # the kernel inherits this process's environment
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.tooling.notebooks strip FILE...`."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "strip":
        print("usage: python -m helpers.tooling.notebooks strip NOTEBOOK...", file=sys.stderr)
        return 2
    for name in argv[1:] or map(str, lessons()):
        if strip(name):
            print(f"stripped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
