"""``train(model, loss_fn, data, strategy, ...)``: minibatch training of any equinox model."""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import PRNGKeyArray, PyTree

from .. import _optimise as opt
from .._paths import check_output_dir
from ..network import check_fittable_delays
from ..params import is_param, resolve, trainable
from ._data import as_dataset, epoch_batches, n_samples, take
from ._filter import free_arrays
from ._result import EarlyStopping, TrainResult
from ._step import evaluate, split_output, train_step

__all__ = ["train"]


def _as_key(key: Any) -> PRNGKeyArray:
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    if isinstance(key, (jax.Array, np.ndarray)) and key.shape == (2,) and key.dtype == np.uint32:
        return jax.random.wrap_key_data(jnp.asarray(key))
    raise TypeError(
        f"key must be a jax.random key, e.g. jax.random.key(0); got {type(key).__name__}."
    )


def _positive_int(value: Any, name: str) -> int:
    if not (isinstance(value, (int, np.integer)) and value >= 1):
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def _stopping_rule(early_stopping: int | EarlyStopping | None) -> tuple[EarlyStopping, bool]:
    if early_stopping is None:
        return EarlyStopping(patience=1), False
    if isinstance(early_stopping, EarlyStopping):
        return early_stopping, True
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        return EarlyStopping(patience=int(early_stopping)), True
    raise TypeError(
        "early_stopping must be None, a patience in epochs (int) or an EarlyStopping(...); "
        f"got {type(early_stopping).__name__}."
    )


def _evaluate_all(
    loss_fn: Callable, diff: PyTree, static: PyTree, data: tuple, batch_size: int
) -> dict[str, float]:
    """Sample-weighted means of loss and metrics over ``data`` in chunks of ``batch_size``."""
    n = n_samples(data)
    sums: dict[str, float] = {}
    for start in range(0, n, batch_size):
        index = jnp.arange(start, min(start + batch_size, n))
        loss, metrics = evaluate(loss_fn, diff, static, data, index)
        for k, v in {"loss": loss, **metrics}.items():
            sums[k] = sums.get(k, 0.0) + float(v) * index.shape[0]
    return {k: v / n for k, v in sums.items()}


class _State(NamedTuple):
    """A run after some epochs: trainable arrays, optimiser state, per-epoch history."""

    diff: PyTree
    opt_state: Any
    history: dict[str, list[float]]


@dataclasses.dataclass
class _Epochs(opt.AbstractTask):
    """Training for the shared loop: one step is one epoch of minibatch steps, scored
    by the monitored quantity under the `EarlyStopping` rule."""

    loss_fn: Callable
    strategy: optax.GradientTransformation
    static: PyTree
    data: tuple
    val_data: tuple | None
    val_batch_size: int
    key: PRNGKeyArray
    batch_size: int
    names: list[str]  # the loss and the metrics
    monitor: str  # the history entry that scores an epoch
    rule: EarlyStopping
    stopping: bool  # whether the rule also stops the run
    like: tuple  # (diff, opt_state, best diff): the structure of a state file
    name = "train"

    def __post_init__(self):
        self.n = n_samples(self.data)
        self.ticks = self.n // self.batch_size

    def step(self, state: _State, step: int, tick: Callable) -> tuple[_State, opt.Report]:
        t0 = time.perf_counter()
        diff, opt_state = state.diff, state.opt_state
        sums = dict.fromkeys(self.names, 0.0)
        skipped = 0
        for index in epoch_batches(self.key, step, self.n, self.batch_size):
            diff, opt_state, loss, metrics, ok = train_step(
                self.loss_fn, self.strategy, diff, self.static, opt_state, self.data, index
            )
            if bool(ok):  # a rejected step's loss is not part of the epoch mean
                for k, v in {"loss": loss, **metrics}.items():
                    sums[k] += float(v)
            else:
                skipped += 1
            tick(loss=f"{float(loss):.4g}")
        accepted = self.ticks - skipped
        row = {f"train_{k}": sums[k] / accepted if accepted else np.nan for k in self.names}
        if self.val_data is not None:
            scores = _evaluate_all(
                self.loss_fn, diff, self.static, self.val_data, self.val_batch_size
            )
            row.update({f"val_{k}": scores[k] for k in self.names})
        row.update(skipped_steps=float(skipped), epoch_time=time.perf_counter() - t0)
        history = {k: [*v, row[k]] for k, v in state.history.items()}
        value = row[self.monitor]
        return _State(diff, opt_state, history), opt.Report(value, value, diff)

    def improved(self, score: float, best: float) -> bool:
        return self.rule.improved(score, best)

    def stop(self, step: int, report: opt.Report | None, best: opt.Best) -> str | None:
        if self.stopping and step - best.step >= self.rule.patience:
            return "early_stopped"
        return None

    def write(self, state: _State, best: opt.Best, path: str) -> None:
        with open(path, "wb") as f:  # a handle: given a bare name, equinox adds ".eqx"
            eqx.tree_serialise_leaves(f, (state.diff, state.opt_state, best.payload))

    def read(self, path: str, meta: dict[str, Any]) -> tuple[_State, PyTree]:
        with open(path, "rb") as f:
            diff, opt_state, best = eqx.tree_deserialise_leaves(f, self.like)
        history = {k: opt.decode(v) for k, v in meta["record"]["history"].items()}
        return _State(diff, opt_state, history), best

    def record(self, state: _State) -> dict[str, Any]:
        return {"history": {k: opt.encode(v) for k, v in state.history.items()}}


