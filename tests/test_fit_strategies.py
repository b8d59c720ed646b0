"""fit() strategy families recover parameters that generated the data.

Ground truth comes from the model itself: a Hopf oscillator (a = 0.6 1/ms,
w = 0.3 rad/ms) started at (1, 0) and sampled every 0.5 ms for 20 ms; each strategy
starts from a = 0.4, w = 0.25 and must return the generating values.
"""

import jax.numpy as jnp
import nevergrad as ng
import numpy as np
import optax
import optimistix as optx
import pytest

import brainmass_fn as bm
from brainmass_fn.fit import Nevergrad

Y0 = jnp.array([1.0, 0.0])
A_TRUE, W_TRUE = 0.6, 0.3


def _trace(model):
    return bm.simulate(model, 20.0, 0.1, y0=Y0, sample_period=0.5)["x"]


DATA = _trace(bm.Hopf(a=A_TRUE, w=W_TRUE))


def residuals(model):
    return _trace(model) - DATA


def mse(model):
    return jnp.mean(residuals(model) ** 2)


def start():
    return bm.Hopf(a=bm.Param(0.4, lower=0.0, upper=2.0), w=bm.Param(0.25, lower=0.05, upper=0.6))


def assert_recovered(result, atol):
    np.testing.assert_allclose(result.values["a"], A_TRUE, atol=atol)
    np.testing.assert_allclose(result.values["w"], W_TRUE, atol=atol)


def test_bfgs_recovers_hopf_in_few_evaluations():
    result = bm.fit(mse, start(), optx.BFGS(rtol=1e-6, atol=1e-6), steps=100, progress=False)
    assert_recovered(result, 1e-4)
    assert result.status == "converged"
    assert result.n_evals == len(result.losses) < 40
    assert result.best_loss == pytest.approx(np.nanmin(result.losses))


def test_levenberg_marquardt_recovers_hopf_from_residuals():
    result = bm.fit(
        residuals, start(), optx.LevenbergMarquardt(rtol=1e-6, atol=1e-6), steps=50,
        progress=False,
    )  # fmt: skip
    assert_recovered(result, 1e-4)
    assert result.status == "converged" and result.n_evals < 40
    # the objective of a residual loss is sum(r**2)
    np.testing.assert_allclose(
        result.best_loss, float(jnp.sum(residuals(bm.resolve(result.params)) ** 2)), rtol=1e-3,
        atol=1e-9,
    )  # fmt: skip


def test_least_squares_solver_rejects_a_scalar_loss():
    with pytest.raises(ValueError, match="residual"):
        bm.fit(mse, start(), optx.LevenbergMarquardt(rtol=1e-6, atol=1e-6), progress=False)


def test_cma_recovers_hopf_within_native_bounds():
    strategy = Nevergrad("CMA", population=8, seed=0)
    result = bm.fit(mse, start(), strategy, steps=30, progress=False)
    assert_recovered(result, 2e-3)
    assert result.n_evals == 30 * 8 == len(result.losses)
    assert result.best_loss == pytest.approx(np.min(result.losses))


def test_nonlinear_cg_recovers_a_quadratic_minimum():
    target = jnp.array([0.5, -1.0, 2.0])

    def loss(p):
        return jnp.sum((p["v"] - target) ** 2) + 0.5 * (p["v"][0] - 0.5) * (p["v"][1] + 1.0)

    solver = optx.NonlinearCG(rtol=1e-8, atol=1e-8)
    result = bm.fit(loss, {"v": bm.Param(jnp.zeros(3))}, solver, steps=500, progress=False)
    np.testing.assert_allclose(result.values["v"], target, atol=1e-4)
    assert result.status == "converged"


