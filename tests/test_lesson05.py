"""Lesson 05's statements about what the learner will see, checked at the lesson's full length.

"Truth in lessons": each test quotes the sentence it backs and runs that experiment, seeded, with
the lesson's own helper calls and with the run lengths read from the lesson's Setup cell (their
non-fast values), so the lesson and its tests cannot drift apart. Where noise matters the experiment
runs on several seeds. Bounds come from measurements (2026-11-26, a shared 2-CPU machine under
load), noted by each test. The whole file trains about 160,000 environment steps: about 2 minutes on a
quiet machine, several times that under heavy load (the DQN then runs at ~220 instead of ~1,400 steps/s).
"""


import lesson_setup
import pytest

from helpers.agents.dqn import EVAL_SEEDS, Settings, forward
from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.envs import random_policy_returns
from helpers.lessons import dqn_lesson as lesson
from helpers.lessons import dqn_study
from helpers.tooling import notebooks
from helpers.views.dashboard import Dashboard

LESSON = notebooks.NOTEBOOK_DIR / "05_steer_training_live.ipynb"
OTHER_SEEDS = (1, 2)  # besides the lesson's SEED, for the experiments where noise matters
CHAIN_SEEDS = (1, 2)  # more seeds for Steps 2-5 (they solve within SOLVE_BUDGET too)


def lesson_cells():
    return lesson_setup.cells(LESSON)


def setup_value(name: str) -> int:
    """A Setup constant's full-length value: `RACE = 512 if FAST else 5_120` -> 5120; `SEED = 4` -> 4."""
    return lesson_setup.setup_value(LESSON, name)


def lesson_text() -> str:
    return " ".join(" ".join(c.source.split()) for c in lesson_cells() if c.cell_type == "markdown")


def said(phrase: str) -> None:
    """The lesson still says `phrase` (whitespace-insensitive): the test below backs that sentence."""
    assert " ".join(phrase.split()) in lesson_text(), f"the lesson no longer says: {phrase!r}"


RANDOM = float(random_policy_returns("CartPole-v1", EVAL_SEEDS).mean())  # 25.4


# -- Steps 2-5: one training to solved, then γ = 0.9 and γ = 0, exactly as the lesson runs them --------


@pytest.fixture(scope="module")
def chains(lib):
    """{seed: the lesson's agent trained until solved, then FOLLOW_UP steps at γ = 0.9, then at γ = 0}."""
    return {seed: run_chain(lib, seed) for seed in dict.fromkeys((setup_value("SEED"), *CHAIN_SEEDS))}


def run_chain(lib, seed: int) -> dict:
    """Steps 2-5 of the lesson, with its own calls, from one seed."""
    agent = DQNAgent.create(seed=seed, lib=lib)
    dash = Dashboard(agent, render=False, key=f"test_lesson05-{seed}")  # one live dashboard per seed
    follow_up, out = setup_value("FOLLOW_UP"), {"agent": agent}
    try:
        out["solved"] = lesson.train_until_solved(dash, setup_value("SOLVE_BUDGET"), quiet=True)
        out["race"] = lesson.race({"": agent}, setup_value("RACE"), quiet=True)[""]  # Step 6's α = 1, before γ moves
        out[0.99] = reading(agent)
        for gamma in (0.9, 0.0):
            agent.set("gamma", gamma)
            lesson.watch_env_steps(dash, follow_up)
            out[gamma] = reading(agent)
    finally:
        dash.close(stop_trainer=True)
    print(seed, {k: v for k, v in out.items() if k != "agent"})
    return out


def reading(agent) -> dict:
    """What the lesson prints after each experiment, and the Q panel's last value."""
    q = forward(agent.dqn.online, lesson.visited_states(agent))
    return dict(q=lesson.q_level(agent, quiet=True), greedy=lesson.greedy_return(agent, quiet=True),
                panel=float(agent.dqn.last_q.max()), right=lesson.push_share(agent, quiet=True),
                q_min=float(q.min(axis=1).mean()))


