"""The scan engine and simulate's dispatch: continuation, blow-up errors, the
validation of argument combinations, stimulus gradients, sampling and long-run
checkpointing."""

from typing import ClassVar

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn._engine import _scan
from brainmass_fn.gradcheck import check_gradient
from brainmass_fn.simulate import RESULT_SOLVER_FAILED


def gw_network(noise=None, n=12):
    """A delayed Hopf network on the first ``n`` regions of gw (float64 when built
    inside ``enable_x64``)."""
    c = bm.load_connectome("gw")
    w, lengths = np.asarray(c.weights)[:n, :n], np.asarray(c.lengths)[:n, :n]
    return bm.Network(bm.Hopf(a=-0.05, w=0.3), w, lengths, speed=2.0, K=0.6, noise=noise)


@pytest.mark.parametrize("noise", [None, bm.OUNoise(sigma=0.05, tau=5.0)], ids=["ode", "ou"])
@pytest.mark.parametrize("split", [500.0, 500.3], ids=["aligned", "unaligned"])
def test_two_halves_equal_one_run_bit_for_bit(noise, split):
    # 1 s in two parts. A split at a multiple of the block (8 steps) gives the same bits;
    # at 5003 steps the open block is finished by a shorter one, whose long-edge sum
    # XLA vectorises differently: equal to rounding (1 ulp seen), not bit for bit.
    with jax.enable_x64(True):
        net = gw_network(noise)
        kw = {"solver": "heun", "key": jax.random.key(3) if noise is not None else None}
        y0 = 0.1 * jnp.ones((2, net.n_nodes))
        whole = bm.simulate(net, 1000.0, 0.1, y0=y0, **kw)
        first = bm.simulate(net, split, 0.1, y0=y0, **kw)
        second = bm.simulate(net, 1000.0 - split, 0.1, y0=first.final, **kw)
        joined = np.concatenate([first.ys[:-1], second.ys])
        same = (
            np.testing.assert_array_equal
            if split == 500.0
            else lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
        )
        same(joined, whole.ys)
        np.testing.assert_allclose(second.ts, whole.ts[first.ts.shape[0] - 1 :], atol=1e-9)
        same(second.final.y, whole.final.y)
        same(second.final.history, whole.final.history)
        assert int(second.final.step) == 10000
        assert np.max(np.abs(whole.ys[-1])) > 1e-3  # the run is not trivially at rest


def test_continuation_carries_the_ou_state_and_the_time_of_a_stimulus():
    with jax.enable_x64(True):
        model = bm.Hopf(a=-0.2, w=0.3)

        def drive(t):
            return jnp.array([jnp.sin(0.01 * t), 0.0])

        kw = {"solver": "euler", "stimulus": drive, "noise": bm.OUNoise(sigma=0.1, tau=3.0)}
        kw["key"] = jax.random.key(0)
        whole = bm.simulate(model, 100.0, 0.1, **kw)
        first = bm.simulate(model, 37.3, 0.1, **kw)
        second = bm.simulate(model, 62.7, 0.1, y0=first.final, **kw)
        np.testing.assert_array_equal(second.final.noise, whole.final.noise)
        np.testing.assert_allclose(second.ys[-1], whole.ys[-1], rtol=1e-13, atol=1e-15)
        assert np.max(np.abs(whole.final.noise)) > 1e-2


def test_continuation_rejects_another_dt_or_solver():
    net = gw_network()
    first = bm.simulate(net, 10.0, 0.1, solver="heun")
    with pytest.raises(ValueError, match="same dt"):
        bm.simulate(net, 10.0, 0.2, y0=first.final, solver="heun")
    with pytest.raises(ValueError, match="another solver"):
        bm.simulate(net, 10.0, 0.1, y0=first.final, solver="euler")
    with pytest.raises(ValueError, match="delay history"):
        bm.simulate(net, 10.0, 0.1, y0=first.final, solver=diffrax.Heun())
    tsit5 = bm.simulate(bm.Hopf(), 10.0, 0.1, solver="tsit5").final
    with pytest.raises(ValueError, match="another solver"):
        bm.simulate(bm.Hopf(), 10.0, 0.1, y0=tsit5, solver="heun")


