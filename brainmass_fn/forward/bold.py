r"""BOLD signal: the Balloon-Windkessel hemodynamic model driven by neural activity.

State per region: vasodilatory signal ``s`` (1/s), blood inflow ``f``, venous volume
``v`` and deoxyhemoglobin content ``q`` (the last three normalised to rest = 1)
(Friston et al. 2000, eqs. 1-4; Buxton et al. 1998):

$$
\dot s = z - \kappa s - \gamma (f - 1), \qquad \dot f = s,
$$

$$
\tau \dot v = f - v^{1/\alpha}, \qquad
\tau \dot q = f \frac{1 - (1 - \rho)^{1/f}}{\rho} - v^{1/\alpha} \frac{q}{v},
$$

$$
y = V_0 \left[k_1 (1 - q) + k_2 (1 - q / v) + k_3 (1 - v)\right].
$$

Time unit: the hemodynamic constants are quoted in seconds in the literature, and we
keep them so (``kappa``, ``gamma`` in 1/s, ``tau`` in s); ``z`` is the drive in the
same convention as neurolib (e.g. a firing rate in Hz enters as its number). The
time step ``dt`` and the repetition time ``tr`` are given in **ms** like every other
time in brainmass_fn (or as pint quantities) and converted once.

At rest (``z = 0``, ``s = 0``, ``f = v = q = 1``) every derivative is exactly 0 in
floating point (the oxygen-extraction ratio is written so that it is exactly 1 at
``f = 1``), so the BOLD signal reads exactly 0. (brainmass 0.1.1 used ``rho`` instead
of ``v`` in the ``k_2`` term and read -0.078 at rest.)
"""

from __future__ import annotations

from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._timegrid import concrete_ms, whole_multiple
from ..params import canonical_field, resolve
from ..units import RateLike, TimeLike, to_canonical

__all__ = ["BalloonWindkessel", "bold", "bold_times", "BOLD_METHODS"]

#: integration schemes accepted by `bold`
BOLD_METHODS = ("euler", "symplectic_euler", "heun", "rk4")


