"""``fit(loss, params, strategy)``: one stateless call for every search strategy."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import equinox as eqx
import numpy as np
import optax
from jaxtyping import Array, PyTree

from .. import _optimise as opt
from .._paths import check_output_file
from ..network import check_fittable_delays
from ..params import trainable
from ._adapter import AbstractAdapter
from ._nevergrad import Nevergrad, NevergradAdapter, is_nevergrad
from ._optax import OptaxAdapter
from ._optimistix import OptimistixAdapter, is_optimistix
from ._result import FitResult

__all__ = ["fit"]


def _adapter(
    loss: Callable, strategy: Any, params: PyTree, diff: PyTree, static: PyTree, steps: int
) -> AbstractAdapter:
    if isinstance(strategy, optax.GradientTransformation):
        return OptaxAdapter(loss, strategy, static)
    if is_optimistix(strategy):
        return OptimistixAdapter(loss, strategy, static, diff)
    if is_nevergrad(strategy):
        if not isinstance(strategy, Nevergrad):
            strategy = Nevergrad(strategy)
        return NevergradAdapter(loss, strategy, params, static, steps)
    raise TypeError(
        "strategy must be an optax GradientTransformation (e.g. optax.adam(1e-2)), an "
        "optimistix minimiser or least-squares solver (e.g. optimistix.BFGS(rtol=1e-6, "
        "atol=1e-6), optimistix.LevenbergMarquardt(...)), or a nevergrad optimiser "
        "(brainmass_fn.fit.Nevergrad('CMA') or nevergrad.optimizers.CMA); "
        f"got {type(strategy).__name__}."
    )


def _failure(losses: list[float], best_loss: float, accepted: int | None, name: str) -> str:
    """Why a fit found nothing (no finite loss, or no step taken); '' if it did."""
    if not losses:
        return ""
    first = losses[0]
    if not np.isfinite(best_loss):
        return (
            f"fit ({name}) failed: the loss was NaN or inf at step 0 (the first "
            f"evaluation, from the initial parameters, gave {first}) and at every one of "
            f"the {len(losses)} evaluations, so nothing was fitted and the result holds "
            "the initial parameters (status 'failed'). "
            "Evaluate loss(resolve(params)) at the start values: a simulation that "
            "diverges (lower dt, other start values or bounds) or a loss that divides by "
            "zero gives NaN."
        )
    if accepted == 0:
        return (
            f"fit ({name}) failed: the loss was finite ({first:.6g}) at step 0 but its "
            "gradient had NaN or inf there and at every later step, so every step was "
            "rejected and the result holds the initial parameters (status 'failed'). "
            "Check jax.grad(loss) at the start values: sqrt, log or division at 0, or a "
            "simulation that diverges in the backward pass, give NaN gradients."
        )
    return ""


class _Task(opt.AbstractTask):
    """A fit for the shared loop: the state is ``(carry, losses)``; the best point lives
    in the carry (``adapter.best``), so the loop's best record keeps only its score."""

    def __init__(self, adapter: AbstractAdapter, diff: PyTree, callback: Callable | None):
        self.adapter, self.diff, self.callback = adapter, diff, callback
        self.name = f"fit ({adapter.name})"

    def step(self, state: tuple, step: int, tick: Callable) -> tuple[tuple, opt.Report]:
        carry, values, done = self.adapter.step(state[0])
        best = self.adapter.best(carry)[1]
        report = opt.Report(min(values), best, status="converged" if done else None)
        return (carry, state[1] + values), report

    def stop(self, step: int, report: opt.Report | None, best: opt.Best) -> str | None:
        callback = self.callback
        if report is not None and callback is not None and callback(step, report.loss, best.score):
            return "stopped"
        return super().stop(step, report, best)

    def write(self, state: tuple, best: opt.Best, path: str) -> None:
        self.adapter.save(state[0], path)

    def read(self, path: str, meta: dict[str, Any]) -> tuple[tuple, None]:
        carry = self.adapter.load(path, self.diff, meta)
        return (carry, opt.decode(meta["record"]["losses"])), None

    def record(self, state: tuple) -> dict[str, Any]:
        return {"losses": opt.encode(state[1])}


