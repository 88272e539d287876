"""Class-incremental learning: how much does a model forget of the classes it learnt first?

The protocol (van de Ven, Tuytelaars & Tolias 2022, "Three types of incremental
learning", the class-incremental case): the task's classes are split into disjoint
groups (:func:`compare.data.corruptions.class_incremental`; 10 classes, 5 tasks:
{0, 1}, {2, 3}, ...). The model learns the groups one after another with
``partial_fit`` on each group's training images only (no replay, no task label), and
after each it is tested on the test images of every group seen so far, in one label
space over all classes.

Both arms run the same protocol through their own ``partial_fit``:

- the torch classifiers train their ``epochs`` on each group, from the weights the
  previous group left (one output per class from the start);
- the Diehl & Cook network runs one STDP epoch on each group and labels its neurons
  with that group's images; the read-out remembers the mean response of every neuron
  to each class from the last labelling that included it (class means, never
  images), so the neurons that stand for earlier classes keep their labels while STDP
  goes on changing what they respond to.

Measured (:meth:`ContinualResult.metrics`): the accuracy matrix ``A[i, j]`` (on group
j's test images after learning group i, j <= i), the accuracy on all groups seen so
far after each group, the final accuracy over all classes, and the average forgetting
(Chaudhry et al. 2018): for every group but the last, its best accuracy before the
last group minus its final accuracy, averaged.

Then a *linear probe* (Davari et al. 2022, "Probing representation forgetting in
supervised and unsupervised continual learning", CVPR): what the model's read-out sees
(``readout_features``: the last hidden layer's activations of the MLP, the hidden
spike counts of the surrogate-gradient SNN, the excitatory spike counts of the Diehl &
Cook network) is computed for every training and test image, all classes, with the
model as the last group left it, and a multinomial logistic regression (standardised
features, L-BFGS to convergence; the same for every model) is fit on the training
images and tested. What the probe recovers was lost by the read-out only; what it does
not, by the representation. For logistic regression the read-out sees the input
itself, so its probe is joint training of a linear model.

>>> from compare.data.tasks import load_digits
>>> from artificial import LogisticRegression
>>> result = class_incremental_learning(
...     LogisticRegression(epochs=5, random_state=0), load_digits(), 5)
>>> result.accuracy.shape, bool(result.accuracy[0, 0] > 0.9)
((5, 5), True)
>>> bool(result.probe_accuracy > result.final_accuracy)  # the read-out lost the most
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from compare.data.corruptions import class_incremental
from compare.data.tasks import Task
from compare.measure.tidy import Metric

__all__ = ["ContinualResult", "class_incremental_learning", "continual_metric", "linear_probe"]


def continual_metric(after: int, group: int) -> Metric:
    """The accuracy on group ``group`` after learning group ``after`` (both from 1):
    ``group_accuracy`` with ``after_group`` and ``task_group``.

    >>> continual_metric(3, 1)
    Metric('group_accuracy', after_group=3, task_group=1)
    """
    return Metric("group_accuracy", after_group=after, task_group=group)


@dataclass(frozen=True)
class ContinualResult:
    """What :func:`class_incremental_learning` measured."""

    groups: tuple[tuple[int, ...], ...]
    """The class indices of each group, in the order learnt."""
    accuracy: np.ndarray
    """``(n_groups, n_groups)``: ``[i, j]`` the accuracy on group j's test images after
    learning group i; NaN for j > i (not yet learnt)."""
    seen_accuracy: np.ndarray
    """``(n_groups,)``: accuracy on the test images of groups 0..i after learning group i."""
    fit_seconds: float
    """Wall time of all the ``partial_fit`` calls."""
    probe: np.ndarray | None = None
    """``(n_groups,)``: the linear probe's accuracy on each group's test images; None if
    it was not run (a model without ``readout_features``)."""
    probe_accuracy: float = math.nan
    """The linear probe's accuracy on every test image (NaN if not run)."""

    @property
    def final_accuracy(self) -> float:
        """Accuracy on every test image after the last group."""
        return float(self.seen_accuracy[-1])

    @property
    def average_forgetting(self) -> float:
        """Mean over groups but the last of (best accuracy before the last group - final)."""
        a = self.accuracy
        last = len(a) - 1
        drops = [np.nanmax(a[j:last, j]) - a[last, j] for j in range(last)]
        return float(np.mean(drops)) if drops else math.nan

    def metrics(self) -> dict[str | Metric, tuple[float, str]]:
        """Tidy metrics (groups counted from 1): ``continual_accuracy`` (final, all
        classes), ``average_forgetting``, ``continual_fit_wall_time``, ``accuracy_seen``
        after each group (``after_group``) and every :func:`continual_metric`; with the
        probe, ``probe_accuracy`` (all classes) and ``probe_group_accuracy`` on each
        group (``task_group``)."""
        out = {
            "continual_accuracy": (self.final_accuracy, "1"),
            "average_forgetting": (self.average_forgetting, "1"),
            "continual_fit_wall_time": (self.fit_seconds, "s"),
        }
        for i in range(len(self.groups)):
            seen = Metric("accuracy_seen", after_group=i + 1)
            out[seen] = (float(self.seen_accuracy[i]), "1")
            for j in range(i + 1):
                out[continual_metric(i + 1, j + 1)] = (float(self.accuracy[i, j]), "1")
        if self.probe is not None:
            out["probe_accuracy"] = (self.probe_accuracy, "1")
            for j, value in enumerate(self.probe):
                out[Metric("probe_group_accuracy", task_group=j + 1)] = (float(value), "1")
        return out


