"""Checks shared by the zoo tests (tests/test_zoo_*.py).

Each node model is checked the same three ways: its vector field against a peer
simulator's (TVB's ``dfun``) at sampled states, its trajectory against the peer's
stored one (TVB Heun or neurolib Euler, 1000 ms, sampled every 1 ms), and the gradient
of a loss through `simulate` against central finite differences for every trainable
parameter. The references are ``tests/data/zoo_*.npz``, written by
``tests/data/make_zoo_tvb.py`` and ``tests/data/make_zoo_neurolib.py``.

All checks run in float64: call them inside ``with jax.enable_x64(True):``, with the
model built inside that block too (they refuse to run otherwise).
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from conftest import rel_error
from jaxtyping import Array, ArrayLike, Float

import brainmass_fn as bm

DATA = Path(__file__).parent / "data"

#: length of every stored reference trajectory, ms (sampled every 1 ms)
REFERENCE_DURATION = 1000.0


class Reference:
    """A stored peer reference ``tests/data/<name>``: its arrays and its parameters.

    ``ref[key]`` reads an array of the ``.npz``; ``ref.params`` is the peer's
    parameter dict (the JSON string stored under ``"params"``), in the peer's names.
    """

    def __init__(self, name: str):
        self.name = name
        self.data = np.load(DATA / name)
        self.params: dict = json.loads(str(self.data["params"]))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.data[key]


def _require_x64() -> None:
    if jnp.zeros(()).dtype != jnp.float64:
        raise RuntimeError("zoo checks run in float64: call them inside jax.enable_x64(True)")


def assert_vector_field_matches(
    model: bm.AbstractNeuralMass,
    ref: Reference,
    *,
    rtol: float,
    atol: float = 0.0,
    to_input: Callable[[Float[Array, " coupling samples"]], Array] | None = None,
) -> None:
    """Our ``vector_field`` equals the peer's ``dfun`` at the stored sample states.

    The peer's coupling terms ``ref["vf_coupling"]`` become our input rows through
    ``to_input`` (default: as they are). ``rtol`` and ``atol`` are those of
    `numpy.testing.assert_allclose` (``atol`` defaults to 0, as there).
    """
    _require_x64()
    coupling = jnp.asarray(ref["vf_coupling"])
    u = coupling if to_input is None else to_input(coupling)
    ours = model.vector_field(0.0, jnp.asarray(ref["vf_state"]), u)
    np.testing.assert_allclose(ours, ref["vf_dfun"], rtol=rtol, atol=atol)


def assert_trajectory_matches(
    model: bm.AbstractNeuralMass,
    ref: Reference,
    *,
    solver: str,
    max_rel_error: float,
    drive: ArrayLike | None = None,
) -> bm.Trajectory:
    """Our trajectory from ``ref["y0"]`` with the peer's step and scheme equals its own.

    Integrates 1000 ms with ``solver`` at step ``ref["dt"]``, sampled every 1 ms, under
    the constant input ``drive`` (none if ``None``), and asserts that for every state
    variable the largest deviation over the largest ``|reference|`` (`rel_error`) is
    below ``max_rel_error``. Returns the trajectory for model-specific checks.
    """
    _require_x64()
    stimulus = None
    if drive is not None:
        drive = jnp.asarray(drive)

        def stimulus(t):
            return drive

    traj = bm.simulate(
        model,
        REFERENCE_DURATION,
        float(ref["dt"]),
        y0=ref["y0"],
        solver=solver,
        sample_period=1.0,
        stimulus=stimulus,
    )
    assert np.all(rel_error(traj.ys, ref["ys"]) < max_rel_error)
    return traj


def assert_gradients_match_finite_differences(
    model: bm.AbstractNeuralMass,
    observable: Callable[[bm.Trajectory], Float[Array, ""]],
    *,
    duration: float,
    dt: float,
    y0: Array,
    sample_period: float,
    stimulus: Callable[[Array], ArrayLike] | None = None,
    min_abs: float,
    rtol: float,
    names: Sequence[str] | None = None,
) -> bm.GradCheck:
    """``jax.grad`` of ``observable(simulate(model, ...))`` equals central differences.

    The loss integrates ``model`` for ``duration`` ms at step ``dt`` (default solver)
    from ``y0``, sampled every ``sample_period`` ms, under ``stimulus``. Asserts that
    the check covers every parameter of ``type(model).parameter_units()`` (or exactly
    the coordinates ``names``, in order), that every finite difference exceeds
    ``min_abs`` in magnitude (so the comparison is not between zeros), and that autodiff
    matches them with relative tolerance ``rtol``.
    """
    _require_x64()

    def loss(m):
        traj = bm.simulate(m, duration, dt, y0=y0, sample_period=sample_period, stimulus=stimulus)
        return observable(traj)

    check = bm.check_gradient(loss, model)
    if names is None:
        assert len(check.names) == len(type(model).parameter_units())
    else:
        assert tuple(check.names) == tuple(names)
    assert np.all(np.abs(check.finite_difference) > min_abs)
    np.testing.assert_allclose(check.autodiff, check.finite_difference, rtol=rtol)
    return check
