"""The DQN's network and its compiled TensorFlow graph: a whole training phase of Adam steps in one call.

A Python -> TensorFlow call costs ~0.5 ms (design notes, section 4) while one
Adam step of this network is a fraction of that, so a phase of 128 steps run
as 128 calls is mostly call overhead. `train_phase` runs them all in ONE call:
a loop inside the graph (tf.range -> tf.while_loop) over the phase's stacked
batches (steps, batch, ...).

Inside the loop every op costs scheduling time whatever its size (a few
microseconds each, and the steps form one long chain of them), and Keras's
optimizer.apply gives each of the six variables its own clipping, Adam
powers and moment updates: a loop body of 475 graph nodes, 129 here
(measured with TF 2.21, Keras 3.15). So the loop reads the Keras model's
weights and Adam's m, v and iterations ONCE, as flat vectors, runs Keras's
formulas on them, op for op (Huber loss, global-norm clipping, Adam: the
same weights and optimizer state as Keras's own steps, bit for bit,
tests/test_dqn_graph.py) and writes them back ONCE: the Keras optimizer
keeps the state a saved run round-trips. The gradient is written out with
the ops the tape would derive (MatMul, BiasAddGrad, ReluGrad, the Huber
loss's where), minus the tape's reshapes and tiles; the loss is computed
once, from the last step's errors.
`train_step`, one step per call for the per-step path, is Keras's own
(model call, Huber, optimizer.apply): the reference the loop matches.

    net = build_network(settings, seed=0)
    loss, weights = net.train_phase(obs, actions, y)          # y: (steps, batch), Go's targets
    loss, weights = net.train_phase_double(obs, actions, next_obs, y_each)  # y_each: (steps, batch, actions)
    loss = net.train_step(obs, actions, y)                    # one batch (batch, ...), Keras's own step
    weights = net.read_weights()                              # NumPy copies of the weights
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from helpers.agents.qnet import keras, tf


def build_network(s, obs_dim: int = 4, n_actions: int = 2, seed: int = 0) -> SimpleNamespace:
    """The online network, Adam with gradient clipping, and its compiled steps (settings `s`: a dqn.Settings)."""
    keras.utils.set_random_seed(seed)  # the initial weights come from Keras's seeded generator
    model = keras.Sequential([keras.Input((obs_dim,)), *[keras.layers.Dense(u, activation="relu") for u in s.hidden],
                              keras.layers.Dense(n_actions)])
    huber_loss = keras.losses.Huber(delta=s.huber_delta)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=s.learning_rate, global_clipnorm=s.clip_norm),
                  loss=huber_loss)  # compiled: a saved run keeps the optimizer's state
    opt, params = model.optimizer, model.trainable_variables
    opt.build(params)
    m_vars = [opt._momentums[opt._get_variable_index(p)] for p in params]  # Adam's first moments, one per weight
    v_vars = [opt._velocities[opt._get_variable_index(p)] for p in params]  # and second moments
    shapes = [tuple(p.shape) for p in params]
    sizes = [math.prod(shape) for shape in shapes]
    b1, b2, eps, clip = opt.beta_1, opt.beta_2, opt.epsilon, opt.global_clipnorm

    def flat(tensors):
        return tf.concat([tf.reshape(x, [-1]) for x in tensors], axis=0)

    def unflat(x):
        return [tf.reshape(part, shape) for part, shape in zip(tf.split(x, sizes), shapes)]

    def forward(kernels, biases, obs):
        """The model's Dense layers (matmul, bias, relu): Q-values, and each layer's input (for the gradient)."""
        xs = [obs]
        for kernel, bias in zip(kernels[:-1], biases[:-1]):
            xs.append(tf.nn.relu(tf.nn.bias_add(tf.matmul(xs[-1], kernel), bias)))
        return tf.nn.bias_add(tf.matmul(xs[-1], kernels[-1]), biases[-1]), xs

    def q_values(w, obs):
        """Q-values of obs with the flat weights w."""
        layers = unflat(w)
        return forward(layers[0::2], layers[1::2], obs)[0]

    def huber(error, delta):
        """keras.losses.Huber on error = q - y: the mean of e^2 / 2 within delta, delta * (|e| - delta / 2) outside."""
        linear = delta * tf.abs(error) - 0.5 * tf.square(delta)
        return tf.reduce_mean(tf.where(tf.abs(error) <= delta, 0.5 * tf.square(error), linear))

    def adam_step(state, k, obs, taken, y):
        """One Adam step on the Huber loss between y and Q(s, a) (taken: one-hot a): train_step's arithmetic.

        The gradient is written out: the very ops (and operand order) TensorFlow's tape derives for the
        forward pass and Keras's Huber loss, without the tape's reshapes, tiles and the unused loss value.
        Every constant comes in `k`, made once before the loop (a constant in the loop runs at every step).
        Returns the new state and the step's errors Q(s, a) - y (the loss is computed from the last ones)."""
        w, m, v, t = state
        layers = unflat(w)
        kernels = layers[0::2]
        q, xs = forward(kernels, layers[1::2], obs)
        error = tf.reduce_sum(q * taken, axis=1) - y
        inside = tf.abs(error) <= k.delta
        d = taken * tf.where(inside, k.half_share * (error * k.two), k.delta_share * tf.sign(error))[:, None]
        grads = []  # d is dloss/dQ; back through the layers, as the tape's MatMul, BiasAdd and Relu gradients
        for i in reversed(range(len(kernels))):
            grads[:0] = [tf.matmul(xs[i], d, transpose_a=True), tf.raw_ops.BiasAddGrad(out_backprop=d)]
            if i:
                d = tf.raw_ops.ReluGrad(gradients=tf.matmul(d, kernels[i], transpose_b=True), features=xs[i])
        g = tf.concat([tf.reshape(part, [-1]) for part in grads], axis=0)
        # squared and summed weight by weight, then together: Keras's order, its bits
        norm = tf.sqrt(tf.reduce_sum(tf.stack([tf.reduce_sum(tf.square(part)) for part in grads])))
        g = g * (k.clip * tf.minimum(k.one / norm, k.inv_clip) + (norm - norm))  # g * clip / max(|g|, clip); NaN stays
        t = t + k.one_step
        step = tf.cast(t, tf.float32)
        lr_t = k.lr * tf.sqrt(k.one - tf.pow(k.beta_2, step)) / (k.one - tf.pow(k.beta_1, step))
        m = m + (g - m) * k.one_minus_beta_1
        v = v + (tf.square(g) - v) * k.one_minus_beta_2
        return (w - (m * lr_t) / (tf.sqrt(v) + k.eps), m, v, t), error

    def read_state():
        return flat(params), flat(m_vars), flat(v_vars), tf.identity(opt.iterations)

    def write_state(state):
        w, m, v, iterations = state
        for variable, value in zip([*params, *m_vars, *v_vars], [*unflat(w), *unflat(m), *unflat(v)]):
            variable.assign(value)
        opt.iterations.assign(iterations)

    def phase(obs, actions, target):
        """adam_step on each (obs[t], actions[t], target(w, t)) in turn, t = 0 .. steps - 1; the last loss, weights."""
        state, taken, error = read_state(), tf.one_hot(actions, n_actions), tf.zeros(tf.shape(actions)[1:])
        f32 = {name: tf.constant(value, tf.float32) for name, value in dict(  # Python floats, as Keras rounds them
            delta=s.huber_delta, two=2.0, one=1.0, clip=clip, inv_clip=1.0 / clip, beta_1=b1, beta_2=b2,
            one_minus_beta_1=1 - b1, one_minus_beta_2=1 - b2, eps=eps).items()}
        share = f32["one"] / tf.cast(tf.shape(actions)[1], tf.float32)  # the tape's d(mean)/d(error) = 1 / batch,
        k = SimpleNamespace(**f32, half_share=0.5 * share, delta_share=f32["delta"] * share,  # scaled as it does
                            lr=tf.identity(opt.learning_rate), one_step=tf.constant(1, opt.iterations.dtype))
        for t in tf.range(tf.shape(obs)[0]):
            state, error = adam_step(state, k, tf.gather(obs, t), tf.gather(taken, t), target(state[0], t))
        write_state(state)
        return huber(error, k.delta), unflat(state[0])  # the new weights come back with this call (no read call)

    @tf.function(reduce_retracing=True)
    def train_phase(obs, actions, y):
        return phase(obs, actions, lambda w, t: tf.gather(y, t))

    @tf.function(reduce_retracing=True)
    def train_phase_double(obs, actions, next_obs, y_each):
        """Double DQN: at each step the online network, as it is then, picks a' = argmax Q(s', ·) (the first
        of ties, as Go's argmax), and y is Go's target for that a' (y_each[t, i, a'])."""
        def target(w, t):
            pick = tf.argmax(q_values(w, tf.gather(next_obs, t)), axis=1, output_type=tf.int32)
            return tf.gather(tf.gather(y_each, t), pick, batch_dims=1)
        return phase(obs, actions, target)

    @tf.function(reduce_retracing=True)
    def train_step(obs, actions, y):
        """One step on one batch, the Keras way (optimizer.apply): the reference adam_step matches bit for bit."""
        with tf.GradientTape() as tape:
            loss = huber_loss(y, tf.gather(model(obs, training=True), actions, batch_dims=1))
        opt.apply(tape.gradient(loss, params), params)
        return loss

    read = tf.function(lambda: [tf.identity(v) for v in params])
    return SimpleNamespace(model=model, train_step=train_step, train_phase=train_phase,
                           train_phase_double=train_phase_double, read_weights=lambda: [t.numpy() for t in read()])
