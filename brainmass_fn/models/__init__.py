"""Neural-mass node models, one file each, all filling `AbstractNeuralMass`.

``available()`` lists every model with its state variables, parameters, defaults
and units; ``get(name)`` returns a model class by name.
"""

from ._base import AbstractNeuralMass
from ._registry import MODELS, ModelInfo, ParameterInfo, available, get, model_table
from .coombes_byrne import CoombesByrne
from .fitzhugh_nagumo import FitzHughNagumo
from .generic_2d import Generic2dOscillator
from .hopf import Hopf
from .jansen_rit import JansenRit, jansen_rit_sigmoid
from .kuramoto import Kuramoto
from .larter_breakspear import LarterBreakspear
from .linear import Linear
from .montbrio import MontbrioPazoRoxin
from .threshold_linear import ThresholdLinear
from .wilson_cowan import WilsonCowan
from .wong_wang import ReducedWongWang, WongWangDeco, wong_wang_rate

__all__ = [
    "AbstractNeuralMass",
    "CoombesByrne",
    "FitzHughNagumo",
    "Generic2dOscillator",
    "Hopf",
    "JansenRit",
    "Kuramoto",
    "LarterBreakspear",
    "Linear",
    "MODELS",
    "ModelInfo",
    "MontbrioPazoRoxin",
    "ParameterInfo",
    "ReducedWongWang",
    "ThresholdLinear",
    "WilsonCowan",
    "WongWangDeco",
    "available",
    "get",
    "jansen_rit_sigmoid",
    "model_table",
    "wong_wang_rate",
]