def test_diffrax_runs_continue_from_their_final_state():
    # an adaptive ODE in two halves equals one run within the tolerance; on diffrax's
    # fixed grid to rounding (the second grid is t0 + k dt, the whole one (n + k) dt)
    with jax.enable_x64(True):
        model = bm.Hopf(a=0.3, w=0.2)
        for solver, tol in (("tsit5", 1e-6), (diffrax.Heun(), 1e-13)):
            kw = {"solver": solver, "sample_period": 1.0}
            whole = bm.simulate(model, 40.0, 0.1, **kw)
            first = bm.simulate(model, 17.0, 0.1, **kw)
            second = bm.simulate(model, 23.0, 0.1, y0=first.final, **kw)
            np.testing.assert_allclose(second.ts, whole.ts[17:], atol=1e-12)
            joined = np.concatenate([first.ys[:-1], second.ys])
            np.testing.assert_allclose(joined, whole.ys, rtol=0, atol=tol)
            assert float(second.final.t) == pytest.approx(40.0) and int(second.final.step) == 400
            assert np.max(np.abs(whole.ys[-1])) > 0.1  # on its limit cycle, not at rest


def test_diffrax_sde_continuation_carries_ou_and_draws_a_new_stretch():
    # with the same key, the second stretch must not replay the first one's increments
    with jax.enable_x64(True):
        model = bm.Hopf(a=-0.5, w=0.0)
        ou = bm.OUNoise(sigma=0.2, tau=2.0)
        kw = {"solver": diffrax.Euler(), "noise": ou, "key": jax.random.key(5)}
        y0 = jnp.zeros((2,))
        first = bm.simulate(model, 20.0, 0.1, y0=y0, **kw)
        again = bm.simulate(model, 20.0, 0.1, y0=first.final.y, **kw)  # a fresh start
        second = bm.simulate(model, 20.0, 0.1, y0=first.final, **kw)
        u = np.asarray(first.final.noise)  # the OU input on (x, y) at the end
        assert u.shape == (2,) and np.min(np.abs(u)) > 1e-3
        # Euler: the first step from the same x moves by dt f(x, u) = dt (f(x, 0) + u)
        step_drift = 0.1 * np.asarray(model.vector_field(0.0, first.final.y, jnp.zeros(2)))
        np.testing.assert_allclose(second.ys[1] - second.ys[0] - step_drift, 0.1 * u, atol=1e-12)
        np.testing.assert_allclose(again.ys[1] - again.ys[0] - step_drift, 0.0, atol=1e-12)
        # the increments of the two stretches differ (no replay of the first)
        assert np.max(np.abs(np.diff(second.ys[:, 0]) - np.diff(first.ys[:, 0]))) > 1e-3


def test_blow_up_names_time_variable_and_node():
    with pytest.raises(bm.SimulationDiverged, match=r"t = [0-9.]+ ms.*variable 'x'.*lower dt"):
        bm.simulate(bm.Linear(), 400.0, 0.5, solver="euler")
    net = bm.Network(bm.Linear(gamma=jnp.array([-0.1, -10.0, -0.1])), np.ones((3, 3)) - np.eye(3))
    with pytest.raises(bm.SimulationDiverged, match="node 1"):
        bm.simulate(net, 100.0, 0.5, solver="euler", sample_period=0.5)


def test_throw_false_returns_a_result_code_per_member_under_jit_and_vmap():
    def run(gamma):
        traj = bm.simulate(bm.Linear(gamma=gamma), 100.0, 0.5, solver="euler", throw=False)
        return traj.result, traj.ys[-1, 0]

    codes, last = jax.jit(jax.vmap(run))(jnp.array([-0.01, -10.0, -0.005]))
    np.testing.assert_array_equal(codes, [0, 1, 0])
    # the stable members are the exact Euler recursion x_n = (1 + gamma dt)^n x_0
    np.testing.assert_allclose(
        np.asarray(last)[[0, 2]], 0.1 * np.array([0.995, 0.9975]) ** 200, rtol=1e-5
    )


def test_blow_up_inside_jit_and_grad_is_an_error():
    def loss(gamma):
        return jnp.sum(bm.simulate(bm.Linear(gamma=gamma), 100.0, 0.5, solver="euler").ys)

    errors = (eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError)
    with pytest.raises(errors, match="NaN or inf"):
        jax.jit(loss)(-10.0)
    with pytest.raises(errors, match="NaN or inf"):
        jax.grad(loss)(-10.0)
    assert np.isfinite(jax.grad(loss)(-1.0))


