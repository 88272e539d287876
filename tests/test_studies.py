"""The studies' machinery (corrupted test sets and class-incremental learning in the
runner, partial_fit) and each spec-driven study script's --quick mode, end to end."""

import csv
import json
import math
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch

from artificial import LogisticRegression, MLPClassifier
from artificial.snn import SpikingMLPClassifier
from compare.data.corruptions import corrupt
from compare.data.tasks import load_digits
from compare.measure.continual import ContinualResult, class_incremental_learning
from compare.measure.metrics import corrupted_accuracy, corruption_metric
from compare.measure.tidy import Metric, metric_key
from compare.pipeline.runner import run_spec
from compare.pipeline.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]

SPEC = """\
name = "s"
seeds = [0]
operations_examples = 5

[task]
name = "digits"
n_train = 200
n_test = 60

[models.lr]
kind = "logistic"
params = { epochs = 3 }
"""


class _Oracle:
    """Predicts the label of the nearest clean test image: right on clean data."""

    def __init__(self, task):
        self.task = task

    def predict(self, X):
        d = ((X[:, None, :] - self.task.X_test[None, :, :]) ** 2).sum(axis=2)
        return self.task.y_test[d.argmin(axis=1)]


def test_corrupted_accuracy_uses_the_same_seeded_copies_for_every_model():
    task = load_digits().subset(100, 40, random_state=0)
    oracle = _Oracle(task)
    a = corrupted_accuracy(oracle, task, ["gaussian", "occlusion"], [1, 5])
    assert [(m.name, m.corruption, m.severity) for m in a] == [
        ("corrupted_accuracy", "gaussian", 1),
        ("corrupted_accuracy", "gaussian", 5),
        ("corrupted_accuracy", "occlusion", 1),
        ("corrupted_accuracy", "occlusion", 5),
    ]
    assert a == corrupted_accuracy(oracle, task, ["gaussian", "occlusion"], [1, 5])
    # The accuracy is that of predicting exactly these corrupted images.
    X = corrupt(task.X_test, "gaussian", 5, shape=task.shape, random_state=0)
    gaussian_5 = corruption_metric("gaussian", 5)
    assert gaussian_5 == Metric("corrupted_accuracy", corruption="gaussian", severity=5)
    assert a[gaussian_5][0] == np.mean(oracle.predict(X) == task.y_test)
    assert a[gaussian_5][1] == "1" and not np.array_equal(X, task.X_test)


def test_a_spec_with_corruptions_and_continual_adds_their_metrics_and_keeps_other_ids(
    tmp_path,
):
    plain = parse_spec(SPEC)
    extended = parse_spec(
        SPEC + '\n[corruptions]\nkinds = ["salt-and-pepper"]\nseverities = [2, 4]\n'
        "\n[continual]\ngroups = 5\n"
    )
    assert extended.to_dict()["corruptions"] == {
        "kinds": ["salt-and-pepper"],
        "severities": [2, 4],
    }
    assert extended.to_dict()["continual"] == {"groups": 5}
    assert "corruptions" not in plain.to_dict() and "continual" not in plain.to_dict()
    result = run_spec(extended, tmp_path / "out", progress=False)
    metrics = {metric_key(r): r["value"] for r in result.rows}
    for severity in (2, 4):
        assert 0 <= metrics[corruption_metric("salt-and-pepper", severity)] <= 1
    first_after_last = Metric("group_accuracy", after_group=5, task_group=1)
    assert {"continual_accuracy", "average_forgetting", first_after_last} <= set(metrics)
    # group 2 is not learnt after group 1
    assert Metric("group_accuracy", after_group=1, task_group=2) not in metrics
    # Every row names its task plainly, with the subset in columns.
    assert {(r["task"], r["n_train"], r["n_test"], r["subset_seed"]) for r in result.rows} == {
        ("digits", 200, 60, 0)
    }
    # Without the tables, a job's id is what it always was (the pinned-id test's rule).
    again = run_spec(plain, tmp_path / "plain", progress=False)
    assert again.plan.jobs[0].id != result.plan.jobs[0].id
    assert "evaluation" in again.plan.jobs[0].config
    assert set(again.plan.jobs[0].config["evaluation"]) == {"operations_examples", "energy_tables"}


def test_continual_groups_that_do_not_divide_the_classes_fail_before_anything_runs(tmp_path):
    spec = parse_spec(SPEC + "\n[continual]\ngroups = 3\n")
    with pytest.raises(ValueError, match=r"groups = 3 does not divide the 10 classes"):
        run_spec(spec, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "jobs").exists() or not any(
        (tmp_path / "out" / "jobs").iterdir()
    )


