"""Saving and loading trained spiking models: arrays in ``.npz``, parameters as JSON.

A saved model is one ``.npz`` file: the learned arrays plus a ``meta`` entry holding
JSON (format version, estimator class, hyperparameters, the parameter dataclass with
every quantity as ``{"value": SI float, "unit": SI unit}``, and fit statistics). It is
written to a temporary file in the same directory and renamed over the target, so a
crash or a full disk never leaves a half-written state where an old one was.

>>> from spiking.neurons import DiehlCookInhibitory
>>> params_to_json(DiehlCookInhibitory())["tau_mem"]
{'value': 0.01, 'unit': 's'}
>>> saved = params_to_json(DiehlCookInhibitory())
>>> params_from_json(DiehlCookInhibitory, saved) == DiehlCookInhibitory()
True
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from brian2 import Quantity
from brian2.units.fundamentalunits import get_dimensions, get_unit

__all__ = ["FORMAT_VERSION", "params_from_json", "params_to_json", "read_npz", "write_npz"]

FORMAT_VERSION = 1


def params_to_json(params) -> dict:
    """A parameter dataclass as JSON: quantities as SI value + unit, nested as dicts."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if dataclasses.is_dataclass(value):
            value = params_to_json(value)
        elif isinstance(value, Quantity):
            value = {"value": float(value / _si_unit(value)), "unit": str(get_unit(value.dim))}
        out[f.name] = value
    return out


def _si_unit(q: Quantity) -> Quantity:
    return Quantity(1.0, dim=get_dimensions(q))


def params_from_json(cls, data: dict):
    """Rebuild a parameter dataclass written by :func:`params_to_json`.

    Raises
    ------
    ValueError
        For an unknown field, or a value whose kind does not match the default's.
    """
    defaults = cls()
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown parameter(s) {', '.join(unknown)}")
    kwargs = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = params_from_json(type(default), value)
        elif isinstance(default, Quantity):
            if not (isinstance(value, dict) and set(value) == {"value", "unit"}):
                raise ValueError(f"{cls.__name__}.{name}: expected {{value, unit}}, got {value!r}")
            unit = str(get_unit(default.dim))
            if value["unit"] != unit:
                raise ValueError(
                    f"{cls.__name__}.{name}: expected unit {unit}, got {value['unit']!r}"
                )
            kwargs[name] = float(value["value"]) * _si_unit(default)
        else:
            kwargs[name] = type(default)(value)
    return cls(**kwargs)


def write_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """Write arrays + JSON metadata to ``path`` atomically (temp file, then rename)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"a saved model is an .npz file; got {path}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: {path.parent} is not a directory")
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, meta=blob, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_npz(path: str | os.PathLike, expected: list[str]) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`write_npz`; a clear ValueError if it is not one.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a readable saved model, lacks one of ``expected``'s arrays,
        or has another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):  # a plain .npy array
            raise ValueError("not an .npz archive")
        with data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if not isinstance(meta, dict):
            raise ValueError(f"its metadata is JSON {type(meta).__name__}, not an object")
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a readable saved model (corrupt or truncated?): {err}"
        ) from None
    missing = [k for k in expected if k not in arrays]
    if missing:
        raise ValueError(f"{path}: saved model lacks {', '.join(missing)}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: saved model format {meta.get('format_version')!r}, "
            f"this version reads {FORMAT_VERSION}"
        )
    return arrays, meta
