"""compare.measure.tidy: plain metric names with their variables in columns, and the one
translation of rows written before (bracketed metric and task names)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from compare.files import METRIC_COLUMNS, TASK_COLUMNS, TIDY_COLUMNS, tidy_columns
from compare.measure.tidy import (
    Metric,
    matches,
    metric_key,
    metric_label,
    metric_rows,
    read_tidy_csv,
    task_columns,
    tidy_row,
)

ROOT = Path(__file__).resolve().parents[1]


def _old(task="digits", metric="accuracy", **cells):
    """A row as the runner wrote it before the columns existed."""
    return dict(
        experiment="e",
        task=task,
        model="mlp",
        arm="artificial",
        kind="mlp",
        seed=0,
        metric=metric,
        value=0.5,
        unit="1",
        **cells,
    )


def _cells(row, columns):
    return {c: row[c] for c in columns}


def _committed(name: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "results"], capture_output=True, text=True, cwd=ROOT
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / f for f in listed.stdout.split() if f.endswith(f"/{name}")]


# --------------------------------------------------------------------------- one per old form


def test_corrupted_accuracy():
    row = tidy_row(_old(metric="accuracy[salt-and-pepper=2]"))
    assert _cells(row, METRIC_COLUMNS) == {
        "metric": "corrupted_accuracy",
        "corruption": "salt-and-pepper",
        "severity": 2,
        "cost_table": None,
        "after_group": None,
        "task_group": None,
    }
    assert metric_key(row) == Metric("corrupted_accuracy", corruption="salt-and-pepper", severity=2)


@pytest.mark.parametrize("kind", ["energy_compute_only", "energy_with_memory"])
def test_both_energies(kind):
    row = tidy_row(_old(metric=f"{kind}[horowitz-45nm-fp32@1]"))
    assert (row["metric"], row["cost_table"]) == (kind, "horowitz-45nm-fp32@1")
    assert row["corruption"] is row["severity"] is row["after_group"] is None
    assert metric_key(row) == Metric(kind, cost_table="horowitz-45nm-fp32@1")


def test_continual_accuracy_after_each_group_on_each_group():
    row = tidy_row(_old(metric="accuracy[after=3,task=1]"))
    assert _cells(row, ("metric", "after_group", "task_group", "severity")) == {
        "metric": "group_accuracy",
        "after_group": 3,
        "task_group": 1,
        "severity": None,
    }


def test_accuracy_on_the_groups_seen():
    row = tidy_row(_old(metric="accuracy_seen[after=2]"))
    assert _cells(row, ("metric", "after_group", "task_group")) == {
        "metric": "accuracy_seen",
        "after_group": 2,
        "task_group": None,
    }


def test_the_linear_probe_on_one_group():
    row = tidy_row(_old(metric="probe_accuracy[task=4]"))
    assert (row["metric"], row["task_group"], row["after_group"]) == (
        "probe_group_accuracy",
        4,
        None,
    )


@pytest.mark.parametrize(
    ("name", "subset"),
    [
        ("fashion-mnist[n_train=6000,n_test=1000,seed=0]", (6000, 1000, 0)),
        ("fashion-mnist[n_train=6000,seed=3]", (6000, None, 3)),
        ("fashion-mnist[n_test=500,seed=0]", (None, 500, 0)),
        ("fashion-mnist", (None, None, None)),
    ],
)
def test_subset_task_names(name, subset):
    row = tidy_row(_old(task=name))
    assert _cells(row, TASK_COLUMNS) == dict(zip(TASK_COLUMNS, ("fashion-mnist", *subset)))
    assert row["metric"] == "accuracy" and row["corruption"] is None  # the clean accuracy


def test_corrupted_task_names():
    row = tidy_row(_old(task="digits[n_train=200,n_test=100,seed=0][gaussian=3,seed=1]"))
    assert _cells(row, (*TASK_COLUMNS, "metric", "corruption", "severity")) == {
        "task": "digits",
        "n_train": 200,
        "n_test": 100,
        "subset_seed": 0,
        "metric": "corrupted_accuracy",
        "corruption": "gaussian",
        "severity": 3,
    }
    # a corrupted copy of the whole test set; another metric keeps its name
    row = tidy_row(_old(task="mnist-1d[occlusion=5,seed=0]", metric="macro_f1"))
    assert _cells(row, ("task", "n_train", "metric", "corruption", "severity")) == {
        "task": "mnist-1d",
        "n_train": None,
        "metric": "macro_f1",
        "corruption": "occlusion",
        "severity": 5,
    }


def test_a_row_in_the_present_form_comes_back_unchanged():
    [row] = metric_rows(
        {Metric("energy_with_memory", cost_table="loihi-2018@1"): (1e-9, "J/example")},
        experiment="e",
        **task_columns({"name": "digits", "n_train": 200, "n_test": None, "subset_seed": 0}),
        model="m",
        arm="spiking",
        kind="diehl-cook",
        seed=1,
        job="0123456789abcdef",
    )
    assert set(row) == set(TIDY_COLUMNS)
    assert tidy_row(row) == row
    # a plain row that lacks the new columns gains them, empty
    plain = tidy_row(_old())
    assert all(plain[c] is None for c in (*TASK_COLUMNS[1:], *METRIC_COLUMNS[1:]))


@pytest.mark.parametrize(
    "row",
    [
        _old(metric="accuracy[gaussian]"),
        _old(metric="accuracy[after=1]"),
        _old(metric="macro_f1[gaussian=1]"),
        _old(metric="accuracy[gaussian=1][x=2]"),
        _old(task="digits[classes=0,1]"),
        _old(task="digits[n_train=5,seed=0][n_train=6,seed=0]"),
        _old(task="digits[n_train=5,seed=0]x"),
    ],
)
def test_what_is_no_known_old_form_is_an_error_not_a_guess(row):
    with pytest.raises(ValueError, match="cannot translate"):
        tidy_row(row)


def test_keys_labels_and_columns():
    metric = Metric("corrupted_accuracy", corruption="gaussian", severity=3)
    row = {"metric": "corrupted_accuracy", "corruption": "gaussian", "severity": 3}
    assert metric_key(row) == metric and matches(row, metric)
    assert not matches(row, "corrupted_accuracy")  # a name alone is the row without variables
    assert matches({"metric": "accuracy"}, Metric("accuracy"))  # no variables: the name
    assert metric_label(metric) == "corrupted_accuracy, corruption=gaussian, severity=3"
    assert tuple(metric.columns()) == METRIC_COLUMNS
    assert task_columns({"name": "digits", "n_train": None, "n_test": 50, "subset_seed": 2}) == {
        "task": "digits",
        "n_train": None,
        "n_test": 50,
        "subset_seed": 2,
    }
    columns = tidy_columns(["models.mlp.params.hidden_sizes"])
    assert columns.index("models.mlp.params.hidden_sizes") == TIDY_COLUMNS.index("seed") + 1
    assert len(columns) == len(TIDY_COLUMNS) + 1


# --------------------------------------------------------------------------- stored rows


def test_every_committed_results_csv_reads_in_the_present_form():
    """The committed runs stay readable without being computed again: every row of every
    committed results.csv, read through the translation, has a plain metric and task."""
    paths = _committed("results.csv")
    assert len(paths) >= 10, paths
    families = set()
    for path in paths:
        rows = read_tidy_csv(path)
        assert rows, path
        for row in rows:
            assert "[" not in row["metric"] and "]" not in row["metric"], (path, row)
            assert "[" not in row["task"] and "]" not in row["task"], (path, row)
            assert set(TASK_COLUMNS) | set(METRIC_COLUMNS) <= set(row), path
            assert isinstance(row["value"], float) and isinstance(row["seed"], int)
            families.add(row["metric"])
    # every family of old names was met and translated
    assert {
        "corrupted_accuracy",
        "energy_compute_only",
        "energy_with_memory",
        "group_accuracy",
        "accuracy_seen",
        "probe_group_accuracy",
    } <= families


def test_committed_task_columns_are_what_the_job_configs_say():
    """The translated task columns of each committed run equal those the runner now takes
    from each job's config (its ``task`` table)."""
    from compare.pipeline.runner import plan_spec
    from compare.pipeline.spec import Spec

    checked = 0
    for spec_path in _committed("spec.json"):
        run = spec_path.parent
        if not (run / "results.csv").is_file():
            continue
        jobs = {j.id: j for j in plan_spec(Spec.from_dict(json.loads(spec_path.read_text()))).jobs}
        for row in read_tidy_csv(run / "results.csv"):
            expected = task_columns(jobs[row["job"]].config["task"])
            assert _cells(row, TASK_COLUMNS) == expected, (run, row)
        checked += 1
    assert checked >= 5


