"""Small cognitive and timing tasks as reproducible generators, and their losses.

Every generator takes a `jax.random` key and a number of trials and returns
``(inputs, targets)``: ``inputs`` has shape ``(trials, time, channels)`` on a grid
of discrete steps (one step is one ``dt`` of the network that reads it), and
``targets`` is either integer class labels ``(trials,)`` (classification tasks,
read out over the last ``response_steps`` of each trial) or a target trace
``(trials, time, outputs)`` (generation tasks). The same key gives the same trials.

Losses for a model's readout ``outputs`` of shape ``(trials, time, outputs)``:
`window_cross_entropy` and `window_accuracy` average the readout over the response
window and compare the resulting logits with the labels; `masked_mse` compares a
trace with a target where a mask is set.
"""

from __future__ import annotations

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

__all__ = [
    "delayed_match_to_sample",
    "frequency_discrimination",
    "sine_generation",
    "sequence_classification",
    "window_logits",
    "window_cross_entropy",
    "window_accuracy",
    "masked_mse",
]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be a positive int, got {value!r}.")


def _check_key(key: PRNGKeyArray) -> None:
    if not (
        isinstance(key, jax.Array)
        and (jnp.issubdtype(key.dtype, jax.dtypes.prng_key) or key.shape == (2,))
    ):
        raise TypeError(
            f"key must be a jax.random key (jax.random.key(0) or jax.random.PRNGKey(0)), "
            f"got {type(key).__name__}."
        )


def delayed_match_to_sample(
    key: PRNGKeyArray,
    n_trials: int,
    *,
    n_stimuli: int = 2,
    sample_steps: int = 10,
    delay_steps: int = 20,
    test_steps: int = 10,
    response_steps: int = 10,
    noise: float = 0.1,
) -> tuple[Float[Array, " trials time channels"], Int[Array, " trials"]]:
    """Delayed match-to-sample: is the test stimulus the same as the sample?

    A trial is ``sample | delay | test | response`` (steps as given, total
    ``T = sample + delay + test + response``). During the sample period one of
    ``n_stimuli`` one-hot channels is on (value 1); after a blank delay a test
    stimulus is shown, equal to the sample with probability 1/2 and otherwise one
    of the other stimuli; then the inputs go blank and the network must answer.
    Channel ``n_stimuli`` is a fixation cue that is on until the response period.
    Every input sample carries independent Gaussian noise of std ``noise``.

    Returns:
        inputs ``(trials, T, n_stimuli + 1)`` and labels ``(trials,)``: 1 = match,
        0 = non-match (balanced in expectation; chance accuracy 50 %).

    Reference: the task of Miller, Erickson & Desimone (1996, *J. Neurosci.* 16:5154),
    in the form used to train recurrent networks by Yang et al. (2019, *Nat.
    Neurosci.* 22:297).
    """
    _check_key(key)
    _check_positive(
        n_trials=n_trials,
        sample_steps=sample_steps,
        delay_steps=delay_steps,
        test_steps=test_steps,
        response_steps=response_steps,
    )
    if not (isinstance(n_stimuli, (int, np.integer)) and n_stimuli >= 2):
        raise ValueError(f"n_stimuli must be an int >= 2 (a non-match needs two), got {n_stimuli}.")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}.")
    return _delayed_match_to_sample(
        key,
        n_trials,
        n_stimuli,
        sample_steps,
        delay_steps,
        test_steps,
        response_steps,
        float(noise),
    )


def frequency_discrimination(
    key: PRNGKeyArray,
    n_trials: int,
    *,
    f_range: tuple[float, float] = (0.02, 0.1),
    min_difference: float = 0.01,
    stim_steps: int = 25,
    delay_steps: int = 10,
    response_steps: int = 10,
    noise: float = 0.05,
) -> tuple[Float[Array, " trials time 1"], Int[Array, " trials"]]:
    """Two sine bursts in sequence: was the first faster than the second?

    ``u(t) = sin(2 pi f_1 t + phi_1)`` for ``stim_steps``, a blank delay, then
    ``sin(2 pi f_2 t + phi_2)`` for ``stim_steps``, then a blank response period.
    Frequencies are in cycles per step, drawn uniformly from ``f_range`` with
    ``|f_1 - f_2| >= min_difference``; phases uniform in ``[0, 2 pi)``; additive
    Gaussian noise of std ``noise``.

    Returns:
        inputs ``(trials, 2 stim + delay + response, 1)`` and labels ``(trials,)``:
        1 if ``f_1 > f_2`` else 0 (chance 50 %).

    Reference: after the vibrotactile flutter comparison task of Romo et al.
    (1999, *Nature* 399:470).
    """
    _check_key(key)
    _check_positive(
        n_trials=n_trials,
        stim_steps=stim_steps,
        delay_steps=delay_steps,
        response_steps=response_steps,
    )
    lo, hi = f_range
    if not 0 < lo < hi:
        raise ValueError(f"f_range must satisfy 0 < low < high (cycles/step), got {f_range}.")
    if not 0 <= min_difference < (hi - lo) / 2:
        raise ValueError(
            f"min_difference must be in [0, {(hi - lo) / 2}) (half the f_range width) for "
            f"f_range={f_range}, got {min_difference}."
        )
    return _frequency_discrimination(
        key,
        n_trials,
        (float(lo), float(hi)),
        float(min_difference),
        stim_steps,
        delay_steps,
        response_steps,
        float(noise),
    )


