"""The fit config schema: every wrong key or type is named with its line, exit 2."""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from brainmass_fn.cli import main
from brainmass_fn.cli._config import SCHEMA, line_of

GOOD = """\
connectome = "gw"

[model]
name = "Hopf"
params = { a = -0.01, w = 0.001 }

[network]
K = 0.008
speed = 10.0

[simulation]
duration = "40 s"
transient = "10 s"
dt = "20 ms"

[fit]
strategy = "adam"
steps = 2

[fit.params]
K = [1e-4, 0.05]

[output]
results = "r.npz"
"""


def _fit(capsys, tmp_path, text: str) -> tuple[int, str]:
    path = tmp_path / "c.toml"
    path.write_text(text)
    rc = main(["fit", str(path), "--no-progress"])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("steps = 2", 'steps = "ten"',
         "line 18: fit.steps must be an integer >= 1, got a string ('ten'); e.g. steps = 24."),
        ("K = 0.008", "K = [0.1, 0.2]",
         "line 8: network.K must be a finite number >= 0, got a list ([0.1, 0.2]); e.g. K = "),
        ("[fit.params]", "[colour]\nhue = 1\n\n[fit.params]",
         "line 20: unknown key 'colour' at the top level; allowed: ['connectome'] and the "
         "tables [fit], [model], [network], [output], [simulation]."),
        ("steps = 2", "steps = 2\nbogus = 1",
         "line 19: unknown key(s) ['bogus'] in [fit]; allowed: ['learning_rate', 'params', "),
        ("K = [1e-4, 0.05]", "K = [1e-4, 0.05]\nzeta = [0, 1]",
         "line 22: fit.params: cannot fit 'zeta': choose K, speed or a Hopf parameter ['a', 'w']."),
        ("params = { a = -0.01, w = 0.001 }", "params = { a = -0.01, zz = 1 }",
         "line 5: model.params: Hopf has no parameter 'zz'"),
        ("params = { a = -0.01, w = 0.001 }", 'params = { a = "x" }',
         "line 5: model.params: a must be a finite number, got a string ('x')"),
        ("K = [1e-4, 0.05]", "K = 0.01",
         "line 21: fit.params: K must be [lower, upper], two finite numbers with lower < upper, "
         "got a float (0.01)"),
        ("K = [1e-4, 0.05]", "K = [0.1, 0.2]",
         "line 21: fit.params.K = [0.1, 0.2] must contain the initial value 0.008 from network.K"),
        ('duration = "40 s"', "duration = inf",
         "line 12: simulation.duration must be a number in s or a string with units, finite and "
         "> 0, got a float (inf)"),
        ("steps = 2", "steps = true", "fit.steps must be an integer >= 1, got a boolean (true)"),
        ("steps = 2", "steps = 2.0", "fit.steps must be an integer >= 1, got a float (2.0)"),
        ('strategy = "adam"', 'strategy = "Nope"',
         "line 17: fit.strategy: 'Nope' is neither 'adam', 'sgd' nor a nevergrad optimiser"),
        ('results = "r.npz"', 'results = "r.csv"',
         "line 24: output.results must be a file name ending in .npz, got a string ('r.csv')"),
        ("[network]", "[network]\ncoupling = 'nope'", "network.coupling: Unknown coupling 'nope'"),
        # checks of FlagshipConfig that combine keys: the file is named, no line
        ('dt = "20 ms"', 'dt = "30 ms"',
         "duration (in ms) (40000.0 ms) must be a whole multiple of dt (30.0 ms)"),
        ('dt = "20 ms"', "dt = 1e-300", "steps of dt (1e-300 ms), too many to count; raise dt."),
        ('transient = "10 s"', 'transient = "40 s"', "transient must be in [0, duration)"),
    ],
)  # fmt: skip
def test_wrong_keys_and_types_exit_2_naming_key_type_and_line(capsys, tmp_path, old, new, message):
    assert old in GOOD
    rc, err = _fit(capsys, tmp_path, GOOD.replace(old, new, 1))
    assert rc == 2
    assert err.startswith(f"brainmass-fn fit: error: {tmp_path / 'c.toml'}")
    assert message in err
    assert err.count("\n") == 1  # one line, no traceback


def test_a_section_given_as_a_value(capsys, tmp_path):
    text = "network = 3\n" + GOOD.replace("[network]\nK = 0.008\nspeed = 10.0\n", "")
    rc, err = _fit(capsys, tmp_path, text)
    assert rc == 2
    assert "c.toml, line 1: [network] must be a table, got an integer (3)." in err


def test_line_of_finds_keys_in_tables_inline_tables_and_headers():
    assert line_of(GOOD, ("connectome",)) == 1
    assert line_of(GOOD, ("fit", "steps")) == 18
    assert line_of(GOOD, ("fit", "params", "K")) == 21
    assert line_of(GOOD, ("model", "params", "a")) == 5  # inside the inline table
    assert line_of(GOOD, ("output",)) == 23  # the header
    assert line_of(GOOD, ("nowhere", "x")) is None


def test_other_models_do_not_inherit_the_hopf_parameters(capsys, tmp_path):
    text = GOOD.replace('name = "Hopf"\nparams = { a = -0.01, w = 0.001 }\n', 'name = "Kuramoto"\n')
    rc, err = _fit(capsys, tmp_path, text)
    assert rc == 2
    assert "simulation.signal 'x' (the default) is not a state variable of Kuramoto" in err
    from brainmass_fn.cli import load_fit_config

    path = tmp_path / "k.toml"
    path.write_text(text.replace('dt = "20 ms"', 'dt = "20 ms"\nsignal = "theta"'))
    config, _ = load_fit_config(path)
    assert config.model == "Kuramoto" and config.model_params == {}


