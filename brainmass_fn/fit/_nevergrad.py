"""Gradient-free search with nevergrad optimisers (CMA, NGOpt, DE, PSO, ...).

Each step is one *generation*: ``population`` candidates are asked from the
optimiser, evaluated together as one batch (``jax.vmap`` over the candidates inside
one jitted call, so a generation costs one compiled program, not ``population``
Python calls) and told back (Rapin & Teytaud 2018, *Nevergrad*; Hansen 2016, *The
CMA evolution strategy: a tutorial*, arXiv:1604.00772).

Search space, per trainable `Param`:

- both bounds: nevergrad's native bounds on the *value*, ``Array(init=value,
  lower=lower, upper=upper)``, with mutation scale ``sigma = (upper - lower) / 6``;
- one bound or none: the unconstrained ``raw`` value (the same smooth transform the
  gradient strategies use) with nevergrad's default ``sigma = 1`` in raw units.
  Give both bounds to search a physically meaningful box.

A candidate whose loss is NaN or inf is scored ``+inf`` (nevergrad clips it to its
largest value); it never becomes the best.

Checkpoints hold no pickle: the carry records, per generation, the candidates asked
and the losses told, saved as an ``.npz`` of numbers. Resuming builds a fresh
optimiser from the same seed and replays the generations (ask, check that the
candidates equal the saved ones, tell the saved losses), which reproduces its state
exactly without evaluating the loss again. Replay costs nevergrad's own ask/tell
time, small next to a simulation.

NGOpt under numpy >= 2.4: nevergrad 1.0.x's MetaModel surrogate (which NGOpt picks
for small, smooth problems) calls ``float()`` on a 1-element array, which numpy 2.4
refuses with a ``TypeError``. While asking and telling, that one error is turned
into nevergrad's own ``MetaModelFailure``, on which MetaModel falls back to its base
optimiser (CMA or DE), exactly as it does when a surrogate cannot be learned. The
surrogate shortcut is lost; the search is otherwise nevergrad's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import nevergrad as ng
import numpy as np
from jaxtyping import Array, PyTree

from ..params import AbstractTransform, Identity, Interval, is_param, trainable
from ._adapter import AbstractAdapter
from ._objective import objective

__all__ = ["Nevergrad", "NevergradAdapter", "is_nevergrad"]


@contextlib.contextmanager
def _surrogate_type_errors_fall_back():
    """Within the block, nevergrad's surrogate fit raises ``MetaModelFailure``, not
    numpy 2.4's ``TypeError`` from ``float(array_of_size_1)`` (see module docstring)."""
    from nevergrad.optimization import metamodel, optimizerlib

    original = optimizerlib.learn_on_k_best

    def learn_on_k_best(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except TypeError as err:
            if "0-dimensional" not in str(err):
                raise
            raise metamodel.MetaModelFailure(str(err)) from err

    optimizerlib.learn_on_k_best = learn_on_k_best
    try:
        yield
    finally:
        optimizerlib.learn_on_k_best = original


@dataclasses.dataclass(frozen=True)
class Nevergrad:
    """A nevergrad optimiser as a `fit` strategy.

    Args:
        optimizer: a name in ``nevergrad.optimizers.registry`` (``"CMA"``,
            ``"NGOpt"``, ``"DE"``, ``"TwoPointsDE"``, ``"PSO"``, ...) or the registry
            entry itself (``nevergrad.optimizers.CMA``).
        population: candidates per generation, evaluated as one batch; default
            ``4 + floor(3 ln d)`` for ``d`` fitted numbers (CMA-ES's default).
        seed: seed of the optimiser's random state (fits are reproducible).

    ``fit(..., steps=n)`` runs ``n`` generations, i.e. ``n * population`` loss
    evaluations. Passing a registry entry directly as the strategy is the same as
    ``Nevergrad(entry)``.
    """

    optimizer: Any = "CMA"
    population: int | None = None
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.optimizer, str) and self.optimizer not in ng.optimizers.registry:
            raise ValueError(
                f"optimizer {self.optimizer!r} is not in nevergrad.optimizers.registry; "
                "try 'CMA', 'NGOpt', 'DE', 'TwoPointsDE' or 'PSO'."
            )
        if self.population is not None and self.population < 2:
            raise ValueError(f"population must be >= 2, got {self.population}.")

    @property
    def name(self) -> str:
        opt = self.optimizer
        if isinstance(opt, str):
            return opt
        return getattr(opt, "name", None) or getattr(opt, "__name__", type(opt).__name__)

    def factory(self) -> Any:
        opt = self.optimizer
        return ng.optimizers.registry[opt] if isinstance(opt, str) else opt


