"""Solvers: which algorithm integrates a run, carried by the solver object.

Two families, as in diffrax the choice is the solver's type:

- **Fixed-step solvers of this package** (`Euler`, `Heun`, `RK4`, subclasses of
  `AbstractFixedStepSolver`) run on the package's own scan engine
  (`brainmass_fn._engine`) for every fixed-grid run: with or without conduction
  delays, noise or a stimulus. With noise, `Euler` is Euler-Maruyama and `Heun` the
  stochastic Heun method (additive noise, the same increment in predictor and
  corrector). JAX differentiates the scan directly (no adjoint choice).
- **diffrax solvers** (any `diffrax.AbstractSolver` instance: `diffrax.Tsit5()`,
  `diffrax.Dopri5()`, `diffrax.Kvaerno5()` for stiff models, ...) run through
  `diffrax.diffeqsolve` with its adjoints, as ODEs or (with noise) SDEs, for undelayed
  runs. The adaptive ones (`is_adaptive`: an `diffrax.AbstractAdaptiveSolver` of
  order 3 or more) are stepped by a PID controller with ``rtol``/``atol``; the others
  (``diffrax.Euler()``, ``diffrax.Heun()``, ``diffrax.ShARK()``, ...) still run in
  diffrax, on the fixed grid of ``dt``: you asked for them.

Names are aliases: ``"euler"``, ``"heun"``, ``"rk4"`` are `Euler()`, `Heun()`, `RK4()`;
``"tsit5"``, ``"dopri5"``, ``"kvaerno5"`` the diffrax solvers of those names.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import diffrax
import equinox as eqx
import numpy as np
from diffrax import ThirdOrderHermitePolynomialInterpolation

if TYPE_CHECKING:
    # equinox's documented workaround: pyright does not see through its re-export
    from typing import ClassVar as AbstractClassVar
else:
    from equinox import AbstractClassVar

__all__ = [
    "AbstractFixedStepSolver",
    "Euler",
    "Heun",
    "RK4",
    "DiffraxRK4",
    "FIXED_STEP",
    "ADAPTIVE",
    "get_solver",
    "is_adaptive",
]


class AbstractFixedStepSolver(eqx.Module):
    """A fixed-step method of the package's scan engine.

    ``stages`` is the number of vector-field evaluations per step;
    ``delays_supported`` whether its evaluation points all sit on the step grid (a
    delayed read needs the coupled values at those points); ``noise_supported``
    whether it has a stochastic form for additive / Ornstein-Uhlenbeck noise.
    """

    name: AbstractClassVar[str]
    order: AbstractClassVar[int]
    delays_supported: AbstractClassVar[bool]
    noise_supported: AbstractClassVar[bool]


class Euler(AbstractFixedStepSolver):
    """Explicit Euler, ``x_{n+1} = x_n + dt f(t_n, x_n)``; with noise Euler-Maruyama,
    ``+ sigma sqrt(dt) xi_n`` (Kloeden & Platen 1992). Order 1."""

    name: ClassVar[str] = "euler"
    order: ClassVar[int] = 1
    delays_supported: ClassVar[bool] = True
    noise_supported: ClassVar[bool] = True


class Heun(AbstractFixedStepSolver):
    """Heun's method (explicit trapezoid): predictor ``p = x_n + dt f(t_n, x_n)``,
    ``x_{n+1} = x_n + dt/2 (f(t_n, x_n) + f(t_{n+1}, p))``. Order 2 (1 with noise:
    stochastic Heun, the same increment added to predictor and corrector)."""

    name: ClassVar[str] = "heun"
    order: ClassVar[int] = 2
    delays_supported: ClassVar[bool] = True
    noise_supported: ClassVar[bool] = True


class RK4(AbstractFixedStepSolver):
    """The classical 4-stage, 4th-order Runge-Kutta method (Kutta 1901), for undelayed,
    noise-free runs (its midpoint stages fall between the steps a delayed read has)."""

    name: ClassVar[str] = "rk4"
    order: ClassVar[int] = 4
    delays_supported: ClassVar[bool] = False
    noise_supported: ClassVar[bool] = False


_rk4_tableau = diffrax.ButcherTableau(
    c=np.array([0.5, 0.5, 1.0]),
    b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    # embedded midpoint (2nd order) estimate, only used by adaptive controllers
    b_error=np.array([1 / 6, 1 / 3 - 1.0, 1 / 3, 1 / 6]),
    a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
)


class DiffraxRK4(diffrax.AbstractERK):
    """The classical RK4 as a diffrax solver, for running it inside ``diffeqsolve``
    (e.g. to compare with diffrax's own methods); `RK4` runs it on the scan engine."""

    tableau: ClassVar[diffrax.ButcherTableau | diffrax.MultiButcherTableau] = _rk4_tableau
    interpolation_cls: ClassVar[Callable[..., ThirdOrderHermitePolynomialInterpolation]] = (
        ThirdOrderHermitePolynomialInterpolation.from_k
    )

    def order(self, terms):
        return 4


#: fixed-step methods of the scan engine, by name
FIXED_STEP: dict[str, Callable[[], AbstractFixedStepSolver]] = {
    "euler": Euler,
    "heun": Heun,
    "rk4": RK4,
}
#: adaptive diffrax methods, by name (PID controller; ``dt`` is the first step)
ADAPTIVE: dict[str, Callable[[], diffrax.AbstractSolver]] = {
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
    "kvaerno5": diffrax.Kvaerno5,
}


def get_solver(
    solver: str | AbstractFixedStepSolver | diffrax.AbstractSolver,
) -> AbstractFixedStepSolver | diffrax.AbstractSolver:
    """The solver object for a name (``"euler"``, ``"heun"``, ``"rk4"``, ``"tsit5"``,
    ``"dopri5"``, ``"kvaerno5"``); solver instances are returned as they are."""
    if isinstance(solver, (AbstractFixedStepSolver, diffrax.AbstractSolver)):
        return solver
    if not isinstance(solver, str):
        raise TypeError(
            f"solver must be a name or a solver instance (bm.solvers.Heun(), "
            f"diffrax.Tsit5(), ...), got {type(solver).__name__}."
        )
    table = {**FIXED_STEP, **ADAPTIVE}
    key = solver.lower()
    if key not in table:
        raise ValueError(
            f"Unknown solver {solver!r}; choose one of {sorted(table)} or pass a solver "
            "instance (bm.solvers.Euler/Heun/RK4 or any diffrax solver)."
        )
    return table[key]()


def is_adaptive(solver: str | AbstractFixedStepSolver | diffrax.AbstractSolver) -> bool:
    """True for solvers stepped by an adaptive (PID) controller: diffrax's adaptive
    solvers of order 3 or more (Bosh3, Tsit5, Dopri5/8, Kvaerno3-5, ...). The
    second-order ones with an embedded estimate (Heun, Midpoint, Ralston) are usually
    run on fixed steps, as diffrax itself does by default, and so run here."""
    solver = get_solver(solver)
    if not isinstance(solver, diffrax.AbstractAdaptiveSolver):
        return False
    try:
        order = solver.order(None)
        return order is None or order >= 3  # no order: as if None >= 3 had raised
    except (TypeError, ValueError, AttributeError):
        return True
