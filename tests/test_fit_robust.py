"""fit() robustness: NaN/inf rejection, Ctrl-C, checkpoints and exact resume."""

import equinox as eqx
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


def test_a_checkpoint_name_without_a_suffix_resumes(tmp_path):
    # equinox adds ".eqx" to a bare name; the checkpoint is read from the name given
    params = {"v": bm.Param(jnp.zeros(3))}
    full = bm.fit(_quadratic, params, optax.sgd(0.05), steps=8, progress=False)
    path = tmp_path / "run"
    bm.fit(_quadratic, params, optax.sgd(0.05), steps=4, progress=False, checkpoint=path)
    assert path.exists() and not (tmp_path / "run.eqx").exists()
    resumed = bm.fit(_quadratic, params, optax.sgd(0.05), steps=8, progress=False,
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


# ---- issue 12: nothing silent, nothing lost ----


def test_a_fit_that_hits_nan_later_keeps_the_best_and_completes():
    result = bm.fit(cliff, {"x": bm.Param(0.0)}, optax.adam(0.2), steps=60, progress=False)
    assert np.any(np.isnan(result.losses)) and np.isfinite(result.losses[0])
    assert result.status == "completed"
    assert result.best_loss == pytest.approx(np.nanmin(result.losses))


def _all_nan(p):
    return jnp.sum(p["v"]) * jnp.nan


@pytest.mark.parametrize(
    "strategy",
    [optax.adam(0.1), optx.BFGS(rtol=1e-6, atol=1e-6), Nevergrad("CMA", population=4)],
    ids=["optax", "optimistix", "nevergrad"],
)
def test_a_fit_where_every_loss_is_nan_fails_and_says_so(strategy):
    params = {"v": bm.Param(jnp.array([0.3, -0.2]), lower=-1.0, upper=1.0)}
    with pytest.warns(RuntimeWarning, match=r"failed: the loss was NaN or inf at step 0"):
        result = bm.fit(_all_nan, params, strategy, steps=3, progress=False)
    assert result.status == "failed"
    assert result.best_loss == np.inf
    np.testing.assert_allclose(result.values["v"], [0.3, -0.2], rtol=1e-6)


def test_an_optax_fit_whose_gradient_is_always_nan_fails_and_says_so():
    def loss(p):  # finite at x = 0, but d/dx sqrt(|x|) is inf there
        return jnp.sqrt(jnp.abs(p["x"])) + (p["x"] - 1.0) ** 2

    with pytest.warns(RuntimeWarning, match=r"finite \(1\) at step 0 but its gradient"):
        result = bm.fit(loss, {"x": bm.Param(0.0)}, optax.sgd(0.1), steps=4, progress=False)
    assert result.status == "failed" and float(result.values["x"]) == 0.0


def test_a_trainable_speed_with_round_delays_is_an_error_naming_the_way_out():
    w, lengths = np.array([[0.0, 1.0], [1.0, 0.0]]), np.full((2, 2), 20.0)
    with pytest.raises(ValueError, match=r"speed is a trainable Param.*delays='linear'"):
        bm.Network(bm.Hopf(), w, lengths, bm.Param(2.0, lower=0.1))
    with pytest.raises(ValueError, match=r"lengths is a trainable Param.*gradient is exactly 0"):
        bm.Network(bm.Hopf(), w, bm.Param(lengths, lower=0.0), 2.0)
    with pytest.raises(ValueError, match="no lengths, hence no delays"):
        bm.Network(bm.Hopf(), w, speed=bm.Param(2.0, lower=0.1), delays="linear")
    # swapped in after construction: caught by fit, before the loss is ever traced
    net = bm.Network(bm.Hopf(), w, lengths, 2.0)
    net = eqx.tree_at(lambda n: n.speed, net, bm.Param(2.0, lower=0.1))
    calls = []
    with pytest.raises(ValueError, match=r"delays='round'.*delays='linear'"):
        bm.fit(lambda n: calls.append(1) or jnp.sum(n.speed), net, optax.adam(0.1),
               progress=False)  # fmt: skip
    assert calls == []
    # the way out works: speed and lengths stay trainable Params under "linear"
    fine = bm.Network(bm.Hopf(), w, bm.Param(lengths, lower=0.0), bm.Param(2.0, lower=0.1),
                      delays="linear")  # fmt: skip
    assert set(bm.param_values(fine)) == {"speed", "lengths"}
    frozen = bm.Network(bm.Hopf(), w, lengths, bm.Param(2.0, lower=0.1, trainable=False))
    assert bm.param_values(frozen) == {}


def test_a_checkpoint_path_that_cannot_be_written_fails_before_the_first_step(tmp_path):
    calls = []

    def loss(p):
        calls.append(1)
        return _quadratic(p)

    params = {"v": bm.Param(jnp.zeros(3))}
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        bm.fit(loss, params, optax.adam(0.1), steps=5, progress=False,
               checkpoint=tmp_path / "missing" / "fit.eqx")  # fmt: skip
    with pytest.raises(IsADirectoryError, match="is a directory; give a file path"):
        bm.fit(loss, params, optax.adam(0.1), steps=5, progress=False, checkpoint=tmp_path)
    assert calls == []  # the loss was never traced, let alone run
    assert list(tmp_path.iterdir()) == []  # and no probe file was left behind


def _checkpointed(tmp_path, strategy=None):
    path = tmp_path / "fit.eqx"
    params = {"v": bm.Param(jnp.zeros(3), lower=-5.0, upper=5.0)}
    strategy = strategy or optax.sgd(0.05)
    bm.fit(_quadratic, params, strategy, steps=3, progress=False, checkpoint=path)
    return path, params, strategy


def test_resume_without_the_sidecar_is_an_error_and_leaves_the_checkpoint(tmp_path):
    path, params, strategy = _checkpointed(tmp_path)
    (tmp_path / "fit.eqx.json").unlink()
    saved = path.read_bytes()
    with pytest.raises(ValueError, match=r"its sidecar .*fit\.eqx\.json.* is missing"):
        bm.fit(_quadratic, params, strategy, steps=6, progress=False, checkpoint=path,
               resume=True)  # fmt: skip
    assert path.read_bytes() == saved  # not overwritten by a fresh start


def test_resume_with_a_truncated_or_orphan_sidecar_is_a_clear_error(tmp_path):
    path, params, strategy = _checkpointed(tmp_path)
    sidecar = tmp_path / "fit.eqx.json"
    text = sidecar.read_text()
    sidecar.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="is not valid JSON.*truncated"):
        bm.fit(_quadratic, params, strategy, steps=6, progress=False, checkpoint=path,
               resume=True)  # fmt: skip
    sidecar.write_text(text.replace('"step": 3', '"step": "3"'))
    with pytest.raises(ValueError, match="no valid 'step' entry"):
        bm.fit(_quadratic, params, strategy, steps=6, progress=False, checkpoint=path,
               resume=True)  # fmt: skip
    sidecar.write_text(text)
    path.unlink()
    with pytest.raises(ValueError, match=r"the checkpoint .* itself is missing"):
        bm.fit(_quadratic, params, strategy, steps=6, progress=False, checkpoint=path,
               resume=True)  # fmt: skip


