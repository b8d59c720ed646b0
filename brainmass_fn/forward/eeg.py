r"""EEG/MEG: lead fields (gain matrices) and the projection of region sources onto sensors.

A lead field ``G`` (sensors x regions) maps one source time course per region onto
the sensors: ``m(t) = G s(t)``. Each region is a current dipole at its centre
``r0`` (mm) with a unit orientation ``n`` and moment ``s(t) n``. Analytic lead fields:

- EEG, infinite homogeneous conductor of conductivity ``sigma`` (S/m):
  \(V(\mathbf r) = \frac{\mathbf q \cdot (\mathbf r - \mathbf r_0)}
  {4\pi\sigma |\mathbf r - \mathbf r_0|^3}\) (e.g. Nunez & Srinivasan 2006, ch. 4).
- EEG, homogeneous sphere centred at the origin, electrodes on its surface (Frank 1952;
  the closed form of Zhang 1995, eq. 1a), with \(\mathbf d = \mathbf r -
  \mathbf r_0\):

    $$
    V = \frac{1}{4\pi\sigma}\,\mathbf q\cdot\left[\frac{2\mathbf d}{d^3} +
    \frac{d\,\mathbf r + r\,\mathbf d}{r\,d\,(r d + r^2 - \mathbf r_0\cdot\mathbf r)}
    \right].
    $$

- MEG, spherically symmetric conductor (Sarvas 1987), the field outside the sphere:

    $$
    \mathbf B = \frac{\mu_0}{4\pi F^2}\left(F\,\mathbf q\times\mathbf r_0 -
    (\mathbf q\times\mathbf r_0\cdot\mathbf r)\,\nabla F\right),\quad
    F = a (r a + r^2 - \mathbf r_0\cdot\mathbf r),
    $$

    $$
    \nabla F = \left(\frac{a^2}{r} + \frac{\mathbf a\cdot\mathbf r}{a} + 2a + 2r
    \right)\mathbf r - \left(a + 2r + \frac{\mathbf a\cdot\mathbf r}{a}\right)
    \mathbf r_0,\quad \mathbf a = \mathbf r - \mathbf r_0;
    $$

    a radial dipole gives no field outside. Sensors measure ``B . n_sensor``.

Units: positions in mm (converted to m inside), conductivity in S/m, dipole moments
in A m per unit source; EEG lead fields are in V per (A m), MEG in T per (A m).
Scale the source (e.g. Jansen-Rit's ``y1 - y2`` in mV) as your model calls for: the
gain's overall scale is rarely identifiable from EEG alone.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer
from jaxtyping import Array, ArrayLike, Float

from ..units import to_canonical

__all__ = [
    "eeg_lead_field",
    "meg_lead_field",
    "load_gain",
    "project",
    "average_reference",
    "jansen_rit_source",
]

_MU0 = 4e-7 * np.pi  # vacuum permeability, T m / A


def _positions(x: Any, name: str) -> Array:
    x = jnp.asarray(to_canonical(x, "mm", name), dtype=jnp.result_type(float))
    if x.ndim != 2 or x.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3) in mm, got {x.shape}.")
    return x * 1e-3  # m


def _unit_vectors(x: ArrayLike, n: int, name: str) -> Array:
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    if x.shape != (n, 3):
        raise ValueError(f"{name} must have shape ({n}, 3), one vector per row, got {x.shape}.")
    return x / jnp.linalg.norm(x, axis=1, keepdims=True)


def eeg_lead_field(
    sensors: Float[ArrayLike, " sensors 3"],
    centres: Float[ArrayLike, " regions 3"],
    orientations: Float[ArrayLike, " regions 3"],
    *,
    conductivity: float = 0.33,
    conductor: Literal["infinite", "sphere"] = "infinite",
) -> Float[Array, " sensors regions"]:
    """EEG lead field of point dipoles (V per A m), unreferenced.

    Args:
        sensors: electrode positions, mm (for ``"sphere"``: on the sphere's surface,
            which is centred at the origin; its radius is the electrodes' mean radius).
        centres: dipole positions (region centres), mm; inside the sphere.
        orientations: dipole directions (normalised here), one row per region.
        conductivity: ``sigma``, S/m (0.33 for brain tissue).
        conductor: ``"infinite"`` homogeneous medium or homogeneous ``"sphere"``.

    Apply `average_reference` (or reference the gain: ``G - G.mean(0)``) for EEG.
    """
    r = _positions(sensors, "sensors")
    r0 = _positions(centres, "centres")
    q = _unit_vectors(orientations, r0.shape[0], "orientations")
    if not conductivity > 0:
        raise ValueError(f"conductivity must be > 0 S/m, got {conductivity}.")
    d = r[:, None, :] - r0[None, :, :]  # sensors x regions x 3
    dn = jnp.linalg.norm(d, axis=-1)
    if conductor == "infinite":
        kernel = d / dn[..., None] ** 3
    elif conductor == "sphere":
        radius = jnp.linalg.norm(r, axis=1)
        rn = radius[:, None]
        if not isinstance(r, Tracer) and not isinstance(r0, Tracer):
            _check_sphere(np.asarray(radius), np.linalg.norm(np.asarray(r0), axis=1))
        r0_dot_r = jnp.einsum("sk,rk->sr", r, r0)
        denom = rn * dn * (rn * dn + rn**2 - r0_dot_r)
        kernel = (
            2.0 * d / dn[..., None] ** 3
            + (dn[..., None] * r[:, None, :] + rn[..., None] * d) / denom[..., None]
        )
    else:
        raise ValueError(f"conductor must be 'infinite' or 'sphere', got {conductor!r}.")
    return jnp.einsum("srk,rk->sr", kernel, q) / (4.0 * jnp.pi * conductivity)


def _check_sphere(radius: np.ndarray, depth: np.ndarray) -> None:
    mean = np.mean(radius)
    if np.max(np.abs(radius - mean)) > 1e-3 * mean:
        raise ValueError(
            "for conductor='sphere' the sensors must lie on one sphere centred at the "
            "origin (equal radii); project them onto it first."
        )
    if np.any(depth >= mean):
        raise ValueError("centres must lie inside the sensors' sphere.")


def meg_lead_field(
    sensors: Float[ArrayLike, " sensors 3"],
    sensor_orientations: Float[ArrayLike, " sensors 3"],
    centres: Float[ArrayLike, " regions 3"],
    orientations: Float[ArrayLike, " regions 3"],
) -> Float[Array, " sensors regions"]:
    """MEG (magnetometer) lead field of point dipoles in a spherical conductor, T per A m.

    Sarvas (1987) formula for a sphere centred at the origin; sensors outside it,
    measuring the field component along ``sensor_orientations``. Independent of the
    conductivity and of the sphere's radius.
    """
    r = _positions(sensors, "sensors")
    n = _unit_vectors(sensor_orientations, r.shape[0], "sensor_orientations")
    r0 = _positions(centres, "centres")
    q = _unit_vectors(orientations, r0.shape[0], "orientations")
    a = r[:, None, :] - r0[None, :, :]
    an = jnp.linalg.norm(a, axis=-1)
    rn = jnp.linalg.norm(r, axis=-1)[:, None]
    a_dot_r = jnp.einsum("srk,sk->sr", a, r)
    f = an * (rn * an + rn**2 - jnp.einsum("rk,sk->sr", r0, r))
    c_r = an**2 / rn + a_dot_r / an + 2.0 * an + 2.0 * rn
    c_r0 = an + 2.0 * rn + a_dot_r / an
    grad_f = c_r[..., None] * r[:, None, :] - c_r0[..., None] * r0[None, :, :]
    q_x_r0 = jnp.cross(q, r0)  # regions x 3
    q_x_r0_dot_r = jnp.einsum("rk,sk->sr", q_x_r0, r)
    b = (f[..., None] * q_x_r0[None] - q_x_r0_dot_r[..., None] * grad_f) / f[..., None] ** 2
    return _MU0 / (4.0 * jnp.pi) * jnp.einsum("srk,sk->sr", b, n)


def load_gain(
    source: str | os.PathLike | ArrayLike,
    *,
    n_regions: int | None = None,
    key: str | None = None,
) -> Float[Array, " sensors regions"]:
    """A user-given gain matrix (sensors x regions) from an array or a file.

    Files: ``.npy``; ``.npz`` (the array under ``key``, or the only array);
    ``.txt``/``.csv`` text (whitespace or comma separated, as TVB's
    ``projection_*.txt``). ``n_regions`` checks the column count; a matrix given the
    other way round (regions x sensors) is reported, not silently transposed.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path.endswith(".npy"):
            gain = np.load(path)
        elif path.endswith(".npz"):
            with np.load(path) as data:
                keys = list(data.keys())
                if key is None and len(keys) != 1:
                    raise ValueError(f"{path} holds {keys}; pass key= to choose the gain matrix.")
                gain = data[key if key is not None else keys[0]]
        else:
            delimiter = "," if path.endswith(".csv") else None
            gain = np.loadtxt(path, delimiter=delimiter)
    else:
        gain = np.asarray(source)
    gain = np.atleast_2d(np.asarray(gain, dtype=float))
    if gain.ndim != 2:
        raise ValueError(f"the gain matrix must be 2-D (sensors x regions), got {gain.shape}.")
    if not np.all(np.isfinite(gain)):
        raise ValueError("the gain matrix holds NaN or inf entries.")
    if n_regions is not None and gain.shape[1] != n_regions:
        hint = " (it looks transposed: pass gain.T)" if gain.shape[0] == n_regions else ""
        raise ValueError(
            f"the gain matrix has shape {gain.shape} but needs {n_regions} columns, one per "
            f"region{hint}."
        )
    return jnp.asarray(gain, dtype=jnp.result_type(float))


def average_reference(
    x: Float[ArrayLike, " *time sensors"],
) -> Float[Array, " *time sensors"]:
    """Subtract the mean over sensors (last axis): EEG average reference."""
    x = jnp.asarray(x)
    return x - jnp.mean(x, axis=-1, keepdims=True)


def project(
    sources: Float[ArrayLike, " time regions"],
    gain: Float[ArrayLike, " sensors regions"],
    *,
    reference: Literal["average"] | None = None,
) -> Float[Array, " time sensors"]:
    """Sensor signals ``m(t) = G s(t)``, optionally average-referenced (EEG)."""
    sources = jnp.asarray(sources)
    gain = jnp.asarray(gain)
    if gain.ndim != 2 or sources.shape[-1] != gain.shape[1]:
        raise ValueError(
            f"gain {gain.shape} must be (sensors, regions) with regions = sources' last "
            f"axis ({sources.shape[-1]})."
        )
    out = sources @ gain.T
    if reference == "average":
        return average_reference(out)
    if reference is not None:
        raise ValueError(f"reference must be 'average' or None, got {reference!r}.")
    return out


def jansen_rit_source(traj: Any) -> Float[Array, " time *nodes"]:
    """Jansen-Rit's EEG source ``y1 - y2`` (mV), the pyramidal cells' membrane potential.

    ``traj`` is a `brainmass_fn.Trajectory` of a model with state variables ``y1``
    and ``y2`` (Jansen & Rit 1995).
    """
    names = getattr(traj, "state_names", ())
    if "y1" not in names or "y2" not in names:
        raise ValueError(
            f"jansen_rit_source needs a trajectory with state variables 'y1' and 'y2'; got "
            f"{names}. Pass a JansenRit simulation."
        )
    return traj["y1"] - traj["y2"]
