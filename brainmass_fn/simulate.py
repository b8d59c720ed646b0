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

Networks with conduction delays, and runs with noise and ``solver="euler"`` or
``"heun"``, go through a fixed-step solver (Euler or Heun, written with ``lax.scan``)
that carries the delay history and draws the noise from a ``jax.random`` key: the
blocked scheme of `brainmass_fn.delays`. There ``duration``, ``sample_period`` and
``transient`` must be whole multiples of ``dt``; the state at step ``n`` is the state
at ``t = n dt``. Undelayed noisy runs with a diffrax solver instance are diffrax SDE
solves instead (see ``noise`` in `simulate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._fixed_step import Stepper, run_blocks
from ._timegrid import concrete_ms
from .delays import DEFAULT_BLOCK
from .models._base import AbstractNeuralMass
from .network import Network
from .noise import AbstractNoise, AdditiveNoise, OUNoise
from .params import resolve
from .solvers import get_solver, is_adaptive

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


def _n_samples(duration: float, sample_period: float, transient: float) -> int:
    return int(math.floor((duration - transient) / sample_period + 1e-9)) + 1


def sample_times(duration: float, sample_period: float, transient: float = 0.0) -> Array:
    """Sample times ``transient + k * sample_period`` up to ``duration`` (ms)."""
    n = _n_samples(duration, sample_period, transient)
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
        k = np.arange(_n_samples(duration, sample_period, transient))
        index = round(first) + round(every) * k
        return jnp.asarray(grid, dtype), jnp.asarray(grid[np.minimum(index, n)], dtype)
    return jnp.asarray(grid, dtype), sample_times(duration, sample_period, transient)


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
    noise: AbstractNoise | None = None,
    key: Array | None = None,
    block: int = DEFAULT_BLOCK,
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
        adjoint: a diffrax adjoint; default ``RecursiveCheckpointAdjoint()``. The
            fixed-step solver (delays or noise) is differentiated by JAX directly
            (reverse and forward mode; see `brainmass_fn._fixed_step`).
        max_steps: step budget; default the fixed-step count, or ``max(4096,
            16 * duration / dt)`` for adaptive solvers.
        noise: a noise source (`AdditiveNoise`, `OUNoise`) for a node model; a
            `Network` carries its own in ``network.noise``. With ``solver="euler"`` or
            ``"heun"`` (names) noise runs in the fixed-step scan solver. With a diffrax
            solver instance (e.g. ``diffrax.Euler()``, ``diffrax.Heun()``,
            ``diffrax.ShARK()``), undelayed models and networks are solved as a diffrax
            SDE driven by a ``VirtualBrownianTree`` built from ``key``: `AdditiveNoise`
            adds ``sigma dW`` to its state variables; `OUNoise` augments the state with
            its process ``u`` (started at ``mean``), ``du = (mean - u) / tau dt +
            sigma dW``, and the model sees ``input + u`` on its input variables (``u``
            is not returned). Delayed networks need the fixed-step solver.
        key: ``jax.random`` key for the noise; same key, same run, bit for bit.
        block: steps per block of the fixed-step delay solver (see
            `brainmass_fn.delays`); the noise stream depends on it.

    Returns:
        A `Trajectory` with ``ts`` (ms) and ``ys`` ``(time, n_state, *nodes)``.
    """
    duration = concrete_ms(duration, "duration")
    dt = concrete_ms(dt, "dt")
    transient = concrete_ms(transient, "transient")
    sample_period = dt if sample_period is None else concrete_ms(sample_period, "sample_period")
    _check_times(duration, dt, sample_period, transient)

    model = resolve(model)
    if noise is not None and isinstance(model, Network) and model.noise is not None:
        raise ValueError(
            "Noise given twice: the Network has noise and simulate got noise=...; pass one."
        )
    net_noise = model.noise if isinstance(model, Network) else None
    delayed = isinstance(model, Network) and model.has_delays
    sde_noise = noise if noise is not None else net_noise
    if sde_noise is not None and not delayed and isinstance(solver, diffrax.AbstractSolver):
        # a diffrax SDE driven by a VirtualBrownianTree (see _sde_terms)
        if key is None:
            raise ValueError("This run has noise: pass key=jax.random.key(seed).")
    elif noise is not None or net_noise is not None or delayed:
        if adjoint is not None:
            raise ValueError(
                "adjoint applies to diffrax solves; delayed or noisy runs use the fixed-step "
                "scan solver, which JAX differentiates directly (pass adjoint=None)."
            )
        return _simulate_fixed(
            model,
            duration,
            dt,
            y0=y0,
            solver=solver,
            sample_period=sample_period,
            transient=transient,
            stimulus=stimulus,
            args=args,
            noise=noise,
            key=key,
            block=block,
        )
    y0 = model.initial_state() if y0 is None else jnp.asarray(y0, dtype=jnp.result_type(float))
    if y0.shape[0] != model.n_state:
        raise ValueError(
            f"y0 has shape {y0.shape}; its first axis must hold the {model.n_state} state "
            f"variables {model.state_names}."
        )
    nodes = y0.shape[1:]
    zero = model.zero_input(nodes)

    def drift(t, x, args, noise_input=None):
        drive = zero if stimulus is None else zero + jnp.asarray(stimulus(t))
        if noise_input is not None:
            drive = drive + noise_input
        return model.vector_field(t, x, drive, args)

    if sde_noise is None:
        terms: diffrax.AbstractTerm = diffrax.ODETerm(lambda t, x, args: drift(t, x, args))
        state0 = y0
    else:
        node = model.node if isinstance(model, Network) else model
        terms, state0 = _sde_terms(
            resolve(sde_noise), node, drift, y0, duration, dt, key, get_solver(solver)
        )

    adaptive = is_adaptive(solver)
    n_fixed = int(math.ceil(duration / dt - 1e-9))
    if max_steps is None:
        max_steps = max(4096, 16 * n_fixed) if adaptive else n_fixed + 1
    if adaptive:
        controller = diffrax.PIDController(rtol=rtol, atol=atol)
        dt0, ts = dt, sample_times(duration, sample_period, transient)
    else:
        steps, ts = _step_grid(duration, dt, sample_period, transient)
        controller, dt0 = diffrax.StepTo(ts=steps), None
    solution = diffrax.diffeqsolve(
        terms,
        get_solver(solver),
        t0=0.0,
        t1=duration,
        dt0=dt0,
        y0=state0,
        args=args,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=controller,
        adjoint=diffrax.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
        max_steps=max_steps,
    )
    ys = solution.ys[0] if isinstance(solution.ys, tuple) else solution.ys  # drop OU rows
    return Trajectory(ts=solution.ts, ys=ys, state_names=model.state_names)


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
    duration: float,
    dt: float,
    key: Array,
    solver: diffrax.AbstractSolver,
) -> tuple[diffrax.MultiTerm, Any]:
    """Drift and diffusion terms, and the initial state, of the diffrax SDE for ``noise``.

    `AdditiveNoise`: ``dx = f(t, x, I) dt + sigma dW`` on its rows of ``x``.
    `OUNoise`: the state is ``(x, u)`` with ``u`` (``(n_selected, *nodes)``, started at
    ``mean``) the Ornstein-Uhlenbeck input, ``dx = f(t, x, I + place(u)) dt`` and
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
            0.0,
            duration,
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
        u0 = jnp.broadcast_to(jnp.asarray(noise.mean, dtype), shape)
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


def _whole_steps(value: float, dt: float, name: str) -> int:
    n = round(value / dt)
    if abs(n * dt - value) > 1e-6 * max(dt, abs(value)):
        raise ValueError(
            f"{name} ({value} ms) must be a whole number of steps of dt = {dt} ms for the "
            "fixed-step (delay/noise) solver."
        )
    return int(n)


def _simulate_fixed(
    model: AbstractNeuralMass,
    duration: float,
    dt: float,
    *,
    y0: ArrayLike | None,
    solver: Any,
    sample_period: float,
    transient: float,
    stimulus: Callable[[Array], ArrayLike] | None,
    args: Any,
    noise: AbstractNoise | None,
    key: Array | None,
    block: int,
) -> Trajectory:
    """Fixed-step Euler/Heun solve with a delay history and noise (see `delays`)."""
    name = solver.lower() if isinstance(solver, str) else None
    if name not in ("euler", "heun"):
        raise ValueError(
            f"Delayed or noisy runs use the fixed-step solver, which supports solver='euler' "
            f"or 'heun'; got {solver!r}."
        )
    heun = name == "heun"
    if int(block) != block or block < 1:
        raise ValueError(f"block must be a positive integer number of steps, got {block}.")
    block = int(block)
    n_steps = _whole_steps(duration, dt, "duration")
    every = _whole_steps(sample_period, dt, "sample_period")
    first = _whole_steps(transient, dt, "transient")

    net = model if isinstance(model, Network) else None
    node = net.node if net is not None else model
    noise = net.noise if net is not None and net.noise is not None else noise
    if noise is not None and key is None:
        raise ValueError(
            "This run has noise: pass key=jax.random.key(seed) (the same key gives the same run)."
        )
    y0 = model.initial_state() if y0 is None else jnp.asarray(y0, dtype=jnp.result_type(float))
    if y0.shape[0] != node.n_state:
        raise ValueError(
            f"y0 has shape {y0.shape}; its first axis must hold the {node.n_state} state "
            f"variables {node.state_names}."
        )
    if net is not None and y0.shape[1:] != (net.n_nodes,):
        raise ValueError(f"y0 must have shape ({node.n_state}, {net.n_nodes}), got {y0.shape}.")
    nodes = y0.shape[1:]
    dtype = y0.dtype
    plan = net.delay_plan(dt, block, heun) if net is not None and net.has_delays else None
    n_blocks = -(-n_steps // block)
    stepper = Stepper(
        plan=plan,
        dt=dt,
        block=block,
        heun=heun,
        n_blocks=n_blocks,
        n_draws=0 if noise is None else noise.n_draws(node),
        nodes=nodes,
        stimulus=stimulus,
    )
    u0 = jnp.zeros((0,), dtype)
    if noise is not None:
        u0 = noise.init(node, nodes[0] if nodes else 1, dtype)
        u0 = u0 if nodes else u0[:, 0]
    g0 = net.coupled_values(y0) if plan is not None else None
    taps = net.tap_weights(plan, dt) if plan is not None else None
    xs = run_blocks(stepper, model, noise, args, y0, u0, g0, taps, key)
    xs = xs.reshape((n_blocks * block, *y0.shape))
    ts = sample_times(duration, sample_period, transient)
    # samples are steps first + every * k; xs[m] is the state after step m + 1 (static
    # strided slices, not a gather)
    last = first + every * (ts.shape[0] - 1)
    if first == 0:
        ys = jnp.concatenate([y0[None], xs[every - 1 : last : every]])
    else:
        ys = xs[first - 1 : last : every]
    return Trajectory(ts=ts.astype(dtype), ys=ys, state_names=node.state_names)
