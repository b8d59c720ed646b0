"""Plot helpers: time series, FC matrix pairs, spectra and loss curves (matplotlib).

matplotlib is an optional dependency (``pip install 'brainmass_fn[plot]'``); it is
imported only when a helper is called. Each helper draws into a given ``ax`` (or a new
figure) and returns the axes, so figures compose; `save_figure` writes a file with
the non-interactive Agg backend and refuses to overwrite unless ``force=True``.

Conventions: times in ms (as `Trajectory.ts`), shown in s; frequencies in Hz; FC
matrices on a fixed colour scale ``[-1, 1]`` so that two panels compare directly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from jaxtyping import ArrayLike, Float

__all__ = [
    "pyplot",
    "plot_timeseries",
    "plot_fc_pair",
    "plot_spectrum",
    "plot_loss",
    "fit_figure",
    "save_figure",
]


def pyplot(backend: str | None = None) -> Any:
    """``matplotlib.pyplot``, imported on first use (optionally selecting ``backend``).

    Raises:
        ImportError: with the install command, if matplotlib is missing.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "Plotting needs matplotlib, an optional dependency: "
            "pip install 'brainmass_fn[plot]' (or pip install matplotlib)."
        ) from None
    if backend is not None:
        matplotlib.use(backend)
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=figsize)
    return ax


