"""Datasets as tuples of arrays with a leading sample axis, and their batches.

A dataset is a tuple ``(a_1, ..., a_m)`` of arrays that all share the first axis
(the samples), e.g. ``(inputs, labels)``; a batch is the same tuple indexed by a
vector of sample indices and is passed to the loss as ``loss_fn(model, *batch)``.
Each epoch visits a fresh random order, ``jax.random.permutation(fold_in(key,
epoch), n)``, so that the order depends only on the key and the epoch number (which
is what lets a resumed run repeat an uninterrupted one exactly). The last
``n mod batch_size`` samples of that order are left out of the epoch, so every step
has the same shape and the step compiles once; a different subset is left out
each epoch.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int, PRNGKeyArray

__all__ = ["as_dataset", "epoch_batches", "take"]


def as_dataset(data: Any, name: str = "data") -> tuple[Array, ...]:
    """Check ``data`` is a tuple/list of arrays sharing the first axis; return a tuple."""
    if isinstance(data, (np.ndarray, jax.Array)):
        data = (data,)
    if not isinstance(data, (tuple, list)) or not data:
        raise TypeError(
            f"{name} must be a tuple of arrays with a leading sample axis, e.g. "
            f"(inputs, targets); got {type(data).__name__}."
        )
    arrays = tuple(jnp.asarray(a) for a in data)
    if any(a.ndim == 0 for a in arrays):
        raise ValueError(f"every array in {name} needs a leading sample axis; got a scalar.")
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) != 1:
        shapes = [a.shape for a in arrays]
        raise ValueError(
            f"arrays in {name} disagree on the number of samples (first axis): {shapes}."
        )
    return arrays


def n_samples(data: tuple[Array, ...]) -> int:
    return int(data[0].shape[0])


def epoch_batches(
    key: PRNGKeyArray, epoch: int, n: int, batch_size: int
) -> Int[Array, " batches batch_size"]:
    """Sample indices of each full batch of epoch ``epoch`` (0-based), one row per batch."""
    order = jax.random.permutation(jax.random.fold_in(key, epoch), n)
    n_batches = n // batch_size
    return order[: n_batches * batch_size].reshape(n_batches, batch_size)


def take(data: tuple[Array, ...], index: Array) -> tuple[Array, ...]:
    """The samples ``index`` of every array in ``data``."""
    return tuple(a[index] for a in data)
