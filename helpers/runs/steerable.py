"""What every agent that can be steered live shares: knobs, a lifecycle, a history.

A subclass implements ``_one_step(params)`` (one training step with this
step's knob values; it returns the step's record: history.record's fields and
the episode count), ``_rebuild()`` (back to step 0) and ``config()``; it gets
start/pause/resume/stop/reset/train, the status, each step recorded and
counted, knob changes recorded at the step they take effect, and samples per
second. For save()/load() it says what differs: ``_saved()`` (its Keras model,
or its arrays), ``_from_run(run, lib)`` (an agent rebuilt from a loaded run)
and, with a model, ``model_loader``.
"""

from __future__ import annotations

import math
import threading
import time
import weakref

from helpers.core.durable import DamagedRunError
from helpers.core.knobs import NAMES, Hyperparams, check_size
from helpers.core.timing import progress_bar
from helpers.runs import runstore
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
        self._rate, self._rate_mark = math.nan, (time.perf_counter(), 0)  # NaN: not measured yet
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
        """Transitions trained per second over the last half second or so (0 unless running; NaN while the
        first measurement is under way, e.g. while the first training phase compiles)."""
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
                ("steps/s", rate_text(rate / self.samples_per_step)), ("samples/s", rate_text(rate))]

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

    def _one_step(self, params: dict) -> dict:
        """One training step with these knob values; its record (history.record's fields, episode included)."""
        raise NotImplementedError

    def _guarded_step(self) -> None:
        """Take the knobs, run the subclass's step, record it and count it (one locked move)."""
        started = time.perf_counter()
        with self._params_lock:  # under the lock, so change records name the right step
            self._in_step = True
            params = dict(self._values)
        try:
            record = self._one_step(params)
            not_knobs = {name: math.nan for name in NAMES if name not in self.knobs}  # e.g. a table's learning_rate
            with self._params_lock:
                self.history.record(step=self._step_count, **{**params, **not_knobs, **record})
                self._episode = record["episode"]
                self._step_count += 1
                self._in_step = False  # with the count, so a change made now names the next step
        finally:
            with self._params_lock:  # a failed step too
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
        with self._params_lock:  # first what can fail (a full disk): if it does, nothing was reset
            self.history.clear()
            self._step_count = self._episode = 0
        self._rebuild()
        self._rate = 0.0

    # -- files: one save() and load() for every agent; a subclass says what differs: _saved() (its Keras
    # model, or its arrays), _from_run(run, lib) (an agent rebuilt from a loaded run) and, with a model,
    # model_loader.

    model_loader = None  # reads a saved Keras model (agents.qnet.load_model); None for an agent without one
    saved_sizes: dict[str, str] = {}  # config entries checked against knobs.SIZES on load (beyond the common ones)

    def _saved(self) -> dict:
        """What a save holds besides the history and config(): {"model": a Keras model} or {"arrays": {...}}."""
        raise NotImplementedError

    @classmethod
    def _from_run(cls, run: runstore.Run, lib):
        """An agent built from a loaded run's settings and model or arrays (load() then adds history, counters)."""
        raise NotImplementedError

    def save(self, path, extras=None):
        """Save this run into the run folder `path`, atomically (runs.runstore); it keeps training if it was.
        extras(save_folder) may write more files into the save, published with it (runstore.save_run)."""
        with self._runner.between_steps():  # a consistent picture whatever other threads do
            with self._params_lock:
                config, saved = self.config(), self._saved()
            return runstore.save_run(path, kind=type(self).__name__, history=self.history, config=config,
                                     extras=extras, **saved)

    @classmethod
    def load(cls, path, lib=None):
        """An agent restored from save(path): its model or arrays, history, counters and knobs."""
        run = runstore.load_run(path, cls.model_loader, kind=cls.__name__, sizes=cls.saved_sizes)
        try:
            agent = cls._from_run(run, lib)
        except DamagedRunError:
            raise
        except Exception as e:  # the settings passed their ranges but cannot build an agent here
            raise DamagedRunError(run.path / "config.json", f"its settings cannot build a {cls.__name__} "
                                                           f"({type(e).__name__}: {e})") from e
        agent.history = run.history
        agent._step_count, agent._episode = run.config["step_count"], run.config["episode"]
        return agent


def rate_text(rate: float) -> str:
    """'1,234' per second, or '—' before the first measurement (not a false 0 while it trains)."""
    return "—" if math.isnan(rate) else f"{rate:,.0f}"
