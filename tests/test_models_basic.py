"""Known dynamics of the spine's models: limit cycles, fixed points, stability."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import brainmass_fn as bm


def _fixed_point(model, guess):
    zero = model.zero_input()

    def f(y, args):
        return model.vector_field(0.0, y, zero)

    sol = optx.root_find(f, optx.Newton(rtol=1e-12, atol=1e-12), guess)
    jac = jax.jacfwd(lambda y: model.vector_field(0.0, y, zero))(sol.value)
    return np.asarray(sol.value), np.linalg.eigvals(np.asarray(jac))


@pytest.mark.parametrize("a", [0.25, 1.5])
def test_hopf_settled_amplitude_is_sqrt_a(a):
    # amplitude = sqrt(2) * RMS of x on the limit cycle x^2 + y^2 = a
    with jax.enable_x64(True):
        traj = bm.simulate(
            bm.Hopf(a=a, w=0.3),
            400.0,
            0.01,
            y0=jnp.array([0.5, 0.0]),
            solver="rk4",
            transient=200.0,
            sample_period=0.05,
        )
        amp = np.sqrt(2.0) * np.sqrt(np.mean(np.asarray(traj["x"]) ** 2))
    np.testing.assert_allclose(amp, np.sqrt(a), rtol=2e-3)  # finite-window RMS of a cosine


def test_hopf_limit_cycle_radius_and_frequency():
    a, w = 0.8, 0.25
    with jax.enable_x64(True):
        traj = bm.simulate(
            bm.Hopf(a=a, w=w), 300.0, 0.01, solver="rk4", transient=250.0, sample_period=0.01
        )
        x, y = np.asarray(traj["x"]), np.asarray(traj["y"])
    np.testing.assert_allclose(x**2 + y**2, a, rtol=1e-8)
    phase = np.unwrap(np.arctan2(y, x))
    np.testing.assert_allclose(np.polyfit(np.asarray(traj.ts), phase, 1)[0], w, rtol=1e-8)


def test_hopf_subcritical_origin_is_stable_focus():
    model = bm.Hopf(a=-0.3, w=0.7)
    fp, eig = _fixed_point(model, jnp.array([0.1, 0.1]))
    np.testing.assert_allclose(fp, 0.0, atol=1e-12)
    np.testing.assert_allclose(sorted(eig, key=np.imag), [-0.3 - 0.7j, -0.3 + 0.7j], atol=1e-6)


def test_wilson_cowan_low_state_is_a_stable_focus_reached_by_simulation():
    with jax.enable_x64(True):
        model = bm.WilsonCowan(p=0.0)
        traj = bm.simulate(model, 500.0, 0.05, solver="rk4", sample_period=5.0)
        fp, eig = _fixed_point(model, traj.ys[-1])
        np.testing.assert_allclose(traj.ys[-1], fp, atol=1e-9)
    assert np.all(eig.real < 0) and np.all(np.abs(eig.imag) > 0)
    # independent numpy statement of the steady state: E = (1 - E) S_E(...), same for I
    e, i = fp
    s_e = 1.0 / (1.0 + np.exp(-1.5 * (16.0 * e - 12.0 * i - 3.0)))
    s_i = 1.0 / (1.0 + np.exp(-1.5 * (15.0 * e - 3.0 * i - 3.0)))
    np.testing.assert_allclose([e, i], [(1 - e) * s_e, (1 - i) * s_i], rtol=1e-10)


def test_wilson_cowan_unstable_focus_gives_a_limit_cycle():
    # p = 1: the only fixed point is an unstable focus (Hopf bifurcation crossed),
    # so the simulation must oscillate with a finite amplitude.
    with jax.enable_x64(True):
        model = bm.WilsonCowan(p=1.0)
        fp, eig = _fixed_point(model, jnp.array([0.13, 0.10]))
        traj = bm.simulate(model, 1000.0, 0.05, solver="rk4", transient=600.0, sample_period=0.5)
        e = np.asarray(traj["E"])
    assert np.all(eig.real > 0) and np.all(np.abs(eig.imag) > 0)
    assert e.max() - e.min() > 0.2
    assert e.min() < fp[0] < e.max()


def _mpr_fixed_rates(tau, delta, eta, j, i_ext):
    # v* = -delta / (2 pi tau r*) turns dv = 0 into a quartic in r:
    # -pi^2 tau^2 r^4 + j tau r^3 + (eta + I) r^2 + delta^2 / (4 pi^2 tau^2) = 0
    coeffs = [-((np.pi * tau) ** 2), j * tau, eta + i_ext, 0.0, delta**2 / (4 * np.pi**2 * tau**2)]
    roots = np.roots(coeffs)
    return np.sort(roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real)


def test_montbrio_low_activity_fixed_point_matches_quartic_root():
    tau, delta, eta, j = 1.0, 1.0, -5.0, 15.0
    with jax.enable_x64(True):
        model = bm.MontbrioPazoRoxin(tau=tau, delta=delta, eta=eta, j=j)
        traj = bm.simulate(model, 200.0, 0.005, solver="rk4", sample_period=1.0)
        r_end, v_end = np.asarray(traj.ys[-1])
    r_star = _mpr_fixed_rates(tau, delta, eta, j, 0.0)[0]
    np.testing.assert_allclose(r_end, r_star, rtol=1e-8)
    np.testing.assert_allclose(v_end, -delta / (2 * np.pi * tau * r_star), rtol=1e-8)


def test_montbrio_bistable_high_state():
    # eta = -5, J = 15 lies in the bistable region (Montbrio et al. 2015, Fig. 1): a
    # strong initial rate settles on the high-activity focus, the largest quartic root.
    tau, delta, eta, j = 1.0, 1.0, -5.0, 15.0
    with jax.enable_x64(True):
        model = bm.MontbrioPazoRoxin()
        traj = bm.simulate(
            model, 200.0, 0.005, y0=jnp.array([1.5, 0.0]), solver="rk4", sample_period=1.0
        )
        fp, eig = _fixed_point(model, traj.ys[-1])
    rates = _mpr_fixed_rates(tau, delta, eta, j, 0.0)
    assert len(rates) == 3
    np.testing.assert_allclose(traj.ys[-1, 0], rates[-1], rtol=1e-8)
    assert np.all(eig.real < 0)
