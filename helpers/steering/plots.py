"""The article's two-panel figure: Q-values progression (left), loss (right).

Built on matplotlib's object API (``Figure`` + ``FigureCanvasAgg``, no pyplot),
so any one thread may own it, e.g. a dashboard timer that does twice a second::

    fig = TrainingFigure()
    fig.update(trainer.history.snapshot())   # moves the existing lines (set_data)
    image.value = fig.png()                  # bytes for an ipywidgets.Image

Every step where alpha or gamma changed gets a vertical marker on both panels;
a burst of changes to one knob (a slider being dragged) shares one label,
"α first→last". In a notebook, a TrainingFigure shows itself as a PNG.

Frames are cheap (blitting): axes limits move in rounded jumps, so most frames
reuse the rendered axes, ticks, labels and markers and redraw only the lines
and the title; everything is redrawn when a limit or a marker changes.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter
from PIL import Image

from helpers.steering.history import evenly_spaced

MARKED = {"alpha": ("α", "tab:purple"), "gamma": ("γ", "tab:green")}
Q_COLORS = ("tab:blue", "tab:orange", "tab:red", "tab:cyan", "tab:brown", "tab:pink")
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


class TrainingFigure:
    """Two panels created once; update(snapshot) moves their artists, png() renders them."""

    def __init__(self, title: str = "", action_names=None, xlabel: str = "training step", n_actions: int = 2,
                 figsize=(11, 4.2), dpi: int = 90, max_points: int = 1000):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        # Fixed margins: an automatic layout would be recomputed on every frame.
        self.figure.subplots_adjust(left=0.07, right=0.985, bottom=0.12, top=0.85, wspace=0.2)
        self.title, self.action_names, self.max_points = title, action_names, max_points
        self.unit = xlabel.split()[-1] + "s" if xlabel else "steps"  # "training step" -> "steps"
        self.ax_q, self.ax_loss = self.figure.subplots(1, 2)
        for ax, name in ((self.ax_q, "Q-values progression"), (self.ax_loss, "Loss")):
            ax.set_title(name)
            ax.set_xlabel(xlabel)
            ax.grid(True, alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        self.ax_q.set_ylabel("mean predicted Q(s, a)")
        self.ax_loss.set_ylabel("MSE loss (log scale)")
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self.q_lines: list = []
        self.loss_line, = self.ax_loss.plot([], [], color="tab:red", lw=0.6, alpha=0.35, label="per step")
        self.smooth_line, = self.ax_loss.plot([], [], color="tab:red", lw=1.8, label="moving average")
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self._markers: list = []  # the dashed lines of the change markers
        self._labels: list = []  # their labels, drawn above the lines
        self._marked: list = []  # the alpha/gamma changes shown
        self._suptitle = self.figure.suptitle(title)
        self._background = None  # the rendered figure without lines and title, reused between frames
        self._ensure_q_lines(n_actions)

    def _action_name(self, a: int) -> str:
        names = self.action_names
        return f"Q(s, {names[a]})" if names and a < len(names) else f"action {a}"

    def _ensure_q_lines(self, n_actions: int) -> None:
        if len(self.q_lines) >= n_actions:
            return
        while len(self.q_lines) < n_actions:
            a = len(self.q_lines)
            line, = self.ax_q.plot([], [], color=Q_COLORS[a % len(Q_COLORS)], lw=1.4, label=self._action_name(a))
            self.q_lines.append(line)
        self.ax_q.legend(loc="lower right", fontsize=8)
        self._background = None

    @property
    def _dynamic(self) -> list:
        """The artists redrawn on every frame."""
        return [*self.q_lines, self.loss_line, self.smooth_line, *self._labels, self._suptitle]

    def update(self, snapshot: dict) -> TrainingFigure:
        """Show a History snapshot: move the lines, rescale, add markers for new alpha/gamma changes."""
        step, loss, q = snapshot["step"], snapshot["loss"], np.asarray(snapshot["q_mean"])
        keep = evenly_spaced(len(step), self.max_points)
        x = step[keep]
        self._ensure_q_lines(q.shape[1] if q.ndim == 2 else 0)
        for a, line in enumerate(self.q_lines):
            line.set_data(x, q[keep, a] if q.ndim == 2 and a < q.shape[1] else [])
        positive = loss[keep] > 0  # a log axis cannot show zero
        self.loss_line.set_data(x[positive], loss[keep][positive])
        smooth = moving_average(loss)[keep]
        self.smooth_line.set_data(x[smooth > 0], smooth[smooth > 0])
        marked = [c for c in snapshot.get("changes", []) if c[1] in MARKED]
        if self._update_limits(step, q, loss[loss > 0]) or marked != self._marked:
            self._draw_markers(marked)
            self._background = None
        self._update_title(snapshot)
        return self

    def _update_limits(self, step, q, positive_loss) -> bool:
        """Move each axis limit in rounded jumps, only when the data leaves it; True if any moved."""
        moved = False
        if len(step):
            x_hi = _nice_ceiling(max(float(step[-1]), 1.0))
            for ax in (self.ax_q, self.ax_loss):
                moved |= _set_lim(ax.set_xlim, ax.get_xlim(), (float(step[0]), x_hi))
        finite = q[np.isfinite(q)] if q.size else q
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            a, b = self.ax_q.get_ylim()
            if lo < a or hi > b or (hi - lo) < 0.3 * (b - a):  # outside, or far too loose
                moved |= _set_lim(self.ax_q.set_ylim, (a, b), _round_out(lo, hi))
        if positive_loss.size:
            lo, hi = math.log10(positive_loss.min()), math.log10(positive_loss.max())
            lims = (10.0 ** math.floor(lo), 10.0 ** max(math.ceil(hi), math.floor(lo) + 1))
            moved |= _set_lim(self.ax_loss.set_ylim, self.ax_loss.get_ylim(), lims)
        return moved

    def _draw_markers(self, marked) -> None:
        """A dashed line per alpha/gamma change on both panels; one label per burst of changes to one knob."""
        for artist in self._markers + self._labels:
            artist.remove()
        self._markers, self._labels, self._marked = [], [], list(marked)
        x0, x1 = self.ax_q.get_xlim()
        for i, (step, name, old, new) in enumerate(_bursts(marked, gap=0.015 * (x1 - x0))):
            symbol, color = MARKED[name]
            for ax in (self.ax_q, self.ax_loss):
                self._labels.append(ax.text(step, 0.03 + 0.08 * (i % 4), f"{symbol} {old:g}→{new:g}",
                                            transform=ax.get_xaxis_transform(), color=color, fontsize=8,
                                            va="bottom", ha="left", clip_on=True,
                                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8)))
        for step, name, _, _ in marked:
            for ax in (self.ax_q, self.ax_loss):
                self._markers.append(ax.axvline(step, color=MARKED[name][1], ls="--", lw=1.1, alpha=0.8))

    def _update_title(self, snapshot: dict) -> None:
        parts = [self.title] if self.title else []
        if len(snapshot["step"]):
            last = {k: snapshot[k][-1] for k in ("alpha", "gamma") if k in snapshot}
            parts.append("  ".join(f"{MARKED[k][0]} = {v:g}" for k, v in last.items() if np.isfinite(v)))
            parts.append(f"after {int(snapshot['step'][-1]) + 1:,} {self.unit}")
        self._suptitle.set_text(" — ".join(p for p in parts if p))

    def render(self) -> None:
        """Draw the figure into the canvas: everything if needed, else the saved background + lines + title."""
        if self._background is None:
            for artist in self._dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            for artist in self._dynamic:
                artist.set_visible(True)
        else:
            self.canvas.restore_region(self._background)
        for artist in self._dynamic:
            (artist.axes or self.figure).draw_artist(artist)

    def png(self) -> bytes:
        """The figure rendered as PNG bytes (Agg, no GUI; fast compression for live frames)."""
        self.render()
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def save(self, path, dpi: int = 120) -> Path:
        """Write the figure to path (format from the suffix, e.g. .png or .svg)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.figure.savefig(path, dpi=dpi)
        self._background = None  # savefig may have redrawn at another resolution
        return path

    def _repr_png_(self) -> bytes:  # a notebook cell ending in a TrainingFigure shows it
        return self.png()