def test_the_results_store_reads_an_old_job_directory_in_the_present_form(tmp_path):
    """A job directory written before the columns existed reads back translated."""
    from compare.pipeline.runner import DONE, ResultsStore

    store = ResultsStore(tmp_path / "run")
    job = store.job_dir("0123456789abcdef")
    (job / "artifacts").mkdir(parents=True)
    old = [
        _old(task="digits[n_train=200,seed=0]", metric=m)
        for m in ("accuracy", "energy_with_memory[loihi-2018@1]", "accuracy[gaussian=2]")
    ]
    for row in old:
        del row["experiment"]
    (job / "metrics.json").write_text(json.dumps(old))
    for name in ("config.json", "environment.json"):
        (job / name).write_text("{}")
    (job / "artifacts" / "energy.json").write_text("[]")
    np.savez(job / "artifacts" / "arrays.npz", confusion=np.eye(2))
    (job / DONE).write_text("{}")
    rows = store.read("0123456789abcdef").rows
    assert [(r["task"], r["n_train"], r["n_test"], r["subset_seed"]) for r in rows] == [
        ("digits", 200, None, 0)
    ] * 3
    assert [metric_key(r) for r in rows] == [
        "accuracy",
        Metric("energy_with_memory", cost_table="loihi-2018@1"),
        Metric("corrupted_accuracy", corruption="gaussian", severity=2),
    ]


def test_a_committed_run_reads_back_translated_through_the_report_reader(tmp_path):
    """compare.read_results (and report.html) read an old results.csv translated."""
    from compare.api import read_results
    from compare.report.html import write_html_report

    run = tmp_path / "robustness"
    shutil.copytree(ROOT / "results" / "robustness_n6000", run)
    results = read_results(run)
    corrupted = [r for r in results.rows if r["metric"] == "corrupted_accuracy"]
    assert {(r["corruption"], r["severity"]) for r in corrupted} == {
        (k, s) for k in ("gaussian", "salt-and-pepper", "occlusion") for s in range(1, 6)
    }
    assert {(r["task"], r["n_train"], r["n_test"]) for r in results.rows} == {
        ("fashion-mnist", 6000, 1000)
    }
    text = write_html_report(run).read_text()
    assert "corrupted_accuracy" in text and "accuracy[" not in text