def test_average_forgetting_is_the_drop_from_the_best_earlier_accuracy():
    nan = math.nan
    accuracy = np.array([[0.9, nan, nan], [0.5, 0.8, nan], [0.3, 0.6, 0.7]])
    result = ContinualResult(((0,), (1,), (2,)), accuracy, np.array([0.9, 0.6, 0.5]), 1.0)
    # group 0: best 0.9 (before the last group), final 0.3; group 1: best 0.8, final 0.6
    assert result.average_forgetting == pytest.approx(((0.9 - 0.3) + (0.8 - 0.6)) / 2)
    assert result.final_accuracy == 0.5
    metrics = result.metrics()
    assert metrics[Metric("group_accuracy", after_group=2, task_group=1)] == (0.5, "1")
    assert Metric("group_accuracy", after_group=1, task_group=2) not in metrics
    assert metrics[Metric("accuracy_seen", after_group=2)] == (0.6, "1")


def test_backprop_forgets_the_first_classes_when_it_learns_new_ones_alone():
    result = class_incremental_learning(
        LogisticRegression(epochs=10, random_state=0), load_digits(), 5
    )
    assert np.isnan(result.accuracy[0, 1]) and result.accuracy[0, 0] > 0.95
    # after the last group, the first group's images are nearly all given new labels
    assert result.accuracy[4, 0] < 0.3 and result.average_forgetting > 0.5


@pytest.mark.parametrize("estimator_class", [MLPClassifier, SpikingMLPClassifier])
def test_partial_fit_continues_from_the_weights_and_is_seeded(estimator_class):
    task = load_digits()
    first, second = task.y_train < 5, task.y_train >= 5

    def trained():
        model = estimator_class(hidden_sizes=(32,), epochs=10, random_state=0)
        model.partial_fit(task.X_train[first], task.y_train[first], classes=range(10))
        after_first = model.predict_proba(task.X_test)
        model.partial_fit(task.X_train[second], task.y_train[second])
        return model, after_first

    model, after_first = trained()
    assert model.classes_.tolist() == list(range(10))
    # the second group is learnt: its test images go from the first group's classes to its own
    new = task.y_test >= 5
    assert np.mean(model.classes_[after_first[new].argmax(axis=1)] >= 5) < 0.1
    assert np.mean(model.predict(task.X_test[new]) >= 5) > 0.7
    assert not np.array_equal(model.predict_proba(task.X_test), after_first)
    again, _ = trained()
    assert np.array_equal(again.predict_proba(task.X_test), model.predict_proba(task.X_test))


def test_partial_fit_mistakes_are_clear_errors():
    task = load_digits()
    model = MLPClassifier(hidden_sizes=(8,), epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"the first partial_fit needs classes="):
        model.partial_fit(task.X_train, task.y_train)
    with pytest.raises(ValueError, match=r"labels \[9\] are not among classes"):
        model.partial_fit(task.X_train[task.y_train > 6], task.y_train[task.y_train > 6], [7, 8])
    model.partial_fit(task.X_train[:50], task.y_train[:50], classes=range(10))
    with pytest.raises(ValueError, match=r"differ from the fitted classes_"):
        model.partial_fit(task.X_train[:50], task.y_train[:50], classes=range(5))


def test_readout_features_are_what_the_last_linear_layer_sees():
    task = load_digits()
    mlp = MLPClassifier(hidden_sizes=(16,), epochs=3, random_state=0).fit(
        task.X_train, task.y_train
    )
    features = mlp.readout_features(task.X_test)
    hidden = torch.relu(mlp.module_.network[0](torch.from_numpy(task.X_test).float()))
    assert features.shape == (len(task.X_test), 16) and features.dtype == np.float64
    assert np.allclose(features, hidden.detach().numpy(), atol=1e-6)
    # the read-out applied to them gives the network's own logits
    logits = features @ mlp.module_.network[-1].weight.detach().double().numpy().T
    logits += mlp.module_.network[-1].bias.detach().double().numpy()
    assert np.array_equal(
        logits.argmax(axis=1), np.searchsorted(mlp.classes_, mlp.predict(task.X_test))
    )

    snn = SpikingMLPClassifier(hidden_sizes=(16,), n_steps=5, epochs=2, random_state=0)
    snn.fit(task.X_train, task.y_train)
    counts = snn.readout_features(task.X_test)
    # hidden spike counts over the 5 steps: whole numbers from 0 to 5, more than one chunk
    assert counts.shape == (len(task.X_test), 16) and set(np.unique(counts)) <= set(range(6))
    assert np.array_equal(counts[:7], snn.readout_features(task.X_test[:7]))


