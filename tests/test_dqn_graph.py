"""dqn_graph.py's Adam steps are Keras's (Huber loss, global-norm clipping, Adam), on Keras's own optimizer state."""

import numpy as np
import pytest

from helpers.agents.dqn import Settings
from helpers.agents.dqn_graph import build_network
from helpers.agents.qnet import keras, tf

STEPS, BATCH = 6, 64


def batches(y_scale: float, batch: int = BATCH):
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(STEPS, batch, 4)).astype(np.float32)
    actions = rng.integers(0, 2, size=(STEPS, batch)).astype(np.int32)
    return obs, actions, (y_scale * rng.normal(size=(STEPS, batch))).astype(np.float32)


def keras_steps(net, s: Settings, obs, actions, y) -> float:
    """The reference: Keras's Huber loss and optimizer.apply (its clipping and Adam), one compiled call per batch.
    Returns the last step's loss."""
    model, huber = net.model, keras.losses.Huber(delta=s.huber_delta)

    @tf.function
    def step(o, a, target):
        with tf.GradientTape() as tape:
            loss = huber(target, tf.gather(model(o, training=True), a, batch_dims=1))
        model.optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    return float([step(o, a, target) for o, a, target in zip(obs, actions, y)][-1])


def state(net) -> list[np.ndarray]:
    """The weights and every optimizer variable (iterations, learning rate, m and v of each weight)."""
    return [v.numpy() for v in (*net.model.trainable_variables, *net.model.optimizer.variables)]


@pytest.mark.parametrize("clip_norm, clipped", [(10.0, False), (0.1, True)])
def test_the_compiled_steps_are_keras_adam_on_keras_state(clip_norm, clipped):
    s = Settings(clip_norm=clip_norm)
    mine, reference = build_network(s, seed=0), build_network(s, seed=0)
    for net in (mine, reference):
        net.model.optimizer.learning_rate.assign(1e-3)  # read from the optimizer, as the agent's slider sets it
    obs, actions, y = batches(3.0)  # errors on both sides of huber_delta
    with tf.GradientTape() as tape:  # is the global norm over clip_norm (clipping active) at the first step?
        loss = keras.losses.Huber(s.huber_delta)(y[0], tf.gather(reference.model(obs[0]), actions[0], batch_dims=1))
    norm = tf.linalg.global_norm(tape.gradient(loss, reference.model.trainable_variables))
    assert (float(norm) > s.clip_norm) == clipped
    mine.train_phase(obs[:3], actions[:3], y[:3])  # a phase of 3 steps,
    for t in range(3, STEPS):  # then one step at a time: the state carries over through Keras's variables
        mine.train_step(obs[t], actions[t], y[t])
    keras_steps(reference, s, obs, actions, y)
    assert int(mine.model.optimizer.iterations.numpy()) == STEPS
    for a, b in zip(state(mine), state(reference)):
        np.testing.assert_array_equal(a, b)  # bit for bit: the same ops in the same order
    assert max(np.abs(a - b).max() for a, b in zip(state(mine), state(build_network(s, seed=0)))) > 1e-3


def test_the_phase_returns_the_weights_it_wrote():
    net = build_network(Settings(), seed=0)
    _, weights = net.train_phase(*batches(1.0))
    for returned, read in zip(weights, net.read_weights()):
        np.testing.assert_array_equal(returned.numpy(), read)


@pytest.mark.parametrize("changes, batch", [({"huber_delta": 0.7}, 48), ({"hidden": (32,)}, 64),
                                            ({"hidden": (64, 32, 16), "huber_delta": 2.5}, 37)])
def test_the_written_out_gradient_is_the_tapes_for_any_network(changes, batch):
    """The loop writes the gradient out (MatMul, ReluGrad, BiasAddGrad, Huber's where) for any depth, delta and
    batch size (1 / batch is not a power of two at 48 or 37): still Keras's weights, state and loss, bit for bit."""
    s = Settings(**changes)
    mine, reference = build_network(s, seed=0), build_network(s, seed=0)
    obs, actions, y = batches(3.0 * s.huber_delta, batch)  # errors on both sides of huber_delta
    loss, _ = mine.train_phase(obs, actions, y)
    assert float(loss) == keras_steps(reference, s, obs, actions, y)
    for a, b in zip(state(mine), state(reference)):
        np.testing.assert_array_equal(a, b)
