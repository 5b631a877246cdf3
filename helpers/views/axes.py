"""Small helpers for live axes: a trailing mean, and limits that move in round jumps (so frames can reuse them)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def moving_average(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """Trailing mean over `window` points (default: about 2% of the series, at least 1), skipping NaN and inf.

    A DQN's loss history starts with NaN (no gradient step yet): a plain running sum would carry
    it through every later point. A point whose whole window is non-finite stays NaN.
    """
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return y
    window = window or max(1, len(y) // 50)
    finite = np.isfinite(y)
    total = np.cumsum(np.insert(np.where(finite, y, 0.0), 0, 0.0))
    count = np.cumsum(np.insert(finite, 0, False).astype(np.int64))
    lo = np.maximum(np.arange(1, len(y) + 1) - window, 0)
    n = count[1:] - count[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (total[1:] - total[lo]) / np.maximum(n, 1), np.nan)


def nice_ceiling(v: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is >= v (v > 0)."""
    scale = 10.0 ** math.floor(math.log10(v))
    return next(n * scale for n in NICE if n * scale >= v * (1 - 1e-12))


def round_out(lo: float, hi: float) -> tuple[float, float]:
    """Limits around [lo, hi] with a little headroom, rounded outward to tick multiples."""
    pad = 0.05 * (hi - lo) or 0.5 * max(abs(lo), 1.0)
    ticks = MaxNLocator(nbins=8).tick_values(lo - pad, hi + pad)
    step = ticks[1] - ticks[0]
    return (math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step)


def set_lim(setter, old, new) -> bool:
    """Apply new limits if they differ from old; True if they did."""
    if np.allclose(old, new, rtol=1e-9, atol=0):
        return False
    setter(*new)
    return True


def text_boxes(canvas, texts: list, axes: list) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, (x0, y0, x1, y1) in pixels) of `texts` and the axes' titles, labels, legends and shown ticks."""
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = list(texts)
    for ax in axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts()]
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            texts += [t for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs()) if min(lo, hi) <= v <= max(lo, hi)]
    boxes = []
    for t in texts:
        if t.get_visible() and t.get_text().strip():
            e = (t.get_bbox_patch() or t).get_window_extent(renderer)
            boxes.append((t.get_text(), (e.x0, e.y0, e.x1, e.y1)))
    return boxes
