"""The life of a training run: one state machine, one background thread.

    >>> runner = Runner(agent.step)       # any function that does one training step
    >>> runner.start()                    # a background thread; returns at once
    >>> runner.pause(); runner.resume()
    >>> with runner.between_steps():      # no step runs inside this block
    ...     save(agent)
    >>> runner.stop()                     # always wins, whatever else is pressed

Why a thread: a cell that loops blocks the kernel, so sliders could not reach
it (design notes, section 1). Why one condition variable: every state change
happens under it, so a pause() racing a stop() can never lose the stop.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager


class Status(str, enum.Enum):
    """Where a run is. A str, so ``status == "running"`` also reads naturally."""

    IDLE = "idle"  # built, never started (or reset)
    RUNNING = "running"
    PAUSED = "paused"  # parked between two steps
    STOPPED = "stopped"  # stop() was called
    FINISHED = "finished"  # did the steps it was asked for
    ERROR = "error"  # a step raised: see Runner.error

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:  # hash like the string it equals, so dict lookups by "running" work
        return hash(self.value)

    @property
    def active(self) -> bool:
        """True while a training thread owns the run (running or paused)."""
        return self in (Status.RUNNING, Status.PAUSED)


class Runner:
    """Run step() repeatedly in a background thread, with start/pause/resume/stop.

    Rules: stop() always wins over a concurrent pause() or resume(); a step is
    never cut in half (between_steps() waits for the current one); an error in a
    step ends the run with Status.ERROR and is kept in .error, never lost.
    """

    def __init__(self, step: Callable[[], None], name: str = "qkit-trainer"):
        self._step, self._name = step, name
        self._cv = threading.Condition()  # guards every field below
        self._status = Status.IDLE
        self._stop_wanted = self._pause_wanted = False
        self._thread: threading.Thread | None = None
        self._step_lock = threading.RLock()  # held for each whole step
        self._control = threading.RLock()  # start, stop and reset, one at a time
        self.error: BaseException | None = None
        self.steps_done = 0  # steps done by the current (or last) run

    def __repr__(self) -> str:
        return f"<Runner {self._status.value}, {self.steps_done} steps>"

    @property
    def status(self) -> Status:
        return self._status

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def interrupt_wanted(self) -> bool:
        """True once stop() or pause() is asked for: a long step may end early, at a point it can record."""
        return self._stop_wanted or self._pause_wanted

    def alive(self) -> bool:
        """True while the training thread exists and has not ended."""
        return self._thread is not None and self._thread.is_alive()

    # -- control (any thread) --

    def start(self, steps: int | None = None) -> None:
        """Start a run of `steps` steps (None: until stop()) in a new thread."""
        with self._control, self._cv:
            if self._status.active or self.alive():
                raise RuntimeError(f"already {self._status.value}: use pause()/resume(), or stop() before "
                                   "starting again")
            self._stop_wanted = self._pause_wanted = False
            self._status, self.error, self.steps_done = Status.RUNNING, None, 0
            self._thread = threading.Thread(target=self._loop, args=(steps,), name=self._name, daemon=True)
            self._thread.start()

    def pause(self, timeout: float = 10.0) -> None:
        """Park the thread between two steps; returns once it has parked (or the run ended)."""
        with self._cv:
            if self._status is not Status.RUNNING or self._stop_wanted:
                return
            self._pause_wanted = True
            self._cv.notify_all()
            if threading.current_thread() is not self._thread:
                self._cv.wait_for(lambda: self._status is not Status.RUNNING, timeout)

    def resume(self) -> None:
        """Continue after pause()."""
        with self._cv:
            self._pause_wanted = False
            if self._status is Status.PAUSED and not self._stop_wanted:
                self._status = Status.RUNNING  # at once, so the caller sees it; the thread wakes next
            self._cv.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current step and wait for the thread to end."""
        if threading.current_thread() is self._thread:  # from inside a step: the loop ends after it
            with self._cv:
                self._stop_wanted, self._pause_wanted = True, False
            return
        with self._control:  # no start() can slip in between the request and the wait
            with self._cv:
                self._stop_wanted, self._pause_wanted = True, False
                self._cv.notify_all()
                # Wait for the loop's own last word, not thread.join(): a join interrupted by Ctrl+C
                # can leave Python believing a live thread has ended (CPython gh-90882).
                if not self._cv.wait_for(lambda: not self._status.active, timeout):
                    raise TimeoutError(f"the training thread did not stop within {timeout} s")
            if self._thread is not None:
                self._thread.join(1.0)  # it has left its loop: this only reaps it

    def wait(self, timeout: float | None = None) -> Status:
        """Block until the run ends (Ctrl+C here stops the run cleanly, then re-raises)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._status.active and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.02)  # interruptible by Ctrl+C, unlike a lock wait
        except KeyboardInterrupt:
            self.stop()  # the current step completes: model and history agree
            raise
        return self._status

    def reset(self, rebuild: Callable[[], None] = lambda: None) -> None:
        """Stop, call rebuild() (no start() or step can run meanwhile), and go back to IDLE."""
        with self._control:
            self.stop()
            with self._step_lock:
                rebuild()
            with self._cv:
                self._status, self.error, self.steps_done = Status.IDLE, None, 0

    @contextmanager
    def between_steps(self):
        """Hold the step lock: inside, no training step runs (for saves and snapshots)."""
        with self._step_lock:
            yield

    # -- the training thread --

    def _loop(self, steps: int | None) -> None:
        end = Status.FINISHED
        try:
            while steps is None or self.steps_done < steps:
                with self._cv:
                    while self._pause_wanted and not self._stop_wanted:
                        self._status = Status.PAUSED
                        self._cv.notify_all()
                        self._cv.wait()
                    if self._stop_wanted:
                        end = Status.STOPPED
                        break
                    self._status = Status.RUNNING
                with self._step_lock:
                    self._step()
                self.steps_done += 1
        except BaseException as e:  # kept in .error, shown by whoever watches
            self.error, end = e, Status.ERROR
        with self._cv:
            self._status = end
            self._cv.notify_all()
