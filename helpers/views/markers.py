"""Knob-change markers that stay readable with many changes.

Each change gets a dashed line on every panel and a small number tag in the
margin above the top panels; tags that would touch move to the next row, and
the numbers are explained in one list under the title ("1 α 0.5→0.1 @ 1.2k").
Labels never sit on the data, so ten changes read as clearly as one.
"""

from __future__ import annotations

MARKED = {"alpha": ("α", "tab:purple"), "gamma": ("γ", "tab:green"), "epsilon": ("ε", "tab:olive"),
          "learning_rate": ("lr", "tab:brown")}
SHOWN = 10  # the list under the title names the last SHOWN changes; older ones keep their lines


def bursts(changes, gap: float) -> list[tuple[int, str, float, float]]:
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


def short_step(step: float) -> str:
    """12000 -> '12k', 1500 -> '1.5k', 950 -> '950', 2500000 -> '2.5M'."""
    if abs(step) >= 1_000_000:
        return f"{step / 1_000_000:.3g}M"
    if abs(step) >= 1000:
        return f"{step / 1000:.3g}k"
    return f"{step:.0f}"


class Markers:
    """Draw and remove the change markers of a figure whose top panels are `top_axes`."""

    def __init__(self, figure, top_axes, all_axes, legend_y: float):
        self.figure, self.top_axes, self.all_axes, self.legend_y = figure, top_axes, all_axes, legend_y
        self.artists: list = []
        self.shown: list = []

    def draw(self, changes) -> tuple[int, int]:
        """Replace the markers by those of `changes` (list of (step, name, old, new)); (list lines, tag rows)."""
        for artist in self.artists:
            artist.remove()
        self.artists, self.shown = [], list(changes)
        marked = [c for c in changes if c[1] in MARKED]
        if not marked:
            return 0, 0
        x0, x1 = self.top_axes[0].get_xlim()
        merged = bursts(marked, gap=0.01 * (x1 - x0))
        for step, name, _, _ in marked:
            for ax in self.all_axes:
                self.artists.append(ax.axvline(step, color=MARKED[name][1], ls="--", lw=1.2, alpha=0.8))
        first = max(0, len(merged) - SHOWN)
        ax0 = self.top_axes[0]
        axes_px = ax0.get_position().width * self.figure.get_figwidth() * self.figure.dpi
        row_h = 23 / (ax0.get_position().height * self.figure.get_figheight() * self.figure.dpi)  # 23 px a row
        rows_end: list[float] = []  # per tag row: the axes fraction where its last tag ends
        for i, (step, name, _, _) in enumerate(merged[first:], start=first + 1):
            frac = (step - x0) / (x1 - x0) if x1 > x0 else 0.0
            if not 0.0 <= frac <= 1.0:
                continue
            width = (14 + 9 * len(str(i))) / axes_px  # a tag's width, as a fraction of the axes
            row = next((r for r, end in enumerate(rows_end) if frac - width / 2 > end), len(rows_end))
            if row >= 2:  # no room: the list under the title still names it
                continue
            if row == len(rows_end):
                rows_end.append(frac + width / 2)
            else:
                rows_end[row] = frac + width / 2
            for ax in self.top_axes:
                self.artists.append(ax.text(frac, 1.01 + row_h * row, str(i), transform=ax.transAxes,
                                            ha="center", va="bottom", fontsize="small", color="white",
                                            fontweight="bold", clip_on=False,
                                            bbox=dict(boxstyle="round,pad=0.2", fc=MARKED[name][1], ec="none")))
        items = [f"{i}: {MARKED[n][0]} {o:g}→{v:g} at {short_step(s)}"
                 for i, (s, n, o, v) in enumerate(merged, start=1)][first:]
        lines = ["    ".join(items[k:k + 4]) for k in range(0, len(items), 4)]  # at most 3 lines of 4
        self.artists.append(self.figure.text(0.5, self.legend_y, "\n".join(lines), ha="center", va="top",
                                             fontsize=12, color="0.2", linespacing=1.25))
        return len(lines), len(rows_end)
