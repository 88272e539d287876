"""Tidy result rows: one measured value per row, what it was measured under in columns.

The columns are :data:`compare.files.TIDY_COLUMNS`. A metric's name is plain
(``accuracy``, ``corrupted_accuracy``, ``energy_with_memory``, ...) and means one thing;
the variables it was measured under are columns of their own (``corruption`` and
``severity``; ``cost_table``; ``after_group`` and ``task_group``), and the task is its
plain name with its subset in ``n_train``, ``n_test`` and ``subset_seed``. A cell that
does not apply is None (empty in CSV). Which metric has which columns, and why:
docs/ARCHITECTURE.md ("compare/: tidy rows").

In Python a metric is named by a *key*: its name (``"accuracy"``) where it has no
variables, else a :class:`Metric` (``Metric("energy_with_memory",
cost_table="loihi-2018@1")``). The measurements return dicts of key -> (value, unit)
and :func:`metric_rows` turns them into rows; :func:`metric_key` gives a row's key back.

Rows written before these columns existed packed the variables into strings
(``accuracy[gaussian=3]``, ``energy_with_memory[loihi-2018@1]``,
``fashion-mnist[n_train=6000,n_test=1000,seed=0]``). :func:`tidy_row` is the one
translation of such a row into the present form, and the only code that reads those
strings; every reader of stored rows goes through it (:func:`read_tidy_csv` for a
``results.csv``, :meth:`compare.pipeline.runner.ResultsStore.read` for a job's
``metrics.json``), so old results stay readable without being computed again.

>>> row = tidy_row({"task": "digits[n_train=200,seed=0]", "metric": "accuracy[gaussian=3]"})
>>> [row[c] for c in ("task", "n_train", "n_test", "subset_seed")]
['digits', 200, None, 0]
>>> [row[c] for c in ("metric", "corruption", "severity", "cost_table")]
['corrupted_accuracy', 'gaussian', 3, None]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compare.files import METRIC_COLUMNS, TASK_COLUMNS

__all__ = [
    "INTEGER_COLUMNS",
    "Metric",
    "matches",
    "metric_columns",
    "metric_key",
    "metric_label",
    "metric_rows",
    "read_tidy_csv",
    "task_columns",
    "tidy_row",
]

INTEGER_COLUMNS = ("n_train", "n_test", "subset_seed", "severity", "after_group", "task_group")
"""Columns holding whole numbers (or None)."""

_VARIABLES = METRIC_COLUMNS[1:]
_COLUMNS = (*TASK_COLUMNS, *METRIC_COLUMNS)


@dataclass(frozen=True)
class Metric:
    """A metric measured under variables: its plain name and the columns that qualify it.

    >>> Metric("corrupted_accuracy", corruption="gaussian", severity=3).columns()["severity"]
    3
    """

    name: str
    corruption: str | None = None
    """Kind of corruption of the test set (:data:`compare.data.corruptions.CORRUPTIONS`)."""
    severity: int | None = None
    """Its severity, 1-5."""
    cost_table: str | None = None
    """The cost table of an energy estimate, ``NAME@VERSION``."""
    after_group: int | None = None
    """Class-incremental learning: tested after learning this group (from 1)."""
    task_group: int | None = None
    """Class-incremental learning: tested on this group's test images (from 1)."""

    def __repr__(self) -> str:
        cells = [f"{c}={getattr(self, c)!r}" for c in _VARIABLES if getattr(self, c) is not None]
        return f"Metric({', '.join([repr(self.name), *cells])})"

    def columns(self) -> dict:
        """The row cells :data:`compare.files.METRIC_COLUMNS` of this metric."""
        return {"metric": self.name, **{c: getattr(self, c) for c in _VARIABLES}}


def _key(metric: str | Metric) -> str | Metric:
    """A key in its one form: the plain name where a Metric has no variables."""
    if isinstance(metric, Metric) and all(getattr(metric, c) is None for c in _VARIABLES):
        return metric.name
    return metric


def metric_columns(key: str | Metric) -> dict:
    """The :data:`compare.files.METRIC_COLUMNS` cells of a metric key (None where n/a).

    >>> metric_columns("accuracy")["cost_table"] is None
    True
    """
    return (key if isinstance(key, Metric) else Metric(key)).columns()