@pytest.mark.parametrize(
    "solver", [optx.NelderMead(rtol=1e-6, atol=1e-6), optx.BFGS(rtol=1e-6, atol=1e-6)]
)
def test_stepwise_driver_matches_optimistix_minimise(solver):
    # fit runs the solver's own init/step/terminate: same answer as optx.minimise
    def f(y, args):
        return (y[0] - 1.0) ** 2 + 3.0 * (y[1] - 0.5 * y[0] - 0.5) ** 2

    x0 = jnp.array([-0.5, 0.8])
    ref = optx.minimise(f, solver, x0, max_steps=3000).value
    result = bm.fit(lambda p: f(p["y"], None), {"y": bm.Param(x0)}, solver, steps=3000,
                    progress=False)  # fmt: skip
    np.testing.assert_allclose(result.values["y"], [1.0, 1.0], atol=2e-3)
    np.testing.assert_allclose(result.values["y"], ref, atol=1e-4)


def test_nelder_mead_counts_simplex_evaluations():
    # init evaluates the n + 1 = 3 vertices; every later step evaluates 2 points
    def loss(p):
        return jnp.sum((p["v"] - 1.0) ** 2)

    result = bm.fit(loss, {"v": bm.Param(jnp.zeros(2))}, optx.NelderMead(rtol=1e-8, atol=1e-8),
                    steps=5, progress=False)  # fmt: skip
    assert result.steps == 5
    assert result.n_evals >= 3 + 2 * 4 + 1


@pytest.mark.parametrize("name", ["DE", "TwoPointsDE", "CMA"])
def test_gradient_free_optimisers_recover_a_bounded_minimum(name):
    target = np.array([0.3, -0.7, 1.2])

    def loss(p):
        return jnp.sum((p["v"] - target) ** 2)

    params = {"v": bm.Param(jnp.zeros(3), lower=-2.0, upper=2.0)}
    result = bm.fit(loss, params, Nevergrad(name, population=16, seed=1), steps=60, progress=False)
    np.testing.assert_allclose(result.values["v"], target, atol=0.05)
    assert result.n_evals == 60 * 16


def test_ngopt_recovers_a_bounded_minimum():
    # NGOpt picks a MetaModel for this small smooth problem; under numpy >= 2.4 its
    # surrogate step falls back to the base optimiser instead of raising
    target = np.array([0.3, -0.7, 1.2])

    def loss(p):
        return jnp.sum((p["v"] - target) ** 2)

    params = {"v": bm.Param(jnp.zeros(3), lower=-2.0, upper=2.0)}
    result = bm.fit(loss, params, Nevergrad("NGOpt", population=8), steps=40, progress=False)
    np.testing.assert_allclose(result.values["v"], target, atol=0.05)
    assert result.n_evals == 40 * 8


@pytest.mark.parametrize("name", ["PSO", "DE"])
def test_batched_generations_match_nevergrads_own_ask_tell_loop(name):
    # same seed, budget and num_workers: fit's batched run is nevergrad's own search
    target = np.array([0.3, -0.7, 1.2])

    def loss(p):
        return jnp.sum((p["v"] - target) ** 2)

    params = {"v": bm.Param(jnp.zeros(3), lower=-2.0, upper=2.0)}
    result = bm.fit(loss, params, Nevergrad(name, population=16, seed=1), steps=20, progress=False)

    space = ng.p.Tuple(ng.p.Array(init=np.zeros(3), lower=-2.0, upper=2.0))
    space.random_state = np.random.RandomState(1)
    opt = ng.optimizers.registry[name](parametrization=space, budget=320, num_workers=16)
    ref = []
    for _ in range(20):
        cands = [opt.ask() for _ in range(16)]
        for c in cands:
            ref.append(float(np.sum((c.value[0] - target) ** 2)))
            opt.tell(c, ref[-1])
    np.testing.assert_allclose(result.losses, ref, rtol=1e-5, atol=1e-6)
    assert result.best_loss < 0.2 * ref[0]


