"""brainmass 0.1.1's own version of the README teaser, timed (a peer for bench_teaser.py).

Runs in brainmass's own interpreter, never the project's (see benchmarks/README.md):

    ../peers/brainmass/bin/python benchmarks/peers/brainmass_teaser.py --what fit

The teaser as brainmass writes it (its data-driven modelling example): a one-node
``HopfStep`` (``w = 0.3``, ``x0 = 0.5``, ``y0 = 0``, its default exponential-Euler step),
``Simulator(dt = 0.1 ms).run(400 ms, transient = 200 ms)``; the target is the amplitude
``sqrt(2 mean(x^2))`` of a run with ``a = 1.5``; ``a`` starts at ``Param(0.1, fit=True)``
and ``Fitter(node, Adam(lr=0.1), loss_fn=...)`` takes 120 steps of
``(amplitude - target)^2``.

``--what fit`` (run it in a fresh process: the fit's compile is part of its time): the
import time, the target run, the whole ``Fitter.fit(n_steps=120)`` and the median time
of one warm fit step (from the fit's per-step callback). ``--what warm``: one forward
run and one value-and-grad (the gradient that ``Fitter`` takes: ``brainstate`` grad of
the loss with respect to the model's ``ParamState``) under ``brainstate.transform.jit``,
first call and the median of ``--repeats`` warm batches after it (each the mean of
enough calls to last about 0.1 s); and ``Simulator.run`` called
as it is, without an outer jit. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

A_TRUE, A_START, W, LR, STEPS = 1.5, 0.1, 0.3, 0.1, 120


def _timed(fn, repeats: int, batch_s: float = 0.1) -> dict:
    """First call, then the median over ``repeats`` of the mean call in a batch of ~0.1 s.

    Millisecond calls are timed in batches, after a few warm-up calls: the first calls
    after a compile are slower than the rest.
    """
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(3):
        fn()
    n = max(1, min(1000, round(batch_s / ((time.perf_counter() - t0) / 3))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    warm = statistics.median(times)
    return {"first_s": first, "warm_s": warm, "compile_s": max(first - warm, 0.0), "batch": n}


def _teaser():
    """The teaser's pieces, brainmass's way; returns (make, amplitude, loss_fn, target)."""
    import brainmass
    import braintools
    import brainunit as u
    import jax.numpy as jnp

    def make(a):
        return brainmass.HopfStep(in_size=1, a=a, w=W, init_x=braintools.init.Constant(0.5))

    def amplitude(node):  # sqrt(2) * RMS of x, 200-400 ms
        res = brainmass.Simulator(node, dt=0.1 * u.ms).run(
            400 * u.ms, monitors=["x"], transient=200 * u.ms
        )
        x = u.get_magnitude(res["x"])
        return jnp.sqrt(2 * jnp.mean(x**2))

    target = amplitude(make(A_TRUE))
    target.block_until_ready()

    def loss_fn(node):  # Fitter wants (loss, aux)
        amp = amplitude(node)
        return (amp - target) ** 2, amp

    return make, amplitude, loss_fn, target


def run_fit() -> dict:
    t0 = time.perf_counter()
    import brainmass
    import brainstate
    import braintools
    import brainunit as u
    import jax.numpy as jnp

    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    make, _, loss_fn, target = _teaser()
    t_target = time.perf_counter() - t0

    stamps = []
    node = make(brainstate.nn.Param(A_START, fit=True))
    fitter = brainmass.Fitter(
        node,
        braintools.optim.Adam(lr=LR),
        loss_fn=loss_fn,
        callbacks=[lambda info: stamps.append(time.perf_counter())],
    )
    t0 = time.perf_counter()
    result = fitter.fit(n_steps=STEPS)
    t_fit = time.perf_counter() - t0
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    a_fit = float(jnp.reshape(u.get_magnitude(result.best_params["a"]), ()))
    return {
        "import_s": t_import,
        "target_s": t_target,
        "fit_s": t_fit,
        "teaser_s": t_target + t_fit,
        "step_warm_s": statistics.median(steps),
        "first_step_s": stamps[0] - t0,
        "a": a_fit,
        "best_loss": float(result.best_loss),
        "n_steps": result.n_steps,
        "target": float(target),
    }


def run_warm(repeats: int) -> dict:
    import brainstate
    import jax

    make, amplitude, loss_fn, _ = _teaser()
    node = make(brainstate.nn.Param(A_START, fit=True))
    weights = node.states(brainstate.ParamState)

    def forward():
        with node.param_precompute():
            return amplitude(node)

    def loss():
        with node.param_precompute():
            return loss_fn(node)

    @brainstate.transform.jit
    def value_and_grad():  # what Fitter's step differentiates, without the optimizer
        grads, value, _ = brainstate.transform.grad(
            loss, weights, has_aux=True, return_value=True
        )()
        return value, grads

    fwd = brainstate.transform.jit(forward)
    f = _timed(lambda: jax.block_until_ready(fwd()), repeats)
    g = _timed(lambda: jax.block_until_ready(value_and_grad()), repeats)
    # Simulator.run jits a fresh closure on every call: called as it is, it traces and
    # compiles each time.
    r = _timed(lambda: jax.block_until_ready(forward()), min(repeats, 3), batch_s=0.0)
    value, grads = value_and_grad()
    return {
        "solver": f"HopfStep method={node.method!r}",
        "forward_warm_s": f["warm_s"],
        "forward_compile_s": f["compile_s"],
        "vg_warm_s": g["warm_s"],
        "vg_compile_s": g["compile_s"],
        "vg_over_forward": g["warm_s"] / f["warm_s"],
        "run_as_called_s": r["warm_s"],
        "loss": float(value),
        "grad": float(jax.tree.leaves(grads)[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--what", choices=["fit", "warm"], default="fit")
    parser.add_argument("--repeats", type=int, default=5, help="warm calls (--what warm)")
    args = parser.parse_args()
    out = run_fit() if args.what == "fit" else run_warm(args.repeats)
    from importlib.metadata import version

    out["versions"] = {p: version(p) for p in ("brainmass", "brainstate", "braintools", "jax")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
