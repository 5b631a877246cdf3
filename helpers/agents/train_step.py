"""The article's training step as one compiled TensorFlow graph, with Go in the middle.

Q(s), Q(s') -> Go's batch update of the taken actions' Q-values -> the
article's fit target (the prediction with that one value replaced) -> one
Adam step on the MSE. alpha and gamma are tf.Variables, so moving a slider
never retraces the graph.
"""

from __future__ import annotations

from helpers.agents.qnet import tf


def make_train_step(model, lib, alpha: tf.Variable, gamma: tf.Variable, n_features: int):
    """One tf.function: Q(s), Q(s'), Go's targets for the taken actions, one Adam step on the MSE."""

    def go_targets(q_taken, reward, max_next_q, terminal, a, g):  # runs in Go, between graph ops
        try:
            return lib.q_update(q_taken, reward, max_next_q, terminal, float(a), float(g))
        except Exception as e:  # TensorFlow would wrap it; keep the original for the caller
            train_step.go_error = e
            raise

    n_actions = model.output_shape[-1]
    spec = [tf.TensorSpec([None, n_features], tf.float32), tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([None], tf.float64), tf.TensorSpec([None, n_features], tf.float32),
            tf.TensorSpec([None], tf.bool), tf.TensorSpec([None], tf.bool)]

    @tf.function(input_signature=spec)
    def train_step(states, actions, reward, next_states, terminal, valid):
        next_q = model(next_states, training=False)
        with tf.GradientTape() as tape:
            q = model(states, training=True)
            q_taken = tf.gather(q, actions, batch_dims=1)
            target = tf.numpy_function(go_targets, [tf.cast(q_taken, tf.float64), reward,
                                                    tf.cast(tf.reduce_max(next_q, axis=1), tf.float64),
                                                    terminal, alpha, gamma], tf.float64, stateful=True)
            target = tf.where(valid, tf.cast(tf.reshape(target, [-1]), tf.float32), q_taken)
            # The article's fit target: the predicted Q-values, the taken action's replaced by Go's.
            y = tf.stop_gradient(q + tf.one_hot(actions, n_actions) * (target - q_taken)[:, None])
            weight = tf.cast(valid, tf.float32)
            per_sample = tf.reduce_mean(tf.square(y - q), axis=1)  # Keras's MSE
            loss = tf.reduce_sum(per_sample * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)
        return loss, tf.reduce_mean(q, axis=0), next_q

    train_step.go_error = None
    return train_step