def is_nevergrad(strategy: object) -> bool:
    """A `Nevergrad` strategy, or a raw nevergrad optimiser class / configured family."""
    if isinstance(strategy, Nevergrad | ng.optimizers.base.ConfiguredOptimizer):
        return True
    return isinstance(strategy, type) and issubclass(strategy, ng.optimizers.base.Optimizer)


def _leaf_transforms(params: PyTree) -> list[AbstractTransform]:
    """The transform of each trainable raw leaf, in the order of ``tree_leaves(diff)``."""
    diff, _ = eqx.partition(params, trainable(params))
    out = []
    for leaf in jax.tree_util.tree_leaves(diff, is_leaf=is_param):
        if is_param(leaf):
            out.extend([leaf.transform] * len(jax.tree_util.tree_leaves(leaf)))
        elif eqx.is_array(leaf):
            out.append(Identity())
    return out


def _space(diff: PyTree, transforms: list[AbstractTransform]) -> ng.p.Tuple:
    arrays = []
    for raw, tr in zip(jax.tree_util.tree_leaves(diff), transforms, strict=True):
        if isinstance(tr, Interval):
            value = np.atleast_1d(np.asarray(tr.forward(raw), dtype=float))
            arrays.append(ng.p.Array(init=value, lower=tr.lower, upper=tr.upper))
        else:  # nevergrad arrays need at least one axis; shapes are restored later
            arrays.append(ng.p.Array(init=np.atleast_1d(np.asarray(raw, dtype=float))))
    return ng.p.Tuple(*arrays)


@eqx.filter_jit
def _batch(loss: Callable, static: PyTree, treedef: Any, transforms: tuple, values: tuple) -> Array:
    """Objective of every candidate: ``vmap`` over the leading (population) axis."""

    def one(vals: tuple) -> Array:
        raws = [
            tr.inverse(v) if isinstance(tr, Interval) else v
            for tr, v in zip(transforms, vals, strict=True)
        ]
        return objective(loss, jax.tree_util.tree_unflatten(treedef, raws), static)

    return jax.vmap(one)(values)


@dataclasses.dataclass
class _Carry:
    optimizer: Any
    best_values: list[np.ndarray] | None
    best_loss: float
    #: per generation: the candidates asked (population x numbers) and the losses told
    asked: list[np.ndarray] = dataclasses.field(default_factory=list)
    told: list[np.ndarray] = dataclasses.field(default_factory=list)


def _flat(candidate: Any) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in candidate.value])


