"""Bench suite for training: the article's loop against the fast Trainer, same run.

Used by `make bench` (suite "helpers.tooling.bench.training:figures") and by lesson 4,
which measures each speed-up with samples_per_second().
"""

from __future__ import annotations

import statistics
import time

from helpers.tooling.bench import figure


def seed_loop_speed(lib, samples: int = 8, seed: int = 0) -> float:
    """Samples per second of the article's predict + Go + fit loop (after a warm-up sample)."""
    from helpers.agents.article import run_article_workflow
    from helpers.agents.qnet import build_q_network

    model = build_q_network(seed=seed)
    run_article_workflow(2, lib=lib, seed=seed, model=model)  # first calls build Keras's functions
    return run_article_workflow(samples, lib=lib, seed=seed, model=model).samples_per_second


def trainer_speed(lib, env: str = "random", steps: int = 500, rounds: int = 3, batch_size: int = 32) -> float:
    """Median samples per second of Trainer.train(steps) over `rounds` rounds (after warm-up steps)."""
    from helpers.agents.trainer import Trainer

    t = Trainer.create(env=env, batch_size=batch_size, seed=0, lib=lib)
    t.train(20)  # traces the step once
    speeds = []
    for _ in range(rounds):
        start = time.perf_counter()
        t.train(steps)
        speeds.append(steps * batch_size / (time.perf_counter() - start))
    return statistics.median(speeds)


def figures() -> list[dict]:
    """seed_loop_samples_per_s, fast_trainer_samples_per_s, their ratio (target >= 1000x), CartPole's rate."""
    from helpers.bridge import golib
    lib = golib.load()
    seed = seed_loop_speed(lib)
    fast = trainer_speed(lib, env="random")
    cartpole = trainer_speed(lib, env="CartPole-v1")
    return [
        figure("seed_loop_samples_per_s", seed, "samples/s",
               what="the article's loop: model.predict + Go updateQValue + model.fit, one random state at a time"),
        figure("fast_trainer_samples_per_s", fast, "samples/s",
               what="Trainer.create(env='random', batch_size=32): one tf.function step per batch, Go batch targets"),
        figure("trainer_vs_seed_loop", fast / seed, "x", target=">= 1000",
               what="fast_trainer_samples_per_s / seed_loop_samples_per_s, same run"),
        figure("fast_trainer_cartpole_samples_per_s", cartpole, "samples/s",
               what="Trainer.create(env='CartPole-v1', batch_size=32), gymnasium's vectorised CartPole included"),
    ]
