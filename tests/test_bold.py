"""BOLD (Balloon-Windkessel): rest, linear impulse response, neurolib and TVB traces,
jit / vmap / grad."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import expm

import brainmass_fn as bm
from brainmass_fn.forward import BalloonWindkessel, bold, bold_times

DATA = pathlib.Path(__file__).parent / "data"


def reference_drive(n_steps, dt_ms, ref):
    """The drive of tests/data/make_bold_neurolib.py, rebuilt from its stored params."""
    t = np.arange(n_steps)[:, None] * dt_ms * 1e-3
    return ref["level"] * (1 + np.sin(2 * np.pi * ref["freq_hz"] * t)) + ref["pulse"] * np.exp(
        -(((t - ref["pulse_t_s"]) / 0.5) ** 2)
    )


def spm_like():
    # Stephan et al. 2007 with SPM12's priors (kappa 0.64/s, gamma 0.32/s, tau 2 s, E0 0.4)
    return BalloonWindkessel.stephan2007()


@pytest.mark.parametrize("method", ["euler", "symplectic_euler", "heun", "rk4"])
@pytest.mark.parametrize("hemo", [BalloonWindkessel(), spm_like()])
def test_rest_is_exactly_zero(method, hemo):
    y, final = bold(
        jnp.zeros((5000, 4)), 1.0, 500.0, hemodynamics=hemo, method=method, return_state=True
    )
    assert y.shape == (10, 4)
    assert np.all(np.asarray(y) == 0.0)
    np.testing.assert_array_equal(final, hemo.rest_state((4,)))


def test_signal_formula_uses_v_not_rho():
    hemo = BalloonWindkessel()
    state = jnp.array([0.0, 1.2, 1.1, 0.9])
    v, q = 1.1, 0.9
    expected = 0.02 * (7 * 0.34 * (1 - q) + 2.0 * (1 - q / v) + (2 * 0.34 - 0.2) * (1 - v))
    np.testing.assert_allclose(hemo.signal(state), expected, rtol=1e-6)
    h = BalloonWindkessel.friston2000(rho=0.4)
    np.testing.assert_allclose([h.k1, h.k2, h.k3], [2.8, 2.0, 0.6], rtol=1e-6)
    h = BalloonWindkessel.stephan2007(rho=0.4, epsilon=0.5, te=40 * bm.ureg.ms)
    np.testing.assert_allclose(
        [h.k1, h.k2, h.k3], [4.3 * 40.3 * 0.4 * 0.04, 0.5 * 25 * 0.4 * 0.04, 0.5], rtol=1e-6
    )


def _linear_response(hemo, t_s, pulse_s, amplitude):
    """BOLD of the model linearised about rest, for a box pulse z = amplitude on [0, pulse]."""
    k, g, tau, a, r = (float(x) for x in (hemo.kappa, hemo.gamma, hemo.tau, hemo.alpha, hemo.rho))
    dq_df = 1 + (1 - r) * np.log(1 - r) / r
    A = np.array(
        [
            [-k, -g, 0, 0],
            [1, 0, 0, 0],
            [0, 1 / tau, -1 / (a * tau), 0],
            [0, dq_df / tau, -(1 / a - 1) / tau, -1 / tau],
        ]
    )
    b = np.array([amplitude, 0, 0, 0])
    c = float(hemo.v0) * np.array([0, 0, float(hemo.k2 - hemo.k3), -float(hemo.k1 + hemo.k2)])
    # during the pulse: x(t) = A^-1 (e^{At} - I) b; after: e^{A(t - T)} x(T)
    Ainv = np.linalg.inv(A)
    xT = Ainv @ (expm(A * pulse_s) - np.eye(4)) @ b
    out = []
    for t in t_s:
        x = Ainv @ (expm(A * t) - np.eye(4)) @ b if t <= pulse_s else expm(A * (t - pulse_s)) @ xT
        out.append(c @ x)
    return np.array(out)


@pytest.mark.parametrize(
    "make, peak_range",
    [
        (BalloonWindkessel, (2.9, 3.3)),  # Friston 2000 kinetics: a fast response
        (spm_like, (4.0, 6.0)),  # Stephan 2007 kinetics: the canonical 4-6 s peak
    ],
)
def test_impulse_response_matches_linearisation_and_peaks(make, peak_range):
    dt, n, amp = 1.0, 20000, 1e-3
    with jax.enable_x64(True):
        hemo = make()
        z = jnp.zeros((n, 1)).at[:10].set(amp)  # 10 ms box pulse
        y = np.asarray(bold(z, dt, 100.0, hemodynamics=hemo, method="rk4"))[:, 0]
        t_s = np.asarray(bold_times(n, dt, 100.0)) / 1000.0
    lin = _linear_response(hemo, t_s, 0.010, amp)
    # nonlinear corrections are O(amplitude) relative
    np.testing.assert_allclose(y, lin, atol=5e-3 * np.abs(lin).max())
    peak = t_s[np.argmax(y)]
    assert peak_range[0] <= peak <= peak_range[1]
    assert y.min() < 0  # post-stimulus undershoot


def test_matches_neurolib_scheme_exactly():
    ref = np.load(DATA / "bold_neurolib.npz")
    n, dt, keep = int(ref["n_steps"]), float(ref["dt_ms"]), int(ref["keep"])
    z = reference_drive(n, dt, ref)
    with jax.enable_x64(True):
        y, final = bold(z, dt, keep * dt, method="symplectic_euler", return_state=True)
    assert y.shape == ref["bold"].shape == (200, 3)
    # same scheme, same constants: equal up to rounding
    np.testing.assert_allclose(y, ref["bold"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(final, ref["final_state"], rtol=1e-9)


def test_rk4_converges_to_neurolib_within_step_error():
    # a different scheme at the same 1 ms step: differences are O(dt) ~ 1e-3 of the signal
    ref = np.load(DATA / "bold_neurolib.npz")
    n, dt, keep = int(ref["n_steps"]), float(ref["dt_ms"]), int(ref["keep"])
    z = reference_drive(n, dt, ref)
    y = np.asarray(bold(z, dt, keep * dt, method="rk4"))
    scale = np.abs(ref["bold"]).max()
    err = np.abs(y - ref["bold"]).max() / scale
    assert err < 2e-3


def test_matches_tvb_balloon_model():
    ref = np.load(DATA / "bold_tvb.npz")
    n, dt, keep = int(ref["n_steps"]), float(ref["dt_ms"]), int(ref["keep"])
    nl = np.load(DATA / "bold_neurolib.npz")
    z = reference_drive(n + 1, dt, nl)[1:]  # TVB's step k uses drive sample k
    with jax.enable_x64(True):  # constants in float64 too
        hemo = BalloonWindkessel.stephan2007(
            rho=0.4,
            v0=4.0,
            epsilon=0.5,
            te=0.04,
            nu0=40.3,
            r0=25.0,
            kappa=1 / 1.54,
            gamma=1 / 1.44,
            tau=0.98,
            alpha=0.32,
        )
        y = bold(z, dt, keep * dt, hemodynamics=hemo, method="heun")
    np.testing.assert_allclose(y, ref["bold"], rtol=1e-9, atol=1e-11)


def test_substeps_converge():
    z = jnp.asarray(np.abs(np.sin(np.linspace(0, 30, 3000)))[:, None])
    with jax.enable_x64(True):
        coarse = np.asarray(bold(z, 5.0, 1000.0, method="euler"))
        fine = np.asarray(bold(z, 5.0, 1000.0, method="euler", substeps=4))
        ref = np.asarray(bold(z, 5.0, 1000.0, method="rk4", substeps=4))
    # Euler is first order: four sub-steps cut the error about four-fold
    ratio = np.abs(coarse - ref).max() / np.abs(fine - ref).max()
    assert 3.5 < ratio < 4.5


def test_times_and_units():
    z = jnp.ones((4000, 2))
    a = bold(z, 0.5, 720.0)
    b = bold(z, 0.5 * bm.ureg.ms, 0.72 * bm.ureg.s)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(bold_times(4000, 0.5, 720.0), 720.0 * np.arange(1, 3))
    assert a.shape == (2, 2)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="tr"):
        bold(jnp.ones((100, 1)), 0.3, 1000.0)
    with pytest.raises(ValueError, match="method"):
        bold(jnp.ones((100, 1)), 1.0, 10.0, method="rk5")
    with pytest.raises(ValueError, match="shorter than one tr"):
        bold(jnp.ones((10, 1)), 1.0, 100.0)
    with pytest.raises(bm.UnitError):
        BalloonWindkessel(tau=1.0 * bm.ureg.mm)


def test_jit_vmap_grad():
    z = jnp.asarray(0.5 + 0.5 * np.sin(np.linspace(0, 20, 2000)))[:, None]

    def peak(kappa):
        hemo = BalloonWindkessel(kappa=kappa)
        return jnp.max(bold(z, 5.0, 500.0, hemodynamics=hemo))

    eager = peak(0.65)
    np.testing.assert_allclose(jax.jit(peak)(0.65), eager, rtol=1e-5)
    batch = jax.vmap(peak)(jnp.array([0.6, 0.65, 0.7]))
    np.testing.assert_allclose(batch[1], eager, rtol=1e-5)
    with jax.enable_x64(True):
        g = jax.grad(peak)(0.65)
        h = 1e-6
        fd = (peak(0.65 + h) - peak(0.65 - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5)


def test_param_field_is_fittable():
    z = jnp.asarray(0.5 + 0.5 * np.sin(np.linspace(0, 20, 2000)))[:, None]

    def loss(h):
        return jnp.sum(bold(z, 5.0, 500.0, hemodynamics=h) ** 2)

    with jax.enable_x64(True):
        hemo = BalloonWindkessel(tau=bm.Param(0.98, lower=0.1, upper=5.0))
        check = bm.check_gradient(loss, hemo)
    assert check.rel_error < 1e-6


def test_gradient_through_simulation_and_bold():
    # neural simulation -> BOLD -> loss; d loss / d a by autodiff vs central differences
    def stim(t):
        return jnp.stack([0.05 * jnp.stack([jnp.sin(0.003 * t), jnp.cos(0.002 * t)]), jnp.zeros(2)])

    def bold_of(a):
        traj = bm.simulate(
            bm.Hopf(a=a, w=0.02), 8000.0, 2.0, solver="heun", sample_period=10.0, stimulus=stim
        )
        return bold(1.0 + traj["x"], 10.0, 500.0)

    with jax.enable_x64(True):
        target = bold_of(jnp.array([-0.02, -0.04]))
        a0 = jnp.array([-0.03, -0.035])

        @jax.jit
        def loss(a):
            return jnp.sum((bold_of(a) - target) ** 2)

        g = jax.jit(jax.grad(loss))(a0)
        h = 1e-6
        fd = np.array(
            [(loss(a0.at[i].add(h)) - loss(a0.at[i].add(-h))) / (2 * h) for i in range(2)]
        )
    assert np.all(np.abs(fd) > 0)
    np.testing.assert_allclose(g, fd, rtol=1e-5)