def metric_key(row: Mapping) -> str | Metric:
    """The key of a tidy row's metric: its name, or a :class:`Metric` with its variables
    (an empty cell, None or ``""`` as CSV gives it, is no variable).

    >>> metric_key({"metric": "energy_with_memory", "cost_table": "loihi-2018@1"})
    Metric('energy_with_memory', cost_table='loihi-2018@1')
    >>> metric_key({"metric": "accuracy", "cost_table": ""})
    'accuracy'
    """
    cells = {c: row.get(c) for c in _VARIABLES if row.get(c) not in (None, "")}
    return _key(Metric(row["metric"], **cells))


def matches(row: Mapping, key: str | Metric) -> bool:
    """Whether tidy ``row`` holds the metric ``key`` (a name matches only a row without
    variables: ``"corrupted_accuracy"`` alone names no row)."""
    return metric_key(row) == _key(key)


def metric_label(key: str | Metric) -> str:
    """A metric key as text for a report (never parsed back).

    >>> metric_label(Metric("corrupted_accuracy", corruption="gaussian", severity=3))
    'corrupted_accuracy, corruption=gaussian, severity=3'
    >>> metric_label("accuracy")
    'accuracy'
    """
    cells = metric_columns(key)
    return ", ".join(
        [cells["metric"], *(f"{c}={cells[c]}" for c in _VARIABLES if cells[c] is not None)]
    )


def task_columns(table: Mapping) -> dict:
    """The :data:`compare.files.TASK_COLUMNS` cells of a job config's ``task`` table
    (``name``, ``n_train``, ``n_test``, ``subset_seed``): the subset seed only where a
    subset was drawn.

    >>> task_columns({"name": "digits", "n_train": None, "n_test": None, "subset_seed": 0})
    {'task': 'digits', 'n_train': None, 'n_test': None, 'subset_seed': None}
    """
    n_train, n_test = table.get("n_train"), table.get("n_test")
    subset = n_train is not None or n_test is not None
    return {
        "task": table["name"],
        "n_train": n_train,
        "n_test": n_test,
        "subset_seed": table.get("subset_seed", 0) if subset else None,
    }


def metric_rows(metrics: Mapping, **cells) -> list[dict]:
    """One tidy row per metric of ``metrics`` (key -> ``(value, unit)``): ``cells`` (the
    task columns, model, seed, ...), the metric's columns, ``value`` and ``unit``.

    >>> [row] = metric_rows({"accuracy": (0.9, "1")}, model="mlp")
    >>> row["model"], row["metric"], row["severity"], row["value"]
    ('mlp', 'accuracy', None, 0.9)
    """
    return [
        {**cells, **metric_columns(key), "value": value, "unit": unit}
        for key, (value, unit) in metrics.items()
    ]


# --------------------------------------------------------------------------- old rows

_PACKED_TASK = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_PACKED_METRIC = re.compile(r"([A-Za-z0-9_]+)\[([^\[\]]*)\]")
_ENERGY = ("energy_compute_only", "energy_with_memory")
_SUBSET_KEYS = {"n_train", "n_test", "seed"}


