"""Task training: ``train(model, loss_fn, data, strategy, ...)``, its result and rules,
the task datasets (`brainmass_fn.train.tasks`) and the trainable oscillator network."""

from . import tasks
from ._filter import trainable_with_arrays
from ._result import EarlyStopping, TrainResult
from ._train import train
from .oscillator_network import OscillatorNetwork

__all__ = [
    "EarlyStopping",
    "OscillatorNetwork",
    "TrainResult",
    "tasks",
    "train",
    "trainable_with_arrays",
]