def test_step1_states_the_dqn_settings():
    # Step 1: "ε falls from 1 to 0.04 over the first 8,000 steps", "the last 100,000", "every 256
    # environment steps ... 128 gradient steps, each on 64 transitions", "every 2,560 environment steps
    # ... 10 episodes on 10 fixed seeds ... reaches **475**".
    s = Settings()  # what DQNAgent.create(seed=SEED) uses
    assert (s.epsilon_start, s.epsilon, s.epsilon_decay, s.buffer_size) == (1.0, 0.04, 8_000, 100_000)
    assert (s.train_freq, s.gradient_steps, s.batch_size, s.target_sync) == (256, 128, 64, 256)
    assert (s.eval_every, s.solved_at, s.alpha, s.gamma) == (2_560, 475, 1.0, 0.99)
    assert s.replay and s.target_network and not s.double_dqn
    for phrase in ("from 1 to 0.04 over the first 8,000 steps", "the last 100,000", "every 256 environment steps",
                   "128 gradient steps, each on 64 transitions", "every 2,560 environment steps", "reaches **475**"):
        said(phrase)
    # tests/test_dqn.py::test_the_model_evaluated_is_the_model_a_stop_saves runs this one:
    said("right after a training phase, before the next one, so the network it judged is the one you stop on")


def test_the_lesson_seed_reaches_the_solved_line(chains):
    # "the dots start low ...; the greedy evaluations jump up and down for a long while ... and then the
    # greedy mean reaches the solved line: with `SEED = 0`, within `SOLVE_BUDGET` = 60,000 environment steps".
    # Measured seed 0: solved at 30,000 (evaluations before it 76, 125, 146, 69, 169, 31, 167, 90, 91, 87, 109;
    # first episodes 22.3 on average); seed 1: solved at 10,000 (200, 175, 357; 32.7). The morning's dqn.py
    # (other initialisation): 47,500 and 40,000.
    said(f"with `SEED = {setup_value('SEED')}`, within `SOLVE_BUDGET` = {setup_value('SOLVE_BUDGET'):,} environment")
    for seed, chain in chains.items():
        agent, solved = chain["agent"], chain["solved"]
        assert solved is not None, f"seed {seed}: not solved within SOLVE_BUDGET = {setup_value('SOLVE_BUDGET'):,}"
        before = [m for step, m, _ in agent.evals if step < solved]
        assert len(before) >= 3 and max(before) - min(before) > 100 and max(before) < 475, (seed, before)
        assert lesson.recent_return(agent, 2_500) < 40, f"seed {seed}: the first episodes should be short"


def test_q_reads_below_the_ceiling_when_solved(chains):
    # "right after solving, at γ = 0.99, it reads *below* that ceiling of 100 ... (The Q panel is a mean over
    # one training batch, older states included, so it reads in the same range, not the same number.)"
    # Measured q_level / Q panel at the solving step (evaluations after a training phase, every 2,560 steps):
    # seed 0 63.5 / 58.4 (solved at 23,040), seed 1 68.0 / 81.4 (38,400). Evaluated mid-chunk, as before:
    # seed 0 76.6 / 63.5 (30,000), seed 1 37.4 / 32.9 (10,000).
    said("it reads *below* that ceiling of 100")
    said("so it reads in the same range, not the same number")
    for seed, chain in chains.items():
        r = chain[0.99]
        assert 30 < r["q"] < 100 and 30 < r["panel"] < 100 and r["panel"] != r["q"], (seed, r)
    # "the agent can balance long before Q gets there": seed 0 plays 500 on all 10 seeds with Q at 63.5.
    assert any(c[0.99]["greedy"] >= 475 for c in chains.values()), chains


