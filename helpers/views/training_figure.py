"""The article's two panels, Q-values (left) and loss (right), and how the agent behaves (below).

Built on matplotlib's object API (``Figure`` + ``FigureCanvasAgg``, no pyplot),
so any one thread may own it, e.g. a dashboard timer that does twice a second::

    fig = TrainingFigure(returns=True, action_names=("push left", "push right"))
    fig.update(agent.snapshot())   # moves the existing lines (set_data)
    image.value = fig.png()        # bytes for an ipywidgets.Image

Sized for a projector at 100% zoom: 840 px wide (JupyterLab at 1280 px, file browser open, shows it
unshrunk), 480 px tall with the return panel (a dashboard's sliders and figure fit a 1280 x 800
screen); 12-16 pt text. Knob changes are dashed lines with numbered tags in the margin, named in
one list under the title (markers.py); the room above the panels grows with that list. The return
panel shows the greedy evaluations (10 episodes with ε = 0: the curve that climbs to "solved") in
front, the training episodes (ε-greedy, lower) and their moving average behind. Frames are cheap:
axes and markers are rendered once, reused until a limit or a marker changes.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter
from PIL import Image

from helpers.runs.history import evenly_spaced
from helpers.views.axes import moving_average, nice_ceiling, round_out, set_lim, text_boxes
from helpers.views.markers import MARKED, Markers, short_step

Q_STYLES = (("tab:blue", "-"), ("tab:orange", "--"), ("tab:red", "-."), ("tab:cyan", ":"))
FONT = {"title": 15, "label": 14, "tick": 13, "legend": 12}


class TrainingFigure:
    """Panels created once; update(snapshot) moves their artists, png() renders them."""

    def __init__(self, title: str = "", action_names=None, xlabel: str = "training step", n_actions: int = 2,
                 returns: bool = False, solved: float | None = None, max_points: int = 1000, dpi: int = 100):
        height = 4.8 if returns else 3.4  # inches at 100 dpi: 840 px wide (see the module docstring)
        self.figure = Figure(figsize=(8.4, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.title, self.action_names, self.max_points, self.solved = title, action_names, max_points, solved
        self.unit = xlabel.split()[-1] + "s" if xlabel else "steps"  # "training step" -> "steps"
        self.grid = self.figure.add_gridspec(2 if returns else 1, 2, left=0.095, right=0.975, wspace=0.36,
                                             hspace=0.4, bottom=(52 if returns else 62) / (height * dpi), top=0.9)
        self.ax_q, self.ax_loss = self.figure.add_subplot(self.grid[0, 0]), self.figure.add_subplot(self.grid[0, 1])
        self.ax_ret = self.figure.add_subplot(self.grid[1, :]) if returns else None
        self.axes = [ax for ax in (self.ax_q, self.ax_loss, self.ax_ret) if ax is not None]
        for ax in self.axes:
            if ax is self.ax_ret or not returns:  # the top panels share the return panel's x axis and label
                ax.set_xlabel(xlabel, fontsize=FONT["label"], labelpad=2)
            ax.grid(True, alpha=0.3)
            ax.tick_params(labelsize=FONT["tick"])
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: short_step(v)))
        self.ax_q.set_ylabel("mean Q(s, a)", fontsize=FONT["label"])
        self.ax_loss.set_ylabel("loss (log scale)", fontsize=FONT["label"])
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self.q_lines: list = []
        self.loss_line, = self.ax_loss.plot([], [], color="tab:red", lw=0.7, alpha=0.35, label="per step")
        self.smooth_line, = self.ax_loss.plot([], [], color="tab:red", lw=2.2, label="moving average")
        self.ax_loss.legend(loc="lower left", fontsize=FONT["legend"], borderaxespad=0.3)
        self._lines = [self.loss_line, self.smooth_line]
        if self.ax_ret is not None:
            self._make_return_panel()
        self.markers = Markers(self.figure, [self.ax_q, self.ax_loss], self.axes, legend_y=1 - 30 / (height * dpi))
        self._suptitle = self.figure.suptitle(title, fontsize=FONT["title"], y=0.995)
        self._head = None
        self._background, self._last_step, self._evals = None, None, None
        self.count_in_title = True  # a live dashboard shows the count in its status line: a static title is cheaper
        self._ensure_q_lines(n_actions)
        self._draw_markers([])

    def _make_return_panel(self) -> None:
        ax = self.ax_ret
        ax.set_ylabel("episode return", fontsize=FONT["label"])
        # In front, what climbs to "solved": greedy evaluations (ε = 0). Behind, the training episodes
        # (ε-greedy, on a policy that changes while they play): lower, and noisy.
        self.ret_points, = ax.plot([], [], ".", color="0.7", ms=3, label="training episode", zorder=1)
        self._return_points = 400  # at most this many episode dots are drawn (the average uses them all)
        self.ret_avg, = ax.plot([], [], color="tab:green", lw=1.6, alpha=0.8, label="its moving average", zorder=2)
        self.eval_line, = ax.plot([], [], "o-", color="black", lw=2.4, ms=7, label="greedy evaluation (mean ± std)",
                                  zorder=4)
        self._eval_bars = None
        if self.solved is not None:
            ax.axhline(self.solved, color="tab:red", ls=":", lw=1.8, label=f"solved ({self.solved:g})")
        handles, labels = ax.get_legend_handles_labels()
        order = [2, 3, 0, 1] if self.solved is not None else [2, 0, 1]  # the greedy evaluation first
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", fontsize=FONT["legend"],
                  ncol=2, framealpha=0.9, borderaxespad=0.3)
        self._lines += [self.ret_points, self.ret_avg, self.eval_line]

    def _action_name(self, a: int) -> str:
        names = self.action_names
        return f"Q(s, {names[a]})" if names and a < len(names) else f"Q(s, action {a})"

    def _ensure_q_lines(self, n_actions: int) -> None:
        while len(self.q_lines) < n_actions:
            a = len(self.q_lines)
            color, style = Q_STYLES[a % len(Q_STYLES)]
            line, = self.ax_q.plot([], [], color=color, ls=style, lw=2.0, label=self._action_name(a))
            self.q_lines.append(line)
            self.ax_q.legend(loc="lower right", fontsize=FONT["legend"])
            self._background = None

    @property
    def _dynamic(self) -> list:
        """The artists redrawn on every frame."""
        return [*self.q_lines, *self._lines]

    def update(self, snapshot: dict) -> TrainingFigure:
        """Show a snapshot: move the lines, rescale, and redraw markers if the changes changed."""
        step, loss, q = snapshot["step"], snapshot["loss"], np.asarray(snapshot["q_mean"])
        if self._last_step is not None and (not len(step) or step[-1] < self._last_step):
            self._fresh_limits()  # a reset: the old ranges must not stay
        self._last_step = int(step[-1]) if len(step) else None
        keep = evenly_spaced(len(step), self.max_points)
        x = step[keep]
        self._ensure_q_lines(q.shape[1] if q.ndim == 2 else 0)
        for a, line in enumerate(self.q_lines):
            line.set_data(x, q[keep, a] if q.ndim == 2 and a < q.shape[1] else [])
        positive = loss[keep] > 0  # a log axis cannot show zero
        self.loss_line.set_data(x[positive], loss[keep][positive])
        smooth = moving_average(loss)[keep]
        self.smooth_line.set_data(x[smooth > 0], smooth[smooth > 0])
        moved = self._update_limits(step, q[keep] if q.ndim == 2 else q, loss[loss > 0])
        if self.ax_ret is not None:
            moved |= self._update_returns(snapshot)
        changes = list(snapshot.get("changes", []))
        if moved or changes != self.markers.shown:
            self._draw_markers(changes)
        self._update_title(snapshot)
        return self

    def _draw_markers(self, changes) -> None:
        """Markers, with just the room above the panels that the title, the list and the tags need."""
        lines, rows = self.markers.draw(changes)
        head = 34 + 21 * lines + 23 * rows  # pixels: title, list lines, tag rows
        if head != self._head:
            self._head = head
            self.grid.update(top=1 - head / (self.figure.get_figheight() * self.figure.dpi))
            for ax in self.axes:
                ax.set_position(ax.get_subplotspec().get_position(self.figure))
            self.markers.draw(changes)  # tags sit in rows sized by the panels' new height
        self._background = None

    def _update_returns(self, snapshot: dict) -> bool:
        """Episode returns (points), their moving average, greedy evaluations; True if a limit moved."""
        ret = np.asarray(snapshot.get("episode_return", []), dtype=float)
        done = np.isfinite(ret)
        x, y = snapshot["step"][done], ret[done]
        keep = evenly_spaced(len(x), self._return_points)
        self.ret_points.set_data(x[keep], y[keep])
        self.ret_avg.set_data(x[keep], moving_average(y, max(1, min(50, len(y) // 10 or 1)))[keep])
        evals = snapshot.get("evals") or []
        ex, em, es = (np.asarray(v, dtype=float) for v in zip(*evals)) if evals else ([], [], [])
        self.eval_line.set_data(ex, em)
        moved = False
        if evals != self._evals:  # error bars are a collection: redrawn with the background
            if self._eval_bars is not None:
                self._eval_bars.remove()
            self._eval_bars = self.ax_ret.vlines(ex, np.subtract(em, es), np.add(em, es), color="black", lw=1.6,
                                                 zorder=4)
            self._evals, moved = list(evals), True
        hi = max([float(np.max(y)) if len(y) else 1.0, float(np.max(em)) if len(em) else 1.0, self.solved or 0.0])
        # headroom above the data for the legend (two rows in the upper left)
        moved |= set_lim(self.ax_ret.set_ylim, self.ax_ret.get_ylim(), (0.0, nice_ceiling(max(hi, 1.0)) * 1.5))
        if len(snapshot["step"]):
            moved |= set_lim(self.ax_ret.set_xlim, self.ax_ret.get_xlim(), self.ax_q.get_xlim())
        return moved

    def _fresh_limits(self) -> None:
        for ax in self.axes:
            ax.set_xlim(0, 1)
        self.ax_q.set_ylim(0, 1)
        self.ax_loss.set_ylim(1e-3, 1)
        self._background = None

    def _update_limits(self, step, q, positive_loss) -> bool:
        """Move each axis limit in rounded jumps, only when needed; True if any moved."""
        moved = False
        if len(step):
            x_hi = nice_ceiling(max(float(step[-1]), 1.0))
            for ax in (self.ax_q, self.ax_loss):
                moved |= set_lim(ax.set_xlim, ax.get_xlim(), (float(step[0]), x_hi))
        finite = q[np.isfinite(q)] if q.size else q
        if finite.size:  # robust to a spike: the axis follows the bulk of the data, and shrinks back
            lo, hi = (float(v) for v in np.quantile(finite, (0.005, 0.995)))
            a, b = self.ax_q.get_ylim()
            if lo < a or hi > b or (hi - lo) < 0.3 * (b - a):  # outside, or far too loose
                moved |= set_lim(self.ax_q.set_ylim, (a, b), round_out(lo, hi))
        if positive_loss.size:
            lo, hi = (math.log10(v) for v in np.quantile(positive_loss, (0.005, 1.0)))
            lims = (10.0 ** math.floor(lo), 10.0 ** max(math.ceil(hi), math.floor(lo) + 1))
            moved |= set_lim(self.ax_loss.set_ylim, self.ax_loss.get_ylim(), lims)
        return moved

    def _update_title(self, snapshot: dict) -> None:
        """Title: the knobs in force now (not those of the last step) and how far training got."""
        parts = [self.title] if self.title else []
        knobs = snapshot.get("knobs") or {k: snapshot[k][-1] for k in ("alpha", "gamma")
                                           if k in snapshot and len(snapshot[k])}
        parts.append("  ".join(f"{MARKED[k][0]} = {v:g}" for k, v in knobs.items()
                               if k in ("alpha", "gamma") and np.isfinite(v)))
        if len(snapshot["step"]) and self.count_in_title:
            parts.append(f"after {snapshot.get('count', int(snapshot['step'][-1]) + 1):,} {self.unit}")
        text = " — ".join(p for p in parts if p)
        if text != self._suptitle.get_text():  # the title is part of the saved background
            self._suptitle.set_text(text)
            self._background = None

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

    def text_boxes(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """(text, (x0, y0, x1, y1) in pixels) of every text a reader sees: tests check that none overlap."""
        self._background = None
        return text_boxes(self.canvas, [self._suptitle, *[a for a in self.markers.artists if hasattr(a, "get_text")]],
                          self.axes)

    def save(self, path, dpi: int = 100) -> Path:
        """Write the figure to path (format from the suffix, e.g. .png or .svg)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.figure.savefig(path, dpi=dpi)
        self._background = None  # savefig may have redrawn at another resolution
        return path

    def _repr_png_(self) -> bytes:  # a notebook cell ending in a TrainingFigure shows it
        return self.png()
