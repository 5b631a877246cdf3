"""What every agent that can be steered live shares: knobs, a lifecycle, a history.

A subclass implements ``_one_step()`` (one training step, which starts with
``p = self._step_values()`` and ends by recording under ``self._params_lock``),
``_rebuild()`` (back to step 0) and ``config()``; it gets start/pause/resume/
stop/reset/train, the status, knob changes recorded at the step they take
effect, and samples per second.
"""

from __future__ import annotations

import threading
import time
import weakref

from helpers.core.knobs import NAMES, Hyperparams, check_size
from helpers.core.timing import progress_bar
from helpers.runs.lifecycle import Runner, Status

_live: weakref.WeakSet[Steerable] = weakref.WeakSet()


def running_agents() -> list[Steerable]:
    """Agents whose training thread is alive in this process."""
    return [a for a in list(_live) if a._runner.alive()]


class Steerable:
    """Knobs any thread may turn, a training thread (Runner), and counters that agree."""

    samples_per_step = 1  # transitions trained per step (a batch trainer: its batch size)
    knobs = NAMES  # the knobs a dashboard shows as sliders, in this order
    pace: float | None = None  # at most this many steps a second (a live view sets it); None: flat out

    def __init__(self, params: Hyperparams | None = None):
        self.params = params or Hyperparams()
        self._values = self.params.as_dict()  # what steps use: committed with their change record
        self._params_lock = threading.Lock()  # a step's start vs. change records
        self._in_step = False
        self._step_count = self._episode = 0
        self._rate, self._rate_mark = 0.0, (time.perf_counter(), 0)
        self._runner = Runner(self._guarded_step)
        self.params.observe(self._record_change, names=list(NAMES))

    # -- state readable from any thread --

    @property
    def status(self) -> Status:
        """Status.IDLE, RUNNING, PAUSED, STOPPED, FINISHED or ERROR (compares equal to 'idle', ...)."""
        return self._runner.status

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the last run, if any."""
        return self._runner.error

    @property
    def step_count(self) -> int:
        """Training steps done so far."""
        return self._step_count

    @property
    def episode(self) -> int:
        """Episodes finished so far."""
        return self._episode

    @property
    def samples_per_second(self) -> float:
        """Transitions trained per second over the last half second or so (0 unless running)."""
        return self._rate if self.status is Status.RUNNING else 0.0

    def set(self, name: str, value: float) -> None:
        """Set a knob (alpha, gamma, epsilon, learning_rate); used from the next step."""
        self.params.set(name, value)

    # -- what a dashboard shows (override to show more) --

    def frame_key(self):
        """Changes whenever there is something new to draw (a knob moved counts, even while idle)."""
        return (self._step_count, len(self.history.changes), tuple(self._values.values()))

    def snapshot(self, max_rows: int | None = None) -> dict:
        """What the figure draws: the history (evenly thinned to max_rows steps) and the knobs in force now."""
        snap = self.history.snapshot(max_rows=max_rows)
        snap["knobs"] = dict(self._values)
        return snap

    def figure_spec(self) -> dict:
        """What the live figure is: views.figures.make_figure(spec) draws it (the run layer draws nothing)."""
        return {"kind": "training"}

    def status_items(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the status line."""
        rate = self.samples_per_second
        return [("step", f"{self._step_count:,}"), ("episode", f"{self._episode:,}"),
                ("steps/s", f"{rate / self.samples_per_step:,.0f}"), ("samples/s", f"{rate:,.0f}")]

    # -- knobs: a change takes effect at a step boundary and is recorded with that step --

    def _record_change(self, change) -> None:
        """traitlets observer: commit the new value and record (step, name, old, new) in one locked move."""
        name, new = change["name"], change["new"]
        with self._params_lock:
            old = self._values[name]
            if new == old:
                return
            self._values[name] = new
            self.history.add_change(self._step_count + (1 if self._in_step else 0), name, old, new)

    def _step_values(self) -> dict:
        """This step's knob values (under the lock, so change records name the right step)."""
        with self._params_lock:
            self._in_step = True
            return dict(self._values)

    def _guarded_step(self) -> None:
        started = time.perf_counter()
        try:
            self._one_step()
        finally:
            with self._params_lock:
                self._in_step = False
        if self.pace:  # a step the eye can follow: rest out the rest of its time slot
            time.sleep(max(0.0, 1.0 / self.pace - (time.perf_counter() - started)))
        self._update_rate()

    def _update_rate(self) -> None:
        """Refresh samples_per_second about twice a second."""
        now, (then, steps) = time.perf_counter(), self._rate_mark
        if now - then >= 0.5:
            self._rate = (self._step_count - steps) * self.samples_per_step / (now - then)
            self._rate_mark = (now, self._step_count)

    # -- running (the lifecycle is the Runner's) --

    def start(self, steps: int | None = None):
        """Train in a background thread (until stop(), or `steps` steps) and return at once."""
        steps = None if steps is None else check_size("steps", steps)
        self._rate_mark = (time.perf_counter(), self._step_count)
        self._runner.start(steps)
        _live.add(self)
        return self

    def train(self, steps: int, progress: bool = False):
        """Train `steps` steps and return when done; errors are raised, Ctrl+C stops after a whole step."""
        bar = progress_bar(None, progress, f"training {type(self).__name__}", "step", total=steps)
        first = self._step_count
        self.start(steps)
        try:
            while self._runner.wait(0.2).active:
                if bar is not None:
                    bar.update(self._step_count - first - bar.n)
        except KeyboardInterrupt:  # wherever it lands: finish the current step, then stop
            self.stop()
            raise
        finally:
            if bar is not None:
                bar.update(self._step_count - first - bar.n)
                bar.close()
        if self.error is not None:
            raise self.error
        return self

    def pause(self, timeout: float = 10) -> None:
        """Pause between two steps (returns once the training thread has parked)."""
        self._runner.pause(timeout)

    def resume(self) -> None:
        """Continue after pause()."""
        self._rate_mark = (time.perf_counter(), self._step_count)
        self._runner.resume()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the current step and wait for the thread: model and history then agree."""
        self._runner.stop(timeout)

    def reset(self) -> None:
        """Stop, go back to step 0 (the subclass's _rebuild), clear history and counters (knobs stay)."""
        self._runner.reset(self._reset_all)

    def _reset_all(self) -> None:
        self._rebuild()
        with self._params_lock:
            self.history.clear()
            self._step_count = self._episode = 0
        self._rate = 0.0
