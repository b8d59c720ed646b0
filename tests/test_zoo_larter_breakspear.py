"""Larter-Breakspear in the zoo: the fixed point's closed-form relations and the
d_V thresholds, TVB cross-checks, gradient w.r.t. every parameter."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from _zoo_checks import (
    Reference,
    assert_gradients_match_finite_differences,
    assert_trajectory_matches,
    assert_vector_field_matches,
)

import brainmass_fn as bm

#: TVB name -> brainmass_fn name
RENAME = dict(
    gCa="g_ca",
    gK="g_k",
    gL="g_l",
    phi="phi",
    gNa="g_na",
    TK="t_k",
    TCa="t_ca",
    TNa="t_na",
    VCa="v_ca",
    VK="v_k",
    VL="v_l",
    VNa="v_na",
    d_K="d_k",
    tau_K="tau_k",
    d_Na="d_na",
    d_Ca="d_ca",
    aei="a_ei",
    aie="a_ie",
    b="b",
    C="c",
    ane="a_ne",
    ani="a_ni",
    aee="a_ee",
    Iext="i_ext",
    rNMDA="r_nmda",
    VT="v_t",
    d_V="d_v",
    ZT="z_t",
    d_Z="d_z",
    QV_max="qv_max",
    QZ_max="qz_max",
    t_scale="t_scale",
)


def _rest(model, guess):
    def residual(s, _):
        return model.vector_field(0.0, s, model.zero_input())

    return optx.root_find(residual, optx.Newton(rtol=1e-13, atol=1e-15), guess).value


def test_resting_state_relations_below_d_v_055():
    # dZ/dt = 0 -> V* Q_V(V*) = -a_ni I / a_ei ; dW/dt = 0 -> W* = m_K(V*)
    with jax.enable_x64(True):
        model = bm.models.LarterBreakspear(d_v=0.5)
        traj = bm.simulate(
            model, 2000.0, 0.1, y0=jnp.array([0.0, 0.0, 0.0]), solver="rk4", sample_period=1.0
        )
        tail = np.asarray(traj.ys[-200:])
        assert np.ptp(tail, axis=0).max() < 1e-6  # settled
        v, w, z = np.asarray(_rest(model, traj.ys[-1]))
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(
            jnp.array([v, w, z])
        )
    q_v = 0.5 * (1 + np.tanh(v / 0.5))
    np.testing.assert_allclose(v * q_v, -0.4 * 0.3 / 2.0, rtol=1e-12)
    np.testing.assert_allclose(w, 0.5 * (1 + np.tanh(v / 0.3)), rtol=1e-12)
    np.testing.assert_allclose([v, w, z], tail[-1], atol=1e-6)
    assert np.all(np.linalg.eigvals(np.asarray(jac)).real < 0)


def test_oscillates_above_d_v_055():
    with jax.enable_x64(True):
        traj = bm.simulate(
            bm.models.LarterBreakspear(d_v=0.57), 2000.0, 0.1, sample_period=1.0, transient=1000.0
        )
    assert np.ptp(np.asarray(traj["V"])) > 0.5


def test_vector_field_and_trajectory_match_tvb():
    ref = Reference("zoo_larter_breakspear_tvb.npz")
    with jax.enable_x64(True):
        model = bm.models.LarterBreakspear(**{RENAME[k]: v for k, v in ref.params.items()})
        # TVB's coupling c_0 is the neighbours' mean Q_V: our single input row
        assert_vector_field_matches(model, ref, rtol=1e-11, atol=1e-13)
        assert_trajectory_matches(
            model, ref, solver="heun", drive=ref["coupling"], max_rel_error=1e-6
        )


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.LarterBreakspear(),
            lambda traj: jnp.mean(traj.ys**2),
            duration=20.0,
            dt=0.1,
            y0=jnp.array([0.1, 0.2, 0.05]),
            sample_period=1.0,
            stimulus=lambda t: jnp.array([0.2]),
            min_abs=1e-9,
            rtol=1e-5,
        )