def test_the_linear_probe_follows_the_last_group_and_adds_its_metrics():
    task = load_digits()
    result = class_incremental_learning(
        MLPClassifier(hidden_sizes=(32,), epochs=10, random_state=0), task, 5
    )
    metrics = result.metrics()
    assert result.probe.shape == (5,)
    assert metrics["probe_accuracy"] == (result.probe_accuracy, "1")
    assert metrics[Metric("probe_group_accuracy", task_group=1)] == (float(result.probe[0]), "1")
    # the read-out forgot the first group; the hidden layer kept enough to tell it apart
    assert result.accuracy[4, 0] < 0.2 and result.probe[0] > 0.5
    assert result.probe_accuracy > result.final_accuracy + 0.3
    plain = class_incremental_learning(
        MLPClassifier(hidden_sizes=(32,), epochs=10, random_state=0), task, 5, probe=False
    )
    assert plain.probe is None and "probe_accuracy" not in plain.metrics()
    assert np.array_equal(plain.accuracy, result.accuracy, equal_nan=True)


# -- every spec-driven study script's --quick mode, end to end --------------------------------


def _main(name):
    return runpy.run_path(str(ROOT / "experiments" / f"{name}.py"), run_name="not_main")["main"]


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_robustness_quick_writes_accuracy_against_severity(tmp_path):
    assert _main("robustness")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    table = _csv(tmp_path / "study" / "accuracy_vs_severity.csv")
    models = {r["model"] for r in table}
    assert models == {"mlp", "sg-snn", "logistic", "dc100"}
    for model in models:
        points = {(r["corruption"], int(r["severity"])) for r in table if r["model"] == model}
        assert points == {("", 0)} | {
            (k, s) for k in ("gaussian", "salt-and-pepper", "occlusion") for s in (2, 5)
        }
    assert all(0 <= float(r["mean"]) <= 1 for r in table)
    assert (tmp_path / "study" / "figures" / "accuracy_vs_severity.png").stat().st_size > 0
    assert "Accuracy kept" in (tmp_path / "study" / "robustness.md").read_text()


@pytest.mark.slow
def test_sample_efficiency_quick_writes_both_curves(tmp_path):
    assert _main("sample_efficiency")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    table = _csv(tmp_path / "study" / "accuracy_vs_examples.csv")
    by_model = {}
    for r in table:
        by_model.setdefault(r["model"], set()).add(int(r["labelled"]))
    assert by_model["mlp"] == by_model["dc100"] == {100, 300}
    assert by_model["dc100-unlabelled-300"] == {100, 300}  # n_label 100, and all 300
    assert (tmp_path / "labels" / "results.csv").exists()
    assert (tmp_path / "study" / "figures" / "sample_efficiency.png").stat().st_size > 0


@pytest.mark.slow
def test_forgetting_quick_writes_the_forgetting_of_each_model(tmp_path):
    assert _main("forgetting")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    summary = _csv(tmp_path / "study" / "forgetting.csv")
    measures = {(r["model"], r["measure"]) for r in summary}
    for model in ("mlp", "sg-snn", "logistic", "dc100"):
        for measure in ("joint", "class-incremental", "average forgetting", "linear probe"):
            assert (model, measure) in measures
    curves = _csv(tmp_path / "study" / "accuracy_after_each_task.csv")
    assert {int(r["after"]) for r in curves} == {1, 2, 3, 4, 5}
    assert (tmp_path / "study" / "figures" / "forgetting.png").stat().st_size > 0


@pytest.mark.slow
def test_latency_quick_writes_accuracy_against_time(tmp_path):
    assert _main("latency")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    curves = _csv(tmp_path / "study" / "accuracy_vs_time.csv")
    assert {r["model"] for r in curves} == {"sg-snn", "converted-snn", "dc100"}
    for model in ("sg-snn", "converted-snn", "dc100"):
        values = [float(r["mean"]) for r in curves if r["model"] == model]
        assert values == sorted(values)  # right-and-settled can only grow with time
    summary = _csv(tmp_path / "study" / "latency.csv")
    final = {r["model"]: float(r["mean"]) for r in summary if r["metric"] == "final_accuracy"}
    for model, value in final.items():  # the curve ends at the final accuracy
        assert value == pytest.approx(max(float(r["mean"]) for r in curves if r["model"] == model))


