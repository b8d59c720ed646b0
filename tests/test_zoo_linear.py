"""Linear node in the zoo: closed-form solution and eigenvalue, TVB cross-checks,
gradient w.r.t. gamma."""

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
    ref = Reference("zoo_linear_tvb.npz")
    with jax.enable_x64(True):
        model = bm.models.Linear(gamma=ref.params["gamma"])
        assert_vector_field_matches(model, ref, rtol=1e-14, atol=1e-16)
        # one state variable: the per-variable relative error is the overall one
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_gradient_wrt_gamma_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.Linear(gamma=-0.1),
            lambda traj: jnp.mean(traj["x"] ** 2),
            duration=30.0,
            dt=0.1,
            y0=jnp.array([1.0]),
            sample_period=1.0,
            stimulus=lambda t: jnp.array([0.05]),
            names=(".gamma",),
            min_abs=1e-6,
            rtol=1e-6,
        )
