"""Make ``bold_tvb.npz``: TVB 2.10's Balloon model (``tvb.analyzers.fmri_balloon``)
on the same drive as ``make_bold_neurolib.py``, the reference for ``tests/test_bold.py``.

Run inside a venv with tvb-library 2.10 (never the project's venv)::

    python3 -m venv ../peers/tvb && ../peers/tvb/bin/pip install tvb-library==2.10.0
    ../peers/tvb/bin/python tests/data/make_bold_tvb.py

TVB's defaults: revised coefficients (Stephan 2007) with E0 = 0.4, epsilon = 0.5,
V0 = 4 (percent), TE = 0.04 s, nu0 = 40.3 Hz, r0 = 25 Hz; tau_s = 1.54 s (kappa =
1/tau_s), tau_f = 1.44 s (gamma = 1/tau_f), tau_o = 0.98 s, alpha = 0.32; the
non-linear BOLD equation; a HeunDeterministic integrator whose step is the input's
sample period (converted to s). Step ``k`` of TVB uses the drive sample ``k``
(the new time), so state ``k`` equals our state after ``k`` steps driven by samples
``1..k``. Stored: TVB's BOLD every ``keep`` steps from step ``keep``.
"""

import pathlib

import numpy as np
from make_bold_neurolib import DT_MS, DURATION_MS, KEEP, drive
from tvb.analyzers.fmri_balloon import BalloonModel
from tvb.datatypes.time_series import TimeSeriesRegion
from tvb.simulator.integrators import HeunDeterministic


def main():
    n = int(round(DURATION_MS / DT_MS))
    z = drive(n + 1, DT_MS)  # samples 0..n
    data = z[:, None, :, None]  # (time, var, nodes, modes)
    ts = TimeSeriesRegion(
        data=data,
        time=np.arange(n + 1) * DT_MS,
        sample_period=DT_MS,
        sample_period_unit="ms",
    )
    model = BalloonModel(time_series=ts, integrator=HeunDeterministic())
    result = model.evaluate()
    bold = np.asarray(result.data)[:, 0, :, 0]  # (n + 1, nodes); row 0 is rest
    print("integrator dt (s):", model.integrator.dt)
    out = pathlib.Path(__file__).with_name("bold_tvb.npz")
    np.savez_compressed(
        out,
        bold=bold[KEEP::KEEP],
        dt_ms=DT_MS,
        keep=KEEP,
        n_steps=n,
        integrator_dt_s=model.integrator.dt,
        tvb_library_version="2.10.0",
    )
    print(out, bold.shape, float(np.abs(bold).max()))


if __name__ == "__main__":
    main()
