"""`python -m helpers.tooling.demo --agent dqn`: train the DQN headless until solved (or a step budget).

Writes into --out one save of the run (model, history, settings) with
figure.png and summary.json inside it (out/CURRENT names it: one run's files,
never a mix): solved, solve_step, solve_seconds, greedy_mean, greedy_std (20
greedy episodes on other fixed seeds, at the end), episodes, seed. Prints the
greedy result next to a random policy's on the same seeds.
"""

from __future__ import annotations

import json
import sys
import time


def run_dqn(args, out, cli) -> int:
    """Train, report, save; Ctrl+C saves what was done (exit 130)."""
    from tqdm import tqdm

    from helpers.agents.dqn import FINAL_SEEDS, greedy_returns
    from helpers.agents.dqn_agent import DQNAgent
    from helpers.agents.envs import random_policy_returns
    from helpers.core.durable import write_durably, write_text_durably
    from helpers.runs.runstore import latest_save
    from helpers.tooling.demo import SAVED, shielded
    from helpers.views.figures import make_figure

    if args.env != "CartPole-v1":
        cli.error("--agent dqn trains on CartPole-v1 only (its solve criterion is CartPole's 475)")
    knobs = {k: getattr(args, k) for k in ("alpha", "gamma", "learning_rate") if getattr(args, k) is not None}
    if args.epsilon is not None:
        knobs["eps_end"] = args.epsilon
    agent = DQNAgent.create(seed=args.seed, **knobs)
    chunks, start = -(-args.max_steps // agent.chunk), time.perf_counter()
    bar = tqdm(total=chunks * agent.chunk, desc="DQN on CartPole-v1", unit="step")
    interrupted = False
    try:
        for _ in range(chunks):
            agent.train(1)
            last = agent.evals[-1][1] if agent.evals else float("nan")
            bar.update(agent.chunk)
            bar.set_postfix_str(f"greedy return {last:.0f}, ε {agent.epsilon_now:.2f}")
            if args.until_solved and agent.solved_step is not None:
                break
    except KeyboardInterrupt:
        interrupted = True
    bar.close()
    seconds = time.perf_counter() - start

    def finish():
        """The final greedy episodes, then one save with the figure and summary.json inside it."""
        final = greedy_returns(agent.dqn.online, lambda: __import__("gymnasium").make("CartPole-v1"), FINAL_SEEDS)
        solve_s = next((e[3] for e in agent.eval_times if e[0] == agent.solved_step), None)
        summary = dict(solved=agent.solved_step is not None, solve_step=agent.solved_step, solve_seconds=solve_s,
                       greedy_mean=float(final.mean()), greedy_std=float(final.std()), episodes=agent.episode,
                       seed=args.seed, env_steps=agent.dqn.global_step, seconds=seconds, evals=agent.evals,
                       interrupted=interrupted)

        def exports(save):
            write_durably(save / "figure.png", make_figure(agent.figure_spec()).update(agent.snapshot()).save)
            write_text_durably(save / "summary.json", json.dumps(summary, indent=2) + "\n")

        agent.save(out, extras=exports)
        return final, solve_s

    final, solve_s = shielded(finish)
    SAVED.append(out)
    baseline = random_policy_returns("CartPole-v1", FINAL_SEEDS)
    if interrupted:
        print(f"\ninterrupted: saved the {agent.dqn.global_step:,} environment steps done so far to {out}",
              file=sys.stderr)
        return 130
    verdict = f"solved at step {agent.solved_step:,} ({solve_s:.0f} s)" if agent.solved_step else "not solved"
    print(f"{verdict}; {agent.dqn.global_step:,} environment steps, {agent.episode:,} episodes, {seconds:.0f} s")
    print(f"greedy return over 20 fixed episodes: {final.mean():.1f} ± {final.std():.1f}  "
          f"(a random policy: {baseline.mean():.1f} ± {baseline.std():.1f}; the maximum is 500)")
    save = latest_save(out)
    print(f"wrote {save / 'figure.png'}, {save / 'summary.json'} and the run (model, history, settings)")
    return 0
