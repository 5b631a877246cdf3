"""The Go bridge in one name for the lessons: build the Go library, load it, call it.

    >>> from helpers import golib
    >>> path = golib.build()          # go build -buildmode=c-shared ...
    >>> lib = golib.load()            # ctypes, argtypes/restype set once
    >>> lib.q_update([1.0], [1.0], [2.0], [False], alpha=0.5, gamma=0.9)
    array([1.9])

Building lives in ``helpers.bridge.build``, loading and calling in
``helpers.bridge.library``, input checks in ``helpers.bridge.checks``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.bridge import build as _build
from helpers.bridge import library
from helpers.bridge.build import (  # noqa: F401 - the lessons' names
    BUILD_DIR,
    GO_DIR,
    KIT_HOME,
    KIT_ROOT,
    LIB_NAME,
    RUNS_DIR,
    SCRATCH_DIR,
    CCompilerError,
    FolderNotWritableError,
    GoBuildError,
    GoCodeError,
    GoToolchainError,
    build_command,
    go_env,
    header_path,
    library_path,
    source_hash,
)
from helpers.bridge.checks import GoCallError  # noqa: F401
from helpers.bridge.library import (  # noqa: F401
    SIGNATURES,
    QValueLib,
    StaleLibraryError,
    call_in_fresh_process,
    declare,
    load,
    loaded_path,
)
from helpers.bridge.toolchain import ToolMissingError


def build(src: Path | str = GO_DIR, out_dir: Path | str = BUILD_DIR, *, force: bool = False,
          quiet: bool = False) -> Path:
    """Compile the Go package in src into a shared library and return its path (see bridge.build)."""
    target = _build.build(src, out_dir, force=force, quiet=quiet)
    library.notice_build(target)
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.bridge build|path|header|cc`: used by the Makefile (cc: the C compiler cgo will use)."""
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "build"
    try:
        if cmd == "build":
            build()
        elif cmd == "path":
            print(library_path())
        elif cmd == "header":
            print(header_path(library_path()))
        elif cmd == "cc":
            print(_build.check_c_compiler())
        else:
            print(f"usage: python -m helpers.bridge [build|path|header|cc]; got {cmd!r}", file=sys.stderr)
            return 2
    except (GoBuildError, ToolMissingError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
