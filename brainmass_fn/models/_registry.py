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
        if f.name in units and f.default is not dataclasses.MISSING
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
    lines += _pipeline_sections()
    return "\n".join(lines) + "\n"


#: the other pieces of a simulation pipeline: (dotted path, what it maps, checked by)
_PIPELINE: dict[str, list[tuple[str, str, str]]] = {
    "Forward models": [
        (
            "forward.bold.BalloonWindkessel",
            "neural drive -> BOLD (ODE)",
            "neurolib 0.6.2 and TVB trajectories (tests/test_bold.py)",
        ),
        ("forward.hrf.GammaHRF", "drive -> BOLD (kernel)", "TVB `Gamma` (tests/test_hrf.py)"),
        (
            "forward.hrf.DoubleGammaHRF",
            "drive -> BOLD (kernel)",
            "SPM12 `spm_hrf` formula, TVB `MixtureOfGammas`",
        ),
        ("forward.hrf.DoubleExponentialHRF", "drive -> BOLD (kernel)", "TVB `DoubleExponential`"),
        ("forward.hrf.VolterraHRF", "drive -> BOLD (kernel)", "TVB `FirstOrderVolterra`"),
        (
            "forward.eeg.eeg_lead_field",
            "region dipoles -> EEG (V per A m)",
            "Legendre series of the sphere, reciprocity (tests/test_eeg.py)",
        ),
        (
            "forward.eeg.meg_lead_field",
            "region dipoles -> MEG (T per A m)",
            "radial dipole silent, curl-free field (tests/test_eeg.py)",
        ),
        ("forward.eeg.load_gain", "a user's gain matrix (array or file)", "shape checks"),
        (
            "forward.monitors.temporal_average",
            "sub-sampling by block means",
            "block means, sinc gain of a sine (tests/test_monitors.py)",
        ),
    ],
    "Stimuli, rest states and evoked responses": [
        ("stimulus.Pulse", "rectangular pulse", "timing to the sample (tests/test_stimulus.py)"),
        ("stimulus.PulseTrain", "periodic pulses", "tests/test_stimulus.py"),
        ("stimulus.Biphasic", "TMS-like biphasic pulse", "tests/test_stimulus.py"),
        ("stimulus.Sinusoid", "sine wave", "tests/test_stimulus.py"),
        ("stimulus.Ramp", "linear ramp", "tests/test_stimulus.py"),
        ("stimulus.Sampled", "a waveform on a time grid", "tests/test_stimulus.py"),
        (
            "fixed_point.fixed_point",
            "rest state (Newton, implicit gradient)",
            "linear solve, long runs (tests/test_fixed_point.py)",
        ),
        (
            "evoked.evoked_response",
            "stimulus -> baseline-corrected sensor response",
            "analytic linear response (tests/test_evoked.py)",
        ),
        (
            "control.control",
            "optimal control of an input",
            "neurolib's optimal control, "
            "a closed-form linear-quadratic optimum (tests/test_control*.py)",
        ),
    ],
}


def _first_line(obj: object) -> str:
    """The docstring's first sentence (up to ". " or a closing ":")."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    paragraph = " ".join(doc.split("\n\n")[0].split())
    end = paragraph.find(". ")
    sentence = paragraph if end < 0 else paragraph[: end + 1]
    return sentence.rstrip(":").rstrip(",") + ("" if sentence.endswith(".") else ".")


def _pipeline_sections() -> list[str]:
    import importlib

    lines = [
        "",
        "## Forward models, stimuli and evoked responses",
        "",
        "What turns a simulation into something measured, and what drives it. Each is a",
        "pure function or an `equinox.Module` of differentiable parameters.",
    ]
    for title, rows in _PIPELINE.items():
        lines += ["", f"### {title}", "", "| name | maps | checked against | summary |"]
        lines += ["| --- | --- | --- | --- |"]
        for path, maps, checked in rows:
            module_name, _, attr = path.rpartition(".")
            obj = getattr(importlib.import_module(f"brainmass_fn.{module_name}"), attr)
            lines.append(f"| `{path}` | {maps} | {checked} | {_first_line(obj)} |")
    return lines


if __name__ == "__main__":
    print(model_table(), end="")