def moving_average(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """Trailing mean over `window` points (default: about 2% of the series, at least 1)."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return y
    window = window or max(1, len(y) // 50)
    c = np.cumsum(np.insert(y, 0, 0.0))
    lo = np.maximum(np.arange(1, len(y) + 1) - window, 0)
    return (c[1:] - c[lo]) / (np.arange(1, len(y) + 1) - lo)


def _bursts(changes, gap: float) -> list[tuple[int, str, float, float]]:
    """Merge changes to the same knob less than `gap` steps apart into (first step, name, first old, last new)."""
    merged: list[list] = []
    last = {}  # name -> index in merged of its latest burst
    for step, name, old, new in changes:
        i = last.get(name)
        if i is not None and step - merged[i][4] <= gap:
            merged[i][3], merged[i][4] = new, step
        else:
            last[name] = len(merged)
            merged.append([step, name, old, new, step])
    return [(s, n, o, v) for s, n, o, v, _ in merged]


def _nice_ceiling(v: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is >= v (v > 0)."""
    scale = 10.0 ** math.floor(math.log10(v))
    return next(n * scale for n in NICE if n * scale >= v * (1 - 1e-12))


def _round_out(lo: float, hi: float) -> tuple[float, float]:
    """Limits around [lo, hi] with a little headroom, rounded outward to tick multiples."""
    pad = 0.05 * (hi - lo) or 0.5 * max(abs(lo), 1.0)
    ticks = MaxNLocator(nbins=8).tick_values(lo - pad, hi + pad)
    step = ticks[1] - ticks[0]
    return (math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step)


def _set_lim(setter, old, new) -> bool:
    """Apply new limits if they differ from old; True if they did."""
    if np.allclose(old, new, rtol=1e-9, atol=0):
        return False
    setter(*new)
    return True