@pytest.mark.slow
def test_diehl_cook_sizes_quick_writes_the_size_table_and_learning_curves(tmp_path, capsys):
    assert _main("diehl_cook_sizes")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    rows = _csv(tmp_path / "study" / "sizes.csv")
    assert [int(r["n_excitatory"]) for r in rows] == [20, 40]
    assert all(int(r["examples_seen"]) == 300 and 0 <= float(r["accuracy"]) <= 1 for r in rows)
    curves = _csv(tmp_path / "study" / "curves.csv")
    assert [int(r["examples"]) for r in curves if r["n_excitatory"] == "20"] == [100, 200, 300]
    figures = tmp_path / "study" / "figures"
    for name in ("learning_curves", "accuracy_vs_size"):
        assert (figures / f"{name}.png").stat().st_size > 0
    # --report gathers what finished and names what did not, running nothing
    capsys.readouterr()
    args = ["--quick", "--report", "--sizes", "20", "80", "--out", str(tmp_path)]
    assert _main("diehl_cook_sizes")(args) == 0
    out = capsys.readouterr().out
    assert "not finished: N = 80, seed 0: not run" in out
    assert not (tmp_path / "digits-N80-seed0").exists()
    assert "N = 80, seed 0: not run" in (tmp_path / "study" / "sizes.md").read_text()
    # ... and counts every finished run of the planned sizes, other seeds included
    assert (
        _main("diehl_cook_sizes")(
            ["--quick", "--seeds", "1", "--sizes", "20", "--out", str(tmp_path)]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        _main("diehl_cook_sizes")(["--quick", "--report", "--sizes", "20", "--out", str(tmp_path)])
        == 0
    )
    (row,) = _csv(tmp_path / "study" / "sizes.csv")
    assert row["n_excitatory"] == "20" and row["seeds"] == "2"
    # --project N measures N on a short run and projects an epoch from it
    capsys.readouterr()
    args = ["--quick", "--report", "--project", "60", "--no-progress", "--out", str(tmp_path)]
    assert _main("diehl_cook_sizes")(args) == 0
    assert "The cost of N = 60" in capsys.readouterr().out
    cost = json.loads((tmp_path / "study" / "cost_N60.json").read_text())
    measured = json.loads((tmp_path / "digits-N60-cost" / "metrics.json").read_text())
    assert cost["reference_n_excitatory"] == 40 and measured["examples_seen"] == 200
    assert cost["measured_train_seconds_per_example"] > 0 and cost["slowdown"] > 0
    assert cost["epoch_hours"] == pytest.approx(
        cost["projected_train_seconds_per_example"] * 300 / 3600
    )
    # a later --report projects it again from what is on disk, running nothing
    assert _main("diehl_cook_sizes")(["--quick", "--report", "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "study" / "cost_N60.json").read_text())
    assert again == cost
    with pytest.raises(SystemExit):
        _main("diehl_cook_sizes")(["--quick", "--project", "0", "--out", str(tmp_path)])


def test_diehl_cook_sizes_projects_the_measured_cost_with_the_reference_slowdown():
    study = runpy.run_path(str(ROOT / "experiments" / "diehl_cook_sizes.py"), run_name="not_main")
    # the reference: 10 ms per image over its first 1,000 images, 25 ms over its epoch
    # of 4,000 (60 s over the first 1,000, then 2 presentations per image and 0.03 s each)
    reference = {
        "n_excitatory": 400,
        "task": {"n_train": 4000},
        "history": {
            "examples": np.array([500, 1000, 2000, 4000]),
            "seconds": np.array([5.0, 10.0, 40.0, 100.0]),
            "presentations": np.array([500, 1000, 3000, 7000]),
        },
    }
    cost = {
        "n_excitatory": 6400,
        "examples_seen": 1000,
        "label_examples_per_second": 4.0,
        "test_examples_per_second": 5.0,
        "history": {
            "examples": np.array([500, 1000]),
            "seconds": np.array([100.0, 200.0]),
            "presentations": np.array([550, 1100]),
        },
    }
    result = study["project_measured"](cost, reference, n_train=60_000, n_test=10_000)
    assert result["measured_train_seconds_per_example"] == pytest.approx(0.2)
    assert result["measured_presentations_per_example"] == pytest.approx(1.1)
    assert result["slowdown"] == pytest.approx(2.5)
    assert result["reference_epoch_presentations_per_example"] == pytest.approx(1.75)
    assert result["projected_train_seconds_per_example"] == pytest.approx(0.5)
    assert result["epoch_hours"] == pytest.approx(0.5 * 60_000 / 3600)
    assert result["evaluation_hours"] == pytest.approx((60_000 / 4 + 10_000 / 5) / 3600)
    assert result["paper_epochs"] == 15  # the paper trained N = 6400 for 15 epochs
    assert result["paper_epochs_hours"] == pytest.approx(
        15 * result["epoch_hours"] + result["evaluation_hours"]
    )
    # a reference whose history stops short of an epoch cannot give the slowdown
    short = dict(reference, history={k: v[:2] for k, v in reference["history"].items()})
    with pytest.raises(ValueError, match="does not reach 4000 examples"):
        study["project_measured"](cost, short, n_train=60_000, n_test=10_000)


@pytest.mark.slow  # compiles N = 100 builds of two dynamics and N = 100 of the authors'
def test_dynamics_ablation_quick_writes_the_table_and_the_authors_runs(tmp_path):
    assert _main("dynamics_ablation")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    table = {r["dynamics"]: r for r in _csv(tmp_path / "study" / "dynamics_ablation.csv")}
    assert set(table) == {"default", "legacy"}
    assert float(table["default"]["difference"]) == 0
    assert 0 <= float(table["legacy"]["accuracy"]) <= 1
    authors = _csv(tmp_path / "study" / "authors_euler.csv")
    assert [r["dynamics"] for r in authors] == ["authors", "authors", "default"]
    # Forward Euler runs away on Fashion-MNIST (the guard stops it), not on 200 digits.
    assert authors[0]["ran_away_at_example"] != "" and authors[1]["ran_away_at_example"] == ""
    assert "ran away at example" in (tmp_path / "study" / "dynamics_ablation.md").read_text()


@pytest.mark.slow
def test_learning_rules_quick_writes_accuracies_and_paired_tests(tmp_path):
    assert _main("learning_rules")(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    table = _csv(tmp_path / "study" / "learning_rules.csv")
    models = {r["model"] for r in table if r["metric"] == "accuracy"}
    assert models == {"mlp", "sg-snn", "logistic", "converted-snn", "dc400"}
    paired = _csv(tmp_path / "study" / "paired.csv")
    assert {"accuracy", "decision_latency"} <= {r["metric"] for r in paired}


@pytest.mark.slow
@pytest.mark.parametrize("study", ["cost", "brain_vs_models"])
def test_the_analyses_quick_run_a_small_spec_and_analyse_it(tmp_path, study):
    assert _main(study)(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "run" / "results.csv").exists()
    source = (tmp_path / "study" / "source.json").read_text()
    assert str(tmp_path / "run") in source
    if study == "cost":
        cost = _csv(tmp_path / "study" / "cost.csv")
        assert {r["model"] for r in cost} == {"mlp", "sg-snn", "logistic", "converted-snn", "dc400"}
        even = _csv(tmp_path / "study" / "break_even.csv")
        assert {r["model"] for r in even} == {"sg-snn", "dc400"}
        assert all(float(r["spikes_per_synapse"]) > 0 for r in even)
        assert (tmp_path / "study" / "figures" / "accuracy_vs_operations.png").exists()
    else:
        rows = _csv(tmp_path / "study" / "brain_vs_models.csv")
        brain = next(r for r in rows if r["model"] == "human brain")
        assert float(brain["neurons_low"]) == 8.6e10 and float(brain["power_high"]) == 20
        dc = next(r for r in rows if r["model"] == "dc400")
        assert int(float(dc["neurons_low"])) == 200  # --quick: N = 100, plus as many inhibitory
        assert (tmp_path / "study" / "figures" / "brain_vs_models.png").exists()


NOT_STUDIES: dict[str, str] = {}
"""Scripts no test can run, each with the reason (none: every script has a --quick)."""


def test_every_study_script_is_run_by_a_test():
    """A new script in experiments/ needs a test that runs it (its --quick mode)."""
    tests = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    scripts = sorted(p.stem for p in (ROOT / "experiments").glob("*.py"))
    untested = [s for s in scripts if f'"{s}' not in tests and s not in NOT_STUDIES]
    assert not untested, f"scripts in experiments/ that no test runs: {untested}"
