"""What α does in lesson 5's DQN, measured: the target it places, and how far the network follows.

    print_damped_syncs(lib)            # Q̄ per target copy if the network fitted y exactly (damped value iteration)
    phase_fit(agent, alpha=0.1)        # one real training phase: how far each sample's Q moved toward its y

α places the regression target between the frozen Q̄ and the TD target T,
y = (1 − α)·Q̄(s,a) + α·T; Adam then fits the network toward y. If the network
landed on y at every copy, Q̄ ← (1 − α)·Q̄ + α·T(Q̄) would be value iteration
damped by α: the same fixed point, contraction 1 − α(1 − γ) per copy instead of γ.
tests/test_dqn_study.py checks both against the real DQN.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from helpers.agents.dqn import EVAL_SEEDS, forward
from helpers.lessons import dqn_lesson as lesson

SHOWN_COPIES = (17, 100, 1_000)  # 17: the training phases of 5,120 environment steps (the first at step 1,024)


def damped_syncs(lib, alpha: float, gamma: float, copies: int) -> np.ndarray:
    """Q̄ after 0..copies copies for a state where the pole never falls, if Q fitted Go's y exactly each time."""
    qbar = np.zeros(copies + 1)
    for k in range(copies):  # reward 1, not terminated, both actions worth Q̄: y from the kit's own Go target
        qbar[k + 1] = lib.dqn_targets([qbar[k]], [[qbar[k], qbar[k]]], [1.0], [False], alpha, gamma)[0]
    return qbar


def contraction(alpha: float, gamma: float) -> float:
    """How much one copy shrinks the distance to Q*, if the network fitted y exactly: 1 − α(1 − γ)."""
    return 1 - alpha * (1 - gamma)


def print_damped_syncs(lib, alphas=(1.0, 0.1), gamma: float = 0.99, shown=SHOWN_COPIES) -> dict:
    """Print Q̄ after `shown` copies for each α (Q* = 1/(1 − γ)); return {α: {copies: Q̄}}."""
    out = {a: {k: float(damped_syncs(lib, a, gamma, k)[-1]) for k in shown} for a in alphas}
    print(f"Q̄ of a state where the pole never falls (Q* = {1 / (1 - gamma):g}), if Q landed on y at every copy:")
    print(f"{'':>10}  per copy  " + "  ".join(f"after {k:>5,} copies" for k in shown))
    for a, row in out.items():
        print(f"α = {a:<5g}  x{contraction(a, gamma):.4f}  " + "  ".join(f"{row[k]:18.1f}" for k in shown))
    return out


def phase_fit(agent, alpha: float) -> dict:
    """Run one training phase at `alpha` on the agent (right after a copy, so Q = Q̄); per sample of its buffer:

    `moved`: how far Q moved, as a share of its way from Q̄ to the TD target (α would be "landed on y");
    `gap_before`, `gap_after`: the mean |y − Q| before and after; `farther`: the share that ended farther from y.
    """
    d, gamma = agent.dqn, agent.params.gamma
    n, rows = len(d.buffer), np.arange(len(d.buffer))
    obs, actions = d.buffer.obs[:n], d.buffer.actions[:n]
    qbar = forward(d.target, obs)[rows, actions]
    if not np.array_equal(forward(d.online, obs)[rows, actions], qbar):
        raise ValueError("phase_fit needs Q = Q̄: train a whole number of target syncs first")
    td = lib_td_targets(agent, qbar) - qbar
    y = qbar + alpha * td
    d.train_phase(alpha, gamma)
    q = forward(d.online, obs)[rows, actions]
    return dict(moved=(q - qbar) / td, gap_before=float(np.abs(y - qbar).mean()),
                gap_after=float(np.abs(y - q).mean()), farther=float(np.mean(np.abs(y - q) > np.abs(y - qbar))))


def lib_td_targets(agent, qbar: np.ndarray) -> np.ndarray:
    """The TD target T = r + γ(1 − terminated)·max Q̄(s′,·) of every transition in the buffer (Go, α = 1)."""
    d, n = agent.dqn, len(agent.dqn.buffer)
    b = d.buffer
    return agent.lib.dqn_targets(qbar, forward(d.target, b.next_obs[:n]), b.rewards[:n], b.terminated[:n], 1.0,
                                 agent.params.gamma)



