"""fit() with optax: recovery, bounds, per-node parameters, compile once, NaN steps."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainmass_fn as bm


def test_recovers_per_node_parameters_of_a_quadratic():
    target = jnp.array([0.5, -1.0, 2.0])
    result = bm.fit(
        lambda p: jnp.sum((p["v"] - target) ** 2),
        {"v": bm.Param(jnp.zeros(3))},
        optax.adam(0.1),
        steps=300,
        progress=False,
    )
    np.testing.assert_allclose(result.values["v"], target, atol=1e-3)
    assert result.n_evals == 301 and len(result.losses) == 301
    assert result.best_loss == min(result.losses)


def test_bounds_hold_and_optimum_on_the_boundary_is_approached():
    # minimum of (a - 3)^2 with a in (0, 2) is at the upper bound
    result = bm.fit(
        lambda p: (p["a"] - 3.0) ** 2,
        {"a": bm.Param(1.0, lower=0.0, upper=2.0)},
        optax.adam(0.2),
        steps=200,
        progress=False,
    )
    a = float(result.values["a"])
    assert 1.99 < a < 2.0


def test_frozen_params_do_not_move():
    params = {"a": bm.Param(1.0), "b": bm.Param(5.0, trainable=False)}
    result = bm.fit(
        lambda p: (p["a"] - p["b"]) ** 2, params, optax.sgd(0.1), steps=100, progress=False
    )
    values = bm.param_values(result.params, trainable_only=False)
    np.testing.assert_allclose(values["b"], 5.0)
    np.testing.assert_allclose(values["a"], 5.0, atol=1e-4)


def test_step_compiles_once():
    traces = []

    def loss(p):
        traces.append(1)  # runs only while JAX traces the function
        return jnp.sum(p["x"] ** 2)

    strategy = optax.sgd(0.1)  # an equal optax.sgd(0.1) built anew would do as well
    bm.fit(loss, {"x": bm.Param(jnp.ones(2))}, strategy, steps=50, progress=False)
    n_first = len(traces)
    bm.fit(loss, {"x": bm.Param(2 * jnp.ones(2))}, strategy, steps=50, progress=False)
    assert len(traces) == n_first  # second fit reuses the compiled step
    assert n_first == 1  # one value_and_grad step, also giving the final loss


def test_nan_steps_are_rejected_and_best_is_kept():
    # loss is NaN past x = 1.2; plain SGD from 0 with lr 0.3 overshoots into it
    def loss(p):
        x = p["x"]
        return jnp.where(x > 1.2, jnp.nan, (x - 1.0) ** 2)

    result = bm.fit(loss, {"x": bm.Param(0.0)}, optax.sgd(0.3), steps=40, progress=False)
    assert np.isfinite(result.best_loss)
    assert float(result.values["x"]) <= 1.2
    assert result.best_loss < 1e-3


def test_fitting_a_model_recovers_hopf_frequency():
    # recover w from the x trace of a Hopf oscillator (least squares on the trajectory)
    y0 = jnp.array([1.0, 0.0])
    data = bm.simulate(bm.Hopf(a=1.0, w=0.3), 20.0, 0.1, y0=y0, sample_period=0.5)["x"]

    def loss(model):
        return jnp.mean((bm.simulate(model, 20.0, 0.1, y0=y0, sample_period=0.5)["x"] - data) ** 2)

    result = bm.fit(
        loss,
        bm.Hopf(a=1.0, w=bm.Param(0.25, lower=0.0)),
        optax.adam(0.02),
        steps=150,
        progress=False,
    )
    np.testing.assert_allclose(result.values["w"], 0.3, atol=1e-3)
    assert jax.tree_util.tree_structure(result.params) == jax.tree_util.tree_structure(
        bm.Hopf(a=1.0, w=bm.Param(0.25, lower=0.0))
    )