def test_nan_inputs_are_rejected_before_the_run():
    with pytest.raises(ValueError, match="y0 contains NaN"):
        bm.simulate(bm.Hopf(), 10.0, 0.1, y0=jnp.array([jnp.nan, 0.0]))
    with pytest.raises(ValueError, match=r"Parameter Hopf\.a"):
        bm.simulate(bm.Hopf(a=jnp.nan), 10.0, 0.1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"solver": "euler", "rtol": 1e-6}, "rtol apply to adaptive"),
        ({"solver": "heun", "max_steps": 10}, "max_steps apply"),
        ({"solver": "heun", "adjoint": diffrax.BacksolveAdjoint()}, "adjoint applies"),
        ({"solver": "tsit5", "block": 4}, "block sets"),
        ({"solver": diffrax.Heun(), "rtol": 1e-3}, "rtol/atol apply to adaptive"),
        ({"solver": "heun", "key": jax.random.key(0)}, "no noise"),
        ({"solver": "rk4", "noise": bm.AdditiveNoise(sigma=0.1)}, "stochastic form"),
        ({"solver": "euler", "noise": bm.AdditiveNoise(sigma=0.1)}, "pass key="),
        ({"solver": 3}, "solver must be a name"),
    ],
)
def test_combinations_that_would_be_ignored_are_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bm.simulate(bm.Hopf(), 10.0, 0.1, **kwargs)


def test_delayed_networks_reject_diffrax_and_rk4():
    net = gw_network()
    with pytest.raises(ValueError, match="no delay history"):
        bm.simulate(net, 10.0, 0.1, solver=diffrax.Tsit5())
    with pytest.raises(ValueError, match="evaluates between the steps"):
        bm.simulate(net, 10.0, 0.1, solver="rk4")


def test_paths_follow_the_solver_type():
    # "rk4" runs on the engine: each step is the classical RK4 step to rounding
    with jax.enable_x64(True):
        model, y0, dt = bm.Hopf(a=0.5, w=0.3), jnp.array([0.5, 0.0]), 0.1
        ours = bm.simulate(model, 2.0, dt, y0=y0, solver="rk4")
        x = np.asarray(y0)
        for n in range(20):
            f = lambda s: np.asarray(model.vector_field(0.0, s, jnp.zeros(2)))  # noqa: E731
            k1 = f(x)
            k2 = f(x + dt / 2 * k1)
            k3 = f(x + dt / 2 * k2)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + f(x + dt * k3))
            np.testing.assert_allclose(ours.ys[n + 1], x, rtol=0, atol=1e-15)
        theirs = bm.simulate(model, 2.0, dt, y0=y0, solver=bm.solvers.DiffraxRK4())
        assert ours.final.layout == "rk4" and theirs.final.layout == "diffrax"
        np.testing.assert_allclose(ours.ys, theirs.ys, rtol=0, atol=1e-7)
    assert bm.solvers.is_adaptive("tsit5") and not bm.solvers.is_adaptive(diffrax.Heun())


class Pulse(eqx.Module):
    """A smooth pulse ``amp exp(-((t - t0) / width)^2)`` on the first input."""

    amp: jax.Array
    t0: jax.Array
    nodes: tuple[int, ...] = eqx.field(static=True, default=())

    def __call__(self, t):
        pulse = jnp.stack([self.amp * jnp.exp(-(((t - self.t0) / 5.0) ** 2)), 0.0 * t])
        return pulse.reshape(2, *(1 for _ in self.nodes))


@pytest.mark.parametrize("solver", ["heun", "tsit5"])
def test_stimulus_parameters_have_exact_gradients(solver):
    with jax.enable_x64(True):
        net = gw_network(n=4) if solver == "heun" else bm.Hopf(a=-0.1, w=0.3)

        def loss(stim):
            traj = bm.simulate(net, 60.0, 0.1, solver=solver, stimulus=stim, sample_period=1.0)
            return jnp.sum(traj["x"] ** 2)

        nodes = (4,) if solver == "heun" else ()
        check = check_gradient(loss, Pulse(jnp.asarray(0.3), jnp.asarray(20.0), nodes))
        assert np.all(np.abs(check.autodiff) > 1e-6)
        assert check.rel_error < 1e-6, check


@pytest.mark.parametrize("sample_period, transient", [(1.0, 0.0), (0.3, 0.2), (2.4, 5.0)])
def test_samples_are_the_steps_they_name(sample_period, transient):
    # one state per block (period >= 8 steps) or all states: both pick the same steps
    with jax.enable_x64(True):
        net = gw_network(n=6)
        every = bm.simulate(net, 30.0, 0.1, solver="euler")
        some = bm.simulate(
            net, 30.0, 0.1, solver="euler", sample_period=sample_period, transient=transient
        )
        steps = np.rint(np.asarray(some.ts) / 0.1).astype(int)
        np.testing.assert_array_equal(some.ys, every.ys[steps])