def test_gamma_09_pulls_q_toward_10(chains):
    # "falls toward the new ceiling, 10 — slowly ... after `FOLLOW_UP` steps `q_level` reads somewhere between
    # **10 and 30** ... the greedy return drops below the solved line".
    # Measured every 1,280 steps at γ = 0.9, seed 0: q_level 48.2, 33.7, 24.0, 18.5; Q panel 41.5, 28.6, 22.6,
    # 16.3; greedy 500, 322, 500, 33. Seed 1: q_level 26.6, 20.4, 14.4, 14.0; greedy 190, 85, 160, 91.
    # (The morning's dqn.py: seed 0 63.4, 41.5, 28.6, 21.5, greedy ... 257; seed 1 ... 19.0, greedy ... 106.)
    # Another machine (AMD EPYC, 2026-12-07), seeds 0-6 after FOLLOW_UP steps: q_level 18.6 / 19.7 / 19.4 /
    # 28.5 / 18.8 / 18.0 / 19.0; greedy 279 / 122 / 302 / 9 / 500 / 500 / 88: it dropped on 5 of 7 seeds, hence
    # "usually ... (it did on most seeds we tried, not on all)".
    said("`q_level` reads somewhere between **10 and 30**")
    said("the greedy return usually drops below the solved line (it did on most seeds we tried, not on all)")
    for seed, chain in chains.items():
        before, after = chain[0.99], chain[0.9]
        assert 10 < after["q"] < 30 and after["q"] < before["q"], (seed, before, after)
        assert 10 < after["panel"] < before["panel"], (seed, before, after)
    dropped = [c[0.9]["greedy"] < 475 for c in chains.values()]
    assert sum(dropped) > len(dropped) / 2, chains


def test_gamma_0_makes_q_one_and_collapses_the_return(chains):
    # "both Q curves drop to about **1**, and the greedy return collapses from about 500 to about 100 steps or fewer,
    # nowhere near solved. (A random policy lasts about **25** steps on the same 10 seeds.) ... both are about 1".
    # Only what holds on every seed (CHAIN_SEEDS are not the lesson's): the return relative to a random policy's
    # does not (issue 16 A4: 12.7 on one seed, 62.5 and 50.2 on others).
    # Measured after FOLLOW_UP steps at γ = 0: seed 0 Q 1.01, greedy 62.5; seed 1 Q 1.02, greedy 50.2.
    # Evaluated mid-chunk, as before: every 1,280 steps, seed 0 greedy 42.0, 22.3, 66.9, 11.9; seed 1 34.7,
    # 17.7, 49.5, 30.1. A random policy on EVAL_SEEDS: 25.4. Another machine (AMD EPYC, 2026-12-07), seeds 0-6:
    # greedy 55.0 / 11.1 / 100.2 / 34.1 / 19.5 / 37.9 / 9.8, Q 1.00-1.15.
    said("drop to about **1**")
    said("collapses from about 500 to about 100 steps or fewer, nowhere near solved")
    said("(A random policy lasts about **25** steps on the same 10 seeds.)")
    said("but both are about 1")
    assert "not far above a random policy" not in lesson_text()
    assert 20 < RANDOM < 30, RANDOM
    for seed, chain in chains.items():
        r = chain[0.0]
        assert 0.8 < r["q"] < 1.3 and 0.8 < r["panel"] < 1.3, (seed, r)
        assert r["greedy"] < 125, (seed, r, RANDOM)  # "about 100 or fewer"
        assert 0.8 < r["q_min"] <= r["q"], f"seed {seed}: the smaller Q-value should be about 1 too: {r}"


# -- Step 6: α = 1 against α = 0.1, from the same seeds, for RACE steps ---------------------------------


