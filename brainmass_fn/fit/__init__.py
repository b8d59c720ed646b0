"""Fitting: ``fit(loss, params, strategy)``, its strategies and its result.

Strategies, dispatched on type: optax ``GradientTransformation``; optimistix
minimisers and least-squares solvers; nevergrad optimisers (`Nevergrad`).
"""

from ._fit import fit
from ._nevergrad import Nevergrad
from ._result import FitResult, param_units

__all__ = ["FitResult", "Nevergrad", "fit", "param_units"]
