"""Linear node in the zoo: closed-form solution and eigenvalue, TVB cross-checks,
gradient w.r.t. gamma."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import brainmass_fn as bm

DATA = Path(__file__).parent / "data"


def test_matches_closed_form_with_constant_input():
    gamma, u, x0 = -0.05, 0.3, 1.0
    with jax.enable_x64(True):
        model = bm.models.Linear(gamma=gamma)
        traj = bm.simulate(
            model,
            100.0,
            0.05,
            y0=jnp.array([x0]),
            solver="rk4",
            sample_period=1.0,
            stimulus=lambda t: jnp.array([u]),
        )
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(jnp.array([x0]))
    t = np.asarray(traj.ts)
    exact = -u / gamma + (x0 + u / gamma) * np.exp(gamma * t)
    np.testing.assert_allclose(traj["x"], exact, rtol=1e-10)
    np.testing.assert_allclose(jac, [[gamma]], rtol=1e-15)


def test_vector_field_and_trajectory_match_tvb():
    ref = np.load(DATA / "zoo_linear_tvb.npz")
    p = json.loads(str(ref["params"]))
    with jax.enable_x64(True):
        model = bm.models.Linear(gamma=p["gamma"])
        ours = model.vector_field(
            0.0, jnp.asarray(ref["vf_state"]), jnp.asarray(ref["vf_coupling"])
        )
        np.testing.assert_allclose(ours, ref["vf_dfun"], rtol=1e-14, atol=1e-16)
        drive = jnp.asarray(ref["coupling"])
        traj = bm.simulate(
            model,
            1000.0,
            float(ref["dt"]),
            y0=ref["y0"],
            solver="heun",
            sample_period=1.0,
            stimulus=lambda t: drive,
        )
        rel = np.max(np.abs(np.asarray(traj.ys) - ref["ys"])) / np.max(np.abs(ref["ys"]))
        assert rel < 1e-6


def test_gradient_wrt_gamma_matches_finite_differences():
    with jax.enable_x64(True):
        model = bm.models.Linear(gamma=-0.1)

        def loss(m):
            traj = bm.simulate(
                m,
                30.0,
                0.1,
                y0=jnp.array([1.0]),
                sample_period=1.0,
                stimulus=lambda t: jnp.array([0.05]),
            )
            return jnp.mean(traj["x"] ** 2)

        check = bm.check_gradient(loss, model)
    assert check.names == (".gamma",)
    assert abs(check.finite_difference[0]) > 1e-6
    np.testing.assert_allclose(check.autodiff, check.finite_difference, rtol=1e-6)