@pytest.fixture(scope="module")
def alpha_race(lib, chains):
    """{seed: {alpha: mean return of the training episodes in the race's last 2,500 steps}}."""
    steps = setup_value("RACE")
    out = {seed: {1.0: chain["race"]} for seed, chain in chains.items()}  # α = 1: Step 2's runs
    for seed in dict.fromkeys((setup_value("SEED"), *OTHER_SEEDS)):
        for alpha in (0.1,) if seed in chains else (1.0, 0.1):
            agent = DQNAgent.create(alpha=alpha, seed=seed, lib=lib)
            agent.train(steps // agent.chunk)
            out.setdefault(seed, {})[alpha] = lesson.race({"": agent}, steps, quiet=True)[""]  # {q, ret}
    print(out)
    return out


def test_alpha_01_rises_slower(alpha_race, chains):
    # "α = 0.1 is well behind: its Q has climbed to less than a third of α = 1's, and its training episodes
    # are shorter". Measured at RACE = 5,120 (return: episodes of the last 2,500 steps), α = 1 vs α = 0.1:
    # returns seed 0 80.2 vs 17.9, seed 1 75.8 vs 33.5, seed 2 46.0 vs 15.4; Q about 2.5 for α = 0.1 and
    # over 15 for α = 1 (at 7,680 steps: 2.5 vs 23-26 on seeds 0-2).
    said("its Q has climbed to less than a third of α = 1's, and its training episodes are shorter")
    for seed, chain in chains.items():
        assert chain["solved"] is None or chain["solved"] >= setup_value("RACE"), f"seed {seed}: γ moved in the race"
    for seed, runs in alpha_race.items():
        assert runs[0.1]["q"] < runs[1.0]["q"] / 3, f"seed {seed}: {runs}"
        assert runs[0.1]["ret"] < runs[1.0]["ret"], f"seed {seed}: {runs}"


def test_the_race_lands_near_the_damped_iteration(alpha_race, lib):
    # "The Q panels land close to what Step 1's damped iteration gives after 17 copies, 15.7 and 1.7".
    # Measured at RACE = 5,120, seeds 0, 1, 2: α = 1 14.3, 15.6, 15.8; α = 0.1 1.68, 1.56, 1.64.
    said("The Q panels land close to what Step 1's damped iteration gives after 17 copies, 15.7 and 1.7")
    for alpha, shown in ((1.0, 15.7), (0.1, 1.7)):
        damped = dqn_study.damped_syncs(lib, alpha, 0.99, 17)[-1]
        assert round(damped, 1) == shown
        for seed, runs in alpha_race.items():
            assert abs(runs[alpha]["q"] / damped - 1) < 0.2, (seed, alpha, runs[alpha], damped)


# -- Step 7: the stabilisers one at a time (a 2 x 2 table), and overestimation against Double DQN -------------

TABLE_SEEDS = (0, 1, 2)  # the lesson's SEED and two others


@pytest.fixture(scope="module")
def ablation(lib):
    """{seed: {variant: stabiliser_table row (+ "over": overestimation)}} after RACE steps, each from scratch."""
    steps, out = setup_value("RACE"), {}
    variants = {**dqn_study.STABILISERS, "double": dict(double_dqn=True)}
    for seed in TABLE_SEEDS:
        agents = {name: DQNAgent.create(seed=seed, lib=lib, **change) for name, change in variants.items()}
        for agent in agents.values():
            agent.train(steps // agent.chunk)
        out[seed] = dqn_study.stabiliser_table(agents, steps, quiet=True)
        for name in ("both", "double"):
            out[seed][name]["over"] = dqn_study.overestimation(agents[name])
    print(out)
    return out


def test_the_blow_up_is_the_target_networks_absence(ablation):
    # "without the target network Q climbs into the millions, with replay or without, and the greedy return is
    # below a random policy's ... Without replay alone nothing blows up: Q stays about where it is with both
    # stabilisers, though the training episodes are shorter at this length. The blow-up is the target network's
    # absence." Measured at RACE = 5,120 (Q panel / training return / greedy), seeds 0, 1, 2: both 14.3 / 80.2 /
    # 106, 15.6 / 75.8 / 196, 15.8 / 46.0 / 211; no replay 16.8 / 38.4 / 69, 16.2 / 42.5 / 278, 14.5 / 28.4 / 149;
    # no target network 2.5e6 / 15.3 / 9.2, 2.1e6 / 15.3 / 9.5, 2.6e6 / 14.8 / 9.2; neither 2.8e6, 3.3e6 / 9.2.
    said("without the target network Q climbs into the millions, with replay or without, and the greedy return "
         "is below a random policy's")
    said("Without replay alone nothing blows up: Q stays about where it is with both stabilisers, though the "
         "training episodes are shorter at this length. The blow-up is the target network's absence.")
    for seed, table in ablation.items():
        both, no_replay = table["both"], table["no replay"]
        for name in ("no target network", "neither"):
            assert table[name]["q"] > 1e5 and table[name]["greedy"] < RANDOM, (seed, name, table[name])
        assert both["q"] / 1.5 < no_replay["q"] < both["q"] * 1.5, (seed, both, no_replay)
        assert no_replay["ret"] < both["ret"], (seed, both, no_replay)
        assert no_replay["greedy"] > RANDOM and both["greedy"] > RANDOM, (seed, both, no_replay)


def test_neither_dqn_nor_double_dqn_overestimates_yet(ablation, lib):
    # "after `RACE` steps neither overestimates: Q sits *below* the return by tens, near the 15.7 that Step 1's
    # damped iteration gives after 17 copies ... Double DQN does not change that in one direction: over seeds, its
    # gap is sometimes smaller, sometimes larger." Measured (max Q / return obtained / gap), DQN vs Double DQN:
    # seed 0 15.3 / 38.8 / -23.5 vs 15.1 / 48.8 / -33.7; seed 1 15.0 / 56.5 / -41.5 vs 16.5 / 37.6 / -21.1;
    # seed 2 17.6 / 58.7 / -41.2 vs 15.0 / 53.7 / -38.7; seed 3 -27.9 vs -7.2.
    said("after `RACE` steps neither overestimates: Q sits *below* the return by tens, near the 15.7")
    said("its gap is sometimes smaller, sometimes larger")
    damped = dqn_study.damped_syncs(lib, 1.0, 0.99, 17)[-1]
    assert round(damped, 1) == 15.7
    for seed, table in ablation.items():
        for name in ("both", "double"):
            over = table[name]["over"]
            assert over["bias"] < -5 and damped / 2 < over["q"] < damped * 2, (seed, name, over)
    smaller = [table["double"]["over"]["bias"] > table["both"]["over"]["bias"] for table in ablation.values()]
    assert any(smaller) and not all(smaller), ablation


def test_the_greedy_evaluations_climb_while_training_episodes_stay_low(chains):
    # Step 2: "the curve that climbs is the black one. The greedy evaluations jump up and down for a long
    # while ... then one jumps from below 250 to the solved line" and "When the agent is solved, their
    # [the training episodes'] average over the last 2,500 steps is still well below 475."
    # Measured (2026-12-06): training-episode mean at the solving step 70.1 / 93.3 / 223.6 (seeds 0 / 1 / 2);
    # the evaluation before it 89 / 58 / 113, the solving one 500 / 483 / 500. Another machine (AMD EPYC,
    # 2026-12-07), seeds 0-6: training mean 262 / 86 / 266 / 222 / 284 / 122 / 175; evaluation before 82 / 91 /
    # 119 / 130 / 130 / 95 / 230.
    said("then one jumps from below 250 to the solved line")
    said("When the agent is solved, their average over the last 2,500 steps is still well below 475.")
    for seed, chain in chains.items():
        agent, solved = chain["agent"], chain["solved"]
        assert solved is not None, seed
        means = [m for step, m, _ in agent.evals if step <= solved]
        assert means[-2] < 250 <= 475 <= means[-1], f"seed {seed}: the evaluations up to solved: {means}"
        training = lesson.recent_return(agent, solved, 2_500)
        assert training < 400, f"seed {seed}: the training episodes averaged {training:.1f} when solved"
