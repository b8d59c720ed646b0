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


def _tvb_mpr_network_euler(p, weights, k, y0, dt, steps):
    """TVB's MontbrioPazoRoxin in a network, written out from TVB's equations (float64
    numpy, Euler): Linear coupling c_r,i = k sum_j w_ij r_j of the cvar r, added as
    cr c_r / tau to dV/dt only (TVB's cr = 1, cv = 0):
    dr = (Delta / (pi tau) + 2 V r) / tau,
    dV = (V^2 - pi^2 tau^2 r^2 + eta + J tau r + I + cr c_r) / tau."""
    tau, delta, eta, j, i_ext = p["tau"], p["Delta"], p["eta"], p["J"], p["I"]
    xs = [np.asarray(y0, dtype=np.float64)]
    for _ in range(steps):
        r, v = xs[-1]
        c_r = k * weights @ r
        dr = (delta / (np.pi * tau) + 2 * v * r) / tau
        dv = (v**2 - (np.pi * tau * r) ** 2 + eta + j * tau * r + i_ext + 1.0 * c_r) / tau
        xs.append(xs[-1] + dt * np.stack([dr, dv]))
    return np.stack(xs)


def test_network_coupling_enters_dv_dt_as_in_tvb():
    p = {"tau": 1.0, "Delta": 1.0, "eta": -5.0, "J": 15.0, "I": 0.0}
    weights = np.array([[0.0, 1.0, 0.4], [0.7, 0.0, 0.2], [0.3, 0.9, 0.0]])
    y0 = np.array([[0.1, 0.4, 0.8], [-2.0, -1.0, -0.5]])
    dt, steps, k = 0.01, 400, 0.8
    ref = _tvb_mpr_network_euler(p, weights, k, y0, dt, steps)
    with jax.enable_x64(True):
        net = bm.Network(bm.models.MontbrioPazoRoxin(), weights, K=k)
        assert net.coupled == ("r",) and net.targets == ("v",)
        traj = bm.simulate(net, steps * dt, dt, y0=y0, solver="euler")
        # the old default (coupling into dr/dt) is a different trace
        into_r = bm.Network(bm.models.MontbrioPazoRoxin(), weights, K=k, targets=("r",))
        other = bm.simulate(into_r, steps * dt, dt, y0=y0, solver="euler")
    np.testing.assert_allclose(np.asarray(traj.ys), ref, rtol=0, atol=1e-12)
    assert np.max(np.abs(np.asarray(other.ys) - ref)) > 0.1
