"""What the dashboards print: the status line, and a table of the stretches between knob changes."""

from __future__ import annotations

import html

import numpy as np

from helpers.runs.lifecycle import Status

RENDER_SHARE = 0.25  # at most this fraction of wall time goes to drawing frames
MAX_REST = 1.0  # seconds: the longest pause between two frames


def rest_after(spent: float, period: float) -> float:
    """Seconds the render thread rests after a tick that took `spent` seconds."""
    # The period when frames are cheap; longer when they are not, so that drawing (which holds
    # the GIL the training thread needs) takes at most RENDER_SHARE of the time; but never so
    # long that a slider move shows up later than about a second.
    return min(max(period - spent, spent * (1 / RENDER_SHARE - 1)), MAX_REST)


def status_html(status: Status, items: list[tuple[str, str]], errors: int = 0, note: str | None = None) -> str:
    """The status line: the status (and what a waiting cell does), then label/value pairs, projector-sized."""
    if note and status == Status.FINISHED:
        status = Status.RUNNING  # a waiting cell trains in bounded runs: between two of them it still trains
    colour = {Status.RUNNING: "#1a7f37", Status.PAUSED: "#9a6700", Status.ERROR: "#cf222e"}.get(status, "#57606a")
    first = f"<b style='color:{colour}'>● {html.escape(str(status))}</b>"
    if note:
        first += f" &nbsp;<span style='color:{colour}'>{html.escape(note)}</span>"
    if errors:
        first += f" &nbsp;<b style='color:#cf222e'>({errors} error{'s' * (errors > 1)}, see below the figure)</b>"
    numbers = " &nbsp;·&nbsp; ".join(f"{html.escape(label)} <b>{html.escape(value)}</b>" for label, value in items)
    # tabular figures: the numbers change twice a second and must not make the line jitter
    return (f"<div style='font-size:1.3em; line-height:1.6; padding-top:4px; "
            f"font-variant-numeric:tabular-nums'>{first}<br>{numbers}</div>")


def in_force_html(values: dict[str, str]) -> str:
    """The knob values the agent uses now: a slider showing another value has not been heard yet."""
    shown = " &nbsp;·&nbsp; ".join(f"{html.escape(name)} <b>{html.escape(v)}</b>" for name, v in values.items())
    return (f"<div style='font-size:1.1em; font-variant-numeric:tabular-nums'>in force now: {shown}"
            f"<br><span style='color:#57606a'>a slider move counts once this line shows it</span></div>")


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