def test_population_is_evaluated_as_one_vmapped_batch():
    seen = []

    def loss(p):
        seen.append(type(p["v"]).__name__ == "BatchTracer")
        return jnp.sum((p["v"] - 0.5) ** 2)

    params = {"v": bm.Param(jnp.zeros(2), lower=-1.0, upper=1.0)}
    result = bm.fit(loss, params, Nevergrad("CMA", population=6), steps=5, progress=False)
    assert seen == [True]  # traced once, under vmap: one compiled call per generation
    assert result.n_evals == 30


def test_registry_entries_and_unbounded_params_work_directly():
    # no bounds: searched in raw (unconstrained) space, sigma 1
    def loss(p):
        return (p["x"] - 2.5) ** 2 + (p["y"] - 0.5) ** 2

    params = {"x": bm.Param(0.0), "y": bm.Param(1.0, lower=0.0)}
    result = bm.fit(loss, params, ng.optimizers.CMA, steps=40, progress=False)
    assert result.strategy == "CMA"
    np.testing.assert_allclose(result.values["x"], 2.5, atol=0.02)
    np.testing.assert_allclose(result.values["y"], 0.5, atol=0.02)


def test_same_seed_same_gradient_free_fit():
    def loss(p):
        return jnp.sum((p["v"] - 0.1) ** 2)

    params = {"v": bm.Param(jnp.zeros(2), lower=-1.0, upper=1.0)}
    r1 = bm.fit(
        loss, params, Nevergrad("TwoPointsDE", population=8, seed=3), steps=5, progress=False
    )
    r2 = bm.fit(
        loss, params, Nevergrad("TwoPointsDE", population=8, seed=3), steps=5, progress=False
    )
    np.testing.assert_array_equal(r1.losses, r2.losses)


def test_per_region_parameters_fit_like_scalars():
    # 80 Hopf nodes, each with its own frequency: recover all 80 by gradient
    n = 80
    w_true = jnp.linspace(0.15, 0.35, n)
    y0 = jnp.stack([jnp.ones(n), jnp.zeros(n)])

    def trace(model):
        return bm.simulate(model, 10.0, 0.1, y0=y0, sample_period=0.5)["x"]

    data = trace(bm.Hopf(a=1.0, w=w_true))
    params = bm.Hopf(a=1.0, w=bm.Param(jnp.full(n, 0.25), lower=0.0))
    result = bm.fit(lambda m: jnp.mean((trace(m) - data) ** 2), params,
                    optx.BFGS(rtol=1e-7, atol=1e-7), steps=100, progress=False)  # fmt: skip
    assert result.values["w"].shape == (n,)
    np.testing.assert_allclose(result.values["w"], w_true, atol=1e-3)


def test_results_carry_units_and_plot():
    result = bm.fit(mse, start(), optax.adam(0.02), steps=3, progress=False)
    assert result.units == {"a": "1/ms", "w": "rad/ms"}
    q = result.quantities["w"]
    assert q.to("1/s").magnitude == pytest.approx(1000 * float(result.values["w"]))
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = result.plot()
    assert len(ax.lines[0].get_ydata()) == result.n_evals == 4


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(TypeError, match="optax GradientTransformation.*optimistix.*nevergrad"):
        bm.fit(mse, start(), "adam", progress=False)


# compile cache: fit's steps are cached by JAX on (loss object, params structure,
# strategy), so a second fit with the same loss and an equal strategy traces nothing

TARGET = jnp.array([0.5, -1.0, 2.0])


def _counting_quadratic(traces):
    def loss(p):
        traces.append(1)  # runs only while JAX traces the loss
        return jnp.sum((p["v"] - TARGET) ** 2)

    return loss


def test_second_fit_with_the_same_loss_and_strategy_traces_nothing():
    traces = []
    loss, strategy = _counting_quadratic(traces), optax.adam(0.1)
    first = bm.fit(loss, {"v": bm.Param(jnp.zeros(3))}, strategy, steps=300, progress=False)
    assert len(traces) == 1  # one program per fit: the step, also used for the final loss
    second = bm.fit(loss, {"v": bm.Param(jnp.array([2.0, 1.0, -1.0]))}, strategy, steps=300,
                    progress=False)  # fmt: skip
    assert len(traces) == 1
    np.testing.assert_allclose(first.values["v"], TARGET, atol=1e-3)
    np.testing.assert_allclose(second.values["v"], TARGET, atol=1e-3)
    assert first.losses[0] != second.losses[0]  # really two fits from two starts


