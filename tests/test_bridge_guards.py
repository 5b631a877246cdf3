"""Guards that tell the truth: build failures by cause, a rebuild made by another process,
the scalar terminal flag, and status codes whose names and messages come from Go."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.bridge import golib

# -- build failures, each with its own class and advice ----------------------------


def test_failing_c_compiler_is_not_blamed_on_the_go_code(monkeypatch, go_copy, tmp_path):
    monkeypatch.setenv("CC", "/bin/false")
    with pytest.raises(golib.CCompilerError) as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert "did not compile" not in str(info.value) and "/bin/false" in str(info.value)
    assert "CC" in str(info.value)


def test_a_go_that_prints_nothing_is_a_broken_toolchain(monkeypatch, go_copy, tmp_path):
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "go"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("QKIT_GO", str(fake))
    with pytest.raises(golib.GoToolchainError) as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert "printed nothing" in str(info.value) and "did not compile" not in str(info.value)


def test_unwritable_go_cache_is_named(monkeypatch, go_copy, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("GOCACHE", str(blocker / "cache"))  # a folder under a file: never writable, even as root
    with pytest.raises(golib.FolderNotWritableError) as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert "GOCACHE" in str(info.value) and str(blocker) in str(info.value)


def test_unwritable_build_folder_is_named(go_copy, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(golib.FolderNotWritableError) as info:
        golib.build(go_copy, blocker / "build", quiet=True)
    assert str(blocker / "build") in str(info.value) and "QKIT_BUILD_DIR" in str(info.value)


def test_go_code_error_is_a_go_code_error(go_copy, tmp_path):
    (go_copy / "main.go").write_text("package main\nfunc main() { oops }\n")
    with pytest.raises(golib.GoCodeError, match="did not compile") as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert re.search(r"main\.go:2:\d+: undefined: oops", info.value.output)


# -- a rebuild made by another process -------------------------------------------------

CROSS_PROCESS = """
import subprocess, sys
from pathlib import Path
from helpers.bridge import golib
lib = golib.load()
print("before", lib.q_update([1.0], [1.0], [2.0], [False], 0.5, 0.9)[0])
f = Path(golib.GO_DIR, "qlearn", "qlearn.go")
f.write_text(f.read_text().replace("return currentQ + alpha*(Target(", "return 1 + currentQ + alpha*(Target("))
subprocess.run([sys.executable, "-m", "helpers.bridge", "build"], check=True, capture_output=True)  # `make lib`
try:
    print("after", lib.q_update([1.0], [1.0], [2.0], [False], 0.5, 0.9)[0])
except golib.StaleLibraryError as e:
    print("stale:", e)
"""


def test_stale_guard_notices_a_rebuild_by_another_process(go_copy, tmp_path):
    env = dict(os.environ, QKIT_GO_DIR=str(go_copy), QKIT_BUILD_DIR=str(tmp_path / "b"))
    proc = subprocess.run([sys.executable, "-c", CROSS_PROCESS], capture_output=True, text=True, env=env,
                          cwd=golib.KIT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "before 1.9" in proc.stdout
    assert "after" not in proc.stdout, "the old library ran silently after a rebuild in another process"
    assert "stale:" in proc.stdout and "Restart the kernel" in proc.stdout


# -- the scalar terminal flag is checked like the batch one ------------------------------


@pytest.mark.parametrize("bad", ["False", 0.5, float("nan"), 2, None, [True]])
def test_scalar_terminal_must_be_true_or_false(lib, bad):
    with pytest.raises(TypeError, match="terminal must be True or False"):
        lib.q_update_scalar(1.0, 1.0, 2.0, bad, 0.5, 0.9)


@pytest.mark.parametrize("ok, want", [(True, 1.0), (False, 1.9), (1, 1.0), (0, 1.9), (1.0, 1.0)])
def test_scalar_terminal_accepts_true_false_and_0_1(lib, ok, want):
    assert lib.q_update_scalar(1.0, 1.0, 2.0, ok, 0.5, 0.9) == pytest.approx(want)


# -- status codes: one table, in Go ----------------------------------------------------


def test_status_table_comes_from_go_and_matches_the_go_source(lib):
    """Python reads names and messages from the library; they are go/qlearn's status table."""
    table = lib.status
    assert table[0][0] == "OK" and sorted(table) == list(range(len(table)))
    names = [name for name, _ in table.values()]
    assert len(set(names)) == len(names)
    go_source = "\n".join(p.read_text() for p in Path(golib.GO_DIR, "qlearn").glob("*.go")
                          if not p.name.endswith("_test.go"))
    for code, (name, message) in table.items():
        if code:
            assert f'"{name}", "{message}"' in go_source, f"{name}: {message!r} is not in Go's status table"
    for needed in ("NON_FINITE", "OVERFLOW", "PANIC", "ALPHA", "GAMMA", "LENGTH", "NIL_POINTER"):
        assert needed in names  # the names checks.raise_for relies on


def test_bad_alpha_message_comes_from_go(lib):
    import ctypes

    fn = ctypes.CDLL(str(lib.path)).qUpdateBatch
    fn.argtypes, fn.restype = [ctypes.c_void_p] * 4 + [ctypes.c_int64, ctypes.c_double, ctypes.c_double,
                                                       ctypes.c_void_p], ctypes.c_int
    buf, flags = (ctypes.c_double * 1)(), (ctypes.c_uint8 * 1)()
    code = fn(buf, buf, buf, flags, 1, 7.0, 0.9, buf)
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\] \(ALPHA\)"):
        lib._raise_for(code, "qUpdateBatch", {})
