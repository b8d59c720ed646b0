"""Sharded sweeps: results equal plain vmap; analytic Hopf amplitudes on a grid.

The 4-device checks run in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (the flag must be set before
jax is imported, so it cannot be set in this process without affecting every test).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainmass_fn.models import Hopf
from brainmass_fn.simulate import simulate
from brainmass_fn.sweep import (
    batch_size,
    device_mesh,
    evaluate_population,
    grid,
    shard_batch,
    sweep,
)


def _radius(p):
    """Settled limit-cycle radius of a Hopf node, sqrt(mean(x^2 + y^2)) over 150-300 ms."""
    traj = simulate(Hopf(a=p["a"], w=p["w"]), 300.0, 0.05, y0=jnp.array([0.3, 0.0]),
                    sample_period=1.0, transient=150.0, solver="rk4")  # fmt: skip
    return jnp.sqrt(jnp.mean(traj["x"] ** 2 + traj["y"] ** 2))


def test_sweep_hopf_radius_is_sqrt_a():
    # supercritical Hopf: the limit cycle has radius sqrt(a), whatever w (Kuznetsov 2004)
    a = np.array([0.09, 0.25, 0.49])
    res = sweep(_radius, {"a": a, "w": [0.1, 0.3]})
    assert res.shape == (3, 2)
    assert res.outputs.shape == (3, 2)
    np.testing.assert_allclose(np.asarray(res.outputs), np.sqrt(a)[:, None].repeat(2, 1), rtol=1e-3)
    assert res.argmin()["a"] == pytest.approx(0.09)


def test_evaluate_population_equals_vmap_with_padding_and_chunks():
    pop = {"a": jnp.linspace(0.1, 0.6, 7), "w": jnp.linspace(0.1, 0.4, 7)}
    ref = jax.vmap(_radius)(pop)
    out = evaluate_population(_radius, pop, chunk_size=3)
    assert out.shape == (7,)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-6)


def test_grid_order_is_c_order():
    g = grid({"K": [1.0, 2.0], "a": [10.0, 20.0, 30.0]})
    np.testing.assert_array_equal(np.asarray(g["K"]), [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(np.asarray(g["a"]), [10, 20, 30, 10, 20, 30])


def test_bad_populations_raise_clear_errors():
    with pytest.raises(ValueError, match="different leading"):
        batch_size({"a": jnp.zeros(3), "b": jnp.zeros(4)})
    with pytest.raises(ValueError, match="scalar"):
        batch_size({"a": jnp.zeros(3), "b": jnp.float32(1.0)})
    with pytest.raises(ValueError, match="chunk_size"):
        evaluate_population(_radius, {"a": jnp.ones(2), "w": jnp.ones(2)}, chunk_size=0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        grid({"a": [[1.0, 2.0]]})


_SCRIPT = textwrap.dedent(
    """
    import json
    import equinox as eqx, jax, jax.numpy as jnp, numpy as np
    from brainmass_fn.data import load_connectome
    from brainmass_fn.models import Hopf
    from brainmass_fn.network import Network
    from brainmass_fn.simulate import simulate
    from brainmass_fn.sweep import device_mesh, evaluate_population, shard_batch, sweep
    from brainmass_fn.metrics import fc

    assert jax.device_count() == 4, jax.devices()
    mesh = device_mesh()
    x = shard_batch({"v": jnp.arange(8.0)}, mesh)["v"]
    shards = sorted((s.index[0].start, s.data.shape[0]) for s in x.addressable_shards)

    w = load_connectome("gw").weights[:6, :6]
    base = Network(Hopf(a=-0.05, w=0.2), w, K=0.5)

    def member_fc(p):
        net = eqx.tree_at(lambda n: (n.node.a, n.K), base, (p["a"], p["K"]))
        traj = simulate(net, 100.0, 0.2, sample_period=1.0, y0=base.initial_state()
                        + 0.01 * jnp.arange(12.0).reshape(2, 6))
        return {"fc": fc(traj["x"]), "rms": jnp.sqrt(jnp.mean(traj["x"] ** 2))}

    pop = {"a": jnp.linspace(-0.1, 0.2, 10), "K": jnp.linspace(0.1, 1.0, 10)}
    sharded = evaluate_population(member_fc, pop, mesh=mesh)
    plain = jax.jit(jax.vmap(member_fc))(pop)
    res = sweep(member_fc, {"a": [-0.1, 0.1], "K": [0.2, 0.4, 0.8]}, mesh=mesh, chunk_size=4)
    one = jax.jit(member_fc)
    loop = [[one({"a": jnp.float32(a), "K": jnp.float32(k)})["rms"] for k in (0.2, 0.4, 0.8)]
            for a in (-0.1, 0.1)]
    print(json.dumps({
        "shards": shards,
        "n_devices_out": len(sharded["rms"].sharding.device_set),
        "fc_err": float(jnp.max(jnp.abs(sharded["fc"] - plain["fc"]))),
        "rms_err": float(jnp.max(jnp.abs(sharded["rms"] - plain["rms"]))),
        "rms": np.asarray(plain["rms"]).tolist(),
        "grid_shape": list(res.outputs["fc"].shape),
        "grid_err": float(np.max(np.abs(np.asarray(res.outputs["rms"]) - np.asarray(loop)))),
    }))
    """
)


def test_sharded_over_four_cpu_devices_equals_vmap():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    env.pop("JAX_ENABLE_X64", None)
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # the batch of 8 is split 2 per device
    assert got["shards"] == [[0, 2], [2, 2], [4, 2], [6, 2]]
    assert got["n_devices_out"] == 4
    # the same program per member: sharded == unsharded vmap, up to float32 rounding (XLA
    # compiles the per-device batch of 2 apart from the batch of 10 and may order the
    # reductions differently; FC of nearly synchronous nodes magnifies that, so 1e-4
    # here, about 800 float32 ulps of 1.0; the member-level rms stays within 1e-6)
    assert got["fc_err"] < 1e-4
    assert got["rms_err"] < 1e-6
    # and the members differ (the check is not vacuous)
    assert np.ptp(got["rms"]) > 1e-2
    assert got["grid_shape"] == [2, 3, 6, 6]
    assert got["grid_err"] < 1e-6


def test_single_device_mesh_in_process():
    mesh = device_mesh(jax.devices()[:1])
    assert mesh.size == 1
    x = shard_batch({"v": jnp.arange(3.0)}, mesh)["v"]
    np.testing.assert_array_equal(np.asarray(x), [0.0, 1.0, 2.0])


_TRACES = []


def _counted(p):
    _TRACES.append(1)  # runs only while tracing
    return p["a"] ** 2 + p["w"]


def test_repeated_sweeps_compile_once():
    pop = {"a": jnp.arange(6.0), "w": jnp.ones(6)}
    first = evaluate_population(_counted, pop, chunk_size=2)  # 3 chunks of one shape
    second = evaluate_population(_counted, {"a": pop["a"] + 1.0, "w": pop["w"]}, chunk_size=2)
    assert len(_TRACES) == 1
    np.testing.assert_allclose(np.asarray(first), np.arange(6.0) ** 2 + 1.0)
    np.testing.assert_allclose(np.asarray(second), (np.arange(6.0) + 1.0) ** 2 + 1.0)
