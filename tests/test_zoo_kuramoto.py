"""Kuramoto in the zoo: uniform rotation, two-oscillator phase locking and the
conserved mean phase, TVB cross-checks, gradient w.r.t. omega."""

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


def _two_coupled(model, coupling, theta0, dt, steps):
    """RK4 for two nodes with Kuramoto coupling u_i = K sin(theta_j - theta_i)."""

    def f(theta):
        u = coupling * jnp.sin(theta[0, ::-1] - theta[0])
        return model.vector_field(0.0, theta, u[None])

    def step(theta, _):
        k1 = f(theta)
        k2 = f(theta + 0.5 * dt * k1)
        k3 = f(theta + 0.5 * dt * k2)
        k4 = f(theta + dt * k3)
        new = theta + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return new, new[0]

    return jax.lax.scan(step, theta0, None, length=steps)[1]


def test_single_node_rotates_uniformly():
    with jax.enable_x64(True):
        traj = bm.simulate(
            bm.models.Kuramoto(omega=0.07), 500.0, 0.1, y0=jnp.array([0.4]), sample_period=10.0
        )
        np.testing.assert_allclose(traj["theta"], 0.4 + 0.07 * np.asarray(traj.ts), rtol=1e-13)


def test_two_oscillators_lock_at_arcsin_and_conserve_mean_phase():
    # phi = theta_2 - theta_1: phi' = (w2 - w1) - 2 K sin(phi) -> sin(phi*) = dw / (2 K);
    # theta_1 + theta_2 - (w1 + w2) t is conserved (the coupling is antisymmetric).
    w = np.array([0.05, 0.08])
    k = 0.04
    with jax.enable_x64(True):
        model = bm.models.Kuramoto(omega=jnp.asarray(w))
        theta0 = jnp.array([[0.0, 2.5]])
        dt, steps = 0.1, 5000
        thetas = np.asarray(_two_coupled(model, k, theta0, dt, steps))
    t = dt * np.arange(1, steps + 1)
    np.testing.assert_allclose(thetas.sum(axis=1) - w.sum() * t, 2.5, atol=1e-10)
    phi = thetas[-1, 1] - thetas[-1, 0]
    np.testing.assert_allclose(np.sin(phi), (w[1] - w[0]) / (2 * k), rtol=1e-9)


def test_vector_field_and_trajectory_match_tvb():
    ref = Reference("zoo_kuramoto_tvb.npz")
    with jax.enable_x64(True):
        model = bm.models.Kuramoto(omega=ref.params["omega"])
        assert_vector_field_matches(model, ref, rtol=1e-14)
        # one state variable: the per-variable relative error is the overall one
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_gradient_wrt_omega_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.Kuramoto(omega=jnp.array([0.05, 0.09])),
            lambda traj: jnp.mean(jnp.sin(traj["theta"]) ** 2),
            duration=50.0,
            dt=0.1,
            y0=jnp.array([[0.0, 1.0]]),
            sample_period=1.0,
            names=(".omega[0]", ".omega[1]"),
            min_abs=1e-6,
            rtol=1e-6,
        )