def plot_timeseries(
    ts: Float[ArrayLike, " time"],
    values: Float[ArrayLike, " time *nodes"],
    *,
    ax: Any = None,
    nodes: Sequence[int] | None = None,
    labels: Sequence[str] | None = None,
    max_traces: int = 8,
    ylabel: str = "activity",
) -> Any:
    """Traces against time (``ts`` in ms, drawn in s).

    Args:
        ts: sample times, ms.
        values: ``(time,)`` or ``(time, nodes)``.
        nodes: which node columns to draw (default the first ``max_traces``).
        labels: legend labels for the drawn nodes (default ``"node i"``).
    """
    ts = np.asarray(ts, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != ts.shape[0]:
        raise ValueError(
            f"values must be (time,) or (time, nodes) with time = len(ts) = {ts.shape[0]}, "
            f"got {values.shape}."
        )
    nodes = list(range(min(max_traces, values.shape[1]))) if nodes is None else list(nodes)
    if labels is not None and len(labels) != len(nodes):
        raise ValueError(f"labels has {len(labels)} entries for {len(nodes)} nodes.")
    ax = _axes(ax, (7, 3))
    for k, i in enumerate(nodes):
        ax.plot(ts / 1000.0, values[:, i], lw=0.8, label=labels[k] if labels else f"node {i}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if 1 < len(nodes) <= 10:
        ax.legend(frameon=False, fontsize="small", ncol=2)
    return ax


def plot_fc_pair(
    fc_a: Float[ArrayLike, " nodes nodes"],
    fc_b: Float[ArrayLike, " nodes nodes"],
    *,
    axes: Sequence[Any] | None = None,
    titles: tuple[str, str] = ("simulated FC", "empirical FC"),
    colorbar: bool = True,
) -> Sequence[Any]:
    """Two FC matrices side by side on the colour scale [-1, 1] (``RdBu_r``).

    The second panel's title carries the Pearson correlation of the upper triangles.
    Returns the two axes.
    """
    fc_a, fc_b = np.asarray(fc_a, dtype=float), np.asarray(fc_b, dtype=float)
    if fc_a.shape != fc_b.shape or fc_a.ndim != 2 or fc_a.shape[0] != fc_a.shape[1]:
        raise ValueError(
            f"fc_a and fc_b must be square matrices of one shape, got {fc_a.shape} and "
            f"{fc_b.shape}."
        )
    if axes is None:
        axes = pyplot().subplots(1, 2, figsize=(9, 4), constrained_layout=True)[1]
    assert axes is not None
    iu = np.triu_indices(fc_a.shape[0], 1)
    r = float(np.corrcoef(fc_a[iu], fc_b[iu])[0, 1])
    image = None
    for ax, m, title in zip(axes, (fc_a, fc_b), titles, strict=True):
        image = ax.imshow(m, vmin=-1.0, vmax=1.0, cmap="RdBu_r", interpolation="nearest")
        ax.set_title(title)
        ax.set_xlabel("region")
        ax.set_ylabel("region")
    axes[1].set_title(f"{titles[1]}  (r = {r:.2f})")
    if colorbar:
        axes[1].figure.colorbar(image, ax=list(axes), shrink=0.8, label="Pearson r")
    return axes


def plot_spectrum(
    freqs: Float[ArrayLike, " freqs"],
    psd: Float[ArrayLike, " freqs *nodes"],
    *,
    ax: Any = None,
    log: bool = True,
    mean: bool = True,
    fmax: float | None = None,
) -> Any:
    """Power spectral density against frequency (Hz), e.g. from `metrics.welch`.

    Args:
        psd: ``(freqs,)`` or ``(freqs, nodes)``; with ``mean`` the node average is
            drawn bold over thin per-node lines.
        log: logarithmic power axis.
        fmax: upper frequency limit, Hz.
    """
    freqs = np.asarray(freqs, dtype=float)
    psd = np.asarray(psd, dtype=float)
    if psd.ndim == 1:
        psd = psd[:, None]
    if psd.shape[0] != freqs.shape[0]:
        raise ValueError(f"psd has {psd.shape[0]} frequency bins but freqs has {freqs.shape[0]}.")
    ax = _axes(ax, (5, 3.5))
    if psd.shape[1] > 1:
        ax.plot(freqs, psd, color="0.6", lw=0.5, alpha=0.5)
    if mean or psd.shape[1] == 1:
        ax.plot(freqs, psd.mean(axis=1), color="C0", lw=1.8, label="mean")
    if log and np.all(psd[1:] > 0):
        ax.set_yscale("log")
    if fmax is not None:
        ax.set_xlim(0, fmax)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power spectral density")
    return ax


def plot_loss(
    losses: Float[ArrayLike, " steps"],
    *,
    ax: Any = None,
    log: bool = False,
    label: str = "loss",
    best: bool = True,
    xlabel: str = "step",
    ylabel: str | None = None,
    title: str | None = None,
) -> Any:
    """Loss per step (non-finite steps left as gaps), with the running best.

    The one loss plot: `FitResult.plot` (per evaluation) and `TrainResult.plot` (per
    epoch, one call per split with ``best=False``) draw through it.

    Args:
        losses: one value per step, drawn at x = 1, 2, ...
        log: logarithmic y axis, if every finite value is positive.
        label: legend label of the curve (and the y label unless ``ylabel``).
        best: also draw the running minimum, reading NaN/inf as ``+inf``.
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"losses must be a non-empty 1-D sequence, got shape {losses.shape}.")
    ax = _axes(ax, (5, 3.5))
    steps = np.arange(1, losses.size + 1)
    shown = np.where(np.isfinite(losses), losses, np.nan)
    ax.plot(steps, shown, "o-", ms=3, lw=1.0, label=label)
    if best:
        ax.plot(steps, np.fmin.accumulate(np.nan_to_num(shown, nan=np.inf)), lw=2.0,
                alpha=0.6, label="best so far")  # fmt: skip
    finite = losses[np.isfinite(losses)]
    if log and finite.size and np.all(finite > 0):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label if ylabel is None else ylabel)
    if title is not None:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def fit_figure(
    fc_sim: Float[ArrayLike, " nodes nodes"],
    fc_emp: Float[ArrayLike, " nodes nodes"],
    losses: Float[ArrayLike, " steps"],
    *,
    fc_initial: Float[ArrayLike, " nodes nodes"] | None = None,
    title: str | None = None,
) -> Any:
    """One figure for an FC fit: simulated vs empirical FC, their scatter and the loss.

    Panels: fitted FC, empirical FC (shared colour bar), upper-triangle scatter of the
    two (and of the initial FC, if given), loss curve. Returns the figure.
    """
    plt = pyplot()
    fig = plt.figure(figsize=(13, 7.2), constrained_layout=True)
    grid = fig.add_gridspec(2, 3, height_ratios=(1.15, 1))
    ax_sim, ax_emp = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    plot_fc_pair(fc_sim, fc_emp, axes=(ax_sim, ax_emp), titles=("simulated FC (fitted)",
                 "empirical FC (group mean)"))  # fmt: skip
    ax_sc = fig.add_subplot(grid[0, 2])
    fc_sim, fc_emp = np.asarray(fc_sim), np.asarray(fc_emp)
    iu = np.triu_indices(fc_emp.shape[0], 1)
    if fc_initial is not None:
        fc_initial = np.asarray(fc_initial)
        r0 = np.corrcoef(fc_initial[iu], fc_emp[iu])[0, 1]
        ax_sc.scatter(fc_emp[iu], fc_initial[iu], s=2, alpha=0.25, color="0.6",
                      label=f"initial (r = {r0:.2f})")  # fmt: skip
    r1 = np.corrcoef(fc_sim[iu], fc_emp[iu])[0, 1]
    ax_sc.scatter(fc_emp[iu], fc_sim[iu], s=2, alpha=0.35, color="C3",
                  label=f"fitted (r = {r1:.2f})")  # fmt: skip
    ax_sc.set_xlabel("empirical FC")
    ax_sc.set_ylabel("simulated FC")
    ax_sc.set_title("region pairs")
    ax_sc.legend(frameon=False, markerscale=4, loc="lower right")
    ax_loss = fig.add_subplot(grid[1, :])
    plot_loss(losses, ax=ax_loss, label="loss  1 - r(FC)")
    ax_loss.set_title("fit progress")
    if title:
        fig.suptitle(title)
    return fig


def save_figure(fig: Any, path: str | os.PathLike, *, force: bool = False, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix); never overwrites unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (CLI: --force) to overwrite it.")
    if not path.parent.exists():
        raise FileNotFoundError(f"directory {path.parent} does not exist; create it first.")
    fig.savefig(path, dpi=dpi)
    return path
