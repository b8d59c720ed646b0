"""simulate(): time grid, transients, solver agreement and order, jit / vmap / grad."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import hopf_exact

import brainmass_fn as bm

Y0 = jnp.array([0.5, 0.0])


def test_sample_grid_and_transient():
    traj = bm.simulate(bm.Hopf(), 100.0, 0.1, sample_period=1.0, transient=20.0)
    np.testing.assert_allclose(traj.ts, np.arange(20.0, 100.0 + 1e-9, 1.0), atol=1e-4)
    assert traj.ys.shape == (81, 2)
    assert traj["x"].shape == (81,)
    assert traj.sample_period == pytest.approx(1.0)


@pytest.mark.parametrize(
    "solver, dt, tol",
    [
        ("euler", 0.001, 2e-3),
        ("heun", 0.02, 1e-4),
        ("rk4", 0.1, 1e-6),
        ("tsit5", 0.1, 1e-6),
        ("dopri5", 0.1, 1e-6),
    ],
)
def test_solvers_match_closed_form_hopf(solver, dt, tol):
    a, w = 0.5, 0.3
    with jax.enable_x64(True):
        traj = bm.simulate(
            bm.Hopf(a=a, w=w),
            50.0,
            dt,
            y0=Y0,
            solver=solver,
            sample_period=0.5,
            **({"rtol": 1e-10, "atol": 1e-12} if solver in ("tsit5", "dopri5") else {}),
        )
        x_exact, y_exact = hopf_exact(np.asarray(traj.ts), a, w, 0.5, 0.0)
        err = max(np.max(np.abs(traj["x"] - x_exact)), np.max(np.abs(traj["y"] - y_exact)))
    assert err < tol


@pytest.mark.parametrize("solver, order", [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_fixed_step_convergence_order(solver, order):
    a, w = 0.5, 0.3
    errors = []
    with jax.enable_x64(True):
        for dt in (0.2, 0.1):
            traj = bm.simulate(bm.Hopf(a=a, w=w), 20.0, dt, y0=Y0, solver=solver, sample_period=1.0)
            x_exact, _ = hopf_exact(np.asarray(traj.ts), a, w, 0.5, 0.0)
            errors.append(np.max(np.abs(np.asarray(traj["x"]) - x_exact)))
    observed = np.log2(errors[0] / errors[1])
    assert abs(observed - order) < 0.25


def test_solvers_agree_on_wilson_cowan():
    model = bm.WilsonCowan(p=1.0)
    runs = {
        s: bm.simulate(model, 50.0, 0.01, solver=s, sample_period=1.0)["E"]
        for s in ("heun", "rk4", "tsit5")
    }
    np.testing.assert_allclose(runs["heun"], runs["rk4"], atol=1e-4)
    np.testing.assert_allclose(runs["tsit5"], runs["rk4"], atol=1e-4)


def test_stimulus_enters_input_variables():
    # a < 0 and constant input I on x: fixed point solves the linear-cubic system;
    # for small I the response is I * (-a) / (a^2 + w^2) to first order.
    a, w, drive = -1.0, 0.5, 1e-3
    traj = bm.simulate(
        bm.Hopf(a=a, w=w),
        60.0,
        0.05,
        y0=jnp.zeros(2),
        solver="rk4",
        stimulus=lambda t: jnp.array([drive, 0.0]),
    )
    np.testing.assert_allclose(traj["x"][-1], drive * (-a) / (a**2 + w**2), rtol=1e-3)
    np.testing.assert_allclose(traj["y"][-1], drive * w / (a**2 + w**2), rtol=1e-3)


def test_jit_equals_eager():
    model = bm.Hopf(a=0.4)
    eager = bm.simulate(model, 20.0, 0.1)

    @jax.jit
    def run(model):
        return bm.simulate(model, 20.0, 0.1)

    np.testing.assert_allclose(run(model).ys, eager.ys, rtol=1e-6, atol=1e-7)


def test_vmap_over_parameter_batch_equals_loop():
    a_values = jnp.linspace(0.1, 1.0, 5)

    def final_radius(a):
        traj = bm.simulate(bm.Hopf(a=a, w=0.3), 40.0, 0.1, y0=Y0, sample_period=10.0)
        return jnp.hypot(traj["x"][-1], traj["y"][-1])

    batched = jax.vmap(final_radius)(a_values)
    looped = jnp.stack([final_radius(a) for a in a_values])
    np.testing.assert_allclose(batched, looped, rtol=1e-6)


def test_vmap_over_models_batches_a_module():
    models = jax.vmap(lambda a: bm.Hopf(a=a))(jnp.array([0.2, 0.8]))
    trajs = jax.vmap(lambda m: bm.simulate(m, 10.0, 0.1, y0=Y0))(models)
    assert trajs.ys.shape == (2, 101, 2)
    np.testing.assert_allclose(
        trajs.ys[1], bm.simulate(bm.Hopf(a=0.8), 10.0, 0.1, y0=Y0).ys, rtol=1e-6
    )


def test_grad_of_final_radius_matches_closed_form():
    # d r(T) / d a from the closed-form radius, in float64
    T, a = 10.0, 0.5
    with jax.enable_x64(True):

        def radius(a):
            traj = bm.simulate(bm.Hopf(a=a, w=0.3), T, 0.01, y0=Y0, solver="rk4", sample_period=T)
            return jnp.hypot(traj["x"][-1], traj["y"][-1])

        def exact(a):
            return jnp.sqrt(a / (1.0 + (a / 0.25 - 1.0) * jnp.exp(-2.0 * a * T)))

        np.testing.assert_allclose(jax.grad(radius)(a), jax.grad(exact)(a), rtol=1e-7)


def test_per_node_parameters_give_per_node_traces():
    a = jnp.array([0.25, 1.0])
    with jax.enable_x64(True):
        traj = bm.simulate(bm.Hopf(a=a, w=0.2), 200.0, 0.05, solver="rk4", transient=150.0)
        radius = np.hypot(traj["x"], traj["y"]).mean(axis=0)
    np.testing.assert_allclose(radius, np.sqrt(a), rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dt": -0.1}, "dt must be > 0"),
        ({"dt": 0.1, "transient": 200.0}, "transient"),
        ({"dt": 0.1, "sample_period": 0.0}, "sample_period"),
        ({"dt": 0.1, "solver": "rk45"}, "Unknown solver"),
        ({"dt": 0.1, "y0": jnp.zeros(3)}, "first axis"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bm.simulate(bm.Hopf(), 100.0, **kwargs)


def test_traced_duration_is_a_clear_error():
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(lambda d: bm.simulate(bm.Hopf(), d, 0.1).ys)(10.0)


@pytest.mark.parametrize(
    "solver",
    [
        "euler",
        "heun",
        "rk4",
        pytest.param(diffrax.Euler(), marks=pytest.mark.slow),
        diffrax.Heun(),
        pytest.param(bm.solvers.DiffraxRK4(), marks=pytest.mark.slow),
    ],
    ids=["euler", "heun", "rk4", "diffrax-Euler", "diffrax-Heun", "diffrax-DiffraxRK4"],
)
def test_reverse_mode_through_every_sample_equals_forward_mode(solver):
    # diffrax 0.7.2's RecursiveCheckpointAdjoint drops one sample's cotangent when a
    # save time sits one rounding error past a step end (0.1 * 19 vs 19 accumulated
    # steps of 0.1); the fixed-step grid (StepTo) makes saves and steps coincide exactly.
    # Reverse mode must equal forward mode sample by sample, on the scan engine (names)
    # and in diffrax (instances: checkpointed adjoint against DirectAdjoint).
    engine = isinstance(solver, str)
    with jax.enable_x64(True):

        def trace(a, adjoint):
            model = bm.models.Hopf(a=a, w=0.3)
            y0 = jnp.array([[0.4], [0.1]])
            return bm.simulate(model, 5.0, 0.1, y0=y0, solver=solver, adjoint=adjoint).ys

        rev = jax.jacrev(lambda a: trace(a, None))(0.5)
        fwd = jax.jacfwd(lambda a: trace(a, None if engine else diffrax.DirectAdjoint()))(0.5)
        assert rev.shape == (51, 2, 1)
        assert np.all(np.isfinite(rev)) and np.max(np.abs(rev)) > 0.1
        np.testing.assert_allclose(rev, fwd, rtol=1e-10, atol=1e-12)
