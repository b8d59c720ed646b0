"""The one optimisation loop behind `fit` and `train`.

`iterate` steps an `AbstractTask` until it has made ``steps`` steps or says it is
done, and owns what every run needs around the algorithm:

- a progress bar (current loss, best so far), ``task.ticks`` ticks per step;
- the best-so-far record: a step's score replaces the best only if
  ``task.improved(score, best)``; by default lower and finite, so a NaN or inf score
  is read as ``+inf`` and never becomes the best;
- checkpoints (`Checkpoint`): every ``every`` steps, at the end and on Ctrl-C;
  `resume_from` reads one back;
- Ctrl-C: a ``KeyboardInterrupt`` ends the run with status ``"interrupted"`` and
  keeps the state and best of the last completed step;
- wall time, summed over resumed runs.

A step is committed whole (state, step count and best in one assignment), so an
interrupt inside a step leaves the last completed one. `settle` turns a run that
found nothing into status ``"failed"`` with a warning.
"""

from __future__ import annotations

import abc
import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
from jaxtyping import PyTree
from tqdm.auto import tqdm

from ._checkpoint import Checkpoint, decode

__all__ = [
    "AbstractTask",
    "Best",
    "Outcome",
    "Report",
    "Start",
    "iterate",
    "partition",
    "resume_from",
    "settle",
]


def partition(tree: PyTree, filter_spec: Any, empty: str) -> tuple[PyTree, PyTree]:
    """``eqx.partition(tree, filter_spec)``: ``(diff, static)``, the part a run
    optimises and the rest; ``ValueError(empty)`` if ``diff`` holds no array."""
    diff, static = eqx.partition(tree, filter_spec)
    if not any(eqx.is_array(x) for x in jax.tree_util.tree_leaves(diff)):
        raise ValueError(empty)
    return diff, static


class Best(NamedTuple):
    """The best score so far, the step that reached it (0: none) and what it kept."""

    score: float = math.inf
    step: int = 0
    payload: Any = None


class Report(NamedTuple):
    """What one step tells the loop.

    Attributes:
        loss: the step's loss, shown on the bar (and given to `fit`'s callback).
        score: offered to the best-so-far record.
        payload: kept with the score if it becomes the best (e.g. trainable arrays).
        status: set if the step ended the run (e.g. ``"converged"``).
    """

    loss: float
    score: float
    payload: Any = None
    status: str | None = None


def lower(score: float, best: float) -> bool:
    """``score`` is finite and below ``best`` (a non-finite score counts as ``+inf``)."""
    return math.isfinite(score) and score < best


class AbstractTask(abc.ABC):
    """One kind of run (a `fit` strategy, a `train` epoch) behind `iterate`."""

    #: label of the progress bar
    name: str
    #: progress-bar ticks per step (e.g. minibatches per epoch)
    ticks: int = 1

    @abc.abstractmethod
    def step(self, state: Any, step: int, tick: Callable[..., None]) -> tuple[Any, Report]:
        """Step number ``step`` (from 0): the new state and its `Report`. ``tick(**shown)``
        advances the bar by one tick inside a long step."""

    @abc.abstractmethod
    def write(self, state: Any, best: Best, path: str) -> None:
        """Write the arrays of ``state`` and ``best.payload`` to ``path``."""

    @abc.abstractmethod
    def read(self, path: str, meta: dict[str, Any]) -> tuple[Any, Any]:
        """``(state, best payload)`` from a state file and its sidecar ``meta``."""

    @abc.abstractmethod
    def record(self, state: Any) -> dict[str, Any]:
        """The JSON part of ``state`` (histories), stored in the sidecar."""

    def improved(self, score: float, best: float) -> bool:
        """Whether ``score`` replaces ``best``; default `lower`."""
        return lower(score, best)

    def stop(self, step: int, report: Report | None, best: Best) -> str | None:
        """A status if the run ends after ``step`` steps (``report`` None: before the
        first step of a resumed run); default the step's own status."""
        return None if report is None else report.status


@dataclasses.dataclass(frozen=True)
class Start:
    """Where a run starts: its state, steps done, best so far and seconds spent."""

    state: Any
    step: int = 0
    best: Best = Best()
    wall_time: float = 0.0


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a run ended. ``wall_time`` counts resumed runs' seconds, ``elapsed`` only this
    call's (from ``started``, a ``time.perf_counter()`` reading); both read the clock."""

    state: Any
    step: int
    best: Best
    status: str
    earlier: float
    started: float

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def wall_time(self) -> float:
        return self.earlier + self.elapsed


def resume_from(task: AbstractTask, checkpoint: Checkpoint) -> Start | None:
    """The `Start` saved in ``checkpoint``; None if it holds none (see `Checkpoint.load`)."""
    loaded = checkpoint.load(task.read)
    if loaded is None:
        return None
    (state, payload), meta = loaded
    best = Best(decode([meta["best"]["score"]])[0], int(meta["best"]["step"]), payload)
    return Start(state, int(meta["step"]), best, float(meta["wall_time"]))


def iterate(
    task: AbstractTask,
    start: Start,
    *,
    steps: int,
    checkpoint: Checkpoint | None = None,
    every: int = 1,
    progress: bool = True,
    started: float | None = None,
) -> Outcome:
    """Step ``task`` from ``start`` until ``steps`` steps are done or it stops.

    Returns an `Outcome` with status ``"completed"``, the status a step or
    ``task.stop`` gave, or ``"interrupted"`` (Ctrl-C).
    """
    started = time.perf_counter() if started is None else started
    state, k, best = start.state, start.step, start.best
    bar = tqdm(
        total=steps * task.ticks, initial=min(k, steps) * task.ticks, desc=task.name,
        leave=False, disable=None if progress else True,
    )  # fmt: skip

    def tick(**shown: Any) -> None:
        bar.set_postfix(shown)
        bar.update()

    def save() -> None:
        if checkpoint is not None:
            checkpoint.save(
                lambda path: task.write(state, best, path),
                step=k,
                wall_time=start.wall_time + time.perf_counter() - started,
                best=(best.score, best.step),
                record=task.record(state),
            )

    status = task.stop(k, None, best)
    try:
        while status is None and k < steps:
            new, report = task.step(state, k, tick)
            kept = Best(report.score, k + 1, report.payload)
            better = task.improved(report.score, best.score)
            state, k, best = new, k + 1, kept if better else best
            bar.update(min(k, steps) * task.ticks - bar.n)
            bar.set_postfix(loss=f"{report.loss:.4g}", best=f"{best.score:.4g}")
            if k % every == 0:
                save()
            status = task.stop(k, report, best)
        status = status or "completed"
        save()
    except KeyboardInterrupt:
        status = "interrupted"
        save()
    finally:
        bar.close()
    return Outcome(state, k, best, status, start.wall_time, started)


def settle(status: str, failure: str) -> str:
    """``"failed"`` (with ``failure`` as a ``RuntimeWarning``) if the run found nothing
    and was not interrupted; else ``status``."""
    if not failure or status == "interrupted":
        return status
    warnings.warn(failure, RuntimeWarning, stacklevel=3)
    return "failed"
