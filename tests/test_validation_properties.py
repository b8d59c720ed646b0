"""Property-based checks of input validation (hypothesis): random shapes, dtypes,
signs, NaN and inf given to `Param`, `Network` and `simulate`'s times give either a
valid result or a clear ValueError / TypeError (`UnitError` is a ValueError), never
another exception and never a NaN result without an error (a run that diverges raises
`SimulationDiverged`)."""

import math
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import brainmass_fn as bm
from brainmass_fn.units import ureg

CLEAR = (ValueError, TypeError)
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

any_float = st.floats(allow_nan=True, allow_infinity=True)
dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.bool_, np.complex128])


def arrays(max_dims=3, max_side=4):
    return dtypes.flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side),
            elements=None if dt in (np.bool_, np.int8, np.int64) else any_float.filter(
                lambda x: dt != np.float32 or abs(x) < 3e38 or not math.isfinite(x)
            ),
        )
    )


junk = st.one_of(st.none(), st.text(max_size=3), st.booleans(), st.just([[1.0], [1.0, 2.0]]))
number = st.one_of(any_float, st.integers(-5, 5), st.floats(-10, 10))


def _build(fn):
    """``fn()``'s result, or None after a clear error; anything else fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            return fn()
        except CLEAR:
            return None


@FAST
@given(
    value=st.one_of(number, arrays(max_dims=2), junk),
    lower=st.one_of(st.none(), number, junk),
    upper=st.one_of(st.none(), number, junk),
)
def test_param_gives_a_finite_value_inside_its_bounds_or_a_clear_error(value, lower, upper):
    p = _build(lambda: bm.Param(value, lower=lower, upper=upper))
    if p is None:
        return
    v = np.asarray(p.value, dtype=np.float64)
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(np.asarray(p.raw)))
    if isinstance(lower, (int, float)) and math.isfinite(lower):
        assert np.all(v >= lower)
    if isinstance(upper, (int, float)) and math.isfinite(upper):
        assert np.all(v <= upper)


@FAST
@given(
    weights=st.one_of(arrays(), junk),
    lengths=st.one_of(st.none(), arrays(), junk),
    speed=st.one_of(st.none(), number, junk, st.just(3.0 * ureg.mm)),
    k=st.one_of(number, junk),
    delays=st.sampled_from(["round", "linear", "nearest"]),
)
def test_network_is_valid_or_a_clear_error(weights, lengths, speed, k, delays):
    net = _build(lambda: bm.Network(bm.Hopf(), weights, lengths, speed, K=k, delays=delays))
    if net is None:
        return
    w = np.asarray(net.weights)
    assert w.ndim == 2 and w.shape[0] == w.shape[1] >= 1
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert np.isfinite(float(net.K))
    if net.lengths is not None:
        assert np.all(np.isfinite(np.asarray(net.lengths)))
        assert math.isfinite(float(net.speed)) and float(net.speed) > 0


_NICE = st.sampled_from([0.5, 1.0, 2.0])
_DT = st.sampled_from([0.1, 0.25, 0.5])
_MODEL = bm.Hopf(a=-0.2, w=0.3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    duration=st.one_of(_NICE, number, junk, st.just(1.0 * ureg.mm), st.just(0.001 * ureg.s)),
    dt=st.one_of(_DT, number, junk, st.just(np.float32(0.25))),
)
def test_simulate_times_give_a_finite_run_or_a_clear_error(duration, dt):
    d, h = duration, dt
    if all(isinstance(x, (int, float, np.floating)) and not isinstance(x, bool) for x in (d, h)):
        if math.isfinite(d) and math.isfinite(h) and d > 0 and h > 0:
            assume(d / h <= 400 or d / h > 2**31)  # a long run is valid but slow
    try:
        traj = _build(lambda: bm.simulate(_MODEL, duration, dt, solver="euler"))
    except bm.SimulationDiverged:  # a huge dt: the run's own clear error, not a NaN result
        assert float(dt) > 1.0
        return
    if traj is None:
        return
    ys = np.asarray(traj.ys)
    assert ys.shape[0] >= 1 and np.all(np.isfinite(ys))

