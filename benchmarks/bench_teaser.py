"""Benchmark: the README teaser fit (Hopf amplitude, 120 Adam steps), ours vs brainmass.

Ours is the "Thirty seconds" snippet of README.md as written: one Hopf node (w = 0.3,
y0 = (0.5, 0)), ``simulate`` 400 ms with dt = 0.1 ms and the first 200 ms dropped, the
target is the amplitude ``sqrt(2 mean(x^2))`` of a run with a = 1.5, and
``fit(..., optax.adam(0.1), steps=120)`` starts from ``a = Param(0.1)``. Once with the
snippet's default solver, once with ``solver="tsit5"`` (the adaptive path).

Measured, each in a fresh subprocess:

- ``fit``: the import, the target run, the whole 120-step ``fit`` including its compile,
  and the median of one warm fit step (from the per-step callback). ``--fits`` (default
  3) runs of each, ours and brainmass's interleaved, so that they see the same machine.
- ``warm``: ``amplitude`` at a = 0.1 under ``jax.jit`` and ``jax.value_and_grad`` of
  the loss with respect to ``a``, also jitted: ``compile`` = first call minus warm; warm
  = median of ``--repeats`` (default 5) batches, each the mean of enough calls to last
  about 0.1 s, after three warm-up calls.

brainmass 0.1.1 runs its own version of the teaser (``benchmarks/peers/
brainmass_teaser.py``: ``HopfStep``, ``Simulator``, ``Fitter`` with braintools' Adam)
when its interpreter is found: ``--brainmass-python PATH``, else the
``BRAINMASS_PYTHON`` environment variable, else ``../peers/brainmass/bin/python``
beside the repository. Never install brainmass into the project's environment:

    python3 -m venv ../peers/brainmass && ../peers/brainmass/bin/pip install brainmass==0.1.1
    .venv/bin/python benchmarks/bench_teaser.py

Run on an otherwise idle machine; the table prints the load average before and after.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "peers" / "brainmass_teaser.py"
DEFAULT_PEER = HERE.parent.parent / "peers" / "brainmass" / "bin" / "python"
A_TRUE, A_START, W, LR, STEPS = 1.5, 0.1, 0.3, 0.1, 120
SOLVERS = {"default": None, "tsit5": "tsit5"}  # None: the README's call, no solver given


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


# ---------------- ours (each case in a fresh process) ----------------


def _teaser(solver: str | None):
    """The README teaser's ``amplitude`` and ``target``; ``solver`` is added if given."""
    import jax.numpy as jnp

    import brainmass_fn as bm

    y0 = jnp.array([0.5, 0.0])
    kw = {} if solver is None else {"solver": solver}

    def amplitude(model):  # sqrt(2) * RMS of x, 200-400 ms
        traj = bm.simulate(
            model, 400 * bm.ureg.ms, 0.1 * bm.ureg.ms, y0=y0, transient=200 * bm.ureg.ms, **kw
        )
        return jnp.sqrt(2 * jnp.mean(traj["x"] ** 2))

    target = amplitude(bm.Hopf(a=A_TRUE, w=W))
    target.block_until_ready()
    return amplitude, target


def case_fit(solver: str | None) -> dict:
    t0 = time.perf_counter()
    import optax

    import brainmass_fn as bm

    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    amplitude, target = _teaser(solver)
    t_target = time.perf_counter() - t0

    stamps = []
    t0 = time.perf_counter()
    result = bm.fit(
        lambda m: (amplitude(m) - target) ** 2,
        bm.Hopf(a=bm.Param(A_START), w=W),
        optax.adam(LR),
        steps=STEPS,
        callback=lambda *_: stamps.append(time.perf_counter()),
    )
    t_fit = time.perf_counter() - t0
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return {
        "import_s": t_import,
        "target_s": t_target,
        "fit_s": t_fit,
        "teaser_s": t_target + t_fit,
        "step_warm_s": statistics.median(steps),
        "first_step_s": stamps[0] - t0,
        "a": float(result.values["a"]),
        "n_steps": len(stamps),
        "target": float(target),
    }


def case_warm(solver: str | None, repeats: int) -> dict:
    import jax
    import jax.numpy as jnp

    import brainmass_fn as bm

    amplitude, target = _teaser(solver)

    def forward(a):
        return amplitude(bm.Hopf(a=a, w=W))

    def loss(a):
        return (forward(a) - target) ** 2

    fwd = jax.jit(forward)
    vg = jax.jit(jax.value_and_grad(loss))
    a = jnp.asarray(A_START, jnp.float32)
    f = _timed(lambda: fwd(a).block_until_ready(), repeats)
    g = _timed(lambda: jax.block_until_ready(vg(a)), repeats)
    value, grad = vg(a)
    default = inspect.signature(bm.simulate).parameters["solver"].default
    return {
        "solver": solver or f"{default} (README default)",
        "forward_warm_s": f["warm_s"],
        "forward_compile_s": f["compile_s"],
        "vg_warm_s": g["warm_s"],
        "vg_compile_s": g["compile_s"],
        "vg_over_forward": g["warm_s"] / f["warm_s"],
        "loss": float(value),
        "grad": float(grad),
    }


# ---------------- driver ----------------


def _peer_python(arg: str | None) -> str | None:
    for c in (arg, os.environ.get("BRAINMASS_PYTHON"), str(DEFAULT_PEER)):
        if c and pathlib.Path(c).exists():
            return c
    return None


