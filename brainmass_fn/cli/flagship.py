r"""The flagship pipeline: fit a delayed Hopf network to empirical resting-state FC.

One run of ``brainmass-fn demo`` (and `run_flagship`):

1. load a shipped connectome (``"gw"``: 80 AAL2 regions, 5 subjects) and average the
   subjects' empirical FC;
2. build a `Network` of Stuart-Landau (`Hopf`) nodes coupled through the structural
   weights with conduction delays ``tau_ij = lengths_ij / speed`` and additive noise;
3. simulate it (fixed-step Heun with the delay history), drive the Balloon-Windkessel
   model with the node activity ``x`` and sample BOLD every ``TR`` = 2 s;
4. compute the simulated FC (Pearson correlation of BOLD, first ``transient``
   dropped) and the loss ``1 - corr(triu FC_sim, triu FC_emp)``;
5. fit the global coupling ``K`` and the conduction speed ``v`` (mm/ms = m/s) by
   gradient descent (optax Adam) on that loss, the gradient taken by reverse-mode
   autodiff through the whole solve.

Regime: the nodes sit below their own bifurcation (``a = -0.01`` 1/ms, relaxation
time 100 ms) and oscillate slowly (``w = 0.001`` rad/ms, 0.16 Hz), so noise drives
fluctuations in the BOLD band and the coupling shapes their correlations. FC takes
structure near the network's instability, ``K lambda_max(C) ~ |a|`` (Deco et al.
2017, Sci. Rep. 7:3095, whose Hopf model this follows in ms units). The noise key is
fixed during the fit (common random numbers), so the loss is a deterministic,
differentiable function of ``(K, v)``.

Speed: the Network uses ``delays="linear"``, where a traced speed moves the fractional
part of every lag (linear interpolation in time) while the integer part is fixed when
the Network is built; beyond that the read extrapolates linearly in time. The fit
can run in ``rounds``: after each round the Network is rebuilt at the current speed,
so every round starts from exact delays (one compilation per round). The reported
initial and final losses are always evaluated on Networks built at those values. In
this slow regime the delays (about 1-25 ms) are short against the BOLD time scale and
the loss depends only weakly on speed (measured at the demo's fitted ``K = 0.0137``:
loss 0.309, 0.308, 0.299, 0.300, 0.300 at 3, 5, 10, 20, 40 m/s, against 0.88 -> 0.30
along ``K``): expect ``K`` to move most and ``v`` to stay near where it starts (see
Cabral et al. 2014, NeuroImage 90:423, for regimes where delays shape FC).

The same pipeline, with another model, other fitted parameters (any node parameter,
``K``, ``speed``) or a gradient-free strategy (nevergrad CMA-ES), is what
``brainmass-fn fit config.toml`` runs (`FlagshipConfig` holds every setting).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._timegrid import whole_multiple
from ..coupling import get_coupling
from ..data import available_connectomes, load_connectome
from ..fit import fit
from ..forward import bold
from ..losses import fc_correlation_loss
from ..metrics import fc
from ..models import available
from ..models import get as get_model
from ..network import Network
from ..noise import AdditiveNoise
from ..params import Param, resolve
from ..simulate import simulate
from . import _flagship_checkpoint as ckpt

__all__ = ["FlagshipConfig", "FlagshipResult", "flagship_network", "flagship_fc", "run_flagship"]


_NETWORK_PARAMS = ("K", "speed")


@dataclasses.dataclass(frozen=True)
class FlagshipConfig:
    """Settings of an FC fit; the defaults are the flagship demo (minutes on 2 CPU cores).

    Attributes:
        connectome: shipped connectome name (``"gw"`` or ``"hcp"``).
        model: node model name (see ``brainmass_fn.models.available()``).
        model_params: fixed node parameters in canonical units (default Hopf
            ``a = -0.01`` 1/ms, ``w = 0.001`` rad/ms).
        K: global coupling (dimensionless); the initial value if fitted.
        speed: conduction speed, mm/ms (= m/s); the initial value if fitted.
        coupling: coupling name (``"linear"``, ``"diffusive"``, ...).
        sigma: additive noise intensity on the input variables, state units/sqrt(ms).
        signal: the state variable that drives the BOLD model.
        duration: simulated time per loss evaluation, s.
        transient: initial stretch dropped before the FC, s.
        dt: integration step, ms.
        tr: BOLD repetition time, ms.
        fit: name -> ``(lower, upper)`` bounds of each fitted parameter: ``"K"``,
            ``"speed"`` or a node parameter (initial values from ``K``, ``speed``,
            ``model_params`` or the model's default).
        strategy: ``"adam"``, ``"sgd"`` (optax, gradient) or a nevergrad optimiser
            name (``"CMA"``, ``"NGOpt"``, ...; gradient-free, one generation per step).
        steps: gradient steps (or generations) in all.
        rounds: rebuilds of the Network at the current speed (>= 1).
        learning_rate: initial optax step on the unconstrained parameters, decayed
            to 5 % over each round by a cosine schedule.
        population: nevergrad candidates per generation (default CMA's rule).
        seed: noise seed (fixed during the fit).
    """

    connectome: str = "gw"
    model: str = "Hopf"
    model_params: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"a": -0.01, "w": 0.001}
    )
    K: float = 0.005
    speed: float = 10.0
    coupling: str = "linear"
    sigma: float = 0.01
    signal: str = "x"
    duration: float = 300.0
    transient: float = 20.0
    dt: float = 10.0
    tr: float = 2000.0
    fit: dict[str, tuple[float, float]] = dataclasses.field(
        default_factory=lambda: {"K": (1e-4, 0.05), "speed": (1.0, 50.0)}
    )
    strategy: str = "adam"
    steps: int = 24
    rounds: int = 1
    learning_rate: float = 0.15
    population: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "duration": self.duration > 0,
            "dt": self.dt > 0,
            "tr": self.tr > 0,
            "K": self.K >= 0,
            "speed": self.speed > 0,
            "steps": isinstance(self.steps, int) and self.steps >= 1,
            "rounds": isinstance(self.rounds, int) and self.rounds >= 1,
            "learning_rate": self.learning_rate > 0,
            "sigma": self.sigma >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}.")
        # the fixed-step run and the BOLD sampling need whole numbers of steps
        whole_multiple(self.duration * 1000.0, self.dt, "duration (in ms)")
        whole_multiple(self.tr, self.dt, "tr")
        if self.rounds > self.steps:
            raise ValueError(f"rounds ({self.rounds}) must not exceed steps ({self.steps}).")
        if not 0 <= self.transient < self.duration:
            raise ValueError(
                f"transient must be in [0, duration) = [0, {self.duration}) s, got "
                f"{self.transient}."
            )
        n_bold = int((self.duration - self.transient) * 1000.0 // self.tr)
        if n_bold < 10:
            raise ValueError(
                f"duration - transient = {self.duration - self.transient} s gives {n_bold} BOLD "
                f"samples at TR = {self.tr} ms; FC needs at least 10: raise the duration."
            )
        if self.connectome.lower() not in available_connectomes():
            raise ValueError(
                f"connectome {self.connectome!r} is not shipped; choose one of "
                f"{available_connectomes()}."
            )
        get_coupling(self.coupling)  # raises naming the choices
        if self.population is not None and not self.population >= 2:
            raise ValueError(f"population must be >= 2 (or None), got {self.population!r}.")
        self.strategy_object()  # an unknown strategy fails now, not after compiling
        cls = get_model(self.model)
        defaults = available()[cls.__name__].defaults
        for name in self.model_params:
            if name not in defaults:
                raise ValueError(
                    f"model_params: {cls.__name__} has no parameter {name!r}; it has "
                    f"{sorted(defaults)}."
                )
        if self.signal not in cls.state_names:
            raise ValueError(
                f"signal {self.signal!r} is not a state variable of {cls.__name__}; choose "
                f"from {cls.state_names}."
            )
        if not self.fit:
            raise ValueError("fit is empty: name at least one parameter to fit, e.g. K.")
        for name, bounds in self.fit.items():
            if name not in _NETWORK_PARAMS and name not in defaults:
                raise ValueError(
                    f"cannot fit {name!r}: choose K, speed or a {cls.__name__} parameter "
                    f"{sorted(defaults)}."
                )
            lo, hi = bounds
            if not lo < self.initial(name) < hi:
                raise ValueError(
                    f"the initial {name} = {self.initial(name)} must lie inside its bounds "
                    f"({lo}, {hi})."
                )

    def initial(self, name: str) -> float:
        """The starting value of parameter ``name``."""
        if name in _NETWORK_PARAMS:
            return float(getattr(self, name))
        if name in self.model_params:
            return float(self.model_params[name])
        return available()[get_model(self.model).__name__].defaults[name]

    def strategy_object(self) -> Any:
        """The `fit` strategy this config names."""
        name = self.strategy
        # a cosine-decayed step per round: large moves first, then settling (FC losses
        # have cliffs near the network's instability that a constant Adam step overshoots)
        per_round = max(self.steps // self.rounds, 1)
        schedule = optax.cosine_decay_schedule(self.learning_rate, per_round, alpha=0.05)
        if name.lower() == "adam":
            return optax.adam(schedule)
        if name.lower() == "sgd":
            return optax.sgd(schedule)
        from ..fit import Nevergrad

        return Nevergrad(name, population=self.population, seed=self.seed)


@dataclasses.dataclass(frozen=True)
class FlagshipResult:
    """What `run_flagship` found.

    Attributes:
        config: the settings.
        values: fitted value of each parameter in ``config.fit`` (canonical units).
        loss_initial, loss: the loss at the start and at the fitted values (both
            evaluated on a Network built at those values, so with exact delays).
        losses: the loss at every step (for nevergrad the best candidate of each
            generation).
        fc_initial, fc_fitted, fc_empirical: ``(N, N)`` FC matrices.
        bold: ``(samples, N)`` simulated BOLD at the fitted values.
        wall_time: seconds, compilation included (this session's, when resumed).
        status: ``"completed"``, or ``"interrupted"`` (Ctrl-C; or another status of
            `fit` that ended it early): then the values are the best after
            ``steps_done`` of ``config.steps`` steps, a partial result.
        steps_done: steps made, counting those of a resumed checkpoint.
    """

    config: FlagshipConfig
    values: dict[str, float]
    loss_initial: float
    loss: float
    losses: np.ndarray
    fc_initial: np.ndarray
    fc_fitted: np.ndarray
    fc_empirical: np.ndarray
    bold: np.ndarray
    wall_time: float
    status: str = "completed"
    steps_done: int = 0

    @property
    def partial(self) -> bool:
        """True when the fit stopped early (Ctrl-C): the values are the best so far."""
        return self.status != "completed"

    @property
    def fc_correlation(self) -> float:
        """Pearson correlation of the fitted and empirical FC upper triangles."""
        return 1.0 - self.loss

    def summary(self) -> list[tuple[str, str, str, str]]:
        """Rows ``(quantity, initial, fitted, unit)`` for the summary table."""
        c = self.config
        units = available()[get_model(c.model).__name__].units
        units.update({"K": "1", "speed": "mm/ms (= m/s)"})
        rows = [
            (name, f"{c.initial(name):.4g}", f"{value:.4g}", units.get(name, ""))
            for name, value in self.values.items()
        ]
        rows += [
            ("loss 1 - r(FC)", f"{self.loss_initial:.4f}", f"{self.loss:.4f}", "1"),
            ("r(FC_sim, FC_emp)", f"{1 - self.loss_initial:.4f}", f"{1 - self.loss:.4f}", "1"),
        ]
        if self.partial:
            rows.append(
                ("status", "-", f"{self.status}: partial, {self.steps_done} of {c.steps} steps", "")
            )
        return rows


def flagship_network(
    config: FlagshipConfig,
    weights: np.ndarray,
    lengths: np.ndarray,
    values: dict[str, float] | None = None,
    *,
    fitted: bool = False,
) -> Network:
    """The config's network at ``values`` (default the initial ones).

    With ``fitted``, the parameters named in ``config.fit`` are `Param`s within their
    bounds (what `fit` updates); otherwise all are plain numbers.
    """
    values = {} if values is None else values

    def value(name: str) -> Any:
        v = values.get(name, config.initial(name))
        if fitted and name in config.fit:
            return Param(v, *config.fit[name])
        return v

    cls = get_model(config.model)
    node_names = set(config.model_params) | (set(config.fit) - set(_NETWORK_PARAMS))
    node = cls(**{name: value(name) for name in sorted(node_names)})
    return Network(
        node,
        weights,
        lengths,
        value("speed"),
        K=value("K"),
        coupling=config.coupling,
        noise=AdditiveNoise(sigma=config.sigma) if config.sigma > 0 else None,  # pyright: ignore[reportArgumentType]
        delays="linear",
    )


def flagship_fc(
    network: Network, config: FlagshipConfig, key: Array
) -> tuple[Float[Array, " nodes nodes"], Float[Array, " samples nodes"]]:
    """Simulated FC and BOLD of ``network`` (its `Param`s resolved); pure, jittable."""
    traj = simulate(resolve(network), config.duration * 1000.0, config.dt, solver="heun", key=key)
    signal = bold(traj[config.signal], config.dt, config.tr)
    assert not isinstance(signal, tuple)  # no return_state
    signal = signal[int(round(config.transient * 1000.0 / config.tr)) :]
    return fc(signal), signal


def _step_losses(config: FlagshipConfig, result: Any) -> list[float]:
    """The loss of each step of a `fit` result: its one value (optax) or the best of
    its generation (nevergrad), as the ``callback`` saw them."""
    losses = np.asarray(result.losses, dtype=float)
    if result.steps == 0:
        return []
    if config.strategy.lower() in ("adam", "sgd"):
        return losses[: result.steps].tolist()  # then the final iterate, if finished
    group = len(losses) // result.steps  # nevergrad: a population per generation
    return losses[: result.steps * group].reshape(result.steps, group).min(axis=1).tolist()


def _offset_reporter(
    on_step: Callable[[int, float], None] | None, before: int
) -> Callable[[int, float, float], None]:
    """A fit callback that reports each step to ``on_step``, counted from ``before``."""

    def report_step(step: int, value: float, best: float) -> None:
        if on_step is not None:
            on_step(before + step, float(value))

    return report_step


def run_flagship(
    config: FlagshipConfig | None = None,
    *,
    progress: bool = True,
    on_step: Callable[[int, float], None] | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 1,
    resume: bool = False,
) -> FlagshipResult:
    """Fit the parameters in ``config.fit`` to the connectome's group-mean empirical FC.

    Args:
        config: the settings (default `FlagshipConfig()`, the demo).
        progress: show the fit's progress bars.
        on_step: called as ``on_step(step, loss)`` after every step (``step`` counts
            from 1, including the steps of a resumed checkpoint).
        checkpoint: a file for the run's progress (JSON); the search state goes to
            ``checkpoint.round<i>``, saved every ``checkpoint_every`` steps, on Ctrl-C
            and at the end (see `brainmass_fn.cli._flagship_checkpoint`); None saves
            nothing.
        checkpoint_every: steps between saves.
        resume: continue from ``checkpoint`` if it holds progress of this config (a
            fresh start if it holds none yet); the resumed run makes the same steps as
            an uninterrupted one and ends at the same values.

    Ctrl-C during the steps stops the fit and returns the best values so far with
    ``status="interrupted"``; Ctrl-C before the first step (while compiling) or during
    the final evaluation raises ``KeyboardInterrupt``.
    """
    config = FlagshipConfig() if config is None else config
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=<path> to resume from.")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}.")
    state = None
    if resume and checkpoint is not None:
        state = ckpt.load_state(checkpoint, config)  # fails before any work
    start = time.perf_counter()
    data = load_connectome(config.connectome)
    fc_emp = jnp.asarray(data.fc.mean(axis=0), dtype=jnp.result_type(float))
    key = jax.random.key(config.seed)

    @eqx.filter_jit
    def evaluate(network: Network) -> tuple[Array, Array, Array]:
        fc_sim, signal = flagship_fc(network, config, key)
        return fc_correlation_loss(fc_sim, fc_emp), fc_sim, signal

    def loss(network: Network) -> Array:
        return evaluate(network)[0]

    values = {name: config.initial(name) for name in config.fit}
    loss0, fc0, _ = evaluate(flagship_network(config, data.weights, data.lengths))
    losses: list[float] = []
    first_round = 0
    if state is not None:
        first_round, values, losses = state.rounds_done, dict(state.values), list(state.losses)

    per_round = [config.steps // config.rounds] * config.rounds
    per_round[-1] += config.steps - sum(per_round)
    status, steps_done = "completed", sum(per_round[:first_round])
    for i in range(first_round, config.rounds):
        n = per_round[i]
        path = None
        resume_round = False
        if checkpoint is not None:
            ckpt.save_state(
                checkpoint, ckpt.FlagshipState(ckpt.config_fields(config), i, values, losses)
            )
            path = ckpt.round_path(checkpoint, i)
            resume_round = state is not None and i == first_round and path.exists()
            if not resume_round:  # never continue a search state left by another run
                path.unlink(missing_ok=True)
                Path(f"{path}.json").unlink(missing_ok=True)
        report_step = _offset_reporter(on_step, len(losses))

        network = flagship_network(config, data.weights, data.lengths, values, fitted=True)
        result = fit(
            loss,
            network,
            config.strategy_object(),
            steps=n,
            progress=progress,
            checkpoint=path,
            checkpoint_every=checkpoint_every,
            resume=resume_round,
            callback=report_step,
        )
        losses = losses + _step_losses(config, result)
        steps_done = sum(per_round[:i]) + result.steps
        fitted = {k.removeprefix("node."): float(v) for k, v in result.values.items()}
        values = {name: fitted[name] for name in config.fit}  # in the config's order
        if result.status not in ("completed", "converged"):  # Ctrl-C (or a failed
            status = result.status  # fit): keep the best so far and stop
            break
    else:
        if checkpoint is not None:
            ckpt.save_state(
                checkpoint,
                ckpt.FlagshipState(ckpt.config_fields(config), config.rounds, values, losses),
            )
    loss1, fc1, signal = evaluate(flagship_network(config, data.weights, data.lengths, values))
    return FlagshipResult(
        config=config,
        values=values,
        loss_initial=float(loss0),
        loss=float(loss1),
        losses=np.asarray(losses),
        fc_initial=np.asarray(fc0),
        fc_fitted=np.asarray(fc1),
        fc_empirical=np.asarray(fc_emp),
        bold=np.asarray(signal),
        wall_time=time.perf_counter() - start,
        status=status,
        steps_done=steps_done,
    )
