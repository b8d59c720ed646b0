r"""Evoked responses: a network at rest, a stimulus at one time, the sensors' reply.

An evoked potential (a TMS-evoked EEG response, a sensory ERP) is the sensor signal
locked to a stimulus at ``t = onset``, baseline-corrected:

$$
\mathrm{EP}(\tau) = g\,G\,\bigl(s(\mathrm{onset} + \tau) - \bar s_{\mathrm{pre}}\bigr),
\qquad \tau = 0, \Delta, \dots, \mathrm{duration},
$$

with ``s(t)`` the region sources (Jansen-Rit: ``y1 - y2``, mV), ``G`` the lead field
(sensors x regions), ``g`` a scalar gain and ``\bar s_pre`` the mean source over the
``baseline`` ms before the onset (the usual ERP baseline correction; Luck 2014, ch. 7).
Everything is differentiable: the network's parameters, the stimulus' amplitude,
timing (with a smooth edge) and targeting weights, the gain and the lead field.

The network must settle before the onset: `evoked_response` simulates from ``y0``
(default the model's initial state) for ``onset`` ms, so pass a rest state from a
first long run (``simulate(...).final``) or choose ``onset`` long enough. Whether the
network is at rest is checked by `resting_drift`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .forward.eeg import jansen_rit_source
from .simulate import Trajectory, simulate

__all__ = ["evoked_response", "resting_drift", "sphere_montage"]


def _sample_index(t: float, sample_period: float, name: str) -> int:
    k = round(t / sample_period)
    if abs(k * sample_period - t) > 1e-9 * max(1.0, abs(t)):
        raise ValueError(
            f"{name} = {t} ms must be a whole number of sample periods ({sample_period} ms)."
        )
    return k


def evoked_response(
    network: Any,
    stimulus: Any,
    gain: Float[ArrayLike, " sensors regions"],
    *,
    onset: float,
    duration: float,
    dt: float,
    sample_period: float = 1.0,
    baseline: float = 50.0,
    scale: Float[ArrayLike, ""] = 1.0,
    source: Callable[[Trajectory], Float[Array, " time regions"]] = jansen_rit_source,
    **simulate_kwargs: Any,
) -> Float[Array, " time sensors"]:
    r"""The baseline-corrected sensor response to ``stimulus``, from its onset on.

    Args:
        network: a `brainmass_fn.Network` (or a single model).
        stimulus: a stimulus of the network's input shape (e.g.
            ``Biphasic(20.0, onset=onset, width=4.0).at(network, regions=[0])``); it
            should switch on at ``onset``.
        gain: lead field ``G``, shape (sensors, regions); reference it beforehand
            (``G - G.mean(0)`` for an average reference).
        onset: stimulus onset, ms from the start of the run; the run settles until then.
        duration: length of the response after the onset, ms.
        dt: integration step, ms.
        sample_period: sampling period of the response, ms (1.0 = 1 kHz).
        baseline: length of the pre-stimulus window whose mean is subtracted, ms
            (``0`` subtracts the last pre-stimulus sample).
        scale: the scalar gain ``g`` (e.g. a fitted `Param`).
        source: the region source of a trajectory, default Jansen-Rit's ``y1 - y2``.
        **simulate_kwargs: passed to `brainmass_fn.simulate` (``solver``, ``y0``,
            ``noise``, ``key``, ...).

    Returns:
        ``(n, sensors)`` with ``n = duration / sample_period + 1`` samples, the first
        at the onset (lag 0).
    """
    k_onset = _sample_index(onset, sample_period, "onset")
    k_duration = _sample_index(duration, sample_period, "duration")
    k_base = _sample_index(baseline, sample_period, "baseline")
    if k_onset < 1 or k_duration < 1:
        raise ValueError(
            f"onset ({onset} ms) and duration ({duration} ms) must both be at least one "
            f"sample period ({sample_period} ms)."
        )
    if k_base > k_onset:
        raise ValueError(
            f"baseline ({baseline} ms) is longer than the pre-stimulus run (onset = {onset} "
            "ms); shorten the baseline or start the stimulus later."
        )
    traj = simulate(
        network,
        onset + duration,
        dt,
        stimulus=stimulus,
        sample_period=sample_period,
        **simulate_kwargs,
    )
    sources = source(traj)
    pre = sources[k_onset - k_base : k_onset + 1]
    reference = pre.mean(axis=0)
    gain = jnp.asarray(gain)
    if gain.ndim != 2 or gain.shape[1] != sources.shape[-1]:
        raise ValueError(
            f"gain must be (sensors, regions) with {sources.shape[-1]} regions, got {gain.shape}."
        )
    return (sources[k_onset:] - reference) @ gain.T * scale


def resting_drift(
    network: Any,
    *,
    duration: float,
    dt: float,
    sample_period: float = 1.0,
    source: Callable[[Trajectory], Float[Array, " time regions"]] = jansen_rit_source,
    **simulate_kwargs: Any,
) -> float:
    """Largest change of any region's source over an unstimulated run, same units.

    Near zero (say below 1e-3 mV for Jansen-Rit) means the network sits at a stable
    rest state: the pre-stimulus baseline is flat and the evoked response is the
    stimulus' doing. A large value means it oscillates or is still settling: give a
    longer settling run, or parameters with a stable fixed point.
    """
    traj = simulate(network, duration, dt, sample_period=sample_period, **simulate_kwargs)
    sources = np.asarray(source(traj))
    return float(np.abs(sources - sources[0]).max())


def sphere_montage(
    n_regions: int,
    n_sensors: int,
    *,
    seed: int = 0,
    source_radius: float = 70.0,
    head_radius: float = 90.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A synthetic head: random region centres and electrodes on an upper hemisphere.

    For demos and tests when no real geometry is at hand (use real centres,
    orientations and electrode positions, or a gain from MNE, for real data).
    Positions are random points on the upper halves (``z > 0``) of two concentric
    spheres, in mm, like a cap of electrodes over the cortex; dipoles are radial.

    Returns:
        ``(centres, orientations, sensors)``: (n_regions, 3) mm, (n_regions, 3) unit,
        (n_sensors, 3) mm, ready for `brainmass_fn.eeg_lead_field` with
        ``conductor="sphere"``.
    """
    if not 0 < source_radius < head_radius:
        raise ValueError(
            f"need 0 < source_radius ({source_radius} mm) < head_radius ({head_radius} mm)."
        )
    rng = np.random.default_rng(seed)

    def upper_sphere(n: int, radius: float) -> np.ndarray:
        v = rng.normal(size=(n, 3))
        v[:, 2] = np.abs(v[:, 2]) + 0.3
        return radius * v / np.linalg.norm(v, axis=1, keepdims=True)

    centres = upper_sphere(n_regions, source_radius)
    sensors = upper_sphere(n_sensors, head_radius)
    return centres, centres / source_radius, sensors
