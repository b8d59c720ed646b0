"""The contract between `fit` and one family of search strategies.

The shared loop (`brainmass_fn._optimise.iterate`: progress bar, interruption,
checkpoints) and `fit` (callback, result) drive it; an adapter owns the algorithm.
An adapter turns the trainable raw values ``diff`` into a *carry* (everything the
algorithm needs to continue) and advances it one step at a time. A carry is what a
checkpoint stores, so a resumed fit continues exactly where the saved one stopped.
"""

from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
from jaxtyping import PyTree

__all__ = ["AbstractAdapter"]


class AbstractAdapter(abc.ABC):
    """One search family (optax, optimistix, nevergrad) behind `fit`'s loop."""

    #: short name of the strategy, stored in results and checkpoints
    name: str

    @abc.abstractmethod
    def init(self, diff: PyTree) -> Any:
        """The carry at the start of a fit from raw values ``diff``."""

    @abc.abstractmethod
    def step(self, carry: Any) -> tuple[Any, list[float], bool]:
        """One step: ``(new carry, objective at each evaluation made, converged?)``."""

    @abc.abstractmethod
    def best(self, carry: Any) -> tuple[PyTree, float]:
        """The best raw values seen and their objective (``inf`` if none finite)."""

    def finish(self, carry: Any) -> tuple[Any, list[float]]:
        """Work after the last step (e.g. evaluate the final iterate); default none."""
        return carry, []

    def n_evals(self, carry: Any, n_recorded: int) -> int:
        """Loss evaluations made so far; default one per recorded objective."""
        return n_recorded

    def save(self, carry: Any, path: str) -> None:
        """Write ``carry`` to ``path`` (array leaves, via equinox serialisation). Through
        a file handle: given a name without a suffix, equinox would add ``.eqx``."""
        with open(path, "wb") as f:
            eqx.tree_serialise_leaves(f, carry)

    def load(self, path: str, diff: PyTree, meta: dict[str, Any]) -> Any:
        """Read a carry saved by `save`; ``diff`` rebuilds its structure, ``meta`` is the
        checkpoint's sidecar (step count, losses)."""
        with open(path, "rb") as f:
            return eqx.tree_deserialise_leaves(f, self.init(diff))

    def n_accepted(self, carry: Any) -> int | None:
        """Steps that moved the search (None: the strategy does not count them)."""
        return None
