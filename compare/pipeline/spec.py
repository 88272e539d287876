"""Experiment specs: a TOML file saying what to run, checked before anything runs.

A spec names one task, the models (with their hyperparameters), the seeds, and
optional sweeps, corruptions, class-incremental groups and a ``[quick]`` smoke-size
run; :mod:`compare.pipeline.runner` turns it into jobs. ``--set KEY=VALUE`` flags
change any field without editing the file. :func:`load_spec` checks everything that
can be checked without running a model; each mistake is a :class:`SpecError` that
names where the value came from (``FILE, line N``, the ``--set`` flag or the sweep).
docs/ARCHITECTURE.md ("compare/: specs, jobs and what a run writes") has an annotated
spec and the rules.

Examples
--------
>>> spec = parse_spec('''
... name = "demo"
... seeds = [0, 1]
... [task]
... name = "digits"
... [models.lr]
... kind = "logistic"
... [sweeps]
... "task.n_train" = [100, 200]
... ''', overrides=["seeds=[3]"])
>>> spec.seeds, [p.values for p in spec.points()]
((3,), [{'task.n_train': 100}, {'task.n_train': 200}])
>>> parse_spec('name = "x"\\nseed = [1]\\n')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
compare.pipeline.spec.SpecError: <spec>, line 2: unknown key 'seed' at the top level; ...
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import difflib
import functools
import inspect
import itertools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path

from compare.data.corruptions import CORRUPTIONS, SEVERITIES
from compare.data.tasks import TASKS
from compare.files import recorded_path
from compare.measure.energy import DEFAULT_TABLES, TABLES, get_table
from compare.measure.metrics import DEFAULT_OPERATIONS_EXAMPLES
from compare.models.registry import MODELS, ModelSpec, build_model

__all__ = [
    "DEFAULT_OPERATIONS_EXAMPLES",
    "ExperimentConfig",
    "KeyLocator",
    "Point",
    "Spec",
    "SpecError",
    "TaskSpec",
    "format_key",
    "load_spec",
    "parse_override",
    "parse_spec",
]

_TOP_KEYS = (
    "name",
    "description",
    "task",
    "models",
    "seeds",
    "sweeps",
    "energy_tables",
    "operations_examples",
    "corruptions",
    "continual",
    "quick",
)
_MODEL_KEYS = ("kind", "params")
_CORRUPTION_KEYS = ("kinds", "severities")
_CONTINUAL_KEYS = ("groups",)
_UNSWEEPABLE = {
    "name": "the experiment's name names its results directory",
    "description": "it changes no result",
    "seeds": "the seeds are already a dimension of every point",
    "sweeps": "sweeps cannot sweep themselves",
    "quick": "it changes the spec only under --quick",
}
_UNQUICK = {
    "name": "a smoke run's directory is already the name with -quick",
    "quick": "the quick table cannot change itself",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class SpecError(ValueError):
    """A mistake in a spec or an override; the message says where it was made."""


def format_key(path: Sequence[str]) -> str:
    """A key path as TOML writes it: parts joined by dots, quoted where needed.

    >>> format_key(("sweeps", "task.n_train"))
    'sweeps."task.n_train"'
    """
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in path)


# --------------------------------------------------------------------------- lines


_BARE_PART = r"[A-Za-z0-9_-]+"
_BASIC_PART = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL_PART = r"'[^'\n]*'"
_PART = rf"[ \t]*(?:{_BARE_PART}|{_BASIC_PART}|{_LITERAL_PART})[ \t]*"
_DOTTED = rf"{_PART}(?:\.{_PART})*"
_HEADER = re.compile(rf"^[ \t]*\[(\[?)({_DOTTED})\]\]?[ \t]*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"^({_DOTTED})=")
_PART_RE = re.compile(rf"{_BARE_PART}|{_BASIC_PART}|{_LITERAL_PART}")


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for raw in _PART_RE.findall(dotted):
        if raw[0] in "\"'":
            raw = tomllib.loads(f"k = {raw}")["k"]  # TOML's own unescaping
        parts.append(raw)
    return tuple(parts)


class KeyLocator:
    """The line on which each key of a TOML text is set (1-based), best effort.

    tomllib parses without line numbers, so this scans the text: it follows table
    headers (``[a.b]``; an array of tables ``[[a]]`` is located without its index),
    dotted and quoted keys, and skips comments, strings and values spanning several
    lines (arrays, inline tables, multi-line strings). Keys inside inline tables are
    not located themselves: :meth:`line` falls back to the longest located prefix.

    >>> text = 'name = "x"\\n\\n[models.mlp]\\nkind = "mlp"\\nparams = { epochs = 5 }\\n'
    >>> where = KeyLocator(text)
    >>> where.line(("models", "mlp", "kind")), where.line(("models", "mlp", "params", "epochs"))
    (4, 5)
    """

    def __init__(self, text: str):
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        state = _ValueScanner()
        for number, line in enumerate(text.splitlines(), start=1):
            if state.busy:  # inside a value that started on an earlier line
                state.feed(line)
                continue
            header = _HEADER.match(line)
            if header:
                table = _key_parts(header.group(2))
                self._record(table, number)
                continue
            assignment = _ASSIGNMENT.match(line.lstrip())
            if assignment:
                self._record(table + _key_parts(assignment.group(1)), number)
                state.feed(line.lstrip()[assignment.end() :])

    def _record(self, path: tuple[str, ...], number: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], number)

    def line(self, path: Sequence[str]) -> int | None:
        """Line of ``path``, or of its longest prefix that was found; None if none was."""
        path = tuple(path)
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


class _ValueScanner:
    """Tracks bracket depth and open multi-line strings across the lines of a value."""

    def __init__(self):
        self.depth = 0
        self.string: str | None = None  # the open multi-line delimiter

    @property
    def busy(self) -> bool:
        return self.depth > 0 or self.string is not None

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            if self.string is not None:
                end = text.find(self.string, i)
                if end < 0:
                    return
                i, self.string = end + 3, None
                continue
            c = text[i]
            if text.startswith(('"""', "'''"), i):
                self.string, i = text[i : i + 3], i + 3
            elif c == '"':
                match = re.compile(_BASIC_PART).match(text, i)
                i = match.end() if match else len(text)
            elif c == "'":
                end = text.find("'", i + 1)
                i = end + 1 if end >= 0 else len(text)
            elif c == "#":
                return
            else:
                self.depth += (c in "[{") - (c in "]}")
                i += 1


