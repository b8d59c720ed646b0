r"""Fixed points (rest states) of a model or a network, differentiable in the parameters.

A fixed point ``y*`` solves ``f(y*, u) = 0``. For a `Network` with conduction delays
the history of a fixed point is constant, so every delayed read returns ``y*`` itself
and the delays drop out: the same equation holds with the undelayed coupling
``sum_j C_ij pre(y*_j)``.

``fixed_point`` finds it by Newton's method (optimistix) from a guess, and its
derivative with respect to the model's parameters follows from the implicit function
theorem, ``dy*/dtheta = -(df/dy)^-1 df/dtheta``, without differentiating the
iterations. Start from a state near the rest you want (e.g. the end of a settling
run): Newton converges to the nearest fixed point, stable or not. A run started at
``y*`` stays there (up to rounding) on the fixed-step solvers, so a stimulus
experiment needs no settling time.
"""

from __future__ import annotations

from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from .network import Network

__all__ = ["fixed_point", "jacobian_eigenvalues"]


def _field(model: Any, input: Array) -> Any:
    """``f(y, args)`` at a constant input: a network's field with undelayed reads."""
    field = model.undelayed_field if isinstance(model, Network) else model.vector_field

    def at_rest(y: Array, args: Any) -> Array:
        return field(jnp.zeros(()), y, input, None)

    return at_rest


def fixed_point(
    model: Any,
    guess: Float[ArrayLike, " state *nodes"] | None = None,
    *,
    input: Float[ArrayLike, " inputs *nodes"] | float = 0.0,
    rtol: float | None = None,
    atol: float | None = None,
    max_steps: int = 64,
    on_failure: Literal["raise", "nan"] = "raise",
) -> Float[Array, " state *nodes"]:
    """The fixed point of ``model`` (a node model or a `Network`) nearest ``guess``.

    Args:
        model: a neural-mass model or a `brainmass_fn.Network` (delays drop out).
        guess: starting state ``(n_state, *nodes)``, default ``model.initial_state()``;
            a `SolveState` (``simulate(...).final``) is accepted.
        input: a constant external input, as for the model's ``input`` (default 0).
        rtol, atol: Newton's tolerances on the state; default ``1e-5`` in float32,
            ``1e-10`` in float64.
        max_steps: Newton iterations before giving up.
        on_failure: ``"raise"`` an error when Newton does not converge, or return
            ``"nan"``: inside a fit, whose line search then reads the point as the
            worst possible (`brainmass_fn.fit` takes a NaN loss as ``+inf``) and
            backs off, instead of stopping the fit.

    Returns:
        ``y*`` with ``f(y*) = 0``, differentiable in the model's parameters.

    Raises:
        RuntimeError: Newton did not converge (no fixed point near the guess, e.g.
            the system oscillates there); try another guess.
    """
    if guess is None:
        guess = model.initial_state()
    guess = getattr(guess, "y", guess)
    y0 = jnp.asarray(guess, dtype=jnp.result_type(float))
    field = _field(model, jnp.asarray(input, dtype=y0.dtype))
    tol = 1e-10 if y0.dtype == jnp.float64 else 1e-5
    sol = optx.root_find(
        field,
        optx.Newton(rtol=tol if rtol is None else rtol, atol=tol if atol is None else atol),
        y0,
        max_steps=max_steps,
        throw=False,
    )
    failed = sol.result != optx.RESULTS.successful
    if on_failure == "nan":
        return jnp.where(failed, jnp.nan, sol.value)
    if on_failure != "raise":
        raise ValueError(f"on_failure must be 'raise' or 'nan', got {on_failure!r}.")
    return eqx.error_if(
        sol.value,
        failed,
        "fixed_point: Newton did not converge from this guess (no fixed point near it, or "
        "the system oscillates there); start from the end of a settling run.",
    )


def jacobian_eigenvalues(
    model: Any, y: Float[ArrayLike, " state *nodes"], *, input: ArrayLike | float = 0.0
) -> np.ndarray:
    """Eigenvalues (1/ms) of the undelayed Jacobian ``df/dy`` at ``y``, largest real first.

    All real parts < 0 means ``y`` is a stable fixed point of the system *without*
    delays. Delays can destabilise it (or not): check a delayed network by
    simulation, e.g. `brainmass_fn.evoked.resting_drift`.
    """
    y = jnp.asarray(getattr(y, "y", y), dtype=jnp.result_type(float))
    field = _field(model, jnp.asarray(input, dtype=y.dtype))
    flat = lambda v: field(v.reshape(y.shape), None).reshape(-1)  # noqa: E731
    jac = np.asarray(jax.jacfwd(flat)(y.reshape(-1)))
    lam = np.linalg.eigvals(jac)
    return lam[np.argsort(-lam.real)]
