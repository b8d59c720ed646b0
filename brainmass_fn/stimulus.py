r"""Stimuli: time courses ``s(t)`` (t in ms) whose parameters are differentiable.

A stimulus is an `equinox.Module`: its array fields (amplitude, onset, width,
frequency, phase, per-region weights, sampled values) are leaves that ``jax.grad``,
``jax.vmap`` and `brainmass_fn.fit` see, and a field may be a `Param`. Pass one to
``simulate(..., stimulus=s)``; it works on every solve path (the scan engine and
diffrax), and it is called at the times the solver evaluates the vector field.

- **Waveforms** return a scalar, the same at every input of every node: `Pulse`,
  `PulseTrain`, `Biphasic` (a TMS-like pulse), `Sinusoid`, `Ramp`, `Constant`, and
  `Sampled` (values on a time grid, any trailing shape); `noise_burst` builds a
  `Sampled` burst of white noise from a key.
- **Combinations**: ``s1 + s2`` (`Sum`), ``s1 * s2`` (`Product`: amplitude modulation,
  gating by a pulse), ``c * s`` (`Scaled`).
- **Targeting**: ``s.at(model, variable="x", regions=[3, 7])`` or ``weights=w`` (a
  differentiable per-region vector) gives a `Targeted` stimulus of shape
  ``(n_input, *nodes)`` that drives only those variables and regions.

Units: times in ms, frequencies in Hz (pint quantities are converted), amplitudes in
the units of the model's input (the variable's rate per ms, as the model's docstring
says). Hard edges (``edge=0``, the default) switch on at the first time ``t >=
onset`` to the sample, and their gradient with respect to the timing is zero; a
smooth edge ``edge > 0`` (ms) replaces each step by a logistic ``sigmoid((t -
onset) / edge)``, whose timing is differentiable.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .params import canonical_field

__all__ = [
    "AbstractStimulus",
    "Pulse",
    "PulseTrain",
    "Biphasic",
    "Sinusoid",
    "Ramp",
    "Constant",
    "Sampled",
    "noise_burst",
    "Sum",
    "Product",
    "Scaled",
    "Targeted",
    "target",
]

#: relative tolerance of a hard edge: a time within rounding of the edge counts as on
#: (``t = n dt`` in float32 is off by up to half an ulp, ~6e-8 relative)
_EDGE_RTOL = 3e-7


class AbstractStimulus(eqx.Module):
    """An input ``s(t)`` at time ``t`` (ms): a scalar, or an array ``(n_input, *nodes)``
    (or one that broadcasts to it) in the units of the model's input."""

    @abc.abstractmethod
    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        """The input at time ``t`` (ms)."""

    def sample(self, ts: Float[ArrayLike, " time"]) -> Float[Array, " time ..."]:
        """``s`` at each of the times ``ts`` (ms), e.g. to plot it."""
        return jax.vmap(self)(jnp.asarray(ts, jnp.result_type(float)))

    def at(
        self,
        model: Any,
        variable: str | Sequence[str] | None = None,
        regions: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Targeted:
        """This stimulus on ``variable`` of the chosen regions of ``model`` (see
        `target`)."""
        return target(self, model, variable=variable, regions=regions, weights=weights)

    def __add__(self, other: AbstractStimulus) -> Sum:
        _check_stimulus(other, "+")
        return Sum((self, other))

    def __mul__(self, other: AbstractStimulus | ArrayLike) -> Product | Scaled:
        if isinstance(other, AbstractStimulus):
            return Product((self, other))
        return Scaled(other, self)  # pyright: ignore[reportArgumentType]

    def __rmul__(self, other: ArrayLike) -> Scaled:
        return Scaled(other, self)  # pyright: ignore[reportArgumentType]


def _check_stimulus(other: Any, op: str) -> None:
    if not isinstance(other, AbstractStimulus):
        raise TypeError(
            f"A stimulus {op} {type(other).__name__}: both sides must be stimuli; wrap a "
            "constant level in bm.stimulus.Constant(level)."
        )


def _step(t: Array, edge_at: Array, edge: float) -> Array:
    """0 before ``edge_at`` and 1 from it on (``edge = 0``), or a logistic of width
    ``edge`` ms centred on it."""
    if edge > 0:
        return jax.nn.sigmoid((t - edge_at) / edge)
    tol = _EDGE_RTOL * (1.0 + jnp.abs(edge_at))
    return (t - edge_at >= -tol).astype(jnp.result_type(t, float))


def _window(t: Array, onset: Array, width: Array, edge: float) -> Array:
    """1 on ``[onset, onset + width)``, 0 elsewhere (smooth edges with ``edge > 0``)."""
    return _step(t, onset, edge) - _step(t, onset + width, edge)


def _check_edge(edge: float) -> float:
    if not np.isfinite(edge) or edge < 0:
        raise ValueError(f"edge must be >= 0 ms (0: hard edges), got {edge}.")
    return float(edge)


class Constant(AbstractStimulus):
    """A constant input ``s(t) = level``."""

    level: Float[Array, " *shape"] = canonical_field(1.0, name="level")

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        return self.level + 0.0 * jnp.asarray(t)


class Pulse(AbstractStimulus):
    r"""A rectangular pulse ``s(t) = amplitude`` for ``onset <= t < onset + width``.

    Args:
        amplitude: height, input units.
        onset: start, ms.
        width: duration, ms.
        edge: 0 for hard edges (exact to the sample), else the logistic rise time,
            ms, that makes ``onset`` and ``width`` differentiable.
    """

    amplitude: Float[Array, ""] = canonical_field(1.0, name="amplitude")
    onset: Float[Array, ""] = canonical_field(0.0, "ms", "onset")
    width: Float[Array, ""] = canonical_field(1.0, "ms", "width")
    edge: float = eqx.field(default=0.0, static=True, converter=_check_edge)

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        return self.amplitude * _window(jnp.asarray(t), self.onset, self.width, self.edge)


class PulseTrain(AbstractStimulus):
    r"""Rectangular pulses of ``width`` ms repeated at ``frequency`` Hz from ``onset``.

    Pulse ``k`` (``k = 0 .. n_pulses - 1``) covers ``[onset + k T, onset + k T +
    width)`` with period ``T = 1000 / frequency`` ms; ``n_pulses=None`` repeats
    forever.

    Args:
        amplitude: height, input units; onset: first pulse, ms; width: ms (< T);
        frequency: Hz; n_pulses: number of pulses (static); edge: as in `Pulse`.
    """

    amplitude: Float[Array, ""] = canonical_field(1.0, name="amplitude")
    frequency: Float[Array, ""] = canonical_field(10.0, "Hz", "frequency")
    width: Float[Array, ""] = canonical_field(1.0, "ms", "width")
    onset: Float[Array, ""] = canonical_field(0.0, "ms", "onset")
    n_pulses: int | None = eqx.field(default=None, static=True)
    edge: float = eqx.field(default=0.0, static=True, converter=_check_edge)

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        t = jnp.asarray(t)
        period = 1000.0 / self.frequency
        since = t - self.onset
        k = jnp.floor(since / period + _EDGE_RTOL)  # which pulse
        phase = since - k * period  # time into pulse k, ms
        on = _window(phase, jnp.zeros_like(phase), self.width, self.edge)
        started = _step(t, self.onset, self.edge)
        if self.n_pulses is not None:
            last_end = self.onset + (self.n_pulses - 1) * period + self.width
            on = on * (1.0 - _step(t, last_end, self.edge))
        return self.amplitude * on * started


class Biphasic(AbstractStimulus):
    r"""A biphasic pulse, as TMS coils deliver: one cycle of a sine,
    ``s(t) = amplitude sin(2 pi (t - onset) / width)`` for ``onset <= t < onset +
    width``: positive for the first half, negative for the second, zero net charge.

    Choose ``width`` many steps long (a few ms at ``dt = 0.1`` ms): a neural-mass
    model sees the pulse only at the solver's evaluation times.
    """

    amplitude: Float[Array, ""] = canonical_field(1.0, name="amplitude")
    onset: Float[Array, ""] = canonical_field(0.0, "ms", "onset")
    width: Float[Array, ""] = canonical_field(1.0, "ms", "width")
    edge: float = eqx.field(default=0.0, static=True, converter=_check_edge)

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        t = jnp.asarray(t)
        cycle = jnp.sin(2.0 * jnp.pi * (t - self.onset) / self.width)
        return self.amplitude * cycle * _window(t, self.onset, self.width, self.edge)


class Sinusoid(AbstractStimulus):
    r"""``s(t) = amplitude sin(2 pi frequency t / 1000 + phase)`` (t ms, frequency Hz,
    phase rad), on at all times: gate it with a `Pulse` (``Sinusoid(...) *
    Pulse(1.0, onset, width)``) for a burst."""

    amplitude: Float[Array, ""] = canonical_field(1.0, name="amplitude")
    frequency: Float[Array, ""] = canonical_field(10.0, "Hz", "frequency")
    phase: Float[Array, ""] = canonical_field(0.0, "radian", "phase")

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        t = jnp.asarray(t)
        return self.amplitude * jnp.sin(2.0 * jnp.pi * self.frequency * t / 1000.0 + self.phase)


class Ramp(AbstractStimulus):
    r"""0 before ``onset``, rising linearly to ``amplitude`` at ``onset + duration``
    (ms), and ``amplitude`` after."""

    amplitude: Float[Array, ""] = canonical_field(1.0, name="amplitude")
    onset: Float[Array, ""] = canonical_field(0.0, "ms", "onset")
    duration: Float[Array, ""] = canonical_field(1.0, "ms", "duration")

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        fraction = jnp.clip((jnp.asarray(t) - self.onset) / self.duration, 0.0, 1.0)
        return self.amplitude * fraction


class Sampled(AbstractStimulus):
    r"""A waveform given on a time grid: ``values[k]`` at ``start + k * period`` (ms),
    linearly interpolated between the samples (``interpolation="linear"``) or held
    until the next one (``"hold"``), and 0 outside ``[start, start + len * period)``.

    ``values`` has shape ``(time, ...)``: ``(time,)`` for one waveform, ``(time,
    n_input, *nodes)`` for an input per variable and region (e.g. a designed control).
    The values are differentiable; with ``"hold"`` and ``period = dt`` the run sees
    ``values[k]`` exactly during step ``k``.
    """

    values: Float[Array, " time ..."]
    period: float = eqx.field(static=True)
    start: Float[Array, ""] = canonical_field(0.0, "ms", "start")
    interpolation: str = eqx.field(default="linear", static=True)

    def __check_init__(self) -> None:
        if self.interpolation not in ("linear", "hold"):
            raise ValueError(
                f"interpolation must be 'linear' or 'hold', got {self.interpolation!r}."
            )
        if not (np.isfinite(self.period) and self.period > 0):
            raise ValueError(f"period must be > 0 ms, got {self.period}.")
        if jnp.ndim(self.values) < 1 or jnp.shape(self.values)[0] < 1:
            raise ValueError(
                f"values must have a leading time axis with at least one sample, got shape "
                f"{jnp.shape(self.values)}."
            )

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        values = jnp.asarray(self.values)
        n = values.shape[0]
        position = (jnp.asarray(t) - self.start) / self.period
        inside = (position >= -_EDGE_RTOL * (1.0 + jnp.abs(position))) & (position < n)
        if self.interpolation == "hold":
            k = jnp.clip(jnp.floor(position + _EDGE_RTOL * (1.0 + jnp.abs(position))), 0, n - 1)
            out = values[k.astype(jnp.int32)]
        else:
            k = jnp.clip(jnp.floor(position), 0, n - 1).astype(jnp.int32)
            frac = jnp.clip(position - k, 0.0, 1.0)
            upper = values[jnp.minimum(k + 1, n - 1)]
            out = values[k] + frac * (upper - values[k])
        return jnp.where(inside, out, jnp.zeros_like(out))


def noise_burst(
    key: Array,
    amplitude: Any = 1.0,
    onset: Any = 0.0,
    duration: Any = 100.0,
    period: float = 0.1,
    shape: tuple[int, ...] = (),
) -> Scaled:
    """A burst of white noise: ``amplitude`` times standard normals drawn from ``key``
    every ``period`` ms (held between draws) over ``[onset, onset + duration)`` ms;
    ``shape`` adds axes (e.g. ``(1, n_nodes)`` for independent noise per region). The
    same key gives the same burst; ``amplitude`` is a differentiable leaf."""
    from ._timegrid import concrete_ms

    onset_ms = concrete_ms(onset, "onset") if np.ndim(onset) == 0 else onset
    n = round(concrete_ms(duration, "duration") / period)
    if n < 1:
        raise ValueError(f"duration must span at least one period ({period} ms), got {duration}.")
    draws = jax.random.normal(key, (n, *shape), jnp.result_type(float))
    burst = Sampled(draws, period=float(period), start=onset_ms, interpolation="hold")  # pyright: ignore[reportArgumentType]
    return Scaled(amplitude, burst)


class Sum(AbstractStimulus):
    """``s(t) = sum_k terms[k](t)``."""

    terms: tuple[AbstractStimulus, ...]

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        out = self.terms[0](t)
        for term in self.terms[1:]:
            out = out + term(t)
        return out

    def __add__(self, other: AbstractStimulus) -> Sum:
        _check_stimulus(other, "+")
        return Sum((*self.terms, other))


class Product(AbstractStimulus):
    """``s(t) = prod_k terms[k](t)``: amplitude modulation, or gating by a pulse."""

    terms: tuple[AbstractStimulus, ...]

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        out = self.terms[0](t)
        for term in self.terms[1:]:
            out = out * term(t)
        return out


class Scaled(AbstractStimulus):
    """``s(t) = scale * stimulus(t)``; ``scale`` a scalar or an array that broadcasts."""

    scale: Float[Array, " *shape"] = canonical_field(1.0, name="scale")
    stimulus: AbstractStimulus = eqx.field(default_factory=Constant)

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        return self.scale * self.stimulus(t)


class Targeted(AbstractStimulus):
    """``s(t) = stimulus(t) * pattern``, with ``pattern`` ``(n_input, *nodes)``: the
    weight of each input variable at each region (build it with `target`)."""

    stimulus: AbstractStimulus
    pattern: Float[Array, " inputs *nodes"]

    def __call__(self, t: Float[ArrayLike, ""]) -> Array:
        value = jnp.asarray(self.stimulus(t))
        if value.ndim:  # a time course per region or variable: align with the pattern
            value = jnp.broadcast_to(value, self.pattern.shape)
        return value * self.pattern


def target(
    stimulus: AbstractStimulus,
    model: Any,
    variable: str | Sequence[str] | None = None,
    regions: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> Targeted:
    """Aim ``stimulus`` at input variables and regions of ``model``.

    Args:
        stimulus: the time course.
        model: a node model or a `Network` (its ``input_names`` and node count).
        variable: an input variable name (or several); default the model's first
            input variable, ``model.input_names[0]``.
        regions: the regions to drive: integer indices, or a boolean mask over the
            nodes; default all.
        weights: a (differentiable) weight per region, ``(n_nodes,)``; multiplied
            with the ``regions`` mask when both are given.

    Returns:
        A `Targeted` stimulus of shape ``(n_input, *nodes)``.
    """
    if not isinstance(stimulus, AbstractStimulus):
        raise TypeError(
            f"stimulus must be a bm.stimulus stimulus, got {type(stimulus).__name__}."
        )
    inputs = tuple(model.input_names)
    if variable is None:
        names: tuple[str, ...] = (inputs[0],)
    else:
        names = (variable,) if isinstance(variable, str) else tuple(variable)
    unknown = [v for v in names if v not in inputs]
    if unknown:
        raise ValueError(
            f"variable {unknown[0]!r} takes no input in {type(model).__name__}; choose from "
            f"{inputs}."
        )
    n_nodes = getattr(model, "n_nodes", None)
    nodes = (n_nodes,) if n_nodes is not None else tuple(getattr(model, "node_shape", ()))
    dtype = jnp.result_type(float)
    spatial = jnp.ones(nodes, dtype)
    if regions is not None:
        spatial = spatial * _region_mask(regions, nodes, dtype)
    if weights is not None:
        w = jnp.asarray(weights, dtype)
        if w.shape != nodes:
            raise ValueError(f"weights must have shape {nodes} (one per region), got {w.shape}.")
        spatial = spatial * w
    rows = jnp.asarray([1.0 if name in names else 0.0 for name in inputs], dtype)
    pattern = rows.reshape((-1,) + (1,) * len(nodes)) * spatial
    return Targeted(stimulus, pattern)


def _region_mask(regions: ArrayLike, nodes: tuple[int, ...], dtype: Any) -> Array:
    if len(nodes) != 1:
        raise ValueError(
            f"regions= needs a model with one node axis (a Network); this one has node "
            f"shape {nodes}. Pass weights= of that shape instead."
        )
    n = nodes[0]
    r = np.asarray(regions)
    if r.dtype == bool:
        if r.shape != (n,):
            raise ValueError(f"A boolean regions mask must have shape ({n},), got {r.shape}.")
        return jnp.asarray(r, dtype)
    if not np.issubdtype(r.dtype, np.integer):
        raise TypeError(
            f"regions must be integer indices or a boolean mask, got dtype {r.dtype}; for "
            "real-valued strengths pass weights=."
        )
    r = r.reshape(-1)
    if r.size and (r.min() < -n or r.max() >= n):
        raise ValueError(f"regions {r.tolist()} out of range for {n} nodes (0 .. {n - 1}).")
    return jnp.zeros((n,), dtype).at[r].set(1.0)
