"""Read a lesson's cells and its Setup constants, so its tests run the experiment at the lesson's own length."""

import re

import nbformat


def cells(path) -> list:
    return nbformat.read(path, as_version=4).cells


def setup_value(path, name: str) -> int:
    """A Setup constant's full-length value: `RACE = 512 if FAST else 5_120` -> 5120; `SEED = 4` -> 4."""
    setup = next(c.source for c in cells(path) if "FAST = fast_mode()" in c.source)
    match = re.search(rf"^{name} = (?:\S+ if FAST else )?([\d_]+)", setup, flags=re.M)
    assert match, f"the lesson's Setup cell no longer defines {name}"
    return int(match.group(1))
