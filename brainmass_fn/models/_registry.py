"""The model zoo's listing: every node model with its variables, parameters and units.

``available()`` returns one `ModelInfo` per model; ``model_table()`` renders them
as the Markdown of ``docs/models.md`` (regenerate it with
``python -m brainmass_fn.models._registry > docs/models.md``).
"""

from __future__ import annotations

import dataclasses
import inspect

from ._base import AbstractNeuralMass
from .coombes_byrne import CoombesByrne
from .fitzhugh_nagumo import FitzHughNagumo
from .generic_2d import Generic2dOscillator
from .hopf import Hopf
from .jansen_rit import JansenRit
from .kuramoto import Kuramoto
from .larter_breakspear import LarterBreakspear
from .linear import Linear
from .montbrio import MontbrioPazoRoxin
from .threshold_linear import ThresholdLinear
from .wilson_cowan import WilsonCowan
from .wong_wang import ReducedWongWang, WongWangDeco

__all__ = [
    "CROSS_CHECKS",
    "ModelInfo",
    "ParameterInfo",
    "MODELS",
    "available",
    "get",
    "model_table",
]

#: every node model of the zoo, in the order they are listed
MODELS: tuple[type[AbstractNeuralMass], ...] = (
    Hopf,
    WilsonCowan,
    MontbrioPazoRoxin,
    CoombesByrne,
    JansenRit,
    ReducedWongWang,
    WongWangDeco,
    FitzHughNagumo,
    Kuramoto,
    LarterBreakspear,
    Generic2dOscillator,
    Linear,
    ThresholdLinear,
)


#: independent implementations each model is checked against (tests/test_zoo_*.py),
#: and the peers' conventions where they differ from ours
CROSS_CHECKS: dict[str, str] = {
    "Hopf": "neurolib 0.6.2 `HopfModel` (Euler) and TVB 2.10 `SupHopf` (Heun, vector "
    "field); closed-form radius and Jacobian. TVB couples both x and y (cvar x, y), "
    "neurolib only x; our input rows reach both, `coupled_names` is x.",
    "WilsonCowan": "neurolib 0.6.2 `WCModel` (Euler); hand-derived Jacobian, saturation "
    "limits. TVB's `WilsonCowan` is a different parametrisation (not compared).",
    "MontbrioPazoRoxin": "TVB 2.10 `MontbrioPazoRoxin` (Heun, vector field); closed-form "
    "fixed point at J = 0. TVB adds its coupling (cr c_r + cv c_V) to dV/dt only: "
    "our v input row, where a `Network` puts the coupling of r by default; a network "
    "run matches a TVB-convention Euler reference.",
    "CoombesByrne": "TVB 2.10 `CoombesByrne` (Heun, vector field); reduction to the "
    "J = 0 QIF fixed point and alpha-synapse eigenvalues at kappa = 0. TVB adds the "
    "coupling of r to dV/dt, as a `Network` does by default.",
    "JansenRit": "TVB 2.10 `JansenRit` (Heun, vector field); closed-form PSP kernels, "
    "fixed-point equations. Jansen & Rit (1995) use seconds; TVB and we use ms. A "
    "`Network` couples S(y1 - y2) of the sources into y4 by default (TVB's "
    "`SigmoidalJansenRit`); a 3-node network matches a TVB-convention Euler run.",
    "ReducedWongWang": "TVB 2.10 `ReducedWongWang` (Heun, vector field); fixed-point "
    "relation, transfer function's removable singularity.",
    "WongWangDeco": "TVB 2.10 `ReducedWongWangExcInh` (Heun, vector field; TVB uses Hz "
    "and s inside H) and neurolib 0.6.2 `WWModel` (Euler; neurolib integrates S_I with "
    "tau_exc, a bug in its ww/timeIntegration.py); fixed-point relations.",
    "FitzHughNagumo": "neurolib 0.6.2 `FHNModel` (Euler); Hopf points in closed form.",
    "Kuramoto": "TVB 2.10 `Kuramoto` (Heun, vector field); uniform rotation, two-node "
    "locking phase, conserved mean phase.",
    "LarterBreakspear": "TVB 2.10 `LarterBreakspear` (Heun, vector field); resting-state "
    "relations for d_V < 0.55.",
    "Generic2dOscillator": "TVB 2.10 `Generic2dOscillator` (Heun, vector field); fixed "
    "point as the nullcline cubic's root, hand-derived Jacobian.",
    "Linear": "TVB 2.10 `Linear` (Heun, vector field); closed-form solution.",
    "ThresholdLinear": "no peer has it: SciPy `solve_ivp` (DOP853) on an independent "
    "NumPy right-hand side; closed-form solutions in both regimes.",
}


