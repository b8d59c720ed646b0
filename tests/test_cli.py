"""The command line: real outputs, clear errors, and no overwriting without --force."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from brainmass_fn.cli import CLIError, load_fit_config, main
from brainmass_fn.cli.flagship import FlagshipConfig
from brainmass_fn.models import available

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "configs"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _pearson_triu(a: np.ndarray, b: np.ndarray) -> float:
    iu = np.triu_indices(a.shape[0], 1)
    return float(np.corrcoef(a[iu], b[iu])[0, 1])


# ---------------------------------------------------------------- models


def test_models_lists_every_model(capsys):
    rc, out, _ = _run(capsys, "models")
    assert rc == 0
    names = [line.split()[0] for line in out.splitlines()[2:] if line.strip()][:-1]
    assert names == list(available())


def test_models_detail_gives_defaults_and_units(capsys):
    rc, out, _ = _run(capsys, "models", "--model", "hopf")
    assert rc == 0
    rows = {row[0]: row[1:] for row in map(str.split, out.splitlines()) if len(row) == 3}
    assert rows["a"] == ["0.25", "1/ms"]
    assert rows["w"] == ["0.2", "rad/ms"]


# ---------------------------------------------------------------- simulate


def test_simulate_hopf_node_reaches_its_limit_cycle(capsys, tmp_path):
    out = tmp_path / "hopf.npz"
    rc, _, err = _run(capsys, "simulate", "-o", str(out), "--param", "a=0.36", "--solver", "rk4",
                      "--duration", "0.3 s", "--dt", "0.05", "--sample-period", "1 ms",
                      "--no-progress")  # fmt: skip
    assert rc == 0, err
    with np.load(out) as d:
        assert list(d["state_names"]) == ["x", "y"]
        assert d["ys"].shape == (301, 2)
        np.testing.assert_allclose(d["ts"], np.arange(301.0), atol=1e-4)
        radius = np.hypot(d["ys"][-50:, 0], d["ys"][-50:, 1])
    np.testing.assert_allclose(radius, np.sqrt(0.36), rtol=1e-4)  # supercritical Hopf: sqrt(a)


def test_simulate_network_from_npz_with_bold(capsys, tmp_path):
    conn = tmp_path / "c.npz"
    w = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.5, 0.2, 0.0]])
    np.savez(conn, weights=w, lengths=20.0 * (w > 0))
    out = tmp_path / "net.npz"
    rc, _, err = _run(capsys, "simulate", "-o", str(out), "--connectome", str(conn),
                      "--speed", "10 m/s", "--K", "0.1", "--param", "a=-0.05", "--noise", "0.01",
                      "--duration", "8 s", "--dt", "1 ms", "--sample-period", "10 ms",
                      "--bold", "2 s", "--no-progress")  # fmt: skip
    assert rc == 0, err
    with np.load(out) as d:
        assert d["ys"].shape == (801, 2, 3)
        assert d["bold"].shape == (4, 3)  # 8 s of drive at TR 2 s
        np.testing.assert_allclose(d["bold_times"], [2000.0, 4000.0, 6000.0, 8000.0])
        assert np.all(np.isfinite(d["bold"]))


def test_simulate_never_overwrites_without_force(capsys, tmp_path):
    out = tmp_path / "x.npz"
    out.write_bytes(b"keep me")
    rc, _, err = _run(capsys, "simulate", "-o", str(out), "--duration", "1", "--no-progress")
    assert rc == 2
    assert "exists; pass --force" in err
    assert out.read_bytes() == b"keep me"
    rc, _, err = _run(capsys, "simulate", "-o", str(out), "--duration", "1", "--dt", "0.1",
                      "--force", "--no-progress")  # fmt: skip
    assert rc == 0, err
    with np.load(out) as d:
        assert d["ys"].shape == (11, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "NoSuchModel"], "No model called 'NoSuchModel'"),
        (["--param", "nonsense"], "NAME=VALUE"),
        (["--param", "zzz=1"], "has no parameter"),
        (["--duration", "3 kg"], "--duration"),
        (["--connectome", "missing.npz"], "not found"),
        (["--connectome", "weights.txt"], "shipped name"),
        (["--dt", "-1"], "dt must be > 0"),
    ],
)
def test_simulate_bad_arguments_exit_2_with_a_clear_message(capsys, tmp_path, args, message):
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), "--no-progress", *args)
    assert rc == 2
    assert message in err
    assert not (tmp_path / "o.npz").exists()


def test_simulate_connectome_without_weights(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, lengths=np.ones((2, 2)))
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), "--connectome", str(bad))
    assert rc == 2
    assert "has no weights array" in err and "found ['lengths']" in err


def test_output_must_be_npz_and_its_directory_exist(capsys, tmp_path):
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.csv"))
    assert rc == 2 and "must end in .npz" in err
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "nope" / "o.npz"))
    assert rc == 2 and "does not exist" in err


# ---------------------------------------------------------------- fit configs


def test_example_flagship_config_is_the_demo():
    config, outputs = load_fit_config(CONFIGS / "hopf_gw_adam.toml")
    assert config == FlagshipConfig()  # "10 m/s" read as 10 mm/ms, "300 s" as 300 s, ...
    assert outputs["figure"] == Path("hopf_gw_adam.png")


def test_every_example_config_loads():
    files = sorted(CONFIGS.glob("*.toml"))
    assert len(files) >= 3
    cma, _ = load_fit_config(CONFIGS / "hopf_gw_cma.toml")
    assert cma.strategy == "CMA" and cma.population == 8
    assert cma.fit == {"K": (1e-4, 0.05), "a": (-0.05, -0.001)}
    for f in files:
        load_fit_config(f)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("[fit]\nsteps = 2\nbogus = 1\n", "unknown key(s) ['bogus'] in [fit]"),
        ("[fit.params]\nK = 0.1\n[output]\nresults = 'r.npz'\n", "must be [lower, upper]"),
        ("[fit.params]\nK = [0.1, 0.2]\n[output]\nresults = 'r.npz'\n", "must contain the initial"),
        ("[fit.params]\nzeta = [0, 1]\n[output]\nresults = 'r.npz'\n", "cannot fit 'zeta'"),
        ("[simulation]\nduration = '25 s'\n[output]\nresults = 'r.npz'\n", "at least 10"),
        ("[simulation]\ndt = '1 mV'\n", "simulation.dt"),
        ("[model]\nname = 'Nope'\n[output]\nresults = 'r.npz'\n", "No model called"),
        ("connectome = 'gw'\n", "[output] needs"),
        ("this is = not toml = \n", "not valid TOML"),
    ],
)
def test_bad_configs_name_the_problem(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(CLIError) as info:
        load_fit_config(path)
    assert message in str(info.value)


def test_fit_from_quick_config_writes_consistent_results(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run(capsys, "fit", str(CONFIGS / "quick.toml"), "--no-progress")
    assert rc == 0, err
    with np.load(tmp_path / "quick_fit.npz") as d:
        # the stored loss is 1 - Pearson r of the stored FC upper triangles
        r = _pearson_triu(d["fc_fitted"], d["fc_empirical"])
        assert float(d["loss"]) == pytest.approx(1.0 - r, abs=1e-5)
        r0 = _pearson_triu(d["fc_initial"], d["fc_empirical"])
        assert float(d["loss_initial"]) == pytest.approx(1.0 - r0, abs=1e-5)
        # step 1 is evaluated at the initial values
        assert float(d["losses"][0]) == pytest.approx(float(d["loss_initial"]), abs=1e-5)
        assert list(d["names"]) == ["K"]
        assert 1e-4 < float(d["values"][0]) < 0.05
        assert d["losses"].shape == (2,)
    assert "r(FC_sim, FC_emp)" in out
    # a second run refuses to overwrite
    rc, _, err = _run(capsys, "fit", str(CONFIGS / "quick.toml"), "--no-progress")
    assert rc == 2 and "--force" in err


# ---------------------------------------------------------------- demo


def test_demo_checks_arguments_and_outputs_before_work(capsys, tmp_path):
    png = tmp_path / "d.png"
    png.write_bytes(b"old")
    rc, _, err = _run(capsys, "demo", "-o", str(png), "--no-progress")
    assert rc == 2 and "exists; pass --force" in err
    assert png.read_bytes() == b"old"
    rc, _, err = _run(capsys, "demo", "-o", str(tmp_path / "e.png"), "--duration", "30 s")
    assert rc == 2 and "at least 10" in err
    rc, _, err = _run(capsys, "demo", "-o", str(tmp_path / "e.png"), "--steps", "0")
    assert rc == 2 and "--steps" in err
    rc, _, err = _run(capsys, "demo", "-o", str(tmp_path / "e.txt"), "--no-progress")
    assert rc == 2 and "must end in one of .png" in err


def test_demo_short_run_writes_png_and_table(capsys, tmp_path):
    png, npz = tmp_path / "demo.png", tmp_path / "demo.npz"
    rc, out, err = _run(capsys, "demo", "-o", str(png), "--save", str(npz), "--duration", "40 s",
                        "--dt", "20 ms", "--steps", "2", "--no-progress")  # fmt: skip
    assert rc == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with np.load(npz) as d:
        assert list(d["names"]) == ["K", "speed"]
        assert d["fc_fitted"].shape == (80, 80)
        assert float(d["loss"]) == pytest.approx(
            1.0 - _pearson_triu(d["fc_fitted"], d["fc_empirical"]), abs=1e-5
        )
    header = out.splitlines()[0].split()
    assert header == ["quantity", "initial", "fitted", "unit"]
    assert any(line.startswith("speed") for line in out.splitlines())


@pytest.mark.slow
def test_python_dash_m_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "brainmass_fn", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == "brainmass-fn 0.1.0"
    proc = subprocess.run([sys.executable, "-m", "brainmass_fn"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "required: COMMAND" in proc.stderr


def test_demo_pipeline_gradient_matches_finite_differences():
    # the demo differentiates 1 - r(FC) through simulate (delays, noise) -> BOLD -> FC
    import jax
    import jax.numpy as jnp

    from brainmass_fn.cli.flagship import flagship_fc, flagship_network
    from brainmass_fn.data import load_connectome
    from brainmass_fn.gradcheck import check_gradient
    from brainmass_fn.losses import fc_correlation_loss

    data = load_connectome("gw")
    with jax.enable_x64(True):
        config = FlagshipConfig(duration=40.0, transient=10.0, dt=20.0, K=0.01)
        target = jnp.asarray(data.fc.mean(axis=0))
        key = jax.random.key(0)
        network = flagship_network(config, data.weights, data.lengths, fitted=True)
        check = check_gradient(
            lambda n: fc_correlation_loss(flagship_fc(n, config, key)[0], target), network
        )
    assert set(check.names) == {".K.raw", ".speed.raw"}
    assert abs(check.autodiff).max() > 1e-2  # a real slope, not a flat loss
    assert check.rel_error < 1e-6
