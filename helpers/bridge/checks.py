"""Check inputs before they cross into Go, and turn Go's status codes into Python errors.

The checks are cheap (O(1), or one conversion); Go still checks every value.
Status codes and their messages come from Go itself (``qvalueStatusText``),
read once when the library loads, so they are written in one place only.
"""

from __future__ import annotations

import ctypes

import numpy as np

from helpers.core.knobs import check

_REAL = (int, float, np.integer, np.floating)


class GoCallError(RuntimeError):
    """The Go side reported an internal failure (a bug in the kit, not your input)."""


def status_table(raw) -> dict[int, tuple[str, str]]:
    """code -> (NAME, message), read from the library's qvalueStatusText export."""
    table, buf = {}, ctypes.create_string_buffer(256)
    for code in range(raw.qvalueStatusCount()):
        if raw.qvalueStatusText(code, buf, len(buf)) < 0:
            raise GoCallError(f"the Go library has no text for status {code}: rebuild it")
        name, _, message = buf.value.decode().partition("\t")
        table[code] = (name, message)
    return table


def real(name: str, v) -> float:
    """v as a Python float, refusing what is not a real number (bool, str, complex, arrays)."""
    if type(v) is float:  # the common case, kept fast: the call itself takes ~1 us
        return v
    if isinstance(v, _REAL) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
        return float(v)
    raise TypeError(f"{name} must be a real number; got {v!r}")


def param(name: str, v) -> float:
    """alpha, gamma or epsilon as a float inside its range (hyperparams.SPECS)."""
    return check(name, real(name, v))


def flag(name: str, v) -> int:
    """A scalar True/False (or 0/1) as 0 or 1; anything else ('False', 0.5, NaN) is refused."""
    if isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
        return int(bool(v))
    if isinstance(v, (float, np.floating)) and v in (0.0, 1.0):
        return int(v)
    raise TypeError(f"{name} must be True or False (or 0/1); got {v!r}")


def floats(name: str, x, ndim: int = 1) -> np.ndarray:
    """x as a C-contiguous float64 array of ndim dimensions (converting if needed)."""
    a = np.asarray(x)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise TypeError(f"{name} must hold real numbers (float or int); got dtype {a.dtype}")
    if a.ndim != ndim:
        want = "a 1-D array (one value per transition)" if ndim == 1 else "a 2-D array (transitions x actions)"
        raise ValueError(f"{name} must be {want}; got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def flags(name: str, x) -> np.ndarray:
    """A 1-D array of True/False (or 0/1) as uint8 0/1 (bool arrays are reused without a copy)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of True/False; got shape {a.shape}")
    if a.dtype != bool:
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise TypeError(f"{name} must hold True/False (or 0/1); got dtype {a.dtype}")
        if not np.all((a == 0) | (a == 1)):
            raise ValueError(f"{name} must hold only True/False (or 0/1)")
        a = a != 0
    return np.ascontiguousarray(a).view(np.uint8)


def same_length(**arrays) -> None:
    """All arrays have one entry per transition."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise ValueError(f"all inputs need one entry per transition, but the lengths differ ({shown})")


def raise_for(table: dict, code: int, fn: str, inputs: dict, out: np.ndarray | None = None) -> None:
    """Turn a Go status code into a Python exception that says what was wrong."""
    if code == 0:
        return
    name, message = table.get(code, ("UNKNOWN", f"unknown status {code}"))
    if name == "NON_FINITE":
        raise ValueError(f"{first_bad(inputs)}: Q-learning inputs must be finite numbers (no NaN or inf)")
    if name == "OVERFLOW":
        where = "" if out is None else f" (first at index {int(np.argmax(~np.isfinite(out)))})"
        raise OverflowError(f"the update overflowed to inf{where}: the values are too large for float64")
    if name in ("PANIC", "UNKNOWN"):
        raise GoCallError(f"{fn} failed inside Go ({name}, status {code}): this is a bug in the kit, please report it")
    raise ValueError(f"{fn}: {message} ({name})")


def first_bad(inputs: dict) -> str:
    """Name the first NaN or inf among the inputs, e.g. 'reward[17] is nan'."""
    for name, a in inputs.items():
        a = np.asarray(a)
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            idx = tuple(int(i) for i in bad[0])
            where = idx[0] if len(idx) == 1 else idx
            return f"{name}[{where}] is {a[idx]}" if a.ndim else f"{name} is {a}"
    return "an input is NaN or inf"
