r"""The scan engine: every fixed-grid run (Euler, Heun, RK4; delays, noise, stimulus).

**Blocks.** A run of ``n`` steps is a scan over blocks of ``B`` steps (the delayed read
plan is in `._delay_plan`). One block, given the long-edge input ``h_long`` read
from the history at its start, is `Stepper.block_fn`: an inner scan that reads short
edges from a block-local buffer and returns the block's states and its new coupled
values ``g``. Blocks sit on the *global* step grid (step ``s`` counted from the first
run's ``t = 0``): a run that continues another one at a step that is not a multiple
of ``B`` first finishes the open block (a *head* block of fewer steps), and a run whose
length is not a multiple of ``B`` ends with a shorter *tail* block, so its final state
is exactly the state at its last step. A shorter block uses the same plan and a prefix
of its reads.

**Noise.** Global block ``q`` uses the standard normals drawn from ``fold_in(key,
q)``, shape ``(B, n_draws, *nodes)``; step ``s`` takes row ``s mod B`` of block ``s //
B``. The stream is a function of the global step only: how the run is cut into calls
or chunks does not change it (pass the same key to every part of a continued run).
They are drawn for a chunk of blocks at once (``vmap`` over the chunk's keys, the
same numbers bit for bit).

**Samples.** When the sample period is at least ``B`` steps, each block hands out
only the one state that is a sample, so the stored output is ``n / B`` states
instead of ``n``; otherwise it hands out all ``B``.

**Reverse mode.** A long run (more than `REMAT_STEPS` steps) is checkpointed per chunk
of blocks: the forward pass keeps one carry per chunk and the backward pass recomputes
one chunk at a time (one more forward pass; memory grows with the chunks, not the
steps). The model evaluation ``f(t, x, summed coupling, noise state)`` is wrapped in
``jax.checkpoint(prevent_cse=False)``, so reverse mode stores only its inputs and
recomputes the few fused elementwise operations instead of storing every
intermediate as one more small kernel per step.

The measurements behind these choices, and what was tried and rejected:
``docs/design/engine.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Float, Int, PyTree

from ..models._base import AbstractNeuralMass
from ..network import Network
from ..noise import AbstractNoise
from ._delay_plan import DelayPlan

__all__ = ["Dynamics", "Stepper", "Segments", "run", "remat", "REMAT_STEPS", "NOISE_CHUNK"]

#: runs longer than this many steps are checkpointed per chunk of blocks in reverse mode
REMAT_STEPS = 1 << 17
#: blocks per chunk: noise is drawn per chunk, and long runs are checkpointed per chunk
NOISE_CHUNK = 32


def remat(n_steps: int) -> bool:
    """Whether a run of ``n_steps`` is checkpointed per chunk in reverse mode."""
    return n_steps > REMAT_STEPS


class Dynamics(eqx.Module):
    """The traced side of a run: what ``jax.grad`` and ``jax.vmap`` see.

    ``net`` is None for a single node model; ``short_weights`` and ``long_taps`` are
    the delayed read's weights (None without delays). ``stimulus`` maps ``t`` (ms) to
    an input ``(n_input, *nodes)``; an equinox Module's array fields are differentiable.
    """

    node: AbstractNeuralMass
    net: Network | None
    noise: AbstractNoise | None
    args: PyTree
    stimulus: Callable[[Array], Array] | None
    short_weights: Array | None
    long_taps: tuple[Array, ...] | None


@dataclasses.dataclass(frozen=True)
class Segments:
    """How ``n`` steps starting at global phase ``phase`` (= start step mod ``B``) are
    cut into blocks: a head of ``head`` steps, ``n_full`` whole blocks (``n_chunks``
    chunks of ``chunk`` and ``rem`` more), then a tail of ``tail`` steps."""

    n: int
    block: int
    phase: int
    head: int
    n_full: int
    tail: int
    chunk: int

    @classmethod
    def of(cls, n: int, block: int, phase: int, chunked: bool) -> Segments:
        """``chunked``: group the whole blocks into chunks of about `NOISE_CHUNK` (for
        noise draws and checkpoints); otherwise all of them form one chunk."""
        head = min((block - phase) % block, n)
        n_full = (n - head) // block
        tail = n - head - n_full * block
        chunk = max(1, n_full)
        if chunked and n_full > NOISE_CHUNK:
            # a divisor of n_full when there is one: a remainder is traced a second time
            divisors = [c for c in range(NOISE_CHUNK, NOISE_CHUNK // 4 - 1, -1) if n_full % c == 0]
            chunk = divisors[0] if divisors else NOISE_CHUNK
        return cls(n, block, phase, head, n_full, tail, chunk)

    @property
    def n_chunks(self) -> int:
        return self.n_full // self.chunk

    @property
    def rem(self) -> int:
        return self.n_full % self.chunk


@dataclasses.dataclass(frozen=True)
class Stepper:
    """Static configuration of one fixed-step run (hashable: part of a compile key)."""

    plan: DelayPlan | None
    dt: float
    block: int
    method: str  # "euler", "heun" or "rk4"
    n_draws: int
    nodes: tuple[int, ...]

    def block_fn(
        self,
        dyn: Dynamics,
        x: Float[Array, " state *nodes"],
        u: Array,
        hist: Array,
        h_long: Array | None,
        n0: Int[Array, ""],
        xi: Array | None,
        m: int,
    ) -> tuple[Array, Array, Array, Float[Array, " m state *nodes"]]:
        """Integrate ``m <= B`` steps from global step ``n0``; returns ``(x_end, u_end,
        hist_end, xs)`` with ``xs[k]`` the state after step ``n0 + k + 1``.

        ``hist`` is the delay history at ``n0`` (coupled values ``(channels, N,
        hist_len)``, unused without delays), ``h_long`` the block's long-edge input.
        """
        node, net, noise, plan = dyn.node, dyn.net, dyn.noise, self.plan
        dt, dtype = self.dt, x.dtype
        zero = node.zero_input(self.nodes).astype(dtype)

        def drive(t, x, summed, u):
            inp = zero
            if dyn.stimulus is not None:
                inp = inp + jnp.asarray(dyn.stimulus(t), dtype)
            if noise is not None:
                d = noise.drive(node, u)
                if d is not None:
                    inp = inp + d
            if net is not None:
                inp = inp + net.coupling_input(summed, x)
            return inp

        def summed_at(x, loc, k):
            if plan is not None:
                # a delay plan comes with its short weights and long input
                assert h_long is not None and dyn.short_weights is not None
                return h_long[k] + plan.short_sum(loc, dyn.short_weights, k)
            if net is not None:
                return net.instant_sum(x)
            return None

        def field(t, x, summed, u):
            return node.vector_field(t, x, drive(t, x, summed, u), dyn.args)

        # keep only the inputs for the backward pass (module docstring); inside a scan
        # body CSE cannot merge the recomputation away, so it need not be prevented
        field = jax.checkpoint(field, prevent_cse=False)

        def coupled_values(x):
            assert net is not None  # a delay plan comes with its network
            return net.coupled_values(x)

        def draw(k):
            assert xi is not None  # noise comes with its draws
            return xi[k]

        def step(c, k):
            x, loc, u = c
            t = (n0 + k).astype(dtype) * dt
            f0 = field(t, x, summed_at(x, loc, k), u)
            kick = None if noise is None else noise.kick(node, draw(k), dt)
            if self.method == "heun":
                xp = x + dt * f0 if kick is None else x + dt * f0 + kick
                if plan is not None:
                    loc = plan.write_local(loc, coupled_values(xp), k + 1)
                f1 = field(t + dt, xp, summed_at(xp, loc, k + 1), u)
                x_new = x + 0.5 * dt * (f0 + f1)
            elif self.method == "rk4":
                half = t + 0.5 * dt
                f1 = field(half, x + 0.5 * dt * f0, summed_at(x + 0.5 * dt * f0, loc, k), u)
                f2 = field(half, x + 0.5 * dt * f1, summed_at(x + 0.5 * dt * f1, loc, k), u)
                f3 = field(t + dt, x + dt * f2, summed_at(x + dt * f2, loc, k), u)
                x_new = x + dt / 6.0 * (f0 + 2.0 * f1 + 2.0 * f2 + f3)
            else:
                x_new = x + dt * f0
            if kick is not None:
                x_new = x_new + kick
            if plan is not None:
                loc = plan.write_local(loc, coupled_values(x_new), k + 1)
            if noise is not None:
                u = noise.advance(u, draw(k), dt)
            return (x_new, loc, u), x_new

        loc = plan.start_local(hist) if plan is not None else jnp.zeros((0,), dtype)
        (x, loc, u), xs = lax.scan(step, (x, loc, u), jnp.arange(m))
        if plan is not None:
            hist = plan.advance_history(hist, loc, m)
        return x, u, hist, xs

    def noise_draws(self, key: Array, blocks: Array, dtype) -> Array:
        """Standard normals ``(len(blocks), B, n_draws, *nodes)``; global block ``q``'s
        come from ``fold_in(key, q)``, so the stream does not depend on how blocks are
        grouped (drawing 25 blocks in one ``vmap`` costs about half as much per normal
        as one block at a time: 8 against 15 ns on XLA:CPU)."""
        shape = (self.block, self.n_draws, *self.nodes)
        return jax.vmap(lambda q: jax.random.normal(jax.random.fold_in(key, q), shape, dtype))(
            blocks
        )


class Carry(eqx.Module):
    """What passes from block to block: the state, the delay history (coupled values
    ``(channels, N, hist_len)``, last = now; empty without delays) and the noise state."""

    x: Array
    hist: Array
    u: Array


def run(
    stepper: Stepper,
    dyn: Dynamics,
    start: Carry,
    step0: Int[Array, ""],
    segments: Segments,
    key: Array | None,
    sample_steps: np.ndarray,
    checkpoint: bool,
) -> tuple[Array, Carry]:
    """Run ``segments.n`` steps from ``start`` at global step ``step0``; with
    ``checkpoint``, reverse mode recomputes each chunk instead of storing it.

    Returns the states after the local steps ``sample_steps`` (each in ``1 .. n``;
    ``(len, state, *nodes)``) and the final carry.
    """
    plan, B, seg = stepper.plan, stepper.block, segments
    dtype = start.x.dtype
    noisy = dyn.noise is not None
    one_row = seg.n_full > 0 and _one_row_per_block(sample_steps, seg)

    def draws(blocks: Array) -> Array:
        assert key is not None  # simulate requires a key with noise
        return stepper.noise_draws(key, blocks, dtype)

    def advance(carry: Carry, local0, m: int, xi):
        """``m`` steps from local step ``local0`` with the noise rows ``xi``."""
        h_long = None
        if plan is not None:
            assert dyn.long_taps is not None  # a delay plan comes with its taps
            h_long = plan.long_sum(carry.hist, dyn.long_taps)
        x, u, hist, xs = stepper.block_fn(
            dyn, carry.x, carry.u, carry.hist, h_long, step0 + local0, xi, m
        )
        return Carry(x, hist, u), xs

    def partial(carry: Carry, local0: int, rows: slice, m: int):
        q = (step0 + local0) // B
        xi = draws(q[None])[0, rows] if noisy else None
        return advance(carry, local0, m, xi)

    def blocks(carry: Carry, first: Array, n_blocks: int, select: Array):
        """``n_blocks`` whole blocks from full-block index ``first``."""
        index = first + jnp.arange(n_blocks)
        q0 = (step0 + seg.head) // B
        xis = draws(q0 + index) if noisy else None

        def one(carry, inputs):
            j, xi, sel = inputs
            carry, xs = advance(carry, seg.head + j * B, B, xi)
            return carry, (xs[sel] if one_row else xs)

        return lax.scan(one, carry, (index, xis, select))

    pieces, carry = [], start
    if seg.head:
        carry, xs = partial(carry, 0, slice(seg.phase, seg.phase + seg.head), seg.head)
        pieces.append(xs)
    select = _block_selection(sample_steps, seg) if one_row else np.zeros(seg.n_full, np.int32)
    if seg.n_chunks:
        body = lambda c, inp: blocks(c, inp[0], seg.chunk, inp[1])  # noqa: E731
        if checkpoint:
            body = jax.checkpoint(body, prevent_cse=False)
        firsts = seg.chunk * jnp.arange(seg.n_chunks)
        sel = jnp.asarray(select[: seg.n_chunks * seg.chunk].reshape(seg.n_chunks, seg.chunk))
        carry, xs = lax.scan(body, carry, (firsts, sel))
        pieces.append(xs.reshape(-1, *start.x.shape))
    if seg.rem:
        first = seg.n_chunks * seg.chunk
        carry, xs = blocks(carry, jnp.asarray(first), seg.rem, jnp.asarray(select[first:]))
        pieces.append(xs.reshape(-1, *start.x.shape))
    if seg.tail:
        local0 = seg.head + seg.n_full * B
        carry, xs = partial(carry, local0, slice(0, seg.tail), seg.tail)
        pieces.append(xs)
    rows = jnp.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    positions = _row_positions(sample_steps, seg, one_row)
    return _take_rows(rows, positions), carry


def _one_row_per_block(sample_steps: np.ndarray, seg: Segments) -> bool:
    """Whether every whole block holds at most one sample (then a block hands out one
    state, not ``B``)."""
    in_full = (sample_steps > seg.head) & (sample_steps <= seg.head + seg.n_full * seg.block)
    j = (sample_steps[in_full] - seg.head - 1) // seg.block
    return len(np.unique(j)) == len(j)


def _block_selection(sample_steps: np.ndarray, seg: Segments) -> np.ndarray:
    """Per whole block, the row (0 .. B - 1) of its sample (0 where it has none)."""
    select = np.zeros(seg.n_full, np.int32)
    in_full = (sample_steps > seg.head) & (sample_steps <= seg.head + seg.n_full * seg.block)
    offset = sample_steps[in_full] - seg.head - 1
    select[offset // seg.block] = offset % seg.block
    return select


def _row_positions(sample_steps: np.ndarray, seg: Segments, one_row: bool) -> np.ndarray:
    """Where local step ``s`` (1-based) sits in the concatenated block outputs."""
    s = np.asarray(sample_steps, np.int64)
    if not one_row:
        return s - 1
    full_end = seg.head + seg.n_full * seg.block
    return np.where(
        s <= seg.head,
        s - 1,
        np.where(
            s <= full_end,
            seg.head + (s - seg.head - 1) // seg.block,
            s - full_end - 1 + seg.head + seg.n_full,
        ),
    )


def _take_rows(rows: Array, positions: np.ndarray) -> Array:
    """``rows[positions]``: a strided slice when the positions are evenly spaced (not
    a gather: gathers are slow on XLA:CPU)."""
    if len(positions) == 0:
        return rows[:0]
    step = positions[1] - positions[0] if len(positions) > 1 else 1
    if step > 0 and np.array_equal(positions, positions[0] + step * np.arange(len(positions))):
        return rows[positions[0] : positions[-1] + 1 : step]
    return jnp.take(rows, jnp.asarray(positions), axis=0)
