"""Output paths checked before any work: a run must not lose its result at the end.

`fit` and `train` call these before their first step, so a checkpoint path in a
missing or read-only directory fails at once, not after every step has been paid.
Each check writes and removes a small probe file, which catches every reason a
later write could fail (missing directory, permissions, a file where a directory
should be, a read-only file system).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["check_output_dir", "check_output_file"]


def _probe(directory: Path, what: str) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=directory)
    except OSError as err:
        raise type(err)(
            err.errno, f"{what}: cannot write into {str(directory)!r} ({err.strerror}); "
            "choose a writable location."
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path: str | os.PathLike, name: str) -> None:
    """Raise now if ``path`` cannot be written later (its directory is missing,
    unwritable, or ``path`` is a directory). ``name`` is the argument's name."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"{name}={str(path)!r} is a directory; give a file path, e.g. "
            f"{str(path / 'fit.eqx')!r}."
        )
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(
            f"{name}={str(path)!r}: the directory {str(parent)!r} does not exist; create it "
            "first (os.makedirs) or choose a path in an existing directory."
        )
    _probe(parent, f"{name}={str(path)!r}")


def check_output_dir(path: str | os.PathLike, name: str) -> None:
    """Create directory ``path`` (and its parents) now and check it is writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{name}={str(path)!r} is a file, but {name} must be a directory; give a "
            "directory path (it is created if missing)."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise type(err)(
            err.errno, f"{name}={str(path)!r}: cannot create the directory ({err.strerror}); "
            "choose a writable location."
        ) from None
    _probe(path, f"{name}={str(path)!r}")
