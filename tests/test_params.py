"""Param, bound transforms, trainable filters and names."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.params import Interval, LowerBounded, UpperBounded


@pytest.mark.parametrize(
    "kwargs, value, transform",
    [
        ({}, 0.7, None),
        ({"lower": 0.0}, 0.7, LowerBounded),
        ({"upper": 1.0}, 0.7, UpperBounded),
        ({"lower": -1.0, "upper": 1.0}, 0.7, Interval),
    ],
)
def test_value_round_trips_through_raw(kwargs, value, transform):
    p = bm.Param(value, **kwargs)
    np.testing.assert_allclose(p.value, value, rtol=1e-6)
    if transform is not None:
        assert isinstance(p.transform, transform)


@pytest.mark.parametrize("raw", [-30.0, -3.0, 0.0, 3.0, 30.0])
def test_bounded_value_stays_inside_for_any_raw(raw):
    p = bm.Param(0.5, lower=0.1, upper=2.0)
    p = eqx.tree_at(lambda q: q.raw, p, jnp.asarray(raw))
    assert 0.1 <= float(p.value) <= 2.0


def test_softplus_inverse_is_stable_for_large_values():
    p = bm.Param(500.0, lower=0.0)
    np.testing.assert_allclose(p.value, 500.0, rtol=1e-6)
    assert np.isfinite(float(p.raw))


def test_bad_bounds_are_clear_errors():
    with pytest.raises(ValueError, match="lower < upper"):
        bm.Param(1.0, lower=2.0, upper=1.0)
    with pytest.raises(ValueError, match="> lower bound"):
        bm.Param(0.0, lower=0.0)
    with pytest.raises(ValueError, match="< upper bound"):
        bm.Param(3.0, upper=2.0)


def test_resolve_replaces_params_by_values():
    tree = {"a": bm.Param(1.5, lower=0.0), "b": jnp.ones(3)}
    out = bm.resolve(tree)
    np.testing.assert_allclose(out["a"], 1.5, rtol=1e-6)
    assert out["b"] is tree["b"]


def test_trainable_selects_only_trainable_param_raws():
    model = bm.Hopf(a=bm.Param(0.3), w=bm.Param(0.2, trainable=False))
    diff, static = eqx.partition(model, bm.trainable(model))
    assert diff.a.raw is not None and diff.w.raw is None
    assert eqx.tree_equal(eqx.combine(diff, static), model)


def test_trainable_without_params_selects_float_arrays():
    tree = {"x": jnp.ones(2), "n": jnp.arange(3), "s": "label"}
    spec = bm.trainable(tree)
    assert spec == {"x": True, "n": False, "s": False}


def test_param_values_by_dotted_name():
    tree = {"node": bm.Hopf(a=bm.Param(jnp.array([0.1, 0.2]))), "k": bm.Param(0.6, lower=0.0)}
    values = bm.param_values(tree)
    assert set(values) == {"node.a", "k"}
    np.testing.assert_allclose(values["node.a"], [0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(values["k"], 0.6, rtol=1e-6)


def test_per_node_params_broadcast_to_node_shape():
    model = bm.Hopf(a=bm.Param(jnp.linspace(0.1, 0.5, 4)))
    assert bm.resolve(model).node_shape == (4,)
    assert model.initial_state().shape == (2, 4)


def test_param_gradient_flows_through_transform():
    p = bm.Param(0.5, lower=0.0, upper=1.0)

    def f(p):
        return bm.resolve(p) ** 2

    g = jax.grad(f)(p).raw
    # d(v^2)/draw = 2 v * (upper - lower) * s (1 - s), s = v
    np.testing.assert_allclose(g, 2 * 0.5 * 0.25, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, transform",
    [
        ({"lower": 0.0, "upper": np.inf}, LowerBounded),
        ({"lower": -np.inf, "upper": 1.0}, UpperBounded),
        ({"lower": -np.inf, "upper": np.inf}, type(None)),
    ],
)
def test_an_infinite_bound_means_no_bound(kwargs, transform):
    p = bm.Param(0.5, **kwargs)
    np.testing.assert_allclose(float(p.value), 0.5, rtol=1e-6)
    if transform is type(None):
        assert type(p.transform).__name__ == "Identity"
    else:
        assert isinstance(p.transform, transform)


@pytest.mark.parametrize(
    "args, kwargs, error, fragment",
    [
        ((np.nan, 0.0, 1.0), {}, ValueError, "value must be finite"),
        ((np.inf,), {}, ValueError, "value must be finite"),
        ((jnp.array([0.1, np.nan]),), {}, ValueError, "value must be finite"),
        ((0.5,), {"lower": np.nan}, ValueError, "lower bound is NaN"),
        ((0.5,), {"upper": np.nan}, ValueError, "upper bound is NaN"),
        ((0.5,), {"lower": np.inf}, ValueError, "no value lies above it"),
        ((0.5,), {"upper": -np.inf}, ValueError, "no value lies below it"),
        ((0.5,), {"lower": 2.0, "upper": 1.0}, ValueError, "lower < upper"),
        ((1.5,), {"lower": 0.0, "upper": 1.0}, ValueError, "must be < upper bound 1.0"),
        ((-1.0,), {"lower": 0.0}, ValueError, "must be > lower bound 0.0"),
        (("0.1",), {}, TypeError, "real number"),
        ((None,), {}, TypeError, "real number"),
        ((1 + 2j,), {}, TypeError, "dtype complex"),
        ((True,), {}, TypeError, "dtype bool"),
        ((0.5,), {"lower": "0"}, TypeError, "lower bound must be a real number"),
        ((0.5,), {"upper": [1.0, 2.0]}, TypeError, "upper bound must be one real number"),
        (([[0.1, 0.2], [0.3]],), {}, ValueError, "rectangular"),
    ],
)
def test_invalid_values_and_bounds_are_clear_errors(args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        bm.Param(*args, **kwargs)


def test_a_value_the_float_type_cannot_hold_is_an_error():
    # float32: the interval's width overflows, so value = lower + inf * sigmoid would be NaN
    with jax.enable_x64(False), pytest.raises(ValueError, match="cannot be represented"):
        bm.Param(0.5, lower=-1e38, upper=1e39)
