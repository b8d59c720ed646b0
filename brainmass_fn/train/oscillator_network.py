r"""A task-shaped recurrent network of coupled oscillator nodes with a linear readout.

Each of ``n`` nodes is a neural-mass model (by default the Stuart-Landau / Hopf
normal form, `brainmass_fn.models.Hopf`). Inputs ``u(t)`` (``n_inputs`` channels)
and the network's own coupled variable ``x`` drive every node through a saturating
nonlinearity, and a linear readout maps ``x`` to ``n_outputs`` channels:

$$
\dot z_i = f_{\mathrm{node}}(z_i;\, a_i, \omega_i) + e_x \,
    \tanh\!\Big(\sum_j C_{ij}\, x_j + \sum_k W^{\mathrm{in}}_{ik}\, u_k(t) + b_i\Big),
\qquad o(t) = W^{\mathrm{out}} x(t) + b^{\mathrm{out}}
$$

where ``z_i = (x_i, y_i)`` is the node state, ``f_node`` is the node's own
``vector_field`` (for Hopf: ``(a - x^2 - y^2) x - w y``, ``(a - x^2 - y^2) y + w x``)
and ``e_x`` puts the drive on the coupled variable (``x``) only. With ``a < 0`` a
node is a damped harmonic oscillator near the origin; with ``a > 0`` it sits on a
limit cycle of radius ``sqrt(a)`` whose phase the drive can shift. The saturating
drive follows the harmonic-oscillator recurrent network (HORN) of Effenberger,
Carvalho, Dubinin & Singer (2025, *PNAS* 122:e2412830122); the node equations are
the Hopf normal form (Kuznetsov 2004).

Time is discrete on the task's grid: input sample ``u[k]`` is held for one step of
``dt`` ms, integrated with ``substeps`` Heun steps (explicit trapezoid, second
order; Süli & Mayers 2003), inside one `jax.lax.scan`, so a forward pass and its
gradient compile once for a given sequence length.

Trainable (as `Param`): the coupling matrix ``C``, input weights ``W_in`` and bias
``b``, readout ``W_out`` and ``b_out``, and the node parameters (for Hopf ``a`` in
``(a_min, a_max)`` 1/ms and ``w`` in ``(w_min, w_max)`` rad/ms, through smooth
bounds).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..models._base import AbstractNeuralMass
from ..models.hopf import Hopf
from ..params import Param, resolve

__all__ = ["OscillatorNetwork", "heun_step"]

_UNROLL = 4  # up to this many substeps are unrolled in the scan body


def heun_step(f: Any, z: Array, h: float | Array) -> Array:
    r"""One Heun (explicit trapezoid) step: ``z + h/2 (f(z) + f(z + h f(z)))``."""
    k1 = f(z)
    k2 = f(z + h * k1)
    return z + 0.5 * h * (k1 + k2)


class OscillatorNetwork(eqx.Module):
    """Recurrent network of coupled oscillator nodes driven by inputs, with a linear readout.

    Build one with `OscillatorNetwork.init` (random weights from a key); call it on
    one input sequence ``u`` of shape ``(time, n_inputs)`` to get the readout
    ``(time, n_outputs)``; `jax.vmap` it over a batch of trials. The network
    resolves its own `Param` leaves, so it can be called as built or after
    `brainmass_fn.resolve`.

    Attributes:
        node: the node model with per-node parameters (shape ``(n,)``).
        coupling: ``C``, shape ``(n, n)``; ``C[i, j]`` weighs node ``j``'s ``x`` into node ``i``.
        w_in: input weights ``(n, n_inputs)``.
        bias: drive bias ``(n,)``.
        w_out: readout weights ``(n_outputs, n)``.
        b_out: readout bias ``(n_outputs,)``.
        dt: duration of one input sample, ms (static).
        substeps: Heun steps per input sample (static).
    """

    node: AbstractNeuralMass
    coupling: Float[Array, " n n"] | Param
    w_in: Float[Array, " n inputs"] | Param
    bias: Float[Array, " n"] | Param
    w_out: Float[Array, " outputs n"] | Param
    b_out: Float[Array, " outputs"] | Param
    dt: float = eqx.field(static=True, default=1.0)
    substeps: int = eqx.field(static=True, default=1)

    def __check_init__(self):
        if not self.dt > 0:
            raise ValueError(f"dt must be > 0 ms (one input sample), got {self.dt}.")
        if not (isinstance(self.substeps, int) and self.substeps >= 1):
            raise ValueError(f"substeps must be an int >= 1, got {self.substeps!r}.")
        drive = self.node.coupled_names[0]
        if drive not in self.node.input_names:
            raise ValueError(
                f"{type(self.node).__name__} takes no input on its coupled variable "
                f"{drive!r} (inputs: {self.node.input_names}); use a node model whose "
                "coupled variable is also an input variable."
            )
        if len(_shape(self.bias)) != 1:
            raise ValueError(
                f"bias must be a vector with one entry per node, got shape {_shape(self.bias)}."
            )
        n = _shape(self.bias)[0]
        if self.node.node_shape not in ((), (1,), (n,)):
            raise ValueError(
                f"node parameters have shape {self.node.node_shape}; give them one entry per "
                f"node ({n},) or a scalar."
            )
        expect = {
            "coupling": (n, n),
            "w_in": (n, None),
            "w_out": (None, n),
            "b_out": (_shape(self.w_out)[0],),
        }
        for name, shape in expect.items():
            got = _shape(getattr(self, name))
            if len(got) != len(shape) or any(
                s is not None and s != g for s, g in zip(shape, got, strict=True)
            ):
                raise ValueError(
                    f"{name} has shape {got}, expected {shape} (None = any) for {n} nodes."
                )

    @classmethod
    def init(
        cls,
        key: PRNGKeyArray,
        n_nodes: int,
        n_inputs: int,
        n_outputs: int,
        *,
        dt: float = 1.0,
        substeps: int = 2,
        a: tuple[float, float] = (-0.05, 0.05),
        w: tuple[float, float] = (0.05, 0.5),
        a_bounds: tuple[float, float] = (-0.5, 0.5),
        w_bounds: tuple[float, float] = (0.0, 2.0),
        coupling_gain: float = 0.1,
        input_gain: float = 0.1,
    ) -> OscillatorNetwork:
        """Random trainable network of Hopf nodes.

        Args:
            key: `jax.random` key; the same key gives the same network.
            n_nodes, n_inputs, n_outputs: sizes.
            dt: one input sample, ms. substeps: Heun steps per sample.
            a: per-node ``a`` drawn uniformly in this range, 1/ms.
            w: per-node angular frequency drawn uniformly in this range, rad/ms.
            a_bounds, w_bounds: open intervals the trained ``a`` and ``w`` stay in.
            coupling_gain: ``C ~ N(0, gain^2 / n)``.
            input_gain: ``W_in ~ N(0, gain^2 / n_inputs)``.

        Readout weights start at ``N(0, 1/n)``, biases at zero.

        Why the gains are small by default: a node with ``|a| << w`` turns a constant
        drive ``F`` into an amplitude ``r`` of about ``F / w`` (up to 20 F for
        ``w = 0.05``), and a perturbation of that forced state relaxes at a mean rate of
        ``2 r^2 - a`` per ms (half the Jacobian's trace). With gains of 1 a constant
        input such as a fixation cue holds the nodes near ``r = 0.6``, where that rate
        is about 0.7 per ms: a stimulus is forgotten within a few ms (after a 20-step
        delay a 4-way sample is decodable from the state at 30-44 %, chance 25 %) and
        training sits on a loss plateau whose length depends on rounding. Gains of 0.1
        keep ``r`` near 0.2 (rate about 0.08 per ms), and the sample stays 100 %
        decodable after the same delay. Raise the gains for tasks that need strong
        recurrent dynamics from the start.
        """
        for name, value in (("n_nodes", n_nodes), ("n_inputs", n_inputs), ("n_outputs", n_outputs)):
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        for name, (lo, hi), (blo, bhi) in (("a", a, a_bounds), ("w", w, w_bounds)):
            if not blo < lo <= hi < bhi:
                raise ValueError(
                    f"{name}={(lo, hi)} must lie strictly inside {name}_bounds={(blo, bhi)}."
                )
        return _build(
            cls,
            key,
            int(n_nodes),
            int(n_inputs),
            int(n_outputs),
            float(dt),
            int(substeps),
            tuple(map(float, a)),
            tuple(map(float, w)),
            tuple(map(float, a_bounds)),
            tuple(map(float, w_bounds)),
            float(coupling_gain),
            float(input_gain),
        )

    @property
    def n_nodes(self) -> int:
        return _shape(self.bias)[0]

    @property
    def n_inputs(self) -> int:
        return _shape(self.w_in)[1]

    @property
    def n_outputs(self) -> int:
        return _shape(self.w_out)[0]

    def states(
        self, inputs: Float[Array, " time inputs"], state0: Float[Array, " state n"] | None = None
    ) -> Float[Array, " time state n"]:
        """Node states after each input sample, shape ``(time, n_state, n)``."""
        net = resolve(self)
        inputs = jnp.asarray(inputs)
        if inputs.ndim != 2 or inputs.shape[1] != net.n_inputs:
            raise ValueError(
                f"inputs must have shape (time, {net.n_inputs}), got {inputs.shape}; "
                "vmap the network over a batch of trials."
            )
        node = net.node
        ix = node.index(node.coupled_names[0])
        row = node.input_names.index(node.coupled_names[0])
        n = net.n_nodes
        z0 = node.initial_state(n) if state0 is None else jnp.asarray(state0)
        h = net.dt / net.substeps
        drive_in = inputs @ net.w_in.T + net.bias  # (time, n)

        def field(z: Array, d: Array) -> Array:
            drive = jnp.tanh(net.coupling @ z[ix] + d)
            full = jnp.zeros((node.n_input, n), z.dtype).at[row].set(drive)
            return node.vector_field(jnp.zeros((), z.dtype), z, full)

        def sample(z: Array, d: Array) -> tuple[Array, Array]:
            if net.substeps <= _UNROLL:
                for _ in range(net.substeps):
                    z = heun_step(lambda s: field(s, d), z, h)
            else:  # static trip count: lowers to a scan, so reverse-mode works
                z = jax.lax.fori_loop(
                    0, net.substeps, lambda _, s: heun_step(lambda q: field(q, d), s, h), z
                )
            return z, z

        _, zs = jax.lax.scan(sample, z0.astype(drive_in.dtype), drive_in)
        return zs

    def readout(self, states: Float[Array, " time state n"]) -> Float[Array, " time outputs"]:
        """``o = W_out x + b_out`` from the coupled variable ``x`` of each state."""
        net = resolve(self)
        x = states[:, net.node.index(net.node.coupled_names[0])]
        return x @ net.w_out.T + net.b_out

    def __call__(self, inputs: Float[Array, " time inputs"]) -> Float[Array, " time outputs"]:
        """Readout after each input sample, shape ``(time, n_outputs)``."""
        return self.readout(self.states(inputs))


@eqx.filter_jit
def _build(
    cls,
    key,
    n_nodes,
    n_inputs,
    n_outputs,
    dt,
    substeps,
    a,
    w,
    a_bounds,
    w_bounds,
    coupling_gain,
    input_gain,
) -> OscillatorNetwork:
    # arguments checked by `OscillatorNetwork.init`; one compiled program per set of sizes
    ka, kw, kc, ki, ko = jax.random.split(key, 5)
    dtype = jnp.result_type(float)
    node = Hopf(
        a=Param(jax.random.uniform(ka, (n_nodes,), dtype, *a), *a_bounds),  # pyright: ignore[reportArgumentType]
        w=Param(jax.random.uniform(kw, (n_nodes,), dtype, *w), *w_bounds),  # pyright: ignore[reportArgumentType]
    )
    return cls(
        node=node,
        coupling=Param(
            coupling_gain / np.sqrt(n_nodes) * jax.random.normal(kc, (n_nodes, n_nodes), dtype)
        ),
        w_in=Param(
            input_gain / np.sqrt(n_inputs) * jax.random.normal(ki, (n_nodes, n_inputs), dtype)
        ),
        bias=Param(jnp.zeros(n_nodes, dtype)),
        w_out=Param(jax.random.normal(ko, (n_outputs, n_nodes), dtype) / np.sqrt(n_nodes)),
        b_out=Param(jnp.zeros(n_outputs, dtype)),
        dt=float(dt),
        substeps=int(substeps),
    )


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(jnp.shape(x.value if isinstance(x, Param) else x))
