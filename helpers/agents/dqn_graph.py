"""The DQN's network and its compiled TensorFlow graphs: one gradient step, or a whole training phase in one call.

A Python -> TensorFlow call costs ~0.5 ms (design notes, section 4) while one
Adam step of this network is a fraction of that, so a phase of 128 steps run
as 128 calls is mostly call overhead. `train_phase` runs them all in ONE call:
a loop inside the graph (tf.range -> tf.while_loop) over the phase's stacked
batches (steps, batch, ...), each iteration the same Huber-loss Adam step as
`train_step`.

    net = build_network(settings, seed=0)
    loss = net.train_phase(obs, actions, y)                   # y: (steps, batch), Go's targets
    loss = net.train_phase_double(obs, actions, next_obs, y_each)  # y_each: (steps, batch, actions)
    weights = net.read_weights()                              # NumPy copies, read once per phase
"""

from __future__ import annotations

from types import SimpleNamespace

from helpers.agents.qnet import keras, tf


def build_network(s, obs_dim: int = 4, n_actions: int = 2, seed: int = 0) -> SimpleNamespace:
    """The online network, Adam with gradient clipping, and its compiled steps (settings `s`: a dqn.Settings)."""
    keras.utils.set_random_seed(seed)  # the initial weights come from Keras's seeded generator
    model = keras.Sequential([keras.Input((obs_dim,)), *[keras.layers.Dense(u, activation="relu") for u in s.hidden],
                              keras.layers.Dense(n_actions)])
    huber = keras.losses.Huber(delta=s.huber_delta)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=s.learning_rate, global_clipnorm=s.clip_norm),
                  loss=huber)  # compiled: a saved run keeps the optimizer's state
    model.optimizer.build(model.trainable_variables)
    variables = model.trainable_variables

    def adam_step(obs, actions, y):
        """One Adam step on the Huber loss between y and Q(s, a) of the taken actions."""
        with tf.GradientTape() as tape:
            q_taken = tf.gather(model(obs, training=True), actions, batch_dims=1)
            loss = huber(y, q_taken)
        model.optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    @tf.function(reduce_retracing=True)
    def train_phase(obs, actions, y):
        """adam_step on each (obs[t], actions[t], y[t]) in turn, t = 0 .. steps - 1; the last loss."""
        loss = tf.constant(0.0)
        for t in tf.range(tf.shape(y)[0]):
            loss = adam_step(obs[t], actions[t], y[t])
        return loss

    @tf.function(reduce_retracing=True)
    def train_phase_double(obs, actions, next_obs, y_each):
        """Double DQN: at each step the online network, as it is then, picks a' = argmax Q(s', ·) (the first
        of ties, as Go's argmax), and y is Go's target for that a' (y_each[t, i, a'])."""
        loss = tf.constant(0.0)
        for t in tf.range(tf.shape(y_each)[0]):
            pick = tf.argmax(model(next_obs[t], training=False), axis=1, output_type=tf.int32)
            loss = adam_step(obs[t], actions[t], tf.gather(y_each[t], pick, batch_dims=1))
        return loss

    read = tf.function(lambda: [tf.identity(v) for v in variables])
    return SimpleNamespace(model=model, train_step=tf.function(adam_step, reduce_retracing=True),
                           train_phase=train_phase, train_phase_double=train_phase_double,
                           read_weights=lambda: [t.numpy() for t in read()])
