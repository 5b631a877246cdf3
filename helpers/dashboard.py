"""A live training dashboard: sliders and buttons that steer a running Trainer.

    from helpers.trainer import Trainer
    from helpers.dashboard import Dashboard
    trainer = Trainer(env="CartPole-v1", alpha=0.5, gamma=0.9, seed=0)
    Dashboard(trainer)          # the last expression of a cell shows it

How it stays responsive:

- the training runs in the trainer's own thread, so the kernel is free to
  handle widget messages (a loop inside a cell would block them: ipykernel#65);
  a slider's `observe` callback writes the new value into `trainer.params`,
  and the next training step uses it;
- ONE render thread of the dashboard wakes on a wall-clock timer (2 Hz by
  default), refreshes the status line, and, when the history grew, redraws
  the object-API matplotlib figure and sets its PNG as an `ipywidgets.Image`
  value. (ipympl's `draw_idle` sends nothing while the kernel is busy,
  ipympl#258, and matplotlib must be touched by one thread only, ipympl#610.)
  Frames that take long are spaced out so that drawing never takes more than
  a quarter of the time the training thread could use;
- errors raised in a callback, in the render thread, or in the training
  thread (`trainer.error`) all land in the dashboard's red error area;
- one dashboard per `key` (default: one per kernel): showing a new one closes
  the previous one, and stops its trainer if that is a different trainer, so
  re-running a cell never leaves a hidden training or render loop behind.
"""

from __future__ import annotations

import functools
import html
import threading
import time
import traceback
from collections import deque

import ipywidgets as w
import numpy as np

# name -> (widget class, keyword arguments). Steps of 0.01 so that a teacher
# can move alpha/gamma/epsilon with the arrow keys in visible, exact steps.
SLIDERS = {
    "alpha": (w.FloatSlider, dict(description="α  alpha", min=0.0, max=1.0, step=0.01)),
    "gamma": (w.FloatSlider, dict(description="γ  gamma", min=0.0, max=1.0, step=0.01)),
    "epsilon": (w.FloatSlider, dict(description="ε  epsilon", min=0.0, max=1.0, step=0.01)),
    "learning_rate": (w.FloatLogSlider, dict(description="learning rate", base=10, min=-5, max=-0.5,
                                              step=0.1, readout_format=".1e")),
}
BUTTONS = {  # name -> (label, icon, style)
    "start": ("Start", "play", "success"),
    "pause": ("Pause", "pause", "warning"),
    "stop": ("Stop", "stop", "danger"),
    "reset": ("Reset", "refresh", ""),
}
RENDER_SHARE = 0.25  # at most this fraction of wall time goes to drawing frames
MAX_REST = 1.0  # seconds: the longest pause between two frames
# Steps a frame reads from the history: all of a short run, evenly spaced ones of a long
# run, so that a frame costs the same after an hour of training as after a minute.
SNAPSHOT_ROWS = 20_000
_LIVE: dict[str, "Dashboard"] = {}  # key -> the dashboard currently shown
_LIVE_LOCK = threading.Lock()


