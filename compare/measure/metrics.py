"""Measuring a model on a task, the same way for both arms.

:func:`evaluate` fits a fresh estimator, predicts the test set and asks the fitted
model for its own operations report (spikes counted in Brian2, activations counted by
torch hooks), which :mod:`compare.measure.energy` prices under each cost table. It returns
tidy metric rows, each with a unit, plus the artefacts a report needs (confusion
matrix, the energy breakdowns, learned weights where the model has them).
:func:`macro_f1` derives the macro-averaged F1 score from the confusion matrix.
:func:`corrupted_accuracy` measures a fitted model on corrupted copies of the test set
(:mod:`compare.data.corruptions`).
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from compare.data.corruptions import corrupt
from compare.data.tasks import Task
from compare.measure.energy import (
    DEFAULT_TABLES,
    CostTable,
    energy_metric,
    estimate_energy,
    get_table,
    missing_costs,
)
from compare.measure.tidy import Metric

__all__ = [
    "DEFAULT_OPERATIONS_EXAMPLES",
    "ENERGY_UNIT",
    "Evaluation",
    "OPERATION_UNITS",
    "corrupted_accuracy",
    "corruption_metric",
    "evaluate",
    "macro_f1",
    "maxrss_mb",
    "peak_rss_mb",
]

OPERATION_UNITS = {
    "parameter_count": "count",
    "footprint_bytes": "B",
    "connection_sparsity": "1",
    "dense_macs": "MAC/example",
    "effective_macs": "MAC/example",
    "effective_acs": "AC/example",
    "activations": "count/example",
    "activation_sparsity": "1",
    "neuron_updates": "count/example",
    "presentations_per_example": "count/example",
}
"""Unit of every key a model's ``operations(X)`` report may hold."""

DEFAULT_OPERATIONS_EXAMPLES = 200
"""Test examples the operations report is measured on unless an experiment says."""

ENERGY_UNIT = "J/example"
"""Unit of the energy metrics (:func:`compare.measure.energy.energy_metric` names them)."""


@dataclass(frozen=True)
class Evaluation:
    """Result of one (model, task, seed): metric rows and artefacts."""

    metrics: dict[str | Metric, tuple[float, str]]
    """Metric key -> (value, unit): the name, or a :class:`compare.measure.tidy.Metric`
    for an energy estimate (its cost table)."""
    confusion: np.ndarray
    """Confusion matrix of the test set, rows = true class, columns = predicted."""
    model: object
    """The fitted estimator."""
    energy: tuple[dict, ...] = ()
    """:func:`compare.measure.energy.estimate_energy` breakdowns, compute-only then with memory,
    for every cost table that could price the model."""
    decision_latency: np.ndarray | None = None
    """Per operations example, the model's ``decision_latency`` (s; NaN where its answer
    is wrong); None for models without one."""

    @property
    def weights(self) -> np.ndarray | None:
        """The fitted model's learned input weights (``weights_``), None where it has none."""
        weights = getattr(self.model, "weights_", None)
        return None if weights is None else np.asarray(weights)


def macro_f1(confusion: np.ndarray) -> float:
    """Unweighted mean over classes of the F1 score, from a confusion matrix.

    For class :math:`k` with :math:`TP_k` on the diagonal, :math:`FN_k` the rest of
    row :math:`k` (true class) and :math:`FP_k` the rest of column :math:`k`
    (predicted), :math:`F1_k = 2 TP_k / (2 TP_k + FP_k + FN_k)`. Classes that are
    neither in the data nor predicted (a row and a column of zeros) are left out of
    the mean: there is nothing to score. Equal to scikit-learn's
    ``f1_score(average="macro")`` over the labels that occur.

    Parameters
    ----------
    confusion : ndarray of shape (n_classes, n_classes)
        Counts; rows are true classes, columns predicted ones.

    Examples
    --------
    >>> macro_f1(np.array([[3, 1], [0, 4]]))  # F1: 6/7 and 8/9
    0.873015873015873
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1] or confusion.size == 0:
        raise ValueError(f"expected a square confusion matrix, got shape {confusion.shape}")
    if np.any(confusion < 0):
        raise ValueError("a confusion matrix holds counts: got negative entries")
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)  # 2 TP + FP + FN
    present = denominator > 0
    if not present.any():
        raise ValueError("the confusion matrix is all zeros: no predictions to score")
    return float(np.mean(2 * tp[present] / denominator[present]))


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished child processes.

    Brian2's C++ standalone binaries run as child processes, so their CPU time is only
    in the children's count (added once each binary has been waited for).
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory so far of this process, or of its largest child if larger, MB.

    ``ru_maxrss`` is a high-water mark over the process's life, so it is an upper bound
    for the peak of any one step; the children's value is that of the largest finished
    child (a standalone simulation binary).
    """
    return max(maxrss_mb(resource.RUSAGE_SELF), maxrss_mb(resource.RUSAGE_CHILDREN))


def maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """``resource.getrusage(who).ru_maxrss`` in MB (it is in kB on Linux, bytes on macOS)."""
    bytes_per_unit = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss * bytes_per_unit / 2**20


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), _cpu_seconds()
    out = fn(*args)
    return out, time.perf_counter() - wall, _cpu_seconds() - cpu


