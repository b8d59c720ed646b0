"""fit() robustness: NaN/inf rejection, Ctrl-C, checkpoints and exact resume."""

import jax.numpy as jnp
import numpy as np
import optax
import optimistix as optx
import pytest

import brainmass_fn as bm
from brainmass_fn.fit import Nevergrad

EDGE = float(np.float32(1.2))  # the cliff, as float32 sees it


def cliff(p):
    """(x - 1.5)^2, but NaN beyond x = 1.2: the best finite point is at the cliff."""
    x = p["x"]
    return jnp.where(x > 1.2, jnp.nan, (x - 1.5) ** 2)


def test_optax_backtracks_from_nan_instead_of_sticking():
    result = bm.fit(cliff, {"x": bm.Param(0.0)}, optax.adam(0.2), steps=200, progress=False)
    losses = result.losses
    assert np.any(np.isnan(losses))  # it did step into the NaN region
    x = float(result.values["x"])
    assert 1.15 < x <= EDGE  # and still found the best finite point, at the cliff
    assert result.best_loss == pytest.approx(np.nanmin(losses))
    # after a NaN the next point is the midpoint back towards the last good one,
    # so NaNs never come many in a row (no stuck state)
    run = max(len(s) for s in "".join("n" if np.isnan(v) else "." for v in losses).split("."))
    assert run <= 25


def test_optimistix_rejects_nan_trial_points():
    result = bm.fit(cliff, {"x": bm.Param(0.0)}, optx.BFGS(rtol=1e-6, atol=1e-6), steps=100,
                    progress=False)  # fmt: skip
    assert np.isfinite(result.best_loss)
    assert 1.1 < float(result.values["x"]) <= EDGE


def test_nevergrad_scores_nan_candidates_as_inf():
    params = {"x": bm.Param(0.0, lower=-2.0, upper=2.0)}
    result = bm.fit(cliff, params, Nevergrad("CMA", population=8), steps=30, progress=False)
    assert np.any(np.isinf(result.losses))  # NaN candidates recorded as +inf
    assert not np.any(np.isnan(result.losses))
    assert 1.15 < float(result.values["x"]) <= EDGE


def _quadratic(p):
    return jnp.sum((p["v"] - jnp.array([1.0, -2.0, 0.5])) ** 2 * jnp.array([1.0, 4.0, 0.25]))


def _interrupt_at(step):
    def callback(k, loss, best):
        if k == step:
            raise KeyboardInterrupt

    return callback


def test_keyboard_interrupt_returns_the_best_so_far():
    params = {"v": bm.Param(jnp.zeros(3))}
    result = bm.fit(_quadratic, params, optax.adam(0.05), steps=100, progress=False,
                    callback=_interrupt_at(7))  # fmt: skip
    assert result.status == "interrupted"
    assert result.steps == 7 and len(result.losses) == 7
    assert result.best_loss == pytest.approx(min(result.losses))
    assert result.best_loss < result.losses[0]


def test_callback_can_stop_early():
    result = bm.fit(_quadratic, {"v": bm.Param(jnp.zeros(3))}, optax.adam(0.05), steps=100,
                    progress=False, callback=lambda k, loss, best: best < 3.0)  # fmt: skip
    assert result.status == "stopped" and result.best_loss < 3.0 and result.steps < 100


@pytest.mark.parametrize(
    "strategy",
    [optax.adam(0.05), optx.BFGS(rtol=1e-9, atol=1e-9), Nevergrad("CMA", population=6, seed=2)],
    ids=["optax", "optimistix", "nevergrad"],
)
def test_interrupted_fit_resumed_from_checkpoint_ends_at_the_same_params(strategy, tmp_path):
    params = {"v": bm.Param(jnp.zeros(3), lower=-5.0, upper=5.0)}
    steps = 12
    full = bm.fit(_quadratic, params, strategy, steps=steps, progress=False)

    path = tmp_path / "fit.eqx"
    # killed hard after step 8: the last periodic checkpoint is at step 6
    first = bm.fit(_quadratic, params, strategy, steps=steps, progress=False, checkpoint=path,
                   checkpoint_every=3, callback=_interrupt_at(8))  # fmt: skip
    assert first.status == "interrupted"
    assert path.exists() and (tmp_path / "fit.eqx.json").exists()
    resumed = bm.fit(_quadratic, params, strategy, steps=steps, progress=False, checkpoint=path,
                     resume=True)  # fmt: skip
    assert resumed.steps == full.steps
    np.testing.assert_array_equal(resumed.values["v"], full.values["v"])
    np.testing.assert_array_equal(resumed.losses, full.losses)
    assert resumed.best_loss == full.best_loss


def test_resume_from_a_periodic_checkpoint(tmp_path):
    # a run that stopped at step 6 (its last save) continues to 20 exactly
    params = {"v": bm.Param(jnp.zeros(3))}
    full = bm.fit(_quadratic, params, optax.sgd(0.05), steps=20, progress=False)
    path = tmp_path / "run.eqx"
    bm.fit(_quadratic, params, optax.sgd(0.05), steps=6, progress=False, checkpoint=path,
           checkpoint_every=2)  # fmt: skip
    resumed = bm.fit(_quadratic, params, optax.sgd(0.05), steps=20, progress=False,
                     checkpoint=path, resume=True)  # fmt: skip
    np.testing.assert_array_equal(resumed.values["v"], full.values["v"])


def test_resume_refuses_another_strategy(tmp_path):
    path = tmp_path / "run.eqx"
    params = {"v": bm.Param(jnp.zeros(3))}
    bm.fit(_quadratic, params, optax.sgd(0.05), steps=2, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="strategy"):
        bm.fit(_quadratic, params, optx.BFGS(rtol=1e-6, atol=1e-6), steps=4, progress=False,
               checkpoint=path, resume=True)  # fmt: skip
    with pytest.raises(ValueError, match="checkpoint"):
        bm.fit(_quadratic, params, optax.sgd(0.05), resume=True, progress=False)
