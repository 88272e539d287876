"""Plain-text tables: the cells and Markdown tables that reports, studies and the CLI print.

>>> rows = [{"model": "mlp", "acc": 0.91234}]
>>> print(format_table(rows, [("model", "model"), ("acc", "accuracy")]))
| model | accuracy |
|---|---|
| mlp | 0.912 |
"""

from __future__ import annotations

import math

__all__ = [
    "format_cell",
    "format_joules",
    "format_seconds",
    "format_si",
    "format_table",
    "percent_interval",
]


def format_cell(value) -> str:
    """A table cell: floats with 3 significant digits, whole ones with thousands
    separators, NaN as a dash; anything else as ``str``.

    >>> format_cell(12000.0), format_cell(0.012345), format_cell(float("nan")), format_cell(3)
    ('12,000', '0.0123', '–', '3')
    """
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "–"
    if value.is_integer() and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:.3g}"


def format_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A Markdown table of ``rows``; ``columns`` are (key, header) pairs.

    Cells are formatted by :func:`format_cell` (3 significant digits, NaN as a dash).

    >>> print(format_table([{"model": "mlp", "n": 12000.0}], [("model", "model"), ("n", "n")]))
    | model | n |
    |---|---|
    | mlp | 12,000 |
    """
    head = "| " + " | ".join(h for _, h in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(format_cell(r[k]) for k, _ in columns) + " |" for r in rows]
    return "\n".join([head, rule, *body])


_PREFIXES = ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"))


def format_si(value: float, unit: str) -> str:
    """A value with an SI prefix and 3 significant digits; a dash for NaN.

    >>> format_si(6.92e-4, "W"), format_si(20.0, "W")
    ('692 µW', '20 W')
    """
    if math.isnan(value):
        return "–"
    if value == 0:
        return f"0 {unit}"
    scale, prefix = next((p for p in _PREFIXES if abs(value) >= p[0]), _PREFIXES[-1])
    return f"{value / scale:.3g} {prefix}{unit}"


def format_joules(value: float) -> str:
    """An energy with an SI prefix and 3 significant digits.

    >>> format_joules(2.346e-7), format_joules(0.0), format_joules(float("nan"))
    ('235 nJ', '0 J', '–')
    """
    return format_si(value, "J")


def format_seconds(value: float) -> str:
    """A duration with an SI prefix (down to fs) and 3 significant digits.

    >>> format_seconds(0.04512), format_seconds(3.2e-6), format_seconds(12.0)
    ('45.1 ms', '3.2 µs', '12 s')
    """
    return format_si(value, "s")


# --- the report as data -------------------------------------------------------------


def percent_interval(low: float, high: float) -> str:
    """An interval of fractions as a percent cell; a dash where there is none (NaN).

    >>> percent_interval(0.8123, 0.8456), percent_interval(float("nan"), float("nan"))
    ('[81.2, 84.6] %', '–')
    """
    if math.isnan(low):
        return "–"
    return f"[{100 * low:.1f}, {100 * high:.1f}] %"
