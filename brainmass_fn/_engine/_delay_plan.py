r"""The delayed read of the fixed-step engine: the read plan and the blocked layout.

The convention (which source time an edge reads) is in `brainmass_fn.delays`.

The engine integrates ``B`` steps per block. An edge whose lag is at least ``B - 1``
(``B`` for Heun, whose corrector looks one step ahead) needs, for the whole block,
only history that exists when the block starts, so its inputs for all ``B`` steps are
read at once: the history is stored source-major ``(channels, N, L)``, each edge's
``B`` values are one contiguous slice, and one slice-gather (``vmap(dynamic_slice)``)
followed by one ``einsum`` with the weights gives the ``(B, channels, N)`` long-edge
input. Edges with shorter lags are read every inner step from a small block-local
buffer (which holds the in-block states) as a target-sorted edge list: one ``take``
and a sorted ``segment_sum``. The history is a shifted window, so every gather index
is a constant; only the integer lags are static, and weights, ``K``, node parameters
and (``"linear"``) speed and lengths are traced.

Under ``vmap`` the long read runs member by member inside a ``lax.map`` (its
``custom_vmap`` rule); sparse connectomes (``build_plan(edges=...)``) read only their
connections, padded per target when that visits fewer slots than all pairs.

Why this layout, with the measurements behind each choice and the layouts tried and
rejected: ``docs/design/engine.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Float

__all__ = ["DelayPlan", "build_plan", "DEFAULT_BLOCK"]

#: inner steps per block; 8 was fastest on gw (see the table above)
DEFAULT_BLOCK = 8


@dataclasses.dataclass(frozen=True, eq=False)
class DelayPlan:
    """The static (integer) part of a delayed network read, for one ``dt``.

    Built by `build_plan`; hashable by content so it can be static in a jit trace.
    Positions: the history ``hist`` has shape ``(channels, N, hist_len)`` with time
    ``n0 + m`` (``n0`` the first step of the block) at index ``hist_len - 1 + m``;
    the block-local buffer ``loc`` has shape ``(channels, N, past + block + 1)`` with
    time ``n0 + m`` at index ``past + m``.
    """

    block: int
    n_eval: int
    n_taps: int
    base_lag: np.ndarray  # (N, N) int lag of tap 0
    long: np.ndarray  # (N, N) bool: read once per block
    hist_len: int
    past: int
    long_src: np.ndarray  # (N, D) int32 source j of target i's slot (D = N: dense)
    long_start: np.ndarray  # (N, D) int32 slice start in hist
    long_valid: np.ndarray  # (N, D) bool: the slot holds a long edge
    short_index: np.ndarray  # (E,) int32 flat index into loc.reshape(C, N * loc_len) at k = 0
    short_edge: np.ndarray  # (E,) int32 flat index i * N + j of the edge (weights lookup)
    short_tap: np.ndarray  # (E,) int32 tap of the entry
    short_bounds: np.ndarray  # (N + 1,) int32 CSR row pointer: target i owns [b_i, b_i+1)
    digest: str = ""

    @property
    def loc_len(self) -> int:
        return self.past + self.block + 1

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DelayPlan) and other.digest == self.digest

    # ---- reads ----

    def init_history(self, g0: Float[Array, " channels nodes"]) -> Array:
        """Constant history ``(channels, N, hist_len)`` equal to ``g0`` at all past times."""
        return jnp.broadcast_to(g0[:, :, None], (*g0.shape, self.hist_len))

    @property
    def dense_long(self) -> bool:
        """Whether the long read visits all ``N x N`` pairs (else one slot per edge)."""
        return self.long_src.shape[1] == self.long_src.shape[0] and bool(
            np.all(self.long_src == np.arange(self.long_src.shape[0]))
        )

    def long_weights(self, taps: tuple[Array, ...]) -> tuple[Float[Array, " nodes slots"], ...]:
        """Per-tap weights of the long read's slots: ``taps[t][i, j]`` masked to long
        edges, ``(N, N)``, or gathered into the per-target slots ``(N, D)``."""
        valid = jnp.asarray(self.long_valid)
        if self.dense_long:
            return tuple(jnp.where(valid, w, 0.0) for w in taps)
        rows = np.arange(self.long_src.shape[0])[:, None]
        return tuple(jnp.where(valid, w[rows, self.long_src], 0.0) for w in taps)

    def long_sum(
        self, hist: Array, taps: tuple[Float[Array, " nodes slots"], ...]
    ) -> Float[Array, " eval channels nodes"]:
        """Weighted sum over long edges for every evaluation point of the block.

        ``taps`` from `long_weights`: ``taps[t][i, s]`` weighs slot ``s`` of target
        ``i`` (source ``j = long_src[i, s]``) at lag ``base_lag_ij + t``. Returns
        ``h[k, c, i] = sum_t sum_j w_t[i, j] g_c,j(n0 + k - base_lag_ij - t)`` over long
        edges, for ``k = 0 .. n_eval - 1``.
        """
        width = self.n_eval + self.n_taps - 1
        read = _long_fn(self.long_src, self.long_start, width, self.n_eval)
        # channels are static and few; each is a 2-D slice-gather (the fast layout)
        return jnp.stack([read(h, tuple(taps)) for h in hist], axis=1)

    def short_sum(
        self, loc: Array, short_weights: Float[Array, " entries"], k: Array | int
    ) -> Float[Array, " channels nodes"]:
        """Weighted sum over short edges at time ``n0 + k``, read from ``loc``.

        The entries are a target-sorted edge list: one ``take`` of the ``E`` values
        and a sorted ``segment_sum``. Reverse mode turns the ``take`` into a
        scatter-add of ``E`` values; a padded per-target layout (ELL) is as fast
        forward but scatters its padding too (2080 instead of about 650 values per
        step on gw), which made the gradient 25 % slower. A running-sum (``cumsum``)
        reduction was slower still (XLA:CPU's cumsum is quadratic in length).
        """
        if self.short_index.shape[0] == 0:
            return jnp.zeros(loc.shape[:2], loc.dtype)
        flat = loc.reshape(loc.shape[0], -1)
        vals = jnp.take(flat, jnp.asarray(self.short_index) + k, axis=1)  # (C, E)
        targets = np.repeat(np.arange(loc.shape[1]), np.diff(self.short_bounds))
        summed = jax.ops.segment_sum(
            (vals * short_weights).T, jnp.asarray(targets), loc.shape[1], indices_are_sorted=True
        )
        return summed.T

    def short_weights(self, taps: tuple[Array, ...]) -> Float[Array, " entries"]:
        """Gather the short-edge weights ``(E,)`` from the per-tap weight matrices."""
        stacked = jnp.stack([w.reshape(-1) for w in taps])  # (taps, N*N)
        return stacked[jnp.asarray(self.short_tap), jnp.asarray(self.short_edge)]

    def start_local(self, hist: Array) -> Array:
        """Block-local buffer ``(channels, N, past + block + 1)``: the last ``past + 1``
        history values, then room for the block's own values."""
        c, n, _ = hist.shape
        head = hist[:, :, self.hist_len - 1 - self.past :]
        return jnp.concatenate([head, jnp.zeros((c, n, self.block), hist.dtype)], axis=2)

    def advance_history(self, hist: Array, loc: Array, m: int) -> Array:
        """The history after a block of ``m <= block`` steps: shifted by ``m``, with the
        block's values (from ``loc``) appended (a plain window: constant indices)."""
        new = loc[:, :, self.past + 1 : self.past + 1 + m]
        return jnp.concatenate([hist[:, :, m:], new], axis=2)

    def write_local(self, loc: Array, g: Float[Array, " channels nodes"], m: Array | int) -> Array:
        """Store ``g`` (time ``n0 + m``) into ``loc``."""
        return lax.dynamic_update_slice(loc, g[:, :, None], (0, 0, self.past + m))


def _slices(h: Array, src: np.ndarray, start: np.ndarray, width: int) -> Array:
    """``out[..., i, j, :] = h[src_ij, start_ij : start_ij + width]``: one slice-gather."""

    def one(j, s):
        return lax.dynamic_slice(h, (j, s), (1, width))[0]

    return jax.vmap(jax.vmap(one))(jnp.asarray(src), jnp.asarray(start))


def _long_fn(src: np.ndarray, start: np.ndarray, width: int, n_eval: int):
    """One channel's long-edge sum ``(h (N, L), taps) -> (n_eval, N)``, with a
    batching rule.

    Under ``jax.vmap`` the default rule gathers one ``(batch, N, N, width)`` window,
    whose size outgrows the CPU caches (3.2 MB for 16 runs of gw at B = 8) and whose
    gather has batch dimensions, both several times slower per element on XLA:CPU.
    Our rule reads each batch member's window in turn inside a ``lax.map`` (small
    gathers and contractions that stay in cache) while everything else in the step
    stays batched; unbatched tap weights are shared, not broadcast. The JVP uses the
    plain function, so reverse mode transposes it as usual.
    """

    def plain(h, taps):
        win = _slices(h, src, start, width)  # (N, N, width)
        n_taps = len(taps)
        out = 0.0
        for t, w in enumerate(taps):
            lo = n_taps - 1 - t
            out = out + jnp.einsum("ij,ijk->ki", w, win[..., lo : lo + n_eval])
        return out

    @jax.custom_batching.custom_vmap
    def batched(h, taps):
        return plain(h, taps)

    @batched.def_vmap
    def _rule(axis_size, in_batched, h, taps):
        # one member at a time inside a lax.map loop: a Python loop of `axis_size`
        # unrolled reads of the batched history was 25 % slower (measured, gw x16)
        h_b, taps_b = in_batched
        mapped_taps = tuple(w for w, wb in zip(taps, taps_b, strict=True) if wb)

        def one(xs):
            hb, tb = xs
            it = iter(tb)
            full = tuple(next(it) if wb else w for w, wb in zip(taps, taps_b, strict=True))
            return plain(hb if h_b else h, full)

        return lax.map(one, (h if h_b else jnp.zeros((axis_size,), h.dtype), mapped_taps)), True

    @jax.custom_jvp
    def long(h, taps):
        return batched(h, taps)

    @long.defjvp
    def _jvp(primals, tangents):
        (h, taps), (dh, dtaps) = primals, tangents
        return batched(h, taps), jax.jvp(plain, (h, taps), (dh, dtaps))[1]

    return long


def build_plan(
    base_lag: np.ndarray,
    *,
    n_taps: int,
    block: int,
    heun: bool,
    edges: np.ndarray | None = None,
) -> DelayPlan:
    """Static read plan for integer lags ``base_lag`` (``(N, N)``, tap ``t`` reads lag
    ``base_lag + t``), ``block`` steps per block, Euler (``heun=False``) or Heun.

    ``edges`` (``(N, N)`` bool, default all) marks the connections; other pairs are
    never read. When the long edges fill at most 3/4 of the ``N x N`` pairs once each
    target's list is padded to the largest in-degree ``D``, the long read visits ``(N,
    D)`` slots instead of all pairs (TVB's 76-region connectome: ``D`` = 31 of 76).
    """
    base_lag = np.asarray(base_lag, dtype=np.int64)
    if base_lag.ndim != 2 or base_lag.shape[0] != base_lag.shape[1]:
        raise ValueError(f"base_lag must be square (N, N), got shape {base_lag.shape}.")
    if np.any(base_lag < 0):
        raise ValueError("Lags must be >= 0 steps.")
    if block < 1:
        raise ValueError(f"block must be >= 1 step, got {block}.")
    n = base_lag.shape[0]
    edges = np.ones((n, n), bool) if edges is None else np.asarray(edges, bool)
    if edges.shape != (n, n):
        raise ValueError(f"edges must have shape {(n, n)}, got {edges.shape}.")
    n_eval = block + (1 if heun else 0)
    long = (base_lag >= n_eval - 1) & edges
    short = (base_lag < n_eval - 1) & edges
    past = max(n_eval + n_taps - 2, 0)
    hist_len = max(int(base_lag.max()) + n_taps, past + 1)
    lag_hi = np.where(long, base_lag + n_taps - 1, 0)
    degree = max(int(long.sum(axis=1).max()), 1)
    if degree * 4 <= 3 * n:  # per-target slots of the long edges only
        long_src = np.zeros((n, degree), np.int32)
        long_valid = np.zeros((n, degree), bool)
        for i in range(n):
            js = np.nonzero(long[i])[0]
            long_src[i, : len(js)] = js
            long_valid[i, : len(js)] = True
    else:
        long_src = np.broadcast_to(np.arange(n, dtype=np.int32), (n, n)).copy()
        long_valid = long
    rows = np.arange(n)[:, None]
    long_start = np.where(long_valid, hist_len - 1 - lag_hi[rows, long_src], 0).astype(np.int32)

    loc_len = past + block + 1
    entries: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for i, j in zip(*np.nonzero(short), strict=True):
        for t in range(n_taps):
            lag = int(base_lag[i, j]) + t
            entries[i].append((j * loc_len + past - lag, i * n + j, t))
    flat_entries = [entry for row in entries for entry in row]
    short_index = np.array([e[0] for e in flat_entries], np.int32)
    short_edge = np.array([e[1] for e in flat_entries], np.int32)
    short_tap = np.array([e[2] for e in flat_entries], np.int32)
    short_bounds = np.concatenate([[0], np.cumsum([len(row) for row in entries])]).astype(np.int32)
    h = hashlib.sha1()
    for a in (base_lag, edges, np.array([n_taps, block, int(heun)])):
        h.update(np.ascontiguousarray(a).tobytes())
    return DelayPlan(
        block=block,
        n_eval=n_eval,
        n_taps=n_taps,
        base_lag=base_lag,
        long=long,
        hist_len=hist_len,
        past=past,
        long_src=long_src,
        long_start=long_start,
        long_valid=long_valid,
        short_index=short_index,
        short_edge=short_edge,
        short_tap=short_tap,
        short_bounds=short_bounds,
        digest=h.hexdigest(),
    )