def sine_generation(
    key: PRNGKeyArray,
    n_trials: int,
    *,
    n_steps: int = 100,
    f_range: tuple[float, float] = (0.02, 0.08),
    cue_steps: int = 5,
) -> tuple[Float[Array, " trials time 2"], Float[Array, " trials time 1"]]:
    """Generate a sine wave at a cued frequency, starting on a go pulse.

    Input channel 0 holds a constant frequency cue ``(f - f_low) / (f_high - f_low)``
    (in ``[0, 1]``) for the whole trial; channel 1 is a go pulse during the first
    ``cue_steps``. The target is ``sin(2 pi f (t - cue_steps))`` after the pulse
    and 0 during it, with ``f`` (cycles per step) uniform in ``f_range``.

    Returns:
        inputs ``(trials, n_steps, 2)`` and targets ``(trials, n_steps, 1)``.

    Reference: the frequency-cued sine-wave generation task of Sussillo & Abbott
    (2009, *Neuron* 63:544).
    """
    _check_key(key)
    _check_positive(n_trials=n_trials, n_steps=n_steps, cue_steps=cue_steps)
    if cue_steps >= n_steps:
        raise ValueError(f"cue_steps ({cue_steps}) must be shorter than n_steps ({n_steps}).")
    lo, hi = f_range
    if not 0 < lo < hi:
        raise ValueError(f"f_range must satisfy 0 < low < high (cycles/step), got {f_range}.")
    return _sine_generation(key, n_trials, n_steps, (float(lo), float(hi)), cue_steps)


def sequence_classification(
    key: PRNGKeyArray,
    n_trials: int,
    *,
    n_symbols: int = 3,
    pulse_steps: int = 4,
    gap_steps: int = 4,
    response_steps: int = 10,
    noise: float = 0.1,
) -> tuple[Float[Array, " trials time channels"], Int[Array, " trials"]]:
    """Which order did the pulses come in? ``n_symbols!`` classes.

    Each of ``n_symbols`` one-hot channels pulses once (``pulse_steps`` of 1, then
    ``gap_steps`` of 0), in a random order; the label is the index of that order in
    ``itertools.permutations(range(n_symbols))`` (lexicographic). Solving it needs
    memory of the order, not just of which channels fired. Gaussian noise of std
    ``noise`` is added to every input sample.

    Returns:
        inputs ``(trials, n_symbols (pulse + gap) + response, n_symbols)`` and labels
        ``(trials,)`` in ``[0, n_symbols!)`` (chance ``1 / n_symbols!``).
    """
    _check_key(key)
    _check_positive(
        n_trials=n_trials,
        pulse_steps=pulse_steps,
        gap_steps=gap_steps,
        response_steps=response_steps,
    )
    if not 2 <= n_symbols <= 5:
        raise ValueError(f"n_symbols must be in 2..5 (n_symbols! classes), got {n_symbols}.")
    return _sequence_classification(
        key, n_trials, n_symbols, pulse_steps, gap_steps, response_steps, float(noise)
    )


# ---- jitted cores of the generators: every argument but the key is static ----


@functools.partial(jax.jit, static_argnums=tuple(range(1, 8)))
def _delayed_match_to_sample(
    key, n_trials, n_stimuli, sample_steps, delay_steps, test_steps, response_steps, noise
):
    k_sample, k_match, k_other, k_noise = jax.random.split(key, 4)
    sample = jax.random.randint(k_sample, (n_trials,), 0, n_stimuli)
    match = jax.random.bernoulli(k_match, 0.5, (n_trials,))
    shift = jax.random.randint(k_other, (n_trials,), 1, n_stimuli)
    test = jnp.where(match, sample, (sample + shift) % n_stimuli)
    t_test = sample_steps + delay_steps
    t_resp = t_test + test_steps
    total = t_resp + response_steps
    steps = jnp.arange(total)
    in_sample = (steps < sample_steps)[None, :, None]
    in_test = ((steps >= t_test) & (steps < t_resp))[None, :, None]
    channels = jnp.arange(n_stimuli)[None, None, :]
    stim = in_sample * (channels == sample[:, None, None]) + in_test * (
        channels == test[:, None, None]
    )
    fixation = jnp.broadcast_to((steps < t_resp)[None, :, None], (n_trials, total, 1))
    inputs = jnp.concatenate([stim, fixation], axis=-1).astype(jnp.result_type(float))
    inputs = inputs + noise * jax.random.normal(k_noise, inputs.shape, inputs.dtype)
    return inputs, match.astype(jnp.int32)


