"""Benchmark: HRF-kernel BOLD (direct and FFT convolution) vs the Balloon-Windkessel model.

Workload: one 80-region drive (smoothed Gaussian noise, a positive firing-rate-like
signal, seed 0) of ``--seconds`` s (default 120) at ``dt`` = 1, 10 and 100 ms, BOLD at
TR = 2 s. Rows: the Balloon-Windkessel `bold` (Euler, Friston 2000 constants), and
`hrf_bold` with SPM's canonical double-gamma kernel (32 s) by direct and by FFT
convolution. Columns: the warm forward time, the warm time of the gradient of
``sum(BOLD**2)`` with respect to the drive and the kernel (hemodynamic) parameters,
both the median of ``--repeats`` jitted calls after a first (compiling) one; for the
HRF rows the largest difference between the direct and FFT BOLD (float64); and the
mean over regions of the Pearson correlation between that BOLD and the Balloon BOLD
(different models: a measure of how alike they are, not an error).

Times depend on the machine and its load; run it on an otherwise idle one.

    python benchmarks/bench_hrf.py [--seconds 120] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import brainmass_fn as bm
from brainmass_fn.forward import BalloonWindkessel, DoubleGammaHRF, bold, hrf_bold

jax.config.update("jax_enable_x64", True)

N_REGIONS, TR = 80, 2000.0
DTS = (1.0, 10.0, 100.0)


def drive_for(seconds: float, dt: float) -> jnp.ndarray:
    """The same 80-region drive sampled at ``dt``: 1 ms noise smoothed over 200 ms,
    averaged to ``dt``, shifted positive (mean 1)."""
    rng = np.random.default_rng(0)
    n_fine = int(seconds * 1000)
    fine = rng.normal(size=(n_fine, N_REGIONS))
    kernel = np.exp(-np.arange(1000) / 200.0)
    spec = np.fft.rfft(fine, 2 * n_fine, axis=0) * np.fft.rfft(kernel, 2 * n_fine)[:, None]
    smooth = np.fft.irfft(spec, 2 * n_fine, axis=0)[:n_fine]
    smooth = 1.0 + 0.5 * smooth / smooth.std()
    step = int(round(dt))
    return jnp.asarray(smooth.reshape(-1, step, N_REGIONS).mean(axis=1))


def timed(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
    return 1000.0 * statistics.median(times)


def pearson_mean(a: np.ndarray, b: np.ndarray) -> float:
    a = (a - a.mean(0)) / a.std(0)
    b = (b - b.mean(0)) / b.std(0)
    return float(np.mean(np.mean(a * b, axis=0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    platform = jax.devices()[0].platform
    print(f"jax {jax.__version__} on {platform}, float64, load {os.getloadavg()[0]:.1f}")
    print(f"{N_REGIONS} regions, {args.seconds:g} s of drive, TR {TR:g} ms\n")
    header = (
        f"{'model':<22}{'dt ms':>7}{'samples':>9}{'taps':>7}{'forward ms':>12}"
        f"{'gradient ms':>13}{'|direct-fft|':>14}{'r vs Balloon':>14}"
    )
    print(header)
    print("-" * len(header))
    hemo, hrf = BalloonWindkessel(), DoubleGammaHRF()
    for dt in DTS:
        drive = drive_for(args.seconds, dt)
        n = drive.shape[0]

        def balloon(z, h, dt=dt):
            return bold(z, dt, TR, hemodynamics=h)

        def kernel_bold(z, h, method, dt=dt):
            return hrf_bold(z, dt, TR, hrf=h, method=method)

        fwd = jax.jit(balloon)
        grad = jax.jit(jax.grad(lambda z, h: jnp.sum(balloon(z, h) ** 2), argnums=(0, 1)))
        ref = np.asarray(fwd(drive, hemo))
        print(
            f"{'Balloon-Windkessel':<22}{dt:>7g}{n:>9}{'-':>7}"
            f"{timed(fwd, drive, hemo, repeats=args.repeats):>12.1f}"
            f"{timed(grad, drive, hemo, repeats=args.repeats):>13.1f}{'-':>14}{'-':>14}"
        )
        outs = {}
        for method in ("direct", "fft"):
            taps = int(32_000 // dt) + 1
            if method == "direct" and n * min(taps, n) * N_REGIONS > 5e10:
                name = "HRF double-gamma " + method
                print(f"{name:<22}{dt:>7g}{n:>9}{taps:>7}  (skipped: T x K too large)")
                continue
            fwd = jax.jit(lambda z, h, m=method: kernel_bold(z, h, m))
            grad = jax.jit(
                jax.grad(lambda z, h, m=method: jnp.sum(kernel_bold(z, h, m) ** 2), argnums=(0, 1))
            )
            outs[method] = np.asarray(fwd(drive, hrf))
            diff = (
                f"{np.max(np.abs(outs['direct'] - outs['fft'])):>14.1e}"
                if len(outs) == 2
                else f"{'-':>14}"
            )
            print(
                f"{'HRF double-gamma ' + method:<22}{dt:>7g}{n:>9}{taps:>7}"
                f"{timed(fwd, drive, hrf, repeats=args.repeats):>12.1f}"
                f"{timed(grad, drive, hrf, repeats=args.repeats):>13.1f}{diff}"
                f"{pearson_mean(outs[method], ref):>14.3f}"
            )
    print(f"\nbrainmass_fn {bm.__version__}")


if __name__ == "__main__":
    main()
