"""Checkpoints of `run_flagship`: which rounds are done, with which values and losses.

A flagship fit runs ``rounds`` calls of `fit`, each on a Network rebuilt at the
values the last one reached. Its checkpoint is therefore two kinds of file:

- ``PATH`` (JSON): the config it belongs to, the rounds finished, the values they
  reached and the loss of each of their steps; written atomically (temporary file,
  then ``os.replace``) when a round starts and at the end;
- ``PATH.round<i>``: the search state of round ``i`` (from 1), written by `fit`
  (plus its ``.json`` sidecar).

A resumed run checks that the config is the same, skips the finished rounds and
resumes the round in progress from its search state, so it makes the same steps as
an uninterrupted run and ends at the same values.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "FlagshipState", "state_path", "round_path", "load_state", "save_state"]

FORMAT = "brainmass_fn.flagship/1"


@dataclasses.dataclass(frozen=True)
class FlagshipState:
    """Progress of a flagship fit.

    Attributes:
        config: the `FlagshipConfig` as JSON-ready fields.
        rounds_done: rounds finished.
        values: parameter values after ``rounds_done`` rounds (the initial ones at 0).
        losses: the loss of every step of the finished rounds (the best candidate of
            each generation for nevergrad); the round in progress keeps its own in
            its `fit` checkpoint.
    """

    config: dict[str, Any]
    rounds_done: int
    values: dict[str, float]
    losses: list[float]


def state_path(checkpoint: str | os.PathLike) -> Path:
    """``PATH`` itself: the run's progress (JSON)."""
    return Path(checkpoint)


def round_path(checkpoint: str | os.PathLike, index: int) -> Path:
    """``PATH.round<index + 1>``: the `fit` checkpoint of round ``index`` (0-based).

    (It always has a suffix: `fit` resumes an optax state from a path without one
    from ``path + ".eqx"``, where it did not save it.)
    """
    return Path(f"{os.fspath(checkpoint)}.round{index + 1}")


def config_fields(config: Any) -> dict[str, Any]:
    """The config as JSON values (tuples become lists), for saving and comparing."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def save_state(checkpoint: str | os.PathLike, state: FlagshipState) -> None:
    """Write ``state`` atomically next to ``checkpoint``."""
    path = state_path(checkpoint)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT, **dataclasses.asdict(state)}))
    os.replace(tmp, path)


def load_state(checkpoint: str | os.PathLike, config: Any) -> FlagshipState | None:
    """The saved progress for ``config``, or None when there is none yet.

    Raises:
        ValueError: the file is not a flagship checkpoint, is damaged, or was written
            for another config (the message names the settings that differ).
    """
    path = state_path(checkpoint)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_bytes())
        if raw.pop("format") != FORMAT:
            raise ValueError
        state = FlagshipState(**raw)
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"{path} is not a readable brainmass_fn fit checkpoint; start afresh without "
            "resuming (or with another checkpoint path)."
        ) from None
    now = config_fields(config)
    differ = sorted(k for k in set(now) | set(state.config) if now.get(k) != state.config.get(k))
    if differ:
        detail = ", ".join(f"{k}: {state.config.get(k)!r} -> {now.get(k)!r}" for k in differ)
        raise ValueError(
            f"checkpoint {os.fspath(checkpoint)} belongs to another config ({detail}); resume "
            "with the config it was written for, or start afresh without resuming."
        )
    return state
