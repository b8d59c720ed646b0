"""An undelayed run through `diffrax.diffeqsolve`: ODE, or SDE with noise, with its
adjoints; adaptive solvers with a PID controller, the others on the grid of ``dt``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import diffrax
import jax
import jax.numpy as jnp
import lineax
import numpy as np
from jaxtyping import Array, Float

from .models._base import AbstractNeuralMass
from .noise import AbstractNoise, AdditiveNoise, OUNoise
from .solvers import is_adaptive

if TYPE_CHECKING:
    from .simulate import SolveState

__all__ = ["solve_diffrax", "n_samples", "sample_times"]


def n_samples(duration: float, sample_period: float, transient: float) -> int:
    """Samples at ``transient + k sample_period`` up to ``duration``, both ends included."""
    return int(math.floor((duration - transient) / sample_period + 1e-9)) + 1


def sample_times(duration: float, sample_period: float, transient: float = 0.0) -> Array:
    """Sample times ``transient + k * sample_period`` up to ``duration`` (ms)."""
    n = n_samples(duration, sample_period, transient)
    return transient + sample_period * jnp.arange(n, dtype=jnp.result_type(float))


def _step_grid(
    duration: float, dt: float, sample_period: float, transient: float
) -> tuple[Array, Array]:
    """Step times ``0, dt, 2 dt, ..., duration`` of a fixed-step diffrax solve, and the
    sample times; samples on the step grid are taken *from* it, bit for bit.

    diffrax 0.7.2's ``RecursiveCheckpointAdjoint`` loses a sample's cotangent when its
    save time lies a rounding error past a step end (``0.1 * 19`` against nineteen
    accumulated steps of ``0.1``), silently giving a wrong gradient; stepping to these
    exact times (``diffrax.StepTo``) makes saves and steps coincide exactly.
    """
    n = int(math.ceil(duration / dt - 1e-9))
    grid = dt * np.arange(n + 1, dtype=np.float64)
    grid[-1] = duration
    dtype = jnp.result_type(float)
    every, first = sample_period / dt, transient / dt
    if abs(every - round(every)) < 1e-9 and abs(first - round(first)) < 1e-9:
        k = np.arange(n_samples(duration, sample_period, transient))
        index = round(first) + round(every) * k
        return jnp.asarray(grid, dtype), jnp.asarray(grid[np.minimum(index, n)], dtype)
    return jnp.asarray(grid, dtype), sample_times(duration, sample_period, transient)


def solve_diffrax(
    model: AbstractNeuralMass,
    node: AbstractNeuralMass,
    noise: AbstractNoise | None,
    solver: diffrax.AbstractSolver,
    *,
    duration: float,
    dt: float,
    sample_period: float,
    transient: float,
    y0: Array,
    start: SolveState | None,
    stimulus: Callable[[Array], Any] | None,
    args: Any,
    adjoint: diffrax.AbstractAdjoint | None,
    rtol: float | None,
    atol: float | None,
    max_steps: int | None,
    key: Array | None,
    throw: bool,
) -> tuple[Array, Array, Array, SolveState]:
    """Samples ``(ts, ys)``, whether diffrax reported a failure (a bool array) and the
    final state.

    ``model`` is what is integrated (a node model or an undelayed `Network`), ``node``
    its node model (the variables noise enters). From a ``start`` state the solve runs
    over ``[start.t, start.t + duration]``.
    """
    from .simulate import SolveState

    zero = model.zero_input(y0.shape[1:])
    dtype = y0.dtype
    t0 = jnp.zeros((), dtype) if start is None else jnp.asarray(start.t, dtype)
    step0 = jnp.zeros((), jnp.int32) if start is None else start.step
    if key is not None and start is not None:
        key = jax.random.fold_in(key, start.step)  # a new Brownian stretch, never a repeat
    u0 = None if start is None or not start.noise.size else start.noise

    # the model and stimulus travel in diffrax's args, not in a closure: adjoints that
    # differentiate only explicit inputs (BacksolveAdjoint) then see their parameters
    def drift(t, x, packed, noise_input=None):
        model, stimulus, args = packed
        drive = zero if stimulus is None else zero + jnp.asarray(stimulus(t))
        if noise_input is not None:
            drive = drive + noise_input
        return model.vector_field(t, x, drive, args)

    if noise is None:
        terms: diffrax.AbstractTerm = diffrax.ODETerm(lambda t, x, args: drift(t, x, args))
        state0 = y0
    else:
        assert key is not None, "simulate requires a key with noise"
        terms, state0 = _sde_terms(noise, node, drift, y0, u0, t0, duration, dt, key, solver)

    adaptive = is_adaptive(solver)
    n_fixed = int(math.ceil(duration / dt - 1e-9))
    if max_steps is None:
        max_steps = max(4096, 16 * n_fixed) if adaptive else n_fixed + 1
    if adaptive:
        controller = diffrax.PIDController(
            rtol=1e-6 if rtol is None else rtol, atol=1e-8 if atol is None else atol
        )
        dt0, ts = dt, t0 + sample_times(duration, sample_period, transient)
    else:
        steps, ts = _step_grid(duration, dt, sample_period, transient)
        steps, ts = t0 + steps, t0 + ts  # the same sum: samples stay on the steps
        controller, dt0 = diffrax.StepTo(ts=steps), None
    solution = diffrax.diffeqsolve(
        terms,
        solver,
        t0=t0,
        t1=t0 + duration,
        dt0=dt0,
        y0=state0,
        args=(model, stimulus, args),
        saveat=diffrax.SaveAt(ts=ts, t1=True),  # the samples, then the end state
        stepsize_controller=controller,
        adjoint=diffrax.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
        max_steps=max_steps,
        throw=False,  # `simulate` raises, with a message that says what went wrong
    )
    assert solution.ts is not None and solution.ys is not None  # SaveAt(ts=...) fills them
    ys, u = solution.ys if isinstance(solution.ys, tuple) else (solution.ys, None)
    failed = solution.result != diffrax.RESULTS.successful
    final = SolveState(
        y=ys[-1],
        step=step0 + round(duration / dt),
        t=solution.ts[-1],
        history=jnp.zeros((0,), dtype),
        noise=jnp.zeros((0,), dtype) if u is None else u[-1],
        dt=dt,
        phase=0,
        layout="diffrax",
    )
    return solution.ts[:-1], ys[:-1], failed, final


class _OUDiffusion(diffrax.AbstractTerm):
    """Diffusion of the state ``(x, u)``: ``(dx, du) = (0, sigma dW)``, with ``W`` of the
    shape of ``u`` (no Brownian motion is drawn for ``x``)."""

    sigma: Float[Array, " inputs *nodes"]
    control: diffrax.AbstractBrownianPath

    def vf(self, t, y, args):
        return jnp.zeros_like(y[0]), self.sigma

    def contr(self, t0, t1, **kwargs):
        return self.control.evaluate(t0, t1, **kwargs)

    def prod(self, vf, control):
        return vf[0], vf[1] * control


def _sde_terms(
    noise: AbstractNoise,
    node: AbstractNeuralMass,
    drift: Callable[..., Array],
    y0: Float[Array, " state *nodes"],
    u0: Array | None,
    t0: Array,
    duration: float,
    dt: float,
    key: Array,
    solver: diffrax.AbstractSolver,
) -> tuple[diffrax.MultiTerm, Any]:
    """Drift and diffusion terms, and the initial state, of the diffrax SDE for ``noise``
    over ``[t0, t0 + duration]``.

    `AdditiveNoise`: ``dx = f(t, x, I) dt + sigma dW`` on its rows of ``x``.
    `OUNoise`: the state is ``(x, u)`` with ``u`` (``(n_selected, *nodes)``, started at
    ``u0``, default ``mean``) the Ornstein-Uhlenbeck input, ``dx = f(t, x, I + place(u)) dt`` and
    ``du = (mean - u) / tau dt + sigma dW``; the Brownian motion has the shape of ``u``.
    ``drift(t, x, args, noise_input)`` is ``f`` with the stimulus ``I`` added.
    """
    nodes, dtype = y0.shape[1:], y0.dtype
    # the cheapest Brownian increment the solver accepts (ShARK needs space-time Levy area)
    need = getattr(solver, "minimal_levy_area", diffrax.AbstractBrownianIncrement)
    levies = (diffrax.BrownianIncrement, diffrax.SpaceTimeLevyArea, diffrax.SpaceTimeTimeLevyArea)
    levy = next(c for c in levies if issubclass(c, need))

    def brownian(shape: tuple[int, ...]) -> diffrax.VirtualBrownianTree:
        return diffrax.VirtualBrownianTree(
            t0,
            t0 + duration,
            tol=dt / 2,
            shape=jax.ShapeDtypeStruct(shape, dtype),
            key=key,
            levy_area=levy,
        )

    if isinstance(noise, AdditiveNoise):
        rows = noise.rows(node)
        mask = jnp.asarray([1.0 if r in rows else 0.0 for r in range(node.n_state)], dtype)
        diffusion = jnp.broadcast_to(
            mask.reshape((-1,) + (1,) * len(nodes)) * noise.sigma, y0.shape
        ).astype(dtype)
        return diffrax.MultiTerm(
            diffrax.ODETerm(lambda t, x, args: drift(t, x, args)),
            diffrax.ControlTerm(
                lambda t, x, args: lineax.DiagonalLinearOperator(diffusion), brownian(y0.shape)
            ),
        ), y0
    if isinstance(noise, OUNoise):
        shape = (noise.n_draws(node), *nodes)
        u0 = jnp.broadcast_to(jnp.asarray(noise.mean if u0 is None else u0, dtype), shape)
        sigma = jnp.broadcast_to(noise.sigma, shape).astype(dtype)

        def field(t, y, args):
            x, u = y
            return drift(t, x, args, noise.drive(node, u)), (noise.mean - u) / noise.tau

        return diffrax.MultiTerm(diffrax.ODETerm(field), _OUDiffusion(sigma, brownian(shape))), (
            y0,
            u0,
        )
    raise ValueError(
        f"A diffrax solver instance solves an SDE with AdditiveNoise or OUNoise, got "
        f"{type(noise).__name__}; use solver='euler' or 'heun' (the fixed-step solver)."
    )
