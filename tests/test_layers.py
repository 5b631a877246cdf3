"""The kit's layers: every module imports only from its own layer or the layers below it.

    core <- {bridge, runs} <- agents <- {sweeps, lessons} <- tooling;  views <- {runs, core}

(lessons and tooling may also use views). Imports are read from the source (top level and inside
functions), so an arrow cannot hide in a function; only tooling/ and the package's lazy façade
(helpers/__init__.py) may import the kit inside a function.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import helpers

ROOT = Path(helpers.__file__).parent
# layer -> the layers it may import from (its own is always allowed)
MAY_IMPORT = {
    "core": set(),
    "bridge": {"core"},
    "runs": {"core"},
    "agents": {"core", "bridge", "runs"},
    "views": {"core", "runs"},
    "sweeps": {"core", "bridge", "runs", "agents"},
    "lessons": {"core", "bridge", "runs", "agents", "views"},
    "tooling": {"core", "bridge", "runs", "agents", "views", "sweeps", "lessons"},
}


def kit_imports(path: Path):
    """(line, imported module, inside a function?) for every `helpers...` import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("helpers"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            yield node.lineno, (node.module if node.module != "helpers" else names[0]), id(node) in nested
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("helpers"):
                    yield node.lineno, a.name, id(node) in nested


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / parts[1]).is_dir() else ""


def violations(root: Path = ROOT) -> list[str]:
    """Every import that runs up or sideways, and every function-level kit import outside tooling/."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        layer = rel.parts[0] if len(rel.parts) > 1 else ""
        for line, module, in_function in kit_imports(path):
            where = f"helpers/{rel}:{line}"
            if layer == "":  # the façade: lazy by design
                continue
            if in_function and layer != "tooling":
                found.append(f"{where}: imports {module} inside a function (import it at the top)")
            target = layer_of(module)
            if target and target != layer and target not in MAY_IMPORT[layer]:
                found.append(f"{where}: {layer}/ imports {module} ({target}/ is not below {layer}/)")
    return found


def test_every_folder_is_a_known_layer():
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(MAY_IMPORT), folders ^ set(MAY_IMPORT)


def test_imports_run_only_downward():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path):
    """The rule can fail: a runs/ module importing an agent, and a hidden function-level import."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "__init__.py").write_text("")
    (tmp_path / "runs" / "bad.py").write_text("from helpers.agents.dqn import DQN\n\n"
                                              "def f():\n    from helpers.core import knobs\n")
    found = violations(tmp_path)
    assert any("runs/bad.py:1" in v and "agents/" in v for v in found), found
    assert any("runs/bad.py:4" in v and "inside a function" in v for v in found), found


def test_no_module_is_too_long_to_read():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 260}
    assert long == {}, f"split these modules (over ~250 lines): {long}"


@pytest.mark.parametrize("name", sorted(helpers.SHORT_NAMES))
def test_every_short_name_resolves(name):
    module, _, attr = helpers.SHORT_NAMES[name].partition(":")
    value = importlib.import_module(module)
    assert getattr(value, attr) if attr else value


def test_short_names_are_the_ones_lessons_and_readme_use():
    kit = ROOT.parent
    text = "".join(p.read_text() for p in [*kit.glob("notebooks/*.ipynb"), kit / "README.md"])
    used = {name.strip() for names in re.findall(r"from helpers import ([A-Za-z_, ]+)", text)
            for name in names.split(",")} - {"fast_mode", ""}
    names = set(helpers.SHORT_NAMES)
    assert used == names, f"offered but unused: {names - used}; used but not offered: {used - names}"
