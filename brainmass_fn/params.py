"""Trainable parameters: `Param`, bounds as smooth transforms, filters, names.

A `Param` marks a leaf of any pytree (a model, a network, a dict) as something to
fit. It stores an *unconstrained* array ``raw``; its constrained ``value`` is
``transform.forward(raw)``. Bounds become smooth bijections so that a gradient
optimiser can move ``raw`` freely over the real line:

- no bounds: identity, ``value = raw``;
- lower bound only: ``value = lower + softplus(raw)``;
- upper bound only: ``value = upper - softplus(raw)``;
- both: ``value = lower + (upper - lower) * sigmoid(raw)``.

An infinite bound on its own side (``lower=-inf``, ``upper=inf``) is no bound. The
initial value must be finite and strictly inside the bounds; NaN bounds, ``lower >=
upper`` and non-numeric values are errors at construction.

`resolve` replaces every `Param` in a tree by its value, which is what model code
sees. `trainable` builds the filter spec (``eqx.partition``) that selects the
``raw`` arrays of trainable params, and `param_values` reads values back by name.
"""

from __future__ import annotations

import abc
from typing import Any, TypeGuard

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer
from jaxtyping import Array, ArrayLike, Float, PyTree

from .units import is_quantity, to_canonical, ureg

__all__ = [
    "AbstractTransform",
    "Identity",
    "LowerBounded",
    "UpperBounded",
    "Interval",
    "Param",
    "is_param",
    "resolve",
    "trainable",
    "param_values",
    "canonical_field",
]


def _softplus_inverse(y: Array) -> Array:
    # log(exp(y) - 1), written to stay finite for large y
    return y + jnp.log(-jnp.expm1(-y))


class AbstractTransform(eqx.Module):
    """A smooth bijection from the real line onto a parameter's allowed set."""

    @abc.abstractmethod
    def forward(self, raw: Array) -> Array:
        """Unconstrained ``raw`` -> constrained value."""

    @abc.abstractmethod
    def inverse(self, value: Array) -> Array:
        """Constrained value -> unconstrained ``raw``."""

    def scaled(self, factor: float) -> AbstractTransform:
        """The same constraint with its bounds multiplied by ``factor`` (unit change)."""
        return self


class Identity(AbstractTransform):
    """No constraint: ``value = raw``."""

    def forward(self, raw: Array) -> Array:
        return raw

    def inverse(self, value: Array) -> Array:
        return value


class LowerBounded(AbstractTransform):
    """``value = lower + softplus(raw)`` > lower."""

    lower: float = eqx.field(static=True)

    def forward(self, raw: Array) -> Array:
        return self.lower + jax.nn.softplus(raw)

    def inverse(self, value: Array) -> Array:
        return _softplus_inverse(value - self.lower)

    def scaled(self, factor: float) -> AbstractTransform:
        return LowerBounded(self.lower * factor)


class UpperBounded(AbstractTransform):
    """``value = upper - softplus(raw)`` < upper."""

    upper: float = eqx.field(static=True)

    def forward(self, raw: Array) -> Array:
        return self.upper - jax.nn.softplus(raw)

    def inverse(self, value: Array) -> Array:
        return _softplus_inverse(self.upper - value)

    def scaled(self, factor: float) -> AbstractTransform:
        return UpperBounded(self.upper * factor)


class Interval(AbstractTransform):
    """``value = lower + (upper - lower) * sigmoid(raw)`` in (lower, upper)."""

    lower: float = eqx.field(static=True)
    upper: float = eqx.field(static=True)

    def forward(self, raw: Array) -> Array:
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(raw)

    def inverse(self, value: Array) -> Array:
        p = (value - self.lower) / (self.upper - self.lower)
        return jnp.log(p) - jnp.log1p(-p)

    def scaled(self, factor: float) -> AbstractTransform:
        lo, hi = sorted((self.lower * factor, self.upper * factor))
        return Interval(lo, hi)


def _magnitude(x: Any, unit: str | None) -> Any:
    return x.to(unit).magnitude if is_quantity(x) else x


