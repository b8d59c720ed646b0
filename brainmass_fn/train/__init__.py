"""Task training: ``train(model, loss_fn, data, strategy, ...)``, its result and rules."""

from ._filter import trainable_with_arrays
from ._result import EarlyStopping, TrainResult
from ._train import train

__all__ = ["EarlyStopping", "TrainResult", "train", "trainable_with_arrays"]
