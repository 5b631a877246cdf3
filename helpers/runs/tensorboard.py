"""TensorBoard's view of a run, beside its run store: `tensorboard --logdir runs` shows it.

Written with TensorFlow's own summary writer (tf.summary.write, tagged for TensorBoard's scalars
plugin: what tf.summary.scalar writes, without needing the tensorboard package to write) from a
History, and the DQN's greedy evaluations when given:

    runs/cartpole/                                            the run store (runstore.py)
    runs/cartpole.tensorboard/events.out.tfevents.*           beside it, rewritten whole at each save

(Beside the run folder, not in it: a run folder holds only its saves.)

    q/action_0, q/action_1, ...   mean Q-value of each action
    loss                          the training loss
    episode_return                each finished training episode
    knobs/alpha, knobs/gamma ...  each knob's value: at the start, then at every change
    greedy/mean, greedy/std       greedy evaluations (the DQN's)

The x axis is the history's step, or with axis="samples" the samples column: the DQN's environment
steps (its evaluations are counted in those too), changes placed at the environment step they took effect.

Long runs are thinned to at most MAX_POINTS evenly spread points per tag (TensorBoard itself shows
1,000 by default), so a save stays quick.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from helpers.runs.history import History, evenly_spaced

SUFFIX = ".tensorboard"
MAX_POINTS = 2_000
KNOBS = ("alpha", "gamma", "epsilon", "learning_rate")  # History columns that sliders steer


def write_events(run_folder, history: History, evals=None, axis: str = "step") -> Path:
    """Write history (and evals: [(x, greedy mean, std)]) as TensorBoard events beside run_folder; return their folder.

    The events go to a new folder that then replaces the old one: TensorBoard never sees a save twice.
    """
    import tensorflow as tf  # noqa: PLC0415 - lazy: only a save pays for TensorFlow's import (agents have it loaded already)

    final = events_folder(run_folder)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    from tensorflow.core.framework import summary_pb2  # noqa: PLC0415 - with TensorFlow, above

    scalar = summary_pb2.SummaryMetadata(  # what makes TensorBoard draw a series as a scalar chart
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR)
    @tf.function(input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([None], tf.int64),
                                  tf.TensorSpec([None], tf.float32)])
    def series(tag, steps, values):  # one graph loop per series: per-point eager calls cost ~1 ms each
        for i in tf.range(tf.size(steps)):
            tf.summary.write(tag, values[i], step=steps[i], metadata=scalar)

    writer = tf.summary.create_file_writer(str(tmp))
    with writer.as_default():
        for tag, steps, values in scalars(history.full(), evals, axis):
            series(tf.constant(tag), tf.constant(steps), tf.constant(values, tf.float32))
    writer.close()
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def events_folder(run_folder) -> Path:
    """Where the events of the run saved in run_folder go: runs/cartpole -> runs/cartpole.tensorboard."""
    run_folder = Path(run_folder).resolve()
    return run_folder.with_name(run_folder.name + SUFFIX)


def scalars(full: dict, evals=None, axis: str = "step") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """[(tag, steps, values)] for every series TensorBoard gets (NaN points left out, long series thinned)."""
    steps = full[axis]
    out = [(f"q/action_{a}", steps, full["q_mean"][:, a]) for a in range(full["q_mean"].shape[1])]
    out += [("loss", steps, full["loss"]), ("episode_return", steps, full["episode_return"])]
    if len(steps):
        for name in KNOBS:
            changed = [(_at(full, axis, s), new) for s, knob, _, new in full["changes"] if knob == name]
            out.append((f"knobs/{name}", np.array([_at(full, axis, 0)] + [s for s, _ in changed]),
                        np.array([full[name][0]] + [v for _, v in changed])))
    if evals:
        at, mean, std = (np.array(col, dtype=np.float64) for col in zip(*evals))
        out += [("greedy/mean", at.astype(np.int64), mean), ("greedy/std", at.astype(np.int64), std)]
    return [_thin(tag, s, v) for tag, s, v in out]


def _at(full: dict, axis: str, step: int) -> int:
    """Where on the axis a change that took effect at `step` sits: the axis value when step began."""
    if axis == "step":
        return int(step)
    return int(full[axis][step - 1]) if step > 0 else 0


def _thin(tag: str, steps: np.ndarray, values: np.ndarray):
    keep = np.isfinite(values)
    steps, values = steps[keep], values[keep]
    pick = evenly_spaced(len(steps), MAX_POINTS)
    return tag, steps[pick].astype(np.int64), values[pick].astype(np.float64)
