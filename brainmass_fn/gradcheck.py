"""Check an autodiff gradient against central finite differences."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, PyTree

from .params import resolve, trainable

__all__ = ["GradCheck", "check_gradient"]


@dataclasses.dataclass(frozen=True)
class GradCheck:
    """Autodiff and finite-difference gradients over the flattened trainable leaves.

    ``rel_error = ||g_ad - g_fd|| / ||g_fd||`` (Euclidean norms).
    """

    autodiff: np.ndarray
    finite_difference: np.ndarray
    rel_error: float
    names: tuple[str, ...]


def check_gradient(
    loss: Callable[[PyTree], Array], params: PyTree, *, step: float = 1e-6
) -> GradCheck:
    """Compare ``jax.grad(loss)`` with central differences ``(L(x+h) - L(x-h)) / 2h``.

    The derivative is taken with respect to the same leaves `fit` would update: the
    unconstrained ``raw`` of each trainable `Param` (or every float array if there
    are none). The step for coordinate ``i`` is ``step * max(1, |x_i|)``. Run it in
    float64 (``with jax.enable_x64(True):``); in float32 finite differences are only
    good to about 1e-3.
    """
    diff, static = eqx.partition(params, trainable(params))
    flat, unravel = ravel_pytree(diff)
    if flat.dtype != jnp.float64:
        warnings.warn(
            "check_gradient is running in float32; enable float64 with "
            "jax.enable_x64(True) for a meaningful comparison.",
            stacklevel=2,
        )

    def scalar(x: Array) -> Array:
        return loss(resolve(eqx.combine(unravel(x), static)))

    autodiff = np.asarray(jax.jit(jax.grad(scalar))(flat))
    f = jax.jit(scalar)
    x0 = np.asarray(flat)
    fd = np.empty_like(x0)
    for i in range(x0.size):
        h = step * max(1.0, abs(float(x0[i])))
        up, down = x0.copy(), x0.copy()
        up[i] += h
        down[i] -= h
        fd[i] = (float(f(jnp.asarray(up))) - float(f(jnp.asarray(down)))) / (2 * h)
    denom = max(np.linalg.norm(fd), np.finfo(fd.dtype).tiny)
    names = _coordinate_names(diff)
    return GradCheck(autodiff, fd, float(np.linalg.norm(autodiff - fd) / denom), names)


def _coordinate_names(diff: PyTree) -> tuple[str, ...]:
    names = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(diff)[0]:
        base = jax.tree_util.keystr(path)
        size = int(np.size(leaf))
        names.extend([base] if size == 1 else [f"{base}[{i}]" for i in range(size)])
    return tuple(names)
