"""Measuring a model on a task, the same way for both arms.

:func:`evaluate` fits a fresh estimator, predicts the test set and asks the fitted
model for its own operations report (spikes counted in Brian2, activations counted by
torch hooks). It returns tidy metric rows, each with a unit, plus the artefacts a
report needs (confusion matrix, learned weights where the model has them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from compare.tasks import Task

__all__ = ["Evaluation", "OPERATION_UNITS", "evaluate"]

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


@dataclass(frozen=True)
class Evaluation:
    """Result of one (model, task, seed): metric rows and artefacts."""

    metrics: dict[str, tuple[float, str]]
    """metric name -> (value, unit)."""
    confusion: np.ndarray
    """Confusion matrix of the test set, rows = true class, columns = predicted."""
    model: object
    """The fitted estimator."""


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def evaluate(model, task: Task, *, operations_examples: int | None = 200) -> Evaluation:
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

    Returns
    -------
    Evaluation
        Metrics: ``accuracy``; ``fit_wall_time``, ``fit_cpu_time`` and
        ``predict_wall_time`` (whole sets, s); ``predict_time_per_example`` (s); and
        every key of the model's ``operations`` report with its unit. CPU time is of
        this process only: Brian2's runtime mode and torch on CPU run in it.
    """
    _, fit_wall, fit_cpu = _timed(model.fit, task.X_train, task.y_train)
    predicted, predict_wall, _ = _timed(model.predict, task.X_test)
    accuracy = float(np.mean(predicted == task.y_test))
    n_ops = task.n_test if operations_examples is None else min(operations_examples, task.n_test)
    operations = model.operations(task.X_test[:n_ops])

    metrics = {
        "accuracy": (accuracy, "1"),
        "fit_wall_time": (fit_wall, "s"),
        "fit_cpu_time": (fit_cpu, "s"),
        "predict_wall_time": (predict_wall, "s"),
        "predict_time_per_example": (predict_wall / task.n_test, "s/example"),
    }
    for key, value in operations.items():
        if key not in OPERATION_UNITS:
            raise ValueError(
                f"{type(model).__name__}.operations() returned unknown key {key!r}; "
                f"known: {', '.join(OPERATION_UNITS)}"
            )
        metrics[key] = (float(value), OPERATION_UNITS[key])
    matrix = confusion_matrix(task.y_test, predicted, labels=np.arange(task.n_classes))
    return Evaluation(metrics=metrics, confusion=matrix, model=model)
