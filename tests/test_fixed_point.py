"""Fixed points of models and delayed networks, and their parameter derivatives."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.fixed_point import fixed_point, jacobian_eigenvalues

RNG = np.random.default_rng(0)
W = RNG.uniform(0.0, 1.0, (5, 5)) * (1 - np.eye(5))
LENGTHS = RNG.uniform(5.0, 40.0, (5, 5))
U = RNG.normal(size=5)


def linear_network(K):
    # delays drop out of a fixed point: the history of a constant state is that state
    net = bm.Network(bm.Linear(gamma=-2.0), W, LENGTHS, speed=5.0, K=0.0)
    return eqx.tree_at(lambda n: n.K, net, jnp.asarray(K, dtype=jnp.result_type(float)))


def test_linear_network_fixed_point_is_the_linear_solve_and_its_gradient_is_implicit():
    with jax.enable_x64(True):
        K = 0.3
        M = -2.0 * np.eye(5) + K * W  # dx/dt = M x + u
        x_star = np.linalg.solve(M, -U)
        got = fixed_point(linear_network(K), jnp.zeros((1, 5)), input=U[None])
        np.testing.assert_allclose(got[0], x_star, rtol=1e-10)
        # dx*/dK = -M^-1 W x*, by the implicit function theorem
        dK = jax.jacfwd(lambda k: fixed_point(linear_network(k), jnp.zeros((1, 5)), input=U[None]))
        np.testing.assert_allclose(dK(K)[0], -np.linalg.solve(M, W @ x_star), rtol=1e-9)
        grad = jax.grad(
            lambda k: fixed_point(linear_network(k), jnp.zeros((1, 5)), input=U[None]).sum()
        )(K)
        np.testing.assert_allclose(grad, -np.linalg.solve(M, W @ x_star).sum(), rtol=1e-9)
        lam = jacobian_eigenvalues(linear_network(K), got)
        np.testing.assert_allclose(
            np.sort(lam.real), np.sort(np.linalg.eigvals(M).real), rtol=1e-10
        )


def jansen_rit_network(A):
    return bm.Network(bm.JansenRit(a_amp=A, mu=0.06), W, LENGTHS, speed=5.0, K=5.0)


def test_jansen_rit_rest_is_where_a_long_run_settles_and_a_run_from_it_stays():
    with jax.enable_x64(True):
        net = jansen_rit_network(jnp.full(5, 3.25))
        settled = bm.simulate(net, 1500.0, 0.2).final.y
        rest = fixed_point(net, bm.simulate(net, 100.0, 0.1).final)
        np.testing.assert_allclose(rest, settled, atol=1e-7)
        assert jacobian_eigenvalues(net, rest)[0].real < 0  # stable without delays
        stay = bm.simulate(net, 200.0, 0.1, y0=rest, sample_period=1.0)
        assert float(jnp.abs(stay.ys - rest[None]).max()) < 1e-12
        # the rest moves with A: implicit derivative = central differences
        A = jnp.linspace(3.0, 3.5, 5)

        @jax.jit
        def rest_y1(A):
            return fixed_point(jansen_rit_network(A), rest)[1].sum()

        g = jax.grad(rest_y1)(A)
        h = 1e-5
        for i in (0, 3):
            fd = (rest_y1(A.at[i].add(h)) - rest_y1(A.at[i].add(-h))) / (2 * h)
            np.testing.assert_allclose(g[i], fd, rtol=1e-6)


def test_no_fixed_point_is_a_clear_error():
    # dx/dt = u with u != 0 has no fixed point: Newton cannot converge
    with pytest.raises(Exception, match="Newton did not converge"):
        fixed_point(bm.Linear(gamma=0.0), jnp.zeros((1,)), input=1.0).block_until_ready()


def test_no_fixed_point_gives_nan_when_asked():
    # inside a fit a NaN loss is read as the worst value and the line search backs off
    got = fixed_point(bm.Linear(gamma=0.0), jnp.zeros((1,)), input=1.0, on_failure="nan")
    assert np.isnan(np.asarray(got)).all()
