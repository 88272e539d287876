"""Derived tasks: corrupted test sets (robustness) and class-incremental splits (forgetting).

Both arms see exactly the same derived data: a corruption is a pure function of the
images, its kind, its severity and a seed, and a split is a function of the task and
the class grouping. Each derived :class:`~compare.data.tasks.Task` says what was done in its
``name`` and ``source`` and keeps the ``sha256`` of the raw data it came from, as
:meth:`Task.subset` does.

Corruptions (applied to the test set only; the training set is left clean):

==================  ==============================================  ====================
kind                what                                            severity 1 .. 5
==================  ==============================================  ====================
``gaussian``        additive N(0, sigma^2) noise per pixel, clipped  sigma 0.08 .. 0.40
``salt-and-pepper`` a fraction of pixels set to 0 or 1 (half each)  0.02 .. 0.30
``occlusion``       one square patch per image set to 0, at a       side 0.1 .. 0.5 of
                    uniformly random position                        the image side
==================  ==============================================  ====================

Severity 0 is the clean data. The levels follow the usual five-step scales of corruption
benchmarks (Hendrycks & Dietterich 2019, ImageNet-C; Mu & Gilmer 2019, MNIST-C) with
values chosen for images in [0, 1].

>>> from compare.data.tasks import load_digits
>>> noisy = corrupt_task(load_digits(), "gaussian", 3)
>>> noisy.name
'digits[gaussian=3,seed=0]'
>>> [t.name for t in class_incremental(load_digits(), 5)][:2]
['digits[classes=0,1]', 'digits[classes=2,3]']
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np

from compare.data.tasks import Task

__all__ = ["CORRUPTIONS", "SEVERITIES", "class_incremental", "corrupt", "corrupt_task"]

SEVERITIES = (0, 1, 2, 3, 4, 5)
"""Severity levels; 0 is the clean data."""

CORRUPTIONS: dict[str, tuple[float, ...]] = {
    "gaussian": (0.0, 0.08, 0.16, 0.24, 0.32, 0.40),
    "salt-and-pepper": (0.0, 0.02, 0.05, 0.10, 0.20, 0.30),
    "occlusion": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
}
"""Kind -> its parameter at each severity (noise sigma, pixel fraction, patch side)."""


def corrupt(
    X: np.ndarray,
    kind: str,
    severity: int,
    *,
    shape: Sequence[int] | None = None,
    random_state: int = 0,
) -> np.ndarray:
    """A corrupted copy of ``X`` (rows are flattened samples with values in [0, 1]).

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        Clean samples; not modified.
    kind : str
        A key of :data:`CORRUPTIONS`.
    severity : int
        0 (clean) to 5.
    shape : sequence of int, optional
        Shape of one sample before flattening; ``occlusion`` needs it 2-D (images).
    random_state : int
        Seed: the same arguments give the same corruption.

    Returns
    -------
    ndarray of float32, same shape as ``X``, values in [0, 1].

    Examples
    --------
    >>> X = np.full((2, 4), 0.5, dtype=np.float32)
    >>> corrupt(X, "occlusion", 5, shape=(2, 2)).sum(axis=1).tolist()
    [1.5, 1.5]
    """
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; known: {', '.join(CORRUPTIONS)}")
    if isinstance(severity, bool) or not isinstance(severity, Integral):
        raise ValueError(f"severity must be an integer in 0..5, got {severity!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be in 0..5, got {severity}")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    out = np.array(X, dtype=np.float32, copy=True)
    level = CORRUPTIONS[kind][severity]
    if level == 0:
        return out
    rng = np.random.default_rng(random_state)
    if kind == "gaussian":
        out += rng.normal(0.0, level, size=out.shape).astype(np.float32)
        np.clip(out, 0.0, 1.0, out=out)
    elif kind == "salt-and-pepper":
        hit = rng.random(out.shape) < level
        out[hit] = (rng.random(int(hit.sum())) < 0.5).astype(np.float32)
    else:
        if shape is None or len(shape) != 2 or int(np.prod(shape)) != X.shape[1]:
            raise ValueError(
                f"occlusion needs the 2-D image shape of the {X.shape[1]} features, "
                f"got shape={shape!r}"
            )
        height, width = (int(s) for s in shape)
        side_h = max(1, round(level * height))
        side_w = max(1, round(level * width))
        images = out.reshape(len(out), height, width)
        tops = rng.integers(0, height - side_h + 1, size=len(out))
        lefts = rng.integers(0, width - side_w + 1, size=len(out))
        for image, top, left in zip(images, tops, lefts, strict=True):
            image[top : top + side_h, left : left + side_w] = 0.0
    return out


def corrupt_task(task: Task, kind: str, severity: int, *, random_state: int = 0) -> Task:
    """``task`` with its test set corrupted (:func:`corrupt`); the training set is clean.

    ``name`` gains ``[kind=severity,seed=s]`` and ``source`` says what was applied;
    ``sha256`` stays that of the raw data (the corruption is reproducible from the
    name). Severity 0 returns ``task`` itself.
    """
    if severity == 0 and kind in CORRUPTIONS:
        return task
    shape = task.shape if len(task.shape) == 2 else None
    X_test = corrupt(task.X_test, kind, severity, shape=shape, random_state=random_state)
    level = CORRUPTIONS[kind][severity]
    return Task(
        name=f"{task.name}[{kind}={severity},seed={random_state}]",
        X_train=task.X_train,
        y_train=task.y_train,
        X_test=X_test,
        y_test=task.y_test,
        shape=task.shape,
        classes=task.classes,
        source=(
            f"{task.source}; test set corrupted by spikearena compare.data.corruptions: "
            f"{kind} severity {severity} (parameter {level}), seed {random_state}"
        ),
        sha256=task.sha256,
    )


def class_incremental(task: Task, n_splits: int | Sequence[Sequence[int]]) -> list[Task]:
    """Split ``task`` into tasks of disjoint class groups, for class-incremental learning.

    Parameters
    ----------
    task : Task
    n_splits : int or sequence of sequences of int
        Either a number of groups of consecutive labels of equal size (10 classes, 5
        splits: {0, 1}, {2, 3}, ...), or the groups themselves.

    Returns
    -------
    list of Task
        One per group, holding that group's training and test examples. Labels keep
        their global values and ``classes`` stays the full list, so a model trained on
        the sequence predicts in one label space (the usual class-incremental setting,
        van de Ven et al. 2022).
    """
    labels = list(range(task.n_classes))
    if isinstance(n_splits, Integral) and not isinstance(n_splits, bool):
        n = int(n_splits)
        if n < 2 or task.n_classes % n:
            raise ValueError(
                f"n_splits must be at least 2 and divide the {task.n_classes} classes of "
                f"task {task.name!r}, got {n}"
            )
        size = task.n_classes // n
        groups = [labels[k * size : (k + 1) * size] for k in range(n)]
    else:
        groups = [[int(c) for c in group] for group in n_splits]
        flat = [c for group in groups for c in group]
        if len(groups) < 2 or any(not group for group in groups):
            raise ValueError(f"need at least 2 non-empty class groups, got {groups}")
        if len(set(flat)) != len(flat) or not set(flat) <= set(labels):
            raise ValueError(
                f"class groups must be disjoint labels in 0..{task.n_classes - 1}, got {groups}"
            )
    splits = []
    for group in groups:
        train = np.isin(task.y_train, group)
        test = np.isin(task.y_test, group)
        for split, mask in (("training", train), ("test", test)):
            if not mask.any():
                raise ValueError(f"task {task.name!r} has no {split} examples of classes {group}")
        splits.append(
            Task(
                name=f"{task.name}[classes={','.join(map(str, group))}]",
                X_train=np.ascontiguousarray(task.X_train[train]),
                y_train=task.y_train[train],
                X_test=np.ascontiguousarray(task.X_test[test]),
                y_test=task.y_test[test],
                shape=task.shape,
                classes=task.classes,
                source=f"{task.source}; classes {group} only (spikearena class_incremental)",
                sha256=task.sha256,
            )
        )
    return splits
