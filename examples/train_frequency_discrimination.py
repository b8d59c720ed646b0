"""Train a network of coupled Hopf oscillators to compare the frequencies of two sine bursts.

The network (`OscillatorNetwork`, default initialisation) hears a noisy sine burst at
frequency ``f1``, a blank delay, a second burst at ``f2``, and must report in the
response window whether ``f1 > f2`` (`tasks.frequency_discrimination`: frequencies
0.02-0.1 cycles per step, at least 0.01 apart, random phases). Training uses `train`
with Adam, minibatches, a validation set and early stopping on validation accuracy.
Held-out accuracy is measured on a separate test set (its own key). With these
settings seeds 0-4 reach 99.0-99.9 % and stop after 21-56 epochs.

Run: ``python examples/train_frequency_discrimination.py [--nodes 32] [--epochs 60]``.
"""

from __future__ import annotations

import argparse
import time

import jax
import optax

from brainmass_fn.train import EarlyStopping, OscillatorNetwork, TrainResult, tasks, train

RESPONSE = 10  # response window, steps (the task's response_steps)


def loss_fn(model, inputs, labels):
    """Cross-entropy of the response-window readout; accuracy as a metric."""
    outputs = jax.vmap(model)(inputs)
    loss = tasks.window_cross_entropy(outputs, labels, RESPONSE)
    return loss, {"accuracy": tasks.window_accuracy(outputs, labels, RESPONSE)}


def run(
    nodes: int = 32,
    epochs: int = 60,
    trials: int = 2048,
    batch: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    patience: int = 15,
    delay: int = 10,
    noise: float = 0.05,
    progress: bool = True,
) -> tuple[TrainResult, float, float]:
    """Train and test; returns ``(result, held-out accuracy, training seconds)``."""
    key = jax.random.key(seed)
    k_net, k_train, k_val, k_test, k_shuffle = jax.random.split(key, 5)
    task = dict(delay_steps=delay, noise=noise, response_steps=RESPONSE)
    train_set = tasks.frequency_discrimination(k_train, trials, **task)
    val_set = tasks.frequency_discrimination(k_val, 512, **task)
    test_set = tasks.frequency_discrimination(k_test, 1024, **task)

    net = OscillatorNetwork.init(k_net, nodes, n_inputs=1, n_outputs=2)
    start = time.perf_counter()
    result = train(
        net,
        loss_fn,
        train_set,
        optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr)),
        epochs=epochs,
        batch_size=batch,
        key=k_shuffle,
        val_data=val_set,
        early_stopping=EarlyStopping(patience=patience, monitor="accuracy", mode="max"),
        progress=progress,
    )
    elapsed = time.perf_counter() - start
    _, metrics = loss_fn(result.model, *test_set)
    return result, float(metrics["accuracy"]), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--trials", type=int, default=2048, help="training trials")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patience", type=int, default=15, help="early-stopping patience")
    parser.add_argument("--delay", type=int, default=10, help="delay between bursts, steps")
    parser.add_argument("--noise", type=float, default=0.05, help="input noise std")
    args = parser.parse_args()
    result, accuracy, elapsed = run(**vars(args))
    print(result)
    for epoch, (tl, va) in enumerate(
        zip(result.history["train_loss"], result.history["val_accuracy"], strict=True), 1
    ):
        print(f"epoch {epoch:3d}  train loss {tl:.4f}  val accuracy {va:.3f}")
    print(f"held-out test accuracy: {accuracy:.3f} (chance 0.5)")
    print(f"training wall time: {elapsed:.1f} s (best epoch {result.best_epoch})")


if __name__ == "__main__":
    main()
