"""Optimistix minimisers and least-squares solvers, driven one step at a time.

`fit` runs an optimistix solver's own ``init`` / ``step`` / ``terminate`` (the loop
inside ``optimistix.minimise``) from Python, one jitted step per call, so that the
progress bar, Ctrl-C, checkpoints and NaN rejection work as for optax.

- Minimisers (``BFGS``, ``NonlinearCG``, ``NelderMead``, ...) minimise the scalar
  loss (a loss that returns an array is an error).
- Least-squares solvers (``LevenbergMarquardt``, ``GaussNewton``, ``Dogleg``, ...)
  need a loss that returns the residual array ``r``; they minimise ``sum(r**2)``.

NaN/inf: a non-finite objective (or residual) is read as ``+inf``, which every
optimistix search (backtracking Armijo, trust region) and Nelder-Mead rejects; a
step whose new iterate is not finite is discarded as a whole.

Evaluations: one per step for gradient and least-squares solvers (the objective and
its derivative at the trial point); Nelder-Mead evaluates ``n + 1`` vertices at its
first step and on each shrink, and two points on every other step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, PyTree

from .._optimise import all_finite, select
from ._adapter import AbstractAdapter
from ._objective import objective, residuals

__all__ = ["OptimistixAdapter", "is_optimistix"]

_TAGS: frozenset = frozenset()


def is_optimistix(strategy: object) -> bool:
    return isinstance(strategy, (optx.AbstractMinimiser, optx.AbstractLeastSquaresSolver))


class _Fn(eqx.Module):
    """``fn(y, args) -> (out, objective)`` as optimistix expects (aux = objective)."""

    loss: Callable
    static: PyTree
    least_squares: bool = eqx.field(static=True)

    def __call__(self, y: PyTree, args: Any) -> tuple[Array, Array]:
        if self.least_squares:
            r = residuals(self.loss, y, self.static)
            r = jnp.where(jnp.isfinite(r), r, jnp.inf)
            return r, jnp.sum(r**2)
        f = objective(self.loss, y, self.static)
        f = jnp.where(jnp.isfinite(f), f, jnp.inf)
        return f, f


class _Carry(eqx.Module):
    y: PyTree
    state: Any
    best_diff: PyTree
    best_loss: Array
    steps: Array


def _options(fn: _Fn) -> dict[str, Any]:
    # reverse mode everywhere: simulations are differentiated by a custom_vjp adjoint
    # (diffrax RecursiveCheckpointAdjoint), which has no forward mode (jvp)
    return {"jac": "bwd"} if fn.least_squares else {"autodiff_mode": "bwd"}


def _structs(fn: _Fn, y: PyTree) -> tuple[Any, Any]:
    return eqx.filter_eval_shape(fn, y, None)


@eqx.filter_jit
def _init(solver: Any, fn: _Fn, y: PyTree) -> _Carry:
    options = _options(fn)
    f_struct, aux_struct = _structs(fn, y)
    state = solver.init(fn, y, None, options, f_struct, aux_struct, _TAGS)
    inf = jnp.asarray(jnp.inf, dtype=jnp.result_type(float))
    return _Carry(y, state, y, inf, jnp.asarray(0))


@eqx.filter_jit
def _step(solver: Any, fn: _Fn, carry: _Carry) -> tuple[_Carry, Array, Array]:
    options = _options(fn)
    y_eval = getattr(carry.state, "y_eval", carry.y)
    new_y, new_state, value = solver.step(fn, carry.y, None, options, carry.state, _TAGS)
    if isinstance(solver, optx.NelderMead):
        # Nelder-Mead's aux is its last trial vertex; its simplex best is what counts
        value, y_eval, _ = new_state.best
    ok = all_finite(new_y)
    done, _ = solver.terminate(fn, new_y, None, options, new_state, _TAGS)
    improved = jnp.isfinite(value) & (value < carry.best_loss)
    new = _Carry(
        y=select(ok, new_y, carry.y),
        state=select(ok, new_state, carry.state),
        best_diff=select(improved, y_eval, carry.best_diff),
        best_loss=jnp.where(improved, value, carry.best_loss),
        steps=carry.steps + 1,
    )
    return new, value, done & ok


@eqx.filter_jit
def _evaluate(fn: _Fn, y: PyTree) -> Array:
    return fn(y, None)[1]


@eqx.filter_jit
def _residuals(loss: Callable, diff: PyTree, static: PyTree) -> Array:
    return residuals(loss, diff, static)


def _output_ndim(loss: Callable, diff: PyTree, static: PyTree) -> int:
    # abstract evaluation of a jitted function: JAX caches its trace, so a later fit
    # with the same loss and parameter structure does not trace the loss again
    return eqx.filter_eval_shape(_residuals, loss, diff, static).ndim


class OptimistixAdapter(AbstractAdapter):
    """Runs an optimistix minimiser or least-squares solver step by step."""

    def __init__(self, loss: Callable, solver: Any, static: PyTree, diff: PyTree):
        self.least_squares = isinstance(solver, optx.AbstractLeastSquaresSolver)
        self.solver = solver
        self.name = type(solver).__name__
        self.fn = _Fn(loss, static, self.least_squares)
        if self.least_squares:
            if _output_ndim(loss, diff, static) == 0:
                raise ValueError(
                    f"strategy {self.name} is a least-squares solver, so loss must return "
                    "the residual array r (fit minimises sum(r**2)), but it returned a "
                    "scalar. Return the residuals (e.g. model - data), or use a minimiser "
                    "such as optimistix.BFGS."
                )
        self._dim = sum(int(jnp.size(x)) for x in jax.tree_util.tree_leaves(diff))

    def init(self, diff: PyTree) -> _Carry:
        return _init(self.solver, self.fn, diff)

    def step(self, carry: _Carry) -> tuple[_Carry, list[float], bool]:
        carry, value, done = _step(self.solver, self.fn, carry)
        return carry, [float(value)], bool(done)

    def finish(self, carry: _Carry) -> tuple[_Carry, list[float]]:
        # the solver's final iterate may never have been evaluated as a trial point
        value = _evaluate(self.fn, carry.y)
        if jnp.isfinite(value) and float(value) < float(carry.best_loss):
            carry = _Carry(carry.y, carry.state, carry.y, value, carry.steps)
        return carry, [float(value)]

    def n_evals(self, carry: _Carry, n_recorded: int) -> int:
        if isinstance(self.solver, optx.NelderMead):
            steps = int(carry.steps)
            shrinks = int(carry.state.stats.n_shrink) + 1 if steps else 0
            return 2 * max(steps - 1, 0) + (self._dim + 1) * shrinks + 1  # +1: finish
        return n_recorded

    def best(self, carry: _Carry) -> tuple[PyTree, float]:
        return carry.best_diff, float(carry.best_loss)
