"""The sweep's local backend: spawn worker processes, one trial at a time each, and a dead worker noticed at once.

multiprocessing.Pool waits forever for a task whose worker was killed (SIGKILL, the OOM killer). Here the
parent hands each worker one trial through its own pipe and watches the workers' process sentinels with the
pipes: a worker that dies mid-trial is seen within milliseconds, its trial is run once more in a fresh worker,
and reported lost if that one dies too; the other trials go on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from multiprocessing.connection import wait

from helpers.sweeps.trials import LIB_ENV, ONE_THREAD, run_one

TRIES = 2  # a trial whose worker dies runs once more, then is given up as lost


def _serve(conn, lib_path: str) -> None:
    """A worker: Ctrl+C is the parent's, one TF thread, the parent's library; run jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update({**ONE_THREAD, LIB_ENV: lib_path})
    try:
        while (job := conn.recv()) is not None:
            conn.send(run_one(job))
    except (EOFError, OSError):  # the parent is gone
        pass


class _Worker:
    """One spawned process, its pipe, and the job it is running (None when idle)."""

    def __init__(self, ctx, lib_path: str):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, lib_path), name="qkit-sweep-worker", daemon=True)
        self.process.start()
        child.close()  # so the parent sees EOF when the worker dies
        self.job = None

    def result(self):
        """The finished job's (index, metrics, error) if the worker sent it, else None."""
        try:
            return self.conn.recv() if self.job is not None and self.conn.poll() else None
        except (EOFError, OSError, ValueError):  # died before (or while) sending
            return None

    def close(self) -> None:
        """Ask an idle worker to leave, end a busy one, and reap it."""
        if self.process.is_alive() and self.job is None:
            try:
                self.conn.send(None)
                self.process.join(2)
            except OSError:
                pass
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.conn.close()


def how_it_died(exitcode: int | None) -> str:
    """A worker's exit code in words."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return name + (": out of memory?" if name == "SIGKILL" else "")
    return f"exit code {exitcode}"


def run_local(fn, trials, fixed, workers: int, lib_path, on_result, on_lost) -> None:
    """Each trial in one of `workers` spawn processes (in this process if workers == 0).

    on_result(index, metrics, error) gets each finished trial; on_lost(index, why, retried) each trial whose
    worker died (retried: it runs once more).
    """
    jobs = [(i, fn, params, seed, fixed) for i, (params, seed) in enumerate(trials)]
    if workers == 0:
        for job in jobs:
            on_result(*run_one(job))
        return
    ctx, todo, tries, crew = mp.get_context("spawn"), deque(jobs), dict.fromkeys(range(len(jobs)), 0), []
    try:
        crew = [_Worker(ctx, str(lib_path)) for _ in range(min(workers, len(jobs)))]
        while todo or any(w.job is not None for w in crew):
            for w in crew:
                if w.job is None and todo:
                    w.job = todo.popleft()
                    tries[w.job[0]] += 1
                    w.conn.send(w.job)
            wait([w.conn for w in crew] + [w.process.sentinel for w in crew])
            for k, w in enumerate(crew):
                if (result := w.result()) is not None:
                    w.job = None
                    on_result(*result)
                elif not w.process.is_alive():  # died: a fresh worker takes its place
                    lost, why = w.job, how_it_died(w.process.exitcode)
                    w.job = None
                    w.close()
                    crew[k] = _Worker(ctx, str(lib_path))
                    if lost is not None:
                        retried = tries[lost[0]] < TRIES
                        if retried:
                            todo.appendleft(lost)
                        on_lost(lost[0], why, retried)
    finally:
        for w in crew:  # on Ctrl+C or a failed trial too: stop the workers now
            w.close()
