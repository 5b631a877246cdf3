"""`python -m helpers.tooling.demo --agent dqn`: train the DQN headless until solved (or a step budget).

Writes into --out one save of the final model's run (model, history, settings)
with figure.png and summary.json inside it (out/CURRENT names it: one run's
files, never a mix), and best/ (the run as it was at its best greedy
evaluation: loadable the same way). "solved" is the training-time criterion
(the greedy mean over EVAL_SEEDS reached 475 at solve_step); a DQN can get
worse after that, so summary.json also judges the final model and the best
one on 20 other fixed seeds (FINAL_SEEDS): greedy_mean ± greedy_std (final)
and best.greedy_mean ± best.greedy_std, with final_balances and
best.balances (mean >= 475 there). Prints the final result next to a random
policy's on the same seeds.
"""

from __future__ import annotations

import json
import sys
import time

BEST = "best"  # the subfolder holding the run at its best greedy evaluation


def run_dqn(args, out, cli) -> int:
    """Train, report, save; Ctrl+C saves what was done (exit 130)."""
    from tqdm import tqdm

    from helpers.agents.dqn import FINAL_SEEDS, greedy_returns
    from helpers.agents.dqn_agent import DQNAgent
    from helpers.agents.envs import random_policy_returns
    from helpers.agents.qnet import load_model
    from helpers.core.durable import write_durably, write_text_durably
    from helpers.runs import runfolder, runstore
    from helpers.tooling.demo import SAVED, shielded
    from helpers.views.figures import make_figure

    if args.env != "CartPole-v1":
        cli.error("--agent dqn trains on CartPole-v1 only (its solve criterion is CartPole's 475)")
    knobs = {k: getattr(args, k) for k in ("alpha", "gamma", "epsilon", "learning_rate")
             if getattr(args, k) is not None}
    agent = DQNAgent.create(seed=args.seed, **knobs)
    runfolder.claim(out, type(agent).__name__)  # out is the kit's run folder from the start: best/ lives inside it
    chunks, start = -(-args.max_steps // agent.chunk), time.perf_counter()
    bar = tqdm(total=chunks * agent.chunk, desc="DQN on CartPole-v1", unit="step")
    interrupted, best = False, None  # best: (environment step, greedy mean over EVAL_SEEDS) of the best evaluation
    try:
        for _ in range(chunks):
            evaluated = len(agent.evals)
            agent.train(1)
            last = agent.evals[-1][1] if agent.evals else float("nan")
            if len(agent.evals) > evaluated and (best is None or last > best[1]):
                best = (agent.evals[-1][0], last)
                agent.save(out / BEST)  # the model just evaluated: nothing trained since (DQNAgent's docstring)
            bar.update(agent.chunk)
            bar.set_postfix_str(f"greedy return {last:.0f}, ε {agent.epsilon_now:.2f}")
            if args.until_solved and agent.solved_step is not None:
                break
    except KeyboardInterrupt:
        interrupted = True
    bar.close()
    seconds = time.perf_counter() - start
    cartpole = lambda: __import__("gymnasium").make("CartPole-v1")  # noqa: E731
    target = agent.settings.solved_at

    def finish():
        """The final greedy episodes (and the best run's), then one save with the figure and summary.json inside."""
        final = greedy_returns(agent.dqn.online, cartpole, FINAL_SEEDS)
        solve_s = next((e[3] for e in agent.eval_times if e[0] == agent.solved_step), None)
        summary = dict(solved=agent.solved_step is not None, solve_step=agent.solved_step, solve_seconds=solve_s,
                       greedy_mean=float(final.mean()), greedy_std=float(final.std()),
                       final_balances=bool(final.mean() >= target), episodes=agent.episode,
                       seed=args.seed, env_steps=agent.dqn.global_step, seconds=seconds, evals=agent.evals,
                       interrupted=interrupted, best=None)
        if best is not None:
            weights = runstore.load_run(out / BEST, load_model).model.get_weights()  # loadable like the final run
            scores = greedy_returns(weights, cartpole, FINAL_SEEDS)
            summary["best"] = dict(folder=BEST, step=best[0], eval_mean=best[1], greedy_mean=float(scores.mean()),
                                   greedy_std=float(scores.std()), balances=bool(scores.mean() >= target))

        def exports(save):
            write_durably(save / "figure.png", make_figure(agent.figure_spec()).update(agent.snapshot()).save)
            write_text_durably(save / "summary.json", json.dumps(summary, indent=2) + "\n")

        agent.save(out, extras=exports)
        return final, solve_s, summary

    final, solve_s, summary = shielded(finish)
    SAVED.append(out)
    baseline = random_policy_returns("CartPole-v1", FINAL_SEEDS)
    if interrupted:
        print(f"\ninterrupted: saved the {agent.dqn.global_step:,} environment steps done so far to {out}",
              file=sys.stderr)
        return 130
    verdict = f"solved at step {agent.solved_step:,} ({solve_s:.0f} s)" if agent.solved_step else "not solved"
    print(f"{verdict}; {agent.dqn.global_step:,} environment steps, {agent.episode:,} episodes, {seconds:.0f} s")
    print(f"final model, greedy return over 20 fixed episodes: {final.mean():.1f} ± {final.std():.1f}  "
          f"(a random policy: {baseline.mean():.1f} ± {baseline.std():.1f}; the maximum is 500)")
    if summary["best"]:
        b = summary["best"]
        print(f"best model (evaluated {b['eval_mean']:.0f} at step {b['step']:,}, kept in {out / BEST}): "
              f"{b['greedy_mean']:.1f} ± {b['greedy_std']:.1f} on the same 20 episodes")
    save = runstore.latest_save(out)
    print(f"wrote {save / 'figure.png'}, {save / 'summary.json'} and the run (model, history, settings)")
    return 0