class NevergradAdapter(AbstractAdapter):
    """Ask / evaluate one batch / tell, one generation per step."""

    def __init__(
        self, loss: Callable, strategy: Nevergrad, params: PyTree, static: PyTree, steps: int
    ):
        self.loss, self.strategy, self.static, self.steps = loss, strategy, static, steps
        self.name = strategy.name
        self.transforms = tuple(_leaf_transforms(params))
        diff, _ = eqx.partition(params, trainable(params))
        self.treedef = jax.tree_util.tree_structure(diff)
        self.shapes = [np.shape(x) for x in jax.tree_util.tree_leaves(diff)]
        dim = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(diff))
        self.population = strategy.population or 4 + int(3 * math.log(max(dim, 1)))
        self._dtype = jnp.result_type(float)

    def init(self, diff: PyTree) -> _Carry:
        space = _space(diff, list(self.transforms))
        space.random_state = np.random.RandomState(self.strategy.seed)
        optimizer = self.strategy.factory()(
            parametrization=space,
            budget=self.steps * self.population,
            num_workers=self.population,
        )
        return _Carry(optimizer, None, math.inf)

    def _ask(self, opt: Any) -> list[Any]:
        with _surrogate_type_errors_fall_back():
            return [opt.ask() for _ in range(self.population)]

    def _tell(self, opt: Any, cands: list[Any], losses: np.ndarray) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ng.errors.LossTooLargeWarning)
            with _surrogate_type_errors_fall_back():
                for c, v in zip(cands, losses, strict=True):
                    opt.tell(c, float(v))

    def step(self, carry: _Carry) -> tuple[_Carry, list[float], bool]:
        opt = carry.optimizer
        cands = self._ask(opt)
        values = tuple(
            jnp.asarray(np.stack([np.reshape(c.value[i], s) for c in cands]), dtype=self._dtype)
            for i, s in enumerate(self.shapes)
        )
        losses = np.asarray(_batch(self.loss, self.static, self.treedef, self.transforms, values))
        losses = np.where(np.isfinite(losses), losses, np.inf).astype(float)
        self._tell(opt, cands, losses)
        return self._record(carry, cands, losses), losses.tolist(), False

    def _record(self, carry: _Carry, cands: list[Any], losses: np.ndarray) -> _Carry:
        """``carry`` after a generation told ``losses``: history and best updated."""
        asked = [*carry.asked, np.stack([_flat(c) for c in cands])]
        told = [*carry.told, losses]
        i = int(np.argmin(losses))
        best_values, best_loss = carry.best_values, carry.best_loss
        if losses[i] < best_loss:
            best_values = [
                np.reshape(v, s) for v, s in zip(cands[i].value, self.shapes, strict=True)
            ]
            best_loss = float(losses[i])
        return _Carry(carry.optimizer, best_values, best_loss, asked, told)

    def best(self, carry: _Carry) -> tuple[PyTree, float]:
        if carry.best_values is None:
            return None, math.inf
        raws = [
            tr.inverse(jnp.asarray(v, dtype=self._dtype))
            if isinstance(tr, Interval)
            else jnp.asarray(v, dtype=self._dtype)
            for tr, v in zip(self.transforms, carry.best_values, strict=True)
        ]
        return jax.tree_util.tree_unflatten(self.treedef, raws), carry.best_loss

    def save(self, carry: _Carry, path: str) -> None:
        """The candidates asked and the losses told, as plain arrays (no pickle)."""
        dim = sum(int(np.prod(s)) if s else 1 for s in self.shapes)
        asked = np.stack(carry.asked) if carry.asked else np.zeros((0, self.population, dim))
        told = np.stack(carry.told) if carry.told else np.zeros((0, self.population))
        with open(path, "wb") as f:
            np.savez(f, asked=asked, told=told)

    def load(self, path: str, diff: PyTree, meta: dict[str, Any]) -> _Carry:
        """Rebuild the optimiser by replaying the saved generations: the same seed asks
        the same candidates, which are told the saved losses (no loss is evaluated).
        Candidates that differ from the saved ones (another nevergrad version or
        optimiser) are an error."""
        with np.load(path, allow_pickle=False) as f:
            asked, told = np.asarray(f["asked"], float), np.asarray(f["told"], float)
        if told.ndim != 2 or told.shape[1] != self.population or len(asked) != len(told):
            raise ValueError(
                f"it holds {told.shape} losses for a population of {self.population}"
            )
        carry = self.init(diff)
        for g in range(len(told)):
            cands = self._ask(carry.optimizer)
            again = np.stack([_flat(c) for c in cands])
            if again.shape != asked[g].shape or not np.array_equal(again, asked[g]):
                raise ValueError(
                    f"replaying generation {g + 1}, nevergrad asked other candidates than "
                    "the saved ones (another optimiser, seed, bounds or nevergrad version)"
                )
            self._tell(carry.optimizer, cands, told[g])
            carry = self._record(carry, cands, told[g])
        return carry
