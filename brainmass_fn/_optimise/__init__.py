"""The optimisation machinery `fit` and `train` share (private): the loop, its
checkpoint format and the guarded optimiser update."""

from ._checkpoint import FORMAT, Checkpoint, decode, encode
from ._guard import all_finite, guarded_update, select
from ._loop import (
    AbstractTask,
    Best,
    Outcome,
    Report,
    Start,
    iterate,
    lower,
    partition,
    resume_from,
    settle,
)

__all__ = [
    "FORMAT",
    "AbstractTask",
    "Best",
    "Checkpoint",
    "Outcome",
    "Report",
    "Start",
    "all_finite",
    "decode",
    "encode",
    "guarded_update",
    "iterate",
    "lower",
    "partition",
    "resume_from",
    "select",
    "settle",
]