class Dashboard:
    """Sliders, buttons, status line, live two-panel figure and error area for one Trainer."""

    def __init__(self, trainer, *, steps: int | None = None, fps: float = 2.0, render: bool = True,
                 key: str = "default", figure=None):
        self.trainer, self.steps, self.period, self.render = trainer, steps, 1.0 / fps, render
        self.frames, self.frame_times = 0, deque(maxlen=100)  # seconds per redraw, for benchmarks
        self.errors_seen: list[str] = []  # every reported error, also shown in self.errors
        self._figure, self._drawn_key, self._last_trainer_error = figure, None, None
        self._syncing, self._lock, self._closed = False, threading.Lock(), threading.Event()
        self._wake = threading.Event()  # set by a change or close(): draw now, not at the next tick
        self._build_widgets()
        self._connect()
        _replace_live(key, self)
        self._thread = threading.Thread(target=self._render_loop, name="dashboard-render", daemon=True)
        self._thread.start()

    # -- widgets ---------------------------------------------------------------

    def _build_widgets(self) -> None:
        """Create every widget; the layout is wide and large enough to project."""
        # continuous_update=False: a drag is one change (one marker), sent when the mouse is released
        self.sliders = {name: cls(value=float(getattr(self.trainer.params, name)), continuous_update=False,
                                  layout=w.Layout(width="460px"), style={"description_width": "110px"}, **kwargs)
                        for name, (cls, kwargs) in SLIDERS.items()}
        self.buttons = {name: w.Button(description=label, icon=icon, button_style=style,
                                       layout=w.Layout(width="110px"))
                        for name, (label, icon, style) in BUTTONS.items()}
        self.status = w.HTML(layout=w.Layout(width="100%"))
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width="1100px"))
        self.errors = w.Output(layout=w.Layout(max_height="240px", overflow="auto"))
        # The sliders keep their width; the status line wraps in what is left (never the reverse).
        controls = w.VBox(list(self.sliders.values()), layout=w.Layout(flex="0 0 auto"))
        side = w.VBox([w.HBox(list(self.buttons.values())), self.status],
                      layout=w.Layout(flex="1 1 auto", min_width="0", margin="0 0 0 16px"))
        self.widget = w.VBox([w.HBox([controls, side]), self.image, self.errors])
        self._show_status()

    def _connect(self) -> None:
        """Attach the callbacks; each one reports its errors instead of losing them."""
        for name, slider in self.sliders.items():
            slider.observe(self._callback(functools.partial(self._on_slider, name), f"{name} slider"), names="value")
        for name, button in self.buttons.items():
            button.on_click(self._callback(getattr(self, f"_on_{name}"), f"{name.capitalize()} button"))
        self._param_observer = self._guard(self._on_param, "parameter sync")
        self.trainer.params.observe(self._param_observer, names=list(SLIDERS))

    def _repr_mimebundle_(self, **kwargs):
        """Display as the dashboard's widget (the last expression of a cell)."""
        return self.widget._repr_mimebundle_(**kwargs)

    # -- callbacks (kernel main thread) -------------------------------------

    def _on_slider(self, name: str, change) -> None:
        """A slider moved: hand the value to the trainer, effective at its next step."""
        if self._syncing:
            return
        try:
            self.trainer.set(name, change["new"])
        except Exception:
            self._move_slider(name, getattr(self.trainer.params, name))  # show the value in force
            raise

    def _on_param(self, change) -> None:
        """A parameter changed (slider or trainer.set): match its slider, and show the marker at once."""
        self._move_slider(change["name"], change["new"])
        self._wake.set()  # a change is rare (human speed): worth a frame now, not up to a second later

    def _move_slider(self, name: str, value: float) -> None:
        """Set a slider without its callback writing the value back to the trainer."""
        self._syncing = True
        try:
            self.sliders[name].value = value
        finally:
            self._syncing = False

    def _on_start(self, _button=None) -> None:
        """Start training (or resume it when paused); a running trainer is left alone."""
        status = self.trainer.status
        if status == "paused":
            self.trainer.resume()
        elif status != "running":
            self.trainer.start(steps=self.steps)
        self._show_status()

    def _on_pause(self, _button=None) -> None:
        """Pause a running training; resume a paused one."""
        if self.trainer.status == "running":
            self.trainer.pause()
        elif self.trainer.status == "paused":
            self.trainer.resume()
        self._show_status()

    def _on_stop(self, _button=None) -> None:
        """Stop the training thread (the model and history stay consistent)."""
        if self.trainer.status in ("running", "paused"):
            self.trainer.stop()
        self._show_status()

    def _on_reset(self, _button=None) -> None:
        """Stop, then start over: fresh model, empty history, step 0."""
        self._on_stop()
        self.trainer.reset()
        self._show_status()

    # public names, so a notebook cell can do what a button does
    start, pause, stop, reset = _on_start, _on_pause, _on_stop, _on_reset

    def watch(self, steps: int, timeout: float | None = None) -> None:
        """Train `steps` more steps (starting or resuming if needed) and wait for them."""
        t, first = self.trainer, self.trainer.step_count
        if t.status == "paused":
            t.resume()
        elif t.status != "running":
            t.start(steps=steps)  # bounded: a lesson run in fast mode never leaves training behind
        deadline = None if timeout is None else time.monotonic() + timeout
        while t.status == "running" and t.step_count < first + steps:
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self._show_status()

    # -- the render thread ---------------------------------------------------

    def _render_loop(self) -> None:
        """Tick on a wall-clock timer until closed; a failing tick is reported, not fatal."""
        while not self._closed.is_set():
            started = time.monotonic()
            self._wake.clear()
            self._guard(self._tick, "render thread")()
            self._wake.wait(rest_after(time.monotonic() - started, self.period))

    def _tick(self) -> None:
        """One frame: status line, training-thread errors, and the figure if the history grew."""
        self._show_status()
        error = getattr(self.trainer, "error", None)
        if error is not None and error is not self._last_trainer_error:
            self._last_trainer_error = error
            self.report("training thread", error)
        if self.render:
            self._redraw()

    def _redraw(self) -> None:
        """Redraw the figure into the Image if the history changed since the last frame (render thread only)."""
        key = (self.trainer.step_count, len(self.trainer.history.changes))
        if key == self._drawn_key:
            return  # nothing new: an idle dashboard costs no rendering
        start = time.perf_counter()
        if self._figure is None:
            from .plots import TrainingFigure  # matplotlib loads here, in the render thread

            self._figure = TrainingFigure()
        self._figure.update(self.trainer.history.snapshot(max_rows=SNAPSHOT_ROWS))
        self.image.value = self._figure.png()
        self._drawn_key = key
        self.frames += 1
        self.frame_times.append(time.perf_counter() - start)

    def _show_status(self) -> None:
        """Refresh the status line and which buttons make sense now."""
        t = self.trainer
        rate = t.samples_per_second if t.status == "running" else 0.0  # not the last run's rate when idle
        text = status_html(t.step_count, t.episode, rate, t.status, len(self.errors_seen), t.batch_size)
        if text != self.status.value:  # unchanged values send no message to the browser
            self.status.value = text
        self._enable_buttons(t.status)

    def _enable_buttons(self, status: str) -> None:
        """Grey out the buttons that would do nothing in this state."""
        b = self.buttons
        wanted = {"start": status in ("running", "paused"), "pause": status not in ("running", "paused"),
                  "stop": status not in ("running", "paused"), "reset": False}
        label = "Resume" if status == "paused" else "Pause"
        for name, disabled in wanted.items():
            if b[name].disabled != disabled:
                b[name].disabled = disabled
        if b["pause"].description != label:
            b["pause"].description, b["pause"].icon = label, "play" if status == "paused" else "pause"

    # -- errors ----------------------------------------------------------------

    def _guard(self, fn, where: str):
        """Wrap fn so that an exception is shown in the error area instead of lost."""
        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - shown to the learner, who can act on it
                self.report(where, e)
        return guarded

    def _callback(self, fn, where: str):
        """A widget callback: guarded, and inert once this dashboard was replaced or closed."""
        guarded = self._guard(fn, where)

        @functools.wraps(fn)
        def callback(*args, **kwargs):
            if not self._closed.is_set():  # an old dashboard's widgets must not steer the trainer
                return guarded(*args, **kwargs)
        return callback

    def report(self, where: str, error: BaseException) -> None:
        """Show an error (with its traceback) in the dashboard's error area, once."""
        text = f"Error in the {where}: {type(error).__name__}: {error}\n"
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        with self._lock:  # several threads may report; none may overwrite another's output
            if self.errors_seen and self.errors_seen[-1] == text:
                return  # the same failure every frame would bury the first one
            self.errors_seen.append(text)
            self.errors.append_stderr(text + detail)

    # -- lifetime --------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the render thread is alive."""
        return self._thread.is_alive()

    def close(self, stop_trainer: bool = False, timeout: float = 5.0) -> None:
        """Stop the render thread, detach from the trainer, close the widgets."""
        self._closed.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.trainer.params.unobserve(self._param_observer, names=list(SLIDERS))
        if stop_trainer and self.trainer.status in ("running", "paused"):
            self.trainer.stop()
        _close_tree(self.widget)


