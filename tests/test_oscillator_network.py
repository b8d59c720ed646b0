"""OscillatorNetwork: uncoupled nodes match the Hopf closed form, one Heun step by
hand, readout, Heun order, bounds, errors, and a finite-difference gradient check
through a task loss."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import hopf_exact

import brainmass_fn as bm
from brainmass_fn.train import OscillatorNetwork, tasks


def _plain(a, w, coupling, w_in, bias, w_out, b_out, dt=1.0, substeps=1):
    return OscillatorNetwork(
        node=bm.Hopf(a=jnp.asarray(a), w=jnp.asarray(w)),
        coupling=jnp.asarray(coupling),
        w_in=jnp.asarray(w_in),
        bias=jnp.asarray(bias),
        w_out=jnp.asarray(w_out),
        b_out=jnp.asarray(b_out),
        dt=dt,
        substeps=substeps,
    )


def test_uncoupled_undriven_nodes_follow_the_hopf_closed_form():
    a, w = np.array([0.3, -0.2]), np.array([0.25, 0.4])
    with jax.enable_x64(True):
        net = _plain(
            a,
            w,
            np.zeros((2, 2)),
            np.zeros((2, 1)),
            np.zeros(2),
            np.eye(2),
            np.zeros(2),
            dt=0.5,
            substeps=200,
        )
        zs = np.asarray(net.states(jnp.zeros((80, 1))))
    t = 0.5 * np.arange(1, 81)
    for i in range(2):
        x, y = hopf_exact(t, a[i], w[i], 0.1, 0.0)  # default Hopf state (0.1, 0)
        np.testing.assert_allclose(zs[:, 0, i], x, atol=1e-6)
        np.testing.assert_allclose(zs[:, 1, i], y, atol=1e-6)


def test_one_heun_step_with_drive_by_hand():
    rng = np.random.default_rng(0)
    n, m = 3, 2
    a, w = rng.uniform(-0.2, 0.2, n), rng.uniform(0.1, 0.5, n)
    C, W, b = rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=n)
    u = rng.normal(size=(1, m))
    h = 0.7

    def f(z):
        x, y = z
        d = np.tanh(C @ x + W @ u[0] + b)
        g = a - x**2 - y**2
        return np.stack([g * x - w * y + d, g * y + w * x])

    z0 = np.stack([np.full(n, 0.1), np.zeros(n)])
    k1 = f(z0)
    want = z0 + 0.5 * h * (k1 + f(z0 + h * k1))
    with jax.enable_x64(True):
        net = _plain(a, w, C, W, b, np.ones((1, n)), np.zeros(1), dt=h, substeps=1)
        got = np.asarray(net.states(jnp.asarray(u))[0])
        out = np.asarray(net(jnp.asarray(u)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(out[0, 0], want[0].sum(), rtol=1e-12)


def test_heun_substeps_converge_at_second_order():
    key = jax.random.key(1)
    with jax.enable_x64(True):
        net = OscillatorNetwork.init(key, 4, 2, 1, dt=1.0)
        u = 0.5 * jax.random.normal(jax.random.key(2), (30, 2))
        runs = [dataclasses.replace(net, substeps=s).states(u) for s in (4, 8, 256)]
        e1 = float(jnp.max(jnp.abs(runs[0] - runs[2])))
        e2 = float(jnp.max(jnp.abs(runs[1] - runs[2])))
    assert abs(np.log2(e1 / e2) - 2.0) < 0.3


def test_init_is_reproducible_and_inside_bounds():
    key = jax.random.key(0)
    n1 = OscillatorNetwork.init(key, 8, 3, 2, a=(-0.1, 0.1), w=(0.1, 0.3))
    n2 = OscillatorNetwork.init(key, 8, 3, 2, a=(-0.1, 0.1), w=(0.1, 0.3))
    for x, y in zip(jax.tree_util.tree_leaves(n1), jax.tree_util.tree_leaves(n2), strict=True):
        np.testing.assert_array_equal(x, y)
    r = bm.resolve(n1)
    assert np.all(np.abs(r.node.a) <= 0.1 + 1e-6)
    assert np.all((r.node.w >= 0.1 - 1e-6) & (r.node.w <= 0.3 + 1e-6))
    assert (n1.n_nodes, n1.n_inputs, n1.n_outputs) == (8, 3, 2)
    # every weight and node parameter is trainable
    names = set(bm.param_values(n1))
    assert names == {"node.a", "node.w", "coupling", "w_in", "bias", "w_out", "b_out"}
    # a raw value far out still maps inside the bounds (-0.5, 0.5) of a
    far = eqx.tree_at(lambda m: m.node.a.raw, n1, jnp.full(8, 8.0))
    assert np.all(bm.resolve(far).node.a < 0.5)


def test_vmap_over_trials_matches_loop():
    net = OscillatorNetwork.init(jax.random.key(0), 5, 2, 3)
    u = jax.random.normal(jax.random.key(1), (4, 12, 2))
    batched = jax.vmap(net)(u)
    assert batched.shape == (4, 12, 3)
    np.testing.assert_allclose(batched[2], net(u[2]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(coupling=jnp.zeros((3, 2))), "coupling"),
        (dict(w_out=jnp.zeros((1, 2))), "w_out"),
        (dict(dt=0.0), "dt"),
        (dict(a=np.zeros(4), w=np.ones(4)), "node parameters"),
        (dict(bias=np.zeros(())), "bias"),
        (dict(substeps=0), "substeps"),
    ],
)
def test_bad_shapes_and_steps_raise(change, match):
    kw = dict(
        a=np.zeros(3),
        w=np.ones(3),
        coupling=np.zeros((3, 3)),
        w_in=np.zeros((3, 1)),
        bias=np.zeros(3),
        w_out=np.zeros((1, 3)),
        b_out=np.zeros(1),
    )
    kw.update(change)
    with pytest.raises(ValueError, match=match):
        _plain(**kw)


def test_wrong_input_width_raises():
    net = OscillatorNetwork.init(jax.random.key(0), 3, 2, 1)
    with pytest.raises(ValueError, match=r"\(time, 2\)"):
        net(jnp.zeros((10, 3)))


def test_init_rejects_ranges_outside_bounds():
    with pytest.raises(ValueError, match="a_bounds"):
        OscillatorNetwork.init(jax.random.key(0), 3, 1, 1, a=(-0.1, 0.6))


def test_gradient_of_task_loss_matches_finite_differences():
    with jax.enable_x64(True):
        net = OscillatorNetwork.init(jax.random.key(0), 3, 3, 2, a=(-0.05, 0.05))
        u, labels = tasks.delayed_match_to_sample(
            jax.random.key(1),
            4,
            sample_steps=2,
            delay_steps=2,
            test_steps=2,
            response_steps=2,
        )

        def loss(model):
            return tasks.window_cross_entropy(jax.vmap(model)(u), labels, 2)

        check = bm.check_gradient(loss, net)
    assert len(check.names) == 2 * 3 + 9 + 9 + 3 + 6 + 2
    assert np.linalg.norm(check.finite_difference) > 1e-3
    assert check.rel_error < 1e-6


@eqx.filter_jit
def _batch_states(net, u):
    return jax.vmap(net.states)(u)


def _sample_decoded_after_delay(net, u):
    """Held-out accuracy of a ridge read-out of the 4-way sample from the state at the
    end of the delay (step 29), and the mean node amplitude over the delay."""
    zs = np.asarray(_batch_states(net, u))  # (trials, time, 2, nodes)
    sample = np.argmax(u[:, :10, :4].mean(axis=1), axis=-1)
    x = zs[:, 29].reshape(len(u), -1)
    x = np.c_[(x - x.mean(0)) / (x.std(0) + 1e-9), np.ones(len(u))]
    y = np.eye(4)[sample]
    fit, held = slice(0, 768), slice(768, None)
    coef = np.linalg.solve(x[fit].T @ x[fit] + np.eye(x.shape[1]), x[fit].T @ y[fit])
    accuracy = np.mean(np.argmax(x[held] @ coef, axis=1) == sample[held])
    amplitude = np.sqrt(zs[:, 10:30, 0] ** 2 + zs[:, 10:30, 1] ** 2).mean()
    return float(accuracy), float(amplitude)


def test_default_init_remembers_a_stimulus_across_the_delay():
    # delayed match-to-sample needs the sample in the state after a 20-step delay. The
    # default gains (0.1) keep the nodes at small amplitude, where it survives; gains
    # of 1 hold them near amplitude 0.6, where it is lost (chance: 0.25).
    u, _ = tasks.delayed_match_to_sample(jax.random.key(1), 1024, n_stimuli=4, noise=0.3)
    key = jax.random.key(0)
    default = OscillatorNetwork.init(key, 32, 5, 2)
    accuracy, amplitude = _sample_decoded_after_delay(bm.resolve(default), u)
    assert accuracy >= 0.95 and amplitude < 0.3
    strong = OscillatorNetwork.init(key, 32, 5, 2, input_gain=1.0, coupling_gain=1.0)
    accuracy, amplitude = _sample_decoded_after_delay(bm.resolve(strong), u)
    assert accuracy < 0.6 and amplitude > 0.5
