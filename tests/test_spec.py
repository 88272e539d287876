"""compare/pipeline/spec.py: experiment specs, their checks (naming key and line), --set."""

import csv
import json
import random
import re
import subprocess
from pathlib import Path

import pytest

from compare.models.registry import MODELS, ModelSpec
from compare.pipeline.runner import plan_spec
from compare.pipeline.spec import (
    ExperimentConfig,
    KeyLocator,
    Spec,
    SpecError,
    TaskSpec,
    load_spec,
    parse_override,
    parse_spec,
)

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "experiments" / "specs"

BASE = """\
name = "t"
seeds = [0, 1]

[task]
name = "digits"
n_train = 100
n_test = 50

[models.lr]
kind = "logistic"
params = { epochs = 2 }

[models.mlp]
kind = "mlp"
params = { hidden_sizes = [8], epochs = 2 }
"""


def _write(tmp_path, text, name="t.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(tmp_path, text, overrides=()):
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(path, overrides)
    return str(info.value), path


def _line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_base_spec_resolves_with_defaults(tmp_path):
    spec = load_spec(_write(tmp_path, BASE))
    assert [m.label for m in spec.models] == ["lr", "mlp"]
    assert spec.models[1].params == {"hidden_sizes": [8], "epochs": 2}
    resolved = spec.to_dict()
    assert resolved["operations_examples"] == 200  # the default, written out
    assert resolved["energy_tables"] == [
        "horowitz-45nm-fp32",
        "horowitz-45nm-int8",
        "loihi-2018",
        "truenorth-2014",
    ]
    assert resolved["task"] == {
        "name": "digits",
        "params": {},
        "n_train": 100,
        "n_test": 50,
        "subset_seed": 0,
    }
    assert json.loads(json.dumps(resolved)) == resolved  # JSON-able as it is
    (point,) = spec.points()
    assert point.values == {} and point.config.seeds == (0, 1) and point.config.task.n_train == 100


@pytest.mark.parametrize(
    ("edit", "needle", "expected"),
    [
        # unknown keys, at every level, with a guess and the known keys
        (
            ("seeds = [0, 1]", "seed = [0, 1]"),
            "seed = [0, 1]",
            r"unknown key 'seed' at the top level; did you mean 'seeds'\? Known: name,",
        ),
        (("n_test = 50", "n_tests = 50"), "n_tests", r"unknown key 'n_tests' in \[task\]"),
        (
            ('kind = "logistic"', 'kinds = "logistic"'),
            "kinds",
            r"unknown key 'kinds' in \[models.lr\]; did you mean 'kind'\?",
        ),
        (
            ("hidden_sizes = [8]", "hidden = [8]"),
            "hidden = [8]",
            r"unknown key 'hidden' in \[models.mlp.params\]; did you mean 'hidden_sizes'\? "
            r"Known: activation, batch_size, device",
        ),
        # wrong types
        (("seeds = [0, 1]", 'seeds = "0"'), "seeds", r"seeds: expected an array, got a string"),
        (("seeds = [0, 1]", "seeds = [0, 1.5]"), "seeds", r"seeds: expected seeds that are"),
        (
            ("n_train = 100", "n_train = 1e2"),
            "n_train",
            r"task.n_train: expected a positive integer \(examples\), got a float \(100.0\)",
        ),
        (
            ("n_train = 100", 'n_train = "100"'),
            "n_train",
            r"task.n_train: expected a positive integer \(examples\), got a string",
        ),
        (
            ("params = { epochs = 2 }", "params = 2"),
            "params = 2",
            r"models.lr.params: expected a table, got an integer",
        ),
        # sizes below 1
        (("n_train = 100", "n_train = -5"), "n_train", r"task.n_train: .*got -5"),
        (("n_test = 50", "n_test = 0"), "n_test", r"task.n_test: .*got 0"),
        (
            ("seeds = [0, 1]", "seeds = [0, 1]\noperations_examples = -1"),
            "operations_examples",
            r'operations_examples: expected a positive integer or "all", got -1',
        ),
        (("seeds = [0, 1]", "seeds = [-1]"), "seeds", r"seeds: expected seeds .* got -1"),
        (("seeds = [0, 1]", "seeds = [1, 1]"), "seeds", r"seeds must be unique"),
        # names that must be known: the message lists what is
        (
            ('kind = "logistic"', 'kind = "svm"'),
            '"svm"',
            "models.lr.kind: unknown model kind 'svm'; known: "
            + re.escape(", ".join(sorted(MODELS))),
        ),
        (
            ('name = "digits"', 'name = "digitz"'),
            '"digitz"',
            r"task.name: unknown task 'digitz' \(did you mean 'digits'\?\); known: digits,",
        ),
        (
            ("seeds = [0, 1]", 'seeds = [0, 1]\nenergy_tables = ["loihi"]'),
            "energy_tables",
            r"unknown cost table 'loihi' \(did you mean 'loihi-2018'\?\); known: horowitz",
        ),
        (
            ("n_test = 50", "n_test = 50\nparams = { data_dir = '/x' }"),
            "data_dir",
            r"unknown key 'data_dir' in \[task.params\]; Known: test_size, random_state",
        ),
        (
            ("params = { epochs = 2 }", "params = { epochs = 2, random_state = 3 }"),
            "random_state",
            r"random_state comes from the spec's seeds",
        ),
        # the optional [corruptions] and [continual] tables
        (
            ("seeds = [0, 1]", 'seeds = [0, 1]\n[corruptions]\nkinds = ["blur"]'),
            "blur",
            r"corruptions.kinds: unknown corruption 'blur'; known: gaussian, occlusion, salt-and-",
        ),
        (
            (
                "seeds = [0, 1]",
                'seeds = [0, 1]\n[corruptions]\nkinds = ["gaussian"]\nseverities = [0]',
            ),
            "severities",
            r"corruptions.severities: expected severities from 1 to 5 \(0 is the clean set\), "
            r"got 0",
        ),
        (
            (
                "seeds = [0, 1]",
                'seeds = [0, 1]\n[corruptions]\nkinds = ["gaussian"]\nseverities = [6]',
            ),
            "severities",
            r"corruptions.severities: severities go from 1 to 5, got \[6\]",
        ),
        (
            ("seeds = [0, 1]", 'seeds = [0, 1]\n[corruptions]\nkinds = ["occlusion", "occlusion"]'),
            "kinds",
            r"corruptions.kinds: kinds must be unique",
        ),
        (
            ("seeds = [0, 1]", 'seeds = [0, 1]\n[corruptions]\nkinds = ["gaussian"]\nlevel = 2'),
            "level",
            r"unknown key 'level' in \[corruptions\]",
        ),
        (
            ("seeds = [0, 1]", "seeds = [0, 1]\n[continual]\ngroups = 1"),
            "groups",
            r"continual.groups: expected an integer >= 2 \(class groups\), got 1",
        ),
        (
            ("seeds = [0, 1]", "seeds = [0, 1]\n[continual]\ntasks = 5"),
            "tasks",
            r"unknown key 'tasks' in \[continual\]",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_line(tmp_path, edit, needle, expected):
    old, new = edit
    text = BASE.replace(old, new, 1)
    message, path = _error(tmp_path, text)
    assert message.startswith(f"{path}, line {_line_of(text, needle)}: "), message
    assert re.search(expected, message), message


def test_lines_are_found_past_multiline_values_and_in_dotted_keys(tmp_path):
    text = (
        'name = "t"\n'
        'description = """\n'
        "[models.fake]\n"  # inside a string: not a table
        'kind = "nonsense"\n'
        '"""\n'
        "seeds = [\n"
        "  0,\n"
        "  [1],\n"  # inside an array: not a table header
        "]\n"
        'task.name = "digits"  # dotted key at the top level\n'
        "task.n_train = 3\n"
        '[models."lr"]\n'
        "kind = 'logistic'\n"
    )
    message, path = _error(tmp_path, text)
    # seeds' second value is an array: the error points at the line where seeds starts
    assert message.startswith(f"{path}, line 6: seeds:"), message
    message, _ = _error(tmp_path, text.replace("  [1],\n", "  1,\n").replace("= 3", "= -3"))
    assert message.startswith(f"{path}, line 11: task.n_train:"), message
    where = KeyLocator(text)
    assert where.line(("models", "lr", "kind")) == 13
    assert ("models", "fake") not in where.lines  # text in a string is not a header


def _random_document(rng: random.Random) -> tuple[str, dict]:
    """A TOML text of tables, dotted and quoted keys, comments, blank lines and values
    spanning lines, and the line each key is set on."""
    lines, expected = [], {}

    def emit(text, key=None):
        lines.append(text)
        if key is not None:
            expected[key] = len(lines)

    for t in range(rng.randint(1, 4)):
        table = ("tab", f"t{t}") if rng.random() < 0.5 else (f"t{t}",)
        header = ".".join(table) if rng.random() < 0.5 else ".".join(f'"{p}"' for p in table)
        emit(f"[{header}]  # table {t}", table)
        for k in range(rng.randint(1, 5)):
            if rng.random() < 0.3:
                emit("# a comment with key = 1 in it")
            if rng.random() < 0.2:
                emit("")
            key = (*table, f"k{k}")
            shape = rng.choice(["int", "str", "array", "multiline", "dotted"])
            if shape == "int":
                emit(f"{key[-1]} = {rng.randint(0, 9)}", key)
            elif shape == "str":
                emit(f'{key[-1]} = "a = [b]"  # \'', key)
            elif shape == "array":
                emit(f"{key[-1]} = [[1], [2]]", key)
            elif shape == "multiline":
                emit(f"{key[-1]} = [", key)
                emit("  [1],")
                emit("  [2]  # x = 3")
                emit("]")
            else:
                emit(f"{key[-1]}.inner = 1", (*key, "inner"))
    return "\n".join(lines) + "\n", expected


def test_the_locator_finds_every_key_of_generated_documents():
    """Property-style, over 50 random documents: every key's line is the one it is on."""
    rng = random.Random(0)
    for _ in range(50):
        text, expected = _random_document(rng)
        where = KeyLocator(text)
        for key, line in expected.items():
            assert where.line(key) == line, (key, text)


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    message, path = _error(tmp_path, BASE.replace("n_test = 50", "n_test = = 50"))
    assert message.startswith(f"{path}: not valid TOML: ") and "line 7" in message


def test_sweeps_expand_to_the_cartesian_product_and_each_point_is_checked(tmp_path):
    sweeps = '"task.n_train" = [100, 200]\n"models.mlp.params.hidden_sizes" = [[4], [8], [16]]'
    text = f"{BASE}\n[sweeps]\n{sweeps}\n"
    spec = load_spec(_write(tmp_path, text))
    points = spec.points()
    assert len(points) == 6
    assert [p.values["task.n_train"] for p in points] == [100] * 3 + [200] * 3
    assert points[4].values == {"task.n_train": 200, "models.mlp.params.hidden_sizes": [8]}
    assert points[4].config.task.n_train == 200
    assert points[4].config.models[1].params["hidden_sizes"] == [8]
    assert points[4].config.models[0].params == {"epochs": 2}  # untouched

    bad = text.replace("[100, 200]", "[100, -1]")
    message, path = _error(tmp_path, bad)
    line = _line_of(bad, '"task.n_train"')
    assert message.startswith(f"sweep 'task.n_train' = -1 ({path}, line {line}): task.n_train:")

    for sweep, expected in [
        ('"seeds" = [[0], [1]]', "seeds cannot be swept: the seeds are already a dimension"),
        ('"models.cnn.params.epochs" = [1, 2]', "under models name a model: one of lr, mlp"),
        ('"task.n_train" = []', "a sweep needs at least one value"),
        ('"task.n_train" = [5, 5]', "a value is listed twice"),
        ('"task.n_train" = 5', "expected an array, got an integer"),
        ('"model.mlp" = [1]', "unknown field 'model'"),
        ('"task" = [{name = "digits"}]\n"task.n_test" = [5]', "overlaps the sweep 'task'"),
    ]:
        text = BASE + f"\n[sweeps]\n{sweep}\n"
        message, path = _error(tmp_path, text)
        last = len(text.splitlines())  # the error is about the last sweep
        assert message.startswith(f"{path}, line {last}: sweeps."), message
        assert expected in message, message


def test_set_flags_parse_toml_values_and_bare_words():
    assert parse_override("seeds=[0,1,2]") == (("seeds",), [0, 1, 2])
    assert parse_override("task.n_train=1000") == (("task", "n_train"), 1000)
    assert parse_override("operations_examples=all") == (("operations_examples",), "all")
    assert parse_override("task.params.data_dir=/data/fashion") == (
        ("task", "params", "data_dir"),
        "/data/fashion",
    )
    assert parse_override("models.mlp.params={hidden_sizes=[400], dropout=0.5}") == (
        ("models", "mlp", "params"),
        {"hidden_sizes": [400], "dropout": 0.5},
    )
    assert parse_override('sweeps."task.n_train"=[10, 20]') == (
        ("sweeps", "task.n_train"),
        [10, 20],
    )
    assert parse_override("name = spaced ") == (("name",), "spaced")
    assert parse_override('description="a = b"') == (("description",), "a = b")


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.choice(["int", "float", "str", "bool"] + (["list", "table"] if depth < 2 else []))
    if kind == "int":
        return rng.randint(-(10**6), 10**6)
    if kind == "float":
        return rng.choice([0.5, -2.25, 1e-5, 3.0e8, rng.random()])
    if kind == "str":
        return "".join(rng.choice("ab =[]{},.'\"\\é#") for _ in range(rng.randint(0, 6)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 3))}


def _toml(value) -> str:
    """A TOML literal of ``value`` (JSON's strings and numbers are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def test_set_values_round_trip():
    """Property-style, over 300 random values: a TOML literal comes back as written."""
    rng = random.Random(1)
    for _ in range(300):
        value = _random_value(rng)
        assert parse_override(f"models.m.params.x={_toml(value)}") == (
            ("models", "m", "params", "x"),
            value,
        )


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("seeds=[0,1", r"--set 'seeds=\[0,1': '\[0,1' is not a TOML value \(.+\); write e.g."),
        ('name="open', r"is not a TOML value"),
        ("seeds={0}", r"is not a TOML value"),
        ("seeds", r"--set 'seeds': expected KEY=VALUE"),
        ("=3", r"expected KEY=VALUE"),
        ("seeds=", r"'' is not a TOML value"),
        ("a..b=1", r"'a..b' is not a key"),
        ("a b=1", r"'a b' is not a key"),
    ],
)
def test_malformed_set_flags_are_clear_errors(flag, expected):
    with pytest.raises(SpecError, match=expected):
        parse_override(flag)


def test_set_flags_override_the_file_and_their_errors_name_the_flag(tmp_path):
    path = _write(tmp_path, BASE)
    spec = load_spec(path, ["seeds=[0,1,2]", "task.n_train=60", "models.lr.params.epochs=7"])
    assert spec.seeds == (0, 1, 2) and spec.task.n_train == 60
    assert spec.models[0].params == {"epochs": 7}
    assert spec.to_dict()["overrides"] == [
        "seeds=[0,1,2]",
        "task.n_train=60",
        "models.lr.params.epochs=7",
    ]
    # a new model, and a new table, made by flags alone
    spec = load_spec(path, ["models.lr2.kind=logistic", "task.params.random_state=3"])
    assert [m.label for m in spec.models] == ["lr", "mlp", "lr2"]
    assert spec.task.params == {"random_state": 3}

    for flags, expected in [
        (["task.n_train=-1"], "--set task.n_train=-1: task.n_train: expected a positive"),
        (["seeds=0"], "--set seeds=0: seeds: expected an array, got an integer"),
        (["models.lr.kindd=mlp"], "--set models.lr.kindd=mlp: unknown key 'kindd'"),
        (["seeds.x=1"], "--set seeds.x=1: seeds.x: cannot set seeds.x: seeds is an array"),
        (["task.name=nope"], "--set task.name=nope: task.name: unknown task 'nope'"),
    ]:
        with pytest.raises(SpecError) as info:
            load_spec(path, flags)
        assert str(info.value).startswith(expected), str(info.value)

    swept = _write(tmp_path, BASE + '[sweeps]\n"task.n_train" = [100, 200]\n', "swept.toml")
    with pytest.raises(SpecError, match="sets a swept value; override the sweep instead"):
        load_spec(swept, ["task.n_train=60"])
    spec = load_spec(swept, ['sweeps."task.n_train"=[60]'])
    assert [p.config.task.n_train for p in spec.points()] == [60]


def test_required_parts_are_asked_for(tmp_path):
    for text, expected in [
        ('name = "t"\n', "no [task] table"),
        ('name = "t"\n[task]\nname = "digits"\n', "no models"),
        ('name = "t"\n[task]\nn_train = 5\n[models.a]\nkind = "mlp"\n', "no task name"),
        ('name = "t"\n[task]\nname = "digits"\n[models.a]\n', "no kind"),
        ('name = "t"\nseeds = []\n[task]\nname = "digits"\n[models.a]\nkind = "mlp"', "no seeds"),
        ('name = "a/b"\n[task]\nname = "digits"\n[models.a]\nkind = "mlp"\n', "names the results"),
        ('name = "t"\n[task]\nname = "digits"\n[models."a.b"]\nkind = "mlp"\n', "label 'a.b'"),
    ]:
        with pytest.raises(SpecError, match=re.escape(expected)):
            parse_spec(text)
    # a spec file without a name takes the file's
    spec = load_spec(_write(tmp_path, BASE.replace('name = "t"\n', ""), "from_stem.toml"))
    assert spec.name == "from_stem"
    with pytest.raises(FileNotFoundError, match="no spec file"):
        load_spec(tmp_path / "missing.toml")


def test_an_experiment_config_round_trips_through_a_spec():
    from compare.pipeline.spec import Spec

    config = ExperimentConfig(
        name="rt",
        models=(ModelSpec("mlp", "mlp", {"hidden_sizes": (8,)}), ModelSpec("lr", "logistic")),
        task=TaskSpec("digits", {"random_state": 2}, n_train=120),
        seeds=(3, 4),
        operations_examples=None,
        energy_tables=("loihi-2018",),
    )
    spec = Spec.from_config(config)
    assert spec.to_dict()["operations_examples"] == "all"
    (point,) = spec.points()
    back = point.config
    assert back == config.__class__(**{**vars(config), "models": back.models})
    assert (back.name, back.task.name, back.task.params, back.seeds) == (
        "rt",
        "digits",
        {"random_state": 2},
        (3, 4),
    )
    assert (back.task.n_train, back.task.n_test, back.operations_examples) == (120, None, None)
    assert back.energy_tables == ("loihi-2018",)
    assert back.models[0].params == {"hidden_sizes": [8]}  # as JSON: tuples become arrays


def test_the_example_specs_load():
    fashion = load_spec(SPECS / "fashion_learning_rules.toml")
    assert fashion.task.name == "fashion-mnist" and fashion.seeds == (0, 1, 2)
    kinds = {m.label: (m.kind, m.params) for m in fashion.models}
    assert kinds["dc400"][0] == "diehl-cook" and kinds["dc400"][1]["n_excitatory"] == 400
    assert kinds["mlp"] == ("mlp", {"hidden_sizes": [400], "epochs": 30})
    assert kinds["sg-snn"][0] == "sg-snn" and kinds["sg-snn"][1]["hidden_sizes"] == [400]
    assert kinds["logistic"][0] == "logistic"
    tiny = load_spec(SPECS / "tiny_digits.toml")
    assert tiny.task.name == "digits" and len(tiny.points()) == 2


# -- [quick]: the spec's own smoke-size run ----------------------------------------------

QUICK = """
[sweeps]
"models.mlp.params.hidden_sizes" = [[8], [16]]

[quick]
seeds = [0]
task = { n_train = 40 }
models.mlp.params = { epochs = 1 }
sweeps = { "models.mlp.params.hidden_sizes" = [[4]] }
"""


def test_quick_merges_its_table_over_the_spec_and_set_flags_win(tmp_path):
    path = _write(tmp_path, BASE + QUICK)
    full = load_spec(path)
    assert full.seeds == (0, 1) and full.task.n_train == 100 and not full.quick
    assert dict((m.label, m.params) for m in full.models)["mlp"]["epochs"] == 2
    assert full.results_name == "t" and full.to_dict()["quick"] is False

    quick = load_spec(path, ["seeds=[3]"], quick=True)
    assert quick.seeds == (3,)  # --set after [quick]
    assert quick.task.n_train == 40 and quick.task.n_test == 50  # merged, not replaced
    mlp = dict((m.label, m.params) for m in quick.models)["mlp"]
    assert mlp == {"hidden_sizes": [8], "epochs": 1}
    assert quick.sweeps == {"models.mlp.params.hidden_sizes": ([4],)}  # a sweep replaced whole
    assert [p.values for p in quick.points()] == [{"models.mlp.params.hidden_sizes": [4]}]
    assert quick.results_name == "t-quick" and quick.to_dict()["quick"] is True


def test_a_quick_table_changes_no_job_of_the_full_run(tmp_path):
    from compare.pipeline.runner import plan_spec

    plain = load_spec(_write(tmp_path, BASE, "a.toml"))
    quick_table = "\n[quick]\nseeds = [0]\ntask = { n_train = 40 }\n"
    with_quick = load_spec(_write(tmp_path, BASE + quick_table, "b.toml"))
    ids = [j.id for j in plan_spec(plain).jobs]
    assert [j.id for j in plan_spec(with_quick).jobs] == ids
    assert [j.id for j in plan_spec(load_spec(tmp_path / "b.toml", quick=True)).jobs] != ids


@pytest.mark.parametrize(
    "table, expected",
    [
        ('name = "x"', "quick.name: name cannot be set by [quick]"),
        ("seedz = [0]", "unknown key 'seedz' in [quick]; did you mean 'seeds'?"),
        ("task = {}", "quick.task: an empty table changes nothing"),
        ("quick = { seeds = [0] }", "quick.quick: quick cannot be set by [quick]"),
        ("", "quick: an empty [quick] table changes nothing"),
    ],
)
def test_quick_table_mistakes_are_errors_with_or_without_quick(tmp_path, table, expected):
    text = BASE + f"\n[quick]\n{table}\n"
    for quick in (False, True):
        with pytest.raises(SpecError, match=re.escape(expected)) as info:
            load_spec(_write(tmp_path, text), quick=quick)
        assert str(info.value).startswith(f"{tmp_path / 't.toml'}, line ")


def test_quick_values_are_checked_when_applied_and_name_their_line(tmp_path):
    text = BASE + "\n[quick]\ntask = { n_trian = 3 }\n"
    load_spec(_write(tmp_path, text))  # not applied: only the table's shape is checked
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, text), quick=True)
    line = _line_of(text, "n_trian")
    assert str(info.value).startswith(f"[quick] task.n_trian ({tmp_path / 't.toml'}, line {line})")
    assert "did you mean 'n_train'" in str(info.value)


def test_quick_may_not_set_a_swept_value_and_says_how_to(tmp_path):
    text = (
        BASE + QUICK.split("[quick]")[0] + "[quick]\nmodels.mlp.params = { hidden_sizes = [4] }\n"
    )
    with pytest.raises(SpecError, match=r"sets a swept value; .* in \[quick\]"):
        load_spec(_write(tmp_path, text), quick=True)


def test_quick_without_a_quick_table_is_an_error(tmp_path):
    with pytest.raises(SpecError, match=r"no \[quick\] table"):
        load_spec(_write(tmp_path, BASE), quick=True)


@pytest.mark.parametrize("name", sorted(p.name for p in SPECS.glob("*.toml")))
def test_every_study_spec_has_a_quick_run_that_is_smaller(name):
    """A study's smoke run is its spec's [quick] table (run by the studies' tests)."""
    full = load_spec(SPECS / name)
    if "quick" not in full._raw:
        assert name == "tiny_digits.toml"  # the demo spec is smoke-sized already
        return
    quick = load_spec(SPECS / name, quick=True)
    from compare.pipeline.runner import plan_spec

    assert len(plan_spec(quick).jobs) <= len(plan_spec(full).jobs)
    assert quick.task.n_test < (full.task.n_test or 10_000)


def test_a_spec_records_its_file_relative_to_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # wherever the command runs
    spec = load_spec(SPECS / "tiny_digits.toml")
    assert spec.to_dict()["source"] == "experiments/specs/tiny_digits.toml"
    outside = tmp_path / "mine.toml"
    outside.write_text((SPECS / "tiny_digits.toml").read_text())
    assert load_spec(outside).to_dict()["source"] == str(outside.resolve())


def test_committed_results_do_not_name_the_machine_that_made_them():
    # committed: tracked by git (results/ also holds a user's own runs, which may come
    # from specs anywhere, or from a config without a file: source None)
    listed = subprocess.run(
        ["git", "ls-files", "results"], cwd=ROOT, capture_output=True, text=True
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    recorded = [ROOT / f for f in listed.stdout.split() if f.endswith("spec.json")]
    assert recorded, "no committed results found"
    for path in recorded:
        source = json.loads(path.read_text())["source"]
        assert not Path(source).is_absolute(), f"{path}: source {source!r}"


def test_the_annotated_spec_in_the_architecture_doc_is_a_valid_spec():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    block = text.split("A spec, annotated", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    spec = parse_spec(block)
    assert spec.name == "tiny_digits" and [m.label for m in spec.models] == ["logistic", "mlp"]
    assert parse_spec(block, quick=True).seeds == (0,)


def test_the_committed_runs_job_ids_are_recomputed_from_their_specs():
    """Job ids hash the job configs that the schema derives: a change to the schema
    that changed an id would orphan every finished job. Each committed run's spec.json,
    planned again, gives exactly the job ids its results.csv records (no data needed:
    the data sets' digests are pinned)."""
    listed = subprocess.run(
        ["git", "ls-files", "results"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    checked = 0
    for name in listed:
        run = (ROOT / name).parent
        if not name.endswith("/spec.json") or not (run / "results.csv").is_file():
            continue
        spec = Spec.from_dict(json.loads((run / "spec.json").read_text()))
        with open(run / "results.csv", newline="") as fh:
            recorded = {row["job"] for row in csv.DictReader(fh)}
        assert {job.id for job in plan_spec(spec).jobs} == recorded, run
        checked += 1
    assert checked >= 8
