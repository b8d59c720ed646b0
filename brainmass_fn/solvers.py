"""Solver choices by name, and the classical fourth-order Runge-Kutta method."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import diffrax
import numpy as np
from diffrax._local_interpolation import ThirdOrderHermitePolynomialInterpolation

__all__ = ["RK4", "FIXED_STEP", "ADAPTIVE", "get_solver", "is_adaptive"]

_rk4_tableau = diffrax.ButcherTableau(
    c=np.array([0.5, 0.5, 1.0]),
    b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    # embedded midpoint (2nd order) estimate, only used by adaptive controllers
    b_error=np.array([1 / 6, 1 / 3 - 1.0, 1 / 3, 1 / 6]),
    a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
)


class RK4(diffrax.AbstractERK):
    """The classical 4-stage, 4th-order Runge-Kutta method (Kutta 1901).

    Meant for fixed steps; its error estimate is the embedded 2nd-order midpoint rule.
    """

    tableau: ClassVar[diffrax.ButcherTableau] = _rk4_tableau
    interpolation_cls: ClassVar[Callable[..., ThirdOrderHermitePolynomialInterpolation]] = (
        ThirdOrderHermitePolynomialInterpolation.from_k
    )

    def order(self, terms):
        return 4


#: fixed-step methods, used with a constant step ``dt``
FIXED_STEP: dict[str, Callable[[], diffrax.AbstractSolver]] = {
    "euler": diffrax.Euler,
    "heun": diffrax.Heun,
    "rk4": RK4,
}
#: adaptive methods, used with a PID step-size controller (``dt`` is the first step)
ADAPTIVE: dict[str, Callable[[], diffrax.AbstractSolver]] = {
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
}


def get_solver(solver: str | diffrax.AbstractSolver) -> diffrax.AbstractSolver:
    """A diffrax solver from a name (``"euler"``, ``"heun"``, ``"rk4"``, ``"tsit5"``,
    ``"dopri5"``) or a solver instance (returned as is)."""
    if isinstance(solver, diffrax.AbstractSolver):
        return solver
    key = str(solver).lower()
    table = {**FIXED_STEP, **ADAPTIVE}
    if key not in table:
        raise ValueError(
            f"Unknown solver {solver!r}; choose one of {sorted(table)} "
            "or pass a diffrax solver instance."
        )
    return table[key]()


def is_adaptive(solver: str | diffrax.AbstractSolver) -> bool:
    """True for solvers that are stepped by an adaptive controller by default."""
    if isinstance(solver, str):
        return solver.lower() in ADAPTIVE
    return isinstance(solver, (diffrax.Tsit5, diffrax.Dopri5, diffrax.Dopri8, diffrax.Bosh3))
