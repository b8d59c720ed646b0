"""Reduced Wong-Wang and Wong-Wang-Deco E-I in the zoo: the transfer function's
removable singularity, fixed-point relations, TVB (vector field, Heun) and
neurolib (Euler) cross-checks, gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest
from _zoo_checks import (
    Reference,
    assert_gradients_match_finite_differences,
    assert_trajectory_matches,
    assert_vector_field_matches,
)

import brainmass_fn as bm


def _h(x, a, b, d):
    """Abbott-Chance transfer function, written independently in NumPy."""
    z = a * x - b
    return z / (1.0 - np.exp(-d * z))


def _rww(p):
    return bm.models.ReducedWongWang(
        a=p["a"],
        b=p["b"],
        d=p["d"],
        gamma=p["gamma"],
        tau_s=p["tau_s"],
        w=p["w"],
        j_n=p["J_N"],
        i_o=p["I_o"],
    )


def _deco_from_tvb(p):
    """TVB's ReducedWongWangExcInh (Hz and s inside H) -> our kHz / ms parameters."""
    model = bm.models.WongWangDeco(
        a_e=p["a_e"] / 1000,
        b_e=p["b_e"] / 1000,
        d_e=p["d_e"] * 1000,
        gamma_e=p["gamma_e"] * 1000,
        tau_e=p["tau_e"],
        a_i=p["a_i"] / 1000,
        b_i=p["b_i"] / 1000,
        d_i=p["d_i"] * 1000,
        gamma_i=p["gamma_i"] * 1000,
        tau_i=p["tau_i"],
        w_e=p["W_e"],
        w_i=p["W_i"],
        w_p=p["w_p"],
        j_n=p["J_N"],
        j_i=p["J_i"],
        i_o=p["I_o"],
        i_ext=p["I_ext"],
    )
    scale = p["G"] * p["J_N"]

    def to_input(c):  # TVB adds G J_N c_0 to x_E and lamda G J_N c_0 to x_I
        return jnp.stack([scale * c[0], p["lamda"] * scale * c[0]])

    return model, to_input


def test_transfer_function_at_its_removable_singularity():
    with jax.enable_x64(True):
        a, b, d = 0.27, 0.108, 154.0
        x0 = b / a
        h = bm.models.wong_wang_rate(jnp.asarray(x0), a, b, d)
        near = bm.models.wong_wang_rate(jnp.asarray(x0 + 1e-9), a, b, d)
        slope = jax.grad(lambda x: bm.models.wong_wang_rate(x, a, b, d))(jnp.asarray(x0))
        # H(z) = z / (1 - exp(-d z)) -> 1/d + z/2 + O(z^2) around z = a x - b = 0
        np.testing.assert_allclose(h, 1.0 / d, rtol=1e-12)
        np.testing.assert_allclose(slope, a / 2, rtol=1e-12)
        np.testing.assert_allclose(near, 1.0 / d + a * 1e-9 / 2, rtol=1e-12)
        x = jnp.array([0.2, 0.5, 1.0])
        np.testing.assert_allclose(
            bm.models.wong_wang_rate(x, a, b, d), _h(np.asarray(x), a, b, d), rtol=1e-13
        )


def test_reduced_wong_wang_fixed_point_relation():
    # dS/dt = 0  <=>  S* = gamma tau H / (1 + gamma tau H), H = H(w J_N S* + I_o)
    with jax.enable_x64(True):
        model = bm.models.ReducedWongWang()
        traj = bm.simulate(
            model, 3000.0, 0.5, y0=jnp.array([0.1]), solver="rk4", sample_period=3000.0
        )
    s = float(traj.ys[-1, 0])
    h = _h(0.6 * 0.2609 * s + 0.33, 0.270, 0.108, 154.0)
    np.testing.assert_allclose(s, 0.641 * 100 * h / (1 + 0.641 * 100 * h), rtol=1e-9)


def test_deco_fixed_point_relations_and_stability():
    with jax.enable_x64(True):
        model = bm.models.WongWangDeco()
        traj = bm.simulate(
            model, 2000.0, 0.5, y0=jnp.array([0.1, 0.1]), solver="rk4", sample_period=2000.0
        )

        def residual(s, _):
            return model.vector_field(0.0, s, model.zero_input())

        # polish the state the flow settled to with Newton's method
        rest = optx.root_find(residual, optx.Newton(rtol=1e-13, atol=1e-15), traj.ys[-1])
        np.testing.assert_allclose(rest.value, traj.ys[-1], rtol=1e-4)
        se, si = np.asarray(rest.value)
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(
            jnp.array([se, si])
        )
    h_e = _h(0.382 + 1.4 * 0.15 * se - 1.0 * si, 0.31, 0.125, 160.0)
    h_i = _h(0.7 * 0.382 + 0.15 * se - si, 0.615, 0.177, 87.0)
    np.testing.assert_allclose(se, 0.641 * 100 * h_e / (1 + 0.641 * 100 * h_e), rtol=1e-9)
    np.testing.assert_allclose(si, 10.0 * h_i, rtol=1e-9)
    assert np.all(np.linalg.eigvals(np.asarray(jac)).real < 0)


def test_reduced_wong_wang_matches_tvb():
    ref = Reference("zoo_reduced_wong_wang_tvb.npz")
    with jax.enable_x64(True):
        model = _rww(ref.params)
        assert_vector_field_matches(model, ref, rtol=1e-12, atol=1e-15)
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_wong_wang_deco_matches_tvb():
    ref = Reference("zoo_wong_wang_deco_tvb.npz")
    with jax.enable_x64(True):
        model, to_input = _deco_from_tvb(ref.params)
        assert_vector_field_matches(model, ref, rtol=1e-12, atol=1e-15, to_input=to_input)
        drive = to_input(jnp.asarray(ref["coupling"]))
        assert_trajectory_matches(model, ref, solver="heun", drive=drive, max_rel_error=1e-6)


def test_wong_wang_deco_matches_neurolib_euler():
    ref = Reference("zoo_wong_wang_deco_neurolib.npz")
    p = ref.params
    with jax.enable_x64(True):
        model = bm.models.WongWangDeco(
            a_e=p["a_exc"],
            b_e=p["b_exc"],
            d_e=p["d_exc"],
            gamma_e=p["gamma_exc"],
            tau_e=p["tau_exc"],
            w_e=p["w_exc"],
            i_o=p["exc_current"],
            a_i=p["a_inh"],
            b_i=p["b_inh"],
            d_i=p["d_inh"],
            w_i=p["w_inh"],
            j_n=p["J_NMDA"],
            j_i=p["J_I"],
            w_p=p["w_ee"],
            # neurolib 0.6.2 reads tau_inh from params["tau_exc"] (a bug in its
            # ww/timeIntegration.py); reproduce what it integrates
            tau_i=p["tau_exc"],
        )
        assert_trajectory_matches(model, ref, solver="euler", max_rel_error=1e-6)


@pytest.mark.parametrize("name", ["ReducedWongWang", "WongWangDeco"])
def test_gradient_wrt_every_parameter_matches_finite_differences(name):
    with jax.enable_x64(True):
        if name == "ReducedWongWang":
            model, y0 = bm.models.ReducedWongWang(), jnp.array([0.3])
        else:
            model, y0 = bm.models.WongWangDeco(i_ext=0.1), jnp.array([0.3, 0.1])
        assert_gradients_match_finite_differences(
            model,
            lambda traj: jnp.mean(traj.ys**2),
            duration=40.0,
            dt=0.5,
            y0=y0,
            sample_period=2.0,
            min_abs=1e-10,
            rtol=1e-5,
        )
