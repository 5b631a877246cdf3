"""`make bench` suite: what the live dashboard costs the training it shows.

One trainer trains in its background thread for the whole measurement; the
dashboard's render thread is switched on and off in alternating windows, so
both throughputs come from the same run on the same (shared, noisy) machine.
No browser is needed: the render thread draws the PNGs at its rate either way.
"""

from __future__ import annotations

import statistics
import time

from helpers.tooling.bench import figure


def throughput(agent, seconds: float) -> float:
    """Samples per second the running agent reaches over `seconds` of wall time."""
    first, start = agent.step_count, time.perf_counter()
    time.sleep(seconds)
    return (agent.step_count - first) * agent.samples_per_step / (time.perf_counter() - start)


def change_to_frame(dash, name: str, value: float, timeout: float = 5.0) -> float:
    """Seconds from a slider write (as a browser message makes it) to a drawn frame showing the change."""
    changes = len(dash.trainer.history.changes)
    start = time.perf_counter()
    dash.sliders[name].value = value  # runs the slider's observe callback, like a comm message
    while (dash._drawn_key or (0, 0))[1] <= changes:  # _drawn_key = (step, changes) of the last frame
        if time.perf_counter() - start > timeout:
            return float("nan")
        time.sleep(0.002)
    return time.perf_counter() - start


def measure(trainer, seconds: float = 3.0, rounds: int = 5, fps: float = 2.0) -> dict:
    """Median samples/s of a warmed-up agent with and without rendering, interleaved, and the frame time."""
    from helpers.views.dashboard import Dashboard

    dash = Dashboard(trainer, fps=fps, render=False, key="bench")
    trainer.start()
    try:
        off, on = [], []
        for _ in range(rounds):
            dash.render = False
            off.append(throughput(trainer, seconds))
            dash.render = True  # the next tick redraws: the history grows every step
            on.append(throughput(trainer, seconds))
        latency = [change_to_frame(dash, name, value) for name, value in
                   [("alpha", 0.3), ("gamma", 0.8), ("alpha", 0.5), ("gamma", 0.9)] * 2]
    finally:
        dash.close(stop_trainer=True)
    frame_ms = 1e3 * statistics.median(dash.frame_times) if dash.frame_times else float("nan")
    return {"on": statistics.median(on), "off": statistics.median(off), "frame_ms": frame_ms,
            "frames_per_s": dash.frames / (rounds * seconds), "latency": latency}


def figures() -> list[dict]:
    """dashboard_overhead_ratio: training throughput with the dashboard rendering over without."""
    from helpers.agents.trainer import Trainer

    trainer = Trainer.create(env="CartPole-v1", seed=0)
    trainer.train(50)  # the first steps trace the tf.function: not part of either measurement
    m = measure(trainer)
    return [figure("dashboard_overhead_ratio", m["on"] / m["off"], "x", target=">= 0.8",
                   what="CartPole trainer samples/s while the dashboard redraws its figure (up to 2 Hz) "
                        "over samples/s with drawing off; same run, alternating windows",
                   samples_per_s_rendering=round(m["on"]), samples_per_s_not_rendering=round(m["off"]),
                   frame_ms=round(m["frame_ms"], 1), frames_per_s=round(m["frames_per_s"], 2)),
            figure("slider_to_frame_s", statistics.median(m["latency"]), "s", target="<= 1.0",
                   what="alpha/gamma slider write to the first drawn frame showing the change, "
                        "while training runs (kernel side; the browser adds its round trip)",
                   max_s=round(max(m["latency"]), 3), samples=len(m["latency"]))] + dqn_figures()


def dqn_figures() -> list[dict]:
    """The same two figures for the DQN dashboard (three panels), after its first training phases."""
    from helpers.agents.dqn_agent import DQNAgent

    agent = DQNAgent.create(seed=0)
    agent.train(8)  # past learning_starts: every lifecycle step now trains
    m = measure(agent, seconds=4.0)
    return [figure("dqn_dashboard_overhead_ratio", m["on"] / m["off"], "x", target=">= 0.85",
                   what="DQN environment steps/s while its dashboard redraws (up to 2 Hz) over steps/s "
                        "with drawing off; same run, alternating windows",
                   steps_per_s_rendering=round(m["on"]), steps_per_s_not_rendering=round(m["off"]),
                   frame_ms=round(m["frame_ms"], 1)),
            figure("dqn_slider_to_frame_s", statistics.median(m["latency"]), "s", target="<= 0.5",
                   what="alpha/gamma slider write to the first drawn DQN frame showing it, while training runs",
                   max_s=round(max(m["latency"]), 3), samples=len(m["latency"]))]


if __name__ == "__main__":
    for f in figures():
        print(f)
