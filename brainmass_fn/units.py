"""Physical units at the API boundary.

Quantities may enter the API as `pint` quantities (``0.1 * ureg.ms``) or as plain
numbers. A quantity is converted **once**, at construction, to the canonical unit
of its argument and travels inside JAX as a plain array. Plain numbers are taken
to be in canonical units already.

Canonical units:

| quantity  | unit  |
|-----------|-------|
| time      | ms    |
| rate      | 1/ms  (angular frequencies: rad/ms) |
| distance  | mm    |
| speed     | mm/ms (= m/s) |
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeGuard

import pint

__all__ = [
    "ureg",
    "Quantity",
    "UnitError",
    "to_canonical",
    "is_quantity",
    "TimeLike",
    "RateLike",
    "DistanceLike",
    "SpeedLike",
]

ureg = pint.UnitRegistry()
Quantity: type[pint.Quantity] = ureg.Quantity

# Arguments with a unit: a plain number, read in the canonical unit (unless the
# argument's docstring says otherwise), or a pint quantity converted once at the
# boundary. ``int`` is spelled out for run-time checkers (beartype), which do not
# apply the static rule that an int is acceptable as a float.
#: a time, ms
TimeLike: TypeAlias = float | int | pint.Quantity
#: a rate, 1/ms
RateLike: TypeAlias = float | int | pint.Quantity
#: a distance, mm
DistanceLike: TypeAlias = float | int | pint.Quantity
#: a speed, mm/ms (= m/s)
SpeedLike: TypeAlias = float | int | pint.Quantity

class UnitError(ValueError):
    """A quantity was given with a unit of the wrong physical dimension."""


def is_quantity(value: Any) -> TypeGuard[pint.Quantity]:
    """True if ``value`` is a pint quantity (of any registry)."""
    return isinstance(value, pint.Quantity)


def to_canonical(value: Any, unit: str, name: str = "value") -> Any:
    """Strip the unit from ``value``, expressed in ``unit`` (e.g. ``"ms"``).

    Args:
        value: a pint quantity, or a plain number/array (returned unchanged: it is
            assumed to be in ``unit`` already).
        unit: the canonical unit to convert to, a pint unit string.
        name: the argument's name, used in the error message.

    Raises:
        UnitError: if ``value`` has a dimension other than ``unit``'s.
    """
    if not is_quantity(value):
        return value
    target = ureg.Unit(unit)
    if value.dimensionality != target.dimensionality:
        raise UnitError(
            f"{name} has units of {value.units:~} ({value.dimensionality}), but it must be "
            f"convertible to {target:~} ({target.dimensionality}). "
            f"Pass a quantity in {target:~} (or any unit of that dimension), "
            f"or a plain number, which is read as {target:~}."
        )
    return value.to(target).magnitude
