"""A fixed-grid run on the scan engine: from the user's arguments to samples and the
final `SolveState`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ..models._base import AbstractNeuralMass
from ..network import Network
from ..noise import AbstractNoise
from ..solvers import AbstractFixedStepSolver
from ._delay_plan import DEFAULT_BLOCK
from ._network_read import delay_plan, tap_weights
from ._scan import Carry, Dynamics, Segments, Stepper, remat, run

if TYPE_CHECKING:
    from ..simulate import SolveState

__all__ = ["solve_fixed", "whole_steps"]


def whole_steps(value: float, dt: float, name: str) -> int:
    """``value / dt`` for a ``value`` (ms) that is a whole number (>= 0) of steps."""
    n = round(value / dt)
    if abs(n * dt - value) > 1e-6 * max(dt, abs(value)):
        raise ValueError(
            f"{name} ({value} ms) must be a whole number of steps of dt = {dt} ms on the "
            "fixed-step engine; choose it as k * dt."
        )
    return int(n)


def solve_fixed(
    node: AbstractNeuralMass,
    net: Network | None,
    noise: AbstractNoise | None,
    solver: AbstractFixedStepSolver,
    *,
    duration: float,
    dt: float,
    sample_period: float,
    transient: float,
    y0: Array,
    start: SolveState | None,
    stimulus: Callable[[Array], Any] | None,
    args: Any,
    key: Array | None,
    block: int | None,
) -> tuple[Array, Array, SolveState, Array]:
    """Samples ``(ts, ys)``, the final state of one run on the scan engine and whether
    the samples and the final state are all finite (computed in the compiled run).

    ``y0`` is the start state ``(n_state, *nodes)`` (``start.y`` when continuing).
    """
    if block is not None and (int(block) != block or block < 1):
        raise ValueError(f"block must be a positive integer number of steps, got {block}.")
    n_steps = whole_steps(duration, dt, "duration")
    every = whole_steps(sample_period, dt, "sample_period")
    first = whole_steps(transient, dt, "transient")
    delayed = net is not None and net.has_delays
    # without delays or noise the result does not depend on the blocks: long inner
    # scans then cost less in reverse mode (teaser: grad/forward 4.4x at 8 steps per
    # block, 2.1x at 128-500), and the block is chosen freely, so not recorded
    free = not delayed and noise is None
    if block is None:
        block = _free_block(n_steps) if free and not remat(n_steps) else DEFAULT_BLOCK
    block = int(block)
    plan = None
    if net is not None and delayed:
        plan = delay_plan(net, dt, block, solver.name == "heun")
    layout = solver.name if free else f"{solver.name}/{block}/{plan.digest if plan else ''}"
    if start is not None:
        _check_continuation(start, dt, layout)
    phase = 0 if start is None or free else start.phase
    stepper = Stepper(
        plan=plan,
        dt=dt,
        block=block,
        method=solver.name,
        n_draws=0 if noise is None else noise.n_draws(node),
        nodes=y0.shape[1:],
    )
    checkpoint = remat(n_steps)
    segments = Segments.of(n_steps, block, phase, chunked=noise is not None or checkpoint)
    run_config = _RunConfig(stepper, segments, first, every, layout, free, checkpoint)
    return _integrate(run_config, node, net, noise, args, stimulus, y0, start, key)


@dataclasses.dataclass(frozen=True)
class _RunConfig:
    """The static side of a run (hashable: the compile-cache key of `_integrate`)."""

    stepper: Stepper
    segments: Segments
    first: int  # steps before the first sample
    every: int  # steps between samples
    layout: str
    free: bool  # the result does not depend on the blocks (no delays, no noise)
    checkpoint: bool  # reverse mode recomputes chunks (long runs)


@eqx.filter_jit
def _integrate(
    config: _RunConfig,
    node: AbstractNeuralMass,
    net: Network | None,
    noise: AbstractNoise | None,
    args: Any,
    stimulus: Callable[[Array], Any] | None,
    y0: Array,
    start: SolveState | None,
    key: Array | None,
) -> tuple[Array, Array, SolveState, Array]:
    """The traced part of `solve_fixed`, one compiled program: a call outside ``jit``
    compiles once (not each small operation on its own), and inside ``jit`` it is
    inlined."""
    from ..simulate import SolveState

    stepper, seg = config.stepper, config.segments
    plan, dt, dtype = stepper.plan, stepper.dt, y0.dtype
    step0 = jnp.asarray(0 if start is None else start.step, jnp.int32)
    short_weights = long_taps = None
    hist = jnp.zeros((0,), dtype)
    if plan is not None:
        assert net is not None  # a delay plan is a network's
        taps = tap_weights(net, plan, dt)
        short_weights, long_taps = plan.short_weights(taps), plan.long_weights(taps)
        hist = start.history if start is not None else plan.init_history(net.coupled_values(y0))
    dyn = Dynamics(
        node=node,
        net=net,
        noise=noise,
        args=args,
        stimulus=stimulus,
        short_weights=short_weights,
        long_taps=long_taps,
    )
    nodes = y0.shape[1:]
    if noise is None:
        u = jnp.zeros((0,), dtype)
    elif start is not None and start.noise.size:
        u = start.noise
    else:
        u = noise.init(node, nodes[0] if nodes else 1, dtype)
        u = u if nodes else u[:, 0]

    sample_steps = config.first + config.every * np.arange(
        (seg.n - config.first) // config.every + 1
    )
    later = sample_steps[sample_steps > 0]
    rows, end = run(stepper, dyn, Carry(y0, hist, u), step0, seg, key, later, config.checkpoint)
    ys = jnp.concatenate([y0[None], rows]) if config.first == 0 else rows
    ts = step0.astype(dtype) * dt + jnp.asarray(sample_steps * dt, dtype)
    final = SolveState(
        y=end.x,
        step=step0 + seg.n,
        t=(step0 + seg.n).astype(dtype) * dt,
        history=end.hist,
        noise=end.u,
        dt=dt,
        phase=0 if config.free else (seg.phase + seg.n) % seg.block,
        layout=config.layout,
    )
    finite = jnp.all(jnp.isfinite(ys)) & jnp.all(jnp.isfinite(end.x))
    return ts, ys, final, finite


def _free_block(n_steps: int) -> int:
    """Steps per block of a run whose result does not depend on its blocks: a divisor
    of ``n_steps`` in 64-256 (so no shorter tail block is traced), else 128."""
    return next((b for b in range(256, 63, -1) if n_steps % b == 0), 128)


def _check_continuation(start: SolveState, dt: float, layout: str) -> None:
    if abs(start.dt - dt) > 1e-12 * dt:
        raise ValueError(
            f"The start state comes from a run with dt = {start.dt} ms; continue it with the "
            f"same dt (got {dt} ms)."
        )
    if start.layout != layout:
        raise ValueError(
            "The start state comes from a run with another solver, block or delay layout "
            f"({start.layout!r}, here {layout!r}); continue it with the same network, solver "
            "and block, or start afresh from y0=state.y (the delay history is then lost)."
        )