def rest_after(spent: float, period: float) -> float:
    """Seconds the render thread rests after a tick that took `spent` seconds."""
    # The period when frames are cheap; longer when they are not, so that drawing (which holds
    # the GIL the training thread needs) takes at most RENDER_SHARE of the time; but never so
    # long that a slider move shows up later than about a second.
    return min(max(period - spent, spent * (1 / RENDER_SHARE - 1)), MAX_REST)


def status_html(step: int, episode: int, samples_per_second: float, status: str, errors: int = 0,
                batch_size: int = 1) -> str:
    """The status line: status, step, episode, steps/s and samples/s, large enough to read on a projector."""
    colour = {"running": "#1a7f37", "paused": "#9a6700", "error": "#cf222e"}.get(status, "#57606a")
    first = f"<b style='color:{colour}'>● {html.escape(status)}</b>"
    if errors:
        first += f" &nbsp;<b style='color:#cf222e'>({errors} error{'s' * (errors > 1)}, see below the figure)</b>"
    numbers = " &nbsp;·&nbsp; ".join([f"step <b>{step:,}</b>", f"episode <b>{episode:,}</b>",
                                      f"<b>{samples_per_second / batch_size:,.0f}</b> steps/s "
                                      f"({samples_per_second:,.0f} samples/s)"])
    # tabular figures: the numbers change twice a second and must not make the line jitter
    return (f"<div style='font-size:1.3em; line-height:1.6; padding-top:4px; "
            f"font-variant-numeric:tabular-nums'>{first}<br>{numbers}</div>")


