"""`control` in neurolib's optimal-control example 5.1 (one FHN node, benchmarks/
bench_control.py): the costs that neurolib's notebook prints are the reference."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import brainmass_fn as bm
from brainmass_fn.control import control, tracking_cost
from brainmass_fn.stimulus import Sampled, target

# printed by neurolib's example-5.1-oc-phenomenological-model-deterministic.ipynb
NEUROLIB_COST_ITERATION_0 = 0.5533851530971279
NEUROLIB_COST_ITERATION_500 = 0.007380756958683128


def _example():
    """FHN with the example's drive replacing x_ext = 1, Euler, 10 ms at 0.1 ms, from 0;
    the target is the run driven by a sine on samples 1 .. T-3."""
    model = bm.FitzHughNagumo(i_ext=0.0)
    u = np.zeros(101)
    u[1:-2] = np.sin(2.0 * np.pi * np.arange(0, 9.8, 0.1) / 2.5)
    kw = {"y0": jnp.zeros(2), "solver": "euler"}
    goal = bm.simulate(model, 10.0, 0.1, stimulus=_on_x(model, u), **kw)
    return model, goal, kw


def _on_x(model, u):
    return target(Sampled(jnp.asarray(u), period=0.1), model, "x")


def test_zero_control_cost_matches_neurolib_iteration_0():
    with jax.enable_x64(True):
        model, goal, kw = _example()
        free = bm.simulate(model, 10.0, 0.1, stimulus=_on_x(model, np.zeros(101)), **kw)
        assert float(tracking_cost(free, goal.ys)) == pytest.approx(
            NEUROLIB_COST_ITERATION_0, rel=1e-12
        )


@pytest.mark.slow
def test_bfgs_beats_neurolib_example_cost_in_its_budget():
    with jax.enable_x64(True):
        model, goal, kw = _example()
        res = control(
            model, 10.0, 0.1, lambda traj: tracking_cost(traj, goal.ys),
            variables=("x", "y"), strategy=optx.BFGS(rtol=1e-12, atol=1e-12), steps=500,
            progress=False, **kw,
        )  # fmt: skip
        assert res.costs["total"] < 1e-10 < NEUROLIB_COST_ITERATION_500
