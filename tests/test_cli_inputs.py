"""`brainmass-fn simulate` under bad or unusual input: nothing silent, nothing after the run."""

from __future__ import annotations

import numpy as np
import pytest

from brainmass_fn.cli._main import _warn_zero_lags, main

W3 = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.5, 0.2, 0.0]])
FAST = ("--param", "a=-0.05", "--K", "0.1", "--duration", "20 ms", "--dt", "0.1", "--no-progress")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _simulate(capsys, tmp_path, name: str, *argv: str) -> np.ndarray:
    out = tmp_path / f"{name}.npz"
    rc, _, err = _run(capsys, "simulate", "-o", str(out), *FAST, *argv)
    assert rc == 0, err
    with np.load(out) as d:
        return d["ys"]


def test_tvb_tract_lengths_are_used_as_delays(capsys, tmp_path):
    lengths = 20.0 * (W3 > 0)  # 2 ms at 10 mm/ms: 20 steps of 0.1 ms
    np.savez(tmp_path / "tvb.npz", weights=W3, tract_lengths=lengths)
    np.savez(tmp_path / "ours.npz", weights=W3, lengths=lengths)
    np.savez(tmp_path / "bare.npz", weights=W3)
    tvb = _simulate(capsys, tmp_path, "a", "--connectome", str(tmp_path / "tvb.npz"),
                    "--speed", "10")  # fmt: skip
    ours = _simulate(capsys, tmp_path, "b", "--connectome", str(tmp_path / "ours.npz"),
                     "--speed", "10")  # fmt: skip
    bare = _simulate(capsys, tmp_path, "c", "--connectome", str(tmp_path / "bare.npz"))
    np.testing.assert_array_equal(tvb, ours)
    assert np.abs(tvb - bare).max() > 1e-3  # the delays change the run


def test_npz_with_unknown_array_names_exits_2_listing_them(capsys, tmp_path):
    np.savez(tmp_path / "c.npz", weights=W3, tracts=20.0 * (W3 > 0))
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST,
                      "--connectome", str(tmp_path / "c.npz"), "--speed", "3")  # fmt: skip
    assert rc == 2
    assert "has arrays ['tracts'] that brainmass_fn does not understand" in err
    assert "'tract_lengths'" in err
    assert not (tmp_path / "o.npz").exists()


def test_corrupt_npz_exits_2_naming_the_file(capsys, tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST,
                      "--connectome", str(tmp_path / "bad.npz"))  # fmt: skip
    assert rc == 2
    assert "bad.npz is not a readable .npz file (BadZipFile" in err
    assert "Traceback" not in err


def test_speed_without_lengths_and_lengths_without_speed(capsys, tmp_path):
    np.savez(tmp_path / "w.npz", weights=W3)
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST,
                      "--connectome", str(tmp_path / "w.npz"), "--speed", "3")  # fmt: skip
    assert rc == 2 and "has no tract lengths" in err
    np.savez(tmp_path / "wl.npz", weights=W3, lengths=20.0 * (W3 > 0))
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST,
                      "--connectome", str(tmp_path / "wl.npz"))  # fmt: skip
    assert rc == 0
    assert "tract lengths are not used (no --speed" in err


def test_bold_signal_is_checked_before_simulating(capsys, tmp_path, monkeypatch):
    import sys

    def never(*args, **kwargs):
        raise AssertionError("simulate ran before the arguments were checked")

    monkeypatch.setattr(sys.modules["brainmass_fn.simulate"], "simulate", never)
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST,
                      "--bold", "2 s", "--bold-signal", "nope")  # fmt: skip
    assert rc == 2
    assert "--bold-signal 'nope' is not a state variable of Hopf; choose one of ['x', 'y']" in err


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_negative_or_nonfinite_noise_is_rejected(capsys, tmp_path, value):
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), *FAST, "--noise", value)
    assert rc == 2
    assert "--noise must be a finite sigma >= 0" in err
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "inf"], "--duration: 'inf' is not a finite number"),
        (["--dt", "nan ms"], "--dt: 'nan ms' is not a finite number"),
        (["--param", "a=nan"], "NAME=VALUE with a finite number"),
    ],
)
def test_nonfinite_quantities_are_rejected(capsys, tmp_path, args, message):
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), "--no-progress", *args)
    assert rc == 2
    assert message in err


def test_delays_shorter_than_dt_warn_with_count_and_fix(capsys, tmp_path):
    # at 3 mm/ms and dt 1 ms, lengths <= 1.5 mm round to 0 steps: 2 of the 6 edges
    lengths = np.array([[0.0, 0.5, 30.0], [0.5, 0.0, 30.0], [30.0, 30.0, 0.0]])
    np.savez(tmp_path / "c.npz", Cmat=W3, Dmat=lengths)
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), "--param", "a=-0.05",
                      "--K", "0.1", "--connectome", str(tmp_path / "c.npz"), "--speed", "3",
                      "--duration", "10 ms", "--dt", "1", "--no-progress")  # fmt: skip
    assert rc == 0, err
    assert "warning: 2 of 6 delayed edges have delays shorter than dt/2 = 0.5 ms" in err
    assert "lower --dt below 0.333 ms" in err
    _warn_zero_lags(W3, lengths, 3.0, 0.3)  # the suggested dt delays every edge: no warning
    assert capsys.readouterr().err == ""


def test_diverging_run_exits_2_without_a_file(capsys, tmp_path):
    rc, _, err = _run(capsys, "simulate", "-o", str(tmp_path / "o.npz"), "--param", "a=5",
                      "--duration", "100 ms", "--dt", "2", "--solver", "euler",
                      "--no-progress")  # fmt: skip
    assert rc == 2
    assert "became NaN or inf" in err and "lower --dt, now 2 ms" in err
    assert not (tmp_path / "o.npz").exists()
