"""Property-based tests (hypothesis) of the input validators and the spec parser.

Each property is a promise to users: whatever they pass, they get either a result or
the documented error type with a message, never a stray exception from deep inside
(KeyError, TypeError, AttributeError, IndexError) or a silently accepted bad value.
"""

from __future__ import annotations

import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from artificial import LogisticRegression
from compare.data.tasks import Task
from compare.pipeline.spec import SpecError, parse_override, parse_spec

# --- the spec parser -------------------------------------------------------------------

KEY = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8)
SCALAR = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(string.ascii_letters + string.digits + " -_.", max_size=12),
)
VALUE = st.one_of(SCALAR, st.lists(st.integers(-1000, 1000), max_size=5))


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return str(value)


@given(st.lists(KEY, min_size=1, max_size=4), VALUE)
def test_set_flags_round_trip_any_key_path_and_toml_value(path, value):
    assert parse_override(f"{'.'.join(path)}={_toml(value)}") == (tuple(path), value)


@given(st.text(max_size=40))
def test_any_set_flag_parses_or_is_a_spec_error(text):
    try:
        path, _ = parse_override(text)
    except SpecError as err:
        assert str(err).startswith("--set ")  # names the flag it is about
    else:
        assert path and all(isinstance(part, str) for part in path)


SPEC_LINES = st.sampled_from(
    [
        'name = "x"',
        "seeds = [0, 1]",
        "seeds = [-1]",
        'seeds = "zero"',
        "operations_examples = 10",
        "operations_examples = -3",
        'energy_tables = ["horowitz-45nm-fp32"]',
        'energy_tables = ["nope"]',
        "[task]",
        'name = "digits"',
        'name = "no-such-task"',
        "n_train = 50",
        "n_train = 0",
        "n_test = 1.5",
        "[models.lr]",
        "[models.mlp]",
        'kind = "logistic"',
        'kind = "mlp"',
        'kind = "no-such-model"',
        "params = { epochs = 1 }",
        "params = { no_such_param = 1 }",
        "params = 3",
        "[sweeps]",
        '"task.n_train" = [50, 60]',
        '"models.lr.params.epochs" = [1, 2]',
        '"seeds" = [[0]]',
        '"task.nope" = [1]',
        "unknown = 1",
        "[[odd]]",
        "= broken",
    ]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(SPEC_LINES, max_size=12), st.lists(st.text(max_size=15), max_size=2))
def test_any_spec_text_parses_or_is_a_spec_error_naming_where(lines, overrides):
    text = "\n".join(lines) + "\n"
    try:
        spec = parse_spec(text, source="fuzz.toml", overrides=overrides)
    except SpecError as err:
        assert str(err).startswith(("fuzz.toml", "--set ")), str(err)
    else:
        assert spec.models and spec.seeds and spec.task.name


# --- data validation --------------------------------------------------------------------

FLOATS = st.floats(width=32, allow_nan=True, allow_infinity=True)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(4, 12), st.integers(1, 4)), elements=FLOATS))
def test_models_accept_exactly_finite_features_in_the_unit_interval(X):
    y = np.arange(len(X)) % 2
    valid = bool(np.all(np.isfinite(X)) and X.min() >= 0 and X.max() <= 1)
    model = LogisticRegression(epochs=1, random_state=0)
    if valid:
        assert model.fit(X, y).predict(X).shape == (len(X),)
    else:
        with pytest.raises(ValueError, match=r"NaN|infinity|\[0, 1\]"):
            model.fit(X, y)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=FLOATS),
    st.lists(st.integers(-1, 3), min_size=0, max_size=7),
)
def test_a_task_is_built_or_refused_with_a_message_naming_it(X, labels):
    y = np.asarray(labels, dtype=np.int64)
    try:
        task = Task(
            name="fuzz",
            X_train=X,
            y_train=y,
            X_test=X,
            y_test=y,
            shape=(X.shape[1],),
            classes=("a", "b", "c"),
            source="hypothesis",
            sha256="0" * 64,
        )
    except ValueError as err:
        assert "fuzz" in str(err)
    else:  # accepted: then it is what the protocol promises
        assert len(task.X_train) == len(task.y_train) > 0
        assert np.all(np.isfinite(task.X_train)) and task.X_train.min() >= 0
        assert task.X_train.max() <= 1 and set(task.y_train.tolist()) <= {0, 1, 2}
