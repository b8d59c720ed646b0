"""Shared test helpers."""

import numpy as np


def hopf_exact(t, a, w, x0, y0):
    """Closed-form Stuart-Landau solution: r' = a r - r^3, theta' = w.

    r(t)^2 = a / (1 + (a / r0^2 - 1) exp(-2 a t)).
    """
    t = np.asarray(t, dtype=float)
    r0sq = x0**2 + y0**2
    r = np.sqrt(a / (1.0 + (a / r0sq - 1.0) * np.exp(-2.0 * a * t)))
    theta = np.arctan2(y0, x0) + w * t
    return r * np.cos(theta), r * np.sin(theta)


def rel_error(ys, ref):
    """Largest deviation per state variable over the largest |reference| value.

    ``ys`` and ``ref`` are ``(time, state, nodes)`` traces; returns one number per
    state variable.
    """
    ref = np.asarray(ref)
    return np.max(np.abs(np.asarray(ys) - ref), axis=(0, 2)) / np.max(np.abs(ref), axis=(0, 2))
