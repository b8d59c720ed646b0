"""Benchmark: the delayed Hopf network on the gw connectome, ours vs neurolib.

Workload (the issue's): gw connectome (80 regions), Hopf a = 0.25, w = 0.2 rad/ms,
diffusive coupling K = 0.6 on x, conduction speed 20 mm/ms (integer delays
round(Dmat / v / dt), up to 117 steps), dt = 0.1 ms, 10 s = 100k Euler steps, every
step saved (as neurolib does); deterministic, and with Ornstein-Uhlenbeck input noise
sigma = 0.05 (neurolib's ``sigma_ou``, tau 5 ms). Also: the gradient w.r.t. K of
``mean(x^2)`` through 1 s, and ``jax.vmap`` over 16 values of K (1 s each) against a
Python loop of 16 calls.

Every case runs in its own subprocess, so compile caches and the peak resident memory
(``ru_maxrss``: the whole process, Python and the JAX/numba runtime included; the
``baseline`` row is an idle process that imports jax) belong to that case alone.
Times: ``compile`` = first call minus warm median; ``warm`` = median of ``--repeats``
calls after the first.

neurolib 0.6.2 runs side by side when an interpreter that has it is found:
``--neurolib-python PATH``, else the ``NEUROLIB_PYTHON`` environment variable, else
``../peers/neurolib/bin/python`` beside the checkout, else the current interpreter if it
can import neurolib. Otherwise its rows are skipped. Never install neurolib into the
project's environment; give it its own venv:

    python3 -m venv ../peers/neurolib && ../peers/neurolib/bin/pip install neurolib==0.6.2
    python benchmarks/bench_network.py

Run on an otherwise idle machine; the table prints the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
GW = HERE.parent / "brainmass_fn" / "data" / "neurolib_gw.npz"
A, W_HOPF, K, SPEED, DT = 0.25, 0.2, 0.6, 20.0, 0.1
DURATION, SHORT = 10_000.0, 1_000.0
SIGMA = 0.05
N_BATCH = 16


def _timed(fn, repeats):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    warm = statistics.median(times)
    return {"compile_s": max(first - warm, 0.0), "warm_s": warm, "times": times}


def _initial_state():
    import numpy as np

    rng = np.random.default_rng(0)
    return 0.5 * rng.uniform(-1, 1, (2, 80))


# ---------------- ours ----------------


def _ours_network(noise: bool):
    import numpy as np

    from brainmass_fn.data import load_connectome
    from brainmass_fn.models import Hopf
    from brainmass_fn.network import Network
    from brainmass_fn.noise import OUNoise

    weights, lengths, *_ = load_connectome("gw")
    assert np.array_equal(weights, np.load(GW)["Cmat"])
    return Network(
        Hopf(a=A, w=W_HOPF),
        weights,
        lengths,
        speed=SPEED,
        K=K,
        coupling="diffusive",
        noise=OUNoise(sigma=SIGMA, tau=5.0) if noise else None,
        zero_lag="instant",  # gw has 51 edges < 1 mm; neurolib treats them as undelayed
    )


def case_ours(precision: str, noise: bool, repeats: int, block: int, throw: bool = True) -> dict:
    import jax
    import jax.numpy as jnp

    from brainmass_fn.simulate import simulate

    if precision == "f64":
        jax.config.update("jax_enable_x64", True)
    net = _ours_network(noise)
    y0 = jnp.asarray(_initial_state())
    key = jax.random.key(0)

    @jax.jit
    def run(net, key):
        key = key if noise else None
        traj = simulate(net, DURATION, DT, y0=y0, solver="euler", key=key, block=block, throw=throw)
        return traj.ys

    res = _timed(lambda: run(net, key).block_until_ready(), repeats)
    res["steps"] = int(DURATION / DT)
    res["dtype"] = str(run(net, key).dtype)
    return res


def case_ours_grad(repeats: int, block: int) -> dict:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from brainmass_fn.simulate import simulate

    net = _ours_network(False)
    y0 = jnp.asarray(_initial_state(), jnp.float32)

    def loss(k):
        n = eqx.tree_at(lambda m: m.K, net, k)
        return jnp.mean(simulate(n, SHORT, DT, y0=y0, solver="euler", block=block)["x"] ** 2)

    fwd = jax.jit(loss)
    grad = jax.jit(jax.grad(loss))  # reverse mode
    fwd_mode = jax.jit(jax.jacfwd(loss))  # forward mode: one tangent for scalar K
    k = jnp.asarray(K, jnp.float32)
    f = _timed(lambda: fwd(k).block_until_ready(), repeats)
    g = _timed(lambda: grad(k).block_until_ready(), repeats)
    j = _timed(lambda: fwd_mode(k).block_until_ready(), repeats)
    return {
        "compile_s": g["compile_s"],
        "warm_s": g["warm_s"],
        "forward_1s_warm_s": f["warm_s"],
        "grad_over_forward": g["warm_s"] / f["warm_s"],
        "jacfwd_warm_s": j["warm_s"],
        "jacfwd_over_forward": j["warm_s"] / f["warm_s"],
        "steps": int(SHORT / DT),
        "grad": float(grad(k)),
        "grad_jacfwd": float(fwd_mode(k)),
    }


def case_ours_vmap(repeats: int, block: int, n_batch: int = N_BATCH) -> dict:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from brainmass_fn.simulate import simulate

    net = _ours_network(False)
    y0 = jnp.asarray(_initial_state(), jnp.float32)
    ks = jnp.linspace(0.2, 1.0, n_batch)
    every = DT if n_batch <= N_BATCH else 1.0  # a large batch keeps 1-ms samples

    def one(k):
        n = eqx.tree_at(lambda m: m.K, net, k)
        return simulate(n, SHORT, DT, y0=y0, solver="euler", block=block, sample_period=every).ys

    single = jax.jit(one)
    batched = jax.jit(jax.vmap(one))
    b = _timed(lambda: batched(ks).block_until_ready(), repeats)
    loop = _timed(lambda: [single(k).block_until_ready() for k in ks], repeats)
    diff = float(jnp.max(jnp.abs(batched(ks)[3] - single(ks[3]))))
    return {
        "compile_s": b["compile_s"],
        "warm_s": b["warm_s"],
        "loop_warm_s": loop["warm_s"],
        "speedup_vs_loop": loop["warm_s"] / b["warm_s"],
        "max_abs_diff_vs_loop": diff,
        "steps": n_batch * int(SHORT / DT),
        "runs_per_s": n_batch / b["warm_s"],
        "loop_runs_per_s": n_batch / loop["warm_s"],
    }


# ---------------- neurolib (its own interpreter) ----------------


def case_neurolib(noise: bool, repeats: int) -> dict:
    import numpy as np
    from neurolib.models.hopf import HopfModel

    data = np.load(GW)
    model = HopfModel(Cmat=data["Cmat"], Dmat=data["Dmat"])
    p = model.params
    p.duration, p.dt = DURATION, DT
    p.a, p.w, p.K_gl, p.signalV, p.coupling = A, W_HOPF, K, SPEED, "diffusive"
    p.sigma_ou = SIGMA if noise else 0.0
    x0 = _initial_state()
    p.xs_init, p.ys_init = x0[0][:, None], x0[1][:, None]
    res = _timed(model.run, repeats)
    res["steps"] = int(DURATION / DT)
    res["dtype"] = str(model.x.dtype)
    return res


def case_ours_grad_memory(steps: int, block: int) -> dict:
    """Peak memory and time of the gradient w.r.t. K through ``steps`` Euler steps of
    the delayed gw network, float32, samples every 1 ms (one grad call, then one more
    timed; the loss is ``mean(x^2)`` over the samples)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from brainmass_fn.simulate import simulate

    net = _ours_network(False)
    y0 = jnp.asarray(_initial_state(), jnp.float32)
    duration = steps * DT

    def loss(k):
        n = eqx.tree_at(lambda m: m.K, net, k)
        traj = simulate(n, duration, DT, y0=y0, solver="euler", block=block, sample_period=1.0)
        return jnp.mean(traj["x"] ** 2)

    fwd, grad = jax.jit(loss), jax.jit(jax.grad(loss))
    k = jnp.asarray(K, jnp.float32)
    f = _timed(lambda: fwd(k).block_until_ready(), 1)
    g = _timed(lambda: grad(k).block_until_ready(), 1)
    return {
        "compile_s": g["compile_s"],
        "warm_s": g["warm_s"],
        "forward_warm_s": f["warm_s"],
        "grad_over_forward": g["warm_s"] / f["warm_s"],
        "steps": steps,
        "grad": float(grad(k)),
    }