def _failure(history: dict[str, list[float]], monitor: str, n_batches: int) -> str:
    """Why a run learnt nothing (no accepted step, or a monitor never finite); '' if
    it did or if no epoch ran."""
    skipped = history["skipped_steps"]
    if not skipped:
        return ""
    if all(s == n_batches for s in skipped):
        return (
            f"train failed: every one of the {int(sum(skipped))} steps was rejected for a "
            "NaN or inf loss or gradient, from the first step of epoch 1 (step 0, the "
            "initial model), so the model was not trained (status 'failed'). Evaluate "
            "loss_fn(model, *batch) and its gradient at the start: NaN inputs, a "
            "simulation that diverges, or log/sqrt/division at 0 give NaN."
        )
    if not any(np.isfinite(v) for v in history[monitor]):
        return (
            f"train failed: the monitored {monitor!r} was NaN or inf after every epoch, "
            "from epoch 1 on, so no model could be picked as the best and the initial "
            "model is returned (status 'failed'). Check the validation data and the "
            "metric for NaN."
        )
    return ""


def train(
    model: PyTree,
    loss_fn: Callable[..., Any],
    data: tuple,
    strategy: optax.GradientTransformation,
    *,
    epochs: int,
    batch_size: int,
    key: PRNGKeyArray,
    val_data: tuple | None = None,
    val_batch_size: int | None = None,
    early_stopping: int | EarlyStopping | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 1,
    filter_spec: PyTree[bool] | Callable[[Any], bool] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on minibatches of ``data`` with an optax ``strategy``.

    Each epoch shuffles the training samples with ``jax.random.fold_in(key, epoch)``
    and takes ``len(data) // batch_size`` optimiser steps on full batches (a
    different remainder is left out each epoch), so the step has one shape and is
    compiled once. After each epoch the model is scored on ``val_data`` (if given);
    the best model by the monitored quantity is kept.

    Args:
        model: any pytree, typically an equinox Module holding brainmass_fn
            components (e.g. an `OscillatorNetwork`, or a larger Module containing one).
        loss_fn: ``loss_fn(model, *batch) -> loss`` or ``-> (loss, metrics)``, where
            ``model`` is *resolved* (every `Param` replaced by its value), ``batch``
            is ``data`` restricted to the batch's samples, ``loss`` is a scalar mean
            over the batch and ``metrics`` a dict of scalar means (e.g.
            ``{"accuracy": acc}``). It must be a pure, jit-able function.
        data: training set, a tuple of arrays sharing the first (sample) axis, e.g.
            ``(inputs, targets)``.
        strategy: an optax ``GradientTransformation``, e.g. ``optax.adam(1e-2)``.
        epochs: total number of epochs (a resumed run continues up to this number).
        batch_size: samples per optimiser step (<= number of training samples).
        key: `jax.random` key for the shuffling.
        val_data: optional validation set, same form as ``data``.
        val_batch_size: chunk size for evaluating ``val_data`` (default ``batch_size``).
        early_stopping: patience in epochs, or an `EarlyStopping` naming the monitored
            metric and its direction; None trains all ``epochs``. The monitored
            quantity (default: the loss, on ``val_data`` if given, else the training
            epoch mean) also picks the returned best model.
        checkpoint: a directory; the run state is written there every
            ``checkpoint_every`` epochs and at the end, and a run started with a
            directory that holds a checkpoint resumes from it (same key, batch size
            and data size required). The directory is created and checked writable
            before the first step. A state file without its ``meta.json``, or a
            damaged ``meta.json``, is an error, not a fresh start over it.
        filter_spec: which leaves to train (an ``eqx.partition`` filter spec or a
            callable on leaves). Default: `brainmass_fn.trainable` (the raw values of
            trainable `Param` leaves; or every float array if the model has no
            `Param`). For a model mixing `Param` and plain equinox layers use
            `trainable_with_arrays`.
        progress: show a progress bar (when on a terminal).

    Returns:
        A `TrainResult`: best and final model (structure of ``model``, `Param`
        leaves kept), per-epoch history, best epoch, status. A step whose loss or
        gradient is not finite is skipped (counted in ``history["skipped_steps"]``)
        and the best model so far is kept; a run in which every step was skipped, or
        whose monitored value was never finite, ends with status ``"failed"`` and a
        ``RuntimeWarning`` saying so. Ctrl-C (KeyboardInterrupt) stops and returns
        the best model so far.
    """
    start_time = time.perf_counter()
    if not isinstance(strategy, optax.GradientTransformation):
        raise TypeError(
            "strategy must be an optax GradientTransformation (e.g. optax.adam(1e-2)), "
            f"got {type(strategy).__name__}."
        )
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}.")
    epochs = _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size")
    checkpoint_every = _positive_int(checkpoint_every, "checkpoint_every")
    key = _as_key(key)
    data = as_dataset(data, "data")
    n = n_samples(data)
    if batch_size > n:
        raise ValueError(
            f"batch_size ({batch_size}) is larger than the training set ({n} samples); "
            "lower batch_size or pass more data."
        )
    if val_data is not None:
        val_data = as_dataset(val_data, "val_data")
    val_batch_size = _positive_int(val_batch_size or batch_size, "val_batch_size")
    rule, stopping = _stopping_rule(early_stopping)
    if checkpoint is not None:  # before any step: a bad path must not lose the run
        check_output_dir(checkpoint, "checkpoint")
    check_fittable_delays(model)

    if filter_spec is None:
        filter_spec = trainable(model)
        has_params = any(is_param(x) for x in jax.tree_util.tree_leaves(model, is_leaf=is_param))
        loose = free_arrays(model) if has_params else []
        if loose:
            warnings.warn(
                f"model holds Param leaves, so only those are trained; the float arrays "
                f"{loose[:4]}{' ...' if len(loose) > 4 else ''} outside Param stay frozen. "
                "Pass filter_spec=trainable_with_arrays(model) to train them too, or "
                "filter_spec=trainable(model) to silence this warning.",
                stacklevel=2,
            )
    diff, static = opt.partition(
        model, filter_spec, "model has nothing to train: wrap trainable values in "
        "Param(...), use float arrays, or pass a filter_spec that selects some leaves.",
    )  # fmt: skip

    # trace the loss once on a batch shape: checks its signature and finds the metric names
    probe = take(data, jnp.arange(batch_size))
    try:
        shapes = eqx.filter_eval_shape(
            lambda d, b: split_output(loss_fn(resolve(eqx.combine(d, static)), *b)), diff, probe
        )
    except TypeError as err:
        raise TypeError(
            f"loss_fn(model, *batch) failed on a batch of {len(data)} arrays: {err}"
        ) from err
    metric_names = list(shapes[1])
    if rule.monitor != "loss" and rule.monitor not in metric_names:
        raise ValueError(
            f"early_stopping monitors {rule.monitor!r}, but loss_fn returns only the loss "
            f"and metrics {metric_names}."
        )
    prefix = "val" if val_data is not None else "train"
    monitor = f"{prefix}_{rule.monitor}"

    opt_state = strategy.init(diff)
    names = ["loss", *metric_names]
    history: dict[str, list[float]] = {f"train_{k}": [] for k in names}
    if val_data is not None:
        history.update({f"val_{k}": [] for k in names})
    history.update({"skipped_steps": [], "epoch_time": []})
    task = _Epochs(loss_fn, strategy, static, data, val_data, val_batch_size, key, batch_size,
                   names, monitor, rule, stopping, like=(diff, opt_state, diff))  # fmt: skip
    saved = None
    begin = opt.Start(_State(diff, opt_state, history), best=opt.Best(rule.worst, 0, diff))
    if checkpoint is not None:
        key_data = np.asarray(jax.random.key_data(key)).tolist()
        run_id = {"task": "train", "key": key_data, "batch_size": batch_size, "n_samples": n,
                  "monitor": monitor}  # fmt: skip
        saved = opt.Checkpoint.directory(
            checkpoint, run_id, "this model/strategy", "pass a new checkpoint directory"
        )
        begin = opt.resume_from(task, saved) or begin
    out = opt.iterate(task, begin, steps=epochs, checkpoint=saved, every=checkpoint_every,
                      progress=progress, started=start_time)  # fmt: skip
    state, best = out.state, out.best
    failure = _failure(state.history, monitor, task.ticks)
    return TrainResult(
        model=eqx.combine(best.payload, static),
        final_model=eqx.combine(state.diff, static),
        history={k: np.asarray(v) for k, v in state.history.items()},
        best_epoch=best.step,
        best_score=float(best.score),
        epochs_run=out.step,
        wall_time=out.elapsed,
        status=opt.settle(out.status, failure),
        monitor=monitor,
    )
