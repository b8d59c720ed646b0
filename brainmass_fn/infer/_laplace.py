r"""Laplace approximation and local identifiability at a fitted point.

Near an optimum ``theta*`` the negative log-likelihood is quadratic,
``-log p(d | theta) ~ const + 1/2 (theta - theta*)^T F (theta - theta*)``, with ``F``
either

- the **Gauss-Newton** matrix of residuals ``r(theta)`` (already divided by the noise
  SD ``sigma``, so that ``-log p = 1/2 |r|^2``): ``F = J^T J``, ``J = dr/dtheta``. It
  is also the Fisher information of Gaussian noise, so ``F^-1`` is the Cramer-Rao
  bound on the covariance of any unbiased estimate;
- the exact **Hessian** of a scalar negative log-likelihood, ``F = d^2(-log p)/dtheta^2``.

A Gaussian prior of SD ``s_i`` adds ``1/s_i^2`` to ``F_ii``; the Laplace posterior is
then ``N(theta*, (F + P)^-1)`` in the constrained (natural) space of the parameters,
in their own units (MacKay 2003, ch. 27).

**Identifiability** is read off the spectrum of the information in *relative*
coordinates, ``F_rel = D F D`` with ``D = diag(|theta*|)`` (the information about
``log theta``, so that parameters in different units compare): a large eigenvalue is
a stiff combination the data pin down, a small one a sloppy combination they cannot
tell apart (Gutenkunst et al. 2007, PLoS Comput. Biol. 3:e189). With noise-scaled
residuals ``1/sqrt(lambda)`` is the relative SD along the eigenvector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, PyTree

from ..fit import FitResult
from ..params import _path_name, is_param, resolve

__all__ = ["Laplace", "laplace"]

#: eigenvalues below this fraction of the largest count as zero (no information)
_RCOND = 1e-12


@dataclasses.dataclass(frozen=True)
class Laplace:
    """A Gaussian approximation of the posterior at a point, and its spectrum.

    All arrays are NumPy, over the flattened trainable parameters in the order of
    ``names`` (``"A[3]"`` is element 3 of the parameter ``A``), in their natural
    (constrained) units.

    Attributes:
        names: one name per scalar parameter.
        values: the point ``theta*``.
        information: ``F`` (+ the prior precision), shape ``(p, p)``.
        covariance: ``(F + P)^-1``; directions with no information (eigenvalue below
            ``1e-12`` of the largest) get an infinite variance.
        std: marginal posterior SDs ``sqrt(diag(covariance))``, natural units.
        correlation: ``covariance_ij / (std_i std_j)`` (NaN where a SD is infinite).
        eigenvalues: the spectrum of the relative information ``D F D``
            (``D = diag(|theta*|)``), largest (stiffest) first.
        eigenvectors: the matching unit eigenvectors, as columns.
        method: ``"gauss-newton"`` or ``"hessian"``.
    """

    names: tuple[str, ...]
    values: np.ndarray
    information: np.ndarray
    covariance: np.ndarray
    std: np.ndarray
    correlation: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    method: str

    @property
    def relative_std(self) -> np.ndarray:
        """``std / |value|``: the relative uncertainty of each parameter."""
        return self.std / np.maximum(np.abs(self.values), np.finfo(float).tiny)

    def interval(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Marginal central interval ``value -+ z std`` at ``level`` (e.g. 0.9)."""
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level}.")
        z = float(jax.scipy.special.ndtri(0.5 + level / 2))
        return self.values - z * self.std, self.values + z * self.std

    def identifiable(self, max_relative_std: float = 0.1) -> np.ndarray:
        """Boolean mask: parameters whose relative SD is below ``max_relative_std``."""
        return self.relative_std < max_relative_std

    def direction(self, k: int, *, top: int = 3) -> str:
        """Eigen-direction ``k`` (0 = stiffest, -1 = sloppiest) in parameter terms.

        E.g. ``"+0.71 log K -0.70 log a (relative SD 0.3)"``: moving along it changes
        the parameters' logarithms in these proportions; its relative SD is
        ``1/sqrt(eigenvalue)`` (infinite for a zero eigenvalue).
        """
        vector = self.eigenvectors[:, k]
        order = np.argsort(-np.abs(vector))[:top]
        terms = " ".join(f"{vector[i]:+.2f} log {self.names[i]}" for i in order)
        lam = self.eigenvalues[k]
        sd = 1.0 / np.sqrt(lam) if lam > _RCOND * self.eigenvalues[0] else np.inf
        return f"{terms} (relative SD {sd:.3g})"

    def table(self) -> str:
        """One line per parameter: value, SD, relative SD, 90 % interval."""
        lo, hi = self.interval(0.9)
        width = max(len("parameter"), *(len(n) for n in self.names))
        head = f"{'parameter':<{width}}  {'value':>10}  {'std':>10}  {'rel. std':>8}"
        rows = [head + "  90 % interval"]
        for i, name in enumerate(self.names):
            rows.append(
                f"{name:<{width}}  {self.values[i]:>10.4g}  {self.std[i]:>10.3g}  "
                f"{self.relative_std[i]:>8.3g}  [{lo[i]:.4g}, {hi[i]:.4g}]"
            )
        return "\n".join(rows)


def _element_names(base: str, shape: tuple[int, ...]) -> list[str]:
    if shape == ():
        return [base]
    return [f"{base}[{', '.join(map(str, ix))}]" for ix in np.ndindex(shape)]


