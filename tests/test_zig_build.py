"""No system C compiler needed: with none on PATH, the build uses Zig from PyPI (ziglang, a [dev] and [zig] extra)."""

import os
import shutil
import subprocess
import sys

from helpers.bridge import golib, toolchain
from helpers.tooling import doctor

ROOT = golib.KIT_ROOT


def test_the_library_builds_and_runs_with_zig_as_the_only_c_compiler(tmp_path):
    import ziglang  # noqa: F401 - installed by `make test` ([dev]); the build finds it by itself

    bindir = tmp_path / "bin"  # PATH holds `go` and nothing else: no gcc, clang or cc
    bindir.mkdir()
    (bindir / "go").symlink_to(toolchain.find_go())
    assert not any(shutil.which(cc, path=str(bindir)) for cc in ("gcc", "clang", "cc"))
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "QKIT_GO")}
    env.update(PATH=str(bindir), QKIT_BUILD_DIR=str(tmp_path / "build"), GOTOOLCHAIN="local")
    done = subprocess.run([sys.executable, "-m", "helpers.bridge", "build"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cgo uses Zig from PyPI" in done.stdout and len(done.stdout.splitlines()) <= 4, done.stdout
    built = list((tmp_path / "build").glob("libqvalue-*" + toolchain.library_suffix()))
    assert len(built) == 1 and built[0].name == golib.library_path().name
    assert golib.call_in_fresh_process(built[0], "q_update_scalar", 1.0, 1.0, 2.0, False, 0.5, 0.9) == 1.9


def test_cc_zig_forces_zig_even_where_a_compiler_exists(monkeypatch):
    monkeypatch.setenv("CC", "zig")
    assert toolchain.find_cc() == toolchain.ZIG
    assert golib.go_env()["CC"] == toolchain.zig_command()
    assert golib.go_env()["ZIG_GLOBAL_CACHE_DIR"] == str(toolchain.zig_cache())  # compiled once, kept
    assert doctor.check_cc().ok is True and "ziglang" in doctor.check_cc().detail
