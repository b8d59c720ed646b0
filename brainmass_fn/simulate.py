"""Run a node model through a `diffrax` solve and return named, sampled traces.

``simulate`` integrates ``d state/dt = model.vector_field(t, state, input(t))`` from
``t = 0`` to ``duration`` (ms), keeps samples every ``sample_period`` ms from
``transient`` on, and returns a `Trajectory`. It is a pure function of the model's
parameters: wrap it in ``jax.jit``, ``jax.vmap`` over a batch of models, or
``jax.grad`` a loss of its output. Gradients flow through the solver by
``diffrax.RecursiveCheckpointAdjoint`` (exact discretise-then-optimise backprop with
checkpointing) unless another adjoint is passed.

Time grid: samples sit at ``transient + k * sample_period`` for
``k = 0 .. floor((duration - transient) / sample_period)``, both ends included.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .models._base import AbstractNeuralMass
from .params import resolve
from .solvers import get_solver, is_adaptive
from .units import to_canonical

__all__ = ["Trajectory", "simulate", "sample_times"]


class Trajectory(eqx.Module):
    """Sampled solution: a time axis (ms) and the state at each sample.

    ``traj["x"]`` is the trace of state variable ``x``, shape ``(time, *nodes)``.
    """

    ts: Float[Array, " time"]
    ys: Float[Array, " time state *nodes"]
    state_names: tuple[str, ...] = eqx.field(static=True)

    def __getitem__(self, name: str) -> Float[Array, " time *nodes"]:
        if name not in self.state_names:
            raise KeyError(f"No state variable {name!r}; this trajectory has {self.state_names}.")
        return self.ys[:, self.state_names.index(name)]

    @property
    def sample_period(self) -> float:
        """Spacing of the samples, ms."""
        return float(self.ts[1] - self.ts[0])


def _concrete_ms(value: Any, name: str) -> float:
    value = to_canonical(value, "ms", name)
    try:
        return float(value)
    except (TypeError, jax.errors.ConcretizationTypeError):
        raise TypeError(
            f"{name} sets the size of the time grid, so it must be a concrete number, "
            "not a traced array; pass it as a Python float outside jit/vmap/grad."
        ) from None


def sample_times(duration: float, sample_period: float, transient: float = 0.0) -> Array:
    """Sample times ``transient + k * sample_period`` up to ``duration`` (ms)."""
    n = int(math.floor((duration - transient) / sample_period + 1e-9)) + 1
    return transient + sample_period * jnp.arange(n, dtype=jnp.result_type(float))


def _check_times(duration: float, dt: float, sample_period: float, transient: float) -> None:
    if not dt > 0:
        raise ValueError(f"dt must be > 0 ms, got {dt}.")
    if not duration > 0:
        raise ValueError(f"duration must be > 0 ms, got {duration}.")
    if dt > duration:
        raise ValueError(f"dt ({dt} ms) is longer than the duration ({duration} ms).")
    if not 0 <= transient < duration:
        raise ValueError(
            f"transient must be in [0, duration) = [0, {duration}) ms, got {transient}."
        )
    if not sample_period > 0:
        raise ValueError(f"sample_period must be > 0 ms, got {sample_period}.")


def simulate(
    model: AbstractNeuralMass,
    duration: float | Any,
    dt: float | Any,
    *,
    y0: ArrayLike | None = None,
    solver: str | diffrax.AbstractSolver = "heun",
    sample_period: float | Any | None = None,
    transient: float | Any = 0.0,
    stimulus: Callable[[Array], ArrayLike] | None = None,
    args: Any = None,
    adjoint: diffrax.AbstractAdjoint | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    max_steps: int | None = None,
) -> Trajectory:
    """Integrate ``model`` and return its sampled trajectory.

    Args:
        model: a node model (its `Param` fields are resolved to values).
        duration: simulated time, ms (or a pint time quantity).
        dt: step for fixed-step solvers, first step for adaptive ones, ms.
        y0: initial state ``(n_state, *nodes)``; default ``model.initial_state()``.
        solver: ``"euler"``, ``"heun"``, ``"rk4"`` (fixed step) or ``"tsit5"``,
            ``"dopri5"`` (adaptive, PID controller with ``rtol``/``atol``), or a
            diffrax solver instance.
        sample_period: spacing of the saved samples, ms; default ``dt``.
        transient: initial stretch to drop, ms; samples start at ``transient``.
        stimulus: external input ``t -> (n_input, *nodes)`` array (or broadcastable).
        args: passed to ``model.vector_field``.
        adjoint: a diffrax adjoint; default ``RecursiveCheckpointAdjoint()``.
        max_steps: step budget; default the fixed-step count, or ``max(4096,
            16 * duration / dt)`` for adaptive solvers.

    Returns:
        A `Trajectory` with ``ts`` (ms) and ``ys`` ``(time, n_state, *nodes)``.
    """
    duration = _concrete_ms(duration, "duration")
    dt = _concrete_ms(dt, "dt")
    transient = _concrete_ms(transient, "transient")
    sample_period = dt if sample_period is None else _concrete_ms(sample_period, "sample_period")
    _check_times(duration, dt, sample_period, transient)

    model = resolve(model)
    y0 = model.initial_state() if y0 is None else jnp.asarray(y0, dtype=jnp.result_type(float))
    if y0.shape[0] != model.n_state:
        raise ValueError(
            f"y0 has shape {y0.shape}; its first axis must hold the {model.n_state} state "
            f"variables {model.state_names}."
        )
    nodes = y0.shape[1:]
    zero = model.zero_input(nodes)

    def vector_field(t, y, args):
        drive = zero if stimulus is None else zero + jnp.asarray(stimulus(t))
        return model.vector_field(t, y, drive, args)

    adaptive = is_adaptive(solver)
    n_fixed = int(math.ceil(duration / dt - 1e-9))
    if max_steps is None:
        max_steps = max(4096, 16 * n_fixed) if adaptive else n_fixed + 1
    controller = (
        diffrax.PIDController(rtol=rtol, atol=atol) if adaptive else diffrax.ConstantStepSize()
    )
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(vector_field),
        get_solver(solver),
        t0=0.0,
        t1=duration,
        dt0=dt,
        y0=y0,
        args=args,
        saveat=diffrax.SaveAt(ts=sample_times(duration, sample_period, transient)),
        stepsize_controller=controller,
        adjoint=diffrax.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
        max_steps=max_steps,
    )
    return Trajectory(ts=solution.ts, ys=solution.ys, state_names=model.state_names)
