"""The seed article's Q-network: state features in, one Q-value per action out.

    >>> from helpers.agents.qnet import build_q_network
    >>> model = build_q_network(seed=0)      # 4 -> Dense(32, relu) -> Dense(2), Adam, MSE
    >>> model.count_params()
    226

Importing this module imports TensorFlow without its start-up chatter; ``tf`` and
``keras`` can be imported from here.
"""

from __future__ import annotations

import os
import sys


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up lines (oneDNN notice, CUDA probing on a CPU) kept off stderr.

    TensorFlow 2.21 prints them before its log settings apply, so TF_CPP_MIN_LOG_LEVEL
    cannot hide them; Python errors are unaffected (they are raised, not printed here).
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: PLC0415 - on first use, with C++'s stderr silenced; `import helpers` stays cheap

        tensorflow.config.list_physical_devices("GPU")  # the CUDA probe happens now, quietly
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow


tf = _import_tensorflow_quietly()

import keras  # noqa: E402  (after TensorFlow, which it runs on)

from helpers.core.knobs import check, check_size  # noqa: E402


def build_q_network(n_features: int = 4, n_actions: int = 2, hidden: int = 32,
                    learning_rate: float = 1e-3, seed: int | None = None) -> keras.Model:
    """The article's network, compiled with Adam and MSE; a seed makes its initial weights reproducible."""
    for name, v in (("n_features", n_features), ("n_actions", n_actions)):
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"{name} must be a whole number >= 1; got {v!r}")
    hidden, learning_rate = check_size("hidden", hidden), check("learning_rate", learning_rate)

    def init(i):  # a seeded initializer per layer: the same seed gives the same weights
        return keras.initializers.GlorotUniform(seed=None if seed is None else int(seed) + i)

    model = keras.Sequential([
        keras.Input(shape=(int(n_features),)),
        keras.layers.Dense(int(hidden), activation="relu", kernel_initializer=init(0), name="hidden"),
        keras.layers.Dense(int(n_actions), activation="linear", kernel_initializer=init(1), name="q_values"),
    ], name="q_network")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def load_model(path):
    """A saved .keras model, optimizer state included (what runstore.load_run is handed to read models)."""
    return keras.models.load_model(path)
