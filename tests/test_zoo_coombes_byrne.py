"""Coombes-Byrne in the zoo: reduction to the J = 0 Montbrio fixed point and the
alpha-synapse eigenvalues at kappa = 0, TVB cross-checks, gradient w.r.t. every
parameter."""

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


def _model(p):
    return bm.models.CoombesByrne(
        delta=p["Delta"], eta=p["eta"], v_syn=p["v_syn"], k=p["k"], alpha=p["alpha"]
    )


def test_without_synapse_fixed_point_and_eigenvalues_are_closed_form():
    # kappa = 0, g = q = 0: (r, V) is the J = 0 QIF mean field, whose fixed point is
    # r* = sqrt((eta + sqrt(eta^2 + Delta^2)) / 2) / pi, V* = -Delta / (2 pi r*); the
    # (g, q) block is the critically damped alpha synapse, eigenvalue -alpha (double).
    delta, eta, alpha = 0.5, 2.0, 0.8
    r_star = np.sqrt((eta + np.hypot(eta, delta)) / 2) / np.pi
    v_star = -delta / (2 * np.pi * r_star)
    with jax.enable_x64(True):
        model = bm.models.CoombesByrne(delta=delta, eta=eta, k=0.0, alpha=alpha)
        traj = bm.simulate(
            model,
            200.0,
            0.01,
            y0=jnp.array([1.0, -0.5, 0.0, 0.0]),
            solver="rk4",
            sample_period=200.0,
        )
        fixed = jnp.array([r_star, v_star, 0.0, 0.0])
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(fixed)
    np.testing.assert_allclose(traj.ys[-1], fixed, atol=1e-10)
    eig = np.linalg.eigvals(np.asarray(jac))
    mpr = np.linalg.eigvals(
        np.array([[2 * v_star, 2 * r_star], [-2 * np.pi**2 * r_star, 2 * v_star]])
    )
    expected = np.concatenate([mpr, [-alpha, -alpha]])
    np.testing.assert_allclose(np.sort_complex(eig), np.sort_complex(expected), atol=1e-7)


def test_synaptic_conductance_tracks_kappa_pi_r_at_rest():
    with jax.enable_x64(True):
        model = bm.models.CoombesByrne(eta=-1.0, k=1.5)
        traj = bm.simulate(model, 300.0, 0.02, solver="rk4", sample_period=300.0)
        r, v, g, q = np.asarray(traj.ys[-1])
    np.testing.assert_allclose(g, 1.5 * np.pi * r, rtol=1e-9)
    np.testing.assert_allclose(q, 0.0, atol=1e-10)


def test_vector_field_matches_tvb():
    ref = Reference("zoo_coombes_byrne_tvb.npz")
    with jax.enable_x64(True):
        # TVB's coupling term of r (c_0) is added to dV/dt: our single input row
        assert_vector_field_matches(
            _model(ref.params), ref, rtol=1e-12, atol=1e-12, to_input=lambda c: c[:1]
        )


def test_trajectory_matches_tvb_heun():
    ref = Reference("zoo_coombes_byrne_tvb.npz")
    with jax.enable_x64(True):
        assert_trajectory_matches(
            _model(ref.params), ref, solver="heun", drive=ref["coupling"][:1], max_rel_error=1e-6
        )


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.CoombesByrne(),
            lambda traj: jnp.mean(traj["r"] ** 2 + 0.01 * traj["V"] ** 2),
            duration=10.0,
            dt=0.01,
            y0=jnp.array([0.5, -1.0, 1.5, 0.0]),
            sample_period=0.5,
            min_abs=1e-8,
            rtol=1e-5,
        )


def test_network_couples_r_into_v_as_in_tvb():
    # TVB's CoombesByrne adds its coupling term (of r) to dV/dt; the default Network
    # must do the same (it raised before: r is not an input of this model)
    net = bm.Network(bm.models.CoombesByrne(), np.array([[0.0, 1.0], [0.5, 0.0]]), K=0.3)
    assert net.coupled == ("r",) and net.targets == ("V",)
    state = jnp.array([[0.2, 0.6], [-1.0, 0.5], [1.0, 1.2], [0.0, 0.1]])
    c = 0.3 * np.array([0.6, 0.5 * 0.2])  # K sum_j w_ij r_j
    expected = net.node.vector_field(0.0, state, jnp.stack([jnp.asarray(c)]))
    np.testing.assert_allclose(net.vector_field(0.0, state, 0.0), expected, rtol=1e-6)
