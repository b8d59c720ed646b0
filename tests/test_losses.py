"""Losses: analytic values, agreement with scipy, and finite-difference gradient checks
of each loss through a short Hopf simulation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import brainmass_fn as bm
from brainmass_fn.losses import (
    amplitude_loss,
    fc_correlation_loss,
    fc_mse_loss,
    fcd_ks_distance,
    fcd_ks_smooth,
    fcd_wasserstein,
    spectral_loss,
)
from brainmass_fn.metrics import amplitude, fc, fcd, peak_frequency, upper_triangle, welch


def sym_from_triangle(values, n):
    m = np.eye(n)
    i, j = np.triu_indices(n, 1)
    m[i, j] = values
    m[j, i] = values
    return m


def test_fc_losses_analytic():
    rng = np.random.default_rng(0)
    a = sym_from_triangle(rng.uniform(-1, 1, 10), 5)
    np.testing.assert_allclose(fc_correlation_loss(a, a), 0.0, atol=1e-6)
    # affine maps of the triangle leave the correlation loss at 0, -1x flips it to 2
    b = sym_from_triangle(0.5 * upper_triangle(a) + 0.1, 5)
    np.testing.assert_allclose(fc_correlation_loss(b, a), 0.0, atol=1e-6)
    c = sym_from_triangle(-np.asarray(upper_triangle(a)), 5)
    np.testing.assert_allclose(fc_correlation_loss(c, a), 2.0, rtol=1e-6)
    expected = np.mean((np.asarray(upper_triangle(b)) - np.asarray(upper_triangle(a))) ** 2)
    np.testing.assert_allclose(fc_mse_loss(b, a), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        fc_mse_loss(a, a[:4, :4])


def test_ks_and_wasserstein_equal_scipy():
    rng = np.random.default_rng(1)
    a = sym_from_triangle(np.tanh(rng.normal(0.2, 0.5, 45)), 10)
    b = sym_from_triangle(np.tanh(rng.normal(0.0, 0.4, 66)), 12)  # different sizes
    ua, ub = np.triu(a, 1)[np.triu_indices(10, 1)], b[np.triu_indices(12, 1)]
    with jax.enable_x64(True):
        ks = fcd_ks_distance(a, b)
        w1 = fcd_wasserstein(a, b)
        smooth = fcd_ks_smooth(a, b, bandwidth=5e-4, n_grid=4001)
    np.testing.assert_allclose(ks, stats.ks_2samp(ua, ub).statistic, rtol=1e-12)
    np.testing.assert_allclose(w1, stats.wasserstein_distance(ua, ub), rtol=1e-12)
    # the smooth KS tends to the KS distance for a narrow bandwidth and a fine grid
    assert abs(float(smooth) - float(ks)) < 0.02
    np.testing.assert_allclose(fcd_ks_distance(a, a), 0.0)
    np.testing.assert_allclose(fcd_wasserstein(a, a), 0.0)


def test_exact_ks_has_zero_gradient_smooth_ks_does_not():
    rng = np.random.default_rng(2)
    a = jnp.asarray(sym_from_triangle(np.tanh(rng.normal(0.2, 0.5, 45)), 10))
    b = jnp.asarray(sym_from_triangle(np.tanh(rng.normal(0.0, 0.4, 45)), 10))
    g_exact = jax.grad(fcd_ks_distance)(a, b)
    g_smooth = jax.grad(fcd_ks_smooth)(a, b)
    assert np.all(np.asarray(g_exact) == 0.0)
    assert np.abs(np.asarray(g_smooth)).max() > 1e-3


def test_spectral_and_amplitude_losses_analytic():
    f = np.linspace(1, 50, 50)
    p = np.exp(-0.5 * ((f - 10) / 2) ** 2)[:, None] + 1e-3
    np.testing.assert_allclose(spectral_loss(3.0 * p, p), 0.0, atol=1e-10)  # scale-free
    q = np.exp(-0.5 * ((f - 20) / 2) ** 2)[:, None] + 1e-3
    lp, lq = np.log(p / p.sum()), np.log(q / q.sum())
    np.testing.assert_allclose(spectral_loss(q, p), np.mean((lq - lp) ** 2), rtol=1e-5)
    np.testing.assert_allclose(
        spectral_loss(q, p, log=False), np.mean((q / q.sum() - p / p.sum()) ** 2), rtol=1e-5
    )
    np.testing.assert_allclose(amplitude_loss(jnp.array([1.0, 2.0]), 1.5), 0.25)


# ---- gradient checks through a short simulation --------------------------------------

A_TRUE = np.array([-0.05, -0.15, -0.1])
A_START = np.array([-0.08, -0.12, -0.13])


def stimulus(t):
    # shared and private drives on x; nothing on y
    drive_x = 0.1 * jnp.stack(
        [
            jnp.sin(0.2 * t),
            jnp.sin(0.2 * t) + 0.8 * jnp.sin(0.07 * t),
            jnp.cos(0.13 * t) + 0.5 * jnp.sin(0.2 * t),
        ]
    )
    return jnp.stack([drive_x, jnp.zeros(3)])


def traces(model):
    traj = bm.simulate(model, 160.0, 0.5, solver="heun", sample_period=1.0, stimulus=stimulus)
    return traj["x"]  # (161, 3)


FEATURES = {
    "fc_corr": (lambda x: fc(x), fc_correlation_loss),
    "fc_mse": (lambda x: fc(x), fc_mse_loss),
    "fcd_ks_smooth": (lambda x: fcd(x, 40, 20), lambda s, t: fcd_ks_smooth(s, t, bandwidth=0.1)),
    "fcd_wasserstein": (lambda x: fcd(x, 40, 20), fcd_wasserstein),
    "spectral": (lambda x: welch(x, 1.0, 64)[1], lambda s, t: spectral_loss(s, t)),
    "peak_frequency": (
        lambda x: peak_frequency(*welch(x, 1.0, 64), temperature=1.0),
        lambda s, t: jnp.mean((s - t) ** 2),
    ),
    "amplitude": (lambda x: amplitude(x[60:], method="rms"), amplitude_loss),
}


def test_every_loss_gradient_through_simulation_in_one_pass():
    # One compile for all losses: the Jacobian of the vector of losses w.r.t. the three
    # node parameters a, by autodiff and by central differences (float64, h = 1e-6).
    # test_loss_gradient_through_simulation (slow) repeats it loss by loss with
    # bm.check_gradient.
    names = list(FEATURES)
    with jax.enable_x64(True):
        x_true = traces(bm.Hopf(a=jnp.asarray(A_TRUE), w=0.2))
        targets = [FEATURES[n][0](x_true) for n in names]

        @jax.jit
        def losses(a):
            x = traces(bm.Hopf(a=a, w=0.2))
            return jnp.stack(
                [FEATURES[n][1](FEATURES[n][0](x), t) for n, t in zip(names, targets, strict=True)]
            )

        a0 = jnp.asarray(A_START)
        autodiff = np.asarray(jax.jit(jax.jacrev(losses))(a0))  # losses x params
        h = 1e-6
        fd = np.stack(
            [(losses(a0.at[i].add(h)) - losses(a0.at[i].add(-h))) / (2 * h) for i in range(3)],
            axis=1,
        )
        values = np.asarray(losses(a0))
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    for k, name in enumerate(names):
        err = np.linalg.norm(autodiff[k] - fd[k]) / np.linalg.norm(fd[k])
        assert np.linalg.norm(fd[k]) > 0, name
        assert err < 1e-5, (name, autodiff[k], fd[k])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FEATURES))
def test_loss_gradient_through_simulation(name):
    feature, loss_fn = FEATURES[name]
    with jax.enable_x64(True):
        target = feature(traces(bm.Hopf(a=jnp.asarray(A_TRUE), w=0.2)))
        model = bm.Hopf(a=bm.Param(jnp.asarray(A_START)), w=0.2)

        def loss(m):
            return loss_fn(feature(traces(m)), target)

        value = float(loss(bm.resolve(model)))
        check = bm.check_gradient(loss, model)
    assert np.isfinite(value) and value > 0  # not already at the target
    assert np.linalg.norm(check.finite_difference) > 0
    assert check.rel_error < 1e-5, (name, check.autodiff, check.finite_difference)


def test_plv_and_metastability_losses():
    rng = np.random.default_rng(5)
    a = sym_from_triangle(rng.uniform(0, 1, 6), 4)
    b = sym_from_triangle(rng.uniform(0, 1, 6), 4)
    want = np.mean((np.asarray(upper_triangle(a)) - np.asarray(upper_triangle(b))) ** 2)
    np.testing.assert_allclose(bm.plv_loss(a, b), want, rtol=1e-6)
    np.testing.assert_allclose(bm.plv_loss(a, a), 0.0, atol=0)
    np.testing.assert_allclose(bm.metastability_loss(0.25, 0.1), 0.0225, rtol=1e-6)
    with pytest.raises(ValueError, match="plv_loss: simulated shape"):
        bm.plv_loss(a, b[:3, :3])
