"""neurolib's optimal control of one FitzHugh-Nagumo node (a peer for bench_control.py).

Optimal control is not in the neurolib 0.6.2 release: it runs from a checkout of the
neurolib repository (``neurolib/control/optimal_control``) on ``PYTHONPATH``, in
neurolib's own interpreter, never the project's (see benchmarks/README.md):

    PYTHONPATH=../peers/neurolib-src ../peers/neurolib/bin/python \\
        benchmarks/peers/neurolib_control.py --iterations 500

The setting is neurolib's example 5.1 (``examples/example-5.1-oc-phenomenological-
model-deterministic.ipynb``, single node): ``FHNModel()`` with its default parameters
and ``dt = 0.1`` ms, ``duration = 10`` ms, ``x(0) = y(0) = 0``; the target is the run
driven by ``x_ext = sin(2 pi t / 2.5 ms)`` on samples 1 .. T-3 (zero elsewhere, and
``y_ext = 0``); the control starts at zero on both ``x_ext`` and ``y_ext``;
``OcFhn(model, target)`` with ``w_p = 1``, ``w_2 = 0`` (and ``w_1D = 0``), then
``optimize(iterations)``.

``--iterations 500,5000`` runs each budget from zero control, after a one-iteration
run that lets numba compile (timed as ``compile_s``); ``--evaluate FILE`` also costs
the controls ``(2, T)`` listed in FILE with neurolib's model and cost functions (the
bench's cross-check of our controls). Prints one JSON line: per budget the final cost
and its terms (energy and sparsity unweighted), the iterations made, the model runs
they took (gradient and step-size search), the cost history at a few iterations, the
wall time of ``optimize``, the controlled trajectory and the control; and the drive,
target and uncontrolled trajectories ``(2, T)``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import pathlib
import time

import numpy as np

DURATION, AMPLITUDE = 10.0, 1.0


def _state(model) -> np.ndarray:
    """``(1, 2, T)``: the initial value and the run, as the example builds it."""
    init = np.concatenate((model.params["xs_init"], model.params["ys_init"]), axis=1)
    return np.concatenate((init[:, :, np.newaxis], np.stack((model.x, model.y), axis=1)), axis=2)


def setting():
    """The example's model, target input, target and uncontrolled trajectories."""
    from neurolib.models.fhn import FHNModel
    from neurolib.utils.stimulus import ZeroInput

    model = FHNModel()
    dt = model.params["dt"]
    period = DURATION / 4.0
    zero_input = ZeroInput().generate_input(duration=DURATION + dt, dt=dt)
    drive = np.copy(zero_input)
    drive[0, 1:-2] = AMPLITUDE * np.sin(2.0 * np.pi * np.arange(0, DURATION - 0.2, dt) / period)
    model.params["duration"] = DURATION
    model.params["xs_init"] = np.array([[0.0]])
    model.params["ys_init"] = np.array([[0.0]])

    model.params["x_ext"] = drive
    model.params["y_ext"] = zero_input
    model.run()
    target = _state(model)

    model.params["x_ext"] = zero_input
    model.params["y_ext"] = zero_input
    model.run()
    uncontrolled = _state(model)
    return model, drive, target, uncontrolled


def _terms(ctrl) -> dict:
    """The cost of ``ctrl``'s current control and its terms (energy and sparsity
    unweighted), by neurolib's cost functions."""
    from neurolib.control.optimal_control import cost_functions

    ctrl.simulate_forward()
    xs = ctrl.get_xs()
    precision = cost_functions.accuracy_cost(
        xs, ctrl.target, ctrl.weights, ctrl.cost_matrix, ctrl.dt, ctrl.cost_interval
    )
    return {
        "cost": float(ctrl.compute_total_cost()),
        "precision": float(precision),
        "energy": float(np.sum(cost_functions.L2_cost(ctrl.control)) * ctrl.dt),
        "sparsity": float(cost_functions.L1D_cost_integral(ctrl.control, ctrl.dt)),
    }


def _controller(model, target, control: np.ndarray | None = None):
    """``OcFhn`` with the example's weights, starting from ``control`` ``(2, T)``
    (default zero), counting the model runs it makes."""
    from neurolib.control.optimal_control import oc_fhn

    T = target.shape[-1]
    u = np.zeros((2, T)) if control is None else np.asarray(control, float)
    model.params["x_ext"] = u[0:1].copy()
    model.params["y_ext"] = u[1:2].copy()
    ctrl = oc_fhn.OcFhn(model, target, print_array=[])
    ctrl.weights["w_p"] = 1.0
    ctrl.weights["w_2"] = 0.0
    ctrl.runs = 0
    forward = ctrl.simulate_forward

    def counted():  # every model run of the search (gradient and step-size search)
        ctrl.runs += 1
        forward()

    ctrl.simulate_forward = counted
    return ctrl


def run(budgets: list[int], evaluate: list[list] | None) -> dict:
    t0 = time.perf_counter()
    model, drive, target, uncontrolled = setting()
    t_setting = time.perf_counter() - t0

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # optimize prints on every call
        _controller(model, target).optimize(1)  # numba compiles the adjoint here
    t_compile = time.perf_counter() - t0

    runs = []
    for n in budgets:
        ctrl = _controller(model, target)
        with contextlib.redirect_stdout(io.StringIO()):
            t = time.perf_counter()
            ctrl.optimize(n)
            wall = time.perf_counter() - t
        history, forward_runs = ctrl.cost_history, ctrl.runs
        marks = [i for i in (0, 1, 10, 50, 100, 200, 500, 1000, 2000, 5000) if i < len(history)]
        runs.append({
            "budget": n,
            "iterations": len(history) - 1,
            "converged": bool(ctrl.zero_step_encountered),
            **_terms(ctrl),
            "history": {str(i): float(history[i]) for i in marks},
            "forward_runs": forward_runs,
            "optimize_s": wall,
            "controlled": ctrl.get_xs()[0].tolist(),
            "control": ctrl.control[0].tolist(),
        })

    evaluated = []
    for u in evaluate or []:
        evaluated.append(_terms(_controller(model, target, np.asarray(u).reshape(2, -1))))

    params = ("alpha", "beta", "gamma", "delta", "epsilon", "tau")
    return {
        "dt": float(model.params["dt"]),
        "duration": float(model.params["duration"]),
        "params": {k: float(model.params[k]) for k in params},
        "setting_s": t_setting,
        "compile_s": t_compile,
        "runs": runs,
        "evaluated": evaluated,
        "drive": drive[0].tolist(),
        "target": target[0].tolist(),
        "uncontrolled": uncontrolled[0].tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--iterations", default="500", help="comma-separated budgets, each run from zero"
    )
    parser.add_argument(
        "--evaluate", default=None, help="JSON file with a list of controls (2, T) to cost"
    )
    args = parser.parse_args()
    evaluate = json.loads(pathlib.Path(args.evaluate).read_text()) if args.evaluate else None
    out = run([int(n) for n in args.iterations.split(",")], evaluate)
    import neurolib

    out["neurolib"] = neurolib.__file__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
