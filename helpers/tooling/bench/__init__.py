"""`make bench`: measure the kit, print a table, write results/bench.json.

Machines here are shared and noisy, so every target is a ratio against a
baseline measured in the same run, and timings are medians of repeats.
Each suite is a function returning a list of figure() dicts.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[3] / "results" / "bench.json"

# "module:function" of every suite, run in this order.
SUITES = [
    "helpers.tooling.bench.go:go_figures",
    "helpers.tooling.bench.go:boundary_figures",
    "helpers.tooling.bench.training:figures",
    "helpers.tooling.bench.dashboard:figures",
    "helpers.tooling.bench.history:figures",
    "helpers.tooling.bench.tabular:figures",
    "helpers.tooling.bench.dqn:figures",
    "helpers.tooling.bench.sweep:figures",
]


def figure(name: str, value: float, unit: str, **extra) -> dict:
    """One measured figure, as written to bench.json."""
    return {"name": name, "value": value, "unit": unit, **extra}


def run(suites: list[str] = SUITES) -> list[dict]:
    """Run every suite; a suite that fails is reported, not fatal to the others."""
    figures = []
    for spec in suites:
        module, func = spec.split(":")
        print(f"running {spec} ...", flush=True)
        try:
            figures.extend(getattr(importlib.import_module(module), func)())
        except Exception as e:  # reported in the table and the JSON
            figures.append(figure(f"{func}_error", float("nan"), "", error=f"{type(e).__name__}: {e}"))
    return figures


def main() -> int:
    figures = run()
    width = max(len(f["name"]) for f in figures)
    print(f"\n{'figure':{width}} {'value':>12}  unit      target")
    for f in figures:
        print(f"{f['name']:{width}} {f['value']:12.4g}  {f['unit']:9} {f.get('target', '')}")
        if "error" in f:
            print(f"    {f['error']}")
    RESULTS.parent.mkdir(exist_ok=True)
    meta = {"python": sys.version.split()[0], "machine": platform.machine(), "processor": platform.processor(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.write_text(json.dumps({"meta": meta, "figures": figures}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 1 if any("error" in f for f in figures) else 0

