"""Helpers for parameter dataclasses whose fields are Brian2 quantities."""

from __future__ import annotations

import dataclasses

from brian2 import Quantity


def default(value: Quantity):
    """A dataclass field defaulting to a Brian2 quantity.

    Quantities are numpy arrays, hence unhashable, which dataclasses reject as plain
    defaults; a factory returning the (never mutated) value sidesteps that.
    """
    return dataclasses.field(default_factory=lambda: value)


def describe(params) -> dict:
    """A JSON-able view of a (possibly nested) parameter dataclass.

    Quantities become strings with their unit (``"100. ms"``), so a saved config reads
    like the paper's table and keeps its units.

    >>> from spiking.neurons import DiehlCookInhibitory
    >>> describe(DiehlCookInhibitory())["tau_mem"]
    '10. ms'
    """
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if dataclasses.is_dataclass(value):
            value = describe(value)
        elif isinstance(value, Quantity):
            value = str(value)
        out[f.name] = value
    return out
