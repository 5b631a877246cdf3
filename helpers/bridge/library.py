"""Load the Go library once per process and call it through ctypes, inputs checked.

A Go library can never be unloaded from a process (golang/go#11100), so a
kernel that loaded one build must be restarted to use another. The guard:
every call first checks (at most every STALE_CHECK_S seconds, one stat) whether
a newer build of the same sources appeared in the build folder, made by this
process or another one (`make lib`); then it raises StaleLibraryError instead
of silently running old code.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers.bridge import checks
from helpers.bridge.build import BUILD_DIR, GO_DIR, KIT_ROOT, build, header_path, library_path, source_hash
from helpers.bridge.checks import GoCallError, flag, flags, floats, param, real, same_length

STALE_CHECK_S = 0.05  # how often a call may stat the build folder (a stat costs about as much as a call)


class StaleLibraryError(RuntimeError):
    """This process runs an older build of the Go library than the sources."""


_f64 = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
_u8 = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
_i64s = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
_u64s = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
_d, _i, _i64, _str = ctypes.c_double, ctypes.c_int, ctypes.c_int64, ctypes.c_char_p
# Pointers that may be NULL: pass None, or an array's .ctypes.data.
_opt_f64 = _opt_i64 = _opt_u64 = ctypes.c_void_p

# Every exported symbol's C signature, in one place: name -> (argtypes, restype).
SIGNATURES = {
    "updateQValue": ([_d, _d, _d, _d, _d], _d),
    "qUpdate": ([_d, _d, _d, _i, _d, _d, ctypes.POINTER(_d)], _i),
    "qUpdateBatch": ([_f64, _f64, _f64, _u8, _i64, _d, _d, _f64], _i),
    "tdTargets": ([_f64, _i64, _i64, _f64, _u8, _d, _f64], _i),
    "qvalueBuildInfo": ([_str, _i64], _i64),
    "qvalueStatusCount": ([], _i),
    "qvalueStatusText": ([_i, _str, _i64], _i64),
    "dqnTargets": ([_f64, _f64, _opt_f64, _i64, _i64, _f64, _u8, _d, _d, _i, _f64], _i),
    "qTabularSeed": ([ctypes.c_uint64, _u64s, _i64], _i),
    "qTabularRun": ([_f64, _i64s, _f64, _u8, _f64, _i64, _i64, _i64, _f64, _d, _d, _d, _i64, _i64,
                     _opt_u64, _i64, _opt_f64, _i64, _opt_i64, _f64, _i64s], _i),
    "qTabularRules": ([_str, _i64], _i64),
    "qTabularControl": ([_f64, _i64s, _f64, _u8, _f64, _i64, _i64, _i64, _f64, _i, _opt_f64, _opt_i64, _opt_i64, _d,
                         _d, _d, _d, _i64, _i64, _opt_u64, _i64, _opt_f64, _i64, _opt_i64, _f64, _i64s], _i),
}


def declare(cdll: ctypes.CDLL) -> ctypes.CDLL:
    """Set argtypes and restype of every export, so ctypes converts correctly."""
    for name, (argtypes, restype) in SIGNATURES.items():
        fn = getattr(cdll, name)
        fn.argtypes, fn.restype = argtypes, restype
    return cdll


class QValueLib:
    """The Go Q-learning library, with inputs checked before they cross into Go."""

    def __init__(self, cdll: ctypes.CDLL, path: Path | str, src: Path | None = None):
        self.raw = declare(cdll)  # the bare ctypes functions, for the lessons
        self.path = Path(path)
        self.status = checks.status_table(self.raw)  # code -> (NAME, message), from Go
        self._src = src  # the sources this build came from (None: not watched)
        self._stale: str | None = None
        self._next_check = 0.0
        self._build_dir_mtime = _mtime(self.path.parent)

    def __repr__(self) -> str:
        return f"<QValueLib {self.path.name}>"

    def _check_fresh(self) -> None:
        """Raise StaleLibraryError if a newer build of our sources exists (checked every STALE_CHECK_S)."""
        now = time.monotonic()
        if now >= self._next_check and self._src is not None and self._stale is None:
            self._next_check = now + STALE_CHECK_S
            mtime = _mtime(self.path.parent)
            if mtime != self._build_dir_mtime:  # something was added or renamed in the build folder
                self._build_dir_mtime = mtime
                newer = library_path(self._src, self.path.parent)
                if newer != self.path and newer.exists():
                    self._stale = stale_message(self.path, newer)
        if self._stale:
            raise StaleLibraryError(self._stale)

    def build_info(self) -> str:
        """'<source hash> <go version>' of the loaded build."""
        buf = ctypes.create_string_buffer(128)
        self.raw.qvalueBuildInfo(buf, len(buf))
        return buf.value.decode()

    def _raise_for(self, code: int, fn: str, inputs: dict, out=None) -> None:
        if code:
            checks.raise_for(self.status, code, fn, inputs, out)

    def update_q_value(self, current_q, reward, max_next_q, alpha, gamma) -> float:
        """The seed article's updateQValue (maxNextQ <= 0 counts as terminal: a bug kept for comparison)."""
        self._check_fresh()
        return self.raw.updateQValue(real("current_q", current_q), real("reward", reward),
                                     real("max_next_q", max_next_q), param("alpha", alpha), param("gamma", gamma))

    def q_update_scalar(self, current_q, reward, max_next_q, terminal, alpha, gamma) -> float:
        """One correct Q-learning update: terminal (True/False) means no bootstrap."""
        self._check_fresh()
        args = [real("current_q", current_q), real("reward", reward), real("max_next_q", max_next_q)]
        done, alpha, gamma = flag("terminal", terminal), param("alpha", alpha), param("gamma", gamma)
        out = _d()
        code = self.raw.qUpdate(*args, done, alpha, gamma, ctypes.byref(out))
        self._raise_for(code, "qUpdate", dict(zip(("current_q", "reward", "max_next_q"), args)))
        return out.value

    def q_update(self, q, reward, max_next_q, terminal, alpha, gamma) -> np.ndarray:
        """Updated Q-values for a batch of transitions, in one call into Go."""
        self._check_fresh()
        q, reward, max_next_q = floats("q", q), floats("reward", reward), floats("max_next_q", max_next_q)
        done = flags("terminal", terminal)
        same_length(q=q, reward=reward, max_next_q=max_next_q, terminal=done)
        alpha, gamma = param("alpha", alpha), param("gamma", gamma)
        out = np.empty_like(q)
        code = self.raw.qUpdateBatch(q, reward, max_next_q, done, len(q), alpha, gamma, out)
        self._raise_for(code, "qUpdateBatch", {"q": q, "reward": reward, "max_next_q": max_next_q}, out)
        return out

    def td_targets(self, next_q, reward, terminal, gamma) -> np.ndarray:
        """TD targets r + gamma * max_a next_q[i, a] (just r where terminal)."""
        self._check_fresh()
        next_q = floats("next_q", next_q, ndim=2)
        reward, done = floats("reward", reward), flags("terminal", terminal)
        same_length(next_q=next_q, reward=reward, terminal=done)
        if next_q.shape[1] < 1:
            raise ValueError(f"next_q must have at least one action (column); got shape {next_q.shape}")
        gamma = param("gamma", gamma)
        out = np.empty(len(reward))
        code = self.raw.tdTargets(next_q, next_q.shape[0], next_q.shape[1], reward, done, gamma, out)
        self._raise_for(code, "tdTargets", {"next_q": next_q, "reward": reward}, out)
        return out

    def dqn_targets(self, qbar_sa, next_qbar, reward, terminated, alpha, gamma, next_q_online=None) -> np.ndarray:
        """DQN targets Q̄(s,a) + alpha*(r + gamma*(1-terminated)*Q̄(s',a*) - Q̄(s,a)), in one call into Go.

        a* = argmax of next_qbar (DQN), or of next_q_online when given (Double DQN).
        """
        self._check_fresh()
        qbar_sa, reward, done = floats("qbar_sa", qbar_sa), floats("reward", reward), flags("terminated", terminated)
        next_qbar = floats("next_qbar", next_qbar, ndim=2)
        same_length(qbar_sa=qbar_sa, next_qbar=next_qbar, reward=reward, terminated=done)
        if next_qbar.shape[1] < 1:
            raise ValueError(f"next_qbar must have at least one action (column); got shape {next_qbar.shape}")
        online = None
        if next_q_online is not None:
            online = floats("next_q_online", next_q_online, ndim=2)
            if online.shape != next_qbar.shape:
                raise ValueError(f"next_q_online must have next_qbar's shape {next_qbar.shape}; got {online.shape}")
        alpha, gamma = param("alpha", alpha), param("gamma", gamma)
        out = np.empty(len(reward))
        n, actions = next_qbar.shape
        code = self.raw.dqnTargets(qbar_sa, next_qbar, None if online is None else online.ctypes.data, n, actions,
                                   reward, done, alpha, gamma, int(online is not None), out)
        inputs = {"qbar_sa": qbar_sa, "next_qbar": next_qbar, "reward": reward}
        self._raise_for(code, "dqnTargets", inputs if online is None else {**inputs, "next_q_online": online}, out)
        return out


