"""Read a lesson's cells and its Setup constants, so its tests run the experiment at the lesson's own length."""

import ast
import re

import nbformat


def cells(path) -> list:
    return nbformat.read(path, as_version=4).cells


def setup_value(path, name: str, cell: str = "FAST = fast_mode()"):
    """A constant's full-length value in the first cell containing `cell` (the Setup cell unless told):
    `RACE = 512 if FAST else 5_120` -> 5120; `SEED = 4` -> 4; `DQN_ALPHAS = [1.0, 0.3]` -> [1.0, 0.3]."""
    source = next(c.source for c in cells(path) if cell in c.source)
    match = re.search(rf"^{name} = (?:\S+ if FAST else )?(\[[^\]]*\]|[\d_]+)", source, flags=re.M)
    assert match, f"the lesson's cell with {cell!r} no longer defines {name}"
    return ast.literal_eval(match.group(1))