def case_ours_bold(minutes: float, block: int) -> dict:
    """``simulate_bold`` of the delayed, OU-noisy gw network (Heun, float32, dt 0.1 ms,
    60-s chunks, TR 2 s): wall time and peak memory."""
    import jax

    from brainmass_fn.long_run import simulate_bold

    net = _ours_network(True)
    t0 = time.perf_counter()
    times, signal = simulate_bold(
        net, minutes * 60_000.0, DT, key=jax.random.key(0), progress=False
    )
    wall = time.perf_counter() - t0
    return {
        "compile_s": 0.0,
        "warm_s": wall,
        "steps": int(minutes * 60_000.0 / DT),
        "bold_samples": int(signal.shape[0]),
        "bold_finite": bool((signal == signal).all()),
    }


def case_baseline() -> dict:
    import jax.numpy as jnp

    jnp.zeros(3).block_until_ready()
    return {"compile_s": 0.0, "warm_s": 0.0, "steps": 0}


def run_case(name: str, repeats: int, block: int) -> dict:
    if name == "baseline":
        out = case_baseline()
    elif name.startswith("ours-"):
        if name == "ours-grad":
            out = case_ours_grad(repeats, block)
        elif name.startswith("ours-gradmem-"):
            out = case_ours_grad_memory(int(float(name.split("-")[-1])), block)
        elif name.startswith("ours-bold-"):
            out = case_ours_bold(float(name.split("-")[-1]), block)
        elif name == "ours-f32-nothrow":
            out = case_ours("f32", False, repeats, block, throw=False)
        elif name == "ours-vmap16":
            out = case_ours_vmap(repeats, block)
        elif name == "ours-vmap256":
            out = case_ours_vmap(repeats, block, 256)
        else:
            _, precision, *rest = name.split("-")
            out = case_ours(precision, bool(rest), repeats, block)
    elif name.startswith("neurolib"):
        out = case_neurolib(name.endswith("noise"), repeats)
    else:
        raise SystemExit(f"unknown case {name}")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ---------------- driver ----------------