def _fields(text: str, what: str) -> dict:
    """``a=1,b=x`` -> ``{"a": 1, "b": "x"}`` (whole numbers as int)."""
    fields = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key or key in fields:
            raise ValueError(f"cannot translate {what}: {item!r} is not one KEY=VALUE")
        fields[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return fields


def _old_task(name: str) -> dict:
    """The task cells an old task name packs: ``digits[n_train=200,seed=0][gaussian=3,seed=1]``
    (a subset, :meth:`compare.data.tasks.Task.subset`, then a corruption of its test set,
    :func:`compare.data.corruptions.corrupt_task`, whose seed no column keeps)."""
    match = _PACKED_TASK.fullmatch(name)
    if match is None:
        raise ValueError(f"cannot translate task name {name!r}")
    cells = {"task": match.group(1)}
    for group in re.findall(r"\[([^\[\]]*)\]", match.group(2)):
        fields = _fields(group, f"task name {name!r}")
        subset = set(fields) <= _SUBSET_KEYS and "seed" in fields and len(fields) > 1
        if subset and "subset_seed" not in cells:
            cells["n_train"] = fields.get("n_train")
            cells["n_test"] = fields.get("n_test")
            cells["subset_seed"] = fields["seed"]
        elif len(fields) == 2 and "seed" in fields and "corruption" not in cells:
            ((kind, severity),) = ((k, v) for k, v in fields.items() if k != "seed")
            if kind in _SUBSET_KEYS | {"classes"} or not isinstance(severity, int):
                raise ValueError(f"cannot translate task name {name!r}: [{group}]")
            cells["corruption"], cells["severity"] = kind, severity
        else:
            raise ValueError(f"cannot translate task name {name!r}: [{group}]")
    return cells


def _old_metric(metric: str) -> dict:
    """The metric cells an old metric name packs (``accuracy[gaussian=3]``,
    ``energy_with_memory[loihi-2018@1]``, ``accuracy[after=2,task=1]``,
    ``accuracy_seen[after=2]``, ``probe_accuracy[task=1]``)."""
    match = _PACKED_METRIC.fullmatch(metric)
    if match is None:
        raise ValueError(f"cannot translate metric {metric!r}")
    name, inside = match.groups()
    if name in _ENERGY and "=" not in inside and inside:
        return metric_columns(Metric(name, cost_table=inside))
    fields = _fields(inside, f"metric {metric!r}")
    keys = set(fields)
    numbers = all(isinstance(v, int) for v in fields.values())
    if name == "accuracy" and keys == {"after", "task"} and numbers:
        key = Metric("group_accuracy", after_group=fields["after"], task_group=fields["task"])
    elif name == "accuracy_seen" and keys == {"after"} and numbers:
        key = Metric("accuracy_seen", after_group=fields["after"])
    elif name == "probe_accuracy" and keys == {"task"} and numbers:
        key = Metric("probe_group_accuracy", task_group=fields["task"])
    elif name == "accuracy" and len(keys) == 1 and numbers and not keys & {"after", "task"}:
        ((kind, severity),) = fields.items()
        key = Metric("corrupted_accuracy", corruption=kind, severity=severity)
    else:
        raise ValueError(f"cannot translate metric {metric!r}")
    return metric_columns(key)


def tidy_row(row: Mapping) -> dict:
    """A tidy row in the present form: the one translation of rows written before the
    variables had columns (and the only reader of their packed strings).

    An old row's metric name or task name packs what are columns now:

    - ``accuracy[KIND=S]`` -> ``corrupted_accuracy``, ``corruption`` KIND, ``severity`` S;
    - ``energy_compute_only[T]``, ``energy_with_memory[T]`` -> the name, ``cost_table`` T;
    - ``accuracy[after=I,task=J]`` -> ``group_accuracy``, ``after_group`` I,
      ``task_group`` J; ``accuracy_seen[after=I]`` -> ``accuracy_seen``, ``after_group``
      I; ``probe_accuracy[task=J]`` -> ``probe_group_accuracy``, ``task_group`` J;
    - task ``NAME[n_train=N,n_test=M,seed=S]`` -> ``NAME``, ``n_train`` N, ``n_test``
      M, ``subset_seed`` S (either size may be absent);
    - a corrupted task ``NAME[...][KIND=S,seed=R]`` -> also ``corruption`` KIND and
      ``severity`` S, and its ``accuracy`` becomes ``corrupted_accuracy`` (the corruption
      seed R has no column: the runner always uses seed 0 and records none).

    The columns of :data:`compare.files.TASK_COLUMNS` and
    :data:`compare.files.METRIC_COLUMNS` a row lacks are added as None; a row in the
    present form comes back equal. Other cells are kept as they are.

    Raises
    ------
    ValueError
        For a bracketed metric or task name that is none of the above.
    """
    out = dict(row)
    metric, task = str(out.get("metric", "")), str(out.get("task", ""))
    if "[" in metric:
        out |= _old_metric(metric)
    if "[" in task:
        cells = _old_task(task)
        if "corruption" in cells and out.get("metric") == "accuracy":
            out["metric"] = "corrupted_accuracy"
        out |= cells
    for column in _COLUMNS:
        out.setdefault(column, None)
    return out


def _cell(text: str, column: str):
    """A CSV cell in Python: empty is None; whole-number columns as int."""
    if text == "" and column in (*_COLUMNS, "experiment", "job"):
        return None
    if column in INTEGER_COLUMNS:
        return int(float(text))
    return text


def _number(text: str):
    """A cell as int, float or (failing both) the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_tidy_csv(path: str | Path) -> list[dict]:
    """The rows of a tidy CSV (``results.csv``) in the present form (:func:`tidy_row`):
    ``value`` a float, ``seed`` an int, the whole-number columns ints, empty cells of
    the tidy columns None (a sweep column's empty cells stay ``""``)."""
    with open(path, newline="", encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    rows = []
    for row in raw:
        typed = {k: _cell(v, k) for k, v in row.items()}
        typed["value"] = float(row["value"])
        typed["seed"] = _number(row["seed"])
        rows.append(tidy_row(typed))
    return rows
