"""`simulate`: the one entry point of every run; it validates the combination of
arguments and picks the solve path from the solver's type.

- **Fixed-step solvers of this package** (``"euler"``, ``"heun"``, ``"rk4"``, or
  `brainmass_fn.solvers.Euler()` / `Heun()` / `RK4()`) run on the package's own scan
  engine (`brainmass_fn._engine`) for every fixed-grid run: with or without
  conduction delays, noise or a stimulus. ``duration``, ``sample_period`` and
  ``transient`` are whole multiples of ``dt``; the state at step ``n`` is the state at
  ``t = n dt``. JAX differentiates the scan directly (reverse and forward mode).
- **diffrax solvers** (``"tsit5"``, ``"dopri5"``, ``"kvaerno5"`` or any
  ``diffrax.AbstractSolver`` instance) run through ``diffrax.diffeqsolve`` with its
  adjoints (``RecursiveCheckpointAdjoint`` by default), as an ODE or, with noise, an
  SDE driven by a ``VirtualBrownianTree``; undelayed runs only.

Arguments that do not apply to the chosen path are errors, not ignored. By default
(``throw=True``) a run whose state becomes NaN or inf raises `SimulationDiverged`
naming the time, the variable and the node; with ``throw=False`` the trajectory comes
back with ``traj.result`` (0: finished, 1: not finite, 2: diffrax failed), under
``jit``, ``vmap`` (one code per member) and ``grad``.

Time grid: samples sit at ``transient + k * sample_period`` for
``k = 0 .. floor((duration - transient) / sample_period)``, both ends included.

Continuation: a trajectory carries its final `SolveState` (state, time, delay
history, noise state) in ``traj.final``; ``simulate(..., y0=traj.final)`` continues
the run, and its time axis goes on from where the first run ended. On the engine the
continuation is exact, with the same key (the noise stream is indexed by the global
step). On diffrax an ODE continues from the same state and time (equal to one long run
within the solver's tolerance); an SDE draws the Brownian path of the new stretch from
``fold_in(key, step)``, so the same key never repeats the first stretch's increments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer
from jaxtyping import Array, ArrayLike, Float, Int

from ._diffrax_solve import sample_times, solve_diffrax
from ._engine._solve import solve_fixed
from ._timegrid import concrete_ms
from .models._base import AbstractNeuralMass
from .network import Network
from .noise import AbstractNoise
from .params import resolve
from .solvers import AbstractFixedStepSolver, get_solver, is_adaptive
from .units import TimeLike

__all__ = [
    "Trajectory",
    "SolveState",
    "SimulationDiverged",
    "simulate",
    "sample_times",
    "RESULT_FINISHED",
    "RESULT_NOT_FINITE",
    "RESULT_SOLVER_FAILED",
]

#: ``Trajectory.result`` codes
RESULT_FINISHED, RESULT_NOT_FINITE, RESULT_SOLVER_FAILED = 0, 1, 2


class SimulationDiverged(FloatingPointError):
    """The state of a run became NaN or inf (see the message for where and when)."""


class SolveState(eqx.Module):
    """Where a run ended, to continue it (``y0=traj.final``): exactly on the scan
    engine; on diffrax from the same state and time (an SDE draws a new Brownian path).

    Attributes:
        y: the state ``(n_state, *nodes)`` at the end.
        step: steps of ``dt`` taken since the first run's ``t = 0`` (diffrax runs: the
            nearest whole number of ``dt``).
        t: time at the end, ms (``step * dt`` on the engine).
        history: the delay history, coupled values ``(channels, N, L)`` of the last
            ``L`` steps (empty without delays).
        noise: the noise's own state, e.g. the Ornstein-Uhlenbeck input (empty if none).
        dt: the step, ms; phase: ``step mod block``; layout: the solver, block and
            delay layout the history is stored in (static; ``"diffrax"`` for a diffrax
            run).
    """

    y: Float[Array, " state *nodes"]
    step: Int[Array, ""]
    t: Float[Array, ""]
    history: Array
    noise: Array
    dt: float = eqx.field(static=True)
    phase: int = eqx.field(static=True)
    layout: str = eqx.field(static=True)


class Trajectory(eqx.Module):
    """Sampled solution: a time axis (ms) and the state at each sample.

    ``traj["x"]`` is the trace of state variable ``x``, shape ``(time, *nodes)``.
    ``final`` is the `SolveState` to continue from; ``result`` 0 when the run finished
    with finite values, 1 when the state became NaN or inf, 2 when a diffrax solve
    failed (``throw=False`` only).
    """

    ts: Float[Array, " time"]
    ys: Float[Array, " time state *nodes"]
    state_names: tuple[str, ...] = eqx.field(static=True)
    final: SolveState | None = None
    result: Int[Array, ""] | None = None

    def __getitem__(self, name: str) -> Float[Array, " time *nodes"]:
        if name not in self.state_names:
            raise KeyError(f"No state variable {name!r}; this trajectory has {self.state_names}.")
        return self.ys[:, self.state_names.index(name)]

    @property
    def sample_period(self) -> float:
        """Spacing of the samples, ms."""
        return float(self.ts[1] - self.ts[0])

    @property
    def ok(self) -> Array:
        """True where the run finished with finite values."""
        return jnp.asarray(self.result == RESULT_FINISHED)


#: the most steps one run takes (step counters are 32-bit integers)
_MAX_STEPS = 2**31 - 1


def _check_times(duration: float, dt: float, sample_period: float, transient: float) -> None:
    for name, value in (("duration", duration), ("dt", dt), ("sample_period", sample_period)):
        if not np.isfinite(value) or not value > 0:
            raise ValueError(f"{name} must be > 0 ms and finite, got {value}.")
    if dt > duration:
        raise ValueError(f"dt ({dt} ms) is longer than the duration ({duration} ms).")
    biggest = float(jnp.finfo(jnp.result_type(float)).max)
    if duration > biggest:
        raise ValueError(
            f"duration ({duration} ms) overflows {jnp.result_type(float)} (largest "
            f"{biggest:.3g}); shorten it or run inside jax.enable_x64(True)."
        )
    if duration / dt > _MAX_STEPS:
        raise ValueError(
            f"duration / dt = {duration / dt:.3g} steps is more than a run can count "
            f"({_MAX_STEPS}); raise dt (ms) or shorten the duration."
        )
    if not 0 <= transient < duration:
        raise ValueError(
            f"transient must be in [0, duration) = [0, {duration}) ms, got {transient}."
        )


def _check_combination(
    solver: AbstractFixedStepSolver | diffrax.AbstractSolver,
    *,
    delayed: bool,
    noise: AbstractNoise | None,
    start: SolveState | None,
    adjoint: Any,
    rtol: Any,
    atol: Any,
    max_steps: Any,
    block: Any,
    key: Any,
) -> None:
    """Reject every argument that the chosen path would ignore, saying what to use."""
    if isinstance(solver, AbstractFixedStepSolver):
        given = [
            n
            for n, v in (("rtol", rtol), ("atol", atol), ("max_steps", max_steps))
            if v is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to adaptive diffrax solvers; {solver!r} takes "
                f"fixed steps of dt. Drop them, or pass solver='tsit5' (or a diffrax solver)."
            )
        if adjoint is not None:
            raise ValueError(
                f"adjoint applies to diffrax solves; {solver!r} runs on the package's scan "
                "engine, which JAX differentiates directly. Drop adjoint=, or pass a diffrax "
                "solver instance (e.g. diffrax.Heun()) to solve with diffrax."
            )
        if delayed and not solver.delays_supported:
            raise ValueError(
                f"{solver!r} evaluates between the steps, where a delayed read has no values; "
                "a network with conduction delays needs solver='euler' or 'heun'."
            )
        if noise is not None and not solver.noise_supported:
            raise ValueError(
                f"{solver!r} has no stochastic form here; with noise use solver='euler' "
                "(Euler-Maruyama) or 'heun' (stochastic Heun)."
            )
    else:
        if delayed:
            raise ValueError(
                f"{type(solver).__name__} is a diffrax solver, and diffrax has no delay "
                "history: a network with conduction delays needs solver='euler' or 'heun' "
                "(the package's scan engine)."
            )
        if block is not None:
            raise ValueError(
                "block sets the scan engine's block length; a diffrax solver does not use "
                "it. Drop block=."
            )
        if start is not None and start.history.size:
            raise ValueError(
                "This start state carries a delay history, which only the scan engine "
                "reads: continue it with solver='euler' or 'heun'."
            )
        fixed = not is_adaptive(solver)
        if fixed and (rtol is not None or atol is not None):
            raise ValueError(
                f"rtol/atol apply to adaptive solvers; {type(solver).__name__} runs on the "
                "fixed grid of dt. Drop them, or use an adaptive solver such as 'tsit5'."
            )
    if noise is None and key is not None:
        raise ValueError(
            "key= was given but this run has no noise; drop key=, or add noise "
            "(noise=bm.AdditiveNoise(...) or Network(..., noise=...))."
        )
    if noise is not None and key is None:
        raise ValueError(
            "This run has noise: pass key=jax.random.key(seed) (the same key gives the same run)."
        )


def _check_stimulus_shape(stimulus: Callable, node: AbstractNeuralMass, nodes: tuple) -> None:
    """The stimulus's value must broadcast to the model's input ``(n_input, *nodes)``."""
    if not callable(stimulus):
        raise TypeError(
            f"stimulus must be a function of t (ms) or a bm.stimulus stimulus, got "
            f"{type(stimulus).__name__}."
        )
    shape = jax.eval_shape(stimulus, jnp.zeros((), jnp.result_type(float))).shape
    want = (len(node.input_names), *nodes)
    if not _broadcasts_to(shape, want):
        raise ValueError(
            f"stimulus(t) has shape {shape}, which does not broadcast to the model's input "
            f"{want} (inputs {node.input_names} x nodes); aim it with "
            "stimulus.at(model, variable=..., regions=...)."
        )


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _is_concrete(x: Any) -> bool:
    return eqx.is_array(x) and not isinstance(x, Tracer)


def _check_finite_inputs(y0: Array, *modules: eqx.Module | None) -> None:
    """NaN or inf in ``y0`` or in a (concrete) parameter of ``modules`` (the model, its
    noise) is an error before the run."""
    if _is_concrete(y0) and not np.all(np.isfinite(np.asarray(y0))):
        raise ValueError(
            f"y0 contains NaN or inf ({int(np.sum(~np.isfinite(np.asarray(y0))))} entries); give a "
            "finite initial state."
        )
    for module in modules:
        for path, leaf in jax.tree_util.tree_flatten_with_path(module)[0]:
            if _is_concrete(leaf) and jnp.issubdtype(leaf.dtype, jnp.inexact):
                if not np.all(np.isfinite(np.asarray(leaf))):
                    name = jax.tree_util.keystr(path)
                    raise ValueError(
                        f"Parameter {type(module).__name__}{name} contains NaN or inf; every "
                        "parameter must be finite."
                    )


def simulate(
    model: AbstractNeuralMass,
    duration: TimeLike,
    dt: TimeLike,
    *,
    y0: ArrayLike | SolveState | None = None,
    solver: str | AbstractFixedStepSolver | diffrax.AbstractSolver = "heun",
    sample_period: TimeLike | None = None,
    transient: TimeLike = 0.0,
    stimulus: Callable[[Array], ArrayLike] | None = None,
    args: Any = None,
    adjoint: diffrax.AbstractAdjoint | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_steps: int | None = None,
    noise: AbstractNoise | None = None,
    key: Array | None = None,
    block: int | None = None,
    throw: bool = True,
) -> Trajectory:
    """Integrate ``model`` and return its sampled trajectory.

    Args:
        model: a node model or a `Network` (its `Param` fields are resolved to values).
        duration: simulated time, ms (or a pint time quantity).
        dt: the step of fixed-step solvers, the first step of adaptive ones, ms.
        y0: initial state ``(n_state, *nodes)``, default ``model.initial_state()``; or
            a `SolveState` (``traj.final``) to continue a run (see above).
        solver: ``"euler"``, ``"heun"``, ``"rk4"`` or a `brainmass_fn.solvers`
            instance (the scan engine); ``"tsit5"``, ``"dopri5"``, ``"kvaerno5"`` or a
            diffrax solver instance (diffrax). See `brainmass_fn.solvers`.
        sample_period: spacing of the saved samples, ms; default ``dt``.
        transient: initial stretch to drop, ms; samples start at ``transient``.
        stimulus: external input ``t (ms) -> (n_input, *nodes)`` (or broadcastable),
            added to the model's input variables on every path. An equinox Module
            with a ``__call__`` makes its array fields differentiable parameters.
        args: passed to ``model.vector_field``.
        adjoint: a diffrax adjoint (diffrax solvers only); default
            ``RecursiveCheckpointAdjoint()``.
        rtol, atol: tolerances of adaptive diffrax solvers (default 1e-6, 1e-8).
        max_steps: step budget of a diffrax solve; default the fixed-step count, or
            ``max(4096, 16 * duration / dt)`` for adaptive solvers.
        noise: a noise source (`AdditiveNoise`, `OUNoise`) for a node model; a
            `Network` carries its own in ``network.noise``. On the engine it is
            Euler-Maruyama / stochastic Heun with normals from ``key``. With a diffrax
            solver the run is an SDE driven by a ``VirtualBrownianTree`` from ``key``:
            `AdditiveNoise` adds ``sigma dW`` to its variables; `OUNoise` augments the
            state with its process ``u`` (started at ``mean``), ``du = (mean - u) / tau
            dt + sigma dW``, and the model sees ``input + u`` (``u`` is not returned).
        key: ``jax.random`` key for the noise (required with noise, an error without);
            same key, same run, bit for bit.
        block: steps per block of the scan engine (default 8; see
            `brainmass_fn._engine`).
        throw: raise `SimulationDiverged` when the state becomes NaN or inf (and let
            diffrax raise on its failures); ``False`` returns ``traj.result`` instead.

    Returns:
        A `Trajectory` with ``ts`` (ms), ``ys`` ``(time, n_state, *nodes)``, ``final``
        and ``result``.
    """
    duration = concrete_ms(duration, "duration")
    dt = concrete_ms(dt, "dt")
    transient = concrete_ms(transient, "transient")
    sample_period = dt if sample_period is None else concrete_ms(sample_period, "sample_period")
    _check_times(duration, dt, sample_period, transient)
    solver = get_solver(solver)
    model = resolve(model)

    # the one place that looks inside a Network: its node, its noise and its delays
    net = model if isinstance(model, Network) else None
    node = model if net is None else net.node
    if noise is not None and net is not None and net.noise is not None:
        raise ValueError(
            "Noise given twice: the Network has noise and simulate got noise=...; pass one."
        )
    noise = resolve(noise if noise is not None else (None if net is None else net.noise))
    delayed = net is not None and net.has_delays
    start = y0 if isinstance(y0, SolveState) else None
    _check_combination(
        solver,
        delayed=delayed,
        noise=noise,
        start=start,
        adjoint=adjoint,
        rtol=rtol,
        atol=atol,
        max_steps=max_steps,
        block=block,
        key=key,
    )
    if start is not None:
        y0 = start.y
    y0 = model.initial_state() if y0 is None else jnp.asarray(y0, dtype=jnp.result_type(float))
    if y0.ndim == 0 or y0.shape[0] != node.n_state:
        raise ValueError(
            f"y0 has shape {y0.shape}; its first axis must hold the {node.n_state} state "
            f"variables {node.state_names}."
        )
    if net is not None and y0.shape[1:] != (net.n_nodes,):
        raise ValueError(f"y0 must have shape ({node.n_state}, {net.n_nodes}), got {y0.shape}.")
    shape = node.node_shape
    if net is None and shape and not _broadcasts_to(shape, y0.shape[1:]):
        raise ValueError(
            f"y0 has node axes {y0.shape[1:]} but the model's per-node parameters have shape "
            f"{shape}; give y0 the shape ({node.n_state}, {', '.join(map(str, shape))})."
        )
    _check_finite_inputs(y0, model, noise)
    if stimulus is not None:
        stimulus = resolve(stimulus)
        assert stimulus is not None
        _check_stimulus_shape(stimulus, node, y0.shape[1:])

    # what both paths take; each adds its own options
    common = dict(
        duration=duration,
        dt=dt,
        sample_period=sample_period,
        transient=transient,
        y0=y0,
        stimulus=stimulus,
        args=args,
        key=key,
    )
    finite, failed = None, None
    if isinstance(solver, AbstractFixedStepSolver):
        ts, ys, final, finite = solve_fixed(
            node, net, noise, solver, start=start, block=block, **common
        )
    else:
        ts, ys, failed, final = solve_diffrax(
            model,
            node,
            noise,
            solver,
            start=start,
            adjoint=adjoint,
            rtol=rtol,
            atol=atol,
            max_steps=max_steps,
            throw=throw,
            **common,
        )
    return _finish(ts, ys, final, finite, failed, node.state_names, dt, throw)


def _finish(
    ts: Array,
    ys: Array,
    final: SolveState,
    finite: Array | None,
    failed: Array | None,
    names: tuple[str, ...],
    dt: float,
    throw: bool,
) -> Trajectory:
    """The trajectory with its result code; with ``throw``, an error where the state
    stopped being finite (a Python error with the time, variable and node when the
    values are concrete; `eqx.error_if` inside ``jit``). ``finite`` is computed here
    when the solve did not."""
    all_finite, result = _result_code(ys, final.y, finite, failed)
    if throw and failed is not None:
        if _is_concrete(failed):
            if bool(failed):
                _raise_solver_failure(ts, ys, names)
        else:
            ys = eqx.error_if(
                ys,
                failed,
                "simulate: the diffrax solve stopped before the end (its max_steps budget, "
                "or a state that grows without bound). Run the same call outside jit for "
                "the time and the cause, or pass throw=False and read traj.result.",
            )
    if throw:
        if _is_concrete(ys) and _is_concrete(all_finite):
            if not bool(all_finite):
                raise SimulationDiverged(_where_not_finite(ts, ys, final, names, dt))
        else:
            ys = eqx.error_if(
                ys,
                ~all_finite,
                "simulate: the state became NaN or inf during the run (inside jit the time "
                "and node are not known here: run the same call outside jit, or pass "
                "throw=False and read traj.result). Lower dt, or check the parameters.",
            )
    return Trajectory(ts=ts, ys=ys, state_names=names, final=final, result=result)


def _raise_solver_failure(ts: Array, ys: Array, names: tuple[str, ...]) -> None:
    """The error for a diffrax solve that stopped early: divergence when the state
    grew by orders of magnitude, else the step budget. diffrax fills the samples after
    the stop with inf."""
    y = np.asarray(ys)
    done = np.all(np.isfinite(y.reshape(y.shape[0], -1)), axis=1)
    last = int(np.flatnonzero(done)[-1]) if done.any() else 0
    t_stop = float(np.asarray(ts)[last])
    size = float(np.max(np.abs(y[last]))) if done.any() else np.inf
    start = float(np.max(np.abs(y[0]))) if done.any() else 0.0
    if not np.isfinite(size) or size > 1e6 * (1.0 + start):
        raise SimulationDiverged(
            f"The state grows without bound: max |state| went from {start:.3g} to "
            f"{size:.3g} by t = {t_stop:g} ms, and the adaptive solver stopped there. The "
            "model diverges at these parameters (raising max_steps will not help): check "
            f"the parameters and y0 (variables {names})."
        )
    raise RuntimeError(
        f"The diffrax solve stopped at t = {t_stop:g} ms (the last sample it reached): it "
        "used its max_steps budget. Pass a larger max_steps=, loosen rtol/atol, or for a "
        "stiff model use solver='kvaerno5'."
    )


@jax.jit
def _result_code(
    ys: Array, y_end: Array, finite: Array | None, failed: Array | None
) -> tuple[Array, Int[Array, ""]]:
    """Whether the samples and the end state are finite (unless given), and the
    `Trajectory.result` code; one compiled program, not one per operation."""
    if finite is None:
        finite = jnp.all(jnp.isfinite(ys)) & jnp.all(jnp.isfinite(y_end))
    result = jnp.where(finite, RESULT_FINISHED, RESULT_NOT_FINITE)
    if failed is not None:
        result = jnp.where(failed, RESULT_SOLVER_FAILED, result)
    return finite, result.astype(jnp.int32)


def _where_not_finite(
    ts: Array, ys: Array, final: SolveState, names: tuple[str, ...], dt: float
) -> str:
    bad = ~np.isfinite(np.asarray(ys))
    if bad.any():
        first = int(np.argmax(bad.reshape(bad.shape[0], -1).any(axis=1)))
        where = bad[first]
        variable = int(np.argmax(where.reshape(where.shape[0], -1).any(axis=1)))
        nodes = np.argwhere(where[variable]).ravel() if where.ndim > 1 else np.array([])
        node = f" at node {int(nodes[0])}" if nodes.size else ""
        more = f" (and {int(where.sum()) - 1} more entries)" if where.sum() > 1 else ""
        before = f", after t = {float(ts[first - 1]):g} ms" if first > 0 else ""
        place = (
            f"at the sample t = {float(ts[first]):g} ms{before}: variable "
            f"{names[variable]!r}{node}{more}"
        )
    else:
        place = f"after the last sample (at the end of the run, t = {float(final.t):g} ms)"
    return (
        f"The state became NaN or inf {place}. The run diverged: lower dt (now {dt:g} ms) "
        "or check the parameters and y0; pass throw=False to get the trajectory with "
        "traj.result instead."
    )