def _subprocess(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ours(case: str, solver: str, repeats: int) -> dict:
    me = str(pathlib.Path(__file__).resolve())
    cmd = [sys.executable, me, "--case", case, "--solver", solver, "--repeats", str(repeats)]
    return _subprocess(cmd)


def _peer(python: str, what: str, repeats: int) -> dict:
    return _subprocess([python, str(PEER_SCRIPT), "--what", what, "--repeats", str(repeats)])


def _merge(runs: list[dict]) -> dict:
    """Medians of the numeric fields over runs (errors: the first one)."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0] if runs else {"error": "not run"}
    out = {k: statistics.median(r[k] for r in ok) for k, v in ok[0].items() if _num(v)}
    out["fit_s_all"] = [r["fit_s"] for r in ok]
    out["runs"] = len(ok)
    return out


def _num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


ROWS = [  # key, label, scale, format
    ("import_s", "import, fresh process (s)", 1, ".2f"),
    ("teaser_s", "teaser: target + 120-step fit (s)", 1, ".2f"),
    ("fit_s", "120-step fit incl. compile (s)", 1, ".2f"),
    ("first_step_s", "  of which first step (compile) (s)", 1, ".2f"),
    ("step_warm_s", "one warm fit step (ms)", 1e3, ".3f"),
    ("forward_warm_s", "forward, warm (ms)", 1e3, ".3f"),
    ("forward_compile_s", "forward, compile (s)", 1, ".2f"),
    ("vg_warm_s", "value_and_grad, warm (ms)", 1e3, ".3f"),
    ("vg_compile_s", "value_and_grad, compile (s)", 1, ".2f"),
    ("vg_over_forward", "value_and_grad / forward", 1, ".2f"),
    ("a", "fitted a (true 1.5)", 1, ".5f"),
]


def _table(cols: dict[str, dict], fits: int, repeats: int) -> None:
    names = list(cols)
    peer = "brainmass" in cols and "error" not in cols["brainmass"]
    head = f"{'':<38}" + "".join(f"{n:>14}" for n in names)
    head += f"{'ours/brainmass':>16}" if peer else ""
    print(head)
    print("-" * len(head))
    for key, label, scale, fmt in ROWS:
        line = f"{label:<38}"
        for n in names:
            v = cols[n].get(key)
            line += f"{v * scale:>14{fmt}}" if v is not None else f"{'-':>14}"
        if peer:
            ours, ref = cols["ours"].get(key), cols["brainmass"].get(key)
            ok = key != "a" and ours is not None and ref
            line += f"{ours / ref:>15.2f}x" if ok else f"{'':>16}"
        print(line.rstrip())
    for n in names:
        if "error" in cols[n]:
            print(f"{n}: {cols[n]['error']}")
        elif "fit_s_all" in cols[n]:
            runs = ", ".join(f"{t:.2f}" for t in cols[n]["fit_s_all"])
            print(f"{n}: 120-step fit in each fresh process: {runs} s")
    print(f"fit rows: median of {fits} fresh processes; warm rows: median of {repeats} batches")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["fit", "warm"], help="one case, print JSON (internal)")
    parser.add_argument("--solver", choices=list(SOLVERS), default="default")
    parser.add_argument("--repeats", type=int, default=5, help="warm batches per timing")
    parser.add_argument("--fits", type=int, default=3, help="fresh-process fits of each")
    parser.add_argument("--brainmass-python", default=None, help="interpreter with brainmass")
    parser.add_argument("--json", default=None, help="also write all results to this file")
    args = parser.parse_args()
    if args.case:
        solver = SOLVERS[args.solver]
        out = case_fit(solver) if args.case == "fit" else case_warm(solver, args.repeats)
        print(json.dumps(out))
        return

    peer = _peer_python(args.brainmass_python)
    load_before = os.getloadavg()
    fits: dict[str, list[dict]] = {"ours": [], "ours-tsit5": []}
    if peer:
        fits["brainmass"] = []
    for i in range(args.fits):  # interleaved: ours, ours-tsit5, brainmass, ours, ...
        fits["ours"].append(_ours("fit", "default", args.repeats))
        fits["ours-tsit5"].append(_ours("fit", "tsit5", args.repeats))
        if peer:
            fits["brainmass"].append(_peer(peer, "fit", args.repeats))
        print(f"  done fit round {i + 1}/{args.fits}", file=sys.stderr, flush=True)
    warm = {
        "ours": _ours("warm", "default", args.repeats),
        "ours-tsit5": _ours("warm", "tsit5", args.repeats),
    }
    if peer:
        warm["brainmass"] = _peer(peer, "warm", args.repeats)
    load_after = os.getloadavg()

    cols = {}
    for n in fits:
        merged = _merge(fits[n])
        errors = [d["error"] for d in (merged, warm[n]) if "error" in d]
        cols[n] = {**merged, **warm[n]}
        if errors:
            cols[n]["error"] = "; ".join(errors)
    print(
        f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs); brainmass: "
        + (cols["brainmass"].get("versions", {}).get("brainmass", "?") if peer else "not found")
    )
    _table(cols, args.fits, args.repeats)
    solvers = {n: c["solver"] for n, c in cols.items() if "solver" in c}
    print("solvers: " + "; ".join(f"{n} {s}" for n, s in solvers.items()))
    if peer and "run_as_called_s" in cols["brainmass"]:
        print(
            "brainmass: Simulator.run called as it is (it jits a new closure per call, so "
            f"it traces and compiles each time): {cols['brainmass']['run_as_called_s']:.3f} s"
        )
    if args.json:
        results = {"fits": fits, "warm": warm, "load": [load_before[0], load_after[0]]}
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