class Param(eqx.Module):
    """A parameter to fit: an initial value with optional bounds.

    Example: ``Hopf(a=Param(0.1, lower=-1.0, upper=3.0))``. Values and bounds may be
    pint quantities; a model field converts them to its canonical unit.

    Attributes:
        raw: unconstrained array that an optimiser updates.
        transform: maps ``raw`` to the constrained value (set from the bounds).
        trainable: if False, the parameter is frozen (kept out of the fit).
        unit: the unit ``raw`` was given in, until a model field makes it canonical.
    """

    raw: Float[Array, " ..."]
    transform: AbstractTransform
    trainable: bool = eqx.field(static=True, default=True)
    unit: str | None = eqx.field(static=True, default=None)

    def __init__(
        self,
        value: ArrayLike | Any,
        lower: float | Any | None = None,
        upper: float | Any | None = None,
        *,
        trainable: bool = True,
    ):
        unit = None
        if is_quantity(value):
            unit = str(value.units)
        for bound_name, bound in (("lower", lower), ("upper", upper)):
            if is_quantity(bound) and unit is None:
                raise ValueError(
                    f"Param {bound_name} bound has units ({bound.units:~}) but the value "
                    "has none; give the value with units too."
                )
            if bound is not None and unit is not None:
                to_canonical(bound if is_quantity(bound) else bound * ureg(unit), unit, bound_name)
        value = _check_value(_magnitude(value, unit))
        lower = _check_bound(_magnitude(lower, unit), "lower")
        upper = _check_bound(_magnitude(upper, unit), "upper")
        if lower is not None and upper is not None and not lower < upper:
            raise ValueError(
                f"Param bounds need lower < upper, got lower={lower}, upper={upper}; swap "
                "them, or widen the interval."
            )
        self.transform = _transform_for(lower, upper)
        dtype = jnp.result_type(float)
        if not isinstance(value, Tracer) and np.any(np.abs(value) > jnp.finfo(dtype).max):
            raise ValueError(
                f"Param value {value} overflows {dtype} (largest {jnp.finfo(dtype).max:.3g}); "
                "rescale the parameter (other units) or run inside jax.enable_x64(True)."
            )
        cast = jnp.asarray(value, dtype=dtype)
        _check_inside(cast, lower, upper)
        self.raw = self.transform.inverse(cast)
        self.trainable = trainable
        self.unit = unit
        _check_round_trip(value, self.raw, self.transform)

    @property
    def value(self) -> Array:
        """The constrained value, ``transform.forward(raw)``."""
        return self.transform.forward(self.raw)

    def in_unit(self, unit: str, name: str = "parameter") -> Param:
        """This parameter expressed in ``unit`` (bounds rescaled, same fitted meaning)."""
        if self.unit is None:
            return self
        factor = to_canonical(1.0 * ureg(self.unit), unit, name)
        new = Param.__new__(Param)
        object.__setattr__(new, "transform", self.transform.scaled(factor))
        object.__setattr__(new, "raw", new.transform.inverse(self.value * factor))
        object.__setattr__(new, "trainable", self.trainable)
        object.__setattr__(new, "unit", None)
        return new


def _transform_for(lower: float | None, upper: float | None) -> AbstractTransform:
    if lower is not None and upper is not None:
        return Interval(lower, upper)
    if lower is not None:
        return LowerBounded(lower)
    if upper is not None:
        return UpperBounded(upper)
    return Identity()


def _check_value(value: Any) -> Any:
    """``value`` as an array of real numbers, all finite (tracers pass unchecked)."""
    if isinstance(value, Tracer):
        return value
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"Param value must be a real number or an array of real numbers, got "
            f"{type(value).__name__} {value!r}; pass a number, e.g. Param(0.1)."
        )
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"Param value must be a rectangular array of numbers; numpy could not read it ({err})."
        ) from None
    real = jnp.issubdtype(arr.dtype, jnp.floating) or jnp.issubdtype(arr.dtype, jnp.integer)
    if arr.dtype == bool or not real:
        raise TypeError(
            f"Param value must be a real number or an array of real numbers, got dtype "
            f"{arr.dtype} ({type(value).__name__}); pass floats, e.g. Param(0.1)."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"Param value must be finite, got {arr}; give a finite initial value (an "
            "infinite or NaN start has no gradient and no meaning as a parameter)."
        )
    return arr


def _check_bound(bound: Any, name: str) -> float | None:
    """A bound as a float; ``None``, ``-inf`` (lower) or ``+inf`` (upper) mean no bound."""
    if bound is None:
        return None
    if isinstance(bound, (str, bytes, bool)):
        raise TypeError(
            f"Param {name} bound must be a real number or None (no bound), got "
            f"{type(bound).__name__} {bound!r}."
        )
    try:
        arr = np.asarray(bound)
    except (ValueError, TypeError):
        arr = np.asarray(object())
    real = jnp.issubdtype(arr.dtype, jnp.floating) or jnp.issubdtype(arr.dtype, jnp.integer)
    if arr.shape != () or not real or arr.dtype == bool:
        raise TypeError(
            f"Param {name} bound must be one real number or None (no bound), got {bound!r}; "
            "per-element bounds are not supported."
        )
    b = float(arr)
    if np.isnan(b):
        raise ValueError(f"Param {name} bound is NaN; give a number, or None for no bound.")
    if (name == "lower" and b == -np.inf) or (name == "upper" and b == np.inf):
        return None  # an infinite bound on its own side is no bound
    if np.isinf(b):
        raise ValueError(
            f"Param {name} bound is {b}: no value lies {'above' if b > 0 else 'below'} it. "
            f"Give a finite {name} bound, or None for no bound."
        )
    return b