def test_a_new_loss_object_or_another_structure_traces_again():
    traces = []
    strategy = optax.adam(0.1)
    params = {"v": bm.Param(jnp.zeros(3))}
    bm.fit(_counting_quadratic(traces), params, strategy, steps=5, progress=False)
    bm.fit(_counting_quadratic(traces), params, strategy, steps=5, progress=False)
    assert len(traces) == 2  # same code, new function object: may close over other data
    loss = _counting_quadratic(traces)
    bm.fit(loss, params, strategy, steps=5, progress=False)
    bm.fit(loss, {"v": bm.Param(jnp.zeros(3), lower=-5.0)}, strategy, steps=5, progress=False)
    assert len(traces) == 4  # a bound changes the program


def test_an_equal_optax_strategy_built_anew_reuses_the_step_and_another_does_not():
    traces = []
    loss, params = _counting_quadratic(traces), {"v": bm.Param(jnp.zeros(3))}
    r1 = bm.fit(loss, params, optax.adam(0.1), steps=20, progress=False)
    r2 = bm.fit(loss, params, optax.adam(0.1), steps=20, progress=False)
    assert len(traces) == 1
    np.testing.assert_array_equal(r1.losses, r2.losses)
    r3 = bm.fit(loss, params, optax.adam(0.2), steps=20, progress=False)  # other numbers
    assert len(traces) == 2
    assert r3.losses[1] != r1.losses[1]  # the step really uses the new learning rate
    sched = lambda lr: optax.chain(  # noqa: E731
        optax.clip_by_global_norm(1.0), optax.adam(optax.exponential_decay(lr, 10, 0.9))
    )
    bm.fit(loss, params, sched(0.1), steps=20, progress=False)
    bm.fit(loss, params, sched(0.1), steps=20, progress=False)
    assert len(traces) == 3
    bm.fit(loss, params, sched(0.3), steps=20, progress=False)
    assert len(traces) == 4
    bm.fit(loss, params, optax.adam(jnp.asarray(0.1)), steps=20, progress=False)
    bm.fit(loss, params, optax.adam(jnp.asarray(0.1)), steps=20, progress=False)
    assert len(traces) == 6  # arrays in a strategy are compared by identity


@pytest.mark.parametrize(
    "make",
    [
        lambda: optx.BFGS(rtol=1e-8, atol=1e-8),
        lambda: optx.LevenbergMarquardt(rtol=1e-8, atol=1e-8),
        lambda: Nevergrad("CMA", population=6, seed=0),
    ],
    ids=["BFGS", "LevenbergMarquardt", "CMA"],
)
def test_a_second_fit_with_an_equal_solver_traces_nothing(make):
    traces = []

    def residual_loss(p):  # for the least-squares solver
        traces.append(1)
        return p["v"] - TARGET

    def scalar_loss(p):
        traces.append(1)
        return jnp.sum((p["v"] - TARGET) ** 2)

    counts = []
    for v0 in (jnp.zeros(3), jnp.array([1.0, 0.0, 1.0])):
        params = {"v": bm.Param(v0, lower=-3.0, upper=3.0)}
        strategy = make()
        least_squares = isinstance(strategy, optx.AbstractLeastSquaresSolver)
        loss = residual_loss if least_squares else scalar_loss
        result = bm.fit(loss, params, strategy, steps=40, progress=False)
        counts.append(len(traces))
        atol = 0.1 if isinstance(strategy, Nevergrad) else 1e-4
        np.testing.assert_allclose(result.values["v"], TARGET, atol=atol)
    assert counts[1] == counts[0] > 0
