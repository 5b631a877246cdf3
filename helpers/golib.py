"""Build the kit's Go library and call it from Python through ctypes.

    >>> from helpers import golib
    >>> path = golib.build()          # go build -buildmode=c-shared ...
    >>> lib = golib.load()            # ctypes, argtypes/restype set once
    >>> lib.q_update([1.0], [1.0], [2.0], [False], alpha=0.5, gamma=0.9)
    array([1.9])

Each build is named by a hash of the Go sources (``libqvalue-<hash>.so``).
A Go library can never be unloaded from a process (golang/go#11100), so a
kernel that loaded one build must be restarted to use another: ``load()``
raises StaleLibraryError instead of silently running old code.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import toolchain

KIT_ROOT = Path(__file__).resolve().parent.parent
GO_DIR = Path(os.environ.get("QKIT_GO_DIR", KIT_ROOT / "go"))
BUILD_DIR = Path(os.environ.get("QKIT_BUILD_DIR", KIT_ROOT / "build"))
LIB_NAME = "libqvalue"

# Status codes returned by the Go exports (go/qlearn/qlearn.go, CodeOK...).
OK, NIL_POINTER, LENGTH, ALPHA, GAMMA, NON_FINITE, OVERFLOW, ACTIONS, PANIC = range(9)


class GoBuildError(RuntimeError):
    """`go build` failed; ``.output`` holds what the compiler printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(f"{message}\n\n--- go build output ---\n{output.rstrip()}" if output else message)
        self.output = output


class StaleLibraryError(RuntimeError):
    """This process runs an older build of the Go library than the sources."""


class GoCallError(RuntimeError):
    """The Go side reported an internal failure (a bug in the kit, not your input)."""


# -- building -----------------------------------------------------------------