class BalloonWindkessel(eqx.Module):
    r"""Balloon-Windkessel hemodynamics and BOLD observation constants.

    The default constants are those of Friston et al. (2000) with the classical
    Buxton et al. (1998) observation coefficients, as used by neurolib 0.6.2:
    ``k1 = 7 rho``, ``k2 = 2``, ``k3 = 2 rho - 0.2``, ``V0 = 0.02``. Use
    `BalloonWindkessel.stephan2007` for the revised coefficients of Stephan et al.
    (2007) (field-strength and echo-time dependent, Obata et al. 2004) with the
    slower kinetics of SPM12's priors.

    Any field may be a `brainmass_fn.Param` to fit it. ``k1..k3`` are plain fields:
    changing ``rho`` alone does not update them; use a constructor.

    Parameters:
        kappa: rate of signal decay, 1/s (default 0.65).
        gamma: rate of flow-dependent elimination (autoregulation), 1/s (0.41).
        tau: hemodynamic transit time, s (0.98).
        alpha: Grubb's vessel stiffness exponent (0.32).
        rho: resting oxygen extraction fraction ``E0`` (0.34).
        v0: resting venous blood volume fraction (0.02).
        k1, k2, k3: observation coefficients (dimensionless).
    """

    kappa: Float[Array, " *nodes"] = canonical_field(0.65, "1/s", "kappa")
    gamma: Float[Array, " *nodes"] = canonical_field(0.41, "1/s", "gamma")
    tau: Float[Array, " *nodes"] = canonical_field(0.98, "s", "tau")
    alpha: Float[Array, " *nodes"] = canonical_field(0.32, "dimensionless", "alpha")
    rho: Float[Array, " *nodes"] = canonical_field(0.34, "dimensionless", "rho")
    v0: Float[Array, " *nodes"] = canonical_field(0.02, "dimensionless", "v0")
    k1: Float[Array, " *nodes"] = canonical_field(7 * 0.34, "dimensionless", "k1")
    k2: Float[Array, " *nodes"] = canonical_field(2.0, "dimensionless", "k2")
    k3: Float[Array, " *nodes"] = canonical_field(2 * 0.34 - 0.2, "dimensionless", "k3")

    @classmethod
    def friston2000(cls, rho: float = 0.34, v0: float = 0.02, **kinetics: Any):
        """Classical coefficients ``k1 = 7 rho, k2 = 2, k3 = 2 rho - 0.2`` (Friston 2000)."""
        return cls(rho=rho, v0=v0, k1=7 * rho, k2=2.0, k3=2 * rho - 0.2, **kinetics)  # pyright: ignore[reportArgumentType]

    @classmethod
    def stephan2007(
        cls,
        rho: float = 0.4,
        v0: float = 0.04,
        epsilon: float = 1.0,
        te: TimeLike = 0.04,
        nu0: RateLike = 40.3,
        r0: RateLike = 25.0,
        *,
        kappa: float | Any = 0.64,
        gamma: float | Any = 0.32,
        tau: float | Any = 2.0,
        alpha: float = 0.32,
    ):
        r"""Revised model of Stephan et al. (2007): its coefficients (eq. 12) and kinetics.

        ``k1 = 4.3 nu0 rho TE``, ``k2 = epsilon r0 rho TE``, ``k3 = 1 - epsilon``, with
        ``nu0`` the frequency offset at the outer surface of magnetised vessels (Hz,
        40.3 at 1.5 T), ``r0`` the slope of the intravascular relaxation rate versus
        extraction (Hz, 25 at 1.5 T; Obata et al. 2004), ``TE`` the echo time (s,
        0.04) and ``epsilon`` the ratio of intra- to extravascular signal (1.0; TVB
        2.10 uses 0.5). Default kinetics and ``rho = E0``, ``V0`` are the DCM priors
        of SPM12 (``spm_fx_fmri``/``spm_gx_fmri``): kappa 0.64/s, gamma 0.32/s,
        tau 2 s, alpha 0.32, E0 0.4, V0 0.04. The BOLD impulse response then peaks
        at about 4.5 s (Friston 2000's faster kinetics: about 3.1 s).
        """
        te = float(to_canonical(te, "s", "te"))
        nu0 = float(to_canonical(nu0, "1/s", "nu0"))
        r0 = float(to_canonical(r0, "1/s", "r0"))
        k1 = 4.3 * nu0 * rho * te
        k2 = epsilon * r0 * rho * te
        return cls(
            kappa=kappa,  # pyright: ignore[reportArgumentType]
            gamma=gamma,  # pyright: ignore[reportArgumentType]
            tau=tau,  # pyright: ignore[reportArgumentType]
            alpha=alpha,  # pyright: ignore[reportArgumentType]
            rho=rho,  # pyright: ignore[reportArgumentType]
            v0=v0,  # pyright: ignore[reportArgumentType]
            k1=k1,  # pyright: ignore[reportArgumentType]
            k2=k2,  # pyright: ignore[reportArgumentType]
            k3=1.0 - epsilon,  # pyright: ignore[reportArgumentType]
        )

    def rest_state(self, nodes: tuple[int, ...] = ()) -> Float[Array, " 4 *nodes"]:
        """``(s, f, v, q) = (0, 1, 1, 1)``, shape ``(4, *nodes)``."""
        rest = jnp.array([0.0, 1.0, 1.0, 1.0], dtype=jnp.result_type(float))
        return jnp.broadcast_to(rest.reshape((4,) + (1,) * len(nodes)), (4, *nodes))

    def vector_field(
        self, state: Float[Array, " 4 *nodes"], drive: Float[Array, " *nodes"]
    ) -> Float[Array, " 4 *nodes"]:
        """Time derivative of ``(s, f, v, q)`` per **second**, for drive ``z``."""
        s, f, v, q = state
        ds = drive - self.kappa * s - self.gamma * (f - 1.0)
        return jnp.stack([ds, s, self._dv(f, v), self._dq(f, v, q)])

    def _outflow(self, v: Array) -> Array:
        return v ** (1.0 / self.alpha)

    def _dv(self, f: Array, v: Array) -> Array:
        return (f - self._outflow(v)) / self.tau

    def _dq(self, f: Array, v: Array, q: Array) -> Array:
        # E(f)/rho = (1 - (1 - rho)^(1/f)) / rho, written as a ratio that is exactly 1
        # at f = 1 so that the resting state is an exact fixed point.
        log_keep = jnp.log1p(-self.rho)
        extraction = jnp.expm1(log_keep / f) / jnp.expm1(log_keep)
        return (f * extraction - self._outflow(v) * q / v) / self.tau

    def signal(self, state: Float[Array, " 4 ..."]) -> Float[Array, " ..."]:
        """BOLD ``y = V0 (k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v))`` (Stephan 2007 eq. 13)."""
        v, q = state[2], state[3]
        return self.v0 * (self.k1 * (1.0 - q) + self.k2 * (1.0 - q / v) + self.k3 * (1.0 - v))


