"""Student copies of the lessons: every cell tagged `solution` removed (`make student`).

    python -m helpers.tooling.student [--out student] [NOTEBOOK ...]

Solution cells (code and the markdown that explains them) carry the tag
"solution" in their metadata. The exercise check cells are not tagged: they stay,
and on the learner's placeholders they print "Exercise N: not yet - <hint>". They
hold no answer: each calls helpers/lessons/answers.py, which recomputes the
expected value, and their hints say where to look, not what to type
(tests/test_exercise_checks.py checks every copy for the answers).
Where the solutions were, a short note says that this copy has none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from helpers.tooling import notebooks

SOLUTION_TAG = "solution"
DEFAULT_OUT = notebooks.NOTEBOOK_DIR.parent / "student"
NOTE = ("## Solutions\n\n"
        "This is the student copy of the lesson: it has no solutions. Run the check cell of each "
        "exercise until it says PASS; your teacher has the copy with solutions.")


def is_solution(cell) -> bool:
    """True for a cell tagged as a solution."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its solution cells and outputs; a note where the solutions were."""
    nb = nbformat.from_dict(nb)  # a deep copy: the lesson itself is not touched
    first = next((i for i, c in enumerate(nb.cells) if is_solution(c)), None)
    nb.cells = [c for c in nb.cells if not is_solution(c)]
    if first is not None:
        nb.cells.insert(first, nbformat.v4.new_markdown_cell(NOTE))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["qkit"] = {"student_copy": True, "solutions_removed": first is not None}
    return nb


def write_student_copies(paths=None, out: Path | str = DEFAULT_OUT) -> list[Path]:
    """Write a student copy of each lesson (default: all of them) into `out`; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(Path, paths or notebooks.lessons()):
        target = out / path.name
        nbformat.write(student_copy(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: write the student copies and say where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="lessons to copy (default: every lesson in notebooks/)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the copies (default: student/)")
    args = parser.parse_args(argv)
    for path in write_student_copies(args.notebooks, args.out):
        untagged = not nbformat.read(path, as_version=4).metadata["qkit"]["solutions_removed"]
        print(f"wrote {path}" + ("  (warning: no cell is tagged 'solution': the copy still holds the solutions)"
                                 if untagged else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