def _mtime(folder: Path) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def stale_message(old: Path, new: Path) -> str:
    return (f"This kernel already runs {old.name}, and the Go sources have changed since "
            f"(new build: {new.name}). A Go library cannot be unloaded from a running process, "
            "and loading a second Go runtime beside it is unsafe.\n"
            "=> Restart the kernel (Kernel > Restart Kernel...) and run the notebook again.")


_loaded: QValueLib | None = None  # the one Go library this process loaded through load()


def load(path: Path | str | None = None) -> QValueLib:
    """Load the Go library built from the current sources (building it if needed).

    Loads at most one build per process. Raises StaleLibraryError if this
    process already loaded a different build: restart the kernel.
    """
    global _loaded
    path = Path(library_path() if path is None else path).resolve()
    if _loaded is not None:
        if _loaded.path != path:
            raise StaleLibraryError(stale_message(_loaded.path, path))
        _loaded._check_fresh()
        return _loaded
    if path == library_path().resolve() and not (path.exists() and header_path(path).exists()):
        path = build()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: build it first with golib.build().")
    watched = GO_DIR.resolve() if path.parent == BUILD_DIR.resolve() else None
    _loaded = QValueLib(ctypes.CDLL(str(path)), path, src=watched)
    return _loaded


def loaded_path() -> Path | None:
    """Path of the Go library this process loaded through load(), if any."""
    return _loaded.path if _loaded else None


