"""compare.measure.metrics: macro-F1 from the confusion matrix, energy metrics from evaluate."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score

from compare.data.tasks import load_digits
from compare.measure.energy import energy_metric, estimate_energy
from compare.measure.metrics import ENERGY_UNIT, evaluate, macro_f1
from compare.measure.tidy import Metric
from compare.models.registry import ModelSpec, build_model


def test_macro_f1_by_hand():
    # class 0: TP 3, FN 1, FP 0 -> 6/7; class 1: TP 4, FN 0, FP 1 -> 8/9
    assert macro_f1(np.array([[3, 1], [0, 4]])) == pytest.approx((6 / 7 + 8 / 9) / 2, rel=1e-12)
    # a class never seen and never predicted is left out; one predicted but absent scores 0
    matrix = np.array([[2, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert macro_f1(matrix) == 1.0
    matrix = np.array([[1, 1, 0], [0, 0, 0], [0, 0, 0]])  # class 1 predicted, never true
    assert macro_f1(matrix) == pytest.approx((2 / 3 + 0) / 2, rel=1e-12)


def test_macro_f1_equals_scikit_learn_on_random_predictions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 5, 300))
    matrix = confusion_matrix(y_true, y_pred, labels=np.arange(5))
    expected = f1_score(y_true, y_pred, average="macro")
    assert macro_f1(matrix) == pytest.approx(expected, rel=1e-12)  # same sums, other order


def test_macro_f1_refuses_what_is_not_a_confusion_matrix():
    with pytest.raises(ValueError, match=r"square confusion matrix, got shape \(2, 3\)"):
        macro_f1(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="all zeros"):
        macro_f1(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="negative"):
        macro_f1(np.array([[1, -1], [0, 1]]))


def test_evaluate_prices_the_operations_under_every_table_that_can():
    task = load_digits().subset(n_train=100, n_test=40)
    model = build_model(ModelSpec("lr", "logistic", {"epochs": 3}), random_state=0)
    result = evaluate(model, task, operations_examples=10)
    metrics = result.metrics
    assert metrics["macro_f1"][1] == "1" and 0 <= metrics["macro_f1"][0] <= 1
    assert metrics["macro_f1"][0] == pytest.approx(macro_f1(result.confusion), rel=1e-12)
    operations = {k: metrics[k][0] for k in ("parameter_count", "effective_macs",
                                              "effective_acs", "neuron_updates")}  # fmt: skip
    for table in ("horowitz-45nm-fp32", "horowitz-45nm-int8"):
        for memory in (False, True):
            value, unit = metrics[energy_metric(table, memory=memory)]
            assert unit == ENERGY_UNIT
            assert value == estimate_energy(operations, table, memory=memory)["total_j"]
    # the neuromorphic tables price no MACs: no estimate for an artificial network
    tables = {m.cost_table for m in metrics if isinstance(m, Metric)}
    assert tables == {"horowitz-45nm-fp32@1", "horowitz-45nm-int8@1"}
    assert [(e["table"], e["memory"]) for e in result.energy] == [
        ("horowitz-45nm-fp32", False),
        ("horowitz-45nm-fp32", True),
        ("horowitz-45nm-int8", False),
        ("horowitz-45nm-int8", True),
    ]

    only = evaluate(model, task, operations_examples=10, energy_tables=("horowitz-45nm-int8",))
    assert [m for m in only.metrics if isinstance(m, Metric)] == [
        Metric("energy_compute_only", cost_table="horowitz-45nm-int8@1"),
        Metric("energy_with_memory", cost_table="horowitz-45nm-int8@1"),
    ]
    # every other metric is a plain name, and no plain name says "energy"
    assert not any("energy" in m for m in only.metrics if isinstance(m, str))
    with pytest.raises(ValueError, match="unknown cost table 'nope'"):
        evaluate(model, task, energy_tables=("nope",))


class _ChildProcessClassifier:
    """Fits by running a child process (as a Brian2 standalone binary does) that burns
    CPU and touches memory; predicts the majority class."""

    def __init__(self, cpu_seconds, megabytes):
        self.cpu_seconds, self.megabytes = cpu_seconds, megabytes

    def fit(self, X, y):
        import subprocess
        import sys

        code = (
            "import time, numpy as np\n"
            f"a = np.ones({self.megabytes} * 2**20 // 8)\n"
            "t = time.process_time()\n"
            f"while time.process_time() - t < {self.cpu_seconds}: pass\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        self.label_ = np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.label_)

    def operations(self, X):
        return {"parameter_count": 1.0, "effective_macs": 0.0, "effective_acs": 0.0}


def test_cpu_time_and_peak_memory_include_child_processes():
    result = evaluate(_ChildProcessClassifier(0.5, 1500), load_digits(), energy_tables=())
    cpu, unit = result.metrics["fit_cpu_time"]
    assert unit == "s" and cpu >= 0.5  # the child's CPU time, not just this process's
    peak, unit = result.metrics["peak_rss"]
    assert unit == "MB" and peak >= 1500
    assert result.metrics["predict_cpu_time"][0] >= 0


@pytest.mark.parametrize(
    ("platform", "maxrss", "expected_mb"),
    [
        ("linux", 3 * 1024, 3.0),  # Linux: ru_maxrss in kB
        ("darwin", 3 * 2**20, 3.0),  # macOS: in bytes
    ],
)
def test_peak_rss_reads_ru_maxrss_in_the_platforms_unit(monkeypatch, platform, maxrss, expected_mb):
    import resource
    import sys
    from types import SimpleNamespace

    from compare.measure.metrics import peak_rss_mb

    sizes = {resource.RUSAGE_SELF: maxrss, resource.RUSAGE_CHILDREN: maxrss // 3}
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=sizes[who]))
    assert peak_rss_mb() == expected_mb  # the larger of self and children, exact in binary
