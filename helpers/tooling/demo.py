"""Train headless and save the results: the article's `python main.py`, done well.

    python -m helpers.tooling.demo --alpha 0.5 --gamma 0.9 --steps 2000 --env CartPole-v1 --seed 0 --out runs/demo

writes into --out one save of the run (model, history, settings; ``Trainer.load(out)``
reloads it) with figure.png (Q-values left, loss right) and history.csv +
changes.csv (one row per training step) inside it: out/CURRENT names that save
folder, so a reader sees one run's files or the previous run's, never a mix.
--out is checked before training starts. Ctrl+C saves the steps done so far
and exits with 130; a second Ctrl+C waits for the save to finish. With
QKIT_FAST=1 the default number of steps shrinks.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import time
from pathlib import Path

from helpers import fast_mode
from helpers.core.durable import writable_folder
from helpers.core.knobs import SPECS, check, check_size
from helpers.runs import runfolder
from helpers.runs.runstore import latest_save

DEFAULT_STEPS = 2000
FAST_STEPS = 200
ENV_HELP = "'CartPole-v1' (gymnasium) or 'random' (the article's random states)"


def _knob(name: str):
    """An argparse type for a knob of hyperparams.SPECS: its range and message, written once there."""
    def parse(text: str) -> float:
        try:
            return check(name, float(text))
        except ValueError as e:  # float('x') or out of range (HyperparamError is a ValueError)
            raise argparse.ArgumentTypeError(str(e) if "must be" in str(e) else
                                             f"{name} must be a number; got {text!r}") from None
    return parse


def _size(name: str):
    """An argparse type for a whole number of hyperparams.SIZES (steps, batch size, seed)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = text
        try:
            return check_size(name, value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def _out(text: str) -> Path:
    """--out: a folder that can be written (checked now, before any training)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("--out needs a folder name, e.g. runs/demo")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise argparse.ArgumentTypeError(f"{out} exists and is not a folder: choose another --out")
    try:
        writable_folder(out)
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot write into {out} ({e.strerror}): choose another --out") from None
    return out


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
    """The command line of `python -m helpers.tooling.demo`."""
    steps = FAST_STEPS if fast_mode() else DEFAULT_STEPS
    p = argparse.ArgumentParser(
        prog="python -m helpers.tooling.demo",
        description="Train headless (Go computes the Q-learning targets) and save the figure, the run and, "
                    "for the DQN, summary.json.")
    p.add_argument("--agent", choices=("article", "dqn"), default="article",
                   help="'article': the article's Q-network, batched (default); 'dqn': DQN with replay and a "
                        "target network, on CartPole-v1")
    for name in ("alpha", "gamma", "epsilon", "learning_rate"):
        spec = SPECS[name]
        p.add_argument("--" + name.replace("_", "-"), type=_knob(name), default=None,
                       help=f"{spec.meaning}, {spec.rule()} (default: the agent's; article {spec.default:g})")
    p.add_argument("--until-solved", action="store_true",
                   help="dqn: stop at the first greedy evaluation that reaches 475 (10 episodes, every 2,560 steps)")
    p.add_argument("--max-steps", type=_size("steps"), default=50_000,
                   help="dqn: environment steps at most (default 50,000)")
    p.add_argument("--batch-size", type=_size("batch_size"), default=32,
                   help="transitions per training step (default 32)")
    p.add_argument("--steps", type=_size("steps"), default=steps,
                   help=f"training steps (default {steps}; {FAST_STEPS} when QKIT_FAST=1)")
    p.add_argument("--env", type=_env, default="CartPole-v1", help=f"environment: {ENV_HELP}")
    p.add_argument("--seed", type=_size("seed"), default=0,
                   help="seed for the network, the environment and exploration")
    p.add_argument("--out", default="runs/demo", help="output folder (default runs/demo), checked before training")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse, train with a progress bar, save, and print where everything went (Ctrl+C: save, exit 130)."""
    cli = parser()
    args = cli.parse_args(argv)
    try:
        out = _out(args.out)
        runfolder.check_claim(out, "DQNAgent" if args.agent == "dqn" else "Trainer")
    except (argparse.ArgumentTypeError, ValueError) as e:
        cli.error(f"argument --out: {e}")
    from helpers.bridge import golib

    if args.agent == "dqn":
        from helpers.tooling.demo_dqn import run_dqn

        return run_dqn(args, out, cli)
    from helpers.agents.trainer import Trainer

    knobs = {k: SPECS[k].default if getattr(args, k) is None else getattr(args, k) for k in SPECS}
    try:
        t = Trainer.create(env=args.env, batch_size=args.batch_size, seed=args.seed, **knobs)
    except ValueError as e:  # e.g. an environment whose actions are not discrete
        cli.error(str(e))
    except (golib.GoBuildError, golib.ToolMissingError) as e:
        print(f"error: the Go library is needed and could not be built:\n{e}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        t.train(args.steps, progress=True)
    except KeyboardInterrupt:  # train() stopped after a whole step: save what was done
        _write(t, out, args.env)
        print(f"\ninterrupted: saved the {t.step_count:,} steps done so far to {out}", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    _write(t, out, args.env)
    _report(t, out, seconds)
    return 0


SAVED: list[Path] = []  # the run folder once a save is complete (what a late Ctrl+C reports)


def shielded(work):
    """work() with Ctrl+C held back until it is done (half a save helps nobody); a press meanwhile is said."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread handles signals
        return work()
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        return work()
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed:
            print("\n(Ctrl+C while saving: the save was finished first)", file=sys.stderr)


def _write(t, out: Path, env: str) -> None:
    """One save of the run with the figure and the CSV exports inside it, published by one rename."""
    from helpers.core.durable import write_durably
    from helpers.views.figures import make_figure

    def exports(save: Path) -> None:
        write_durably(save / "figure.png", make_figure(t.figure_spec()).update(t.snapshot()).save)
        t.history.to_csv(save / "history.csv", save / "changes.csv")

    shielded(lambda: t.save(out, extras=exports))
    SAVED.append(out)


def _report(t, out: Path, seconds: float) -> None:
    last = t.history.last()
    q = ", ".join(f"{v:.3g}" for v in last["q_mean"])
    print(f"trained {t.step_count:,} steps x {t.batch_size} = {t.step_count * t.batch_size:,} samples "
          f"in {seconds:.1f} s ({t.step_count * t.batch_size / seconds:,.0f} samples/s); "
          f"{t.episode:,} episodes; last loss {last['loss']:.3g}; mean Q per action [{q}]")
    if math.isfinite(last["episode_return"]):
        print(f"last finished episodes returned {last['episode_return']:.1f} on average")
    save = latest_save(out)
    print(f"wrote {save / 'figure.png'}")
    print(f"      {save / 'history.csv'} (+ changes.csv)")
    print(f"      the run itself (model, history, settings; load with Trainer.load({str(out)!r}))")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        if SAVED:  # after the save: it is complete
            print(f"\ninterrupted: the run saved in {SAVED[-1]} is complete", file=sys.stderr)
        else:  # before training started (e.g. while TensorFlow loads)
            print("\ninterrupted before training started: nothing to save", file=sys.stderr)
        sys.exit(130)