# --------------------------------------------------------------------------- origins


@dataclass(frozen=True)
class _Where:
    """Where each value of a spec came from, for error messages."""

    source: str
    locator: KeyLocator | None
    set_by: Mapping[tuple[str, ...], str] = field(default_factory=dict)

    def __call__(self, path: Sequence[str]) -> str:
        path = tuple(path)
        for end in range(len(path), 0, -1):
            if path[:end] in self.set_by:
                return self.set_by[path[:end]]
        line = self.locator.line(path) if self.locator else None
        return f"{self.source}, line {line}" if line else self.source

    def error(self, path: Sequence[str], message: str) -> SpecError:
        return SpecError(f"{self(path)}: {format_key(path)}: {message}")

    def with_origins(self, origins: Mapping[tuple[str, ...], str]) -> _Where:
        return _Where(self.source, self.locator, {**self.set_by, **origins})


# --------------------------------------------------------------------------- values


def _type_name(value) -> str:
    names = {bool: "a boolean", str: "a string", list: "an array", dict: "a table"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Integral):
        return "an integer"
    if isinstance(value, Real):
        return "a float"
    return type(value).__name__


def _got(value) -> str:
    return f"got {_type_name(value)} ({json.dumps(value, default=str)})"


def _integer(where: _Where, path, value, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise where.error(path, f"expected {what}, {_got(value)}")
    if value < minimum:
        raise where.error(path, f"expected {what}, got {value}")
    return int(value)


def _string(where: _Where, path, value, pattern: re.Pattern | None = None, hint="") -> str:
    if not isinstance(value, str):
        raise where.error(path, f"expected a string, {_got(value)}")
    if pattern is not None and not pattern.match(value):
        raise where.error(path, f"{value!r} is not allowed: {hint}")
    return value


def _table(where: _Where, path, value) -> dict:
    if not isinstance(value, dict):
        raise where.error(path, f"expected a table, {_got(value)}")
    return value


def _array(where: _Where, path, value) -> list:
    if not isinstance(value, list):
        raise where.error(path, f"expected an array, {_got(value)}")
    return value


def _check_keys(where: _Where, path: tuple[str, ...], table: dict, known: Sequence[str]) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            at = f"in [{format_key(path)}]" if path else "at the top level"
            raise SpecError(
                f"{where((*path, key))}: unknown key {key!r} {at}; {guess}Known: {', '.join(known)}"
            )


def _choice(where: _Where, path, value, known: Iterable[str], what: str) -> str:
    value = _string(where, path, value)
    known = sorted(known)
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise where.error(path, f"unknown {what} {value!r}{guess}; known: {', '.join(known)}")
    return value


@functools.cache
def _hyperparameters(kind: str) -> tuple[str, ...]:
    """Names the estimator of ``kind`` accepts (its ``get_params``), random_state aside."""
    estimator = build_model(ModelSpec("probe", kind), random_state=0)
    return tuple(name for name in estimator.get_params(deep=False) if name != "random_state")


def _loader_arguments(task: str) -> tuple[str, ...]:
    signature = inspect.signature(TASKS[task])
    return tuple(
        name
        for name, p in signature.parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class TaskSpec:
    """The task of an experiment: a :data:`compare.data.tasks.TASKS` name, the loader's
    arguments, and the stratified subset every model and seed sees (None: the whole
    split), drawn with ``subset_seed``."""

    name: str
    params: dict = field(default_factory=dict)
    n_train: int | None = None
    n_test: int | None = None
    subset_seed: int = 0

    def to_dict(self) -> dict:
        """The resolved task table (None for a size that is not set), as JSON."""
        return {
            "name": self.name,
            "params": json.loads(json.dumps(self.params, default=str)),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "subset_seed": self.subset_seed,
        }


_TASK_KEYS = tuple(f.name for f in dataclasses.fields(TaskSpec))

JOB_SCHEMA = 1
"""Version of what a job computes and writes; part of every job config, hence its id."""

# Set while the spec parser builds what it has checked, so it is not checked twice.
_CHECKED = contextvars.ContextVar("spikearena_spec_checked", default=False)


@contextlib.contextmanager
def _checked():
    token = _CHECKED.set(True)
    try:
        yield
    finally:
        _CHECKED.reset(token)


@dataclass(frozen=True)
class ExperimentConfig:
    """What to run: every model x seed on one task, measured the same way.

    The one schema of an experiment. A spec file (:class:`Spec`, which adds sweeps
    and where it came from) is this plus its sweeps; a job's ``config.json``
    (:meth:`job_config`) and its id derive from it. It is checked once, where it is
    built: by the spec parser for a spec (errors name the file line), by this class
    for a config built in code (errors name the field); both run the same checks.

    Parameters
    ----------
    name
        Experiment name; the default output directory is ``results/<name>``.
    models
        The models to compare (labels unique).
    task
        The task and its subset (:class:`TaskSpec`; a task name alone means the whole
        splits).
    seeds
        One run per model and seed; the seed is each estimator's ``random_state``.
    operations_examples
        Test examples the operations report is measured on (None: all).
    energy_tables
        Cost tables (:data:`compare.measure.energy.TABLES` names) the operations are
        priced with; each model gets the estimates of the tables that can price it.
    corruptions, severities
        Corruption kinds (:data:`compare.data.corruptions.CORRUPTIONS`) and severities
        (1-5): the fitted models are also tested on every (kind, severity) copy of the
        test set (:func:`compare.measure.metrics.corrupted_accuracy`). Empty: clean data.
    continual_groups
        If set, each job also trains a fresh model (same seed) on this many class
        groups in turn and measures its forgetting
        (:func:`compare.measure.continual.class_incremental_learning`); the number of
        groups must divide the task's classes.
    """

    name: str
    models: tuple[ModelSpec, ...]
    task: TaskSpec = field(default_factory=lambda: TaskSpec("digits"))
    seeds: tuple[int, ...] = (0,)
    operations_examples: int | None = DEFAULT_OPERATIONS_EXAMPLES
    energy_tables: tuple[str, ...] = DEFAULT_TABLES
    corruptions: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    continual_groups: int | None = None

    def __post_init__(self):
        if isinstance(self.task, str):
            object.__setattr__(self, "task", TaskSpec(self.task))
        if _CHECKED.get():
            return
        where = _Where(f"experiment {self.name!r}", None)
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):  # a spec's tables cannot repeat a label
            raise where.error(("models",), f"model labels must be unique, got {labels}")
        raw = self.to_dict()
        raw["task"] = {k: v for k, v in raw["task"].items() if v is not None}
        _resolve_experiment(raw, where)

    def to_dict(self) -> dict:
        """The config as a spec's JSON-able data (what ``spec.json`` holds, less the
        spec's own keys)."""
        return {
            "name": self.name,
            "task": self.task.to_dict(),
            "models": {
                m.label: {"kind": m.kind, "params": json.loads(json.dumps(m.params, default=str))}
                for m in self.models
            },
            "seeds": list(self.seeds),
            "energy_tables": list(self.energy_tables),
            "operations_examples": (
                "all" if self.operations_examples is None else self.operations_examples
            ),
            **_corruptions_table(self.corruptions, self.severities),
            **_continual_table(self.continual_groups),
        }

    def job_config(self, model: ModelSpec, seed: int, task_sha256: str) -> dict:
        """The JSON-able config of one job of this experiment (its ``config.json``; the
        job id hashes it: :func:`compare.pipeline.runner.job_id`)."""
        evaluation = {
            "operations_examples": self.operations_examples,
            "energy_tables": [get_table(t).label for t in self.energy_tables],
        }
        # only when set: the ids of jobs without them stay what they were
        if self.corruptions:
            evaluation["corruptions"] = list(self.corruptions)
            evaluation["severities"] = list(self.severities)
        if self.continual_groups is not None:
            evaluation["continual_groups"] = self.continual_groups
        return {
            "schema": JOB_SCHEMA,
            "model": {
                "label": model.label,
                "kind": model.kind,
                "params": json.loads(json.dumps(model.params)),
            },
            "seed": int(seed),
            "task": {**self.task.to_dict(), "sha256": task_sha256},
            "evaluation": evaluation,
        }


@dataclass(frozen=True)
class Point:
    """One point of a spec's sweeps: the values set there and the resulting experiment."""

    index: int
    """Position in :meth:`Spec.points` (the Cartesian product, first sweep slowest)."""
    values: dict
    """Sweep path -> value at this point (empty for a spec without sweeps)."""
    config: ExperimentConfig
    """The experiment at this point: every model x seed on one task."""


@dataclass(frozen=True)
class Spec(ExperimentConfig):
    """A checked, fully resolved experiment spec: an :class:`ExperimentConfig` with its
    sweeps and where it came from (see the module docstring).

    Build one with :func:`load_spec` or :func:`parse_spec`, or from an
    :class:`ExperimentConfig` with :meth:`from_config`.
    """

    sweeps: dict = field(default_factory=dict)
    """Sweep path -> tuple of values, in file order."""
    description: str = ""
    source: str | None = None
    """The spec file (None for a spec built in code)."""
    overrides: tuple[str, ...] = ()
    """The ``--set`` flags applied, as given."""
    quick: bool = False
    """Whether the spec's ``[quick]`` table was applied (a smoke-size run)."""
    source_text: str | None = field(default=None, repr=False, compare=False)
    _raw: dict = field(default_factory=dict, repr=False, compare=False)
    _where: _Where | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The resolved spec as JSON-able data (defaults filled in, overrides applied)."""
        return {
            **super().to_dict(),
            "description": self.description,
            "sweeps": {path: list(values) for path, values in self.sweeps.items()},
            "source": self.source,
            "overrides": list(self.overrides),
            "quick": self.quick,
        }

    @property
    def results_name(self) -> str:
        """The results directory's name: ``name``, or ``name-quick`` for a smoke run."""
        return f"{self.name}-quick" if self.quick else self.name

    def config(self) -> ExperimentConfig:
        """The spec without its sweeps as an experiment (every model x seed)."""
        with _checked():
            return ExperimentConfig(
                **{f.name: getattr(self, f.name) for f in dataclasses.fields(ExperimentConfig)}
            )

    def points(self) -> list[Point]:
        """Every sweep point, in the order of the Cartesian product (last sweep fastest).

        Each point is the spec with that point's values set, checked again as a whole
        (an error names the sweep that set the offending value).
        """
        if not self.sweeps:
            return [Point(0, {}, self.config())]
        where = self._where or _Where("<spec>", None)
        paths = list(self.sweeps)
        points = []
        for index, values in enumerate(itertools.product(*self.sweeps.values())):
            raw = copy.deepcopy(self._raw)
            raw.pop("sweeps", None)
            origins = {}
            for path, value in zip(paths, values):
                parts = tuple(path.split("."))
                _set(raw, parts, copy.deepcopy(value), where, ("sweeps", path))
                origins[parts] = f"sweep {path!r} = {json.dumps(value)} ({where(('sweeps', path))})"
            point = _resolve(
                raw, where.with_origins(origins), self.source, self.overrides, quick=self.quick
            )
            points.append(Point(index, dict(zip(paths, values)), point.config()))
        return points

    @classmethod
    def from_dict(cls, data: Mapping, *, source_text: str | None = None) -> Spec:
        """The spec that :meth:`to_dict` described (a results directory's ``spec.json``).

        ``source_text`` is the file as written (``spec.toml``), where there is one.
        ``Spec.from_dict(spec.to_dict()) == spec``; the ``[quick]`` table and the
        ``--set`` flags are already applied in ``data``, so they are not applied again.

        Raises
        ------
        SpecError
            If ``data`` is not a valid resolved spec (the message names the key).
        """
        recorded = ("source", "overrides", "quick")  # how it was made, not what it is
        raw = {k: copy.deepcopy(v) for k, v in data.items() if k not in recorded}
        if isinstance(raw.get("task"), dict):
            raw["task"] = {k: v for k, v in raw["task"].items() if v is not None}
        label = f"resolved spec {data.get('name', '')!r}"
        return _resolve(
            raw,
            _Where(label, None),
            data.get("source"),
            tuple(data.get("overrides", ())),
            source_text,
            quick=bool(data.get("quick", False)),
        )

    @classmethod
    def from_config(cls, config: ExperimentConfig) -> Spec:
        """The spec of an :class:`ExperimentConfig` (no sweeps), as its data reads back."""
        raw = config.to_dict()
        raw["task"] = {k: v for k, v in raw["task"].items() if v is not None}
        return _resolve(raw, _Where(f"experiment {config.name!r}", None), None, ())


def _corruptions_table(kinds: Sequence[str], severities: Sequence[int]) -> dict:
    """The spec's ``corruptions`` entry (none when no kind is set)."""
    if not kinds:
        return {}
    return {"corruptions": {"kinds": list(kinds), "severities": list(severities)}}


def _corruptions(where: _Where, value) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Check a spec's ``[corruptions]`` table: (kinds, severities), both empty without one."""
    if value is None:
        return (), ()
    path = ("corruptions",)
    table = _table(where, path, value)
    _check_keys(where, path, table, _CORRUPTION_KEYS)
    if "kinds" not in table:
        raise where.error(path, f"no kinds: list some of {', '.join(CORRUPTIONS)}")
    kinds_raw = _array(where, (*path, "kinds"), table["kinds"])
    kinds = tuple(_choice(where, (*path, "kinds"), k, CORRUPTIONS, "corruption") for k in kinds_raw)
    default = [s for s in SEVERITIES if s > 0]
    severities_raw = _array(where, (*path, "severities"), table.get("severities", default))
    severities = tuple(
        _integer(where, (*path, "severities"), s, 1, "severities from 1 to 5 (0 is the clean set)")
        for s in severities_raw
    )
    if not kinds or not severities:
        raise where.error(path, "kinds and severities must each list at least one value")
    if max(severities) > max(SEVERITIES):
        raise where.error(
            (*path, "severities"),
            f"severities go from 1 to {max(SEVERITIES)}, got {list(severities)}",
        )
    for key, values in (("kinds", kinds), ("severities", severities)):
        if len(set(values)) != len(values):
            raise where.error((*path, key), f"{key} must be unique, got {list(values)}")
    return kinds, severities


def _continual_table(groups: int | None) -> dict:
    """The spec's ``continual`` entry (none when not set)."""
    return {} if groups is None else {"continual": {"groups": groups}}


def _continual(where: _Where, value) -> int | None:
    """Check a spec's ``[continual]`` table: the number of class groups, None without one."""
    if value is None:
        return None
    path = ("continual",)
    table = _table(where, path, value)
    _check_keys(where, path, table, _CONTINUAL_KEYS)
    if "groups" not in table:
        raise where.error(path, "no groups: say how many class groups to learn in turn, e.g. 5")
    return _integer(where, (*path, "groups"), table["groups"], 2, "an integer >= 2 (class groups)")


def _quick_settings(where: _Where, value) -> list[tuple[tuple[str, ...], object]]:
    """Check a spec's ``[quick]`` table: its settings as (key path, value), in file order.

    The table is walked down to its leaves (values that are not tables) and to the
    entries of its ``sweeps`` (each replaces that sweep whole).
    """
    if value is None:
        return []
    settings = []

    def walk(path: tuple[str, ...], node) -> None:
        if not isinstance(node, dict):
            settings.append((path, node))
        elif not node:
            raise where.error(("quick", *path), "an empty table changes nothing")
        elif path == ("sweeps",):
            settings.extend(((*path, sweep), values) for sweep, values in node.items())
        else:
            for key, child in node.items():
                walk((*path, key), child)

    table = _table(where, ("quick",), value)
    if not table:
        raise where.error(("quick",), "an empty [quick] table changes nothing")
    _check_keys(where, ("quick",), table, _TOP_KEYS)
    for key, child in table.items():
        if key in _UNQUICK:
            raise where.error(("quick", key), f"{key} cannot be set by [quick]: {_UNQUICK[key]}")
        walk((key,), child)
    return settings


def _set(raw: dict, parts: tuple[str, ...], value, where: _Where, origin: tuple[str, ...]):
    """Set ``raw[parts[0]][parts[1]]... = value``, creating tables on the way."""
    table = raw
    for depth, part in enumerate(parts[:-1]):
        node = table.setdefault(part, {})
        if not isinstance(node, dict):
            raise SpecError(
                f"{where(origin)}: {format_key(origin)}: cannot set "
                f"{format_key(parts)}: {format_key(parts[: depth + 1])} is "
                f"{_type_name(node)}, not a table"
            )
        table = node
    table[parts[-1]] = value


def _resolve(
    raw: dict,
    where: _Where,
    source: str | None,
    overrides: tuple[str, ...],
    text: str | None = None,
    *,
    quick: bool = False,
) -> Spec:
    """Check a spec's data and fill in the defaults."""
    _check_keys(where, (), raw, _TOP_KEYS)
    _quick_settings(where, raw.get("quick"))
    fields = _resolve_experiment(raw, where)
    sweeps = _resolve_sweeps(where, raw, fields["models"])
    with _checked():
        spec = Spec(
            **fields,
            sweeps=sweeps,
            description=_string(where, ("description",), raw.get("description", "")),
            source=source,
            overrides=tuple(overrides),
            quick=quick,
            source_text=text,
            _raw=copy.deepcopy(raw),
            _where=where,
        )
    if sweeps:
        spec.points()  # every point is checked before anything runs
    return spec


def _resolve_experiment(raw: dict, where: _Where) -> dict:
    """Check an experiment's data (a spec's, less its sweeps): the ExperimentConfig fields."""
    corruptions, severities = _corruptions(where, raw.get("corruptions"))
    return {
        "name": _resolve_name(where, raw),
        "task": _resolve_task(where, raw),
        "models": _resolve_models(where, raw),
        "seeds": _resolve_seeds(where, raw),
        "energy_tables": _resolve_tables(where, raw),
        "operations_examples": _resolve_operations(where, raw),
        "corruptions": corruptions,
        "severities": severities,
        "continual_groups": _continual(where, raw.get("continual")),
    }


def _default(name: str):
    """The default of an ExperimentConfig field: each default lives in the dataclass."""
    return next(f.default for f in dataclasses.fields(ExperimentConfig) if f.name == name)


def _resolve_name(where: _Where, raw: dict) -> str:
    """The experiment's name."""
    if "name" not in raw:
        raise SpecError(f'{where(())}: no experiment name: add name = "..."')
    return _string(
        where,
        ("name",),
        raw["name"],
        _NAME,
        "use letters, digits, '-', '_' and '.' (it names the results directory)",
    )


def _resolve_task(where: _Where, raw: dict) -> TaskSpec:
    """The [task] table: the loader, its arguments, the subset sizes and seed."""
    if "task" not in raw:
        raise SpecError(f'{where(())}: no [task] table: add one with name = "digits" or similar')
    task_raw = _table(where, ("task",), raw["task"])
    _check_keys(where, ("task",), task_raw, _TASK_KEYS)
    if "name" not in task_raw:
        raise where.error(("task",), 'no task name: add name = "digits" or similar')
    task_name = _choice(where, ("task", "name"), task_raw["name"], TASKS, "task")
    task_params = _table(where, ("task", "params"), task_raw.get("params", {}))
    _check_keys(where, ("task", "params"), task_params, _loader_arguments(task_name))
    sizes = {}
    for size in ("n_train", "n_test"):
        if size in task_raw:
            sizes[size] = _integer(
                where, ("task", size), task_raw[size], 1, "a positive integer (examples)"
            )
    subset_seed = _integer(
        where,
        ("task", "subset_seed"),
        task_raw.get("subset_seed", TaskSpec.subset_seed),
        0,
        "an integer >= 0",
    )
    return TaskSpec(task_name, copy.deepcopy(task_params), subset_seed=subset_seed, **sizes)


def _resolve_models(where: _Where, raw: dict) -> tuple[ModelSpec, ...]:
    """The [models.LABEL] tables: kind and hyperparameters, in the file's order."""
    if "models" not in raw:
        raise SpecError(f'{where(())}: no models: add a [models.LABEL] table with kind = "..."')
    models_raw = _table(where, ("models",), raw["models"])
    if not models_raw:
        raise where.error(("models",), "no models: add a [models.LABEL] table")
    models = []
    for label, model_raw in models_raw.items():
        path = ("models", label)
        if not _LABEL.match(label):
            raise where.error(
                path, f"label {label!r} is not allowed: use letters, digits, '-' and '_'"
            )
        model_raw = _table(where, path, model_raw)
        _check_keys(where, path, model_raw, _MODEL_KEYS)
        if "kind" not in model_raw:
            raise where.error(path, f"no kind: add kind = one of {', '.join(sorted(MODELS))}")
        kind = _choice(where, (*path, "kind"), model_raw["kind"], MODELS, "model kind")
        params = _table(where, (*path, "params"), model_raw.get("params", {}))
        if "random_state" in params:
            raise where.error(
                (*path, "params", "random_state"),
                "random_state comes from the spec's seeds; list them in seeds instead",
            )
        _check_keys(where, (*path, "params"), params, _hyperparameters(kind))
        models.append(ModelSpec(label, kind, copy.deepcopy(params)))
    return tuple(models)


def _resolve_seeds(where: _Where, raw: dict) -> tuple[int, ...]:
    """The seeds (default [0]): unique integers >= 0."""
    seeds_raw = _array(where, ("seeds",), raw.get("seeds", list(_default("seeds"))))
    if not seeds_raw:
        raise where.error(("seeds",), "no seeds: list at least one, e.g. seeds = [0]")
    seeds = tuple(
        _integer(where, ("seeds",), s, 0, "seeds that are integers >= 0") for s in seeds_raw
    )
    if len(set(seeds)) != len(seeds):
        raise where.error(("seeds",), f"seeds must be unique, got {list(seeds)}")
    return seeds


def _resolve_tables(where: _Where, raw: dict) -> tuple[str, ...]:
    """The cost tables the operations are priced with (default: DEFAULT_TABLES)."""
    tables_raw = _array(
        where, ("energy_tables",), raw.get("energy_tables", list(_default("energy_tables")))
    )
    tables = tuple(_choice(where, ("energy_tables",), t, TABLES, "cost table") for t in tables_raw)
    if len(set(tables)) != len(tables):
        raise where.error(("energy_tables",), f"tables must be unique, got {list(tables)}")
    return tables


def _resolve_operations(where: _Where, raw: dict) -> int | None:
    """The test examples the operations are counted on: a number, or "all" (None)."""
    ops = raw.get("operations_examples", _default("operations_examples"))
    if ops == "all":
        operations_examples = None
    else:
        operations_examples = _integer(
            where, ("operations_examples",), ops, 1, 'a positive integer or "all"'
        )
    return operations_examples


def _resolve_sweeps(where: _Where, raw: dict, models: tuple[ModelSpec, ...]) -> dict:
    """The [sweeps] table: dotted paths to lists of values, checked against the spec."""
    sweeps_raw = _table(where, ("sweeps",), raw.get("sweeps", {}))
    sweeps = {}
    labels = [m.label for m in models]
    for path, values in sweeps_raw.items():
        key = ("sweeps", path)
        parts = tuple(path.split("."))
        if not all(parts):
            raise where.error(key, "a sweep path is a dotted name, e.g. task.n_train")
        if parts[0] not in _TOP_KEYS:
            raise where.error(key, f"unknown field {parts[0]!r}; known: {', '.join(_TOP_KEYS)}")
        if parts[0] in _UNSWEEPABLE:
            raise where.error(key, f"{parts[0]} cannot be swept: {_UNSWEEPABLE[parts[0]]}")
        if parts[0] == "models" and (len(parts) < 2 or parts[1] not in labels):
            raise where.error(
                key, f"sweep paths under models name a model: one of {', '.join(labels)}"
            )
        values = _array(where, key, values)
        if not values:
            raise where.error(key, "a sweep needs at least one value")
        encoded = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(encoded)) != len(encoded):
            raise where.error(key, f"a value is listed twice: {values}")
        for other in sweeps:
            if other.split(".")[: len(parts)] == list(parts[: len(other.split("."))]):
                raise where.error(key, f"overlaps the sweep {other!r}")
        for setting, origin in where.set_by.items():
            if setting[: len(parts)] == parts and origin.startswith(("--set", "[quick]")):
                instead = (
                    f'sweeps = {{ "{path}" = [...] }} in [quick]'
                    if origin.startswith("[quick]")
                    else f"--set 'sweeps.\"{path}\"=[...]'"
                )
                raise where.error(
                    key, f"{origin} sets a swept value; override the sweep instead, e.g. {instead}"
                )
        sweeps[path] = tuple(copy.deepcopy(values))
    return sweeps