CASES = [
    ("baseline", "idle process, imports jax"),
    ("ours-f32", "ours, float32, deterministic, 10 s"),
    ("ours-f64", "ours, float64, deterministic, 10 s"),
    ("ours-f32-noise", "ours, float32, OU noise, 10 s"),
    ("ours-f64-noise", "ours, float64, OU noise, 10 s"),
    ("neurolib", "neurolib 0.6.2, float64, deterministic, 10 s"),
    ("neurolib-noise", "neurolib 0.6.2, float64, OU noise, 10 s"),
    ("ours-grad", "ours, f32, reverse-mode grad wrt K, 1 s"),
    ("ours-vmap16", "ours, f32, vmap x16 over K, 1 s each"),
    ("ours-vmap256", "ours, f32, vmap x256 over K, 1 s each"),
    ("ours-f32-nothrow", "ours, float32, throw=False (no NaN check)"),
    ("ours-gradmem-1e5", "ours, f32, grad wrt K, 1e5 steps (10 s)"),
    ("ours-gradmem-1e6", "ours, f32, grad wrt K, 1e6 steps (100 s)"),
    ("ours-bold-60", "ours, simulate_bold, 1 h of gw BOLD, OU, heun"),
]


def _neurolib_python(arg: str | None) -> str | None:
    beside = HERE.parent.parent / "peers" / "neurolib" / "bin" / "python"
    candidates = [arg, os.environ.get("NEUROLIB_PYTHON"), str(beside)]
    for c in candidates:
        if c and pathlib.Path(c).exists():
            return c
    try:
        import neurolib  # noqa: F401

        return sys.executable
    except ImportError:
        return None


