"""Task generators: layout, labels, reproducibility; window losses against hand values."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainmass_fn.train import tasks

KEY = jax.random.key(3)


@pytest.mark.parametrize(
    "make",
    [
        tasks.delayed_match_to_sample,
        tasks.frequency_discrimination,
        tasks.sine_generation,
        tasks.sequence_classification,
    ],
)
def test_same_key_same_trials_other_key_other_trials(make):
    a = make(KEY, 16)
    b = make(KEY, 16)
    c = make(jax.random.key(4), 16)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_delayed_match_layout_and_labels():
    n, s, d, t, r = 400, 5, 7, 4, 6
    x, y = tasks.delayed_match_to_sample(
        KEY,
        n,
        n_stimuli=3,
        sample_steps=s,
        delay_steps=d,
        test_steps=t,
        response_steps=r,
        noise=0.0,
    )
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (n, s + d + t + r, 4) and y.shape == (n,)
    sample = x[:, :s, :3]
    test = x[:, s + d : s + d + t, :3]
    # exactly one stimulus channel on, constant over each period
    np.testing.assert_array_equal(sample.sum(-1), 1.0)
    np.testing.assert_array_equal(test.sum(-1), 1.0)
    np.testing.assert_array_equal(sample, sample[:, :1].repeat(s, 1))
    same = np.all(sample[:, 0] == test[:, 0], axis=-1)
    np.testing.assert_array_equal(same, y == 1)
    # blank delay and response, fixation on until the response period
    np.testing.assert_array_equal(x[:, s : s + d, :3], 0.0)
    np.testing.assert_array_equal(x[:, s + d + t :], 0.0)
    np.testing.assert_array_equal(x[:, : s + d + t, 3], 1.0)
    # balanced: within 4 binomial standard deviations of 1/2
    assert abs(y.mean() - 0.5) < 4 * math.sqrt(0.25 / n)


def test_delayed_match_noise_has_requested_std():
    x0, _ = tasks.delayed_match_to_sample(KEY, 500, noise=0.0)
    x1, _ = tasks.delayed_match_to_sample(KEY, 500, noise=0.3)
    resid = np.asarray(x1 - x0).ravel()
    assert abs(resid.std() - 0.3) < 0.01
    assert abs(resid.mean()) < 0.01


def _frequency(burst):
    # a pure sinusoid obeys x[t+1] + x[t-1] = 2 cos(2 pi f) x[t]
    num = np.sum((burst[2:] + burst[:-2]) * burst[1:-1])
    return np.arccos(num / (2 * np.sum(burst[1:-1] ** 2))) / (2 * np.pi)


def test_frequency_discrimination_labels_match_recovered_frequencies():
    lo, hi, gap, stim, delay = 0.02, 0.1, 0.01, 25, 10
    x, y = tasks.frequency_discrimination(
        KEY,
        300,
        f_range=(lo, hi),
        min_difference=gap,
        stim_steps=stim,
        delay_steps=delay,
        noise=0.0,
    )
    x = np.asarray(x[..., 0], dtype=np.float64)
    f1 = np.array([_frequency(row[:stim]) for row in x])
    f2 = np.array([_frequency(row[stim + delay : 2 * stim + delay]) for row in x])
    np.testing.assert_array_equal(np.asarray(y) == 1, f1 > f2)
    assert np.all(np.abs(f1 - f2) >= gap - 1e-4)
    assert np.all((f1 > lo - 1e-4) & (f1 < hi + 1e-4) & (f2 > lo - 1e-4) & (f2 < hi + 1e-4))
    np.testing.assert_array_equal(x[:, stim : stim + delay], 0.0)


def test_sine_generation_target_is_the_cued_sine():
    lo, hi, cue_steps, steps = 0.02, 0.08, 5, 60
    x, y = tasks.sine_generation(KEY, 8, n_steps=steps, f_range=(lo, hi), cue_steps=cue_steps)
    x, y = np.asarray(x), np.asarray(y)
    f = lo + x[:, 0, 0] * (hi - lo)
    t = np.arange(steps)
    want = np.where(t >= cue_steps, np.sin(2 * np.pi * f[:, None] * (t - cue_steps)), 0.0)
    np.testing.assert_allclose(y[..., 0], want, atol=1e-5)
    np.testing.assert_array_equal(x[:, :, 1], (t < cue_steps)[None].repeat(8, 0))


def test_sequence_classification_label_is_pulse_order():
    n_sym, pulse, gap = 3, 3, 2
    x, y = tasks.sequence_classification(
        KEY, 600, n_symbols=n_sym, pulse_steps=pulse, gap_steps=gap, noise=0.0
    )
    x, y = np.asarray(x), np.asarray(y)
    perms = list(itertools.permutations(range(n_sym)))
    first_on = np.argmax(x > 0.5, axis=1)  # (trials, channels): onset step of each channel
    order = np.argsort(first_on, axis=1)
    np.testing.assert_array_equal([perms.index(tuple(o)) for o in order], y)
    assert np.all(x.sum(axis=(1, 2)) == n_sym * pulse)
    counts = np.bincount(y, minlength=6)
    assert np.all(np.abs(counts / 600 - 1 / 6) < 4 * math.sqrt((1 / 6) * (5 / 6) / 600))


def test_window_losses_against_hand_values():
    # 2 trials, 4 steps; the window average of the last 2 steps gives logits [0, log 3]
    out = np.zeros((2, 4, 2), np.float32)
    out[:, 2:, 1] = [np.log(2.0), np.log(4.5)]  # mean of log 2 and log 4.5 is log 3
    out[:, :2, 1] = 100.0  # outside the window: ignored
    labels = jnp.array([1, 0])
    ce = tasks.window_cross_entropy(jnp.asarray(out), labels, 2)
    np.testing.assert_allclose(ce, 0.5 * (-np.log(0.75) - np.log(0.25)), rtol=1e-6)
    assert float(tasks.window_accuracy(jnp.asarray(out), labels, 2)) == 0.5


def test_masked_mse_against_hand_value():
    out = jnp.zeros((1, 3, 1))
    target = jnp.array([[[1.0], [2.0], [3.0]]])
    assert float(tasks.masked_mse(out, target)) == pytest.approx(14 / 3)
    assert float(tasks.masked_mse(out, target, jnp.array([0.0, 1.0, 1.0]))) == pytest.approx(6.5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tasks.delayed_match_to_sample(KEY, 0), "n_trials"),
        (lambda: tasks.delayed_match_to_sample(KEY, 4, n_stimuli=1), "n_stimuli"),
        (lambda: tasks.delayed_match_to_sample(KEY, 4, noise=-1.0), "noise"),
        (lambda: tasks.frequency_discrimination(KEY, 4, f_range=(0.1, 0.05)), "f_range"),
        (lambda: tasks.frequency_discrimination(KEY, 4, min_difference=0.05), "min_difference"),
        (lambda: tasks.sine_generation(KEY, 4, n_steps=5, cue_steps=5), "cue_steps"),
        (lambda: tasks.sequence_classification(KEY, 4, n_symbols=7), "n_symbols"),
        (lambda: tasks.window_logits(jnp.zeros((2, 4, 2)), 5), "response_steps"),
    ],
)
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_key_must_be_a_jax_key():
    with pytest.raises(TypeError, match="key"):
        tasks.delayed_match_to_sample(0, 4)