def _step_fn(hemo: BalloonWindkessel, method: str, h: float):
    def euler(y, z):
        return y + h * hemo.vector_field(y, z)

    def symplectic_euler(y, z):
        # s first; v and q from the old (f, v, q); f from the new s (as neurolib 0.6.2)
        s, f, v, q = y
        s_new = s + h * (z - hemo.kappa * s - hemo.gamma * (f - 1.0))
        q_new = q + h * hemo._dq(f, v, q)
        v_new = v + h * hemo._dv(f, v)
        return jnp.stack([s_new, f + h * s_new, v_new, q_new])

    def heun(y, z):
        k1 = hemo.vector_field(y, z)
        k2 = hemo.vector_field(y + h * k1, z)
        return y + 0.5 * h * (k1 + k2)

    def rk4(y, z):
        k1 = hemo.vector_field(y, z)
        k2 = hemo.vector_field(y + 0.5 * h * k1, z)
        k3 = hemo.vector_field(y + 0.5 * h * k2, z)
        k4 = hemo.vector_field(y + h * k3, z)
        return y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    return {"euler": euler, "symplectic_euler": symplectic_euler, "heun": heun, "rk4": rk4}[method]


def _stride(dt: float, tr: float | None) -> int:
    if not dt > 0:
        raise ValueError(f"dt must be > 0 ms, got {dt}.")
    return 1 if tr is None else whole_multiple(tr, dt, "tr")