def _subprocess(python: str, case: str, repeats: int, block: int) -> dict:
    cmd = [python, str(pathlib.Path(__file__).resolve()), "--case", case]
    cmd += ["--repeats", str(repeats), "--block", str(block)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="run one case and print JSON (internal)")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per case (>= 3)")
    parser.add_argument("--block", type=int, default=8, help="steps per block of our solver")
    parser.add_argument("--neurolib-python", default=None, help="interpreter with neurolib")
    parser.add_argument("--only", default=None, help="comma-separated cases to run")
    parser.add_argument("--json", default=None, help="also write all results to this file")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.repeats, args.block)))
        return

    nl_python = _neurolib_python(args.neurolib_python)
    load_before = os.getloadavg()
    results = {}
    wanted = None if args.only is None else set(args.only.split(","))
    extra = sorted(w for w in wanted or () if w.startswith("ours-bold-") and w not in dict(CASES))
    cases = CASES + [(w, f"ours, simulate_bold, {w.split('-')[-1]} min of gw") for w in extra]
    for case, _ in cases:
        if wanted is not None and case not in wanted:
            continue
        if case.startswith("neurolib"):
            if nl_python is None:
                results[case] = {"error": "neurolib not found (skipped)"}
                continue
            results[case] = _subprocess(nl_python, case, args.repeats, args.block)
        else:
            results[case] = _subprocess(sys.executable, case, args.repeats, args.block)
        print(f"  done {case}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    def ratio(ours: str, ref: str) -> str:
        a, b = results.get(ours, {}), results.get(ref, {})
        if "warm_s" in a and "warm_s" in b and a["warm_s"] > 0:
            return f"{b['warm_s'] / a['warm_s']:.2f}x"
        return "-"

    print(
        f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs); block = {args.block}; warm = median of {args.repeats}"
    )
    head = (
        f"{'case':<16} {'what':<44} {'compile s':>9} {'warm s':>8} {'steps/s':>10} "
        f"{'peak MB':>8} {'neurolib/ours':>13}"
    )
    print(head)
    print("-" * len(head))
    refs = {
        "ours-f32": "neurolib",
        "ours-f64": "neurolib",
        "ours-f32-noise": "neurolib-noise",
        "ours-f64-noise": "neurolib-noise",
    }
    for case, what in cases:
        if case not in results:
            continue
        r = results[case]
        if "error" in r:
            print(f"{case:<16} {what:<44} {r['error']}")
            continue
        rate = r["steps"] / r["warm_s"] if r["warm_s"] > 0 else float("nan")
        rel = ratio(case, refs[case]) if case in refs else ""
        print(
            f"{case:<16} {what:<44} {r['compile_s']:>9.2f} {r['warm_s']:>8.3f} {rate:>10.3g} "
            f"{r['peak_rss_mb']:>8.0f} {rel:>13}"
        )
    if "ours-grad" in results and "grad_over_forward" in results["ours-grad"]:
        g = results["ours-grad"]
        print(
            f"\ngrad through 1 s: {g['warm_s']:.3f} s = {g['grad_over_forward']:.2f} x our "
            f"forward of 1 s ({g['forward_1s_warm_s']:.3f} s); dL/dK = {g['grad']:.4g}"
        )
        print(
            f"forward-mode (jax.jacfwd) through 1 s: {g['jacfwd_warm_s']:.3f} s = "
            f"{g['jacfwd_over_forward']:.2f} x forward; dL/dK = {g['grad_jacfwd']:.4g}"
        )
    for case in ("ours-gradmem-1e5", "ours-gradmem-1e6"):
        g = results.get(case, {})
        if "grad_over_forward" in g:
            print(
                f"grad through {g['steps']:.0e} steps: {g['warm_s']:.2f} s = "
                f"{g['grad_over_forward']:.2f} x forward ({g['forward_warm_s']:.2f} s), peak "
                f"{g['peak_rss_mb']:.0f} MB"
            )
    if "ours-vmap256" in results and "runs_per_s" in results["ours-vmap256"]:
        v = results["ours-vmap256"]
        print(
            f"vmap x256 (1-s runs): {v['runs_per_s']:.1f} runs/s against a loop's "
            f"{v['loop_runs_per_s']:.1f} ({v['speedup_vs_loop']:.2f}x)"
        )
    if "ours-vmap16" in results and "speedup_vs_loop" in results["ours-vmap16"]:
        v = results["ours-vmap16"]
        print(
            f"vmap x16: {v['warm_s']:.3f} s vs loop of 16 calls {v['loop_warm_s']:.3f} s "
            f"({v['speedup_vs_loop']:.2f}x throughput); max |vmap - loop| = "
            f"{v['max_abs_diff_vs_loop']:.2g}"
        )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
