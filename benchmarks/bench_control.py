"""Benchmark: optimal control of one FitzHugh-Nagumo node, ours against neurolib (issue 18).

The setting is neurolib's optimal-control example 5.1 (``examples/example-5.1-oc-
phenomenological-model-deterministic.ipynb`` in the neurolib repository, single node):

- model: neurolib's FHN with its default parameters (alpha 3, beta 4, gamma -1.5,
  delta 0, epsilon 0.5, tau 20 ms), Euler, ``dt = 0.1`` ms, ``duration = 10`` ms,
  ``x(0) = y(0) = 0``. The example replaces neurolib's constant drive ``x_ext = 1``
  by the input, so ours is ``FitzHughNagumo(i_ext=0)`` with ``solver="euler"``;
- target: the run driven by ``x_ext = sin(2 pi t / 2.5 ms)`` on samples 1 .. T-3 of the
  T = 101 samples (zero elsewhere), ``y_ext = 0``;
- control: one value per step on both ``x`` and ``y`` (``u[k]`` drives the step from
  ``t_k`` to ``t_k + dt``), starting from zero;
- cost: ``w_p/2 sum_{t, v} (x_v(t) - x*_v(t))^2 dt`` over all 101 samples and both
  variables, ``w_p = 1``, ``w_2 = 0`` (no energy or sparsity cost);
- neurolib: ``OcFhn(model, target).optimize(500)`` (the example's budget), and 5000
  iterations; its gradient is the adjoint of the continuous system, its step size an
  adaptive line search (about four model runs per iteration).
- ours: `brainmass_fn.control.control` with ``tracking_cost`` to the target, exact
  gradients through the Euler steps: optax ``adam(1e-2)`` (control's default) and
  optimistix ``BFGS``, 500 steps each (one value and gradient per step), then more
  steps towards convergence.

Checks printed with the table: our target and uncontrolled runs against neurolib's (max
abs difference, float64, to be below 1e-10); our cost at zero control against
neurolib's iteration 0; neurolib's cost of each of our final controls (its model, its
cost functions) against ours, and our cost of neurolib's final controls against its.

neurolib's optimal control is not in its 0.6.2 release: it runs from a checkout of the
neurolib repository, in neurolib's own interpreter (``--neurolib-python``, else
``$NEUROLIB_PYTHON``, else ``../peers/neurolib/bin/python`` beside the repository) with
the checkout (``--neurolib-src``, else ``$NEUROLIB_SRC``, else ``../peers/neurolib-src``)
on its ``PYTHONPATH`` (see benchmarks/README.md). Without it only our rows are printed.

    .venv/bin/python benchmarks/bench_control.py

Wall times are indicative (compilation included for ours; neurolib's numba compile is
timed apart); the costs are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import optimistix as optx  # noqa: E402

import brainmass_fn as bm  # noqa: E402
from brainmass_fn.control import control, tracking_cost  # noqa: E402
from brainmass_fn.stimulus import Sampled, target  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "peers" / "neurolib_control.py"
PEERS = HERE.parent.parent / "peers"
DURATION, DT, SINE_PERIOD = 10.0, 0.1, 2.5  # ms
NEUROLIB_BUDGETS = (500, 5000)
OURS = (  # label, strategy, steps
    ("ours adam(1e-2)", lambda: optax.adam(1e-2), 500),
    ("ours BFGS", lambda: optx.BFGS(rtol=1e-12, atol=1e-12), 500),
    ("ours adam(1e-2)", lambda: optax.adam(1e-2), 5000),
    ("ours BFGS", lambda: optx.BFGS(rtol=1e-12, atol=1e-12), 2000),
)


def drive() -> np.ndarray:
    """The example's target input on ``x``: ``T = 101`` values, one per step."""
    n = round(DURATION / DT) + 1
    u = np.zeros(n)
    u[1:-2] = np.sin(2.0 * np.pi * np.arange(0, DURATION - 0.2, DT) / SINE_PERIOD)
    return u


