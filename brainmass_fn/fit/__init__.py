"""Fitting: ``fit(loss, params, strategy)`` and its result."""

from ._fit import fit
from ._result import FitResult

__all__ = ["FitResult", "fit"]
