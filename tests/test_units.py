"""Units at the boundary: quantities convert to ms/mm/mm/ms; wrong dimensions fail clearly."""

import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.units import UnitError, to_canonical, ureg


def test_time_converts_to_ms():
    assert to_canonical(0.25 * ureg.s, "ms", "dt") == pytest.approx(250.0)
    assert to_canonical(100 * ureg.us, "ms", "dt") == pytest.approx(0.1)


def test_speed_and_rate_convert():
    assert to_canonical(20 * ureg.m / ureg.s, "mm/ms", "speed") == pytest.approx(20.0)
    assert to_canonical(5 * ureg.Hz, "1/ms", "a") == pytest.approx(0.005)
    assert to_canonical(0.2 * ureg.rad / ureg.ms, "1/ms", "w") == pytest.approx(0.2)


def test_plain_numbers_pass_through_as_canonical():
    assert to_canonical(0.1, "ms", "dt") == 0.1


def test_wrong_dimension_names_argument_and_unit():
    with pytest.raises(UnitError, match=r"dt .*mm.*ms"):
        to_canonical(1.0 * ureg.mm, "ms", "dt")


def test_model_fields_accept_quantities():
    wc = bm.WilsonCowan(tau_e=0.004 * ureg.s)
    np.testing.assert_allclose(wc.tau_e, 4.0, rtol=1e-6)
    hopf = bm.Hopf(a=0.5 * ureg.kHz)
    np.testing.assert_allclose(hopf.a, 0.5, rtol=1e-6)


def test_model_field_wrong_unit_is_a_clear_error():
    with pytest.raises(UnitError, match="tau_e"):
        bm.WilsonCowan(tau_e=3.0 * ureg.mm)


def test_param_with_units_is_rescaled_with_its_bounds():
    wc = bm.WilsonCowan(tau_e=bm.Param(2.0 * ureg.s, lower=1.0 * ureg.s, upper=4.0 * ureg.s))
    p = wc.tau_e
    np.testing.assert_allclose(p.value, 2000.0, rtol=1e-5)
    assert (p.transform.lower, p.transform.upper) == pytest.approx((1000.0, 4000.0))


def test_simulate_accepts_time_quantities():
    model = bm.Hopf(a=0.3, w=0.2)
    a = bm.simulate(model, 0.05 * ureg.s, 100 * ureg.us, sample_period=1 * ureg.ms)
    b = bm.simulate(model, 50.0, 0.1, sample_period=1.0)
    np.testing.assert_allclose(a.ys, b.ys, rtol=1e-6)
    np.testing.assert_allclose(a.ts[-1], 50.0)


def test_simulate_rejects_wrong_time_unit():
    with pytest.raises(UnitError, match="duration"):
        bm.simulate(bm.Hopf(), 10 * ureg.mm, 0.1)


def test_unit_registry_is_shared():
    assert bm.ureg is ureg
    assert float(jnp.asarray(to_canonical(1 * bm.ureg.s, "ms"))) == 1000.0