# ---------------------------------------------------------------- property: never a traceback

_KEYS = [s + (k,) for s, fields in SCHEMA.items() for k in fields] + [
    ("model",), ("fit",), ("output",), ("colour",), ("fit", "bogus"),
    ("fit", "params", "K"), ("fit", "params", "a"), ("fit", "params", "zeta"),
    ("model", "params", "a"), ("model", "params", "zz"),
]  # fmt: skip
_STRINGS = ["300 s", "10 ms", "1 mV", "10 m/s", "-5 s", "nan s", "inf ms", "0 s", "adam",
            "sgd", "CMA", "gw", "hcp", "x", "y", "Hopf", "WilsonCowan", "r.npz", "f.png",
            "/no/such/dir/r.npz", "diffusive", ""]  # fmt: skip
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1, max_value=1),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(_STRINGS),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["K", "a", "w", "zz", "speed"]), inner, max_size=3),
    ),
    max_leaves=4,
)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are TOML basic-string escapes
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml_value, v)) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml(doc: dict) -> str:
    top = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in top.items()]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{_toml_key(k)}]")
            lines += [f"{_toml_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


class _Reached(Exception):
    """The run would start: the config passed every check."""


def _stub_run(config, **kwargs):
    # everything run_flagship does before its first simulation
    from brainmass_fn.cli.flagship import flagship_network
    from brainmass_fn.data import load_connectome

    data = load_connectome(config.connectome)
    flagship_network(config, data.weights, data.lengths, fitted=True)
    config.strategy_object()
    raise _Reached


def _check_run_or_exit_2(edits) -> None:
    """Apply ``edits`` to GOOD; the CLI must reach the run or exit 2 with one line."""
    import tomllib

    doc = tomllib.loads(GOOD)
    for key, value in edits:
        node = doc
        for part in key[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[key[-1]] = value
    text = _toml(doc)
    flagship = sys.modules["brainmass_fn.cli.flagship"]
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        Path("c.toml").write_text(text)
        err = open("err.txt", "w+")  # noqa: SIM115
        real, flagship.run_flagship = flagship.run_flagship, _stub_run
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):
                rc = main(["fit", "c.toml", "--no-progress"])
        except _Reached:
            event("the run would start")
            return
        finally:
            flagship.run_flagship = real
            err.seek(0)
            message = err.read()
            err.close()
    event("exit 2")
    assert rc == 2, (text, message)
    # an error found while building the network comes after the run's header lines
    errors = [line for line in message.splitlines() if line.startswith("brainmass-fn fit: error: ")]
    assert len(errors) == 1 and message.endswith(errors[0] + "\n"), (text, message)
    assert "Traceback" not in message, (text, message)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(_KEYS), _VALUES), min_size=1, max_size=3))
def test_random_config_values_run_or_exit_2_with_one_line(edits):
    _check_run_or_exit_2(edits)


_FLOATS = st.floats(-1.0, 1.0) | st.floats(0.0, 100.0) | st.sampled_from([0.0, -0.0, 1e-300])
#: values of the right TOML type, in and out of range (to reach the run and the
#: checks that combine keys: transient < duration, bounds around the start, ...)
_TYPED = {
    ("connectome",): st.sampled_from(["gw", "hcp", "GW", "tvb"]),
    ("model", "name"): st.sampled_from(["Hopf", "hopf", "Kuramoto", "JansenRit"]),
    ("model", "params"): st.dictionaries(st.sampled_from(["a", "w"]), _FLOATS),
    ("network", "K"): _FLOATS,
    ("network", "speed"): _FLOATS | st.sampled_from(["10 m/s", "3 mm/ms", "0 m/s"]),
    ("network", "coupling"): st.sampled_from(["linear", "diffusive", "sigmoidal", "kuramoto"]),
    ("network", "noise"): _FLOATS,
    ("simulation", "duration"): _FLOATS | st.sampled_from(["40 s", "1 min", "25 s", "30.01 s"]),
    ("simulation", "transient"): _FLOATS | st.sampled_from(["10 s", "0 s"]),
    ("simulation", "dt"): _FLOATS | st.sampled_from(["20 ms", "30 ms", "0.1 s"]),
    ("simulation", "tr"): _FLOATS | st.sampled_from(["2 s", "2010 ms", "500 ms"]),
    ("simulation", "signal"): st.sampled_from(["x", "y", "theta"]),
    ("simulation", "seed"): st.integers(0, 2**32 - 1),
    ("fit", "strategy"): st.sampled_from(["adam", "sgd", "CMA", "NGOpt", "DE"]),
    ("fit", "steps"): st.integers(1, 40),
    ("fit", "learning_rate"): _FLOATS,
    ("fit", "rounds"): st.integers(1, 5),
    ("fit", "population"): st.integers(2, 20),
    ("fit", "params"): st.dictionaries(
        st.sampled_from(["K", "speed", "a", "w"]),
        st.lists(_FLOATS, min_size=2, max_size=2).map(sorted),
        min_size=1,
        max_size=3,
    ),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.sampled_from(sorted(_TYPED)).flatmap(
    lambda key: st.tuples(st.just(key), _TYPED[key])), min_size=1, max_size=4))  # fmt: skip
def test_well_typed_random_configs_run_or_exit_2_with_one_line(edits):
    _check_run_or_exit_2(edits)
