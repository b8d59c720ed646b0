"""Evoked responses: analytic response of a linear node, baseline, errors, and the
TMS-EEG case study (examples/fit_evoked_response.py) recovering a known truth."""

import importlib.util
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn import stimulus as st
from brainmass_fn.evoked import evoked_response, resting_drift, sphere_montage


def linear_response(amplitude, *, onset=5.0, width=3.0, gamma=-0.5, dt=0.01, **kw):
    node = bm.Linear(gamma=gamma)
    pulse = st.Pulse(amplitude, onset=onset, width=width)
    return evoked_response(
        node,
        pulse,
        jnp.ones((1, 1)),
        onset=onset,
        duration=10.0,
        dt=dt,
        source=lambda traj: traj["x"][:, None],
        y0=jnp.zeros((1,)),
        **kw,
    )


def test_linear_node_pulse_response_is_the_analytic_one():
    # x' = gamma x + a on [onset, onset + w): x = a/|gamma| (1 - e^{gamma tau}), then decays
    with jax.enable_x64(True):
        a, g, w = 2.0, -0.5, 3.0
        tau = np.arange(11.0)
        peak = a / -g * (1 - np.exp(g * w))
        want = np.where(tau <= w, a / -g * (1 - np.exp(g * tau)), peak * np.exp(g * (tau - w)))
        errors = []
        for dt in (0.01, 0.001):
            got = np.asarray(linear_response(a, gamma=g, width=w, dt=dt, baseline=5.0))[:, 0]
            errors.append(np.abs(got - want).max())
        # Heun is second order, but the pulse's two hard edges cost O(a dt) each
        assert errors[0] < a * 0.01
        assert 0.05 < errors[1] / errors[0] < 0.2
        # the response is linear in the amplitude: d EP / d a = EP / a exactly
        got = np.asarray(linear_response(a, gamma=g, width=w, baseline=5.0))
        d_amp = jax.jacfwd(lambda a: linear_response(a, gamma=g, width=w, baseline=5.0))(a)
        np.testing.assert_allclose(d_amp, got / a, rtol=1e-10, atol=1e-14)


def test_baseline_is_subtracted_and_scale_multiplies():
    # start away from rest: the pre-stimulus mean (here of a decaying x) is removed
    node = bm.Linear(gamma=-0.1)
    kw = dict(onset=10.0, duration=5.0, dt=0.1, source=lambda tr: tr["x"][:, None])
    pulse = st.Pulse(0.0, onset=10.0, width=1.0)
    ep = evoked_response(node, pulse, jnp.ones((1, 1)), baseline=0.0, y0=jnp.ones((1,)), **kw)
    want = np.exp(-0.1 * (10.0 + np.arange(6.0))) - np.exp(-1.0)
    np.testing.assert_allclose(np.asarray(ep)[:, 0], want, atol=2e-6)
    twice = evoked_response(
        node, pulse, jnp.ones((1, 1)), baseline=0.0, scale=2.0, y0=jnp.ones((1,)), **kw
    )
    np.testing.assert_allclose(twice, 2 * ep, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(onset=5.5), "whole number of sample periods"),
        (dict(baseline=20.0), "baseline .* longer than the pre-stimulus run"),
        (dict(onset=0.0), "at least one sample period"),
    ],
)
def test_bad_timing_is_a_clear_error(kwargs, match):
    args = dict(onset=10.0, duration=5.0, dt=0.1, source=lambda tr: tr["x"][:, None])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evoked_response(bm.Linear(), st.Pulse(1.0, onset=10.0, width=1.0), jnp.ones((1, 1)), **args)


def test_gain_with_the_wrong_number_of_regions_is_a_clear_error():
    with pytest.raises(ValueError, match="gain must be"):
        evoked_response(
            bm.Linear(),
            st.Pulse(1.0, onset=10.0, width=1.0),
            jnp.ones((3, 2)),
            onset=10.0,
            duration=5.0,
            dt=0.1,
            baseline=5.0,
            source=lambda tr: tr["x"][:, None],
        )


def test_sphere_montage_is_inside_the_head_and_drift_detects_a_settling_run():
    centres, orientations, sensors = sphere_montage(6, 8, seed=3)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 70.0)
    np.testing.assert_allclose(np.linalg.norm(sensors, axis=1), 90.0)
    np.testing.assert_allclose(np.linalg.norm(orientations, axis=1), 1.0)
    assert (centres[:, 2] > 0).all() and (sensors[:, 2] > 0).all()
    with pytest.raises(ValueError, match="source_radius"):
        sphere_montage(2, 2, source_radius=95.0)
    node = bm.Linear(gamma=-0.1)
    src = dict(source=lambda tr: tr["x"][:, None])
    assert resting_drift(node, duration=10.0, dt=0.1, y0=jnp.zeros((1,)), **src) == 0.0
    settling = resting_drift(node, duration=10.0, dt=0.1, y0=jnp.ones((1,)), **src)
    np.testing.assert_allclose(settling, 1 - np.exp(-1.0), rtol=1e-5)


def load_example():
    path = pathlib.Path(__file__).parents[1] / "examples" / "fit_evoked_response.py"
    spec = importlib.util.spec_from_file_location("fit_evoked_response", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_evoked_fit_recovers_what_the_response_constrains(seed):
    """The case study on two truths/noise draws: the fit reaches the truth's loss, the
    stimulated region's A and the gain come back to < 1 %, every error is within 3.5
    posterior SDs, and regions the pulse does not reach keep their prior SD."""
    ex = load_example()
    problem = ex.make_problem(20, seed)
    rec = ex.fit_problem(problem)
    assert rec.result.best_loss <= float(problem.loss(problem.truth)) + 1e-3
    names = rec.posterior.names
    for name in ("A[0]", "gain"):
        assert abs(rec.relative_error[names.index(name)]) < 0.01
        assert rec.posterior.relative_std[names.index(name)] < 0.01
    assert np.all(np.abs(rec.z) < 3.5)
    # region 0 and its two strongest-responding neighbours are constrained; most are not
    assert rec.posterior.identifiable(0.05).sum() <= 6
    prior_like = rec.posterior.std[:-1] > 0.7 * ex.A_PRIOR_SD
    assert prior_like.sum() >= 12