def source_hash(src: Path | str = GO_DIR) -> str:
    """Short hash of the Go sources (every .go file, go.mod, go.sum) in src."""
    src = Path(src)
    h = hashlib.sha256()
    files = sorted(p for p in src.rglob("*") if p.is_file() and (p.suffix == ".go" or p.name in ("go.mod", "go.sum")))
    for p in files:
        if p.name.endswith("_test.go"):
            continue  # tests do not change the library
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

    Streams the compiler's output. Raises GoBuildError (with that output) if
    the code does not compile, and ToolMissingError if go or cc is missing.
    """
    src, out_dir = Path(src).resolve(), Path(out_dir).resolve()
    say = (lambda *a: None) if quiet else print
    target = library_path(src, out_dir)
    if target.exists() and header_path(target).exists() and not force:
        say(f"{target.name} is up to date (Go sources unchanged).")
        _flag_stale_build(src, target)
        return target
    toolchain.find_go()  # fail early, with advice, instead of deep inside cgo
    toolchain.find_cc()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        tmp_lib = Path(tmp) / target.name
        say(f"$ cd {src} && go " + " ".join(build_command(src, target)[1:]))
        code, output = _run_streaming(build_command(src, tmp_lib), cwd=src, env=_go_env(), echo=not quiet)
        if code != 0 or not tmp_lib.exists():
            raise GoBuildError(f"The Go code in {src} did not compile. Fix the error shown below "
                               "(file:line:column) and build again.", output)
        # Move into place with rename: a file already mapped by a process is
        # never overwritten in place (that crashes it with SIGBUS).
        os.replace(header_path(tmp_lib), header_path(target))
        os.replace(tmp_lib, target)
    say(f"Built {target}")
    _flag_stale_build(src, target)
    return target


def _go_env() -> dict[str, str]:
    """Environment for `go build`: cgo on, and never download a toolchain."""
    env = dict(os.environ, CGO_ENABLED="1", GOTOOLCHAIN="local")
    env.setdefault("CC", toolchain.default_cc())
    if not any(env.get(k) for k in ("GOCACHE", "XDG_CACHE_HOME", "HOME", "LocalAppData")):
        env["GOCACHE"] = str(BUILD_DIR / "go-cache")  # go refuses to run without a cache folder
    return env


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


# -- loading ------------------------------------------------------------------


@dataclass
class _Loaded:
    """The one Go library this process has loaded, and where it came from."""

    path: Path
    src: Path
    lib: "QValueLib"
    newer: list[Path] = field(default_factory=list)


_loaded: _Loaded | None = None


def _flag_stale_build(src: Path, target: Path) -> None:
    """After a build: if this process runs an older build of src, mark it stale."""
    if _loaded is None or _loaded.path == target or _loaded.src != Path(src).resolve():
        return
    _loaded.newer.append(target)
    _loaded.lib._stale = _stale_message(_loaded.path, target)
    print("\n" + _loaded.lib._stale, file=sys.stderr)


def _stale_message(old: Path, new: Path) -> str:
    return (f"This kernel already runs {old.name}, and the Go sources have changed since "
            f"(new build: {new.name}). A Go library cannot be unloaded from a running process, "
            "and loading a second Go runtime beside it is unsafe.\n"
            "=> Restart the kernel (Kernel > Restart Kernel...) and run the notebook again.")


def load(path: Path | str | None = None) -> "QValueLib":
    """Load the Go library built from the current sources (building it if needed).

    Loads at most one build per process. Raises StaleLibraryError if this
    process already loaded a different build: restart the kernel.
    """
    global _loaded
    path = Path(library_path() if path is None else path).resolve()
    if _loaded is not None:
        if _loaded.path == path and _loaded.lib._stale is None:
            return _loaded.lib
        raise StaleLibraryError(_stale_message(_loaded.path, path))
    if path == library_path().resolve() and not (path.exists() and header_path(path).exists()):
        path = build()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: build it first with helpers.golib.build().")
    lib = QValueLib(ctypes.CDLL(str(path)), path)
    src = GO_DIR.resolve() if path.parent == BUILD_DIR.resolve() else path.parent
    _loaded = _Loaded(path=path, src=src, lib=lib)
    return lib


def loaded_path() -> Path | None:
    """Path of the Go library this process loaded through load(), if any."""
    return _loaded.path if _loaded else None


# -- the ctypes bridge --------------------------------------------------------

_f64 = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
_u8 = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
_d, _i, _i64 = ctypes.c_double, ctypes.c_int, ctypes.c_int64

# Every exported symbol's C signature, in one place: name -> (argtypes, restype).
SIGNATURES = {
    "updateQValue": ([_d, _d, _d, _d, _d], _d),
    "qUpdate": ([_d, _d, _d, _i, _d, _d, ctypes.POINTER(_d)], _i),
    "qUpdateBatch": ([_f64, _f64, _f64, _u8, _i64, _d, _d, _f64], _i),
    "tdTargets": ([_f64, _i64, _i64, _f64, _u8, _d, _f64], _i),
    "qvalueBuildInfo": ([ctypes.c_char_p, _i64], _i64),
}


def declare(cdll: ctypes.CDLL) -> ctypes.CDLL:
    """Set argtypes and restype of every export, so ctypes converts correctly."""
    for name, (argtypes, restype) in SIGNATURES.items():
        fn = getattr(cdll, name)
        fn.argtypes, fn.restype = argtypes, restype
    return cdll


class QValueLib:
    """The Go Q-learning library, with inputs checked before they cross into Go."""

    def __init__(self, cdll: ctypes.CDLL, path: Path):
        self.raw = declare(cdll)  # the bare ctypes functions, for the lessons
        self.path = Path(path)
        self._stale: str | None = None

    def __repr__(self) -> str:
        return f"<QValueLib {self.path.name}>"

    def _check_fresh(self) -> None:
        if self._stale:
            raise StaleLibraryError(self._stale)

    def build_info(self) -> str:
        """'<source hash> <go version>' of the loaded build."""
        buf = ctypes.create_string_buffer(128)
        self.raw.qvalueBuildInfo(buf, len(buf))
        return buf.value.decode()

    def update_q_value(self, current_q, reward, max_next_q, alpha, gamma) -> float:
        """The seed article's updateQValue (maxNextQ <= 0 counts as terminal: a bug kept for comparison)."""
        if self._stale:
            raise StaleLibraryError(self._stale)
        return self.raw.updateQValue(_real("current_q", current_q), _real("reward", reward),
                                     _real("max_next_q", max_next_q), _param("alpha", alpha), _param("gamma", gamma))

    def q_update_scalar(self, current_q, reward, max_next_q, terminal, alpha, gamma) -> float:
        """One correct Q-learning update: terminal means no bootstrap."""
        self._check_fresh()
        args = _scalars(current_q=current_q, reward=reward, max_next_q=max_next_q)
        _check_params(alpha=alpha, gamma=gamma)
        out = _d()
        code = self.raw.qUpdate(*args, int(bool(terminal)), alpha, gamma, ctypes.byref(out))
        _raise_for(code, "qUpdate", dict(zip(("current_q", "reward", "max_next_q"), args)))
        return out.value

    def q_update(self, q, reward, max_next_q, terminal, alpha, gamma) -> np.ndarray:
        """Updated Q-values for a batch of transitions, in one call into Go."""
        self._check_fresh()
        q = _floats("q", q)
        reward, max_next_q = _floats("reward", reward), _floats("max_next_q", max_next_q)
        done = _terminal(terminal)
        _same_length(q=q, reward=reward, max_next_q=max_next_q, terminal=done)
        _check_params(alpha=alpha, gamma=gamma)
        out = np.empty_like(q)
        code = self.raw.qUpdateBatch(q, reward, max_next_q, done, len(q), alpha, gamma, out)
        _raise_for(code, "qUpdateBatch", {"q": q, "reward": reward, "max_next_q": max_next_q}, out)
        return out

    def td_targets(self, next_q, reward, terminal, gamma) -> np.ndarray:
        """TD targets r + gamma * max_a next_q[i, a] (just r where terminal)."""
        self._check_fresh()
        next_q = _floats("next_q", next_q, ndim=2)
        reward, done = _floats("reward", reward), _terminal(terminal)
        _same_length(next_q=next_q, reward=reward, terminal=done)
        if next_q.shape[1] < 1:
            raise ValueError(f"next_q must have at least one action (column); got shape {next_q.shape}")
        _check_params(gamma=gamma)
        out = np.empty(len(reward))
        code = self.raw.tdTargets(next_q, next_q.shape[0], next_q.shape[1], reward, done, gamma, out)
        _raise_for(code, "tdTargets", {"next_q": next_q, "reward": reward}, out)
        return out