def model() -> bm.FitzHughNagumo:
    return bm.FitzHughNagumo(i_ext=0.0)  # the example's x_ext replaces the drive of 1


def run(u: np.ndarray | None = None) -> bm.Trajectory:
    """Our Euler run, uncontrolled or driven by ``u`` ``(T, 2)`` on ``x`` and ``y``."""
    m = model()
    kw = {}
    if u is not None:
        kw["stimulus"] = target(Sampled(jnp.asarray(u), period=DT), m, ("x", "y"))
    return bm.simulate(m, DURATION, DT, y0=jnp.zeros(2), solver="euler", **kw)


def ours() -> tuple[dict, list[dict]]:
    u_target = np.stack([drive(), np.zeros_like(drive())], axis=1)
    goal = run(u_target)
    free = run()

    def cost(traj: bm.Trajectory) -> jax.Array:
        return tracking_cost(traj, goal.ys)

    setting = {
        "target": np.asarray(goal.ys).T,
        "uncontrolled": np.asarray(free.ys).T,
        "cost_initial": float(cost(free)),
        "cost": cost,
    }
    rows = []
    for label, strategy, steps in OURS:
        t0 = time.perf_counter()
        res = control(
            model(), DURATION, DT, cost, variables=("x", "y"), strategy=strategy(),
            steps=steps, progress=False, y0=jnp.zeros(2), solver="euler",
        )  # fmt: skip
        wall = time.perf_counter() - t0
        rows.append({
            "label": label,
            "iterations": res.fit.steps,
            "work": f"{res.fit.n_evals} grads",
            "cost": res.costs["total"],
            "precision": res.costs["task"],
            "energy": res.costs["energy"],
            "sparsity": res.costs["sparsity"],
            "wall_s": wall,
            "status": res.fit.status,
            "control": res.values,
            "u_error": float(np.max(np.abs(res.values[:-2] - u_target[:-2]))),
        })  # fmt: skip
        print(f"  {label}, {steps} steps: {res.costs['total']:.3e}", file=sys.stderr, flush=True)
    return setting, rows


# ---------------- neurolib ----------------


def _first(*candidates: str | None) -> str | None:
    for c in candidates:
        if c and pathlib.Path(c).exists():
            return c
    return None


