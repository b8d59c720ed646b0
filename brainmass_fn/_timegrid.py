"""Time arguments that fix array sizes: concrete values in ms, whole multiples of dt."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.core import Tracer

from .units import to_canonical

__all__ = ["concrete_ms", "whole_multiple"]


def concrete_ms(value: Any, name: str) -> float:
    """``value`` (a number in ms or a pint time quantity) as a Python float, ms.

    Durations, steps and sampling periods set the size of the output, so they must be
    concrete: a traced array (inside ``jit``, ``vmap`` or ``grad``) is a ``TypeError``,
    and so is anything but one real number (a string, a bool, None, an array).
    """
    value = to_canonical(value, "ms", name)
    traced = TypeError(
        f"{name} sets the size of the output, so it must be a concrete number in ms, "
        "not a traced array; pass a Python float outside jit/vmap/grad."
    )
    if isinstance(value, Tracer):
        raise traced
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(
            f"{name} must be a number in ms (or a pint time quantity), got "
            f"{type(value).__name__} {value!r}."
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, jax.errors.ConcretizationTypeError):
        raise traced from None
    real = np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    if arr.shape != () or not real:
        raise TypeError(
            f"{name} must be one real number in ms (or a pint time quantity), got "
            f"{type(value).__name__} of dtype {arr.dtype} and shape {arr.shape}."
        )
    return float(arr)


def whole_multiple(period: float, dt: float, name: str) -> int:
    """``k = period / dt`` (ms / ms) for a ``period`` that is ``k >= 1`` steps of ``dt``,
    to a relative ``1e-6``; a clear ``ValueError`` otherwise."""
    if not dt > 0 or not period > 0:
        raise ValueError(f"dt and {name} must be > 0 ms, got dt={dt}, {name}={period}.")
    if not period / dt < 2**53:  # beyond this, k * dt cannot be checked (or is inf)
        raise ValueError(
            f"{name} ({period} ms) is {period / dt:.3g} steps of dt ({dt} ms), too many to "
            "count; raise dt."
        )
    k = int(round(period / dt))
    if k < 1 or abs(k * dt - period) > 1e-6 * period:
        raise ValueError(
            f"{name} ({period} ms) must be a whole multiple of dt ({dt} ms); choose "
            f"{name} = k * dt (or resample the trace)."
        )
    return k
