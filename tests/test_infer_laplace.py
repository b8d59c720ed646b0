"""Laplace approximation and identifiability: analytic information matrices."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainmass_fn as bm
from brainmass_fn.infer import laplace


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def linear_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    sigma = 0.3
    y = X @ np.array([1.0, -2.0, 0.5]) + sigma * rng.normal(size=40)
    return jnp.asarray(X), jnp.asarray(y), sigma


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_linear_gaussian_model_gives_the_exact_covariance(mode):
    X, y, sigma = linear_problem()
    # bounds change the raw coordinates fit uses, not the natural ones Laplace reports
    params = {
        "b": bm.Param(jnp.array([0.9, -1.5]), lower=-5.0, upper=5.0),
        "c": bm.Param(0.4, lower=0.0),
    }

    def residuals(p):
        theta = jnp.concatenate([p["b"], p["c"][None]])
        return (X @ theta - y) / sigma

    post = laplace(residuals, params, mode=mode)
    want = sigma**2 * np.linalg.inv(np.asarray(X.T @ X))
    np.testing.assert_allclose(post.covariance, want, rtol=1e-10)
    np.testing.assert_allclose(post.std, np.sqrt(np.diag(want)), rtol=1e-10)
    np.testing.assert_allclose(post.values, [0.9, -1.5, 0.4], rtol=1e-12)
    assert post.names == ("b[0]", "b[1]", "c")
    assert post.method == "gauss-newton"
    lo, hi = post.interval(0.9)
    np.testing.assert_allclose(hi - post.values, 1.6448536269514722 * post.std, rtol=1e-10)


def test_hessian_of_a_gaussian_likelihood_is_its_fisher_information():
    # at the MLE of N(mu, s^2) from n draws: I_mu = n / s^2, I_s = 2 n / s^2, no cross term
    x = jnp.asarray(np.random.default_rng(1).normal(3.0, 2.0, size=500))
    mu, s = float(x.mean()), float(x.std())

    def nll(p):
        return jnp.sum((x - p["mu"]) ** 2) / (2 * p["s"] ** 2) + x.size * jnp.log(p["s"])

    post = laplace(nll, {"mu": jnp.asarray(mu), "s": jnp.asarray(s)})
    assert post.method == "hessian"
    np.testing.assert_allclose(
        post.information, np.diag([500 / s**2, 2 * 500 / s**2]), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(post.std, [s / np.sqrt(500), s / np.sqrt(1000)], rtol=1e-9)


def test_gauss_newton_equals_the_hessian_of_half_the_squares_at_a_perfect_fit():
    t = jnp.linspace(0.0, 10.0, 50)
    truth = {"A": jnp.asarray(2.0), "tau": jnp.asarray(3.0)}
    data = truth["A"] * jnp.exp(-t / truth["tau"])

    def residuals(p):
        return (p["A"] * jnp.exp(-t / p["tau"]) - data) / 0.1

    gn = laplace(residuals, truth)
    exact = laplace(lambda p: 0.5 * jnp.sum(residuals(p) ** 2), truth)
    np.testing.assert_allclose(gn.information, exact.information, rtol=1e-9)


def test_a_product_of_two_parameters_has_one_sloppy_direction():
    # only a * b enters: d r / d log a = d r / d log b, so (1, 1)/sqrt 2 is stiff and
    # (1, -1)/sqrt 2 carries no information at all
    t = jnp.linspace(0.0, 1.0, 20)

    def residuals(p):
        return p["a"] * p["b"] * t - 6.0 * t

    post = laplace(residuals, {"a": jnp.asarray(2.0), "b": jnp.asarray(3.0)})
    assert np.all(np.isinf(post.std))
    assert post.eigenvalues[1] < 1e-10 * post.eigenvalues[0]
    np.testing.assert_allclose(post.eigenvalues[0], 2 * 36.0 * float(jnp.sum(t**2)), rtol=1e-10)
    np.testing.assert_allclose(np.abs(post.eigenvectors[:, 0]), [0.5**0.5] * 2, rtol=1e-10)
    assert "relative SD inf" in post.direction(-1)
    assert not post.identifiable().any()
    # a prior makes every direction proper: information + 1 / s^2 on the diagonal
    with_prior = laplace(residuals, {"a": jnp.asarray(2.0), "b": jnp.asarray(3.0)}, prior_std=0.5)
    np.testing.assert_allclose(with_prior.information - post.information, 4.0 * np.eye(2))
    assert np.all(np.isfinite(with_prior.std))


def test_a_fit_result_is_accepted_and_the_point_is_its_best_params():
    X, y, sigma = linear_problem()

    def residuals(p):
        return (X @ p["theta"] - y) / sigma

    result = bm.fit(
        lambda p: jnp.sum(residuals(p) ** 2),
        {"theta": bm.Param(jnp.zeros(3))},
        optax.adam(0.1),
        steps=300,
        progress=False,
    )
    post = laplace(residuals, result)
    np.testing.assert_allclose(post.values, np.asarray(result.values["theta"]), rtol=1e-12)
    ols = np.linalg.lstsq(np.asarray(X), np.asarray(y), rcond=None)[0]
    # the fitted point is the least-squares one, so the 90 % intervals hold it
    lo, hi = post.interval(0.9)
    assert np.all((lo < ols) & (ols < hi))
    assert "theta[2]" in post.table()


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="no trainable parameter"):
        laplace(lambda p: p["x"], {"x": bm.Param(1.0, trainable=False)})
    with pytest.raises(ValueError, match="mode must be"):
        laplace(lambda p: p["x"] * jnp.ones(3), {"x": jnp.asarray(1.0)}, mode="both")
    with pytest.raises(FloatingPointError, match="not finite"):
        laplace(lambda p: jnp.sqrt(p["x"]) * jnp.ones(2), {"x": jnp.asarray(0.0)})
    with pytest.raises(ValueError, match="prior_std"):
        laplace(lambda p: p["x"] * jnp.ones(2), {"x": jnp.asarray(1.0)}, prior_std=0.0)
