"""Coupling functions against explicit sums, and the pre/post factoring the network uses."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainmass_fn import coupling as cp

RNG = np.random.default_rng(3)
N = 4
W = RNG.uniform(0, 1, (N, N))
X = RNG.normal(size=N)
XD = RNG.normal(size=(N, N))  # xd[i, j] = x_j(t - tau_ij)
K = 0.7


def loop(f):
    return np.array([sum(f(i, j) for j in range(N)) for i in range(N)])


def test_linear_is_weighted_delayed_sum():
    want = K * loop(lambda i, j: W[i, j] * XD[i, j])
    np.testing.assert_allclose(cp.linear(W, XD, K), want, rtol=1e-5)
    np.testing.assert_allclose(cp.linear(W, X, K), K * W @ X, rtol=1e-5)


def test_diffusive_is_weighted_delayed_difference():
    want = K * loop(lambda i, j: W[i, j] * (XD[i, j] - X[i]))
    np.testing.assert_allclose(cp.diffusive(W, XD, X, K), want, rtol=1e-5, atol=1e-6)
    # equal states: no diffusive drive
    same = np.full(N, 0.3)
    np.testing.assert_allclose(cp.diffusive(W, same, same, K), 0.0, atol=1e-6)


def test_sigmoidal_applies_sigmoid_to_delayed_source():
    pars = dict(cmin=0.1, cmax=2.0, midpoint=0.5, width=0.3)
    s = lambda v: 0.1 + 1.9 / (1 + np.exp(-(v - 0.5) / 0.3))  # noqa: E731
    want = K * loop(lambda i, j: W[i, j] * s(XD[i, j]))
    np.testing.assert_allclose(cp.sigmoidal(W, XD, K, **pars), want, rtol=1e-5)


def test_kuramoto_is_sine_of_phase_difference():
    want = K * loop(lambda i, j: W[i, j] * np.sin(XD[i, j] - X[i]))
    np.testing.assert_allclose(cp.kuramoto(W, XD, X, K), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "module, pure",
    [
        (cp.LinearCoupling, lambda xd, x: cp.linear(W, xd, K)),
        (cp.DiffusiveCoupling, lambda xd, x: cp.diffusive(W, xd, x, K)),
        (
            lambda: cp.SigmoidalCoupling(midpoint=0.2, width=0.5),
            lambda xd, x: cp.sigmoidal(W, xd, K, midpoint=0.2, width=0.5),
        ),
        (cp.KuramotoCoupling, lambda xd, x: cp.kuramoto(W, xd, x, K)),
    ],
)
def test_factored_form_equals_pure_function_with_delays(module, pure):
    """K * post(sum_j C_ij pre(x)_j(t - tau_ij), x_i, rowsum) equals the pure function."""
    with jax.enable_x64(True):
        module = module()  # built in float64
        pre = jax.vmap(lambda row: module.pre(row[None]), in_axes=0)(jnp.asarray(XD))  # (N, C, N)
        summed = jnp.einsum("ij,icj->ci", jnp.asarray(W), pre)
        got = K * module.post(summed, jnp.asarray(X)[None], jnp.asarray(W).sum(1))[0]
        np.testing.assert_allclose(got, pure(XD, X), rtol=1e-12, atol=1e-12)


def test_get_coupling_by_name_and_error():
    assert isinstance(cp.get_coupling("additive"), cp.LinearCoupling)
    assert isinstance(cp.get_coupling("diffusive"), cp.DiffusiveCoupling)
    with pytest.raises(ValueError, match="Unknown coupling 'bogus'"):
        cp.get_coupling("bogus")
