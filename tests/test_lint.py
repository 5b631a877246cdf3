"""ruff's rules are the kit's: no import inside a function outside tooling/ and tests/ without a noqa and a reason."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")  # installed with the dev extra, beside this Python
LATE_IMPORT = "def f():\n    import json\n\n    return json\n"


def ruff(*args, code: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), "check", "--no-cache", *args], input=code, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("where", "flagged"), [("helpers/agents/probe.py", True), ("helpers/core/probe.py", True),
                                                ("helpers/tooling/probe.py", False), ("helpers/__init__.py", False),
                                                ("tests/test_probe.py", False)])
def test_an_import_inside_a_function_is_flagged_outside_tooling_and_tests(where, flagged):
    proc = ruff("--stdin-filename", where, "-", code=LATE_IMPORT)
    assert ("PLC0415" in proc.stdout) == flagged, proc.stdout + proc.stderr
    if flagged:  # a noqa with its reason lets it pass (elsewhere RUF100 calls that noqa needless)
        reasoned = LATE_IMPORT.replace("import json", "import json  # noqa: PLC0415 - a reason")
        assert ruff("--stdin-filename", where, "-", code=reasoned).returncode == 0


def test_the_kit_passes_ruff():
    proc = ruff("helpers", "tests")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
