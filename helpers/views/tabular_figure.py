"""The live figure of a tabular agent: the Q table as a grid (left), returns and greedy success (right).

Object-API matplotlib (``Figure`` + ``FigureCanvasAgg``, no pyplot), so the
dashboard's one render thread owns it::

    fig = TabularFigure()
    fig.update(agent.snapshot())   # moves the existing artists
    image.value = fig.png()

Left: max_a Q(s, a) of every cell as a colour, an arrow for the greedy action
(none where all actions are still tied), holes or cliff cells dark, S and G
marked. Right: the return per episode (moving average), the greedy policy's
success rate, and a dashed marker with a short label ("α 0.5→0.1") where a
knob changed. Sized for a projector: 840 x 420 px (JupyterLab at 1280 px with its file browser open
shows it unshrunk, under the sliders on one 1280 x 800 screen), 12-14 pt text at 100 dpi; the
episode axis reads 20k, 1.5M.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from helpers.views.axes import moving_average
from helpers.views.markers import bursts as _bursts
from helpers.views.markers import short_step

KNOB_MARKS = {"alpha": ("α", "tab:purple"), "gamma": ("γ", "tab:green"), "epsilon": ("ε", "tab:orange")}
FONT = 13  # points; at 100 dpi about 18 px


def build_table(ax, view: dict, fontsize: int = FONT):
    """Draw an empty Q table of view's grid world on ax: (image, arrows) for update_table."""
    rows, cols = view["grid"]
    cmap = colormaps["viridis"].with_extremes(bad="#3b3b3b")  # holes / cliff cells: dark grey
    image = ax.imshow(np.zeros((rows, cols)), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ys, xs = np.mgrid[0:rows, 0:cols]
    zeros = np.zeros((rows, cols))
    arrows = ax.quiver(xs, ys, zeros, zeros, pivot="mid", color="white", scale=1.6 * max(rows, cols),
                       width=0.006, headwidth=4, edgecolor="black", linewidth=0.4)
    cliff = view.get("title", "").startswith("CliffWalking")
    for s, letter in [(s, "C" if cliff else "H") for s in view["holes"]] + [(s, "G") for s in view["goal"]]:
        ax.text(s % cols, s // cols, letter, ha="center", va="center", color="white", fontsize=fontsize,
                fontweight="bold")
    start = view["start"]  # in a corner: the start cell has an arrow too
    ax.text(start % cols - 0.42, start // cols - 0.42, "S", ha="left", va="top", color="white",
            fontsize=fontsize - 2, fontweight="bold")
    ax.set_xticks([])
    ax.set_yticks([])
    image.fixed_range = not cliff  # FrozenLake values lie in [0, 1]: keep that scale
    return image, arrows


def update_table(image, arrows, view: dict) -> None:
    """Show view["q"]: max_a Q as colour, an arrow for the greedy action where one action is best."""
    rows, cols = view["grid"]
    q = np.asarray(view["q"])
    v = q.max(axis=1)
    hidden = np.zeros(len(v), dtype=bool)
    hidden[list(view["holes"])] = True
    image.set_data(np.ma.masked_array(v, hidden).reshape(rows, cols))
    if not image.fixed_range:
        shown = v[~hidden]
        lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0)
        image.set_clim(lo, hi if hi > lo else lo + 1)
    if view.get("moves") is None:
        return
    d = np.asarray(view["moves"], dtype=float)[np.argmax(q, axis=1)]
    tied = q.max(axis=1) == q.min(axis=1)  # no preference yet: no arrow
    hidden[list(view["goal"])] = True
    hide = (hidden | tied).reshape(rows, cols)
    arrows.set_UVC(np.ma.masked_array(d[:, 1].reshape(rows, cols), hide),
                   np.ma.masked_array(-d[:, 0].reshape(rows, cols), hide))


def draw_table(ax, view: dict, title: str = "", fontsize: int = 11):
    """build_table + update_table: one static picture of a Q table (e.g. in a row of subplots)."""
    image, arrows = build_table(ax, view, fontsize)
    update_table(image, arrows, view)
    if title:
        ax.set_title(title, fontsize=fontsize)
    return image


