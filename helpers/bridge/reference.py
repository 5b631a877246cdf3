"""The Q-learning updates in plain NumPy: the yardstick for the Go library.

Same arithmetic, same order of operations as go/qlearn, so results agree to
the last bit or two (Go may fuse a multiply-add on some CPUs).
"""

import numpy as np


def article_update(current_q, reward, max_next_q, alpha, gamma):
    """The seed article's update: maxNextQ <= 0 is (wrongly) taken as terminal."""
    current_q, reward, max_next_q = np.asarray(current_q), np.asarray(reward), np.asarray(max_next_q)
    target = np.where(max_next_q > 0, reward + gamma * max_next_q, reward)
    return current_q + alpha * (target - current_q)


def td_target(reward, max_next_q, terminal, gamma):
    """r for a terminal transition, else r + gamma * max_next_q."""
    reward = np.asarray(reward, dtype=np.float64)
    return np.where(terminal, reward, reward + gamma * np.asarray(max_next_q, dtype=np.float64))


def q_update(q, reward, max_next_q, terminal, alpha, gamma):
    """Q + alpha * (target - Q), element-wise: NumPy's expression of the Go batch update."""
    q = np.asarray(q, dtype=np.float64)
    return q + alpha * (td_target(reward, max_next_q, terminal, gamma) - q)


def td_targets(next_q, reward, terminal, gamma):
    """TD targets from an n x actions matrix of next-state Q-values."""
    return td_target(reward, np.asarray(next_q).max(axis=1), terminal, gamma)


def q_update_loop(q, reward, max_next_q, terminal, alpha, gamma):
    """The same update as a Python for-loop: what not to do with big arrays."""
    out = [0.0] * len(q)
    for i in range(len(q)):
        target = reward[i] if terminal[i] else reward[i] + gamma * max_next_q[i]
        out[i] = q[i] + alpha * (target - q[i])
    return np.array(out)


def dqn_targets(qbar_sa, next_qbar, reward, terminated, alpha, gamma, next_q_online=None) -> np.ndarray:
    """DQN targets Q̄(s,a) + alpha*(r + gamma*(1-terminated)*Q̄(s',a*) - Q̄(s,a)), as Go computes them.

    a* = argmax of next_qbar, or of next_q_online when given (Double DQN); the first max wins ties.
    """
    next_qbar = np.asarray(next_qbar, dtype=np.float64)
    pick = next_qbar if next_q_online is None else np.asarray(next_q_online, dtype=np.float64)
    best = next_qbar[np.arange(len(next_qbar)), np.argmax(pick, axis=1)]
    not_done = 1.0 - np.asarray(terminated, dtype=np.float64)
    qbar_sa = np.asarray(qbar_sa, dtype=np.float64)
    return qbar_sa + alpha * (np.asarray(reward, dtype=np.float64) + gamma * not_done * best - qbar_sa)