@functools.partial(jax.jit, static_argnums=tuple(range(1, 8)))
def _frequency_discrimination(
    key, n_trials, f_range, min_difference, stim_steps, delay_steps, response_steps, noise
):
    lo, hi = f_range
    k1, k2, kp, kn = jax.random.split(key, 4)
    f1 = jax.random.uniform(k1, (n_trials,), minval=lo, maxval=hi)
    # f2 uniform on [lo, f1 - d] U [f1 + d, hi], d = min_difference
    below = jnp.maximum(f1 - min_difference - lo, 0.0)
    above = jnp.maximum(hi - f1 - min_difference, 0.0)
    s = jax.random.uniform(k2, (n_trials,)) * (below + above)
    f2 = jnp.where(s < below, lo + s, f1 + min_difference + (s - below))
    phases = jax.random.uniform(kp, (2, n_trials), maxval=2 * math.pi)
    t = jnp.arange(stim_steps)
    burst1 = jnp.sin(2 * math.pi * f1[:, None] * t + phases[0][:, None])
    burst2 = jnp.sin(2 * math.pi * f2[:, None] * t + phases[1][:, None])
    blank = jnp.zeros((n_trials, delay_steps))
    tail = jnp.zeros((n_trials, response_steps))
    u = jnp.concatenate([burst1, blank, burst2, tail], axis=1)[..., None]
    u = u + noise * jax.random.normal(kn, u.shape, u.dtype)
    return u.astype(jnp.result_type(float)), (f1 > f2).astype(jnp.int32)


@functools.partial(jax.jit, static_argnums=tuple(range(1, 5)))
def _sine_generation(key, n_trials, n_steps, f_range, cue_steps):
    lo, hi = f_range
    f = jax.random.uniform(key, (n_trials,), minval=lo, maxval=hi)
    t = jnp.arange(n_steps)
    cue = jnp.broadcast_to(((f - lo) / (hi - lo))[:, None], (n_trials, n_steps))
    go = jnp.broadcast_to((t < cue_steps).astype(f.dtype), (n_trials, n_steps))
    after = t >= cue_steps
    target = jnp.where(after, jnp.sin(2 * math.pi * f[:, None] * (t - cue_steps)), 0.0)
    inputs = jnp.stack([cue, go], axis=-1).astype(jnp.result_type(float))
    return inputs, target[..., None].astype(jnp.result_type(float))


@functools.partial(jax.jit, static_argnums=tuple(range(1, 7)))
def _sequence_classification(
    key, n_trials, n_symbols, pulse_steps, gap_steps, response_steps, noise
):
    perms = jnp.asarray(list(itertools.permutations(range(n_symbols))))
    k_label, k_noise = jax.random.split(key)
    labels = jax.random.randint(k_label, (n_trials,), 0, perms.shape[0])
    order = perms[labels]  # (trials, n_symbols)
    slot = pulse_steps + gap_steps
    total = n_symbols * slot + response_steps
    t = jnp.arange(total)
    position = t // slot
    pulsing = (t % slot < pulse_steps) & (position < n_symbols)
    active = order[:, jnp.clip(position, 0, n_symbols - 1)]  # (trials, time)
    onehot = active[..., None] == jnp.arange(n_symbols)
    inputs = (onehot & pulsing[None, :, None]).astype(jnp.result_type(float))
    inputs = inputs + noise * jax.random.normal(k_noise, inputs.shape, inputs.dtype)
    return inputs, labels.astype(jnp.int32)


def window_logits(
    outputs: Float[Array, " trials time classes"], response_steps: int
) -> Float[Array, " trials classes"]:
    """Readout averaged over the last ``response_steps`` samples of each trial."""
    if outputs.ndim != 3:
        raise ValueError(f"outputs must have shape (trials, time, classes), got {outputs.shape}.")
    if not 1 <= response_steps <= outputs.shape[1]:
        raise ValueError(
            f"response_steps must be in 1..{outputs.shape[1]} (the trial length), "
            f"got {response_steps}."
        )
    return jnp.mean(outputs[:, -response_steps:], axis=1)


def window_cross_entropy(
    outputs: Float[Array, " trials time classes"],
    labels: Int[Array, " trials"],
    response_steps: int,
) -> Float[Array, ""]:
    r"""Mean softmax cross-entropy ``-log softmax(l)_y`` of the window-averaged logits ``l``."""
    logits = window_logits(outputs, response_steps)
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=-1))


def window_accuracy(
    outputs: Float[Array, " trials time classes"],
    labels: Int[Array, " trials"],
    response_steps: int,
) -> Float[Array, ""]:
    """Fraction of trials whose largest window-averaged logit is the label."""
    logits = window_logits(outputs, response_steps)
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)


def masked_mse(
    outputs: Float[Array, " trials time outputs"],
    targets: Float[Array, " trials time outputs"],
    mask: Float[Array, " time"] | None = None,
) -> Float[Array, ""]:
    """Mean squared error over the samples where ``mask`` (``(time,)``, 0/1 weights) is set."""
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs {outputs.shape} and targets {targets.shape} differ in shape.")
    sq = (outputs - targets) ** 2
    if mask is None:
        return jnp.mean(sq)
    w = jnp.asarray(mask, sq.dtype)[None, :, None]
    return jnp.sum(sq * w) / (jnp.sum(w) * sq.shape[0] * sq.shape[2])
