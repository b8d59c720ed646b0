"""Montbrio-Pazo-Roxin in the zoo: the closed-form fixed point at J = 0, TVB
cross-checks (vector field and Heun trajectory), gradient w.r.t. every parameter."""

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


def _model_and_input(p):
    """Our model from TVB's parameters; TVB's coupling (c_r, c_V) -> our input rows."""
    model = bm.models.MontbrioPazoRoxin(
        tau=p["tau"], delta=p["Delta"], eta=p["eta"], j=p["J"], i_ext=p["I"]
    )

    def to_input(c):
        # TVB adds (cr c_r + cv c_V) / tau to dV/dt only
        return jnp.stack([jnp.zeros_like(c[0]), p["cr"] * c[0] + p["cv"] * c[1]])

    return model, to_input


def test_uncoupled_fixed_point_is_closed_form():
    # J = 0: r* = sqrt((eta + sqrt(eta^2 + Delta^2)) / 2) / (pi tau), v* = -Delta / (2 pi tau r*)
    tau, delta, eta = 2.0, 0.7, -1.3
    r_star = np.sqrt((eta + np.hypot(eta, delta)) / 2) / (np.pi * tau)
    v_star = -delta / (2 * np.pi * tau * r_star)
    with jax.enable_x64(True):
        model = bm.models.MontbrioPazoRoxin(tau=tau, delta=delta, eta=eta, j=0.0)
        traj = bm.simulate(
            model, 400.0, 0.05, y0=jnp.array([0.5, 0.0]), solver="rk4", sample_period=400.0
        )
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(
            jnp.array([r_star, v_star])
        )
    np.testing.assert_allclose(traj.ys[-1], [r_star, v_star], rtol=1e-9)
    # linearisation: trace 4 v*/tau, det 4 (v*^2 + pi^2 tau^2 r*^2) / tau^2
    np.testing.assert_allclose(np.trace(jac), 4 * v_star / tau, rtol=1e-12)
    np.testing.assert_allclose(
        np.linalg.det(jac), 4 * (v_star**2 + (np.pi * tau * r_star) ** 2) / tau**2, rtol=1e-12
    )


def test_vector_field_matches_tvb():
    ref = Reference("zoo_montbrio_tvb.npz")
    with jax.enable_x64(True):
        model, to_input = _model_and_input(ref.params)
        assert_vector_field_matches(model, ref, rtol=1e-12, atol=1e-13, to_input=to_input)


def test_trajectory_matches_tvb_heun():
    ref = Reference("zoo_montbrio_tvb.npz")
    with jax.enable_x64(True):
        model, to_input = _model_and_input(ref.params)
        drive = to_input(jnp.asarray(ref["coupling"]))
        assert_trajectory_matches(model, ref, solver="heun", drive=drive, max_rel_error=1e-6)


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.MontbrioPazoRoxin(i_ext=0.5),
            lambda traj: jnp.mean(traj["r"] ** 2 + 0.1 * traj["v"] ** 2),
            duration=20.0,
            dt=0.01,
            y0=jnp.array([0.3, -1.0]),
            sample_period=0.5,
            min_abs=1e-8,
            rtol=1e-5,
        )
