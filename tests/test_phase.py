"""Phase and synchrony: analytic signal vs scipy.signal.hilbert, order parameter,
metastability and PLV on constructed phases, envelope FC, gradients against finite
differences and at zero amplitude."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import signal as sps

import brainmass_fn as bm
from brainmass_fn.phase import (
    analytic_signal,
    envelope,
    envelope_fc,
    instantaneous_phase,
    metastability,
    order_parameter,
    phase_locking_value,
)


@pytest.mark.parametrize("n", [127, 128])
def test_analytic_signal_equals_scipy_hilbert(n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 3))
    with jax.enable_x64(True):
        got0 = analytic_signal(x)
        got1 = analytic_signal(x.T, axis=1)
    want = sps.hilbert(x, axis=0)
    np.testing.assert_allclose(got0, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got1, want.T, rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.real(got0), x, atol=1e-12)


def test_envelope_and_phase_of_a_cosine():
    # a whole number of cycles: the Hilbert transform is exact
    n, dt = 1000, 1.0
    t = np.arange(n) * dt
    f, amp, phi = 10.0, 2.5, 0.7  # 10 Hz, 10 cycles in 1 s
    x = amp * np.cos(2 * np.pi * f * t / 1000.0 + phi)
    with jax.enable_x64(True):
        env = envelope(x[:, None])[:, 0]
        ph = instantaneous_phase(x[:, None])[:, 0]
    np.testing.assert_allclose(env, amp, rtol=1e-10)
    want = np.angle(np.exp(1j * (2 * np.pi * f * t / 1000.0 + phi)))
    np.testing.assert_allclose(np.angle(np.exp(1j * (np.asarray(ph) - want))), 0.0, atol=1e-10)


def test_order_parameter_and_metastability_of_constructed_phases():
    t = np.linspace(0.0, 1.0, 50)
    theta = 2.0 * t  # shared drift
    delta = np.pi * t  # phase difference grows from 0 to pi
    phase = np.stack([theta, theta + delta], axis=1)
    with jax.enable_x64(True):
        r = order_parameter(phase)
        meta = metastability(phase)
        splay = order_parameter(np.tile(2 * np.pi * np.arange(5) / 5, (3, 1)))
    want = np.abs(np.cos(delta / 2))  # |1 + e^{i delta}| / 2
    np.testing.assert_allclose(r, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(meta, np.std(want), rtol=1e-12)
    np.testing.assert_allclose(splay, 0.0, atol=1e-15)


def test_phase_locking_value_matrix():
    rng = np.random.default_rng(0)
    base = np.cumsum(rng.normal(size=400))  # a wandering phase
    locked = base + 1.3  # constant lag: PLV 1
    free = np.cumsum(rng.normal(size=400))
    phase = np.stack([base, locked, free], axis=1)
    with jax.enable_x64(True):
        plv = np.asarray(phase_locking_value(phase))
    lag = phase[:, :, None] - phase[:, None, :]
    want = np.abs(np.mean(np.exp(1j * lag), axis=0))
    np.testing.assert_allclose(plv, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(plv), 1.0, rtol=1e-14)
    np.testing.assert_allclose(plv[0, 1], 1.0, rtol=1e-12)
    assert plv[0, 2] < 0.3


def test_order_parameter_and_plv_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        params = {"phase": jnp.asarray(rng.normal(size=(12, 4)))}
        target = jnp.asarray(rng.uniform(size=(4, 4)))

        def r_loss(p):
            return jnp.mean(order_parameter(p["phase"]) ** 2) + metastability(p["phase"])

        def plv_loss(p):
            return bm.plv_loss(phase_locking_value(p["phase"]), target)

        checks = [bm.check_gradient(r_loss, params), bm.check_gradient(plv_loss, params)]
    for check in checks:
        assert np.linalg.norm(check.autodiff) > 1e-3
        assert check.rel_error < 1e-7, check.rel_error


def test_gradient_through_hilbert_phases_matches_finite_differences():
    rng = np.random.default_rng(2)
    t = np.arange(64)
    with jax.enable_x64(True):
        x = np.cos(2 * np.pi * 4 * t / 64)[:, None] + 0.3 * rng.normal(size=(64, 3))
        params = {"x": jnp.asarray(x)}

        def loss(p):
            return metastability(instantaneous_phase(p["x"]))

        check = bm.check_gradient(loss, params)
    assert np.linalg.norm(check.autodiff) > 1e-3
    assert check.rel_error < 1e-6, check.rel_error


def test_zero_amplitude_gives_phase_zero_and_a_finite_gradient():
    x = np.zeros((32, 2))
    x[:, 1] = np.sin(2 * np.pi * 3 * np.arange(32) / 32)

    def loss(x):
        return jnp.sum(order_parameter(instantaneous_phase(x))) + jnp.sum(envelope(x))

    ph = instantaneous_phase(x)
    g = jax.jit(jax.grad(loss))(jnp.asarray(x))
    np.testing.assert_array_equal(ph[:, 0], 0.0)
    assert np.all(np.isfinite(np.asarray(g)))
    # the angle itself has a NaN gradient at 0: the guard is what keeps it out
    assert np.isnan(jax.grad(lambda a: jnp.angle(a + 0j))(0.0))


def test_metastability_eps_keeps_a_steady_order_parameter_differentiable():
    phase = jnp.zeros((10, 3))  # R = 1 at every time: SD 0
    assert np.all(np.isnan(np.asarray(jax.grad(metastability)(phase))))
    g = jax.grad(lambda p: metastability(p, eps=1e-12))(phase)
    np.testing.assert_array_equal(g, 0.0)


def test_envelope_fc_matches_scipy_pipeline_and_detects_shared_envelopes():
    dt, n = 2.0, 1000  # 2 s at 500 Hz
    t = np.arange(n) * dt / 1000.0
    rng = np.random.default_rng(3)
    slow = 1.0 + 0.8 * np.sin(2 * np.pi * 0.7 * t)  # shared amplitude modulation
    other = 1.0 + 0.8 * np.sin(2 * np.pi * 1.9 * t + 1.0)
    carrier = lambda f, p: np.cos(2 * np.pi * f * t + p)  # noqa: E731
    x = np.stack(
        [slow * carrier(20, 0.0), slow * carrier(22, 1.0), other * carrier(21, 2.0)], axis=1
    )
    x = x + 0.05 * rng.normal(size=x.shape)
    with jax.enable_x64(True):
        got = np.asarray(envelope_fc(x, dt, 15.0, 30.0, trim=50))
        filtered = np.asarray(bm.bandpass(x, dt, 15.0, 30.0))
    env = np.abs(sps.hilbert(filtered, axis=0))[50:-50]
    np.testing.assert_allclose(got, np.corrcoef(env.T), rtol=0, atol=1e-10)
    assert got[0, 1] > 0.95
    assert abs(got[0, 2]) < 0.3


def test_phase_functions_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"phase must have shape \(time, nodes\)"):
        order_parameter(jnp.zeros(10))
    with pytest.raises(ValueError, match="trim must be an int"):
        envelope_fc(jnp.ones((20, 2)), 1.0, 10.0, 50.0, trim=10)
