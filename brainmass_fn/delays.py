r"""Conduction delays: the integer-step convention.

**Convention.** The delay of edge ``i <- j`` is ``tau_ij = lengths_ij / speed`` (mm
over mm/ms = ms). With a fixed step ``dt`` the state is kept at ``t_n = n dt`` and the
coupling that drives step ``n -> n + 1`` reads the source at step ``n - d_ij``:

- ``delays="round"`` (default): ``d_ij = round(lengths_ij / speed / dt)``, rounding
  half to even (``numpy.round``), exactly neurolib's ``Dmat_ndt = np.around(Dmat /
  signalV / dt)``; its Euler loop reads ``xs[j, i - Dmat_ndt[i, j] - 1]`` when
  computing ``xs[:, i]`` from ``xs[:, i - 1]``, which is ``x_j(t_n - d_ij dt)`` here.
  A lag of 0 reads the source's current state (no delay). The speed enters only
  through integers, so it has no gradient; an edge with positive weight and length
  whose delay rounds to 0 steps is an error unless the network says
  ``zero_lag="instant"`` (neurolib's silent behaviour).
- ``delays="linear"``: the real lag ``r_ij = lengths_ij / (speed dt)`` is split into
  ``d_ij = floor(r_ij)`` and ``f_ij = r_ij - d_ij``, and the source is read as
  ``(1 - f_ij) x_j(t_n - d_ij dt) + f_ij x_j(t_n - (d_ij + 1) dt)`` (linear
  interpolation in time). ``f`` is a smooth function of ``speed`` and ``lengths``, so
  both have gradients. The integer part ``d`` is fixed when the plan is built from
  the network's concrete speed and lengths: a traced speed moves ``f`` only, exact
  while every edge stays within its step (rebuild the `Network` for larger changes).

Before ``t = 0`` the history is constant, equal to the initial state (neurolib's
default when ``xs_init`` has one column).

The delayed read itself (the block layout, the history, its measurements) is the
private engine's business: `brainmass_fn._engine._delay_plan`.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike

__all__ = ["delay_steps", "DELAY_MODES"]

#: the delay conventions a `Network` accepts
DELAY_MODES = ("round", "linear")


def delay_steps(lengths: ArrayLike, speed: float, dt: float) -> np.ndarray:
    """Integer lags ``round(lengths / speed / dt)`` (half to even), neurolib's rule.

    Args:
        lengths: tract lengths, mm.
        speed: conduction speed, mm/ms.
        dt: step, ms.
    """
    return np.round(np.asarray(lengths, dtype=np.float64) / float(speed) / float(dt)).astype(
        np.int64
    )