def notice_build(target: Path) -> None:
    """After a build in this process: warn at once if the loaded library is now stale."""
    if _loaded is not None and _loaded._src is not None and target != _loaded.path \
            and target.parent == _loaded.path.parent and source_hash(_loaded._src) in target.name:
        _loaded._stale = stale_message(_loaded.path, target)
        print("\n" + _loaded._stale, file=sys.stderr)


_TRY_SCRIPT = """
import ctypes, json, sys
from helpers.bridge.library import QValueLib
lib = QValueLib(ctypes.CDLL(sys.argv[1]), sys.argv[1])
print(json.dumps(getattr(lib, sys.argv[2])(*json.loads(sys.argv[3]))))
"""


def run_fresh(script: str, *args: str, what: str, timeout: float = 120):
    """Run a Python script in a new process (the kit importable) and return the JSON it prints.

    A Go library cannot be unloaded, so an edited build is tried there, never in the kernel.
    """
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=KIT_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} in a fresh process failed:\n{proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout)


def call_in_fresh_process(lib_path: Path | str, method: str, *args):
    """Call QValueLib.<method>(*args) on lib_path in a new Python process.

    Lets a lesson try an edited build without loading a second Go runtime
    into the kernel. Arguments and result travel as JSON (scalars only).
    """
    return run_fresh(_TRY_SCRIPT, str(lib_path), method, json.dumps(args), what=f"calling {method}")


__all__ = ["GoCallError", "QValueLib", "SIGNATURES", "StaleLibraryError", "build", "call_in_fresh_process",
           "declare", "load", "loaded_path", "notice_build", "run_fresh"]
