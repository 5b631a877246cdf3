"""How a cell waits for a dashboard's training: the sliders and buttons act meanwhile, the status line says so."""

from __future__ import annotations

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
        elif t.status != Status.RUNNING:
            t.start(steps=steps)  # bounded: a lesson run in fast mode never leaves training behind
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.waiting(note or f"· this cell waits for {steps:,} steps"):
            try:
                while t.status.active and t.step_count < first + steps:
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
        outer, self._note = self._note, self._note or note
        self._show_status()
        try:
            yield
        finally:
            self._note = outer
            self._show_status()