def class_incremental_learning(
    model, task: Task, n_groups: int, *, probe: bool = True
) -> ContinualResult:
    """Train an unfitted ``model`` on ``task``'s class groups in turn; test after each.

    With ``probe`` (and a model with ``readout_features``), the linear probe follows
    the last group (:func:`linear_probe`).

    Parameters
    ----------
    model
        An unfitted classifier of the shared protocol with ``partial_fit(X, y,
        classes=...)``.
    task
        The data; its classes are split into ``n_groups`` groups of consecutive labels.
    n_groups
        Number of groups (at least 2, dividing the number of classes).
    probe
        Run the linear probe at the end (see the module docstring).

    Raises
    ------
    ValueError
        If ``n_groups`` does not split the classes, a group has no training or test
        images, or the model has no ``partial_fit``.
    """
    if not hasattr(model, "partial_fit"):
        raise ValueError(f"{type(model).__name__} has no partial_fit: it cannot learn in turns")
    splits = class_incremental(task, n_groups)
    groups = tuple(tuple(int(c) for c in np.unique(s.y_train)) for s in splits)
    classes = np.arange(task.n_classes)
    n = len(splits)
    accuracy = np.full((n, n), np.nan)
    seen = np.zeros(n)
    seconds = 0.0
    for i, split in enumerate(splits):
        start = time.perf_counter()
        model.partial_fit(split.X_train, split.y_train, classes=classes)
        seconds += time.perf_counter() - start
        mask = np.isin(task.y_test, [c for g in groups[: i + 1] for c in g])
        correct = model.predict(task.X_test[mask]) == task.y_test[mask]
        seen[i] = correct.mean()
        for j in range(i + 1):
            accuracy[i, j] = correct[np.isin(task.y_test[mask], groups[j])].mean()
    if not (probe and hasattr(model, "readout_features")):
        return ContinualResult(groups, accuracy, seen, seconds)
    correct = linear_probe(model, task) == task.y_test
    per_group = np.array([correct[np.isin(task.y_test, g)].mean() for g in groups])
    return ContinualResult(groups, accuracy, seen, seconds, per_group, float(correct.mean()))


def linear_probe(model, task: Task) -> np.ndarray:
    """Test-set predictions of a logistic regression on ``model``'s read-out features.

    Fit on the features of every training image of ``task`` (standardised with the
    training set's mean and SD; scikit-learn's L-BFGS multinomial logistic regression
    with its default L2 penalty, up to 5,000 iterations), applied to those of the test
    images. The model itself is not changed.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = model.readout_features(task.X_train)
    test = model.readout_features(task.X_test)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    return probe.fit(train, task.y_train).predict(test)
