"""The schema of ``brainmass-fn fit`` TOML files, declared once and checked key by key.

Every key a config may hold is a `Field` in `SCHEMA`, with its type, its range, an
example and the `FlagshipConfig` attribute it sets. `read_fit_config` checks a parsed
file against it and raises `ConfigError` naming the key, its line, what was expected
and what was found, e.g. ``c.toml, line 9: fit.steps must be an integer >= 1, got a
string ('ten'); e.g. steps = 24.`` Checks that involve several keys (a transient
shorter than the duration, initial values inside their bounds) are `FlagshipConfig`'s.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "Field", "SCHEMA", "FIGURE_SUFFIXES", "read_fit_config"]

#: file types the figure may be written as
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


class ConfigError(ValueError):
    """A config file that does not follow `SCHEMA`; the message names key and line."""


def describe(value: Any) -> str:
    """``value`` as the TOML type a reader recognises: ``"a string ('ten')"``."""
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), f"a {type(value).__name__}")
    if isinstance(value, dict):
        return kind
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class Field:
    """One key: ``read(value)`` returns the checked value or raises ValueError with
    the expectation (``"an integer >= 1"``); ``target`` is the `FlagshipConfig`
    attribute (or output name) it sets."""

    target: str
    expected: str
    example: str
    read: Callable[[Any], Any]


def _range(lo: float | None, hi: float | None, strict: bool) -> Callable[[float], bool]:
    def ok(x: float) -> bool:
        above = lo is None or (x > lo if strict else x >= lo)
        return above and (hi is None or x <= hi)

    return ok


def _bound_text(lo: float | None, hi: float | None, strict: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if strict else '>='} {lo}")
    if hi is not None:
        parts.append(f"<= {hi}")
    return " " + " and ".join(parts) if parts else ""


def integer(target: str, example: str, lo: int | None = None, hi: int | None = None) -> Field:
    """An integer in ``[lo, hi]`` (TOML ``24``; not ``24.0``, not ``true``)."""
    inside = _range(lo, hi, False)

    def read(value: Any) -> int:
        if not (isinstance(value, int) and not isinstance(value, bool) and inside(value)):
            raise ValueError
        return value

    return Field(target, "an integer" + _bound_text(lo, hi, False), example, read)


def number(target: str, example: str, lo: float | None = None, *, strict: bool = False) -> Field:
    """A finite number ``>= lo`` (``> lo`` when ``strict``)."""
    inside = _range(lo, None, strict)

    def read(value: Any) -> float:
        if not (_is_number(value) and math.isfinite(value) and inside(value)):
            raise ValueError
        return float(value)

    return Field(target, "a finite number" + _bound_text(lo, None, strict), example, read)


def quantity(target: str, unit: str, example: str, lo: float = 0, strict: bool = True) -> Field:
    """A number in ``unit`` or a string with units (``"300 s"``), converted to ``unit``."""
    inside = _range(lo, None, strict)

    def read(value: Any) -> float:
        if _is_number(value):
            out = float(value)
        elif isinstance(value, str):
            from ..units import ureg

            try:
                out = float(ureg.Quantity(value).to(unit).magnitude)
            except Exception:  # pint raises several types
                raise ValueError from None
        else:
            raise ValueError
        if not (math.isfinite(out) and inside(out)):
            raise ValueError
        return out

    expected = (
        f"a number in {unit} or a string with units, finite and" + _bound_text(lo, None, strict)
    )
    return Field(target, expected, example, read)


def text(target: str, example: str, check: Callable[[str], Any] | None = None) -> Field:
    """A string; ``check(value)`` may raise ValueError with a message of its own."""

    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError
        if check is not None:
            check(value)  # its ValueError carries its own message
        return value

    return Field(target, "a string", example, read)


def path(target: str, example: str, suffixes: tuple[str, ...]) -> Field:
    """A file name ending in one of ``suffixes``."""

    def read(value: Any) -> Path:
        if not (isinstance(value, str) and value.strip()):
            raise ValueError
        if Path(value).suffix.lower() not in suffixes:
            raise ValueError
        return Path(value)

    return Field(target, f"a file name ending in {' or '.join(suffixes)}", example, read)


def numbers_table(target: str, example: str) -> Field:
    """A table of name -> finite number (fixed node parameters)."""

    def read(value: Any) -> dict[str, float]:
        if not isinstance(value, dict):
            raise ValueError
        out = {}
        for name, v in value.items():
            if not (_is_number(v) and math.isfinite(v)):
                raise ValueError(
                    f"{name} must be a finite number, got {describe(v)}; e.g. {name} = -0.01"
                )
            out[name] = float(v)
        return out

    return Field(target, "a table of name = number", example, read)


def bounds_table(target: str, example: str) -> Field:
    """A table of name -> ``[lower, upper]``, finite numbers with lower < upper."""

    def read(value: Any) -> dict[str, tuple[float, float]]:
        if not isinstance(value, dict):
            raise ValueError
        out = {}
        for name, b in value.items():
            ok = isinstance(b, list) and len(b) == 2 and all(_is_number(x) for x in b)
            if not (ok and all(math.isfinite(x) for x in b) and b[0] < b[1]):
                raise ValueError(
                    f"{name} must be [lower, upper], two finite numbers with lower < upper, "
                    f"got {describe(b)}; e.g. {name} = [0.0, 1.0]"
                )
            out[name] = (float(b[0]), float(b[1]))
        return out

    return Field(target, "a table of name = [lower, upper]", example, read)


def _connectome(name: str) -> None:
    from ..data import available_connectomes

    if name.lower() not in available_connectomes():
        raise ValueError(f"choose a shipped connectome {list(available_connectomes())}")


def _model(name: str) -> None:
    from ..models import get

    get(name)


def _coupling(name: str) -> None:
    from ..coupling import get_coupling

    get_coupling(name)


def _strategy(name: str) -> None:
    if name.lower() in ("adam", "sgd"):
        return
    from ..fit import Nevergrad

    try:
        Nevergrad(name)
    except ValueError as err:
        reason = str(err).rstrip(".")
        raise ValueError(
            f"{name!r} is neither 'adam', 'sgd' nor a nevergrad optimiser ({reason})"
        ) from None


#: section (() = top level) -> key -> Field
SCHEMA: dict[tuple[str, ...], dict[str, Field]] = {
    (): {"connectome": text("connectome", 'connectome = "gw"', _connectome)},
    ("model",): {
        "name": text("model", 'name = "Hopf"', _model),
        "params": numbers_table("model_params", "params = { a = -0.01, w = 0.001 }"),
    },
    ("network",): {
        "K": number("K", "K = 0.005", 0),
        "speed": quantity("speed", "mm/ms", 'speed = "10 m/s"'),
        "coupling": text("coupling", 'coupling = "linear"', _coupling),
        "noise": number("sigma", "noise = 0.01", 0),
    },
    ("simulation",): {
        "duration": quantity("duration", "s", 'duration = "300 s"'),
        "transient": quantity("transient", "s", 'transient = "20 s"', strict=False),
        "dt": quantity("dt", "ms", 'dt = "10 ms"'),
        "tr": quantity("tr", "ms", 'tr = "2 s"'),
        "signal": text("signal", 'signal = "x"'),
        "seed": integer("seed", "seed = 0", 0, 2**32 - 1),
    },
    ("fit",): {
        "strategy": text("strategy", 'strategy = "adam"', _strategy),
        "steps": integer("steps", "steps = 24", 1),
        "learning_rate": number("learning_rate", "learning_rate = 0.15", 0, strict=True),
        "rounds": integer("rounds", "rounds = 1", 1),
        "population": integer("population", "population = 8", 2),
        "params": bounds_table("fit", "[fit.params] K = [1e-4, 0.05]"),
    },
    ("output",): {
        "results": path("results", 'results = "fit.npz"', (".npz",)),
        "figure": path("figure", 'figure = "fit.png"', FIGURE_SUFFIXES),
    },
}

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\" ]+?)\s*=")


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in dotted.split("."))


def line_of(source: str, key: tuple[str, ...]) -> int | None:
    """The line (1-based) that sets ``key`` (e.g. ``("fit", "steps")``), or of the
    nearest enclosing key or table (an inline table, a ``[section]`` header)."""
    best, best_len = None, 0
    header: tuple[str, ...] = ()
    for number_, line in enumerate(source.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            header = _split(match.group(1))
            full = header
        else:
            match = _KEY.match(line)
            if not match:
                continue
            full = header + _split(match.group(1))
        if full == key:
            return number_
        if key[: len(full)] == full and len(full) > best_len:
            best, best_len = number_, len(full)
    return best


def read_fit_config(path: str | Path) -> tuple[dict[str, Any], dict[str, Path | None]]:
    """Check a fit config against `SCHEMA`: ``(FlagshipConfig kwargs, outputs)``.

    Raises:
        ConfigError: the file is missing, not TOML, or breaks the schema; the message
            names the file, the line, the key, the expected type and the value found.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} not found.")
    source = path.read_text()
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err}).") from None

    def fail(key: tuple[str, ...], message: str) -> ConfigError:
        line = line_of(source, key)
        where = f"{path}, line {line}" if line is not None else str(path)
        return ConfigError(f"{where}: {message}")

    sections = sorted(f"[{s[0]}]" for s in SCHEMA if s)
    kwargs: dict[str, Any] = {}
    outputs: dict[str, Path | None] = {"results": None, "figure": None}
    for key, value in raw.items():
        if (key,) in SCHEMA:
            if not isinstance(value, dict):
                raise fail((key,), f"[{key}] must be a table, got {describe(value)}.")
            section, table = (key,), value
        elif key in SCHEMA[()]:
            section, table = (), {key: value}
        else:
            raise fail(
                (key,),
                f"unknown key {key!r} at the top level; allowed: "
                f"{sorted(SCHEMA[()])} and the tables {', '.join(sections)}.",
            )
        fields = SCHEMA[section]
        unknown = [k for k in table if k not in fields]
        if unknown:
            raise fail(
                section + (unknown[0],),
                f"unknown key(s) {unknown} in [{'.'.join(section)}]; allowed: {sorted(fields)}.",
            )
        for name, value_ in table.items():
            field = fields[name]
            dotted = ".".join(section + (name,))
            try:
                checked = field.read(value_)
            except ValueError as err:
                if not str(err):  # the value's type or range
                    raise fail(
                        section + (name,),
                        f"{dotted} must be {field.expected}, got {describe(value_)}; e.g. "
                        f"{field.example}.",
                    ) from None
                # an entry of a table (its name leads the message) or a named check
                entry = str(err).split(" ", 1)[0] if isinstance(value_, dict) else None
                at = section + (name,) + ((entry,) if entry is not None and entry in value_ else ())
                raise fail(at, f"{dotted}: {str(err).rstrip('.')}.") from None
            if section == ("output",):
                outputs[field.target] = checked
            else:
                kwargs[field.target] = checked
    _check_against_model(kwargs, fail)
    if outputs["results"] is None and outputs["figure"] is None:
        raise fail(("output",), "[output] needs results = '....npz' and/or figure = '....png'.")
    return kwargs, outputs


