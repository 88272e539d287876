"""Corrupted test sets and class-incremental splits: exact, seeded, and clear on bad input."""

import numpy as np
import pytest

from compare.data.corruptions import CORRUPTIONS, class_incremental, corrupt, corrupt_task
from compare.data.tasks import load_digits

GRAY = np.full((200, 28 * 28), 0.5, dtype=np.float32)


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_same_seed_same_corruption_other_seed_other_and_severity_0_is_clean(kind):
    a = corrupt(GRAY, kind, 3, shape=(28, 28), random_state=1)
    assert np.array_equal(a, corrupt(GRAY, kind, 3, shape=(28, 28), random_state=1))
    assert not np.array_equal(a, corrupt(GRAY, kind, 3, shape=(28, 28), random_state=2))
    assert np.array_equal(corrupt(GRAY, kind, 0, shape=(28, 28)), GRAY)
    assert a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    assert np.all(GRAY == 0.5)  # the input is not modified


def test_gaussian_noise_has_the_stated_standard_deviation():
    # Mid-grey pixels: sigma <= 0.16 is clipped with probability < 0.1 %, so the noise's
    # standard deviation is the level's sigma; 156,800 samples: sd estimate within 1 %.
    for severity in (1, 2):
        sigma = CORRUPTIONS["gaussian"][severity]
        noise = corrupt(GRAY, "gaussian", severity) - 0.5
        assert abs(noise.std() / sigma - 1) < 0.01
        assert abs(noise.mean()) < 0.003


def test_salt_and_pepper_hits_the_stated_fraction_half_white_half_black():
    fraction = CORRUPTIONS["salt-and-pepper"][4]
    out = corrupt(GRAY, "salt-and-pepper", 4)
    hit = out != 0.5
    n = GRAY.size
    # binomial: 5 standard deviations (false-failure rate < 1e-6)
    assert abs(hit.mean() - fraction) < 5 * np.sqrt(fraction * (1 - fraction) / n)
    assert set(np.unique(out[hit]).tolist()) == {0.0, 1.0}
    assert abs((out[hit] == 1).mean() - 0.5) < 5 * np.sqrt(0.25 / hit.sum())


@pytest.mark.parametrize("severity", [1, 3, 5])
def test_occlusion_blanks_one_square_patch_of_the_stated_side(severity):
    side = round(CORRUPTIONS["occlusion"][severity] * 28)
    out = corrupt(np.ones((50, 784), np.float32), "occlusion", severity, shape=(28, 28))
    for image in out.reshape(-1, 28, 28):
        rows, cols = np.nonzero(image == 0)
        assert len(rows) == side * side
        assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side


def test_bad_corruption_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown corruption 'blur'; known: gaussian"):
        corrupt(GRAY, "blur", 1)
    with pytest.raises(ValueError, match="severity must be in 0..5, got 6"):
        corrupt(GRAY, "gaussian", 6)
    with pytest.raises(ValueError, match="severity must be an integer"):
        corrupt(GRAY, "gaussian", 1.5)
    with pytest.raises(ValueError, match="X must be 2-D"):
        corrupt(GRAY[0], "gaussian", 1)
    with pytest.raises(ValueError, match="occlusion needs the 2-D image shape"):
        corrupt(GRAY, "occlusion", 1)


def test_corrupt_task_changes_only_the_test_set_and_says_so():
    task = load_digits()
    noisy = corrupt_task(task, "salt-and-pepper", 2, random_state=3)
    assert noisy.X_train is task.X_train and noisy.y_test is task.y_test
    assert not np.array_equal(noisy.X_test, task.X_test)
    assert noisy.name == "digits[salt-and-pepper=2,seed=3]"
    assert "salt-and-pepper severity 2 (parameter 0.05), seed 3" in noisy.source
    assert noisy.sha256 == task.sha256
    assert corrupt_task(task, "gaussian", 0) is task


def test_class_incremental_splits_partition_the_classes_with_global_labels():
    task = load_digits()
    splits = class_incremental(task, 5)
    assert [sorted(set(s.y_train.tolist())) for s in splits] == [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
        [8, 9],
    ]
    assert sum(s.n_train for s in splits) == task.n_train
    assert sum(s.n_test for s in splits) == task.n_test
    assert all(s.classes == task.classes for s in splits)
    first = splits[0]
    mask = np.isin(task.y_train, [0, 1])
    assert np.array_equal(first.X_train, task.X_train[mask])

    custom = class_incremental(task, [[9], [0, 5]])
    assert [s.name for s in custom] == ["digits[classes=9]", "digits[classes=0,5]"]
    assert set(custom[1].y_test.tolist()) == {0, 5}


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (3, "divide the 10 classes"),
        (1, "at least 2"),
        ([[0, 1], [1, 2]], "disjoint"),
        ([[0], [10]], "disjoint labels in 0..9"),
        ([[0], []], "non-empty"),
    ],
)
def test_bad_class_groups_are_clear_errors(groups, message):
    with pytest.raises(ValueError, match=message):
        class_incremental(load_digits(), groups)
