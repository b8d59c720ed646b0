"""Compile-cache key of an optax strategy: same configuration, same compiled step.

`fit`'s steps are module-level ``eqx.filter_jit`` functions that take the loss and
the strategy as static arguments, so JAX's own jit cache reuses a compiled step
whenever both hash and compare equal to those of an earlier fit (and the params
have the same structure, shapes and dtypes). The loss is compared by identity: two
functions with the same code may close over different data.

An optax ``GradientTransformation`` is a pair of closures (``init``, ``update``),
and ``optax.adam(0.1)`` built anew is a new pair: compared by identity, every
``fit(loss, params, optax.adam(0.1))`` would compile its step again. `StrategyKey`
compares a strategy by its configuration instead: two functions are equal when
they run the same code object, in the same globals, with equal defaults and equal
closed-over values, compared recursively through nested closures and tuples (which
is how ``optax.chain`` and every optax alias are built). Only immutable values
(numbers, strings, None, dtypes, and tuples of these) are compared by value;
everything else (arrays, dicts, lists, objects, functions with attributes) by
identity, so an equal key never stands for a strategy with other numbers in it.
A recursive closure is compared by identity where it refers back to itself.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

__all__ = ["StrategyKey"]

# compared by value; keyed on (type, repr) so that 1 != 1.0 != True and -0.0 != 0.0
_ATOMS = (type(None), bool, int, float, complex, str, bytes, np.dtype, np.generic)
_EMPTY_CELL = object()  # a closure cell not yet assigned


class _Identity:
    """Compares (and hashes) the object it holds by identity."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _cell(cell: types.CellType, path: frozenset[int]) -> Any:
    try:
        contents = cell.cell_contents
    except ValueError:  # empty cell
        return _Identity(_EMPTY_CELL)
    return _key(contents, path)


def _key(obj: Any, path: frozenset[int]) -> Any:
    """A hashable value equal for objects that behave the same (see module docstring)."""
    if isinstance(obj, _ATOMS):
        return (type(obj), repr(obj))
    if type(obj) is tuple or (isinstance(obj, tuple) and hasattr(obj, "_fields")):
        return (type(obj), tuple(_key(x, path) for x in obj))  # tuple or NamedTuple
    if isinstance(obj, types.FunctionType) and not obj.__dict__ and id(obj) not in path:
        path = path | {id(obj)}
        kwdefaults = sorted((obj.__kwdefaults__ or {}).items())
        return (
            types.FunctionType,
            _Identity(obj.__code__),
            _Identity(obj.__globals__),
            _key(obj.__defaults__, path),
            tuple((name, _key(v, path)) for name, v in kwdefaults),
            tuple(_cell(c, path) for c in obj.__closure__ or ()),
        )
    return _Identity(obj)


class StrategyKey:
    """An optax ``GradientTransformation`` as a static jit argument, equal by
    configuration: ``StrategyKey(optax.adam(0.1)) == StrategyKey(optax.adam(0.1))``,
    ``!= StrategyKey(optax.adam(0.2))``. ``tx`` is the strategy itself."""

    __slots__ = ("_hash", "_key", "tx")

    def __init__(self, tx: Any):
        self.tx = tx
        self._key = _key(tx, frozenset())
        self._hash = hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StrategyKey) and (
            other.tx is self.tx or (other._hash == self._hash and other._key == self._key)
        )

    def __hash__(self) -> int:
        return self._hash
