"""The stimulus library: values against closed forms, timing to the sample through a
run, targeting, and gradients against finite differences on both solve paths."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn import stimulus as st
from brainmass_fn.gradcheck import check_gradient

DT = 0.1


def _times(n: int = 600) -> np.ndarray:
    return DT * np.arange(n)


def _on(t: np.ndarray, start: float, stop: float) -> np.ndarray:
    return ((t >= start - 1e-9) & (t < stop - 1e-9)).astype(float)


def test_waveforms_match_their_closed_forms():
    with jax.enable_x64(True):
        t = _times()
        sine = lambda f, p=0.0: np.sin(2 * np.pi * f * t / 1000 + p)  # noqa: E731
        cases = {
            "pulse": (st.Pulse(2.0, onset=10.0, width=5.0), 2.0 * _on(t, 10.0, 15.0)),
            "train": (
                st.PulseTrain(1.5, frequency=100.0, width=2.0, onset=5.0, n_pulses=3),
                1.5 * sum(_on(t, 5.0 + 10 * k, 7.0 + 10 * k) for k in range(3)),
            ),
            "biphasic": (
                st.Biphasic(3.0, onset=20.0, width=4.0),
                3.0 * np.sin(2 * np.pi * (t - 20.0) / 4.0) * _on(t, 20.0, 24.0),
            ),
            "sine": (st.Sinusoid(0.7, frequency=40.0, phase=0.3), 0.7 * sine(40.0, 0.3)),
            "ramp": (st.Ramp(2.0, onset=10.0, duration=20.0), 2.0 * np.clip((t - 10) / 20, 0, 1)),
            "sum": (st.Constant(0.5) + st.Ramp(1.0, 0.0, 60.0), 0.5 + np.clip(t / 60.0, 0, 1)),
            "gated": (
                st.Sinusoid(1.0, 20.0) * st.Pulse(1.0, 10.0, 30.0),
                sine(20.0) * _on(t, 10.0, 40.0),
            ),
            "scaled": (3.0 * st.Sinusoid(1.0, 20.0), 3.0 * sine(20.0)),
        }
        for name, (stim, expected) in cases.items():
            np.testing.assert_allclose(stim.sample(t), expected, rtol=0, atol=1e-12, err_msg=name)


def test_hard_edges_are_exact_to_the_sample_in_float32():
    # t = n dt in float32 is a rounding off the edge; the pulse still starts at step 1234
    t = jnp.arange(3000, dtype=jnp.float32) * jnp.float32(0.1)
    on = np.asarray(st.Pulse(1.0, onset=123.4, width=50.0).sample(t))
    assert np.argmax(on > 0) == 1234 and int(on.sum()) == 500


def test_units_are_converted_at_the_boundary():
    ms, hz = bm.ureg.ms, bm.ureg.Hz
    a = st.PulseTrain(1.0, frequency=0.04 / ms, width=2 * ms, onset=0.005 * bm.ureg.s)
    assert float(a.frequency) == pytest.approx(40.0) and float(a.onset) == pytest.approx(5.0)
    assert float(st.Sinusoid(1.0, 10 * hz).frequency) == 10.0
    with pytest.raises(bm.UnitError, match="onset"):
        st.Pulse(1.0, onset=3 * hz)
    with pytest.raises(ValueError, match="edge must be >= 0"):
        st.Pulse(1.0, edge=-1.0)


def test_sampled_interpolates_and_holds():
    with jax.enable_x64(True):
        values = jnp.array([0.0, 1.0, 4.0, 9.0])
        lin = st.Sampled(values, period=1.0, start=2.0)
        hold = st.Sampled(values, period=1.0, start=2.0, interpolation="hold")
        t = np.array([1.9, 2.0, 2.5, 3.25, 4.0, 5.5, 6.0])
        np.testing.assert_allclose(lin.sample(t), [0, 0, 0.5, 1.75, 4.0, 9.0, 0], atol=1e-12)
        np.testing.assert_allclose(hold.sample(t), [0, 0, 0, 1.0, 4.0, 9.0, 0], atol=1e-12)
        grid = st.Sampled(jnp.ones((3, 2, 4)), period=DT)  # a value per input and region
        assert grid(0.15).shape == (2, 4)
        with pytest.raises(ValueError, match="interpolation"):
            st.Sampled(values, period=1.0, interpolation="cubic")


def test_noise_burst_is_reproducible_and_confined():
    with jax.enable_x64(True):
        key = jax.random.key(4)
        burst = st.noise_burst(key, amplitude=2.0, onset=10.0, duration=20.0, period=DT)
        again = st.noise_burst(key, amplitude=2.0, onset=10.0, duration=20.0, period=DT)
        t = _times(400)
        x = np.asarray(burst.sample(t))
        np.testing.assert_array_equal(x, again.sample(t))
        inside = (t >= 10.0 - 1e-9) & (t < 30.0 - 1e-9)
        assert np.all(x[~inside] == 0.0) and np.all(x[inside] != 0.0)
        assert 1.5 < np.std(x[inside]) < 2.5  # 200 draws of 2 N(0, 1)


def test_a_run_sees_the_pulse_from_its_onset_step():
    # dx/dt = u (Linear with gamma = 0): Euler sums dt * s(n dt) exactly
    with jax.enable_x64(True):
        train = st.PulseTrain(2.0, frequency=50.0, width=3.0, onset=10.0, n_pulses=2)
        traj = bm.simulate(bm.Linear(gamma=0.0), 80.0, DT, solver="euler", stimulus=train)
        x = np.asarray(traj["x"]) - float(traj["x"][0])
        first = int(np.argmax(x > 0))
        assert first == 101  # the step from t = 10.0 ms is the first that sees it
        np.testing.assert_allclose(x[-1], 2.0 * 3.0 * 2, rtol=1e-12)  # amplitude x width x n
        expected = np.concatenate([[0.0], np.cumsum(DT * np.asarray(train.sample(traj.ts[:-1])))])
        np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12)


def test_targeting_drives_only_the_chosen_variable_and_regions():
    with jax.enable_x64(True):
        net = bm.Network(bm.Hopf(a=-0.5, w=0.3), jnp.zeros((5, 5)), K=0.0)
        s = st.Pulse(1.0, onset=5.0, width=10.0).at(net, variable="y", regions=[1, 3])
        assert s.pattern.shape == (2, 5)
        np.testing.assert_array_equal(s.pattern, [[0, 0, 0, 0, 0], [0, 1, 0, 1, 0]])
        y0 = jnp.zeros((2, 5))
        traj = bm.simulate(net, 30.0, DT, y0=y0, stimulus=s)
        moved = np.max(np.abs(np.asarray(traj.ys)), axis=0)
        np.testing.assert_array_equal(moved[:, [0, 2, 4]], 0.0)
        assert np.all(moved[:, [1, 3]] > 1e-2)
        weighted = st.Sinusoid(1.0, 10.0).at(net, weights=jnp.arange(5.0))
        np.testing.assert_array_equal(weighted.pattern[1], 0.0)  # default: the first input, x
        mask = st.Constant(1.0).at(net, regions=np.array([True, False, False, False, True]))
        np.testing.assert_array_equal(mask.pattern[0], [1, 0, 0, 0, 1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"variable": "z"}, ValueError, "choose from"),
        ({"regions": [7]}, ValueError, "out of range"),
        ({"regions": [0.5]}, TypeError, "weights="),
        ({"weights": jnp.ones(3)}, ValueError, "one per region"),
    ],
)
def test_targeting_mistakes_name_the_argument(kwargs, error, match):
    net = bm.Network(bm.Hopf(), jnp.zeros((5, 5)))
    with pytest.raises(error, match=match):
        st.Pulse().at(net, **kwargs)


def test_a_stimulus_of_the_wrong_shape_is_an_error_before_the_run():
    net = bm.Network(bm.Hopf(), jnp.zeros((4, 4)))
    with pytest.raises(ValueError, match="does not broadcast"):
        bm.simulate(net, 10.0, DT, stimulus=lambda t: jnp.ones(3))
    with pytest.raises(TypeError, match="both sides must be stimuli"):
        st.Pulse() + 1.0


def test_stimulus_parameters_have_exact_gradients():
    # amplitude, frequency and phase of a sine burst with smooth edges, its timing and
    # per-region weights, through a network run (the diffrax path's stimulus gradient
    # is checked in test_engine)
    with jax.enable_x64(True):
        net = bm.Network(bm.Hopf(a=-0.2, w=0.3), 0.2 * (jnp.ones((3, 3)) - jnp.eye(3)))
        burst = st.Sinusoid(0.8, 25.0, 0.4) * st.Pulse(1.0, onset=10.0, width=20.0, edge=1.0)
        stim = burst.at(net, weights=jnp.array([1.0, 0.5, 0.0]))

        def loss(s):
            traj = bm.simulate(net, 50.0, DT, solver="heun", stimulus=s, sample_period=1.0)
            return jnp.sum(traj["x"] ** 2)

        check = check_gradient(loss, stim)
        assert np.sum(np.abs(check.autodiff) > 1e-6) >= 7  # 5 of the burst, 2 weights
        assert check.rel_error < 1e-6, check


def test_sampled_values_and_a_param_amplitude_work_under_grad_and_fit_transforms():
    with jax.enable_x64(True):
        model = bm.Linear(gamma=-0.1)

        def loss(values):  # a control held for 1 ms per value
            control = st.Sampled(values, period=1.0, interpolation="hold")
            return jnp.sum(bm.simulate(model, 50.0, DT, solver="euler", stimulus=control)["x"] ** 2)

        check = check_gradient(loss, 0.1 * jnp.ones(50))
        assert check.rel_error < 1e-7, check
        with_param = st.Pulse(bm.Param(2.0, lower=0.0), onset=1.0, width=2.0)
        plain = st.Pulse(2.0, onset=1.0, width=2.0)
        a = bm.simulate(model, 10.0, DT, solver="euler", stimulus=with_param)
        b = bm.simulate(model, 10.0, DT, solver="euler", stimulus=plain)
        np.testing.assert_allclose(a.ys, b.ys, rtol=1e-12)


def test_vmap_over_amplitudes_equals_a_loop():
    model = bm.Hopf(a=-0.3, w=0.3)

    def peak(amp):
        s = st.Biphasic(amp, onset=5.0, width=4.0)
        return jnp.max(jnp.abs(bm.simulate(model, 30.0, DT, stimulus=s)["x"]))

    amps = jnp.array([0.5, 1.0, 2.0])
    batched = jax.vmap(peak)(amps)
    np.testing.assert_allclose(batched, [peak(a) for a in amps], rtol=1e-6)
    assert float(batched[2]) > float(batched[0])
