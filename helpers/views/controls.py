"""Widget plumbing every dashboard shares: errors that are shown, never lost; knobs linked to sliders."""

from __future__ import annotations

import functools
import threading
import traceback

import ipywidgets as w


def guard(fn, report, active=lambda: True):
    """Wrap fn so that an exception goes to report(error) instead of being lost; inert unless active()."""
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if not active():  # e.g. an old dashboard's widgets must not steer the trainer
            return None
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # shown to the learner, who can act on it
            report(e)
    return guarded


def report_once(area: w.Output, seen: list, lock: threading.Lock, where: str, error: BaseException) -> None:
    """Append 'Error in the <where>: ...' and its traceback to the error area, unless it just said so."""
    text = f"Error in the {where}: {type(error).__name__}: {error}\n"
    detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    with lock:  # several threads may report; none may overwrite another's output
        if seen and seen[-1] == text:
            return  # the same failure every frame would bury the first one
        seen.append(text)
        area.append_stderr(text + detail)


def close_tree(widget) -> None:
    """Close a widget and all its children (their front-end views disappear)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


class ReportingLink(w.link):
    """widgets.link from a knob to its slider, whose slider-side errors are reported, not lost."""

    def __init__(self, source, target, report):
        self._report = report
        super().__init__(source, target)

    def _update_source(self, change) -> None:
        try:
            super()._update_source(change)
        except Exception as e:
            with self._busy_updating():  # show the value in force again
                setattr(self.target[0], self.target[1], getattr(self.source[0], self.source[1]))
            self._report(e)


def _route_to_sender(data, default):
    """ipykernel's routing hook: a comm message goes to the shell the frontend sent it to."""
    return default


def hear_while_busy(widget) -> None:
    """Let the kernel hear this widget tree's messages while a cell runs (sliders act during a waiting cell).

    JupyterLab 4.4+ sends comm messages to a kernel subshell (its setting "Kernel Comms over subshells",
    by default one per comm target), and ipykernel 7 runs each subshell in its own thread. But ipykernel
    routes a comm's incoming messages to the shell that last *sent* on that comm (Comm._reply_subshell_for,
    for widgets that wait for a reply), and a cell created or set every one of these widgets: so a slider's
    message still queued behind the running cell. Measured here (ipykernel 7.4, a slider update sent 1 s
    into a cell that waits 4 s): not heard until the cell ended, with or without a subshell in the header;
    with this routing, heard at once on the subshell's thread; in JupyterLab 4.6 (tests/test_browser.py),
    a slider moved during train_until_solved was heard in well under a second and Stop ended the cell.
    The dashboard never waits for a widget's reply, so its messages may go where the frontend sent them.
    The alternative, waiting cells that `await asyncio.sleep(...)` (this ipykernel then dispatches comms
    on the main thread), also worked, but every lesson cell would have to be awaited, and a busy cell
    that is not (a progress-bar training) would still block the sliders. A frontend without subshells
    (comms over subshells disabled, other frontends) queues the messages: the dashboard's "in force"
    line then shows that the slider's value is not in force yet.
    """
    for child in getattr(widget, "children", ()):
        hear_while_busy(child)
    comm = getattr(widget, "comm", None)
    if comm is not None:
        comm._reply_subshell_for = _route_to_sender  # read by ipykernel's shell channel thread, per message
