"""Every lesson runs top to bottom in a fresh kernel (fast mode), and is committed clean."""

import re

import nbformat
import pytest

from helpers.lessons.exercises import PASS_MARK
from helpers.tooling import notebooks

LESSONS = notebooks.lessons()


def test_there_are_lessons():
    assert len(LESSONS) >= 2, "notebooks/ should hold the numbered lessons"


@pytest.mark.notebook
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_top_to_bottom(path):
    nb = notebooks.execute(path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error" and "raises-exception" not in c.metadata.get("tags", [])]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    # Exercise check cells print a verdict; in the executed lesson (solutions
    # run at the end) none may report a failure to the learner.
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    assert "Traceback" not in text
    seen = set(re.findall(r"^Exercise (\d+):", text, flags=re.M))
    solved = set(re.findall(r"^Exercise (\d+): " + PASS_MARK, text, flags=re.M))
    assert seen, f"{path.name}: no exercise check ran"
    assert seen == solved, f"{path.name}: exercises {sorted(seen - solved)} never pass, not even with their solution"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # a key the schema does not know makes JupyterLab warn the learner on opening
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip`"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec missing: JupyterLab would ask"
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source]
    for section in ("## Setup", "## Exercises", "## Solutions"):
        assert any(h.startswith(section) for h in headings), f"{path.name}: no '{section}' section"


def test_static_figures_fit_beside_the_file_browser():
    """At 1280 px with JupyterLab's file browser open a cell is 848 px wide: every figure the lessons draw is
    at most 8.4 in (840 px at 100 dpi), so none is shrunk on a projector."""
    root = LESSONS[0].parent.parent
    sources = [*LESSONS, *(root / "helpers").rglob("*.py")]
    wide = [(p.name, float(w)) for p in sources for w in re.findall(r"figsize=\(([\d.]+)", p.read_text())
            if float(w) > 8.4]
    assert wide == [], f"figures wider than 840 px: {wide}"
