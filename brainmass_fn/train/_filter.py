"""Which leaves of a model `train` updates: filter specs for `equinox.partition`."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
from jaxtyping import PyTree

from ..params import is_param

__all__ = ["trainable_with_arrays", "free_arrays"]


def trainable_with_arrays(model: PyTree) -> PyTree[bool]:
    """Filter spec: the ``raw`` of every trainable `Param` *and* every floating-point array
    outside a `Param`.

    Use it for a model that mixes `Param` leaves (a brainmass_fn network) with plain
    equinox layers (e.g. an ``eqx.nn.Linear`` readout):
    ``train(..., filter_spec=trainable_with_arrays(model))``. Frozen params
    (``Param(..., trainable=False)``) stay frozen.
    """

    def spec(x: Any) -> Any:
        if is_param(x):
            return jax.tree_util.tree_map(lambda _: x.trainable, x)
        return eqx.is_inexact_array(x)

    return jax.tree_util.tree_map(spec, model, is_leaf=is_param)


def free_arrays(model: PyTree) -> list[str]:
    """Paths of floating-point arrays that are not inside a `Param`."""
    leaves = jax.tree_util.tree_flatten_with_path(model, is_leaf=is_param)[0]
    return [
        jax.tree_util.keystr(path)
        for path, x in leaves
        if not is_param(x) and eqx.is_inexact_array(x)
    ]
