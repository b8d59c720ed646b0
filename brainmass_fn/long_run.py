"""`simulate_bold`: hours of BOLD in bounded memory, one chunk at a time.

Each chunk is one jitted call: `simulate` from the previous chunk's final `SolveState`
(state, delay history, noise state), then `bold` from the previous chunk's
Balloon-Windkessel state. The neural trace of a chunk is dropped once its BOLD
samples are out, so the memory is that of one chunk whatever the duration, and the
result equals one long run (the engine's continuation is exact; see `simulate`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import equinox as eqx
import numpy as np
from jaxtyping import Array
from tqdm.auto import tqdm

from ._timegrid import concrete_ms, whole_multiple
from .forward.bold import BalloonWindkessel, bold
from .models._base import AbstractNeuralMass
from .simulate import SolveState, Trajectory, simulate

__all__ = ["simulate_bold"]


def _first_variable(traj: Trajectory) -> Array:
    return traj.ys[:, 0]


def simulate_bold(
    model: AbstractNeuralMass,
    duration: float | Any,
    dt: float | Any,
    *,
    tr: float | Any = 2000.0,
    chunk: float | Any = 60_000.0,
    sample_period: float | Any = 1.0,
    solver: str = "heun",
    key: Array | None = None,
    y0: Array | None = None,
    drive: Callable[[Trajectory], Array] = _first_variable,
    hemodynamics: BalloonWindkessel | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """BOLD of a long run, computed chunk by chunk (memory of one chunk).

    Args:
        model: a node model or `Network` (with its noise, if any).
        duration: total simulated time, ms; a whole number of chunks.
        dt: integration step, ms.
        tr: BOLD repetition time, ms (default 2000).
        chunk: length of one chunk, ms (default 60 s); a whole multiple of ``tr``.
        sample_period: spacing of the neural samples that drive the hemodynamics, ms
            (default 1 ms; the Balloon-Windkessel model is integrated at this step).
        solver: a fixed-step solver of the engine (``"euler"``, ``"heun"``).
        key: ``jax.random`` key for the noise (the same key for every chunk: the
            stream is indexed by the global step).
        y0: initial neural state; default the model's.
        drive: the hemodynamic drive from a chunk's trajectory, ``(time, *nodes)``;
            default its first state variable (``x`` for Hopf).
        hemodynamics: Balloon-Windkessel constants (default Friston 2000).
        progress: show a progress bar (one tick per chunk).

    Returns:
        ``(times, signal)``: BOLD times (ms) ``(samples,)`` at ``tr, 2 tr, ...`` and
        the signal ``(samples, *nodes)`` as numpy arrays.
    """
    duration = concrete_ms(duration, "duration")
    dt = concrete_ms(dt, "dt")
    tr = concrete_ms(tr, "tr")
    chunk = min(concrete_ms(chunk, "chunk"), duration)
    sample_period = concrete_ms(sample_period, "sample_period")
    whole_multiple(tr, sample_period, "tr")
    whole_multiple(chunk, tr, "chunk")
    n_chunks = whole_multiple(duration, chunk, "duration")

    @eqx.filter_jit
    def one_chunk(model, start, hemo_state, key):
        traj = simulate(
            model, chunk, dt, y0=start, solver=solver, key=key, sample_period=sample_period
        )
        z = drive(traj)[:-1]  # sample i drives the hemodynamic step i -> i + 1
        signal, hemo_state = bold(
            z, sample_period, tr, hemodynamics=hemodynamics, y0=hemo_state, return_state=True
        )
        return signal, traj.final, hemo_state

    start: SolveState | Array | None = y0
    hemo_state = None
    signals = []
    for _ in tqdm(range(n_chunks), desc="chunks", disable=not progress, file=sys.stderr):
        signal, start, hemo_state = one_chunk(model, start, hemo_state, key)
        signals.append(np.asarray(signal))
    signal = np.concatenate(signals)
    times = tr * np.arange(1, signal.shape[0] + 1)
    return times, signal

