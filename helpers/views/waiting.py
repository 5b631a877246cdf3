"""How a cell waits for a dashboard's training: the sliders and buttons act meanwhile, the status line says so."""

from __future__ import annotations

import contextlib
import time
from contextlib import contextmanager

from helpers.runs.lifecycle import Status


class Waiting:
    """Dashboard methods for cells that train and wait (dash.watch, the lessons' waiting helpers)."""

    def watch(self, steps: int, timeout: float | None = None, note: str | None = None) -> bool:
        """Train `steps` more steps (starting or resuming if needed) and wait for them; True when done.

        The sliders and buttons act meanwhile: Pause keeps this cell waiting until Resume, Stop ends
        the wait (False). Interrupting the kernel stops the training after its current step.
        """
        t, first = self.trainer, self.trainer.step_count
        if t.status == Status.PAUSED:
            t.resume()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.waiting(note or f"· this cell waits for {steps:,} steps"):
            try:
                while t.step_count < first + steps and not self._stop_pressed.is_set():
                    if t.status == Status.FINISHED or t.status == Status.IDLE:  # (re)start, bounded: a lesson
                        with contextlib.suppress(RuntimeError):  # run in fast mode leaves nothing behind;
                            t.start(steps=first + steps - t.step_count)  # a run just ending: retry in 20 ms
                    elif not t.status.active:
                        break  # Stop pressed, or an error (shown in the error area)
                    if deadline is not None and time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
            except KeyboardInterrupt:  # the kernel's interrupt: stop after a whole step, then say so
                t.stop()
                raise
        return t.step_count >= first + steps

    @contextmanager
    def waiting(self, note: str):
        """While a cell waits for training, the status line says so (the outermost note wins)."""
        if self._note is None:  # the outermost wait: a Stop pressed before it does not end it
            self._stop_pressed.clear()
        outer, self._note = self._note, self._note or note
        self._show_status()
        try:
            yield
        finally:
            self._note = outer
            self._show_status()
