"""Result tables on disk in data-only files: what the sweep cache and the stored full-size results use.

One table is three files beside each other, named by a stem:

- ``<stem>.csv``: the scalar columns (numbers and strings; a list-valued cell, such as per-layer ERE
  targets, as JSON text);
- ``<stem>.npz``: the array columns (a member's kept samples), one array per (column, row), loaded with
  ``allow_pickle=False``;
- ``<stem>.json``: the manifest, written last (its presence marks a complete entry): the format
  version, the configuration the table was computed for (``description``), the columns and their
  kinds, the row count, the SHA-256 of the two data files and, for stored results, the provenance
  (commit, command, library fingerprint, machine, wall time).

:func:`read_table` returns the table only when the manifest parses, describes the same configuration,
and both data files match their digests and the column list; otherwise it returns None and the caller
recomputes. Nothing in these files can run code when read.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT_VERSION = 1
ARRAY_COLUMNS = ("samples",)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canonical(value):
    """``value`` as plain JSON types (tuples as lists, numpy scalars as numbers): how a description is
    stored and compared."""
    return json.loads(json.dumps(value, sort_keys=True, default=_default))


def _default(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _replace(tmp: Path, path: Path) -> None:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_table(table: pd.DataFrame, stem: Path, description: dict, provenance: dict | None = None) -> None:
    """Write ``table`` under ``stem`` (see the module docstring); atomic per file, the manifest last.

    Array columns (:data:`ARRAY_COLUMNS`) hold a numpy array or None per row; every other column must be
    scalar. Raises OSError when the folder cannot be written.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    arrays = [c for c in table.columns if c in ARRAY_COLUMNS]
    scalars = table.drop(columns=arrays)
    listed = [c for c in scalars.columns if scalars[c].map(lambda v: isinstance(v, (list, tuple, dict))).any()]
    scalars = scalars.assign(**{c: scalars[c].map(lambda v: json.dumps(canonical(v))) for c in listed})
    suffix = f".tmp{os.getpid()}"
    csv, npz, manifest = (stem.with_name(stem.name + ext) for ext in (".csv", ".npz", ".json"))
    scalars.to_csv(csv.with_name(csv.name + suffix), index=False)
    payload = {
        f"{column}/{row}": np.asarray(value)
        for column in arrays
        for row, value in enumerate(table[column])
        if value is not None
    }
    with open(npz.with_name(npz.name + suffix), "wb") as handle:
        np.savez_compressed(handle, **payload)
    for path in (csv, npz):
        _replace(path.with_name(path.name + suffix), path)
    document = {
        "format": FORMAT_VERSION,
        "description": canonical(description),
        "rows": len(table),
        "columns": list(table.columns),
        "array_columns": arrays,
        "json_columns": listed,
        "sha256": {"csv": _digest(csv), "npz": _digest(npz)},
        "provenance": canonical(provenance or {}),
    }
    tmp = manifest.with_name(manifest.name + suffix)
    tmp.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    _replace(tmp, manifest)


def read_manifest(stem: Path) -> dict | None:
    """The parsed manifest of ``stem``, or None when it is missing or not a manifest of this format."""
    try:
        document = json.loads(Path(f"{stem}.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        return None
    return document


def read_table(stem: Path, description: dict) -> pd.DataFrame | None:
    """The table stored under ``stem`` for exactly ``description``, or None (missing, another
    configuration, a damaged or altered file, another schema). ``table.attrs["provenance"]`` holds the
    stored provenance."""
    stem = Path(stem)
    document = read_manifest(stem)
    if document is None or document.get("description") != canonical(description):
        return None
    csv, npz = Path(f"{stem}.csv"), Path(f"{stem}.npz")
    try:
        if {"csv": _digest(csv), "npz": _digest(npz)} != document["sha256"]:
            return None
        rows = int(document["rows"])
        scalars = pd.read_csv(csv, keep_default_na=True) if rows else pd.DataFrame()
        with np.load(npz, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError, KeyError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    table = scalars.copy()
    for column in document.get("json_columns", []):
        table[column] = table[column].map(json.loads)
    for column in document["array_columns"]:
        table[column] = [arrays.get(f"{column}/{row}") for row in range(rows)]
    if list(table.columns) != [c for c in document["columns"] if c in table.columns] or len(table) != rows:
        return None
    table = table[document["columns"]]
    table.attrs["provenance"] = document.get("provenance", {})
    return table
