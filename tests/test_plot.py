"""Plot helpers draw exactly the data they are given, and save without overwriting."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from brainmass_fn import plot  # noqa: E402
from brainmass_fn.metrics import welch  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_timeseries_draws_traces_in_seconds():
    ts = np.arange(0.0, 1000.0, 10.0)  # ms
    values = np.stack([np.sin(ts / 100.0), np.cos(ts / 100.0), ts / 1000.0], axis=1)
    ax = plot.plot_timeseries(ts, values, nodes=[0, 2])
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_xdata(), ts / 1000.0)
    np.testing.assert_allclose(lines[0].get_ydata(), values[:, 0])
    np.testing.assert_allclose(lines[1].get_ydata(), values[:, 2])
    assert ax.get_xlabel() == "time (s)"


def test_fc_pair_shows_both_matrices_on_a_fixed_scale_and_their_correlation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 6))
    a = np.corrcoef(x.T)
    b = 0.5 * a + 0.5 * np.eye(6)
    axes = plot.plot_fc_pair(a, b)
    for ax, m in zip(axes, (a, b), strict=True):
        image = ax.images[0]
        np.testing.assert_allclose(np.asarray(image.get_array()), m)
        assert image.get_clim() == (-1.0, 1.0)
    # b's upper triangle is an affine map of a's: r = 1
    assert "(r = 1.00)" in axes[1].get_title()


def test_spectrum_peak_at_the_sine_frequency():
    dt = 1.0  # ms -> fs = 1000 Hz
    t = np.arange(4096) * dt
    x = np.sin(2 * np.pi * 40.0 * t / 1000.0)[:, None] * np.array([1.0, 2.0])
    freqs, psd = welch(x, dt, nperseg=500)
    ax = plot.plot_spectrum(freqs, psd)
    mean_line = ax.get_lines()[-1]
    f = mean_line.get_xdata()
    assert f[np.argmax(mean_line.get_ydata())] == pytest.approx(40.0)
    np.testing.assert_allclose(mean_line.get_ydata(), np.asarray(psd).mean(axis=1), rtol=1e-6)
    assert ax.get_yscale() == "log"


def test_loss_curve_and_running_best():
    losses = np.array([1.0, 0.5, 0.7, np.nan, 0.2, 0.4])
    ax = plot.plot_loss(losses)
    loss_line, best_line = ax.get_lines()
    np.testing.assert_array_equal(loss_line.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(best_line.get_ydata(), [1.0, 0.5, 0.5, 0.5, 0.2, 0.2])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot.plot_loss([])


def test_fit_figure_and_save_never_overwrites(tmp_path):
    rng = np.random.default_rng(1)
    a = np.corrcoef(rng.standard_normal((100, 5)).T)
    a0 = np.corrcoef(rng.standard_normal((100, 5)).T)
    fig = plot.fit_figure(a, a, [0.9, 0.5, 0.3], fc_initial=a0, title="t")
    assert len(fig.axes) == 5  # two FC panels, colour bar, scatter, loss
    path = plot.save_figure(fig, tmp_path / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size = path.stat().st_size
    with pytest.raises(FileExistsError, match="force"):
        plot.save_figure(fig, path)
    assert path.stat().st_size == size
    plot.save_figure(fig, path, force=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot.save_figure(fig, tmp_path / "missing" / "f.png")


def test_bad_shapes_name_the_argument():
    with pytest.raises(ValueError, match="square matrices"):
        plot.plot_fc_pair(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="time = len"):
        plot.plot_timeseries(np.arange(5.0), np.zeros((4, 2)))


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"brainmass_fn\[plot\]"):
        plot.pyplot()


def test_train_result_plot_draws_each_split_per_epoch_through_plot_loss():
    from brainmass_fn.train import TrainResult

    history = {"train_loss": np.array([1.0, 0.6, np.nan]), "val_loss": np.array([1.2, 0.9, 0.8])}
    result = TrainResult(None, None, history, best_epoch=3, best_score=0.8, epochs_run=3,
                         wall_time=0.0, monitor="val_loss")  # fmt: skip
    ax = result.plot()
    train_line, val_line = ax.get_lines()  # best=False: no running-best lines
    np.testing.assert_array_equal(val_line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train_line.get_ydata(), [1.0, 0.6, np.nan])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    with pytest.raises(ValueError, match="key 'acc' is not in the history"):
        result.plot(key="acc")
