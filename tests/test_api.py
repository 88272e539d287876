"""compare/__init__.py and compare/api.py: the Python API (run, read_results, DataFrames)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import compare
from compare.api import Results, find_spec, read_results, run
from compare.files import METRIC_COLUMNS, TASK_COLUMNS
from compare.pipeline.spec import Spec, SpecError, load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "experiments" / "specs"
KEY = ["model", *TASK_COLUMNS, "seed", *METRIC_COLUMNS]
"""What a tidy row is one of (with the sweep columns): model, task (with its subset),
seed and metric (with what it was measured under)."""


def _readme_example() -> str:
    """The first ```python block under README.md's "## From Python" heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## From Python\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README.md's From Python section has no ```python block"
    return match.group(1)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """The README's example, run in a fresh directory: (its directory, its namespace)."""
    where = tmp_path_factory.mktemp("readme")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(where)
        namespace = {"__name__": "readme_example"}
        exec(compile(_readme_example(), "README.md", "exec"), namespace)
    return where, namespace


def test_importing_compare_imports_nothing_heavy():
    """`import compare.data.tasks` imports the package first: it must stay cheap."""
    code = (
        "import sys, compare, compare.api\n"
        "heavy = ['torch', 'brian2', 'dask', 'pandas', 'sklearn', 'matplotlib']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(sorted(set(compare.__all__) - set(dir(compare))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["[]", "[]"], done.stdout + done.stderr


def test_the_exports_are_the_functions_they_name():
    from compare import api
    from compare.data import tasks
    from compare.pipeline import spec

    assert compare.__all__ == ["Results", "load_spec", "load_task", "read_results", "run"]
    assert compare.run is api.run and compare.read_results is api.read_results
    assert compare.Results is api.Results
    assert compare.load_spec is spec.load_spec and compare.load_task is tasks.load_task
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        compare.nope  # noqa: B018


def test_the_readme_example_gives_one_row_per_model_task_seed_metric(readme_run):
    where, namespace = readme_run
    results, frame = namespace["results"], namespace["frame"]
    assert (where / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sweep = "models.mlp.params.hidden_sizes"
    assert results.sweeps == (sweep,)
    assert frame.duplicated([*KEY, sweep]).sum() == 0
    # logistic once (no sweep applies to it), the MLP at each of its two widths
    points = frame[["model", sweep]].drop_duplicates()
    assert sorted(points.fillna("-").itertuples(index=False)) == [
        ("logistic", "-"),
        ("mlp", "[32]"),
        ("mlp", "[8]"),
    ]
    n_seeds, n_metrics = frame["seed"].nunique(), len(frame[list(METRIC_COLUMNS)].drop_duplicates())
    assert (n_seeds, frame["task"].nunique()) == (2, 1)
    assert len(frame) == len(points) * n_seeds * n_metrics
    assert str(frame["seed"].dtype) == "int64" and str(frame["value"].dtype) == "float64"
    # the task's subset and the metrics' variables are typed columns, missing where n/a
    assert set(frame["task"]) == {"digits"} and set(frame["n_train"]) == {200}
    assert str(frame["n_train"].dtype) == "Int64" and frame["severity"].isna().all()
    energy = frame[frame["metric"] == "energy_with_memory"]
    assert set(energy["cost_table"]) == {"horowitz-45nm-fp32@1", "horowitz-45nm-int8@1"}
    assert frame[frame["metric"] == "accuracy"]["cost_table"].isna().all()
    accuracy = frame[frame["metric"] == "accuracy"]["value"]
    assert accuracy.between(0, 1).all() and (accuracy > 0.3).all()  # 10 classes: chance 0.1


def test_out_is_honoured_and_the_run_says_what_it_computed(readme_run):
    where, namespace = readme_run
    results = namespace["results"]
    assert results.output_dir == Path("runs/tiny_digits")
    assert (where / "runs" / "tiny_digits" / "results.csv").is_file()
    assert not (where / "results").exists()  # not the default results/tiny_digits
    assert len(results.run.computed) == 6 and results.run.reused == ()


def test_read_results_gives_the_same_frames_and_spec(readme_run):
    where, namespace = readme_run
    results = namespace["results"]
    again = read_results(where / "runs" / "tiny_digits")
    assert again.run is None and again.spec == results.spec == load_spec(SPECS / "tiny_digits.toml")
    assert again.to_frame().equals(results.to_frame())
    assert again.summary_frame().equals(results.summary_frame())
    summary = again.summary_frame()
    assert len(summary) == 4  # per sweep point: logistic and the MLP
    assert summary["accuracy_mean"].between(0, 1).all()


def test_to_frame_without_pandas_names_the_extra(readme_run, monkeypatch):
    where, _ = readme_run
    results = read_results(where / "runs" / "tiny_digits")  # needs no pandas
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    for method in (results.to_frame, results.summary_frame):
        with pytest.raises(ImportError, match=re.escape("pip install 'spikearena[frames]'")):
            method()


def test_run_with_set_and_quick_applies_quick_then_set(tmp_path, monkeypatch):
    path = tmp_path / "small.toml"
    path.write_text(
        'name = "small"\nseeds = [0, 1, 2]\noperations_examples = 20\n'
        'energy_tables = ["horowitz-45nm-fp32"]\n'
        '[task]\nname = "digits"\nn_train = 200\nn_test = 100\n'
        '[models.logistic]\nkind = "logistic"\nparams = { epochs = 5 }\n'
        "[quick]\nseeds = [3, 4]\ntask = { n_train = 100, n_test = 50 }\n"
    )
    monkeypatch.chdir(tmp_path)
    results = run(path, set=["seeds=[0]"], quick=True, progress=False)
    assert results.output_dir == Path("results/small-quick")  # the default, as the CLI's
    assert results.spec.quick and results.spec.overrides == ("seeds=[0]",)
    assert results.spec.seeds == (0,) and results.spec.task.n_test == 50  # --set wins
    frame = results.to_frame()
    assert set(frame["seed"]) == {0} and set(frame["model"]) == {"logistic"}
    assert not frame.duplicated(KEY).any()


def test_an_unknown_spec_name_lists_the_known_ones():
    with pytest.raises(FileNotFoundError, match=r"no spec file nope; specs in .*tiny_digits\.toml"):
        run("nope")
    with pytest.raises(FileNotFoundError, match="'quickstart' is an experiment script"):
        run("quickstart")
    assert find_spec("tiny_digits") == find_spec("tiny_digits.toml") == SPECS / "tiny_digits.toml"


def test_run_refuses_what_it_cannot_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(SPECS / "tiny_digits.toml")
    with pytest.raises(ValueError, match="set= and quick= apply to a spec file"):
        run(spec, set=["seeds=[0]"])
    with pytest.raises(TypeError, match=re.escape("write set=['seeds=[0]']")):
        run("tiny_digits", set="seeds=[0]")
    with pytest.raises(ValueError, match="give jobs or scheduler, not both"):
        run("tiny_digits", jobs=2, scheduler="tcp://localhost:8786")
    with pytest.raises(SpecError, match=r"no \[quick\] table"):
        run("tiny_digits", quick=True)
    assert not (tmp_path / "results").exists()


def test_read_results_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_results(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="lacks results.csv"):
        read_results(tmp_path)


@pytest.mark.parametrize("name", sorted(p.name for p in SPECS.glob("*.toml")))
def test_a_spec_survives_its_spec_json(name):
    """Results.spec is rebuilt from spec.json: Spec.from_dict(spec.to_dict()) == spec."""
    import json

    for quick in (False, True):
        try:
            spec = load_spec(SPECS / name, quick=quick)
        except SpecError:  # no [quick] table
            continue
        again = Spec.from_dict(json.loads(json.dumps(spec.to_dict())))
        assert again == spec
        assert [p.config for p in again.points()] == [p.config for p in spec.points()]


def test_results_repr_is_short(readme_run):
    results: Results = readme_run[1]["results"]
    assert len(repr(results)) < 2000 and "rows" not in repr(results)