def fit(
    loss: Callable[[PyTree], Array],
    params: PyTree,
    strategy: Any,
    *,
    steps: int = 100,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10,
    resume: bool = False,
    callback: Callable[[int, float, float], bool | None] | None = None,
) -> FitResult:
    """Minimise ``loss(params)`` over the trainable leaves of ``params``.

    Args:
        loss: a pure function of the *resolved* params (every `Param` replaced by
            its value) returning a scalar (shape ``()``); for a least-squares solver,
            an array of residuals ``r`` instead, read as the objective ``sum(r**2)``.
            Any other output (an array for another strategy, ``None``, a tuple) is an
            error before the first step. It may simulate, apply forward models and
            compare with data.
        params: any pytree (a model, a network, a dict). Leaves wrapped in `Param`
            are fitted (through their bound transforms); with no `Param` at all,
            every floating-point array leaf is fitted. Array-valued params (one
            value per region, ``Param(jnp.full(80, 0.1))``) work like scalars.
        strategy: one of
            - an optax ``GradientTransformation`` (``optax.adam(0.1)``): gradients
              by ``jax.value_and_grad`` through the simulation, one per step;
            - an optimistix minimiser (``optx.BFGS``, ``optx.NonlinearCG``,
              ``optx.NelderMead``) or least-squares solver
              (``optx.LevenbergMarquardt``), run one solver step per step, stopping
              early when the solver's own tolerances are met;
            - a nevergrad optimiser (`Nevergrad` ``("CMA", population=16)``, or a
              registry entry such as ``nevergrad.optimizers.CMA``): one step is one
              generation, evaluated as a single ``vmap``-ed batch.
        steps: number of steps (optimiser steps, solver iterations or generations),
            counting the steps of a resumed checkpoint.
        progress: show a progress bar with the current and best loss (on a terminal).
        checkpoint: a file to save the search state to every ``checkpoint_every``
            steps, at the end and on Ctrl-C (plus a ``.json`` sidecar). Its
            directory must exist and be writable; that is checked before the first
            step. A checkpoint holds only numbers (arrays and JSON, no pickle), so
            loading one never runs code.
        checkpoint_every: steps between checkpoint saves.
        resume: continue from ``checkpoint`` if it exists (if neither it nor its
            sidecar exists, the fit starts afresh); the resumed fit makes the same
            steps as an uninterrupted one, so it ends at the same parameters. A
            checkpoint without its sidecar (or the reverse), or a damaged sidecar,
            is an error rather than a silent fresh start that would overwrite it.
        callback: ``callback(step, loss, best_loss)`` after every step; return True
            to stop early (status ``"stopped"``).

    Returns:
        A `FitResult` with the best parameters seen. Each step is compiled once and
        reused, also by later fits with the same ``loss`` function object, the same
        parameter structure (tree, array shapes and dtypes, bounds, non-array
        leaves; array values may differ) and an equal strategy: the same object or
        one built alike (``optax.adam(0.1)`` built anew, ``optimistix.BFGS(rtol=1e-6,
        atol=1e-6)``, ``Nevergrad("CMA")``). A new ``loss`` function (e.g. a new
        ``lambda``) is traced and compiled anew. A NaN/inf loss or gradient never
        enters the search state: the step is rejected (optax, optimistix) or the
        candidate scored ``+inf`` (nevergrad), and the best finite point so far is
        kept. A fit in which no loss was finite (or, for optax, no step had a finite
        gradient) ends with status ``"failed"`` and a ``RuntimeWarning`` that says
        what happened at step 0. Ctrl-C returns the best result so far (status
        ``"interrupted"``).

    Raises:
        ValueError: a trainable `Param` speed or lengths in a `Network` with
            ``delays="round"`` (its gradient is exactly 0); a loss whose output does
            not fit the strategy (see ``loss``); a damaged checkpoint on resume.
        OSError: ``checkpoint`` cannot be written (missing or read-only directory).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}.")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=<path> to resume from.")
    if checkpoint is not None:  # before any step: a bad path must not lose the fit
        check_output_file(checkpoint, "checkpoint")
    check_fittable_delays(params)
    diff, static = opt.partition(
        params, trainable(params), "params has nothing to fit: wrap the values to fit in "
        "Param(...) (or pass floating-point arrays).",
    )  # fmt: skip
    adapter = _adapter(loss, strategy, params, diff, static, steps)
    task = _Task(adapter, diff, callback)
    started = time.perf_counter()
    saved = None
    if checkpoint is not None:
        saved = opt.Checkpoint.file(
            checkpoint, {"task": "fit", "strategy": adapter.name}, "these params/strategy",
            "pass resume=False (or another checkpoint path) to start afresh",
        )  # fmt: skip
    begin = opt.resume_from(task, saved) if resume and saved is not None else None
    begin = begin or opt.Start((adapter.init(diff), []))
    out = opt.iterate(task, begin, steps=steps, checkpoint=saved, every=checkpoint_every,
                      progress=progress, started=started)  # fmt: skip
    carry, losses = out.state
    if out.status != "interrupted":
        carry, extra = adapter.finish(carry)
        losses = losses + extra
    best_diff, best_loss = adapter.best(carry)
    if best_diff is None:  # interrupted before the first evaluation
        best_diff = diff
    failure = _failure(losses, best_loss, adapter.n_accepted(carry), adapter.name)
    return FitResult(
        params=eqx.combine(best_diff, static),
        best_loss=float(best_loss),
        losses=np.asarray(losses, dtype=float),
        n_evals=adapter.n_evals(carry, len(losses)),
        wall_time=out.wall_time,
        status=opt.settle(out.status, failure),
        strategy=adapter.name,
        steps=out.step,
    )