# -- input checks (cheap, O(1) or one conversion; Go checks every value) ------


_REAL = (int, float, np.integer, np.floating)


def _real(name: str, v) -> float:
    """v as a Python float, refusing what is not a real number (bool, str, complex, arrays)."""
    if type(v) is float:  # the common case, kept fast: the call itself takes ~1 us
        return v
    if isinstance(v, _REAL) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
        return float(v)
    raise TypeError(f"{name} must be a real number; got {v!r}")


def _scalars(**values) -> list[float]:
    """Convert named scalars to float (see _real)."""
    return [_real(name, v) for name, v in values.items()]


_MEANING = {"alpha": "the learning rate (step size)", "gamma": "the discount factor"}


def _param(name: str, v) -> float:
    """alpha or gamma as a float, checked to be a finite number in [0, 1]."""
    v = _real(name, v)
    if not 0.0 <= v <= 1.0:  # False for NaN as well
        raise ValueError(f"{name} is {_MEANING[name]} and must be in [0, 1]; got {v}")
    return v


def _check_params(**params) -> None:
    """alpha and gamma must be finite numbers in [0, 1]."""
    for name, v in params.items():
        _param(name, v)


def _floats(name: str, x, ndim: int = 1) -> np.ndarray:
    """x as a C-contiguous float64 array of ndim dimensions (converting if needed)."""
    a = np.asarray(x)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise TypeError(f"{name} must hold real numbers (float or int); got dtype {a.dtype}")
    if a.ndim != ndim:
        want = "a 1-D array (one value per transition)" if ndim == 1 else "a 2-D array (transitions x actions)"
        raise ValueError(f"{name} must be {want}; got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def _terminal(x) -> np.ndarray:
    """terminal flags as uint8 0/1 (bool arrays are reused without a copy)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"terminal must be a 1-D array of True/False; got shape {a.shape}")
    if a.dtype != bool:
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise TypeError(f"terminal must hold True/False (or 0/1); got dtype {a.dtype}")
        if not np.all((a == 0) | (a == 1)):
            raise ValueError("terminal must hold only True/False (or 0/1)")
        a = a != 0
    return np.ascontiguousarray(a).view(np.uint8)


def _same_length(**arrays) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise ValueError(f"all inputs need one entry per transition, but the lengths differ ({shown})")


def _raise_for(code: int, fn: str, inputs: dict, out: np.ndarray | None = None) -> None:
    """Turn a Go status code into a Python exception that says what was wrong."""
    if code == OK:
        return
    if code == NON_FINITE:
        raise ValueError(f"{_first_bad(inputs)}: Q-learning inputs must be finite numbers (no NaN or inf)")
    if code == OVERFLOW:
        where = "" if out is None else f" (first at index {int(np.argmax(~np.isfinite(out)))})"
        raise OverflowError(f"the update overflowed to inf{where}: the values are too large for float64")
    messages = {LENGTH: "lengths do not match", ALPHA: "alpha must be in [0, 1]",
                GAMMA: "gamma must be in [0, 1]", ACTIONS: "next_q needs at least one action"}
    if code in messages:
        raise ValueError(f"{fn}: {messages[code]}")
    raise GoCallError(f"{fn} failed inside Go (status {code}): this is a bug in the kit, please report it")


def _first_bad(inputs: dict) -> str:
    """Name the first NaN or inf among the inputs, e.g. 'reward[17] is nan'."""
    for name, a in inputs.items():
        a = np.asarray(a)
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            idx = tuple(int(i) for i in bad[0])
            where = idx[0] if len(idx) == 1 else idx
            return f"{name}[{where}] is {a[idx]}" if a.ndim else f"{name} is {a}"
    return "an input is NaN or inf"


# -- trying an edited library safely ------------------------------------------

_TRY_SCRIPT = """
import ctypes, json, sys
from helpers import golib
lib = golib.QValueLib(ctypes.CDLL(sys.argv[1]), sys.argv[1])
print(json.dumps(getattr(lib, sys.argv[2])(*json.loads(sys.argv[3]))))
"""


def call_in_fresh_process(lib_path: Path | str, method: str, *args):
    """Call QValueLib.<method>(*args) on lib_path in a new Python process.

    Lets a lesson try an edited build without loading a second Go runtime
    into the kernel. Arguments and result travel as JSON (scalars only).
    """
    import json

    proc = subprocess.run([sys.executable, "-c", _TRY_SCRIPT, str(lib_path), method, json.dumps(args)],
                          capture_output=True, text=True, timeout=120, cwd=KIT_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"calling {method} in a fresh process failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.golib build|path|header`: used by the Makefile."""
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "build"
    try:
        if cmd == "build":
            build()
        elif cmd == "path":
            print(library_path())
        elif cmd == "header":
            print(header_path(library_path()))
        else:
            print(f"usage: python -m helpers.golib [build|path|header]; got {cmd!r}", file=sys.stderr)
            return 2
    except (GoBuildError, toolchain.ToolMissingError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
