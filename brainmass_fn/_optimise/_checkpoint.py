"""The one checkpoint format of every optimisation run (`fit` and `train`).

A checkpoint is two files:

- a *state file* with the run's arrays, written by the run itself (equinox leaf
  serialisation, or an ``.npz`` of numbers for nevergrad);
- a JSON *sidecar* with the bookkeeping: ``format``, the ``state_file`` it belongs
  to, ``step`` (steps or epochs done), ``wall_time`` (s, summed over resumed runs),
  ``best`` (score and step of the best-so-far), ``run`` (what must match to resume:
  strategy name, key, batch size, ...) and ``record`` (the run's history).
  Non-finite numbers are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``,
  so the file is strict JSON and every value reads back exactly.

Two layouts: `Checkpoint.file` (`fit`): the state at ``PATH``, the sidecar at
``PATH.json``; `Checkpoint.directory` (`train`): ``DIR/state-<step>.eqx`` and
``DIR/meta.json``. Each file is written under a temporary name and moved into place,
state first, sidecar second; in the directory layout the state file is new at every
save and the old one is removed after the sidecar names the new one, so a crash at any
moment leaves a consistent pair.

Trust: a checkpoint holds only numbers (arrays and JSON); loading one never unpickles
or runs code, so a checkpoint from elsewhere can at worst fail to load or resume a run
at wrong values.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "Checkpoint", "decode", "encode"]

FORMAT = "brainmass_fn.checkpoint/1"

_FIELDS = {
    "state_file": str,
    "step": int,
    "wall_time": (int, float),
    "best": dict,
    "run": dict,
    "record": dict,
}


def encode(values: Sequence[float]) -> list[float | str]:
    """Floats for JSON: finite ones as numbers, others as ``"nan"``/``"inf"``/``"-inf"``."""
    return [float(x) if math.isfinite(x) else str(float(x)) for x in values]


def decode(values: Sequence[float | str]) -> list[float]:
    """The inverse of `encode`."""
    return [float(x) for x in values]


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """Where one run's checkpoint lives, and what a resumed run must match.

    Attributes:
        sidecar: the JSON bookkeeping file.
        state: the state file; None for numbered ``state-<step>.eqx`` files beside
            the sidecar.
        run: identity of the run (JSON-able); a checkpoint whose ``run`` differs is
            refused on resume.
        subject: what the state must match, for messages (``"these params/strategy"``).
        fresh: how to start afresh instead, for messages.
    """

    sidecar: Path
    state: Path | None
    run: dict[str, Any]
    subject: str
    fresh: str

    @classmethod
    def file(cls, path: str | os.PathLike, run: dict[str, Any], subject: str, fresh: str):
        """State at ``path``, sidecar at ``path + ".json"``."""
        return cls(Path(f"{os.fspath(path)}.json"), Path(path), run, subject, fresh)

    @classmethod
    def directory(cls, path: str | os.PathLike, run: dict[str, Any], subject: str, fresh: str):
        """``path/state-<step>.eqx`` and ``path/meta.json``."""
        return cls(Path(path) / "meta.json", None, run, subject, fresh)

    def _state_name(self, step: int) -> str:
        return self.state.name if self.state is not None else f"state-{step}.eqx"

    def _states(self) -> list[Path]:
        if self.state is not None:
            return [self.state] if self.state.exists() else []
        return sorted(self.sidecar.parent.glob("state-*.eqx"))

    def save(
        self,
        write: Callable[[str], None],
        *,
        step: int,
        wall_time: float,
        best: tuple[float, int],
        record: dict[str, Any],
    ) -> None:
        """``write(path)`` the state, then the sidecar; both atomically."""
        folder = self.sidecar.parent
        folder.mkdir(parents=True, exist_ok=True)
        name = self._state_name(step)
        write(str(folder / f"{name}.tmp"))
        os.replace(folder / f"{name}.tmp", folder / name)
        meta = {
            "format": FORMAT,
            "state_file": name,
            "step": step,
            "wall_time": wall_time,
            "best": {"score": encode([best[0]])[0], "step": best[1]},
            "run": self.run,
            "record": record,
        }
        tmp = folder / f"{self.sidecar.name}.tmp"
        tmp.write_text(json.dumps(meta, indent=1))
        os.replace(tmp, self.sidecar)
        for old in self._states():
            if old.name != name:
                old.unlink(missing_ok=True)

    def _read_sidecar(self) -> dict[str, Any]:
        where = str(self.sidecar)
        try:
            meta = json.loads(self.sidecar.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(
                f"checkpoint sidecar {where!r} is not valid JSON ({err}); it may be "
                f"truncated. Restore it, or {self.fresh}."
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise ValueError(
                f"checkpoint sidecar {where!r} is not in the format {FORMAT!r} that this "
                f"version writes (it has format {found!r}: an earlier brainmass_fn, or not "
                "a checkpoint), so it cannot be resumed. Finish that run with the version "
                f"that wrote it, or {self.fresh}."
            )
        for key, kind in _FIELDS.items():
            if not isinstance(meta.get(key), kind):
                raise ValueError(
                    f"checkpoint sidecar {where!r} has no valid {key!r} entry; it is "
                    f"damaged. Restore it, or {self.fresh}."
                )
        return meta

    def _state_file(self, meta: dict[str, Any]) -> Path:
        if self.state is not None:
            return self.state
        name = meta["state_file"]
        if Path(name).name != name or not name.startswith("state-"):
            raise ValueError(
                f"checkpoint sidecar {str(self.sidecar)!r} names the state file {name!r}, "
                f"which is not a file of its directory; it is damaged. {self.fresh[0].upper()}"
                f"{self.fresh[1:]}."
            )
        return self.sidecar.parent / name

    def load(self, read: Callable[[str, dict[str, Any]], Any]) -> tuple[Any, dict[str, Any]] | None:
        """``(read(state path, sidecar), sidecar)``; None if there is no checkpoint.

        Half a checkpoint (a state file without its sidecar, or the reverse), a damaged
        sidecar, another run's checkpoint or a state that ``read`` cannot rebuild is an
        error: a fresh start would overwrite what is left.
        """
        if not self.sidecar.exists():
            states = self._states()
            if states:
                where = str(self.state if self.state is not None else self.sidecar.parent)
                raise ValueError(
                    f"checkpoint {where!r} holds {[p.name for p in states]} but no "
                    f"{self.sidecar.name} (its sidecar {str(self.sidecar)!r} is missing: "
                    "the step count and history are lost), so it cannot be resumed. "
                    f"Restore the sidecar, or {self.fresh}."
                )
            return None
        meta = self._read_sidecar()
        state = self._state_file(meta)
        if not state.is_file():
            raise ValueError(
                f"the sidecar {str(self.sidecar)!r} exists but the checkpoint {str(state)!r} "
                f"itself is missing. Restore it, or {self.fresh}."
            )
        saved = meta["run"]
        mismatch = {k: (saved.get(k), v) for k, v in self.run.items() if saved.get(k) != v}
        if mismatch:
            raise ValueError(
                f"checkpoint {str(state)!r} was written by a different run (saved vs now: "
                f"{mismatch}); resume with the same {', '.join(mismatch)}, or {self.fresh}."
            )
        try:
            value = read(str(state), meta)
        except Exception as err:  # another parameter structure, optimiser or file
            raise ValueError(
                f"checkpoint {str(state)!r} does not match {self.subject} ({err}); resume "
                f"with the same ones, or {self.fresh}."
            ) from err
        return value, meta