def test_long_runs_are_checkpointed_with_the_same_gradient(monkeypatch):
    with jax.enable_x64(True):
        net = gw_network(n=6)

        def loss(k):
            n = eqx.tree_at(lambda m: m.K, net, k)
            return jnp.sum(bm.simulate(n, 40.0, 0.1, solver="euler", sample_period=1.0).ys ** 2)

        plain = jax.grad(loss)(0.6)
        monkeypatch.setattr(_scan, "REMAT_STEPS", 64)
        checkpointed = jax.grad(loss)(0.6)
        np.testing.assert_allclose(checkpointed, plain, rtol=1e-12)
        assert abs(plain) > 1e-3


def test_chunked_bold_equals_one_long_run():
    with jax.enable_x64(True):
        net = gw_network(bm.OUNoise(sigma=0.02, tau=5.0), n=5)
        key = jax.random.key(7)
        times, chunked = bm.simulate_bold(
            net, 6000.0, 0.1, tr=500.0, chunk=2000.0, key=key, progress=False
        )
        traj = bm.simulate(net, 6000.0, 0.1, solver="heun", key=key, sample_period=1.0)
        whole = bm.bold(traj["x"][:-1], 1.0, 500.0)
        np.testing.assert_allclose(times, 500.0 * np.arange(1, 13))
        assert chunked.shape == (12, 5) and np.std(chunked) > 1e-4
        np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-15)


def test_models_must_name_their_variables():
    class Incomplete(bm.AbstractNeuralMass):
        state_names: ClassVar[tuple[str, ...]] = ("x",)
        input_names: ClassVar[tuple[str, ...]] = ("x",)

        def vector_field(self, t, state, input, args=None):
            return -state

        def default_state(self):
            return (0.0,)

    with pytest.raises(TypeError, match="coupled_names"):
        Incomplete()


def test_shape_mistakes_name_the_argument():
    with pytest.raises(ValueError, match=r"y0 has node axes \(3,\).*\(2, 5\)"):
        bm.simulate(bm.Hopf(a=jnp.zeros(5)), 10.0, 0.1, y0=jnp.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least one region"):
        bm.Network(bm.Hopf(), np.zeros((0, 0)))
    with pytest.raises(ValueError, match="rectangular array of numbers"):
        bm.Network(bm.Hopf(), [[0.0, 1.0], [1.0]])
    with pytest.raises(ValueError, match="duration must be > 0 ms and finite"):
        bm.simulate(bm.Hopf(), float("inf"), 0.1)


@pytest.mark.slow
def test_backsolve_adjoint_differentiates_the_model_parameters():
    # the model travels in diffrax's args, so an adjoint that sees only explicit inputs
    # (BacksolveAdjoint) gets its parameters; against the default checkpointed adjoint
    with jax.enable_x64(True):

        def loss(a, adjoint):
            traj = bm.simulate(
                bm.Hopf(a=a, w=0.3), 50.0, 0.1, solver="tsit5", adjoint=adjoint, rtol=1e-10,
                atol=1e-12, y0=jnp.array([0.5, 0.0]), sample_period=1.0,
            )  # fmt: skip
            return jnp.sum(traj["x"] ** 2)

        backsolve = jax.grad(loss)(0.4, diffrax.BacksolveAdjoint())
        checkpointed = jax.grad(loss)(0.4, None)
        assert abs(checkpointed) > 1e-2
        np.testing.assert_allclose(backsolve, checkpointed, rtol=1e-6)


def test_a_failed_adaptive_solve_says_whether_it_diverged_or_ran_out_of_steps():
    with pytest.raises(bm.SimulationDiverged, match="grows without bound"):
        bm.simulate(bm.Linear(gamma=5.0), 400.0, 0.1, solver="tsit5")
    with pytest.raises(RuntimeError, match="max_steps budget"):
        bm.simulate(bm.Hopf(a=0.5), 400.0, 0.1, solver="tsit5", max_steps=20)
    traj = bm.simulate(bm.Hopf(a=0.5), 400.0, 0.1, solver="tsit5", max_steps=20, throw=False)
    assert int(traj.result) == RESULT_SOLVER_FAILED
