"""Threshold-linear node in the zoo: closed-form solutions in the active and silent
regimes, stability bound k w < 1, a cross-check against an independent SciPy
integration (no peer has this node), gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
from _zoo_checks import Reference, assert_gradients_match_finite_differences

import brainmass_fn as bm


def test_active_regime_relaxes_to_closed_form_fixed_point():
    # tau r' = -r + k (w r + I - theta): r(t) = r* + (r0 - r*) exp((k w - 1) t / tau)
    tau, k, w, theta, i_ext, r0 = 8.0, 1.5, 0.4, 0.2, 1.0, 0.3
    r_star = k * (i_ext - theta) / (1 - k * w)
    with jax.enable_x64(True):
        model = bm.models.ThresholdLinear(tau=tau, k=k, w=w, theta=theta, i_ext=i_ext)
        traj = bm.simulate(model, 100.0, 0.05, y0=jnp.array([r0]), solver="rk4", sample_period=1.0)
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(
            jnp.array([r_star])
        )
    t = np.asarray(traj.ts)
    exact = r_star + (r0 - r_star) * np.exp((k * w - 1) * t / tau)
    np.testing.assert_allclose(traj["r"], exact, rtol=1e-10)
    np.testing.assert_allclose(jac, [[(k * w - 1) / tau]], rtol=1e-14)


def test_silent_regime_decays_with_tau_and_strong_recurrence_runs_away():
    with jax.enable_x64(True):
        silent = bm.models.ThresholdLinear(tau=5.0, i_ext=-1.0, w=0.5)  # drive < 0 for r < 2
        traj = bm.simulate(silent, 20.0, 0.01, y0=jnp.array([1.0]), solver="rk4", sample_period=1.0)
        np.testing.assert_allclose(traj["r"], np.exp(-np.asarray(traj.ts) / 5.0), rtol=1e-10)
        unstable = bm.models.ThresholdLinear(k=1.0, w=1.2)  # k w > 1: no stable rate
        runaway = bm.simulate(unstable, 200.0, 0.1, y0=jnp.array([0.0]), sample_period=200.0)
        assert float(runaway["r"][-1]) > 50.0


def test_trajectory_matches_scipy_reference():
    ref = Reference("zoo_threshold_linear.npz")
    p = ref.params
    amplitude, period = float(ref["amplitude"]), float(ref["period"])
    with jax.enable_x64(True):
        model = bm.models.ThresholdLinear(**p)

        def stimulus(t):
            return jnp.array([[amplitude * jnp.sin(2 * jnp.pi * t / period)]])

        traj = bm.simulate(
            model,
            1000.0,
            0.1,
            y0=ref["y0"],
            solver="dopri5",
            sample_period=1.0,
            stimulus=stimulus,
            rtol=1e-11,
            atol=1e-13,
        )
        ys = np.asarray(traj.ys)
    assert (ys == 0).any() or ys.min() < 1e-3  # the drive does go below threshold
    rel = np.max(np.abs(ys - ref["ys"])) / np.max(np.abs(ref["ys"]))
    assert rel < 1e-6


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.ThresholdLinear(theta=0.1),
            lambda traj: jnp.mean(traj["r"] ** 2),
            duration=30.0,
            dt=0.1,
            y0=jnp.array([0.5]),
            sample_period=1.0,
            min_abs=1e-8,
            rtol=1e-6,
        )
