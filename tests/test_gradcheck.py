"""Autodiff gradients through the solve equal central finite differences (float64)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm


def _all_params_trainable(model):
    """The model with every parameter field wrapped in Param."""
    names = [f.name for f in dataclasses.fields(model) if "unit" in f.metadata]
    return type(model)(**{n: bm.Param(getattr(model, n)) for n in names})


CASES = [
    (bm.Hopf(a=0.3, w=0.25), "x", 40.0),
    (bm.WilsonCowan(p=1.0), "E", 40.0),
    (bm.MontbrioPazoRoxin(eta=-4.0), "r", 20.0),
]


@pytest.mark.parametrize("model, var, duration", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(model, var, duration):
    with jax.enable_x64(True):
        params = _all_params_trainable(model)
        t = jnp.linspace(0.0, duration, int(duration / 0.5) + 1)
        target = 0.1 * jnp.sin(0.3 * t)

        def loss(m):
            traj = bm.simulate(m, duration, 0.05, sample_period=0.5)
            return jnp.mean((traj[var] - target) ** 2)

        check = bm.check_gradient(loss, params)
    assert len(check.names) == len(bm.param_values(params))
    assert np.all(np.abs(check.autodiff) > 0)
    assert check.rel_error < 1e-5, (check.rel_error, check.names)


def test_gradient_through_bounded_params_is_w_r_t_raw():
    with jax.enable_x64(True):
        params = bm.Hopf(a=bm.Param(0.4, lower=0.0, upper=2.0), w=bm.Param(0.3, lower=0.0))

        def loss(m):
            return jnp.mean(bm.simulate(m, 20.0, 0.05, sample_period=1.0)["y"] ** 2)

        check = bm.check_gradient(loss, params)
    assert check.rel_error < 1e-6
