r"""The fixed-step (Euler/Heun) solver for delayed or noisy runs.

The run is a scan over blocks of ``B`` steps (see `brainmass_fn.delays` for the read
plan). One block, given the long-edge input ``h_long`` read from the history at its
start, is `Stepper.block_fn`: an inner scan of ``B`` steps that reads short edges from
a block-local buffer and returns the block's states and its new coupled values ``g``.

**Noise.** Block ``b`` uses the standard normals drawn from ``fold_in(key, b)``. They
are drawn for a chunk of blocks at once (``vmap`` over the chunk's keys, the same
numbers bit for bit): on the gw benchmark with OU noise (10 s, 100k steps, 16 M
normals) the run took 0.455 s instead of 0.69 s in float32 and 0.90 s instead of
1.07 s in float64 (two runs each, same machine, minutes apart).

**Reverse mode.** JAX differentiates the scan. What it keeps for the backward pass
decides the cost: by default the linearised model evaluation stores every
intermediate of the vector field (five ``(N,)`` arrays per step for Hopf, more for
larger models), and on XLA:CPU each stored array is one more small kernel per step in
each direction. The model evaluation ``f(t, x, summed coupling, noise state)`` is
therefore wrapped in ``jax.checkpoint`` (with ``prevent_cse=False``, safe inside a
scan body): the forward pass keeps only its inputs (the state and the summed
coupling), and the backward pass recomputes the few elementwise operations, fused
into one kernel. Measured (gw, Hopf, Euler, float32, 1 s, B = 8, 2 shared cores,
median of 5-9):

| | forward | forward + residuals | backward | ``jax.grad`` | grad / forward |
|---|---|---|---|---|---|
| store all | 0.0315 s | 0.071 s | 0.047 s | 0.099-0.101 s | 3.08-3.17x |
| checkpointed model | 0.0315 s | 0.052-0.055 s | 0.053 s | 0.086-0.087 s | 2.73-2.77x |
| **same, no CSE barrier** | 0.031-0.032 s | | | 0.078-0.080 s | **2.49-2.53x** |

Tried and rejected (same runs): a hand-written delay adjoint, in which the backward
pass carries a window of future cotangents and each source gathers its long-edge
cotangent from ``d_ij`` steps ahead (the forward slice-gather on the transposed lag
pattern) instead of JAX's slice scatter: the gather cost 10.2-10.4 us per block against
11.7 us for the scatter, and the gradient was 0-3 % *slower* (0.087-0.089 s), while
losing forward mode. Checkpointing the whole step (also saving the block-local buffer
every step) or the whole block (recomputing it): 4.3x.

The checkpoint also pays for other models and Heun (gw, 1 s, float32, ``grad`` /
forward, without -> with): Hopf Heun 4.06 -> 2.96, Wilson-Cowan Euler 3.50 -> 2.79 and
Heun 4.08 -> 3.42, Montbrio-Pazo-Roxin Euler 2.96 -> 2.43 and Heun 3.99 -> 3.02. With
float64 or OU noise it is neutral (Hopf: 2.30 -> 2.28, 1.82 -> 1.76).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, PyTree

from .delays import DelayPlan
from .models._base import AbstractNeuralMass
from .network import Network
from .noise import AbstractNoise

__all__ = ["Stepper", "run_blocks"]


@dataclasses.dataclass(frozen=True, eq=False)
class Stepper:
    """Static configuration of one fixed-step run (compared by identity)."""

    plan: DelayPlan | None
    dt: float
    block: int
    heun: bool
    n_blocks: int
    n_draws: int
    nodes: tuple[int, ...]
    stimulus: Callable[[Array], Array] | None

    def block_fn(
        self,
        theta: PyTree,
        x: Float[Array, " state *nodes"],
        u: Array,
        head: Array,
        h_long: Array | None,
        b: Array,
        xi: Array | None,
    ) -> tuple[Array, Array, Array, Float[Array, " block state *nodes"]]:
        """Integrate one block; returns ``(x_end, u_end, g_new, xs)``.

        ``theta = (model, noise, args, short_weights)``; ``head`` holds
        the last ``past + 1`` history values ``(channels, N, past + 1)``; ``g_new`` the
        block's coupled values ``(channels, N, B)`` (times ``n0 + 1 .. n0 + B``).
        """
        model, noise, args, short_w = theta
        net = model if isinstance(model, Network) else None
        node = net.node if net is not None else model
        plan, dt, block, heun = self.plan, self.dt, self.block, self.heun
        dtype = x.dtype
        zero = node.zero_input(self.nodes).astype(dtype)

        def drive(t, x, summed, u):
            inp = zero
            if self.stimulus is not None:
                inp = inp + jnp.asarray(self.stimulus(t), dtype)
            if noise is not None:
                d = noise.drive(node, u)
                if d is not None:
                    inp = inp + d
            if net is not None:
                inp = inp + net.coupling_input(summed, x)
            return inp

        def summed_at(x, loc, k):
            if plan is not None:
                return h_long[k] + plan.short_sum(loc, short_w, k)
            if net is not None:
                return net.instant_sum(x)
            return None

        def field(t, x, summed, u):
            return node.vector_field(t, x, drive(t, x, summed, u), args)

        # keep only the inputs for the backward pass (module docstring); inside a scan
        # body CSE cannot merge the recomputation away, so it need not be prevented
        field = jax.checkpoint(field, prevent_cse=False)

        def step(c, k):
            x, loc, u = c
            t = (b * block + k) * dt
            f0 = field(t, x, summed_at(x, loc, k), u)
            kick = None if noise is None else noise.kick(node, xi[k], dt)
            if heun:
                xp = x + dt * f0 if kick is None else x + dt * f0 + kick
                if plan is not None:
                    loc = plan.write_local(loc, net.coupled_values(xp), k + 1)
                f1 = field(t + dt, xp, summed_at(xp, loc, k + 1), u)
                x_new = x + 0.5 * dt * (f0 + f1)
            else:
                x_new = x + dt * f0
            if kick is not None:
                x_new = x_new + kick
            if plan is not None:
                loc = plan.write_local(loc, net.coupled_values(x_new), k + 1)
            if noise is not None:
                u = noise.advance(u, xi[k], dt)
            return (x_new, loc, u), x_new

        if plan is not None:
            c, n = head.shape[:2]
            loc = jnp.concatenate([head, jnp.zeros((c, n, block), dtype)], axis=2)
        else:
            loc = head
        (x, loc, u), xs = lax.scan(step, (x, loc, u), jnp.arange(block))
        g_new = loc[:, :, plan.past + 1 :] if plan is not None else loc
        return x, u, g_new, xs

    def noise_draws(self, key: Array, blocks: Array, dtype) -> Array:
        """Standard normals ``(len(blocks), B, n_draws, *nodes)``; block ``b``'s come
        from ``fold_in(key, b)``, so the stream does not depend on how blocks are
        grouped (drawing 25 blocks in one ``vmap`` costs about half as much per normal
        as one block at a time: 8 against 15 ns on XLA:CPU)."""
        shape = (self.block, self.n_draws, *self.nodes)
        return jax.vmap(lambda b: jax.random.normal(jax.random.fold_in(key, b), shape, dtype))(
            blocks
        )

    def noise_chunk(self) -> int:
        """Blocks whose noise is drawn together: the largest divisor of ``n_blocks``
        up to 32 (so no block is simulated in vain)."""
        return max(c for c in range(1, min(32, self.n_blocks) + 1) if self.n_blocks % c == 0)

    def head(self, hist: Array) -> Array:
        """The last ``past + 1`` history values, which the short reads see."""
        return hist[:, :, self.plan.hist_len - 1 - self.plan.past :]


def run_blocks(
    stepper: Stepper,
    model: AbstractNeuralMass,
    noise: AbstractNoise | None,
    args: Any,
    y0: Array,
    u0: Array,
    g0: Array | None,
    taps: tuple[Array, ...] | None,
    key: Array | None,
) -> Float[Array, " blocks block state *nodes"]:
    """All blocks' states ``xs[b, k]`` (the state after step ``b B + k + 1``).

    ``g0`` is ``coupled_values(y0)``, the constant history before ``t = 0``, and
    ``taps`` the network's per-tap weights (both None without delays).
    """
    plan = stepper.plan
    if plan is not None:
        long_taps = plan.long_weights(taps)
        theta = (model, noise, args, plan.short_weights(taps))
        hist0 = plan.init_history(g0)
    else:
        long_taps, theta = None, (model, noise, args, None)
        hist0 = jnp.zeros((0,), y0.dtype)

    def one_block(carry, inputs):
        (x, hist, u), (b, xi) = carry, inputs
        if plan is None:
            x, u, _, xs = stepper.block_fn(theta, x, u, hist, None, b, xi)
            return (x, hist, u), xs
        h_long = plan.long_sum(hist, long_taps)
        x, u, g_new, xs = stepper.block_fn(theta, x, u, stepper.head(hist), h_long, b, xi)
        hist = jnp.concatenate([hist[:, :, stepper.block :], g_new], axis=2)
        return (x, hist, u), xs

    carry0, blocks = (y0, hist0, u0), jnp.arange(stepper.n_blocks)
    if noise is None:
        return lax.scan(one_block, carry0, (blocks, None))[1]
    chunk = stepper.noise_chunk()

    def one_chunk(carry, chunk_blocks):
        xis = stepper.noise_draws(key, chunk_blocks, y0.dtype)
        return lax.scan(one_block, carry, (chunk_blocks, xis))

    _, xs = lax.scan(one_chunk, carry0, blocks.reshape(-1, chunk))
    return xs.reshape(stepper.n_blocks, *xs.shape[2:])
