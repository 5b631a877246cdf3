"""DQN learning curves from a sweep: the trial's eval_<step> columns, the mean with a 95 % band, after solving."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers.sweeps import sweep as S
from helpers.sweeps.dqn_trial import dqn_trial
from helpers.sweeps.figure import after_solving, band, curve_band, curves

matplotlib.use("Agg")


def test_a_dqn_trial_returns_its_learning_curve():
    out = dqn_trial({"alpha": 1.0}, seed=0, max_steps=5_120, until_solved=False)
    assert [k for k in out if k.startswith("eval_")] == ["eval_2560", "eval_5120"]
    assert out["eval_5120"] == out["mean_return"] and out["steps"] == 5_120
    with pytest.raises(ValueError, match="until_solved"):
        dqn_trial({"alpha": 1.0}, seed=0, max_steps=256, until_solved="no")


def test_the_curve_columns_come_through_the_pool_and_a_saved_sweep(tmp_path):
    df = S.sweep("dqn", {"alpha": [0.3, 1.0]}, seeds=[0], fixed={"max_steps": 2_560}, progress=False,
                 save_to=tmp_path)
    assert curves(df).columns.tolist() == [2_560] and curves(df).notna().all().all()
    assert curves(S.load_sweep(tmp_path)).equals(curves(df))


def frame(rows):
    """A sweep-like table: alpha, seed and eval_<step> columns (NaN: the trial had stopped)."""
    steps = [2_560 * (i + 1) for i in range(len(rows[0][2]))]
    return pd.DataFrame([{"alpha": a, "seed": s, **dict(zip((f"eval_{t}" for t in steps), c))} for a, s, c in rows])


def test_curves_hold_a_stopped_trial_at_its_last_evaluation():
    df = frame([(1.0, 0, [100, 480, np.nan]), (1.0, 1, [50, 200, 300])])
    assert curves(df).to_numpy().tolist() == [[100, 480, 480], [50, 200, 300]]
    assert np.isnan(curves(df, hold=False).iloc[0, 2])


def test_the_band_is_a_bootstrap_band_of_the_mean():
    values = np.array([[0.0, 10.0], [10.0, 10.0], [20.0, 10.0], [30.0, 10.0], [40.0, 10.0]])
    mean, low, high = band(values)
    assert mean.tolist() == [20.0, 10.0]
    assert low[0] < 20 < high[0] and low[0] > 5 and high[0] < 35  # ~ mean ± 1.96 * 14.1 / sqrt(5) = ± 12.4
    assert low[1] == high[1] == 10.0  # seeds that agree: no band
    assert np.array_equal(band(values)[1], low)  # seeded: the same sweep draws the same band


def test_after_solving_counts_the_falls_below_the_line():
    df = frame([(1.0, 0, [100, 480, 200, 500, 300]), (1.0, 1, [50, 60, 70, 80, 90]),
                (1.0, 2, [490, np.nan, np.nan, np.nan, np.nan])])
    t = after_solving(df)
    assert t.first_solve.iloc[0] == 5_120 and t.fell_below.iloc[0] == 2 and t.final.iloc[0] == 300
    assert t.best.iloc[0] == 500 and t.evals_after.iloc[0] == 3
    assert np.isnan(t.first_solve.iloc[1]) and np.isnan(t.fell_below.iloc[1])
    assert t.first_solve.iloc[2] == 2_560 and t.evals_after.iloc[2] == 0 and t.fell_below.iloc[2] == 0


def test_curve_band_draws_a_line_and_a_band_per_alpha():
    df = frame([(a, s, [100 * a + s, 200 * a + s]) for a in (0.3, 1.0) for s in range(3)])
    ax = curve_band(df).axes[0]
    assert [line.get_label() for line in ax.lines[:2]] == ["α (step size) = 0.3 (3 seeds)",
                                                           "α (step size) = 1 (3 seeds)"]
    assert len(ax.collections) == 2  # one shaded band each