def bold_times(n_steps: int, dt: TimeLike, tr: TimeLike | None = 2000.0) -> Array:
    """Times (ms) of the samples `bold` returns for a drive of ``n_steps`` samples.

    Drive sample ``i`` sits at ``i * dt`` and drives the step to ``(i + 1) * dt``; the
    BOLD samples are the states at ``tr, 2 tr, ...`` up to ``n_steps * dt``.
    """
    dt = concrete_ms(dt, "dt")
    tr = None if tr is None else concrete_ms(tr, "tr")
    stride = _stride(dt, tr)
    return dt * stride * jnp.arange(1, n_steps // stride + 1, dtype=jnp.result_type(float))


def sampled_drive(drive: Any, dt: Any, tr: Any) -> tuple[Array, float, int, int]:
    """The drive as a float array ``(time, *nodes)``, ``dt`` in ms, the steps per BOLD
    sample and the number of samples, with clear errors for a drive without a time
    axis or shorter than one ``tr`` (shared by `bold` and the HRF kernels)."""
    dt = concrete_ms(dt, "dt")
    tr = None if tr is None else concrete_ms(tr, "tr")
    stride = _stride(dt, tr)
    drive = jnp.asarray(drive, dtype=jnp.result_type(float))
    if drive.ndim < 1:
        raise ValueError("drive must have a leading time axis, shape (time, *nodes).")
    n_out = drive.shape[0] // stride
    if n_out < 1:
        raise ValueError(
            f"the drive covers {drive.shape[0] * dt} ms, shorter than one tr ({tr} ms); "
            "pass a longer drive or a shorter tr."
        )
    return drive, dt, stride, n_out


def bold(    drive: Float[ArrayLike, " time *nodes"],
    dt: TimeLike,
    tr: TimeLike | None = 2000.0,
    *,
    hemodynamics: BalloonWindkessel | None = None,
    method: Literal["euler", "symplectic_euler", "heun", "rk4"] = "euler",
    substeps: int = 1,
    y0: Float[ArrayLike, " 4 *nodes"] | None = None,
    return_state: bool = False,
) -> Float[Array, " samples *nodes"] | tuple[Array, Array]:
    """Integrate the Balloon-Windkessel model over a drive and sample BOLD every ``tr``.

    A ``lax.scan`` over the drive's samples: drive sample ``i`` is held constant over
    the step from ``i dt`` to ``(i + 1) dt``, split into ``substeps`` equal steps of
    ``method``. Pure in ``drive`` and in the (resolved) hemodynamic constants: it
    jits, vmaps and differentiates.

    Args:
        drive: neural drive ``z``, shape ``(time, *nodes)``; e.g. a firing rate (Hz,
            as its number) or ``traj["x"]``.
        dt: spacing of the drive's samples, ms (neurolib integrates BOLD at the
            neural ``dt``, e.g. 0.1 ms; a sampled trajectory at 1 ms is usually fine).
        tr: repetition time, ms, a whole multiple of ``dt`` (default 2000 ms, as
            neurolib); ``None`` returns every step.
        hemodynamics: the constants; default ``BalloonWindkessel()`` (Friston 2000).
        method: ``"euler"`` (explicit, neurolib-like accuracy), ``"symplectic_euler"``
            (the update order of neurolib 0.6.2: ``f`` uses the new ``s``),
            ``"heun"`` (TVB's default integrator) or ``"rk4"``.
        substeps: sub-steps per drive sample, for a finer integration.
        y0: initial ``(s, f, v, q)``, shape ``(4, *nodes)``; default rest.
        return_state: also return the final state (to continue a run).

    Returns:
        BOLD samples at `bold_times` ``(samples, *nodes)`` (dimensionless; times 100
        for percent signal change), and the final state if ``return_state``.
    """
    if method not in BOLD_METHODS:
        raise ValueError(f"method must be one of {BOLD_METHODS}, got {method!r}.")
    if not isinstance(substeps, int) or substeps < 1:
        raise ValueError(f"substeps must be a positive int, got {substeps!r}.")
    drive, dt, stride, n_out = sampled_drive(drive, dt, tr)
    hemo = resolve(BalloonWindkessel() if hemodynamics is None else hemodynamics)
    nodes = drive.shape[1:]
    state = hemo.rest_state(nodes) if y0 is None else jnp.asarray(y0, dtype=drive.dtype)
    if state.shape[0] != 4:
        raise ValueError(f"y0 must have shape (4, *nodes) for (s, f, v, q), got {state.shape}.")
    state = jnp.broadcast_to(state, (4, *nodes))

    step = _step_fn(hemo, method, dt / 1000.0 / substeps)

    def one_sample(y, z):
        for _ in range(substeps):
            y = step(y, z)
        return y, None

    def one_tr(y, zs):
        y, _ = jax.lax.scan(one_sample, y, zs)
        return y, hemo.signal(y)

    blocks = drive[: n_out * stride].reshape((n_out, stride, *nodes))
    final, out = jax.lax.scan(one_tr, state, blocks)
    return (out, final) if return_state else out
