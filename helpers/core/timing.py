"""One timing module for the kit: medians of repeats and throughput over a time window.

Machines here are shared and noisy: time several rounds and take the median,
and compare against a baseline measured in the same run.
"""

from __future__ import annotations

import statistics
import time


def _round_seconds(fn, number: int) -> float:
    """Seconds taken by `number` calls of fn()."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def median_time(fn, repeat: int = 15, number: int = 1, min_seconds: float | None = None) -> float:
    """Median wall time of one fn() call, over `repeat` rounds of `number` calls.

    With min_seconds, `number` grows tenfold until a round lasts that long, so a quick
    call is not lost in the timer's own resolution.
    """
    round_s = _round_seconds(fn, number)  # also the warm-up (first calls page in memory, fill caches)
    while min_seconds is not None and round_s < min_seconds and number < 1_000_000:
        number *= 10
        round_s = _round_seconds(fn, number)
    return statistics.median(_round_seconds(fn, number) / number for _ in range(repeat))


def samples_per_second(fn, samples_per_call: int, seconds: float = 1.0, min_calls: int = 3) -> float:
    """Call fn() once to warm up, then for about `seconds` (at least min_calls times); samples per second."""
    fn()
    calls, start = 0, time.perf_counter()
    while calls < min_calls or time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls * samples_per_call / (time.perf_counter() - start)


def progress_bar(iterable, enabled: bool, desc: str, unit: str, total=None):
    """A tqdm progress bar (a widget in notebooks) when enabled, else the iterable / None."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm  # noqa: PLC0415 - tqdm.auto probes IPython and widgets: only when a bar is shown

    # smoothing=0: the rate shown is the average since the start, the figure a lesson prints next to it
    # (tqdm's default, a moving average of the last calls, read 10.4 samples/s beside a printed 6.5)
    return tqdm(iterable, desc=desc, unit=unit, total=total, smoothing=0)