@dataclasses.dataclass(frozen=True)
class ParameterInfo:
    """One parameter: its default value and canonical unit."""

    name: str
    default: float
    unit: str


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What a user needs to pick a model: its class, variables and parameters."""

    name: str
    cls: type[AbstractNeuralMass]
    summary: str
    state_names: tuple[str, ...]
    input_names: tuple[str, ...]
    coupled_names: tuple[str, ...]
    coupling_targets: tuple[str, ...]
    parameters: tuple[ParameterInfo, ...]
    cross_checks: str = ""

    @property
    def defaults(self) -> dict[str, float]:
        """Default value of each parameter, in its canonical unit."""
        return {p.name: p.default for p in self.parameters}

    @property
    def units(self) -> dict[str, str]:
        """Canonical unit of each parameter."""
        return {p.name: p.unit for p in self.parameters}


def _targets(cls: type[AbstractNeuralMass]) -> tuple[str, ...]:
    """``coupling_targets`` read from the class (a ClassVar, or the default property);
    empty when they are not input variables (no default `Network` coupling)."""
    targets = cls.coupling_targets
    targets = tuple(targets) if isinstance(targets, tuple) else tuple(cls.coupled_names)
    return targets if set(targets) <= set(cls.input_names) else ()


def _info(cls: type[AbstractNeuralMass]) -> ModelInfo:
    units = cls.parameter_units()
    params = tuple(
        ParameterInfo(f.name, float(f.default), units[f.name])
        for f in dataclasses.fields(cls)
        if f.name in units
    )
    doc = inspect.getdoc(cls) or ""
    return ModelInfo(
        name=cls.__name__,
        cls=cls,
        summary=doc.splitlines()[0] if doc else "",
        state_names=tuple(cls.state_names),
        input_names=tuple(cls.input_names),
        coupled_names=tuple(cls.coupled_names),
        coupling_targets=_targets(cls),
        parameters=params,
        cross_checks=CROSS_CHECKS.get(cls.__name__, ""),
    )


def available() -> dict[str, ModelInfo]:
    """All node models by class name, e.g. ``available()["JansenRit"].defaults``."""
    return {cls.__name__: _info(cls) for cls in MODELS}


def get(name: str) -> type[AbstractNeuralMass]:
    """The model class called ``name`` (case-insensitive)."""
    table = {cls.__name__.lower(): cls for cls in MODELS}
    try:
        return table[name.lower()]
    except KeyError:
        raise ValueError(
            f"No model called {name!r}; available models are "
            f"{sorted(cls.__name__ for cls in MODELS)}."
        ) from None


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def model_table() -> str:
    """Markdown listing of every model (the text of ``docs/models.md``)."""
    lines = [
        "# Model zoo",
        "",
        "Generated from `brainmass_fn.models.available()` by",
        "`python -m brainmass_fn.models._registry > docs/models.md`; do not edit by hand.",
        "Each model's docstring gives its equations, references and the mapping to",
        "TVB / neurolib conventions. Canonical units: time ms, rates 1/ms.",
        "",
        "Every model is cross-checked (tests/test_zoo_*.py) against stored reference",
        "traces of an independent implementation (tests/data/zoo_*.npz, made by",
        "tests/data/make_zoo_*.py): in float64, with the peer's integrator and step",
        "(Heun or Euler, dt = 0.1 ms), trajectories of 1 s agree to < 1e-6 relative,",
        "and TVB's vector fields at random states and inputs to ~1e-12.",
        "",
        "| model | state | input into | coupled through | coupling into | summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    infos = available()
    for info in infos.values():
        lines.append(
            f"| `{info.name}` | {', '.join(info.state_names)} | "
            f"{', '.join(info.input_names)} | {', '.join(info.coupled_names)} | "
            f"{', '.join(info.coupling_targets) or 'none'} | {info.summary} |"
        )
    for info in infos.values():
        lines += ["", f"## {info.name}", "", info.summary, ""]
        lines += [
            f"State: {', '.join(info.state_names)}; input into "
            f"{', '.join(info.input_names)}; coupled through "
            f"{', '.join(info.coupled_names)}"
            + (
                f", into {', '.join(info.coupling_targets)} (a `Network`'s default)."
                if info.coupling_targets
                else "; a `Network` has no default coupling target (see below)."
            ),
            "",
        ]
        if info.cross_checks:
            lines += [f"Checked against: {info.cross_checks}", ""]
        lines += ["| parameter | default | unit |", "| --- | --- | --- |"]
        lines += [f"| `{p.name}` | {_fmt(p.default)} | {p.unit} |" for p in info.parameters]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(model_table(), end="")
