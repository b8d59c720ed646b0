"""Jansen-Rit in the zoo: the PSP kernels' closed form and eigenvalues, the fixed-point
equations, TVB cross-checks, gradient w.r.t. every parameter."""

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


def _model(p):
    q = dict(p)
    return bm.models.JansenRit(a_amp=q.pop("A"), b_amp=q.pop("B"), j=q.pop("J"), **q)


def test_silent_column_is_three_critically_damped_kernels():
    # nu_max = 0, mu = 0: each PSP obeys y'' + 2 a y' + a^2 y = 0, so
    # y(t) = (y(0) + (y'(0) + a y(0)) t) exp(-a t), eigenvalues -a, -a, -a, -a, -b, -b.
    a, b = 0.1, 0.05
    y0 = np.array([1.0, 2.0, -1.5, 0.3, -0.2, 0.1])
    with jax.enable_x64(True):
        model = bm.models.JansenRit(nu_max=0.0, mu=0.0, a=a, b=b)
        traj = bm.simulate(model, 60.0, 0.05, y0=jnp.asarray(y0), solver="rk4", sample_period=1.0)
        jac = jax.jacfwd(lambda s: model.vector_field(0.0, s, model.zero_input()))(jnp.asarray(y0))
    t = np.asarray(traj.ts)
    for k, rate in ((0, a), (1, a), (2, b)):
        exact = (y0[k] + (y0[k + 3] + rate * y0[k]) * t) * np.exp(-rate * t)
        np.testing.assert_allclose(traj.ys[:, k], exact, atol=1e-9)
    eig = np.sort(np.linalg.eigvals(np.asarray(jac)).real)
    np.testing.assert_allclose(eig, [-a, -a, -a, -a, -b, -b], atol=1e-7)


def test_fixed_point_solves_the_sigmoid_equations():
    # at rest: y0 = A/a S(y1 - y2), y1 = A/a (mu + a2 J S(a1 J y0)), y2 = B/b a4 J S(a3 J y0)
    with jax.enable_x64(True):
        m = bm.models.JansenRit(mu=0.05)

        def residual(s, _):
            return m.vector_field(0.0, s, m.zero_input())

        guess = jnp.array([0.1, 20.0, 15.0, 0.0, 0.0, 0.0])
        y = np.asarray(optx.root_find(residual, optx.Newton(rtol=1e-12, atol=1e-12), guess).value)
    s = lambda v: 2 * 0.0025 / (1 + np.exp(0.56 * (5.52 - v)))  # noqa: E731
    np.testing.assert_allclose(y[3:], 0.0, atol=1e-12)
    np.testing.assert_allclose(y[0], 3.25 / 0.1 * s(y[1] - y[2]), rtol=1e-10)
    np.testing.assert_allclose(y[1], 3.25 / 0.1 * (0.05 + 0.8 * 135 * s(135 * y[0])), rtol=1e-10)
    np.testing.assert_allclose(y[2], 22 / 0.05 * 0.25 * 135 * s(0.25 * 135 * y[0]), rtol=1e-10)


def test_vector_field_matches_tvb():
    ref = Reference("zoo_jansen_rit_tvb.npz")
    with jax.enable_x64(True):
        # TVB's coupling term c_0 (of y1 - y2, after its sigmoid) enters next to mu
        assert_vector_field_matches(
            _model(ref.params), ref, rtol=1e-12, atol=1e-12, to_input=lambda c: c[:1]
        )


def test_trajectory_matches_tvb_heun():
    ref = Reference("zoo_jansen_rit_tvb.npz")
    with jax.enable_x64(True):
        traj = assert_trajectory_matches(
            _model(ref.params), ref, solver="heun", drive=ref["coupling"][:1], max_rel_error=1e-6
        )
        eeg = np.asarray(traj["y1"] - traj["y2"])
        assert np.ptp(eeg[500:], axis=0).min() > 1.0  # the default column oscillates


def test_eeg_is_y1_minus_y2():
    state = jnp.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(bm.models.JansenRit.eeg(state), state[1] - state[2])


def test_gradient_wrt_every_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        assert_gradients_match_finite_differences(
            bm.models.JansenRit(),
            lambda traj: jnp.mean((traj["y1"] - traj["y2"]) ** 2) + jnp.mean(traj["y0"] ** 2),
            duration=30.0,
            dt=0.1,
            y0=jnp.array([0.05, 18.0, 12.0, 0.1, 0.5, -0.2]),
            sample_period=1.0,
            min_abs=1e-8,
            rtol=1e-5,
        )


def test_network_couples_sigmoid_of_y1_minus_y2_into_y4_as_tvb():
    # TVB: lrc_i = a sum_j C_ij (cmin + (cmax - cmin) / (1 + exp(r (midpoint - (y1_j -
    # y2_j))))) enters dy4 next to mu; a hand-written Euler run in that convention
    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        w = rng.uniform(0.0, 1.0, (3, 3)) * (1 - np.eye(3))
        node = bm.models.JansenRit(mu=0.09)
        net = bm.Network(node, w, K=1.0)
        assert net.targets == ("y4",) and isinstance(net.coupling, bm.coupling.SigmoidalJansenRit)
        y = np.tile(np.array([0.1, 15.0, 10.0, 0.0, 0.0, 0.0])[:, None], (1, 3))
        y[1] += np.array([0.0, 3.0, -4.0])
        ours = bm.simulate(net, 50.0, 0.1, y0=jnp.asarray(y), solver="euler")

        def s(v, nu_max=0.0025, r=0.56, v0=5.52):
            return 2 * nu_max / (1 + np.exp(r * (v0 - v)))

        A, B, a, b, J, mu = 3.25, 22.0, 0.1, 0.05, 135.0, 0.09
        for _ in range(500):
            y0, y1, y2, y3, y4, y5 = y
            lrc = w @ (0.005 / (1 + np.exp(0.56 * (6.0 - (y1 - y2)))))
            dy = np.stack(
                [
                    y3,
                    y4,
                    y5,
                    A * a * s(y1 - y2) - 2 * a * y3 - a**2 * y0,
                    A * a * (mu + 0.8 * J * s(J * y0) + lrc) - 2 * a * y4 - a**2 * y1,
                    B * b * 0.25 * J * s(0.25 * J * y0) - 2 * b * y5 - b**2 * y2,
                ]
            )
            y = y + 0.1 * dy
        np.testing.assert_allclose(ours.ys[-1], y, rtol=1e-10, atol=1e-10)
        uncoupled = bm.simulate(bm.Network(node, 0 * w), 50.0, 0.1, y0=ours.ys[0], solver="euler")
        assert np.max(np.abs(np.asarray(uncoupled.ys[-1] - ours.ys[-1]))) > 1e-2
