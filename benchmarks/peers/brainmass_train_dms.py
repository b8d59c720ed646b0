"""brainmass 0.1.1's HORN network trained on our delayed match-to-sample trials, timed
(a peer for bench_train.py).

Runs in brainmass's own interpreter, never the project's (see benchmarks/README.md):

    ../peers/brainmass/bin/python benchmarks/peers/brainmass_train_dms.py --data dms.npz

``--data`` is an ``.npz`` with ``train_u, train_y, val_u, val_y, test_u, test_y``
(inputs ``(trials, time, channels)``, integer labels), as `bench_train.py` writes it
from `brainmass_fn.train.tasks.delayed_match_to_sample`, so both packages see the same trials.

The model and loop are brainmass's own: ``HORNSeqNetwork(n_input, 32, 2)`` with its
defaults (damped harmonic oscillators, ``alpha = 0.04``, ``omega = 2 pi / 28``,
``gamma = 0.01`` per 1-ms step, Kaiming-normal weights), whose output is the readout of
the last time step; ``brainstate.transform.grad`` of the mean softmax cross-entropy
over a minibatch, ``braintools.optim.Adam`` with the same learning rate and global
gradient clipping as ours, the same batch size, epochs and early stopping on
validation accuracy (the best model by validation accuracy is tested). Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nodes", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--patience", type=int, default=15)
    args = parser.parse_args()

    t_import = time.perf_counter()
    import brainmass
    import brainstate
    import braintools
    import brainunit as u
    import jax
    import jax.numpy as jnp

    t_import = time.perf_counter() - t_import
    data = np.load(args.data)
    # brainmass's sequences are time-major: (time, batch, channels)
    tr_u, tr_y = np.swapaxes(data["train_u"], 0, 1), data["train_y"]
    sets = {k: (np.swapaxes(data[f"{k}_u"], 0, 1), data[f"{k}_y"]) for k in ("val", "test")}

    brainstate.environ.set(dt=1.0 * u.ms)
    brainstate.random.seed(args.seed)
    # HORNStep's states take their shape from x_init/y_init alone (init_all_states'
    # batch_size does not reach them), so the batch axis goes into the initialiser and
    # every call, training or evaluation, runs on batches of that size
    zeros = lambda size: jnp.zeros((args.batch, *np.atleast_1d(size)))  # noqa: E731
    net = brainmass.HORNSeqNetwork(tr_u.shape[-1], args.nodes, 2, x_init=zeros, y_init=zeros)
    weights = net.states(brainstate.ParamState)
    opt = braintools.optim.Adam(lr=args.lr, grad_clip_norm=1.0)
    opt.register_trainable_weights(weights)

    def logits_of(inputs):
        brainstate.nn.init_all_states(net)
        return net(inputs)

    def loss_fn(inputs, labels):
        logits = logits_of(inputs)
        loss = braintools.metric.softmax_cross_entropy_with_integer_labels(logits, labels)
        return loss.mean()

    @brainstate.transform.jit
    def step(inputs, labels):
        grads, loss = brainstate.transform.grad(loss_fn, weights, return_value=True)(
            inputs, labels
        )
        opt.update(grads)
        return loss

    @brainstate.transform.jit
    def correct(inputs, labels):
        return jnp.sum(jnp.argmax(logits_of(inputs), axis=-1) == labels)

    def accuracy(inputs, labels):
        b = args.batch
        hits = sum(
            float(correct(inputs[:, i : i + b], labels[i : i + b]))
            for i in range(0, labels.shape[0] - b + 1, b)
        )
        return hits / (labels.shape[0] // b * b)

    n = tr_u.shape[1]
    rng = np.random.default_rng(args.seed)
    best, best_epoch, best_weights, bad = -1.0, 0, None, 0
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        losses = [
            float(step(tr_u[:, idx], tr_y[idx]))
            for idx in order[: n // args.batch * args.batch].reshape(-1, args.batch)
        ]
        val = accuracy(*sets["val"])
        history.append((float(np.mean(losses)), val))
        if val > best:
            best, best_epoch, bad = val, epoch, 0
            best_weights = jax.tree_util.tree_map(lambda s: s.value, weights)
        else:
            bad += 1
            if bad >= args.patience:
                break
    elapsed = time.perf_counter() - start
    for key, state in weights.items():
        state.value = best_weights[key]
    test = accuracy(*sets["test"])
    print(
        json.dumps(
            {
                "package": "brainmass 0.1.1",
                "seed": args.seed,
                "test_accuracy": test,
                "best_val_accuracy": best,
                "best_epoch": best_epoch,
                "epochs_run": len(history),
                "train_s": elapsed,
                "import_s": t_import,
                "train_loss": [round(h[0], 4) for h in history],
                "val_accuracy": [round(h[1], 4) for h in history],
            }
        )
    )


if __name__ == "__main__":
    main()