class TabularFigure:
    """Grid heatmap + curves, created once; update(snapshot) moves them, png() renders."""

    def __init__(self, figsize=(8.4, 4.2), dpi: int = 100):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        # grid | colorbar | room for the colorbar's ticks and the curves' y labels | curves
        gs = self.figure.add_gridspec(1, 4, width_ratios=[1.0, 0.035, 0.5, 1.25], left=0.01, right=0.9,
                                      bottom=0.13, top=0.87, wspace=0.04)
        self.ax_grid, self.ax_bar, self.ax_ret = (self.figure.add_subplot(gs[0, i]) for i in (0, 1, 3))
        self.ax_ok = self.ax_ret.twinx()
        self._setup_curves()
        self._suptitle = self.figure.suptitle("", fontsize=FONT + 1)
        self._grid_key = None  # (rows, cols, holes, goal, start) the left panel was built for
        self._marks: list = []

    # -- building ----------------------------------------------------------------

    def _setup_curves(self) -> None:
        ax, ok = self.ax_ret, self.ax_ok
        ax.set_title("return per episode", fontsize=FONT)
        ax.set_xlabel("episode", fontsize=FONT)
        ax.set_ylabel("return (moving average)", fontsize=FONT, color="tab:blue")
        ok.set_ylabel("greedy success rate", fontsize=FONT, color="tab:green")
        ok.set_ylim(-0.02, 1.02)
        for a in (ax, ok):
            a.tick_params(labelsize=FONT - 1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: short_step(v)))  # 20k, not 20000
        ax.grid(True, alpha=0.3)
        self.raw_line, = ax.plot([], [], color="tab:blue", lw=0.6, alpha=0.3)
        self.ret_line, = ax.plot([], [], color="tab:blue", lw=2.0, label="return")
        self.ok_line, = ok.plot([], [], "o-", color="tab:green", ms=4, lw=1.5)  # dots only while few (below)
        self.greedy_line, = ax.plot([], [], "o-", color="tab:green", ms=4, lw=1.5)  # greedy return (no goal reward)

    def _build_grid(self, snap: dict) -> None:
        """The heatmap, arrows and cell letters for this grid world (once, or when the grid changes)."""
        self.ax_grid.clear()
        self.ax_bar.clear()
        self.image, self.arrows = build_table(self.ax_grid, snap)
        self.figure.colorbar(self.image, cax=self.ax_bar)
        self.ax_bar.tick_params(labelsize=FONT - 1)
        self.ax_bar.set_ylabel("max over a of Q(s, a)", fontsize=FONT - 1)
        self.ax_grid.set_title("max Q per cell, greedy action", fontsize=FONT)
        self._grid_key = (*snap["grid"], tuple(snap["holes"]), tuple(snap["goal"]), snap["start"])

    # -- updating ----------------------------------------------------------------

    def update(self, snap: dict) -> TabularFigure:
        """Show an agent snapshot (TabularAgent.snapshot())."""
        if snap.get("grid") is not None:
            key = (*snap["grid"], tuple(snap["holes"]), tuple(snap["goal"]), snap["start"])
            if key != self._grid_key:
                self._build_grid(snap)
            self._update_grid(snap)
        self._update_curves(snap)
        self._update_marks(snap)
        self._update_title(snap)
        return self

    def _update_grid(self, snap: dict) -> None:
        update_table(self.image, self.arrows, snap)

    def _update_curves(self, snap: dict) -> None:
        x, ret = np.asarray(snap["episode"], dtype=float), np.asarray(snap["episode_return"], dtype=float)
        ok = np.isfinite(ret)
        x, ret = x[ok], ret[ok]
        self.raw_line.set_data(x, ret)
        smooth = moving_average(ret)
        self.ret_line.set_data(x, smooth)
        by_success = snap.get("by_success", True)  # a rate where reaching a goal is what pays (not Cliff, Taxi)
        points = snap.get("success" if by_success else "greedy_return", [])
        self.ok_line.set_data(snap.get("success_episode", []) if by_success else [], points if by_success else [])
        for line in (self.ok_line, self.greedy_line):
            line.set_marker("o" if len(points) <= 60 else "")  # hundreds of dots would merge into a band
        self.greedy_line.set_data([] if by_success else snap.get("success_episode", []), [] if by_success else points)
        self.ax_ok.set_visible(by_success)
        if not by_success:
            self.ax_ret.set_ylabel("return", fontsize=FONT, color="black")
            if self.ax_ret.get_legend() is None:
                self.ax_ret.legend([self.ret_line, self.greedy_line], ["training (moving average)", "greedy policy"],
                                   loc="lower right", fontsize=FONT - 2)
        if len(x):
            self.ax_ret.set_xlim(0, max(float(x[-1]), 1.0))
            y = np.concatenate([ret, np.asarray(points, dtype=float)]) if not by_success else ret
            lo, hi = float(y.min()), float(y.max())
            pad = 0.05 * (hi - lo) or 0.5
            self.ax_ret.set_ylim(lo - pad, hi + pad)

    def _update_marks(self, snap: dict) -> None:
        """A dashed line per knob change at the first episode it was used; one short label per burst."""
        changes = [c for c in snap.get("changes", []) if c[1] in KNOB_MARKS]
        x0, x1 = self.ax_ret.get_xlim()
        chunk = snap.get("chunk", 1)
        for artist in self._marks:
            artist.remove()
        self._marks = []
        for step, name, _, _ in changes:
            self._marks.append(self.ax_ret.axvline(step * chunk, color=KNOB_MARKS[name][1], ls="--", lw=1.2))
        for i, (step, name, old, new) in enumerate(_bursts(changes, gap=0.02 * (x1 - x0) / chunk)):
            symbol, color = KNOB_MARKS[name]
            self._marks.append(self.ax_ret.text(
                step * chunk, 0.04 + 0.1 * (i % 3), f"{symbol} {old:g}→{new:g}", color=color,
                transform=self.ax_ret.get_xaxis_transform(), fontsize=FONT - 1, ha="left", va="bottom", clip_on=True,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85)))

    def _update_title(self, snap: dict) -> None:
        parts = [snap.get("title", "")]
        if len(snap["step"]):
            parts.append(f"α = {snap['alpha'][-1]:g}   γ = {snap['gamma'][-1]:g}   ε = {snap['epsilon'][-1]:g}")
            parts.append(f"episode {int(snap['episode'][-1]):,}")
        self._suptitle.set_text("  —  ".join(p for p in parts if p))

    # -- output ------------------------------------------------------------------

    def png(self) -> bytes:
        """The figure as PNG bytes (Agg, no GUI)."""
        self.canvas.draw()
        buf = io.BytesIO()
        self.canvas.print_png(buf)
        return buf.getvalue()

    def _repr_png_(self) -> bytes:  # a notebook cell ending in a TabularFigure shows it
        return self.png()