def _check_against_model(kwargs: dict[str, Any], fail: Callable[..., ConfigError]) -> None:
    """Node parameter names in [model.params], [fit.params] and the BOLD signal."""
    from ..models import available
    from ..models import get as get_model
    from .flagship import FlagshipConfig

    defaults = dataclasses.asdict(FlagshipConfig())
    cls = get_model(kwargs.get("model", defaults["model"]))
    info = available()[cls.__name__]
    if cls is not get_model(defaults["model"]):
        # the default fixed parameters are the demo's Hopf regime, not this model's
        kwargs.setdefault("model_params", {})
    for name in kwargs.get("model_params", {}):
        if name not in info.defaults:
            raise fail(
                ("model", "params", name),
                f"model.params: {cls.__name__} has no parameter {name!r}; it has "
                f"{sorted(info.defaults)} (see 'brainmass-fn models --model {cls.__name__}').",
            )
    for name, (lo, hi) in kwargs.get("fit", {}).items():
        if name not in ("K", "speed") and name not in info.defaults:
            raise fail(
                ("fit", "params", name),
                f"fit.params: cannot fit {name!r}: choose K, speed or a {cls.__name__} "
                f"parameter {sorted(info.defaults)}.",
            )
        if name in ("K", "speed"):
            start, where = kwargs.get(name, defaults[name]), f"network.{name}"
        else:
            node = {**info.defaults, **kwargs.get("model_params", defaults["model_params"])}
            start, where = node[name], f"model.params.{name} (or the model's default)"
        if not lo < start < hi:
            raise fail(
                ("fit", "params", name),
                f"fit.params.{name} = [{lo:g}, {hi:g}] must contain the initial value "
                f"{start:g} from {where}, strictly inside; widen the bounds or move the start.",
            )
    signal = kwargs.get("signal", defaults["signal"])
    if signal not in cls.state_names:
        given = "" if "signal" in kwargs else " (the default)"
        raise fail(
            ("simulation", "signal"),
            f"simulation.signal {signal!r}{given} is not a state variable of {cls.__name__}; "
            f"set signal to one of {list(cls.state_names)} in [simulation].",
        )