def neurolib(python: str, src: str, controls: list[np.ndarray]) -> dict:
    """The peer script's JSON: neurolib's runs and its costs of ``controls``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "controls.json"
        path.write_text(json.dumps([np.asarray(u).T.tolist() for u in controls]))
        cmd = [python, str(PEER_SCRIPT), "--iterations", ",".join(map(str, NEUROLIB_BUDGETS))]
        env = {**os.environ, "PYTHONPATH": src}
        proc = subprocess.run(
            [*cmd, "--evaluate", str(path)], capture_output=True, text=True, env=env
        )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------- driver ----------------


def _table(rows: list[dict]) -> None:
    head = (
        f"{'run':<18}{'iters':>6}{'work':>22}{'total cost':>12}{'precision':>12}"
        f"{'energy':>9}{'sparsity':>9}{'wall s':>8}{'max|u-u*|':>11}{'other code':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        cross = r.get("cross")
        print(
            f"{r['label']:<18}{r['iterations']:>6}{r['work']:>22}{r['cost']:>12.3e}"
            f"{r['precision']:>12.3e}{r['energy']:>9.4f}{r['sparsity']:>9.4f}"
            f"{r['wall_s']:>8.2f}{r['u_error']:>11.2e}"
            + (f"{cross:>13.4e}" if cross is not None else f"{'-':>13}")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurolib-python", default=None, help="interpreter with neurolib")
    parser.add_argument("--neurolib-src", default=None, help="checkout of neurolib's repo")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    python = _first(
        args.neurolib_python,
        os.environ.get("NEUROLIB_PYTHON"),
        str(PEERS / "neurolib" / "bin" / "python"),
    )
    src = _first(
        args.neurolib_src, os.environ.get("NEUROLIB_SRC"), str(PEERS / "neurolib-src")
    )

    load_before = os.getloadavg()
    setting, rows = ours()
    peer = None
    if python and src:
        print("  neurolib ...", file=sys.stderr, flush=True)
        peer = neurolib(python, src, [r["control"] for r in rows])
    load_after = os.getloadavg()

    print(
        f"\nFHN optimal control, neurolib example 5.1: {DURATION} ms, dt {DT} ms, w_p 1, "
        f"w_2 0; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    table = []
    if peer is None or "error" in peer:
        why = "not found" if peer is None else peer["error"]
        print(f"neurolib: {why} (--neurolib-python, --neurolib-src)")
    else:
        u_star = np.stack([drive(), np.zeros_like(drive())], axis=1)
        for r in peer["runs"]:
            u = np.asarray(r["control"]).T
            ours_cost = float(setting["cost"](run(u)))  # our cost of neurolib's control
            table.append({
                "label": "neurolib", "iterations": r["iterations"],
                "work": f"{r['forward_runs']} runs+{r['iterations']} adj",
                "cost": r["cost"], "precision": r["precision"], "energy": r["energy"],
                "sparsity": r["sparsity"], "wall_s": r["optimize_s"],
                "u_error": float(np.max(np.abs(u[:-2] - u_star[:-2]))), "cross": ours_cost,
            })  # fmt: skip
        rel = {"cost": 0.0, "energy": 0.0, "sparsity": 0.0}  # same control, two codes
        for r, e in zip(rows, peer["evaluated"], strict=True):
            r["cross"] = e["cost"]
            for k in rel:
                rel[k] = max(rel[k], abs(e[k] - r[k]) / abs(r[k]))
        for r in table:
            rel["cost"] = max(rel["cost"], abs(r["cross"] - r["cost"]) / r["cost"])
        d_target = np.max(np.abs(setting["target"] - np.asarray(peer["target"])))
        d_free = np.max(np.abs(setting["uncontrolled"] - np.asarray(peer["uncontrolled"])))
        d_drive = np.max(np.abs(drive() - np.asarray(peer["drive"])))
        initial = peer["runs"][0]["history"]["0"]
    table += rows
    _table(table)
    print(
        "work: neurolib's model runs (gradient + step-size search) and adjoint solves; ours "
        "value-and-gradient evaluations.\nwall: neurolib's optimize() after numba compiled"
        + (f" (numba compile {peer['compile_s']:.1f} s apart)" if table else "")
        + "; ours the whole control() call, compile included.\nmax|u-u*|: the control "
        "against the input that made the target (both variables, samples 0 .. T-3).\n"
        "other code: the final control costed by the other code (neurolib's cost of ours, "
        "ours of neurolib's)."
    )
    if peer and "error" not in peer:
        ok = max(d_target, d_free) < 1e-10
        print(
            f"agreement with neurolib (float64): drive {d_drive:.1e}, target {d_target:.1e}, "
            f"uncontrolled {d_free:.1e} ({'OK' if ok else 'DIFFERENT'}); cost at zero "
            f"control: ours {setting['cost_initial']:.16g}, neurolib {initial:.16g}\n"
            f"same control costed by both codes, max relative difference: total cost "
            f"{rel['cost']:.1e}, energy {rel['energy']:.1e}, sparsity {rel['sparsity']:.1e}"
        )
        marks = ", ".join(f"{k}: {v:.3e}" for k, v in peer["runs"][-1]["history"].items())
        print(f"neurolib cost history: {marks}")
    if args.json:
        out = {"ours": [{k: v for k, v in r.items() if k != "control"} for r in rows]}
        out["neurolib"] = {k: v for k, v in (peer or {}).items() if k != "evaluated"}
        pathlib.Path(args.json).write_text(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
