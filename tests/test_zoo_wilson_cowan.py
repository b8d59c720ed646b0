"""Wilson-Cowan in the zoo: saturation limits, Jacobian at a fixed point against
the hand-derived one, neurolib cross-check, gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from _zoo_checks import (
    Reference,
    assert_gradients_match_finite_differences,
    assert_trajectory_matches,
)

import brainmass_fn as bm


def _fixed_point(model, guess):
    def residual(s, _):
        return model.vector_field(0.0, s, model.zero_input())

    return optx.root_find(residual, optx.Newton(rtol=1e-12, atol=1e-14), guess).value


def test_fixed_point_saturates_at_one_half_and_zero():
    # E* = (1 - E*) S_E: with S_E -> 1 (huge drive) E* -> 1/2; with S_E -> 0, E* -> 0
    with jax.enable_x64(True):
        high = _fixed_point(bm.models.WilsonCowan(p=200.0, q=200.0), jnp.array([0.4, 0.4]))
        low = _fixed_point(bm.models.WilsonCowan(p=-200.0, q=-200.0), jnp.array([0.01, 0.01]))
    np.testing.assert_allclose(high, [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(low, [0.0, 0.0], atol=1e-12)


def test_jacobian_at_fixed_point_matches_hand_derivation():
    with jax.enable_x64(True):
        m = bm.models.WilsonCowan(p=0.5)
        e, i = np.asarray(_fixed_point(m, jnp.array([0.05, 0.05])))
        jac = np.asarray(
            jax.jacfwd(lambda s: m.vector_field(0.0, s, m.zero_input()))(jnp.array([e, i]))
        )
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    xe = 1.5 * (16 * e - 12 * i + 0.5 - 3.0)
    xi = 1.5 * (15 * e - 3 * i - 3.0)
    se, si = sig(xe), sig(xi)
    dse, dsi = 1.5 * se * (1 - se), 1.5 * si * (1 - si)
    hand = np.array(
        [
            [(-1 - se + (1 - e) * dse * 16) / 2.5, (1 - e) * dse * -12 / 2.5],
            [(1 - i) * dsi * 15 / 3.75, (-1 - si + (1 - i) * dsi * -3) / 3.75],
        ]
    )
    np.testing.assert_allclose(jac, hand, rtol=1e-12, atol=1e-14)
    assert np.all(np.linalg.eigvals(jac).real < 0)  # this resting state is stable


def test_trajectory_matches_neurolib_euler():
    ref = Reference("zoo_wilson_cowan_neurolib.npz")
    p = ref.params
    with jax.enable_x64(True):
        model = bm.models.WilsonCowan(
            tau_e=p["tau_exc"],
            tau_i=p["tau_inh"],
            c_ee=p["c_excexc"],
            c_ie=p["c_inhexc"],
            c_ei=p["c_excinh"],
            c_ii=p["c_inhinh"],
            a_e=p["a_exc"],
            a_i=p["a_inh"],
            mu_e=p["mu_exc"],
            mu_i=p["mu_inh"],
        )
        # neurolib's exc_ext, inh_ext: inside the sigmoids
        traj = assert_trajectory_matches(
            model, ref, solver="euler", drive=ref["ext"], max_rel_error=1e-6
        )
        assert np.ptp(np.asarray(traj["E"][500:, 0])) > 0.1  # node 0 oscillates


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.WilsonCowan(p=1.0, q=0.2),
            lambda traj: jnp.mean(traj["E"] ** 2 + traj["I"] ** 2),
            duration=30.0,
            dt=0.1,
            y0=jnp.array([0.1, 0.05]),
            sample_period=1.0,
            min_abs=1e-8,
            rtol=1e-5,
        )
