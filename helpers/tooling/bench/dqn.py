"""`make bench` suite: the DQN on CartPole-v1, its training phase, and its solve time.

Phase, as a run trains: seed 0 at the default settings, trained PHASE_STEPS environment
steps on the fused path (one Go call, one compiled TensorFlow loop per phase)
and on the per-step path (one Go call and one TF call per gradient step), PHASE_ROUNDS
rounds in turn; the two paths train bit for bit alike, so both see the same
transitions and weights (checked here). `dqn_phase_ms` of each path is the
median of every phase the runs timed, and their ratio is `dqn_phase_speedup`.

Phase, back to back (one agent, one buffer, the two paths alternating): a
fused phase right after per-step phases reads slower than in training (51 ms
against 37-39 ms for the next ones, measured here), so this ratio reads lower;
it is kept beside the other for comparison. One gradient step inside the fused
loop (`dqn_grad_step_us`) is set beside the same step's forward + backward pass
in plain NumPy matrix products (`dqn_grad_step_floor_us`): how close the kit
is to the arithmetic itself. The floors are one core's; the fused phase uses
two (TensorFlow's threads in the loop, a helper thread for half of Q̄).

Solve: solved = the mean return of 10 greedy episodes on fixed seeds reaches
475, evaluated every 2,560 environment steps. Seeds 0-7 at the default
settings (alpha = 1, gamma = 0.99, the fused phase) within 50,000 steps; then
alpha = 0.3 on seeds 0-3, to show that alpha acts: alpha_effect_ratio = median
steps to solve at 0.3 over median steps at 1 (an unsolved run counts as its
step budget).

    python -m helpers.tooling.bench.dqn phase     # the phase figures only (about two minutes)
    python -m helpers.tooling.bench.dqn           # all of them
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from helpers.tooling.bench import figure

SEEDS = tuple(range(8))
PHASE_STEPS, PHASE_ROUNDS = 12_288, 2  # the runs behind dqn_phase_ms: 44 phases each
ALPHA_SEEDS = (0, 1, 2, 3)


def numpy_grad_step(weights: list, obs, actions, y, delta: float = 1.0) -> list:
    """Gradients of the mean Huber loss between y and Q(s, a) of the taken actions, in plain NumPy."""
    xs = [obs]
    for w, b in zip(weights[0:-2:2], weights[1:-2:2]):
        xs.append(np.maximum(xs[-1] @ w + b, 0.0))
    q = xs[-1] @ weights[-2] + weights[-1]
    rows = np.arange(len(obs))
    g = np.zeros_like(q)
    g[rows, actions] = np.clip(q[rows, actions] - y, -delta, delta) / len(obs)
    grads = []
    for i in range(len(xs) - 1, -1, -1):
        grads[:0] = [xs[i].T @ g, g.sum(axis=0)]
        if i:
            g = (g @ weights[2 * i].T) * (xs[i] > 0)
    return grads


def phase_agent(fill: int = 2_000):
    """A default DQN that has acted `fill` steps without training: a buffer to sample phases from."""
    import gymnasium as gym

    from helpers.agents.dqn import DQN, Settings
    from helpers.bridge import golib

    dqn = DQN(gym.make("CartPole-v1"), golib.load(), Settings(learning_starts=100_000), seed=0)  # acts, never trains
    for _ in range(fill):
        dqn.step(1.0, 0.99, 0.04)
    return dqn


def phase_times(dqn, repeat: int = 9) -> dict:
    """Median seconds of each way to run a phase and of its arithmetic floor, all alternating (after a warm-up).

    fused / per_step: a whole training phase on each path. loop: the fused phase's compiled call alone, on
    prepared tensors. step_floor: one NumPy forward + backward. qbar: the phase's Q̄ forward passes in NumPy.
    """
    from helpers.agents.dqn import forward
    from helpers.agents.qnet import tf

    s = dqn.settings
    obs, actions, _, next_obs, _ = dqn.buffer.sample(dqn.rng, s.batch_size, steps=s.gradient_steps)
    y = np.random.default_rng(0).normal(size=actions.shape).astype(np.float32)
    args = tf.constant(obs), tf.constant(actions), tf.constant(y)

    def path(fused: bool):
        dqn.fused = fused
        dqn.train_phase(1.0, 0.99)

    weights = dqn.read_weights()
    ways = {"fused": lambda: path(True), "per_step": lambda: path(False), "loop": lambda: dqn.net.train_phase(*args),
            "step_floor": lambda: numpy_grad_step(weights, obs[0], actions[0], y[0]),
            "qbar": lambda: [forward(weights, o) for o in (*obs, *next_obs)]}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat + 1):
        for name, fn in ways.items():
            number = 20 if name == "step_floor" else 1
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def training_phases(steps: int = PHASE_STEPS, rounds: int = PHASE_ROUNDS) -> dict:
    """Median seconds of a training phase on each path, over every phase of real runs (each run's first phase,
    which compiles, left out), and whether the two paths' runs ended with the same weights."""
    import gymnasium as gym

    from helpers.agents.dqn import DQN, Settings
    from helpers.bridge import golib

    lib, times, same = golib.load(), {"fused": [], "per_step": []}, True
    for _ in range(rounds):
        weights = []
        for path in times:
            dqn = DQN(gym.make("CartPole-v1"), lib, Settings(), seed=0, fused=path == "fused")
            for _ in range(steps):
                dqn.step(1.0, 0.99, 0.04)
            times[path] += dqn.phase_seconds[1:]
            weights.append(dqn.online)
        same = same and all(np.array_equal(a, b) for a, b in zip(*weights))
    return {**{path: statistics.median(t) for path, t in times.items()}, "phases": len(times["fused"]),
            "same_run": same}


