"""Inference beyond a point fit: Laplace posteriors and local identifiability."""

from ._laplace import Laplace, laplace

__all__ = ["Laplace", "laplace"]
