"""Experiment scripts run end to end at smoke size and write what their docstrings say."""

import csv
import json
import runpy
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name):
    return runpy.run_path(str(ROOT / "experiments" / f"{name}.py"), run_name="not_main")


DC_RUN = [
    *("--task", "digits", "--n-excitatory", "10", "--n-train", "160", "--n-label", "60"),
    *("--n-test", "30", "--checkpoint-every", "40", "--curve-test", "30", "--epochs", "2"),
    "--no-progress",
]


def _dc_run(out, *extra):
    command = [sys.executable, str(ROOT / "experiments" / "diehl_cook_2015.py"), *DC_RUN]
    return [*command, *extra, "--out", str(out)]


def _curve(out):
    with open(out / "curve.csv", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "train_seconds"} for r in csv.DictReader(fh)]


@pytest.mark.slow  # four standalone runs and a SIGKILL: about a minute and a half
def test_diehl_cook_2015_killed_between_checkpoints_resumes_to_the_same_network(tmp_path):
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    subprocess.run(_dc_run(straight), check=True, capture_output=True, cwd=ROOT)
    run = subprocess.Popen(_dc_run(stopped), stdout=subprocess.DEVNULL, cwd=ROOT)
    while not (stopped / "checkpoint.npz").exists() and run.poll() is None:
        time.sleep(0.01)
    run.kill()  # SIGKILL: nothing of the script runs after it
    run.wait()
    assert not (stopped / "metrics.json").exists(), "the run ended before it was killed"
    from spiking.networks.diehl_cook import DiehlCook2015

    trained = DiehlCook2015.load(stopped / "checkpoint.npz").fit_stats_["train_examples"]
    assert trained < 320

    again = subprocess.run(_dc_run(stopped), check=True, capture_output=True, text=True, cwd=ROOT)
    assert "resuming" in again.stdout
    a = DiehlCook2015.load(straight / "model.npz")
    b = DiehlCook2015.load(stopped / "model.npz")
    for name in ("weights_", "theta_", "assignments_", "label_responses_"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    curves = [_curve(d) for d in (straight, stopped)]
    assert curves[0] == curves[1] and len(curves[0]) == 8  # wall times aside
    accuracy = [
        json.loads((d / "metrics.json").read_text())["accuracy"] for d in (straight, stopped)
    ]
    assert accuracy[0] == accuracy[1]

    # Another run in the same directory is refused, naming what differs.
    other = subprocess.run(
        _dc_run(stopped, "--seed", "3"), capture_output=True, text=True, cwd=ROOT
    )
    assert other.returncode != 0
    assert "holds another run (seed: 0 there, 3 now)" in other.stderr
    assert (stopped / "model.npz").exists()  # nothing was lost
    # --restart discards that run, its results included, and starts another
    restarted = _dc_run(stopped, "--seed", "3", "--restart", "--epochs", "1")
    run = subprocess.Popen(restarted, stdout=subprocess.DEVNULL, cwd=ROOT)
    while (stopped / "metrics.json").exists() and run.poll() is None:
        time.sleep(0.01)
    assert not (stopped / "model.npz").exists() or run.poll() is not None
    assert run.wait() == 0
    assert json.loads((stopped / "run.json").read_text())["seed"] == 3
    assert json.loads((stopped / "metrics.json").read_text())["examples_seen"] == 160


def test_diehl_cook_2015_writes_metrics_figures_and_a_loadable_model(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["diehl_cook_2015.py"])
    main = _script("diehl_cook_2015")["main"]
    args = ["--task", "digits", "--n-excitatory", "20", "--n-train", "300", "--n-label"]
    args += ["100", "--n-test", "60", "--record-every", "100", "--no-progress"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["n_excitatory"] == 20
    assert metrics["command"].startswith("python experiments/diehl_cook_2015.py --task digits")
    assert metrics["fit_stats"]["train_examples"] == 300
    assert metrics["memory"]["all"]["examples"] == 300
    assert sum(metrics["neurons_per_class"].values()) + metrics["unassigned_neurons"] == 20
    matrix = np.loadtxt(tmp_path / "confusion.csv", delimiter=",", skiprows=1, usecols=range(1, 11))
    assert matrix.sum() == 60
    for figure in ("receptive_fields", "weight_evolution", "training_history", "spike_raster"):
        assert (tmp_path / f"{figure}.png").stat().st_size > 0, figure
    history = np.load(tmp_path / "history.npz")
    assert history["weight_examples"].tolist() == [0, 256, 300]

    # The same command again evaluates the trained model again: the same labels and
    # accuracy (the checkpoint holds the state and the next seed).
    assert main([*args, "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == metrics["accuracy"]

    # ... and with more --epochs, trains the missing one first; the history continues.
    assert main([*args, "--out", str(tmp_path), "--epochs", "2"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["fit_stats"]["train_examples"] == 600
    history = np.load(tmp_path / "history.npz")
    assert history["examples"].tolist() == [256, 300, 556, 600]
    assert history["weight_examples"].tolist() == [0, 256, 300, 556, 600]
    assert [p["examples"] for p in metrics["curve"]] == [300, 600]

    # The template analysis reads that model: the network's own accuracy, then its
    # weights and k-means centroids as templates, on the same test images.
    templates = _script("diehl_cook_templates")["main"]
    out = tmp_path / "templates"
    data = ["--task", "digits", "--n-train", "300", "--n-test", "60"]
    assert templates(["--model", str(tmp_path / "model.npz"), *data, "--out", str(out)]) == 0
    with open(out / "readouts.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["templates"] == "D&C network, N = 20"
    assert float(rows[0]["accuracy"]) == round(metrics["accuracy"], 4)
    assert [r["readout"] for r in rows[1:]] == ["drive", "cosine", "drive", "cosine", "euclidean"]
    assert all(0.0 <= float(r["accuracy"]) <= 1.0 and r["test_examples"] == "60" for r in rows)

    # The decayed-threshold diagnosis reads the run: its own test pass first (the run's
    # accuracy: the first pass after loading draws the run's spikes), then the network
    # with its decayed neurons' theta raised, labelled again.
    diagnose = _script("diehl_cook_decayed_theta")["main"]
    out = tmp_path / "decayed"
    assert diagnose(["--run", str(tmp_path), "--margin", "12", "--out", str(out)]) == 0
    result = json.loads((out / "decayed_theta.json").read_text())
    assert result["n_excitatory"] == 20 and result["test_images"] == 60
    assert result["accuracy"] == result["run_accuracy"] == metrics["accuracy"]
    assert 0 <= result["decayed_neurons"] <= 20 and 0.0 <= result["test_winner_decayed_share"] <= 1
    assert 1 / 60 <= result["top_winner_share"] <= 1.0
    assert "Within 12 mV of rest" in (out / "decayed_theta.md").read_text()
    if result["decayed_neurons"]:  # the counterfactual runs only where a neuron decayed
        assert 0.0 <= result["accuracy_with_decayed_theta_raised"] <= 1.0
    only = ["--run", str(tmp_path), "--thresholds-only", "--out", str(out / "thresholds")]
    assert diagnose(only) == 0
    thresholds = json.loads((out / "thresholds" / "decayed_theta.json").read_text())
    assert "accuracy" not in thresholds
    assert (
        thresholds["threshold_above_rest_mv_percentiles"]
        == (result["threshold_above_rest_mv_percentiles"])
    )
    with pytest.raises(SystemExit):  # not a finished run
        diagnose(["--run", str(out)])


def test_classic_networks_quick_writes_accuracies_beside_published_numbers(tmp_path):
    from compare.data.tasks import DEBIAN_FASHION_MNIST_DIR

    study = _script("classic_networks")
    tasks = ["mnist1d"] + (["fashion-mnist"] if DEBIAN_FASHION_MNIST_DIR.is_dir() else [])
    args = ["--quick", "--tasks", *tasks, "--n-train", "200", "--n-test", "100", "--epochs", "1"]
    assert study["main"]([*args, "--out", str(tmp_path), "--no-progress"]) == 0

    with open(tmp_path / "accuracies.csv", newline="") as f:
        table = list(csv.DictReader(f))
    expected = [(task, entry.spec.label) for task in tasks for entry in study["STUDY"][task]]
    assert [(row["task"], row["model"]) for row in table] == expected
    assert {(row["n_train"], row["n_test"], row["subset_seed"]) for row in table} == {
        ("200", "100", "0")
    }
    published = {(row["task"], row["model"]): row for row in table}
    assert published["mnist1d", "cnn1d"]["published_accuracy"] == "0.94"
    assert "Greydanus" in published["mnist1d", "gru"]["published_source"]
    if "fashion-mnist" in tasks:  # the GRU reading images row by row
        assert published["fashion-mnist", "gru-rows"]["published_accuracy"] == "0.888"
    for row in table:
        assert 0.0 <= float(row["accuracy_mean"]) <= 1.0 and row["epochs"] == "1"
        assert float(row["parameter_count"]) > 0
    # MNIST-1D's 40-10 logistic regression: 410 parameters.
    assert float(published["mnist1d", "logistic"]["parameter_count"]) == 40 * 10 + 10

    with open(tmp_path / "history.csv", newline="") as f:
        history = list(csv.DictReader(f))
    # One epoch per model: a training loss, a training accuracy and a learning rate.
    assert len(history) == 3 * len(expected)
    for task in tasks:
        assert (tmp_path / "figures" / f"learning_curves_{task}.png").stat().st_size > 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["models_run"]["mnist1d"]["cnn1d"]["params"]["epochs"] == 1


@pytest.mark.slow  # the quick study twice, once on workers: about 35 s
def test_classic_networks_workers_give_the_same_results_as_one_process(tmp_path):
    study = _script("classic_networks")
    args = ["--tasks", "mnist1d", "--models", "logistic", "mlp-100-100", "--seeds", "0", "1"]
    args += ["--n-train", "200", "--n-test", "100", "--epochs", "2", "--no-progress"]
    args += ["--operations-examples", "10"]
    assert study["main"]([*args, "--out", str(tmp_path / "one")]) == 0
    assert study["main"]([*args, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0

    def values(name):
        with open(tmp_path / name / "results.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return {
            (r["model"], r["seed"], r["metric"], r["cost_table"]): r["value"]
            for r in rows
            if not r["metric"].endswith(("_time", "time_per_example")) and r["metric"] != "peak_rss"
        }

    one, two = values("one"), values("two")
    assert len(one) > 20 and one == two  # bit-identical on the CPU, in other processes
    assert not (tmp_path / "two" / "units").exists()  # the workers' files are gone


def test_neuron_equivalence_quick_writes_the_agreement_of_both_arms(tmp_path):
    study = _script("neuron_equivalence")
    assert study["main"](["--quick", "--out", str(tmp_path)]) == 0
    with open(tmp_path / "agreement.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(study["AMPLITUDES_NA"])
    assert rows[0]["brian_spikes"] == "0"  # below rheobase
    assert sum(int(r["torch_spikes"]) for r in rows) > 20
    for row in rows:
        assert row["brian_spikes"] == row["torch_spikes"]
        assert int(row["max_spike_step_difference"]) <= 1
        assert float(row["max_abs_v_difference_v"]) <= 1e-9
    assert (tmp_path / "figures" / "traces.png").stat().st_size > 0
    assert json.loads((tmp_path / "config.json").read_text())["duration_ms"] == 100.0


@pytest.mark.slow  # trains every candidate CNN: about a minute
def test_tune_cnn_augmentation_quick_scores_every_candidate_on_a_validation_split(tmp_path):
    from compare.data.tasks import load_task

    try:
        load_task("fashion-mnist")
    except FileNotFoundError as err:
        pytest.skip(f"needs Fashion-MNIST: {err}")
    study = _script("tune_cnn_augmentation")
    out = tmp_path / "tune.csv"
    assert study["main"](["--quick", "--out", str(out)]) == 0  # about 40 s: 5 processes
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["candidate"] for r in rows] == list(study["CANDIDATES"])
    for row in rows:
        nominal = study["CANDIDATES"][row["candidate"]]
        assert row["seed"] == "0" and row["n_train"] == "500"
        assert int(row["epochs"]) == nominal["epochs"] // 20  # 1 or 2
        assert 0.0 <= float(row["val_accuracy_last"]) <= 1.0