def _check_inside(value: Array, lower: float | None, upper: float | None) -> None:
    if isinstance(value, Tracer):
        return
    v = np.asarray(value, dtype=np.float64)
    if lower is not None and np.any(v <= lower):
        raise ValueError(
            f"Param initial value {v} must be > lower bound {lower}; start strictly inside "
            "the bounds."
        )
    if upper is not None and np.any(v >= upper):
        raise ValueError(
            f"Param initial value {v} must be < upper bound {upper}; start strictly inside "
            "the bounds."
        )


def _check_round_trip(value: Any, raw: Array, transform: AbstractTransform) -> None:
    """The stored ``raw`` and the value read back from it are finite in the float type."""
    if isinstance(raw, Tracer):
        return
    back = transform.forward(raw)
    if not (np.all(np.isfinite(np.asarray(raw))) and np.all(np.isfinite(np.asarray(back)))):
        dtype = jnp.result_type(float)
        raise ValueError(
            f"Param value {np.asarray(value)} with {transform} cannot be represented in "
            f"{dtype} (it overflows or sits too close to a bound); rescale the parameter "
            "(other units), move it away from the bounds, or run inside "
            "jax.enable_x64(True)."
        )


def is_param(x: Any) -> TypeGuard[Param]:
    """True for a `Param` node (use as ``is_leaf`` in tree maps)."""
    return isinstance(x, Param)


def resolve(tree: PyTree) -> PyTree:
    """Replace every `Param` in ``tree`` by its constrained value."""
    return jax.tree_util.tree_map(lambda x: x.value if is_param(x) else x, tree, is_leaf=is_param)


def trainable(tree: PyTree) -> PyTree[bool]:
    """Filter spec selecting what a fit updates.

    If ``tree`` holds any `Param`, only the ``raw`` arrays of trainable params are
    selected; otherwise every floating-point array leaf is.
    """
    has_params = any(is_param(x) for x in jax.tree_util.tree_leaves(tree, is_leaf=is_param))
    if not has_params:
        return jax.tree_util.tree_map(eqx.is_inexact_array, tree)

    def spec(x: Any) -> Any:
        if is_param(x):
            return jax.tree_util.tree_map(lambda _: x.trainable, x)
        return jax.tree_util.tree_map(lambda _: False, x)

    return jax.tree_util.tree_map(spec, tree, is_leaf=is_param)


def _path_name(path: tuple) -> str:
    parts = []
    for key in path:
        if isinstance(key, jax.tree_util.GetAttrKey):
            parts.append(key.name)
        elif isinstance(key, jax.tree_util.DictKey):
            parts.append(str(key.key))
        elif isinstance(key, jax.tree_util.SequenceKey):
            parts.append(str(key.idx))
        else:
            parts.append(str(key))
    return ".".join(parts) if parts else "value"


def param_values(tree: PyTree, *, trainable_only: bool = True) -> dict[str, Array]:
    """Values of the params in ``tree`` by dotted name, e.g. ``{"node.a": 1.5}``.

    With no `Param` in ``tree``, every floating-point array leaf is listed.
    """
    leaves = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_param)[0]
    params = [(p, x) for p, x in leaves if is_param(x)]
    if params:
        return {_path_name(p): x.value for p, x in params if x.trainable or not trainable_only}
    return {_path_name(p): x for p, x in leaves if eqx.is_inexact_array(x)}


def _convert(value: Any, unit: str, name: str) -> Any:
    if is_param(value):
        return value.in_unit(unit, name)
    value = to_canonical(value, unit, name)
    if isinstance(value, (int, float, np.ndarray, np.generic, list, tuple)):
        value = jnp.asarray(value, dtype=jnp.result_type(float))
    return value


def canonical_field(default: Any, unit: str = "dimensionless", name: str = "parameter") -> Any:
    """A Module field in canonical ``unit`` that accepts quantities, numbers or `Param`.

    Example: ``tau: Float[Array, " *nodes"] = canonical_field(2.5, "ms", "tau")``.
    """
    return eqx.field(
        default=default,
        converter=lambda v: _convert(v, unit, name),
        metadata={"unit": unit},
    )
