"""Make the TVB 2.10 reference traces for the model-zoo cross-checks (zoo_*_tvb.npz).

Run with a separate venv that has tvb-library 2.10 (never the project's venv):

    python3 -m venv ../peers/tvb && ../peers/tvb/bin/pip install tvb-library==2.10  # repo root
    cd tests/data && ../../../peers/tvb/bin/python make_zoo_tvb.py

For each case, a TVB model is built with the parameters below (TVB names and
units: ms, rates in 1/ms) and

- ``ts``, ``ys``: a deterministic trajectory of uncoupled nodes (one column per
  node, each node its own initial state ``y0``), stepped by TVB's own
  ``HeunDeterministic(dt=0.1)`` through ``integrate_with_update`` (so TVB's
  state bounds apply) for 1000 ms with the constant coupling term
  ``coupling``; ``ys`` keeps every 10th step (1 ms), shape (time, state, nodes);
- ``vf_state``, ``vf_coupling``, ``vf_dfun``: TVB's ``dfun`` evaluated at 64
  random states (uniform in ``vf_low``..``vf_high``) and random coupling terms.

The parameters are stored as JSON in ``params`` for the record; the tests map
them to brainmass_fn's names themselves (that mapping is part of what is checked).
"""

import json

import numpy as np
from tvb.simulator import integrators, models

DT = 0.1
STEPS = 10_000
KEEP = 10
N_VF = 64

