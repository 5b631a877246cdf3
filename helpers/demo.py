"""Train headless and save the results: the article's `python main.py`, done well.

    python -m helpers.demo --alpha 0.5 --gamma 0.9 --steps 2000 --env CartPole-v1 --seed 0 --out runs/demo

writes, into --out: figure.png (Q-values left, loss right), history.csv and
changes.csv (one row per training step), model.keras and trainer.json.
With QKIT_FAST=1 the default number of steps shrinks.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from . import fast_mode

DEFAULT_STEPS = 2000
FAST_STEPS = 200
ENV_HELP = "'CartPole-v1' (gymnasium) or 'random' (the article's random states)"


def _ranged(name: str, cast, ok, kind: str, rule: str):
    """An argparse type: cast(text), refused unless ok(value); messages say `kind` and `rule`."""
    from .hyperparams import MEANING

    def parse(text: str):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {kind} {rule}; got {text!r}") from None
        if not ok(v):  # comparisons are False for nan, so nan is refused too
            what = f"{name} is {MEANING[name]} and" if name in MEANING else name
            raise argparse.ArgumentTypeError(f"{what} must be {rule if kind == 'a number' else kind + ' ' + rule}; "
                                             f"got {text}")
        return v

    return parse


def _unit(name: str):
    """A float in [0, 1]: alpha, gamma, epsilon."""
    return _ranged(name, float, lambda v: 0.0 <= v <= 1.0, "a number", "in [0, 1]")


_learning_rate = _ranged("learning rate", float, lambda v: 0.0 < v <= 1.0, "a number", "in (0, 1]")
_seed = _ranged("seed", int, lambda v: v >= 0, "a whole number", ">= 0")


def _positive(name: str):
    """A whole number >= 1: steps, batch size."""
    return _ranged(name, int, lambda v: v >= 1, "a whole number", ">= 1")


def _env(text: str) -> str:
    """'random' or a registered gymnasium id (checked here, so a typo fails before TensorFlow loads)."""
    if text == "random":
        return text
    import gymnasium as gym

    if text not in gym.registry:
        close = [k for k in gym.registry if k.lower().startswith(text.lower().split("-")[0][:4])][:5]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise argparse.ArgumentTypeError(f"unknown environment {text!r}: use {ENV_HELP}.{hint}")
    return text


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m helpers.demo`."""
    steps = FAST_STEPS if fast_mode() else DEFAULT_STEPS
    p = argparse.ArgumentParser(
        prog="python -m helpers.demo",
        description="Train the article's Q-network (Go computes the Q-learning targets) and save "
                    "the two-panel figure, the training history and the model.")
    p.add_argument("--alpha", type=_unit("alpha"), default=0.5, help="Q-learning step size in [0, 1] (default 0.5)")
    p.add_argument("--gamma", type=_unit("gamma"), default=0.9, help="discount factor in [0, 1] (default 0.9)")
    p.add_argument("--epsilon", type=_unit("epsilon"), default=0.1,
                   help="exploration rate in [0, 1] (default 0.1)")
    p.add_argument("--learning-rate", type=_learning_rate, default=1e-3, help="Adam's learning rate (default 1e-3)")
    p.add_argument("--batch-size", type=_positive("batch size"), default=32,
                   help="transitions per training step (default 32)")
    p.add_argument("--steps", type=_positive("steps"), default=steps,
                   help=f"training steps (default {steps}; {FAST_STEPS} when QKIT_FAST=1)")
    p.add_argument("--env", type=_env, default="CartPole-v1", help=f"environment: {ENV_HELP}")
    p.add_argument("--seed", type=_seed, default=0, help="seed for the network, the environment and exploration")
    p.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse, train with a progress bar, save, and print where everything went."""
    cli = parser()
    args = cli.parse_args(argv)
    from . import golib, toolchain
    from .plots import TrainingFigure
    from .trainer import Trainer

    try:
        t = Trainer(env=args.env, alpha=args.alpha, gamma=args.gamma, epsilon=args.epsilon,
                    learning_rate=args.learning_rate, batch_size=args.batch_size, seed=args.seed)
    except ValueError as e:  # e.g. an environment whose actions are not discrete
        cli.error(str(e))
    except (golib.GoBuildError, toolchain.ToolMissingError) as e:
        print(f"error: the Go library is needed and could not be built:\n{e}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    t.train(args.steps, progress=True)
    seconds = time.perf_counter() - start
    out = t.save(args.out)
    names = ["push left", "push right"] if args.env.startswith("CartPole") else None
    fig = TrainingFigure(title=args.env, action_names=names).update(t.history.snapshot())
    fig.save(out / "figure.png")
    last = t.history.last()
    q = ", ".join(f"{v:.3g}" for v in last["q_mean"])
    print(f"trained {t.step_count:,} steps x {t.batch_size} = {t.step_count * t.batch_size:,} samples "
          f"in {seconds:.1f} s ({t.step_count * t.batch_size / seconds:,.0f} samples/s); "
          f"{t.episode:,} episodes; last loss {last['loss']:.3g}; mean Q per action [{q}]")
    if math.isfinite(last["episode_return"]):
        print(f"last finished episodes returned {last['episode_return']:.1f} on average")
    print(f"wrote {out / 'figure.png'}")
    print(f"      {out / 'history.csv'} (+ changes.csv)")
    print(f"      {out / 'model.keras'} (+ trainer.json; load with helpers.trainer.Trainer.load({str(out)!r}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
