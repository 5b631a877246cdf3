"""helpers.lessons.boundary: the timings and plot of lesson 02 measure and show the right things."""

import io
import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.bridge import reference
from helpers.lessons import boundary


def synthetic_rows():
    """Hand-made timings: per-call costs 1 us per item, batch 10 us per call + 1 ns per item."""
    rows = []
    for n in (1, 10, 100, 1000):
        rows.append({"method": "go per-call", "n": n, "seconds": n * 1e-6})
        rows.append({"method": "go batch", "n": n, "seconds": 10e-6 + n * 1e-9})
    rows.append({"method": "go batch", "n": 10**6, "seconds": 2e-3})
    rows.append({"method": "numpy", "n": 10**6, "seconds": 3e-3})
    for r in rows:
        r["ns_per_item"] = r["seconds"] / r["n"] * 1e9
    return rows


def test_transitions_are_seeded_and_shaped():
    q, reward, max_next_q, terminal = boundary.transitions(1000, seed=3)
    assert q.shape == reward.shape == max_next_q.shape == terminal.shape == (1000,)
    assert q.dtype == np.float64 and terminal.dtype == bool
    assert 0.05 < terminal.mean() < 0.15
    again = boundary.transitions(1000, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((q, reward, max_next_q, terminal), again))
    assert not np.array_equal(q, boundary.transitions(1000, seed=4)[0])


def test_every_method_computes_the_reference_update(lib):
    data = boundary.transitions(50, seed=1)
    want = reference.q_update(*data, boundary.ALPHA, boundary.GAMMA)
    ways = boundary.methods(lib)
    assert tuple(ways) == boundary.METHODS
    for name, fn in ways.items():
        got = fn(*data)
        assert got.shape == want.shape, name
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), name


def test_time_call_reports_seconds_per_call():
    assert 0.003 <= boundary.time_call(lambda: time.sleep(0.003), repeat=3) < 0.1
    calls = []
    per_call = boundary.time_call(lambda: calls.append(1), repeat=3, min_seconds=1e-3)
    assert per_call < 1e-5  # a list append, not the whole round
    assert len(calls) > 100  # quick calls are looped, not timed one by one


def test_measure_costs_rows(lib):
    rows = boundary.measure_costs(lib, sizes=(1, 10, 100), repeat=1, slow_cap=10)
    assert all(set(r) == {"method", "n", "seconds", "ns_per_item"} for r in rows)
    measured = {(r["method"], r["n"]) for r in rows}
    assert ("go batch", 100) in measured and ("numpy", 100) in measured
    assert ("go per-call", 100) not in measured and ("python loop", 100) not in measured
    assert ("go per-call", 10) in measured and ("python loop", 1) in measured
    assert len(rows) == 4 + 4 + 2
    for r in rows:
        assert r["seconds"] > 0
        assert r["ns_per_item"] == pytest.approx(r["seconds"] / r["n"] * 1e9)


def test_pivot_and_table():
    rows = synthetic_rows()
    t = boundary.pivot(rows, "seconds")
    assert list(t) == ["go per-call", "go batch", "numpy"]  # METHODS order, unmeasured left out
    assert t["go per-call"][10] == pytest.approx(1e-5)
    assert boundary.pivot(rows)["go batch"][1000] == pytest.approx(11.0)
    text = boundary.table(rows)
    lines = text.splitlines()
    assert "go per-call" in lines[0] and "python loop" not in lines[0]
    assert len(lines) == 1 + 5  # header + sizes 1, 10, 100, 1000, 1e6
    assert lines[-1].split()[:2] == ["1000000", "-"]  # per-call not measured at 1e6


def test_fastest_speedup_and_break_even():
    rows = synthetic_rows()
    assert boundary.fastest(rows, 10**6) == "go batch"
    assert boundary.fastest(rows, 1) == "go per-call"
    with pytest.raises(ValueError, match="no measurement at n=5"):
        boundary.fastest(rows, 5)
    ratio = boundary.speedup(rows, "go per-call", "go batch")
    assert list(ratio) == [1, 10, 100, 1000]
    assert ratio[100] == pytest.approx(100e-6 / 10.1e-6)
    assert boundary.break_even(rows, 10) == 1000  # 100 us / 10.1 us = 9.9 at n = 100: not yet
    assert boundary.break_even(rows, 5) == 100
    assert boundary.break_even(rows, 1e6) is None


def test_plot_costs_is_a_log_log_figure_with_one_line_per_method():
    rows = synthetic_rows()
    fig = boundary.plot_costs(rows)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in lines] == [boundary.LABELS[m] for m in ("go per-call", "go batch", "numpy")]
    assert list(lines[0].get_xdata()) == [1, 10, 100, 1000]
    assert list(lines[0].get_ydata()) == pytest.approx([1000.0] * 4)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_scalar_call_costs(lib):
    costs = boundary.scalar_call_costs(lib, number=500, repeat=3)
    assert len(costs) == 4 and all(v > 0 for v in costs.values())
    python, *_, checked = costs.values()
    assert python < checked  # a Go call through ctypes costs more than a Python call (~30x here)


def test_attempt_prints_the_result_or_the_error(capsys):
    assert boundary.attempt(lambda: 1 + 1) is None
    assert capsys.readouterr().out == "ok -> 2\n"
    boundary.attempt(lambda: int("x"))
    assert capsys.readouterr().out.startswith("ValueError: invalid literal for int()")