def _close_tree(widget) -> None:
    """Close a widget and all its children (their front-end views disappear)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _replace_live(key: str, dashboard: Dashboard) -> None:
    """Make dashboard the live one for key; close the previous one and stop its other trainer."""
    with _LIVE_LOCK:
        previous, _LIVE[key] = _LIVE.get(key), dashboard
    if previous is not None and previous is not dashboard:
        previous.close(stop_trainer=previous.trainer is not dashboard.trainer)


def stretches(snapshot: dict, names=("alpha", "gamma", "learning_rate")) -> list[dict]:
    """Split a history snapshot where a hyperparameter changed; summarise each stretch of steps."""
    n = len(snapshot["step"])
    if n == 0:
        return []
    values = np.column_stack([snapshot[k] for k in names])
    starts = np.flatnonzero(np.r_[True, (values[1:] != values[:-1]).any(axis=1)])
    rows = []
    for a, b in zip(starts, np.r_[starts[1:], n]):
        q = snapshot["q_mean"][a:b].max(axis=1)
        rows.append({"from": int(snapshot["step"][a]), "to": int(snapshot["step"][b - 1]),
                     **{k: float(snapshot[k][a]) for k in names},
                     "q_end": float(q[-max(1, len(q) // 5):].mean()),  # where the stretch got to
                     "loss_median": float(np.median(snapshot["loss"][a:b]))})
    return rows


def stretch_table(trainer) -> str:
    """A table of stretches(): which alpha/gamma/learning rate, where Q got to, the typical loss."""
    lines = [f"{'steps':>15}  {'alpha':>5}  {'gamma':>5}  {'lr':>7}  {'Q at end':>8}  {'median loss':>11}"]
    for r in stretches(trainer.history.snapshot()):
        lines.append(f"{r['from']:>6} - {r['to']:>6}  {r['alpha']:5.2f}  {r['gamma']:5.2f}  "
                     f"{r['learning_rate']:7.1e}  {r['q_end']:8.2f}  {r['loss_median']:11.2e}")
    return "\n".join(lines)
