"""A sweep's outcome as a heatmap: the mean over seeds in each cell's colour, the seed spread written in it.

    >>> table = summary(df, "success")                  # doctest: +SKIP
    >>> table["mean"].loc[0.03, 0.99]                   # doctest: +SKIP
    >>> fig = heatmap(df, "success")                    # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

# 8.4 in at 100 dpi = 840 px: JupyterLab shows it unshrunk at 1280 px with the file browser open.
FIG_WIDTH = 8.4

LABELS = {"alpha": "α (step size)", "gamma": "γ (discount)", "epsilon": "ε (exploration)",
          "learning_rate": "learning rate", "success": "greedy success rate", "mean_return": "greedy mean return",
          "episodes_to_solve": "episodes to solve", "train_s": "training time (s)"}


def summary(df, metric: str = "success", rows: str = "alpha", cols: str = "gamma") -> dict:
    """Tables (rows x cols) of the metric over seeds: 'mean', 'std', 'min', 'max', 'count' (count: not NaN)."""
    for name in (metric, rows, cols):
        if name not in df.columns:
            raise KeyError(f"the sweep has no column {name!r}; it has {', '.join(map(str, df.columns))}")
    if df.empty:
        raise ValueError("the sweep has no finished trials to summarize")
    grouped = df.groupby([rows, cols])[metric]
    return {stat: getattr(grouped, stat)().unstack(cols) for stat in ("mean", "std", "min", "max", "count")}


def heatmap(df, metric: str = "success", rows: str = "alpha", cols: str = "gamma", spread: str = "std",
            ax=None, cmap: str = "viridis"):
    """Mean over seeds as colour; '± std' (spread='std') or 'min–max' (spread='range') as text. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib (~2 s) only when a figure is drawn

    if spread not in ("std", "range"):
        raise ValueError(f"spread must be 'std' or 'range'; got {spread!r}")
    table = summary(df, metric, rows, cols)
    mean = table["mean"].to_numpy(dtype=float)
    if ax is None:
        size = (min(FIG_WIDTH, 1.2 * mean.shape[1] + 2.2), 1.1 * mean.shape[0] + 1.6)
        _, ax = plt.subplots(figsize=size, layout="constrained")
    fig = ax.figure
    unit_range = df[metric].dropna().between(0, 1).all()
    image = ax.imshow(mean, cmap=cmap, aspect="auto", origin="lower",
                      vmin=0 if unit_range else None, vmax=1 if unit_range else None)
    for (i, j), m in np.ndenumerate(mean):
        ax.text(j, i, _cell_text(m, table, i, j, spread), ha="center", va="center", fontsize=13,
                color="black" if image.norm(m) > 0.6 else "white")
    ax.set_xticks(range(mean.shape[1]), [f"{v:g}" for v in table["mean"].columns], fontsize=13)
    ax.set_yticks(range(mean.shape[0]), [f"{v:g}" for v in table["mean"].index], fontsize=13)
    ax.set_xlabel(LABELS.get(cols, cols), fontsize=14)
    ax.set_ylabel(LABELS.get(rows, rows), fontsize=14)
    seeds = int(table["count"].to_numpy().max())
    shown = "± std" if spread == "std" else "min–max"
    ax.set_title(f"{LABELS.get(metric, metric)}: mean of {seeds} seeds ({shown} below)", fontsize=14)
    fig.colorbar(image, ax=ax).ax.tick_params(labelsize=12)
    return fig


def _cell_text(m: float, table: dict, i: int, j: int, spread: str) -> str:
    """'0.74\\n±0.02' or '0.74\\n0.70–0.76'; 'none' where no seed reached the metric (NaN)."""
    if np.isnan(m):
        return "none"
    if spread == "std":
        s = table["std"].to_numpy()[i, j]
        return f"{_num(m)}\n±{_num(0.0 if np.isnan(s) else s)}"
    return f"{_num(m)}\n{_num(table['min'].to_numpy()[i, j])}–{_num(table['max'].to_numpy()[i, j])}"


def _num(v: float) -> str:
    """Two decimals for rates, whole numbers for counts."""
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


# -- learning curves over seeds -----------------------------------------------------------------------------------


def curves(df, prefix: str = "eval_", hold: bool = True):
    """The learning curves as a table: one row per trial, one column per environment step (eval_<step> columns).

    hold=True: a trial that stopped at its solve keeps its last evaluation from there on (its network no
    longer changes and the evaluation seeds are fixed, so it would score the same again).
    """
    cols = sorted((c for c in df.columns if str(c).startswith(prefix)), key=lambda c: int(str(c)[len(prefix):]))
    if not cols:
        raise KeyError(f"the sweep has no {prefix}<step> columns (learning curves); it has {', '.join(df.columns)}")
    table = df[cols].astype(float)
    table.columns = [int(str(c)[len(prefix):]) for c in cols]
    return table.ffill(axis=1) if hold else table


def band(values, level: float = 0.95, resamples: int = 2_000, seed: int = 0):
    """Mean over rows (seeds) and a `level` bootstrap confidence band of it, per column: (mean, low, high)."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)  # a fixed seed: the same sweep draws the same band
    picks = rng.integers(0, len(values), size=(resamples, len(values)))
    means = np.nanmean(values[picks], axis=1)  # (resamples, columns)
    tail = 100 * (1 - level) / 2
    low, high = np.nanpercentile(means, [tail, 100 - tail], axis=0)
    return np.nanmean(values, axis=0), low, high


def curve_band(df, by: str = "alpha", prefix: str = "eval_", solved: float | None = 475.0, ax=None):
    """Greedy evaluations against environment steps: per value of `by`, the mean over seeds and its 95 % band."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib loads only when a curve is drawn

    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 4.2), layout="constrained")
    table = curves(df, prefix)
    for value, rows in table.groupby(df[by]):
        mean, low, high = band(rows.to_numpy())
        line, = ax.plot(table.columns, mean, marker="o", ms=3, label=f"{LABELS.get(by, by)} = {value:g} "
                                                                     f"({len(rows)} seeds)")
        ax.fill_between(table.columns, low, high, color=line.get_color(), alpha=0.2)
    if solved is not None:
        ax.axhline(solved, color="grey", ls="--", lw=1, label=f"solved ({solved:g})")
    ax.set_xlabel("environment step", fontsize=13)
    ax.set_ylabel("greedy return (10 fixed episodes)", fontsize=13)
    ax.set_title("mean over seeds, shaded: 95 % bootstrap band of the mean", fontsize=13)
    ax.legend(fontsize=11)
    return ax.figure


def after_solving(df, prefix: str = "eval_", solved_at: float = 475.0):
    """Per trial: the first evaluation that reached solved_at, the final and best evaluations, and how many of
    the evaluations after the first solve fell below solved_at again (NaN where the trial never solved)."""
    import pandas as pd  # noqa: PLC0415 - as in curves(): pandas loads with a sweep's table

    table = curves(df, prefix, hold=False)
    rows = []
    for _, curve in table.iterrows():
        curve = curve.dropna()
        hit = curve.index[curve.to_numpy() >= solved_at]
        after = curve[curve.index > hit[0]] if len(hit) else curve.iloc[:0]
        rows.append({"first_solve": float(hit[0]) if len(hit) else np.nan, "final": curve.iloc[-1],
                     "best": curve.max(), "evals_after": len(after),
                     "fell_below": float((after < solved_at).sum()) if len(hit) else np.nan})
    return pd.DataFrame(rows, index=df.index)
