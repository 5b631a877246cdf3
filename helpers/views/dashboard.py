"""A live training dashboard: sliders and buttons that steer any running agent (a runs.Steerable).

    trainer = Trainer.create(env="CartPole-v1", alpha=0.5, gamma=0.9, seed=0)   # or a DQNAgent, a TabularAgent
    Dashboard(trainer)          # the last expression of a cell shows it

How it stays responsive:

- training runs in the agent's own thread, so the kernel is free to handle widget messages
  (a loop inside a cell would block them: ipykernel#65); a slider's callback writes the new
  value into the agent's params, and the next training step uses it;
- while a cell waits for training (`watch`, the lessons' waiting helpers), the widgets' messages
  go to a kernel subshell (controls.hear_while_busy), so sliders and buttons still act; the
  "in force" line under the sliders shows the values the agent uses, so a slider the kernel has
  not heard yet (a frontend without subshells) never passes for the value in force;
- the dashboard's cell is always laid out (ALWAYS_LAID_OUT): JupyterLab's windowing skips the layout
  of off-screen cells, and a figure created there during Run All stayed 0 x 0 px; the image's box
  has the figure's pixel size from the start, so nothing jumps when the first frame arrives;
- ONE render thread wakes on a wall-clock timer (2 Hz by default) or a change, refreshes the
  status line and, when the history grew, redraws the object-API matplotlib figure into an
  `ipywidgets.Image` (ipympl's draw_idle sends nothing while the kernel is busy, ipympl#258;
  matplotlib must be touched by one thread only, ipympl#610); slow frames are spaced out so
  drawing never takes more than a quarter of the time training could use;
- errors from a callback, the render thread or the training thread land in the red error area;
- one dashboard per `key` (default: one per kernel): showing a new one closes the previous one
  and stops its agent if different, so re-running a cell never leaves a hidden loop behind.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque

import ipywidgets as w

from helpers.runs.lifecycle import Status
from helpers.views.controls import ReportingLink, close_tree, guard, hear_while_busy, report_once
from helpers.views.figures import make_figure
from helpers.views.parts import ALWAYS_LAID_OUT, BUTTONS, LIVE_PACE, SLIDERS, SYMBOLS
from helpers.views.readouts import in_force_html, rest_after, status_html, stretch_table, stretches  # noqa: F401
from helpers.views.waiting import Waiting

# Steps a frame reads from the history: all of a short run, evenly spaced ones of a long
# run, so that a frame costs the same after an hour of training as after a minute.
SNAPSHOT_ROWS = 20_000
_LIVE: dict[str, Dashboard] = {}  # key -> the dashboard currently shown
_LIVE_LOCK = threading.Lock()


class Dashboard(Waiting):
    """Sliders, buttons, status line, live two-panel figure and error area for one Trainer."""

    def __init__(self, trainer, *, steps: int | None = None, fps: float = 2.0, render: bool = True,
                 key: str = "default", figure=None, pace: float | None = None):
        self.trainer, self.steps, self.period, self.render = trainer, steps, 1.0 / fps, render
        self.frames, self.frame_times = 0, deque(maxlen=100)  # seconds per redraw, for benchmarks
        self.errors_seen: list[str] = []  # every reported error, also shown in self.errors
        self.heard: deque = deque(maxlen=200)  # (perf_counter, knob, value): when the kernel heard a change
        self.drawn: deque = deque(maxlen=200)  # (perf_counter, number of changes drawn): frames sent
        self._note: str | None = None  # what a waiting cell is doing, for the status line
        self._stop_pressed = threading.Event()  # Stop during a waiting cell ends the wait (views.waiting)
        spec = trainer.figure_spec()
        trainer.pace = pace or LIVE_PACE.get(spec["kind"])  # steps a second while this dashboard shows it
        if figure is None:  # built here (before the render thread exists) for its pixel size, even if render
            figure = make_figure(spec)  # is off at first: a later `render = True` draws into it
            figure.count_in_title = False  # the status line shows the count: the title stays static
        self._figure, self._drawn_key, self._last_trainer_error = figure, None, None
        self._lock, self._closed = threading.Lock(), threading.Event()
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
                        for name, (cls, kwargs) in SLIDERS.items() if name in self.trainer.knobs}
        self.buttons = {name: w.Button(description=label, icon=icon, button_style=style,
                                       layout=w.Layout(width="110px"))
                        for name, (label, icon, style) in BUTTONS.items()}
        self.status = w.HTML(layout=w.Layout(width="100%"))
        self.in_force = w.HTML(layout=w.Layout(margin="2px 0 0 8px"))
        # Width AND height in pixels: the box never waits for the picture; narrower than the figure
        # (a small screen), it shrinks and keeps its proportions.
        canvas = getattr(self._figure, "canvas", None)  # a figure of the kit's, or any object with update/png
        width, height = canvas.get_width_height() if canvas is not None else (1000, 600)
        self.image = w.Image(format="png", layout=w.Layout(width=f"{width}px", height=f"{height}px", max_width="100%",
                                                           object_fit="contain"))
        self.errors = w.Output(layout=w.Layout(max_height="240px", overflow="auto"))
        # The sliders keep their width; the status line wraps in what is left (never the reverse).
        controls = w.VBox([*self.sliders.values(), self.in_force], layout=w.Layout(flex="0 0 auto"))
        side = w.VBox([w.HBox(list(self.buttons.values())), self.status],
                      layout=w.Layout(flex="1 1 auto", min_width="0", margin="0 0 0 16px"))
        self.widget = w.VBox([w.HBox([controls, side]), self.image, self.errors, w.HTML(ALWAYS_LAID_OUT)])
        self.widget.add_class("qkit-dashboard")
        hear_while_busy(self.widget)
        self._show_status()

    def _connect(self) -> None:
        """Bind each slider to its trait; attach the buttons; every error lands in the error area."""
        self._links = [ReportingLink((self.trainer.params, name), (slider, "value"),
                                      functools.partial(self.report, f"{name} slider"))
                       for name, slider in self.sliders.items()]
        for name, button in self.buttons.items():
            button.on_click(self._callback(getattr(self, f"_on_{name}"), f"{name.capitalize()} button"))
        self._param_observer = self._guard(self._on_param, "parameter change")
        self.trainer.params.observe(self._param_observer, names=list(self.sliders))

    def _repr_mimebundle_(self, **kwargs):
        """Display as the dashboard's widget (the last expression of a cell)."""
        return self.widget._repr_mimebundle_(**kwargs)

    # -- callbacks (kernel main thread) -------------------------------------

    def _on_param(self, change) -> None:
        """A knob changed (slider or code): draw its marker now, not up to a second later."""
        self.heard.append((time.perf_counter(), change["name"], change["new"]))
        self._wake.set()

    def _on_start(self, _button=None) -> None:
        """Start training (or resume it when paused); a running trainer is left alone."""
        status = self.trainer.status
        if status == Status.PAUSED:
            self.trainer.resume()
        elif status != Status.RUNNING:
            self.trainer.start(steps=self.steps)
        self._show_status()

    def _on_pause(self, _button=None) -> None:
        """Pause a running training; resume a paused one."""
        if self.trainer.status == Status.RUNNING:
            self.trainer.pause()
        elif self.trainer.status == Status.PAUSED:
            self.trainer.resume()
        self._show_status()

    def _on_stop(self, _button=None) -> None:
        """Stop the training thread (the model and history stay consistent)."""
        self._stop_pressed.set()  # even between two bounded runs of a waiting cell: it must not restart
        if self.trainer.status in (Status.RUNNING, Status.PAUSED):
            self.trainer.stop()
        self._show_status()

    def _on_reset(self, _button=None) -> None:
        """Stop, then start over: fresh model, empty history, step 0."""
        self._on_stop()
        self.trainer.reset()
        self._show_status()

    # public names, so a notebook cell can do what a button does
    start, pause, stop, reset = _on_start, _on_pause, _on_stop, _on_reset

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
        key = self.trainer.frame_key()
        if key == self._drawn_key:
            return  # nothing new: an idle dashboard costs no rendering
        start = time.perf_counter()
        self._figure.update(self.trainer.snapshot(max_rows=SNAPSHOT_ROWS))
        self.image.value = self._figure.png()
        self._drawn_key = key
        self.drawn.append((time.perf_counter(), len(self.trainer.history.changes)))
        self.frames += 1
        self.frame_times.append(time.perf_counter() - start)

    def _show_status(self) -> None:
        """Refresh the status line and which buttons make sense now."""
        t = self.trainer
        text = status_html(t.status, t.status_items(), len(self.errors_seen), self._note)
        if text != self.status.value:  # unchanged values send no message to the browser
            self.status.value = text
        force = in_force_html({SYMBOLS[name]: f"{getattr(t.params, name):{s.readout_format}}".replace("e-0", "e-")
                               for name, s in self.sliders.items()})  # as the slider reads it: 2.3e-3
        if force != self.in_force.value:
            self.in_force.value = force
        # a waiting cell trains in bounded runs: between two of them, Pause and Stop must stay pressable
        self._enable_buttons(Status.RUNNING if self._note and t.status == Status.FINISHED else t.status)

    def _enable_buttons(self, status: str) -> None:
        """Grey out the buttons that would do nothing in this state."""
        b = self.buttons
        active = status.active if isinstance(status, Status) else False
        wanted = {"start": active, "pause": not active, "stop": not active, "reset": False}
        label = "Resume" if status == Status.PAUSED else "Pause"
        for name, disabled in wanted.items():
            if b[name].disabled != disabled:
                b[name].disabled = disabled
        if b["pause"].description != label:
            b["pause"].description, b["pause"].icon = label, "play" if status == Status.PAUSED else "pause"

    # -- errors (shown in the error area, never lost) --------------------------

    def _guard(self, fn, where: str):
        return guard(fn, functools.partial(self.report, where))

    def _callback(self, fn, where: str):
        """A widget callback: guarded, and inert once this dashboard was replaced or closed."""
        return guard(fn, functools.partial(self.report, where), active=lambda: not self._closed.is_set())

    def report(self, where: str, error: BaseException) -> None:
        """Show an error (with its traceback) in the dashboard's error area, once."""
        report_once(self.errors, self.errors_seen, self._lock, where, error)

    # -- lifetime --------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the render thread is alive."""
        return self._thread.is_alive()

    def close(self, stop_trainer: bool = False, timeout: float = 5.0) -> None:
        """Stop the render thread, detach from the trainer, close the widgets (a second call does nothing more)."""
        already = self._closed.is_set()
        self._closed.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if already:
            return
        self.trainer.params.unobserve(self._param_observer, names=list(self.sliders))
        for link in self._links:
            link.unlink()
        if stop_trainer and self.trainer.status in (Status.RUNNING, Status.PAUSED):
            self.trainer.stop()
        close_tree(self.widget)


def _replace_live(key: str, dashboard: Dashboard) -> None:
    """Make dashboard the live one for key; close the previous one and stop its other trainer."""
    with _LIVE_LOCK:
        previous, _LIVE[key] = _LIVE.get(key), dashboard
    if previous is not None and previous is not dashboard:
        previous.close(stop_trainer=previous.trainer is not dashboard.trainer)