def _natural_point(params: PyTree) -> tuple[Array, Callable[[Array], PyTree], tuple[str, ...]]:
    """The flat natural values of the trainable parameters, names, and the map back.

    ``resolved_at(theta)`` is ``resolve(params)`` with the trainable parameters set to
    ``theta`` (natural units): what a loss receives.
    """
    leaves = jax.tree_util.tree_flatten_with_path(params, is_leaf=is_param)[0]
    if any(is_param(x) for _, x in leaves):
        chosen = lambda x: is_param(x) and x.trainable  # noqa: E731
        value = lambda x: x.value  # noqa: E731
    else:
        chosen = eqx.is_inexact_array
        value = lambda x: x  # noqa: E731
    picked = [(path, value(x)) for path, x in leaves if chosen(x)]
    names = tuple(n for path, v in picked for n in _element_names(_path_name(path), jnp.shape(v)))
    theta, unravel = ravel_pytree([v for _, v in picked])

    def resolved_at(t: Array) -> PyTree:
        values = iter(unravel(t))
        swapped = jax.tree_util.tree_map(
            lambda x: next(values) if chosen(x) else x, params, is_leaf=is_param
        )
        return resolve(swapped)

    return theta, resolved_at, names


def laplace(
    loss: Callable[[PyTree], Array],
    params: PyTree,
    *,
    prior_std: PyTree | float | None = None,
    mode: Literal["fwd", "rev"] = "fwd",
) -> Laplace:
    r"""Laplace approximation of the posterior of ``params`` at their current values.

    Args:
        loss: a function of the *resolved* params, as for `brainmass_fn.fit`. It
            returns either residuals scaled by the noise SD, ``r = (model - data) /
            sigma`` (any shape: the Gauss-Newton information ``J^T J``), or a scalar
            negative log-likelihood (its exact Hessian, by ``jax.hessian``; use it for
            a few parameters). Leave any prior *out* of the loss and pass
            ``prior_std`` instead, or keep it in and pass nothing: both add the same
            ``1/s^2``.
        params: the point, e.g. ``fit(...).params``: a pytree whose trainable `Param`
            leaves (or, with none, float arrays) are the parameters. A `FitResult` is
            accepted and its ``params`` used.
        prior_std: SD of an independent Gaussian prior per scalar parameter, in natural
            units: a scalar for all, or a flat array in the order of ``names``.
        mode: how the Jacobian of residuals is taken: ``"fwd"`` (one JVP per parameter;
            best when there are fewer parameters than residuals) or ``"rev"``.

    Returns:
        A `Laplace`: information, covariance, SDs, correlations and the relative
        eigen-spectrum with ``direction(k)`` naming the stiffest and sloppiest
        combinations.
    """
    if isinstance(params, FitResult):
        params = params.params
    theta, resolved_at, names = _natural_point(params)
    if theta.size == 0:
        raise ValueError("params has no trainable parameter; nothing to approximate.")

    def out(t: Array) -> Array:
        return jnp.asarray(loss(resolved_at(t)))

    shape = jax.eval_shape(out, theta).shape
    if shape == ():
        info = jax.jit(jax.hessian(out))(theta)
        method = "hessian"
    else:
        flat_out = lambda t: out(t).reshape(-1)  # noqa: E731
        if mode not in ("fwd", "rev"):
            raise ValueError(f"mode must be 'fwd' or 'rev', got {mode!r}.")
        jac_fn = jax.jacfwd(flat_out) if mode == "fwd" else jax.jacrev(flat_out)
        jac = jax.jit(jac_fn)(theta)
        info = jac.T @ jac
        method = "gauss-newton"
    info = np.asarray(info, dtype=np.float64)
    if not np.all(np.isfinite(info)):
        raise FloatingPointError(
            "the information matrix is not finite: the loss or its derivatives are NaN or "
            "inf at this point (a diverged simulation?). Check the loss at params first."
        )
    info = 0.5 * (info + info.T)
    if prior_std is not None:
        s = np.broadcast_to(np.asarray(prior_std, dtype=np.float64), theta.shape)
        if np.any(~(s > 0)):
            raise ValueError("prior_std must be > 0 for every parameter.")
        info = info + np.diag(1.0 / s**2)
    return _summarise(np.asarray(theta, dtype=np.float64), info, names, method)


def _summarise(theta: np.ndarray, info: np.ndarray, names: tuple[str, ...], method: str) -> Laplace:
    # covariance through the eigen-decomposition; a direction with no information
    # gives the parameters it involves an infinite variance
    lam, vec = np.linalg.eigh(info)
    top = float(lam.max())
    keep = lam > _RCOND * top if top > 0 else np.zeros(lam.shape, dtype=bool)
    inverse = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    cov = (vec * inverse) @ vec.T
    null = (np.abs(vec[:, ~keep]) > 1e-8).any(axis=1)
    cov[null, :] = np.nan
    cov[:, null] = np.nan
    cov[np.diag_indices_from(cov)] = np.where(null, np.inf, np.diag(cov))
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(std, std)
    corr[~np.isfinite(corr)] = np.nan
    scale = np.where(theta != 0, np.abs(theta), 1.0)
    rel_lam, rel_vec = np.linalg.eigh(info * np.outer(scale, scale))
    order = np.argsort(rel_lam)[::-1]
    return Laplace(
        names=names,
        values=theta,
        information=info,
        covariance=cov,
        std=std,
        correlation=corr,
        eigenvalues=np.maximum(rel_lam[order], 0.0),
        eigenvectors=rel_vec[:, order],
        method=method,
    )
