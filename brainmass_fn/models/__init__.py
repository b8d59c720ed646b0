"""Neural-mass node models, one file each, all filling `AbstractNeuralMass`."""

from ._base import AbstractNeuralMass
from .hopf import Hopf
from .montbrio import MontbrioPazoRoxin
from .wilson_cowan import WilsonCowan

__all__ = ["AbstractNeuralMass", "Hopf", "MontbrioPazoRoxin", "WilsonCowan"]