def gradient_scales(agent, alphas=(1.0, 0.5), batches: int = 40, huber_delta: float | None = None,
                    clip_norm: float | None = None) -> dict:
    """Without a target network y = Q + α·δ, so α scales the error the network fits. On `batches` batches of
    the agent's buffer, the gradient Adam would receive at each α (the agent's Huber δ and clipping, or those
    given). Per batch: `scale`, the best c with g(α₁) ≈ c·g(α₀), and `uneven`, |g(α₁) − c·g(α₀)| / |g(α₁)|.
    Adam cancels α only if `uneven` is 0 and `scale` the same on every batch."""
    import tensorflow as tf  # noqa: PLC0415 - lazy: only this measurement needs TensorFlow here

    d, s = agent.dqn, agent.settings
    huber = tf.keras.losses.Huber(delta=s.huber_delta if huber_delta is None else huber_delta)
    clip = s.clip_norm if clip_norm is None else clip_norm
    rng, model, out = np.random.default_rng(agent.seed), d.model, {"scale": [], "uneven": []}
    for _ in range(batches):
        obs, actions, rewards, next_obs, terminated = d.buffer.sample(rng, s.batch_size)
        q_sa = forward(d.online, obs)[np.arange(len(obs)), actions]
        grads = []
        for alpha in alphas:
            y = agent.lib.dqn_targets(q_sa, forward(d.online, next_obs), rewards, terminated, alpha,
                                      agent.params.gamma)
            with tf.GradientTape() as tape:
                q = tf.gather(model(obs, training=True), actions, batch_dims=1)
                loss = huber(tf.constant(y, tf.float32), q)
            g = tf.clip_by_global_norm(tape.gradient(loss, model.trainable_variables), clip)[0]
            grads.append(np.concatenate([t.numpy().ravel() for t in g]))
        c = float(grads[1] @ grads[0] / (grads[0] @ grads[0]))
        out["scale"].append(c)
        out["uneven"].append(float(np.linalg.norm(grads[1] - c * grads[0]) / np.linalg.norm(grads[1])))
    return {k: np.asarray(v) for k, v in out.items()}


def overestimation(agent, seeds=EVAL_SEEDS) -> dict:
    """Greedy episodes on fixed seeds: the mean max_a Q(s, a) of the states visited, against the discounted
    return actually obtained from each of them. A truncated episode counts its pole as up forever after,
    γ^k / (1 − γ), so the return is an upper bound and `bias` = q − ret a lower bound of the overestimation."""
    gamma, q, ret = agent.params.gamma, [], []
    for seed in seeds:
        env = gym.make(agent.env_id)
        obs, rewards, done, truncated = env.reset(seed=seed)[0], [], False, False
        while not done:
            values = forward(agent.dqn.online, obs[None].astype(np.float32))[0]
            q.append(float(values.max()))
            obs, r, terminated, truncated, _ = env.step(int(np.argmax(values)))
            rewards.append(float(r))
            done = terminated or truncated
        env.close()
        g = 1 / (1 - gamma) if truncated and gamma < 1 else 0.0  # after a truncation: the best that could follow
        for r in reversed(rewards):
            g = r + gamma * g
            ret.append(g)
        ret[len(ret) - len(rewards):] = ret[len(ret) - len(rewards):][::-1]
    q, ret = np.asarray(q), np.asarray(ret)
    return dict(q=float(q.mean()), ret=float(ret.mean()), bias=float((q - ret).mean()))


def print_overestimation(agents: dict) -> dict:
    """overestimation() of each agent, as one line each."""
    out = {name: overestimation(agent) for name, agent in agents.items()}
    print("greedy episodes on the 10 evaluation seeds: mean max Q of the states visited, and the discounted return")
    for name, r in out.items():
        print(f"{name:>12}:  max Q {r['q']:7.1f}   return obtained {r['ret']:7.1f}   overestimate {r['bias']:+7.1f}")
    return out


STABILISERS = {"both": {}, "no replay": dict(replay=False), "no target network": dict(target_network=False),
               "neither": dict(replay=False, target_network=False)}


def stabiliser_table(agents: dict, steps: int, quiet: bool = False) -> dict:
    """Each agent at environment step `steps`: its Q panel, its training return over the last 2,500 steps and
    its greedy return on the 10 fixed seeds (for agents trained exactly `steps` steps)."""
    out = {name: dict(q=lesson.q_panel_at(agent, steps), ret=lesson.recent_return(agent, steps),
                      greedy=lesson.greedy_return(agent, quiet=True)) for name, agent in agents.items()}
    if not quiet:
        print(f"at environment step {steps:,}: Q panel, training return (last 2,500 steps), greedy return")
        for name, r in out.items():
            print(f"{name:>18}:  Q {r['q']:12.1f}   training {r['ret']:6.1f}   greedy {r['greedy']:6.1f}")
    return out