def phase_figures() -> list[dict]:
    tr = training_phases()
    dqn = phase_agent()  # its __init__ limits BLAS to one thread: the floor runs as the DQN's NumPy does
    t, s = phase_times(dqn), dqn.settings
    floor_ms = 1e3 * (s.gradient_steps * t["step_floor"] + t["qbar"])
    what = f"one training phase: {s.gradient_steps} Adam steps on batches of {s.batch_size}, Q̄ and Go's targets"
    runs = (f"median of {tr['phases']} phases of seed 0's runs, {PHASE_STEPS:,} steps, {PHASE_ROUNDS} rounds in "
            "turn with the other path")
    return [
        figure("dqn_phase_ms", 1e3 * tr["fused"], "ms", path="fused",
               what=f"{what}; fused: one Go call, one compiled TF loop ({runs})"),
        figure("dqn_phase_ms_per_step", 1e3 * tr["per_step"], "ms", path="per step",
               what=f"{what}; per step: one Go call and one TF call per gradient step, DQN(..., fused=False) ({runs})"),
        figure("dqn_phase_speedup", tr["per_step"] / tr["fused"], "x", target=">= 4", same_run=tr["same_run"],
               what="dqn_phase_ms_per_step / dqn_phase_ms, as runs train (same_run: both paths' runs ended with "
                    "the same weights, bit for bit)"),
        figure("dqn_phase_speedup_back_to_back", t["per_step"] / t["fused"], "x",
               fused_ms=1e3 * t["fused"], per_step_ms=1e3 * t["per_step"],
               what="the same ratio with both paths alternating on one agent and one buffer (medians)"),
        figure("dqn_phase_floor_ms", floor_ms, "ms",
               what="the phase's arithmetic in plain NumPy on one core: gradient_steps x dqn_grad_step_floor_us + Q̄"),
        figure("dqn_phase_speedup_limit", 1e3 * tr["per_step"] / floor_ms, "x",
               what="dqn_phase_ms_per_step / dqn_phase_floor_ms: a phase with zero overhead, on one core"),
        figure("dqn_grad_step_us", 1e6 * t["loop"] / s.gradient_steps, "us",
               what="one Adam step inside the compiled loop (Huber loss, global-norm clipping, Adam)"),
        figure("dqn_grad_step_floor_us", 1e6 * t["step_floor"], "us",
               what="the same step's forward + backward in plain NumPy matrix products (no optimizer), one thread"),
        figure("dqn_grad_step_vs_floor", t["loop"] / s.gradient_steps / t["step_floor"], "x", target="<= 3",
               what="dqn_grad_step_us / dqn_grad_step_floor_us, same run"),
    ]


def solve(seed: int, alpha: float = 1.0, max_steps: int = 50_000) -> dict:
    """Train one DQN until solved or max_steps; steps and seconds to solve (None if not solved)."""
    from helpers.agents.dqn_agent import DQNAgent

    agent = DQNAgent.create(seed=seed, alpha=alpha)
    start = time.perf_counter()
    while agent.solved_step is None and agent.dqn.global_step < max_steps:
        agent.train(1)
    seconds = time.perf_counter() - start
    return {"seed": seed, "alpha": alpha, "steps": agent.solved_step, "seconds": seconds if agent.solved_step else None,
            "budget": max_steps}


def solve_figures(seeds=SEEDS, alpha_seeds=ALPHA_SEEDS) -> list[dict]:
    runs = [solve(seed) for seed in seeds]
    solved = [r for r in runs if r["steps"] is not None]
    slow = [solve(seed, alpha=0.3, max_steps=100_000) for seed in alpha_seeds]
    steps_1 = statistics.median(r["steps"] or r["budget"] for r in runs if r["seed"] in alpha_seeds)
    steps_03 = statistics.median(r["steps"] or r["budget"] for r in slow)
    n = len(seeds)
    return [
        figure("dqn_cartpole_seeds_solved", len(solved), f"of {n}", target=f"{n} of {n}",
               what=f"seeds 0-{n - 1} whose greedy mean reached 475 within 50,000 environment steps (alpha 1, "
                    "gamma 0.99, fused phase)", steps=[r["steps"] for r in runs]),
        figure("dqn_cartpole_solve_steps_median", statistics.median(r["steps"] or r["budget"] for r in runs),
               "env steps", what=f"median steps to solve, seeds 0-{n - 1} (unsolved = 50,000)"),
        figure("dqn_cartpole_solve_s_median",
               statistics.median(r["seconds"] for r in solved) if solved else float("nan"), "s",
               target="<= half of SB3's (design notes: about 120 s a seed here)",
               what=f"median wall time to solve over the solved seeds of 0-{n - 1}, this machine, this run",
               seconds=[r["seconds"] for r in runs]),
        figure("alpha_effect_ratio", steps_03 / steps_1, "x", target="clearly > 1",
               what="median steps to solve at alpha 0.3 over at alpha 1, seeds 0-3 (unsolved = its budget)",
               steps_alpha_03=[r["steps"] for r in slow]),
    ]


def figures() -> list[dict]:
    return phase_figures() + solve_figures()


if __name__ == "__main__":
    for f in phase_figures() if sys.argv[1:] == ["phase"] else figures():
        print(f)
