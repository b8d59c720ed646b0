"""Generic2dOscillator in the zoo: the fixed point as a root of the nullcline cubic
and its Jacobian, TVB cross-checks, gradient w.r.t. every parameter."""

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
    q = dict(p)
    return bm.models.Generic2dOscillator(i_ext=q.pop("I"), **q)


def test_default_fixed_point_is_the_nullcline_root_with_the_hand_jacobian():
    # W* = (c V^2 + b V + a) / beta ;  -f V^3 + (e + alpha c / beta) V^2
    #   + (g + alpha b / beta) V + alpha a / beta + gamma I = 0
    a, b, c, d, e, f, g, alpha, beta, gamma, tau, i = (
        -2.0,
        -10.0,
        0.0,
        0.02,
        3.0,
        1.0,
        0.0,
        1.0,
        1.0,
        1.0,
        1.0,
        0.0,
    )
    roots = np.roots([-f, e + alpha * c / beta, g + alpha * b / beta, alpha * a / beta + gamma * i])
    v_star = roots[np.abs(roots.imag) < 1e-12].real
    assert v_star.size == 1  # the default regime has one equilibrium
    v_star = float(v_star[0])
    w_star = (c * v_star**2 + b * v_star + a) / beta
    hand = np.array(
        [
            [d * tau * (-3 * f * v_star**2 + 2 * e * v_star + g), d * tau * alpha],
            [d / tau * (2 * c * v_star + b), -d / tau * beta],
        ]
    )
    with jax.enable_x64(True):
        model = bm.models.Generic2dOscillator()
        traj = bm.simulate(
            model, 3000.0, 0.5, y0=jnp.array([1.0, -1.0]), solver="rk4", sample_period=3000.0
        )
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(
            jnp.array([v_star, w_star])
        )
    np.testing.assert_allclose(traj.ys[-1], [v_star, w_star], atol=1e-8)
    np.testing.assert_allclose(jac, hand, rtol=1e-13)
    assert np.all(np.linalg.eigvals(hand).real < 0)


def test_vector_field_and_trajectory_match_tvb():
    ref = Reference("zoo_generic_2d_tvb.npz")
    with jax.enable_x64(True):
        model = _model(ref.params)
        assert_vector_field_matches(model, ref, rtol=1e-12, atol=1e-14)
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.Generic2dOscillator(a=-0.5, c=0.1, g=0.2, i_ext=0.1),
            lambda traj: jnp.mean(traj["V"] ** 2 + traj["W"] ** 2),
            duration=100.0,
            dt=0.5,
            y0=jnp.array([0.5, -1.0]),
            sample_period=2.0,
            min_abs=1e-8,
            rtol=1e-5,
        )