# --------------------------------------------------------------------------- entry points


_BARE_WORD = re.compile(r"^[A-Za-z0-9_./~:+-]+$")


def parse_override(text: str) -> tuple[tuple[str, ...], object]:
    """Split a ``--set KEY=VALUE`` flag into a key path and a value.

    The key is a TOML key (dotted; quote parts holding dots:
    ``sweeps."task.n_train"``); the value a TOML literal, or a bare word taken as a
    string (see the module docstring).

    >>> parse_override("task.n_train=1000"), parse_override("seeds=[0, 1]")
    ((('task', 'n_train'), 1000), (('seeds',), [0, 1]))
    >>> parse_override("task.name=fashion-mnist")
    (('task', 'name'), 'fashion-mnist')
    >>> parse_override("seeds=[0,1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    compare.pipeline.spec.SpecError: --set 'seeds=[0,1': '[0,1' is not a TOML value ...
    """
    key, sep, value = text.partition("=")
    flag = f"--set {text!r}"
    if not sep or not key.strip():
        raise SpecError(f"{flag}: expected KEY=VALUE, e.g. --set task.n_train=1000")
    try:
        parsed = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        parsed = None
    path = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        ((part, parsed),) = parsed.items()
        path.append(part)
    if parsed != 0 or not path:
        raise SpecError(
            f"{flag}: {key.strip()!r} is not a key; write a dotted name such as "
            'task.n_train, quoting parts with dots: sweeps."task.n_train"'
        )
    value = value.strip()
    try:
        return tuple(path), tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError as err:
        if _BARE_WORD.match(value):
            return tuple(path), value
        reason = str(err).split(" (at line")[0]
        raise SpecError(
            f"{flag}: {value!r} is not a TOML value ({reason}); write e.g. 1000, 0.5, "
            '"text", [0, 1], {hidden_sizes = [400]}'
        ) from None


