"""Make ``bold_neurolib.npz``: neurolib 0.6.2's Balloon-Windkessel integration of a
known drive, the reference for ``tests/test_bold.py``.

Run inside a venv with neurolib 0.6.2 (never the project's venv)::

    python3 -m venv ../peers/neurolib && ../peers/neurolib/bin/pip install neurolib==0.6.2
    ../peers/neurolib/bin/python tests/data/make_bold_neurolib.py

It calls neurolib's integrator ``neurolib.models.bold.timeIntegration.simulateBOLD``
directly (not ``BOLDModel``, which starts the vasodilatory signal at X = 1 instead of
rest) from rest: X = 0, F = Q = V = 1. neurolib takes the drive as (nodes, time) and
dt in seconds. Stored: the drive's parameters (the drive is rebuilt from them by
``drive()`` below, which the test repeats), and neurolib's BOLD every ``keep`` steps.
"""

import pathlib

import numpy as np

DT_MS = 1.0  # drive sample spacing, ms
DURATION_MS = 20000.0
KEEP = 100  # store every 100th step (100 ms)
LEVEL = np.array([0.2, 0.5, 1.0])
FREQ_HZ = np.array([0.05, 0.1, 0.2])
PULSE = np.array([1.0, 2.0, 0.5])
PULSE_T_S = np.array([2.0, 5.0, 8.0])


def drive(n_steps, dt_ms):
    """z_j(t) = level_j (1 + sin(2 pi f_j t)) + pulse_j exp(-((t - t_j) / 0.5 s)^2)."""
    t = np.arange(n_steps)[:, None] * dt_ms * 1e-3  # s
    return LEVEL * (1 + np.sin(2 * np.pi * FREQ_HZ * t)) + PULSE * np.exp(
        -(((t - PULSE_T_S) / 0.5) ** 2)
    )


def main():
    from neurolib.models.bold.timeIntegration import simulateBOLD

    n = int(round(DURATION_MS / DT_MS))
    z = drive(n, DT_MS)
    nodes = z.shape[1]
    bold, x, f, q, v = simulateBOLD(
        np.ascontiguousarray(z.T),
        DT_MS * 1e-3,
        np.ones(nodes),
        X=np.zeros(nodes),
        F=np.ones(nodes),
        Q=np.ones(nodes),
        V=np.ones(nodes),
    )
    # bold[:, i] is the signal after the step driven by z[i], i.e. at time (i + 1) dt
    out = pathlib.Path(__file__).with_name("bold_neurolib.npz")
    np.savez_compressed(
        out,
        bold=bold.T[KEEP - 1 :: KEEP],
        final_state=np.stack([x, f, v, q]),
        dt_ms=DT_MS,
        keep=KEEP,
        n_steps=n,
        level=LEVEL,
        freq_hz=FREQ_HZ,
        pulse=PULSE,
        pulse_t_s=PULSE_T_S,
        neurolib_version="0.6.2",
    )
    print(out, bold.shape, float(np.abs(bold).max()))


if __name__ == "__main__":
    main()
