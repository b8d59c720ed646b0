"""Benchmark: gradient vs CMA-ES on the empirical-FC fit (issue 6's case study).

The problem is `examples/fit_empirical_fc.py`'s: 80-region delayed Hopf network on the
gw connectome, noise, BOLD at TR 2 s, loss ``1 - r(FC_sim, FC_emp)`` against the
group-averaged empirical FC. Two problems: ``global`` (K, speed) and ``regional``
(K, speed and 80 bifurcation parameters ``a_i``).

For each: Adam (``--steps`` gradient steps), then CMA-ES on the same objective until
its best loss reaches the gradient fit's best (or ``--cma-budget`` simulations).
Reported: FC correlation reached (on the fit's objective, and re-evaluated with exact
delays), simulations (loss evaluations; a gradient evaluation counts as one
simulation, though it costs several forward runs: see the wall times), wall time, and
the ratio ``CMA sims to the gradient's loss / gradient sims to it`` (a lower bound,
marked ``>=``, when CMA does not reach it within its budget).

Usage::

    python benchmarks/bench_fit_fc.py                      # full size, 20-40 min on 2 cores
    python benchmarks/bench_fit_fc.py --quick              # 20 regions, 120 s
    python benchmarks/bench_fit_fc.py --problems global --json out.json

Timings on a shared machine are noisy: each row prints the load average.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import sys
import time

import jax

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "fit_empirical_fc", HERE.parent / "examples" / "fit_empirical_fc.py"
)
case = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = case  # dataclasses look their module up
_spec.loader.exec_module(case)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 regions, 120 s of data")
    parser.add_argument("--problems", default="global,regional")
    parser.add_argument("--steps", type=int, default=None, help="gradient steps")
    parser.add_argument("--cma-budget", type=int, default=None, help="max CMA simulations")
    parser.add_argument("--json", default=None, help="write the rows to this file")
    args = parser.parse_args()
    if args.quick:
        problem, steps, budgets = case.make_problem(20, 120.0), case.STEPS_QUICK, case.BUDGETS_QUICK
    else:
        problem, steps, budgets = case.make_problem(), case.STEPS, case.BUDGETS
    print(f"# device {jax.devices()[0].platform}, {problem.n} regions, "
          f"{problem.config.duration:.0f} s per simulation, gradient steps {args.steps or steps}, "
          f"CMA budgets {args.cma_budget or budgets} sims")  # fmt: skip
    rows = []
    for kind in args.problems.split(","):
        start = time.perf_counter()
        row = case.compare(
            problem,
            kind,
            steps=args.steps or steps[kind],
            cma_budget=args.cma_budget or budgets[kind],
            progress=False,
        )
        row["total_s"] = time.perf_counter() - start
        row["loadavg"] = os.getloadavg()[0]
        rows.append(row)
        print(case.format_row(row), f"[load {row['loadavg']:.1f}]", flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