CASES = {
    "hopf": dict(
        cls=models.SupHopf,
        params=dict(a=0.25, omega=0.2),
        y0=[[0.5, -0.2], [0.0, 0.3]],
        coupling=[[0.0, 0.05], [0.0, -0.02]],
        vf_range=[(-1.5, 1.5), (-1.5, 1.5)],
    ),
    "montbrio": dict(
        cls=models.MontbrioPazoRoxin,
        params=dict(tau=1.0, Delta=1.0, eta=-5.0, J=15.0, I=0.0, cr=1.0, cv=0.0),
        y0=[[0.1, 2.0], [-2.0, -0.5]],
        coupling=[[0.0, 0.0], [0.0, 0.0]],
        vf_range=[(0.0, 2.0), (-2.0, 1.5)],
    ),
    "coombes_byrne": dict(
        cls=models.CoombesByrne,
        params=dict(Delta=0.5, alpha=0.95, v_syn=-10.0, k=1.0, eta=20.0),
        y0=[[0.5, 1.0], [-1.0, 0.5], [1.5, 1.0], [0.0, 0.2]],
        coupling=[[0.0, 0.3], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
        vf_range=[(0.0, 6.0), (-10.0, 10.0), (1.0, 2.0), (-0.5, 0.7)],
    ),
    "jansen_rit": dict(
        cls=models.JansenRit,
        params=dict(
            A=3.25,
            B=22.0,
            a=0.1,
            b=0.05,
            v0=5.52,
            nu_max=0.0025,
            r=0.56,
            J=135.0,
            a_1=1.0,
            a_2=0.8,
            a_3=0.25,
            a_4=0.25,
            mu=0.22,
        ),
        y0=[[0.0, 0.02], [15.0, 10.0], [10.0, 12.0], [0.0, 0.0], [0.0, 0.1], [0.0, 0.0]],
        coupling=[[0.0, 0.002], [0.0, 0.0]],
        vf_range=[(-1, 1), (-20, 40), (-10, 50), (-6, 6), (-20, 20), (-50, 50)],
    ),
    "reduced_wong_wang": dict(
        cls=models.ReducedWongWang,
        params=dict(
            a=0.270, b=0.108, d=154.0, gamma=0.641, tau_s=100.0, w=0.6, J_N=0.2609, I_o=0.33
        ),
        y0=[[0.05, 0.8]],
        coupling=[[0.0, 0.1]],
        vf_range=[(0.0, 1.0)],
    ),
    "wong_wang_deco": dict(
        cls=models.ReducedWongWangExcInh,
        params=dict(
            a_e=310.0,
            b_e=125.0,
            d_e=0.160,
            gamma_e=0.641 / 1000,
            tau_e=100.0,
            w_p=1.4,
            J_N=0.15,
            W_e=1.0,
            a_i=615.0,
            b_i=177.0,
            d_i=0.087,
            gamma_i=1.0 / 1000,
            tau_i=10.0,
            J_i=1.0,
            W_i=0.7,
            I_o=0.382,
            I_ext=0.0,
            G=2.0,
            lamda=0.5,
        ),
        y0=[[0.05, 0.6], [0.05, 0.3]],
        coupling=[[0.0, 0.2]],
        vf_range=[(0.0, 1.0), (0.0, 1.0)],
    ),
    "kuramoto": dict(
        cls=models.Kuramoto,
        params=dict(omega=0.3),
        y0=[[0.0, 2.0]],
        coupling=[[0.0, 0.05]],
        vf_range=[(0.0, 2 * np.pi)],
    ),
    "larter_breakspear": dict(
        cls=models.LarterBreakspear,
        params=dict(
            gCa=1.1,
            gK=2.0,
            gL=0.5,
            phi=0.7,
            gNa=6.7,
            TK=0.0,
            TCa=-0.01,
            TNa=0.3,
            VCa=1.0,
            VK=-0.7,
            VL=-0.5,
            VNa=0.53,
            d_K=0.3,
            tau_K=1.0,
            d_Na=0.15,
            d_Ca=0.15,
            aei=2.0,
            aie=2.0,
            b=0.1,
            C=0.1,
            ane=1.0,
            ani=0.4,
            aee=0.4,
            Iext=0.3,
            rNMDA=0.25,
            VT=0.0,
            d_V=0.65,
            ZT=0.0,
            d_Z=0.7,
            QV_max=1.0,
            QZ_max=1.0,
            t_scale=1.0,
        ),
        y0=[[0.0, -0.2], [0.0, 0.1], [0.0, 0.05]],
        coupling=[[0.0, 0.2]],
        vf_range=[(-1.5, 1.5), (-1.5, 1.5), (-1.5, 1.5)],
    ),
    "generic_2d": dict(
        cls=models.Generic2dOscillator,
        params=dict(
            tau=1.0,
            I=0.0,
            a=-0.5,
            b=-10.0,
            c=0.0,
            d=0.02,
            e=3.0,
            f=1.0,
            g=0.0,
            alpha=1.0,
            beta=1.0,
            gamma=1.0,
        ),
        y0=[[0.0, 1.0], [0.0, -1.0]],
        coupling=[[0.0, 0.3]],
        vf_range=[(-2.0, 4.0), (-6.0, 6.0)],
    ),
    "linear": dict(
        cls=models.Linear,
        params=dict(gamma=-0.01),
        y0=[[0.5, -1.0]],
        coupling=[[0.0, 0.02]],
        vf_range=[(-1.0, 1.0)],
    ),
}


def build(case):
    model = case["cls"](**{k: np.array([v], dtype=float) for k, v in case["params"].items()})
    model.configure()
    return model


def trajectory(case):
    model = build(case)
    integrator = integrators.HeunDeterministic(dt=DT)
    integrator.configure()
    integrator.configure_boundaries(model)
    x = np.array(case["y0"], dtype=float)[..., None]  # (state, nodes, modes)
    coupling = np.array(case["coupling"], dtype=float)[..., None]
    keep = [x[..., 0].copy()]
    for step in range(1, STEPS + 1):
        x = integrator.integrate_with_update(x, model, coupling, 0.0, 0.0)
        if step % KEEP == 0:
            keep.append(x[..., 0].copy())
    ts = DT * KEEP * np.arange(len(keep))
    return ts, np.stack(keep)


def vector_field(case, rng):
    model = build(case)
    low, high = np.array(case["vf_range"], dtype=float).T
    state = rng.uniform(low[:, None], high[:, None], (len(low), N_VF))
    n_cvar = len(case["coupling"])
    coupling = rng.uniform(-0.5, 0.5, (n_cvar, N_VF))
    dfun = model.dfun(state[..., None], coupling[..., None], 0.0)[..., 0]
    return state, coupling, np.asarray(dfun, dtype=float), low, high


def main():
    rng = np.random.default_rng(0)
    for name, case in CASES.items():
        ts, ys = trajectory(case)
        vf_state, vf_coupling, vf_dfun, low, high = vector_field(case, rng)
        np.savez_compressed(
            f"zoo_{name}_tvb.npz",
            ts=ts,
            ys=ys,
            y0=np.array(case["y0"], dtype=float),
            coupling=np.array(case["coupling"], dtype=float),
            dt=DT,
            vf_state=vf_state,
            vf_coupling=vf_coupling,
            vf_dfun=vf_dfun,
            vf_low=low,
            vf_high=high,
            params=json.dumps(case["params"]),
            peer="tvb-library 2.10.0, " + case["cls"].__name__,
        )
        print(f"{name:20s} final state {ys[-1].ravel()}")


if __name__ == "__main__":
    main()