def parse_spec(
    text: str,
    *,
    source: str | None = None,
    overrides: Sequence[str] = (),
    default_name: str | None = None,
    quick: bool = False,
) -> Spec:
    """Parse and check a spec from TOML text; ``overrides`` are ``KEY=VALUE`` strings.

    ``source`` names the text in messages (a file path); ``default_name`` is the
    experiment's name when the text sets none. ``quick`` applies the spec's
    ``[quick]`` table (its smoke-size run) before the overrides; a spec without one
    is an error then.
    """
    label = source or "<spec>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{label}: not valid TOML: {err}") from None
    where = _Where(label, KeyLocator(text))
    if default_name is not None and "name" not in raw:
        raw["name"] = default_name
    set_by = {}
    if quick:
        settings = _quick_settings(where, raw.get("quick"))
        if not settings:
            raise SpecError(
                f"{label}: no [quick] table: add one saying what a smoke-size run changes"
            )
        for path, value in settings:
            origin = ("quick", *path)
            set_by[path] = f"[quick] {format_key(path)} ({where(origin)})"
            _set(raw, path, copy.deepcopy(value), where.with_origins(set_by), origin)
    for flag in overrides:
        path, value = parse_override(flag)
        set_by[path] = f"--set {flag}"
        _set(raw, path, value, where.with_origins(set_by), path)
    return _resolve(raw, where.with_origins(set_by), source, tuple(overrides), text, quick=quick)


def load_spec(path: str | Path, overrides: Sequence[str] = (), *, quick: bool = False) -> Spec:
    """Read, override and check the spec in ``path`` (a ``.toml`` file).

    The experiment's name defaults to the file's stem. ``quick`` applies its
    ``[quick]`` table first (:func:`parse_spec`).

    Raises
    ------
    SpecError
        For any mistake; the message names the key and the file line (or the
        ``--set`` flag) it comes from.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no spec file {path}") from None
    return parse_spec(
        text, source=recorded_path(path), overrides=overrides, default_name=path.stem, quick=quick
    )
