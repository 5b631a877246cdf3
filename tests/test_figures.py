"""Figures a class can read on a projector: nothing overlaps with ten changes, ranges follow the data."""

import numpy as np
import pytest

from helpers.runs.history import History
from helpers.views.training_figure import TrainingFigure


def history(steps=12_000, spike_at=None, changes=()):
    h = History(n_actions=2)
    rng = np.random.default_rng(0)
    for i in range(steps):
        q = [i / 1000, i / 1100]
        if spike_at is not None and i == spike_at:
            q = [500.0, 500.0]
        h.record(step=i, episode=i // 50, loss=float(np.exp(-i / 3000) + rng.random() * 0.01), q_mean=q,
                 alpha=0.5, gamma=0.9, epsilon=0.1, learning_rate=1e-3,
                 episode_return=float(min(500, i / 20)) if i % 50 == 0 else float("nan"))
    for step, name in changes:
        h.add_change(step, name, 0.5, 0.25)
    return h


def overlaps(boxes):
    def hit(a, b):
        return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])
    return [(t1, t2) for i, (t1, b1) in enumerate(boxes) for t2, b2 in boxes[i + 1:] if hit(b1, b2)]


TEN_CHANGES = [(1000, "alpha"), (1050, "gamma"), (1100, "epsilon"), (1150, "alpha"), (3000, "gamma"),
               (3020, "alpha"), (6000, "epsilon"), (6010, "gamma"), (9000, "alpha"), (11_900, "gamma")]


@pytest.mark.parametrize("returns", [False, True])
def test_ten_changes_leave_no_text_overlapping(returns):
    fig = TrainingFigure(title="CartPole-v1", returns=returns, solved=475 if returns else None,
                         action_names=("push left", "push right"))
    snap = history(changes=TEN_CHANGES).snapshot()
    snap["evals"] = [(2500 * j, 100 * j, 30.0) for j in range(1, 5)]
    fig.update(snap)
    boxes = fig.text_boxes()
    assert not overlaps(boxes), overlaps(boxes)
    width, height = fig.canvas.get_width_height()
    assert width <= 848, "JupyterLab at 1280 px with its file browser open shows 848 px unshrunk"
    assert height <= (480 if returns else 340), "a dashboard's sliders and figure fit a 1280 x 800 screen"
    outside = [t for t, (x0, y0, x1, y1) in boxes if x0 < 0 or y0 < 0 or x1 > width or y1 > height]
    assert not outside, f"clipped at the figure's edge: {outside}"  # e.g. the last x tick "12k"
    listed = [t for t, _ in boxes if t.startswith("1:")]
    assert listed and "10:" in listed[0], "every change is named in the list under the title"


def test_no_empty_band_under_the_title_without_changes():
    fig = TrainingFigure(title="Q-network on CartPole-v1", returns=False).update(history(steps=500).snapshot())
    title_bottom = fig._suptitle.get_window_extent(fig.canvas.get_renderer()).y0
    top = fig.ax_q.get_window_extent().y1
    assert 0 < title_bottom - top < 20, f"{title_bottom - top:.0f} px between the title and the panels"


def test_ticks_and_labels_are_projector_sized():
    fig = TrainingFigure(returns=True)
    fig.update(history(steps=500).snapshot())
    sizes = [t.get_fontsize() for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert min(sizes) * fig.figure.dpi / 72 >= 17, "tick labels of at least 17 px"


def test_the_q_axis_shrinks_back_after_a_spike_and_reset_forgets_old_ranges():
    fig = TrainingFigure()
    fig.update(history(steps=3000, spike_at=100).snapshot())
    lo, hi = fig.ax_q.get_ylim()
    assert hi < 50, f"one spike of 500 must not set the scale ({lo}, {hi})"
    fig.update(history(steps=200).snapshot())  # Reset, then a short new run
    assert fig.ax_q.get_xlim()[1] <= 250 and fig.ax_q.get_ylim()[1] < 5


def test_the_title_shows_the_knobs_in_force_now():
    fig = TrainingFigure()
    snap = history(steps=100).snapshot()
    snap["knobs"] = {"alpha": 0.05, "gamma": 0.99, "epsilon": 0.1, "learning_rate": 1e-3}
    fig.update(snap)
    assert "α = 0.05" in fig._suptitle.get_text() and "γ = 0.99" in fig._suptitle.get_text()
    assert "ε" not in fig._suptitle.get_text(), "ε changes every step while it decays: the status line shows it"


def test_q_lines_are_told_apart_by_style_not_only_colour():
    fig = TrainingFigure(action_names=("push left", "push right"))
    assert fig.q_lines[0].get_linestyle() != fig.q_lines[1].get_linestyle()
    assert [ln.get_label() for ln in fig.q_lines] == ["Q(s, push left)", "Q(s, push right)"]


def test_moving_average_skips_the_nan_a_dqn_loss_history_starts_with():
    from helpers.views.axes import moving_average

    loss = np.r_[np.full(5, np.nan), np.arange(1.0, 11.0)]  # no gradient step in the first rows: NaN
    smooth = moving_average(loss, window=3)
    assert np.isnan(smooth[:5]).all()  # nothing to average yet
    assert smooth[5:] == pytest.approx([1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    assert moving_average(np.array([1.0, np.inf, 3.0]), window=2) == pytest.approx([1.0, 1.0, 3.0])


def test_the_loss_panel_draws_its_moving_average_after_a_nan_start():
    h = history(steps=2_000)
    h.clear()
    for i in range(2_000):  # as a DQN records: no loss until its first training phase
        h.record(step=i, episode=i // 50, loss=float("nan") if i < 256 else 1.0 / (1 + i), q_mean=[0.0, 0.0],
                 alpha=1.0, gamma=0.99, epsilon=0.5, learning_rate=1e-3, episode_return=float("nan"))
    fig = TrainingFigure(returns=True).update(h.snapshot())
    x, y = fig.smooth_line.get_data()
    assert len(x) > 500 and np.isfinite(y).all() and x[-1] == 1_999


def test_a_progress_bar_shows_the_average_rate_a_lesson_prints_beside_it():
    """Lesson 04's bar read 10.40 sample/s beside a printed 6.5: the bar must show the run's average."""
    import re
    import time

    from tqdm.notebook import tqdm as notebook_tqdm  # what tqdm.auto picks in JupyterLab

    from helpers.core.timing import progress_bar

    smoothing = progress_bar(range(1), True, "article loop", "sample").smoothing
    bar = notebook_tqdm(range(200), desc="article loop", unit="sample", smoothing=smoothing)
    start = time.perf_counter()
    for i in bar:
        time.sleep(1.0 if i == 0 else 0.005)  # a slow first call (tracing), then fast ones
    average = 200 / (time.perf_counter() - start)
    shown = float(re.findall(r"([\d.]+)sample/s", bar.container.children[-1].value)[-1])
    assert shown == pytest.approx(average, rel=0.1), f"the bar shows {shown}/s, the run's average is {average:.1f}/s"
