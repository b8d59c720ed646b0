"""brainmass_fn: differentiable whole-brain neural-mass modelling in JAX."""

from . import models
from .fit import FitResult, fit
from .gradcheck import GradCheck, check_gradient
from .models import AbstractNeuralMass, Hopf, MontbrioPazoRoxin, WilsonCowan
from .params import Param, param_values, resolve, trainable
from .simulate import Trajectory, simulate
from .units import UnitError, ureg

__version__ = "0.1.0"

__all__ = [
    "AbstractNeuralMass",
    "FitResult",
    "GradCheck",
    "Hopf",
    "MontbrioPazoRoxin",
    "Param",
    "Trajectory",
    "UnitError",
    "WilsonCowan",
    "check_gradient",
    "fit",
    "models",
    "param_values",
    "resolve",
    "simulate",
    "trainable",
    "ureg",
]
