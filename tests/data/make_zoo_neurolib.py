"""Make the neurolib 0.6.2 reference traces for the model-zoo cross-checks (zoo_*_neurolib.npz).

Run with a separate venv that has neurolib 0.6.2 (never the project's venv):

    python3 -m venv ../peers/neurolib && ../peers/neurolib/bin/pip install neurolib==0.6.2
    cd tests/data && ../../../peers/neurolib/bin/python make_zoo_neurolib.py

Each case runs a neurolib model (``model.run()``, its numba Euler integrator,
dt = 0.1 ms, 1000 ms, noise off: ``sigma_ou = 0``) for two uncoupled nodes
(``Cmat = 0``) with their own initial states ``y0`` and constant external
inputs ``ext`` (neurolib's ``*_ext`` arrays, one row per input, given with
shape (nodes, 1) so that they are constant in time). neurolib's
output starts at ``t = dt``; the initial state is prepended and every 10th step
kept, so ``ys`` has shape (1001, state, nodes) on the 1 ms grid ``ts``.
``params`` holds the neurolib parameters (JSON) for the record.

Known neurolib 0.6.2 bug: ``models/ww/timeIntegration.py`` reads the inhibitory
time constant as ``tau_inh = params["tau_exc"]``, so its ``WWModel`` integrates
``S_I`` with ``tau_exc`` (100 ms) instead of ``tau_inh`` (10 ms). The test maps
the neurolib trace with ``tau_i = tau_exc`` to reproduce it; the TVB trace
(``zoo_wong_wang_deco_tvb.npz``) checks the model with the intended ``tau_i``.
"""

import json

import numpy as np
from neurolib.models.fhn import FHNModel
from neurolib.models.hopf import HopfModel
from neurolib.models.wc import WCModel
from neurolib.models.ww import WWModel

DT = 0.1
DURATION = 1000.0
KEEP = 10

CASES = {
    "hopf": dict(
        cls=HopfModel,
        params=dict(a=0.25, w=0.2),
        init=("xs_init", "ys_init"),
        outputs=("x", "y"),
        y0=[[0.5, 0.0], [-0.2, 0.3]],
        ext=dict(x_ext=[0.0, 0.05], y_ext=[0.0, -0.02]),
    ),
    "wilson_cowan": dict(
        cls=WCModel,
        params=dict(
            tau_exc=2.5,
            tau_inh=3.75,
            c_excexc=16.0,
            c_excinh=15.0,
            c_inhexc=12.0,
            c_inhinh=3.0,
            a_exc=1.5,
            a_inh=1.5,
            mu_exc=3.0,
            mu_inh=3.0,
        ),
        init=("exc_init", "inh_init"),
        outputs=("exc", "inh"),
        y0=[[0.05, 0.2], [0.05, 0.1]],
        ext=dict(exc_ext=[1.0, 0.0], inh_ext=[0.0, 0.3]),
    ),
    "fitzhugh_nagumo": dict(
        cls=FHNModel,
        params=dict(alpha=3.0, beta=4.0, gamma=-1.5, delta=0.0, epsilon=0.5, tau=20.0),
        init=("xs_init", "ys_init"),
        outputs=("x", "y"),
        y0=[[0.05, -0.5], [0.05, 0.2]],
        ext=dict(x_ext=[1.0, 0.6], y_ext=[0.0, 0.01]),
    ),
    "wong_wang_deco": dict(
        cls=WWModel,
        params=dict(
            a_exc=0.31,
            b_exc=0.125,
            d_exc=160.0,
            tau_exc=100.0,
            gamma_exc=0.641,
            w_exc=1.0,
            exc_current=0.382,
            a_inh=0.615,
            b_inh=0.177,
            d_inh=87.0,
            tau_inh=10.0,
            w_inh=0.7,
            inh_current=0.382,
            J_NMDA=0.15,
            J_I=1.0,
            w_ee=1.4,
        ),
        init=("ses_init", "sis_init"),
        outputs=("se", "si"),
        y0=[[0.05, 0.6], [0.05, 0.3]],
        ext=dict(),
    ),
}


def run(case):
    n = 2
    model = case["cls"](Cmat=np.zeros((n, n)), Dmat=np.zeros((n, n)))
    model.params["duration"] = DURATION
    model.params["dt"] = DT
    model.params["sigma_ou"] = 0.0
    for key, value in case["params"].items():
        model.params[key] = value
    for key, value in zip(case["init"], case["y0"], strict=True):
        model.params[key] = np.array(value, dtype=float)[:, None]
    for key, value in case["ext"].items():
        # shape (nodes, 1): constant in time (a 1-D array would be read as a time series)
        model.params[key] = np.array(value, dtype=float)[:, None]
    model.run()
    out = np.stack([np.asarray(model.outputs[name]) for name in case["outputs"]])  # (s, n, t)
    out = out[:, :, KEEP - 1 :: KEEP]
    ys = np.concatenate([np.array(case["y0"], dtype=float)[None], np.moveaxis(out, -1, 0)])
    return DT * KEEP * np.arange(ys.shape[0]), ys


def main():
    for name, case in CASES.items():
        ts, ys = run(case)
        np.savez_compressed(
            f"zoo_{name}_neurolib.npz",
            ts=ts,
            ys=ys,
            y0=np.array(case["y0"], dtype=float),
            dt=DT,
            ext=np.array(list(case["ext"].values()), dtype=float).reshape(-1, 2),
            ext_names=np.array(list(case["ext"].keys()), dtype=str),
            params=json.dumps(case["params"]),
            peer="neurolib 0.6.2, " + case["cls"].__name__,
        )
        print(
            f"{name:16s} {ys.shape} final {ys[-1].ravel()}  ptp {np.ptp(ys[500:], axis=0).ravel()}"
        )


if __name__ == "__main__":
    main()