def evaluate(
    model,
    task: Task,
    *,
    operations_examples: int | None = DEFAULT_OPERATIONS_EXAMPLES,
    energy_tables: Sequence[str | CostTable] = DEFAULT_TABLES,
) -> Evaluation:
    """Fit ``model`` on the task's training set and measure it on its test set.

    Parameters
    ----------
    model
        An unfitted estimator of the shared protocol.
    task
        The data.
    operations_examples
        How many test examples (the first ones) the operations report is measured
        on; None for all. The report is a per-example mean, and measuring it runs
        inference again, which is what costs time for a spiking network.
    energy_tables
        Cost tables (:data:`compare.measure.energy.TABLES` names) to price the operations
        report with. A table that lacks a cost this model needs (Loihi and TrueNorth
        price no MACs, so no artificial network) gives no energy metric for it.

    Returns
    -------
    Evaluation
        Metrics: ``accuracy`` and ``macro_f1``; ``fit_wall_time``, ``fit_cpu_time``,
        ``predict_wall_time`` and ``predict_cpu_time`` (whole sets, s);
        ``predict_time_per_example`` (s); ``peak_rss`` (MB, :func:`peak_rss_mb`: the
        high-water mark of this process or of a simulation binary it ran, so far);
        every key of the model's ``operations`` report with its unit;
        ``decision_latency`` (s) for models with a ``decision_latency(X, y)`` method
        (spiking ones): the mean, over the operations examples answered correctly, of
        the simulated time until the answer became right and stayed so; and, per cost
        table that can price the model, ``energy_compute_only`` and
        ``energy_with_memory`` with ``cost_table`` ``TABLE@VERSION`` (J/example,
        :func:`compare.measure.energy.estimate_energy`). CPU time is this process's plus that
        of the child processes it waited for (Brian2's standalone binaries).
    """
    tables = [get_table(t) for t in energy_tables]  # unknown names fail before the fit
    _, fit_wall, fit_cpu = _timed(model.fit, task.X_train, task.y_train)
    predicted, predict_wall, predict_cpu = _timed(model.predict, task.X_test)
    accuracy = float(np.mean(predicted == task.y_test))
    n_ops = task.n_test if operations_examples is None else min(operations_examples, task.n_test)
    operations = model.operations(task.X_test[:n_ops])

    matrix = confusion_matrix(task.y_test, predicted, labels=np.arange(task.n_classes))
    metrics = {
        "accuracy": (accuracy, "1"),
        "macro_f1": (macro_f1(matrix), "1"),
        "fit_wall_time": (fit_wall, "s"),
        "fit_cpu_time": (fit_cpu, "s"),
        "predict_wall_time": (predict_wall, "s"),
        "predict_cpu_time": (predict_cpu, "s"),
        "predict_time_per_example": (predict_wall / task.n_test, "s/example"),
        "peak_rss": (peak_rss_mb(), "MB"),
    }
    metrics.update(_operation_metrics(model, operations))
    latency = None
    if hasattr(model, "decision_latency"):  # spiking models: time to a stable answer
        latency = np.asarray(model.decision_latency(task.X_test[:n_ops], task.y_test[:n_ops]))
        decided = latency[np.isfinite(latency)]
        metrics["decision_latency"] = (float(decided.mean()) if len(decided) else math.nan, "s")
    energy = _energy_estimates(operations, tables)
    for estimate, table, memory in energy:
        metrics[energy_metric(table, memory=memory)] = (estimate["total_j"], ENERGY_UNIT)
    return Evaluation(
        metrics=metrics,
        confusion=matrix,
        model=model,
        energy=tuple(estimate for estimate, _, _ in energy),
        decision_latency=latency,
    )


def _operation_metrics(model, operations: dict) -> dict:
    """The model's operations report as metrics, each with its unit."""
    metrics = {}
    for key, value in operations.items():
        if key not in OPERATION_UNITS:
            raise ValueError(
                f"{type(model).__name__}.operations() returned unknown key {key!r}; "
                f"known: {', '.join(OPERATION_UNITS)}"
            )
        metrics[key] = (float(value), OPERATION_UNITS[key])
    return metrics


def _energy_estimates(operations: dict, tables) -> list[tuple[dict, CostTable, bool]]:
    """(estimate, table, with memory) for each table that can price the operations."""
    estimates = []
    for table in tables:
        if missing_costs(operations, table):
            continue
        for memory in (False, True):
            estimates.append((estimate_energy(operations, table, memory=memory), table, memory))
    return estimates


def corruption_metric(kind: str, severity: int) -> Metric:
    """The metric of the accuracy on a corrupted test set: ``corrupted_accuracy``, with
    ``corruption`` and ``severity``.

    >>> corruption_metric("gaussian", 3)
    Metric('corrupted_accuracy', corruption='gaussian', severity=3)
    """
    return Metric("corrupted_accuracy", corruption=kind, severity=int(severity))


def corrupted_accuracy(
    model, task: Task, kinds: Sequence[str], severities: Sequence[int], *, random_state: int = 0
) -> dict[Metric, tuple[float, str]]:
    """Accuracy of a fitted model on corrupted copies of the task's test set.

    Each copy is :func:`compare.data.corruptions.corrupt` of the test set with one kind and
    severity and the seed ``random_state``: the same images for every model and every
    training seed, so accuracies pair across models. The training set is never
    corrupted.

    Returns
    -------
    dict
        :func:`corruption_metric` -> ``(accuracy, "1")`` for every kind x severity.
    """
    shape = task.shape if len(task.shape) == 2 else None
    metrics = {}
    for kind in kinds:
        for severity in severities:
            X = corrupt(task.X_test, kind, severity, shape=shape, random_state=random_state)
            accuracy = float(np.mean(model.predict(X) == task.y_test))
            metrics[corruption_metric(kind, severity)] = (accuracy, "1")
    return metrics
