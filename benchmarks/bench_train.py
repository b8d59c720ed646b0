"""Delayed match-to-sample training, ours against brainmass 0.1.1, on the same trials.

    .venv/bin/python benchmarks/bench_train.py --seeds 0 1 2

For each seed: the trials of `examples/train_delayed_match.py` (4 stimuli, noise 0.3,
2048 training, 512 validation, 1024 test trials, from that seed's keys) are written to
an ``.npz``; our example's ``run(seed=...)`` trains on them in a fresh subprocess; and
brainmass's ``HORNSeqNetwork`` trains on the same file with the same batch size,
learning rate, gradient clipping, epochs and early stopping
(``benchmarks/peers/brainmass_train_dms.py``, in brainmass's own interpreter: the
``--peer-python`` argument, ``$BRAINMASS_PYTHON``, or ``../peers/brainmass/bin/python``
beside the checkout). Prints a table: held-out accuracy, epochs run, training seconds
(compilation included) and seconds per epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "peers" / "brainmass_train_dms.py"
DEFAULT_PEER = HERE.parent.parent / "peers" / "brainmass" / "bin" / "python"


def _write_trials(seed: int, path: pathlib.Path) -> None:
    import jax
    import numpy as np

    from brainmass_fn.train import tasks

    _, k_train, k_val, k_test, _ = jax.random.split(jax.random.key(seed), 5)
    task = dict(n_stimuli=4, noise=0.3, response_steps=10)
    out = {}
    for name, key, n in (("train", k_train, 2048), ("val", k_val, 512), ("test", k_test, 1024)):
        u, y = tasks.delayed_match_to_sample(key, n, **task)
        out[f"{name}_u"], out[f"{name}_y"] = np.asarray(u), np.asarray(y)
    np.savez(path, **out)


def _ours(seed: int) -> dict:
    """Our example's run() for one seed (called in a subprocess)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "example", HERE.parent / "examples" / "train_delayed_match.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result, accuracy, elapsed = example.run(seed=seed, progress=False)
    return {
        "test_accuracy": accuracy,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "train_s": elapsed,
    }


def _subprocess(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peer_python(arg: str | None) -> str | None:
    for c in (arg, os.environ.get("BRAINMASS_PYTHON"), str(DEFAULT_PEER)):
        if c and pathlib.Path(c).exists():
            return c
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--ours-seed", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_seed is not None:  # the subprocess that runs our example
        print(json.dumps(_ours(args.ours_seed)))
        return
    peer = _peer_python(args.peer_python)
    me = str(pathlib.Path(__file__).resolve())
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    head = ("seed", "package", "accuracy", "epochs", "train s", "s/epoch")
    print("{:>4} {:<16} {:>8} {:>6} {:>8} {:>8}".format(*head))
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            data = pathlib.Path(tmp) / f"dms-{seed}.npz"
            _write_trials(seed, data)
            rows = {"brainmass_fn": _subprocess([sys.executable, me, "--ours-seed", str(seed)])}
            if peer is not None:
                cmd = [peer, str(PEER_SCRIPT), "--data", str(data), "--seed", str(seed)]
                rows["brainmass 0.1.1"] = _subprocess(cmd)
            for name, r in rows.items():
                if "error" in r:
                    print(f"{seed:>4} {name:<16} {r['error']}")
                    continue
                per = r["train_s"] / r["epochs_run"]
                print(
                    f"{seed:>4} {name:<16} {r['test_accuracy']:>8.3f} {r['epochs_run']:>6d} "
                    f"{r['train_s']:>8.1f} {per:>8.2f}"
                )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