class _Payload:
    """Unpickling this would create a file: proof that a load ran pickled code."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_a_nevergrad_checkpoint_holds_numbers_only_and_is_never_unpickled(tmp_path):
    import pickle

    path, params, strategy = _checkpointed(tmp_path, Nevergrad("CMA", population=4, seed=1))
    with np.load(path, allow_pickle=False) as f:  # plain arrays, no object arrays
        assert f["asked"].shape == (3, 4, 3) and f["told"].shape == (3, 4)
    marker = tmp_path / "ran"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="does not match these params/strategy"):
        bm.fit(_quadratic, params, strategy, steps=6, progress=False, checkpoint=path,
               resume=True)  # fmt: skip
    assert not marker.exists()


def test_a_nevergrad_checkpoint_from_another_seed_is_refused(tmp_path):
    path, params, _ = _checkpointed(tmp_path, Nevergrad("CMA", population=4, seed=1))
    with pytest.raises(ValueError, match="asked other candidates than the saved ones"):
        bm.fit(_quadratic, params, Nevergrad("CMA", population=4, seed=2), steps=6,
               progress=False, checkpoint=path, resume=True)  # fmt: skip


@pytest.mark.parametrize(
    "strategy",
    [optax.adam(0.1), optx.BFGS(rtol=1e-6, atol=1e-6), Nevergrad("CMA", population=4)],
    ids=["optax", "optimistix", "nevergrad"],
)
def test_a_vector_loss_is_an_error_for_a_scalar_strategy(strategy):
    def score(p):  # a (1,) score meant to reach 1: squaring it would drive it to 0
        return jnp.reshape(1.0 - jnp.sum((p["v"] - 1.0) ** 2), (1,))

    params = {"v": bm.Param(jnp.zeros(2), lower=-3.0, upper=3.0)}
    with pytest.raises(ValueError, match=r"shape \(1,\), but this strategy minimises a scalar"):
        bm.fit(score, params, strategy, steps=2, progress=False)


@pytest.mark.parametrize(
    "strategy",
    [optax.adam(0.1), optx.LevenbergMarquardt(rtol=1e-6, atol=1e-6), Nevergrad("CMA")],
    ids=["optax", "least-squares", "nevergrad"],
)
def test_a_loss_returning_none_is_an_error(strategy):
    def forgot_return(p):
        jnp.sum(p["v"] ** 2)

    with pytest.raises(TypeError, match="loss returned None.*forget `return`"):
        bm.fit(forgot_return, {"v": bm.Param(jnp.zeros(2))}, strategy, steps=2, progress=False)
