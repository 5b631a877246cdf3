"""Trials for the sweep's dead-worker tests: spawn workers import them by name (tests/ is on their sys.path)."""

import os
import signal
import time
from pathlib import Path


def dying_trial(params: dict, seed: int, *, folder: str, victim: int, deaths: int) -> dict:
    """Seed `victim` SIGKILLs its own worker mid-trial its first `deaths` times (counted in folder); others finish."""
    time.sleep(0.2)  # mid-trial: started, not finished
    if seed == victim:
        tries = Path(folder) / f"alpha{params['alpha']}-seed{seed}"
        tries.mkdir(parents=True, exist_ok=True)
        (tries / str(os.getpid())).touch()
        if len(list(tries.iterdir())) <= deaths:
            os.kill(os.getpid(), signal.SIGKILL)
    return {"value": params["alpha"] * 10 + seed, "pid": os.getpid()}


dying_trial.uses = ("alpha",)
