"""Bad input, everywhere a user can give it: a clear error, and nothing on disk touched.

One battery across the project's entry points: IDX files and data directories, model
inputs (every kind in ``compare.models.registry.MODELS``), ``Task`` construction, experiment
specs and ``--set`` flags, results directories, saved spiking models, and a disk that
fills up while a result is written. Each case checks two things:

1. the error: its type (a ``ValueError`` subclass such as ``IDXFormatError`` or
   ``SpecError``, ``NotFittedError``, or the ``OSError`` that says what the file system
   refused) and a message naming the problem (``pytest.raises(..., match=...)``);
2. the disk: the directories involved (data, spec, results, saved model) hold exactly
   the same entries and bytes afterwards (the ``unchanged`` fixture), so a refused
   input never leaves a half-written file.

Much of this is also tested beside the code it concerns (test_tasks.py, test_spec.py,
test_artificial.py, test_spiking.py, test_runner.py, test_compare.py); the battery
repeats the essentials for completeness and adds what those do not cover: the
families beyond the MLP, the Brian2 models' checks before any simulation, the IDX
variants the loader meets (gzip and raw, empty and 4-D images, a file for a
directory), corrupt metadata of a saved model, and a full disk during a run.

Nothing here trains a network for more than one epoch of 40 examples or runs a Brian2
simulation: the spiking models are checked with their ways into a simulation
(``DiehlCook2015._present`` and ``_learn``, ``ConvertedSNNClassifier._convert``)
replaced by a function that fails the test, and a fitted DiehlCook2015 is made by
setting its learned arrays by hand. Permission cases need a user other than root
(root reads and writes whatever the mode bits say) and are skipped as root.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

import compare.files
from compare.cli import main as cli_main
from compare.data.tasks import (
    IDX_FILES,
    IDXFormatError,
    Task,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    write_idx,
)
from compare.files import atomic_write_bytes
from compare.models.registry import MODELS, ModelSpec, build_model
from compare.pipeline.runner import run_spec
from compare.pipeline.spec import SpecError, load_spec
from spiking.networks.diehl_cook import DiehlCook2015
from spiking.state import params_to_json

ROOT_USER = os.geteuid() == 0
ROOT_SKIP = (
    "runs as root, and root ignores permission bits: chmod cannot make a path "
    "unreadable or unwritable for it, so the condition cannot be created"
)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks gain nothing from threads; one keeps the file fast on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# --------------------------------------------------------------------------- the disk


def tree(root: Path) -> dict[str, bytes | str]:
    """Everything under ``root``: relative path -> file bytes, ``"<dir>"`` or a link target.

    Hidden entries (temporary files, staging directories) are included. An absent
    ``root`` is ``{".": "<absent>"}``; a regular file is ``{".": its bytes}``.
    """
    root = Path(root)
    if not root.exists() and not root.is_symlink():
        return {".": "<absent>"}
    if not root.is_dir():
        return {".": root.read_bytes()}
    entries: dict[str, bytes | str] = {".": "<dir>"}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                entries[key] = f"<link to {os.readlink(path)}>"
            elif path.is_dir():
                entries[key] = "<dir>"
            else:
                entries[key] = path.read_bytes()
    return entries


@pytest.fixture
def unchanged():
    """``with unchanged(path, ...):`` asserts that each path is as it was when the block began.

    Same entries (hidden ones included: no temporary file or staging directory left
    behind), same bytes in every file; a path that did not exist must still not exist.
    """

    @contextlib.contextmanager
    def watch(*paths):
        before = {Path(p): tree(Path(p)) for p in paths}
        yield
        for path, entries in before.items():
            after = tree(path)
            added, removed = sorted(set(after) - set(entries)), sorted(set(entries) - set(after))
            changed = sorted(k for k in set(after) & set(entries) if after[k] != entries[k])
            assert not (added or removed or changed), (
                f"{path} changed: added {added}, removed {removed}, changed {changed}"
            )

    return watch


# --------------------------------------------------------------------------- IDX files


N_TRAIN, N_TEST, ROWS, COLS = 12, 6, 5, 7


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file written by hand from the format (magic 00 00 08 ndim, big-endian sizes)."""
    header = bytes([0, 0, 0x08, array.ndim])
    for size in array.shape:
        header += int(size).to_bytes(4, "big")
    return header + array.tobytes()


def fake_idx_dir(directory: Path, *, gz: bool, **replace: bytes | np.ndarray) -> Path:
    """The four MNIST-style files (tiny, random), with some replaced by ``replace``.

    Keys are the file names with ``-`` as ``_``; a value is an array (written in IDX)
    or raw IDX bytes (e.g. corrupt ones). With ``gz`` every file is gzip-compressed.
    """
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, ROWS, COLS), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(N_TRAIN, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, ROWS, COLS), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(N_TEST, dtype=np.uint8) % 10,
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        content = replace.get(name.replace("-", "_"), array)
        data = content if isinstance(content, bytes) else idx_bytes(content)
        path = directory / (name + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return directory


GOOD_IMAGES = idx_bytes(np.zeros((N_TRAIN, ROWS, COLS), np.uint8))

# (file replaced -> its content, the message expected). Each is a problem of the IDX
# content itself, so it is the same plain or gzip-compressed.
MALFORMED_IDX = {
    "truncated-data": (
        {"train_images_idx3_ubyte": GOOD_IMAGES[:-9]},
        rf"train-images-idx3-ubyte(\.gz)?: truncated data: the header says "
        rf"{N_TRAIN} x {ROWS} x {COLS} = {N_TRAIN * ROWS * COLS} data bytes, found "
        rf"{N_TRAIN * ROWS * COLS - 9}",
    ),
    "truncated-header": (
        {"train_images_idx3_ubyte": GOOD_IMAGES[:9]},
        r"train-images-idx3-ubyte(\.gz)?: truncated header: 3 dimensions need 16 header "
        r"bytes, found 9",
    ),
    "trailing-bytes": (
        {"t10k_labels_idx1_ubyte": idx_bytes(np.zeros(N_TEST, np.uint8)) + b"\x00"},
        r"t10k-labels-idx1-ubyte(\.gz)?: trailing bytes after the data",
    ),
    "wrong-magic": (
        {"train_labels_idx1_ubyte": b"PK\x03\x04" + bytes(N_TRAIN + 4)},
        r"train-labels-idx1-ubyte(\.gz)?: not an IDX file: the first bytes are 50 4b 03 "
        r"04, expected the IDX magic 00 00 <type> <n_dims>",
    ),
    "zero-dimensions": (
        {"train_labels_idx1_ubyte": b"\x00\x00\x08\x00"},
        r"train-labels-idx1-ubyte(\.gz)?: not an IDX file.*n_dims >= 1",
    ),
    "float32-elements": (
        {"t10k_images_idx3_ubyte": b"\x00\x00\x0d" + GOOD_IMAGES[3:]},
        r"t10k-images-idx3-ubyte(\.gz)?: IDX element type 0x0D \(float32\) is not "
        r"supported; expected 0x08",
    ),
    "empty-file": (
        {"t10k_images_idx3_ubyte": b""},
        r"t10k-images-idx3-ubyte(\.gz)?: not an IDX file: the first bytes are \(none\)",
    ),
    "images-1d": (
        {"train_images_idx3_ubyte": np.zeros(N_TRAIN * ROWS * COLS, np.uint8)},
        rf"train-images-idx3-ubyte(\.gz)?: expected 3-D images \(n, rows, cols\).*got "
        rf"shape \({N_TRAIN * ROWS * COLS},\)",
    ),
    "images-4d": (
        {"train_images_idx3_ubyte": np.zeros((N_TRAIN, ROWS, COLS, 3), np.uint8)},
        rf"expected 3-D images.*got shape \({N_TRAIN}, {ROWS}, {COLS}, 3\)",
    ),
    "no-images": (
        {
            "train_images_idx3_ubyte": np.zeros((0, ROWS, COLS), np.uint8),
            "train_labels_idx1_ubyte": np.zeros(0, np.uint8),
        },
        rf"train-images-idx3-ubyte(\.gz)?: expected 3-D images \(n, rows, cols\), each "
        rf"size at least 1, got shape \(0, {ROWS}, {COLS}\)",
    ),
    "train-test-sizes-differ": (
        {"t10k_images_idx3_ubyte": np.zeros((N_TEST, COLS, ROWS), np.uint8)},
        rf"image sizes differ: .*train-images-idx3-ubyte(\.gz)? holds {ROWS}x{COLS} images "
        rf"but .*t10k-images-idx3-ubyte(\.gz)? holds {COLS}x{ROWS}",
    ),
    "fewer-labels-than-images": (
        {"train_labels_idx1_ubyte": np.zeros(N_TRAIN - 1, np.uint8)},
        rf"image and label counts differ: .*train-images-idx3-ubyte(\.gz)? holds {N_TRAIN} "
        rf"images but .*train-labels-idx1-ubyte(\.gz)? holds {N_TRAIN - 1} labels",
    ),
    "more-labels-than-images": (
        {"t10k_labels_idx1_ubyte": np.zeros(N_TEST + 3, np.uint8)},
        rf"t10k-images-idx3-ubyte(\.gz)? holds {N_TEST} images but .*holds {N_TEST + 3} labels",
    ),
    "labels-2d": (
        {"t10k_labels_idx1_ubyte": np.zeros((N_TEST, 1), np.uint8)},
        rf"t10k-labels-idx1-ubyte(\.gz)?: expected 1-D labels \(n,\), got shape \({N_TEST}, 1\)",
    ),
    "label-out-of-range": (
        {"train_labels_idx1_ubyte": np.full(N_TRAIN, 10, np.uint8)},
        r"train-labels-idx1-ubyte(\.gz)?: labels must be in 0\.\.9, got max 10",
    ),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("case", list(MALFORMED_IDX))
def test_a_malformed_idx_set_is_refused_naming_the_file(tmp_path, unchanged, case, gz):
    replace, message = MALFORMED_IDX[case]
    data_dir = fake_idx_dir(tmp_path / "data", gz=gz, **replace)
    loader = load_fashion_mnist if gz else load_mnist  # both loaders, one variant each
    with unchanged(tmp_path), pytest.raises(IDXFormatError, match=message):
        loader(data_dir=data_dir)


@pytest.mark.parametrize(
    "cut",
    [lambda b: b[:-12], lambda b: b[:-4] + b"\xff\xff\xff\xff", lambda b: b[:2] + bytes(30)],
    ids=["stream-cut-short", "bad-length-trailer", "magic-then-garbage"],
)
def test_a_corrupt_gzip_stream_is_refused_naming_the_file(tmp_path, unchanged, cut):
    data_dir = fake_idx_dir(tmp_path / "data", gz=True)
    path = data_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(cut(path.read_bytes()))
    with unchanged(tmp_path), pytest.raises(IDXFormatError, match="corrupt gzip stream") as info:
        load_mnist(data_dir=data_dir)
    assert str(path) in str(info.value)
    with unchanged(tmp_path), pytest.raises(IDXFormatError, match=re.escape(str(path))):
        read_idx(path)


def test_a_missing_data_directory_names_where_it_looked(tmp_path, unchanged):
    absent = tmp_path / "absent"
    with unchanged(tmp_path), pytest.raises(FileNotFoundError) as info:
        load_mnist(data_dir=absent)
    message = str(info.value)
    assert f"{absent}: directory does not exist" in message
    assert all(f"{name}[.gz]" in message for name in IDX_FILES)
    assert "data_dir" in message and "Nothing is downloaded" in message


def test_a_file_given_as_the_data_directory_is_called_what_it_is(tmp_path, unchanged):
    not_a_dir = fake_idx_dir(tmp_path / "data", gz=False) / "train-images-idx3-ubyte"
    with unchanged(tmp_path), pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(data_dir=not_a_dir)
    assert f"{not_a_dir}: not a directory" in str(info.value)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_a_data_directory_missing_one_file_names_it(tmp_path, unchanged, gz):
    data_dir = fake_idx_dir(tmp_path / "data", gz=gz)
    (data_dir / ("t10k-labels-idx1-ubyte" + (".gz" if gz else ""))).unlink()
    with (
        unchanged(tmp_path),
        pytest.raises(
            FileNotFoundError,
            match=rf"{re.escape(str(data_dir))}: missing t10k-labels-idx1-ubyte\n",
        ),
    ):
        load_mnist(data_dir=data_dir)


def test_reading_a_directory_as_an_idx_file_names_it(tmp_path, unchanged):
    with unchanged(tmp_path), pytest.raises(IsADirectoryError, match=re.escape(str(tmp_path))):
        read_idx(tmp_path)


@pytest.mark.skipif(ROOT_USER, reason=ROOT_SKIP)
def test_an_unreadable_data_directory_is_a_permission_error_naming_it(tmp_path, unchanged):
    data_dir = fake_idx_dir(tmp_path / "data", gz=False)
    with unchanged(tmp_path):
        data_dir.chmod(0o000)
        try:
            with pytest.raises(PermissionError, match=re.escape(str(data_dir))):
                load_mnist(data_dir=data_dir)
        finally:
            data_dir.chmod(0o755)


@pytest.mark.skipif(ROOT_USER, reason=ROOT_SKIP)
def test_an_unreadable_idx_file_is_a_permission_error_naming_it(tmp_path, unchanged):
    data_dir = fake_idx_dir(tmp_path / "data", gz=True)
    path = data_dir / "t10k-images-idx3-ubyte.gz"
    with unchanged(tmp_path):
        path.chmod(0o000)
        try:
            with pytest.raises(PermissionError, match=re.escape(str(path))):
                load_mnist(data_dir=data_dir)
        finally:
            path.chmod(0o644)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(6, dtype=np.int64), r"uint8 arrays only \(IDX type 0x08\), got 1-D int64"),
        (np.zeros(4, np.float32), r"uint8 arrays only .*got 1-D float32"),
        (np.array(7, dtype=np.uint8), r"1 to 255 dimensions each below 2\*\*32, got shape \(\)"),
        ([1, 2, 3], r"uint8 arrays only .*got list"),
    ],
    ids=["int64", "float32", "0-d", "list"],
)
@pytest.mark.parametrize("suffix", ["", ".gz"], ids=["raw", "gz"])
def test_write_idx_refuses_what_idx_cannot_hold_and_keeps_the_old_file(
    tmp_path, unchanged, array, message, suffix
):
    path = tmp_path / f"labels-idx1-ubyte{suffix}"
    write_idx(path, np.arange(3, dtype=np.uint8))
    with unchanged(tmp_path), pytest.raises(ValueError, match=message):
        write_idx(path, array)


def test_write_idx_into_a_missing_directory_names_it(tmp_path, unchanged):
    target = tmp_path / "absent" / "x-idx1-ubyte"
    with unchanged(tmp_path), pytest.raises(FileNotFoundError, match=re.escape(str(target.parent))):
        write_idx(target, np.arange(3, dtype=np.uint8))


# --------------------------------------------------------------------------- model inputs


# The cheapest settings of every registered kind on 16 features (4 x 4 images, 16-step
# sequences): one epoch, a few units. The Brian2 kinds never simulate here.
CHEAP_PARAMS = {
    "mlp": {"hidden_sizes": (4,), "epochs": 1},
    "logistic": {"epochs": 1},
    "cnn": {"image_shape": (4, 4), "channels": (2,), "dense_size": 4, "epochs": 1},
    "cnn1d": {"sequence_shape": (16, 1), "channels": (2,), "kernel_sizes": (3,), "epochs": 1},
    "rnn": {"sequence_shape": (4, 4), "hidden_size": 4, "epochs": 1},
    "sg-snn": {"hidden_sizes": (4,), "n_steps": 2, "epochs": 1},
    "diehl-cook": {"n_excitatory": 3, "backend": "runtime"},
    "converted-snn": {"hidden_sizes": (4,), "epochs": 1, "time_steps": 2, "backend": "runtime"},
}
TORCH_KINDS = [kind for kind in CHEAP_PARAMS if MODELS[kind][0] == "artificial"]


def test_every_registered_kind_is_in_the_battery():
    assert set(CHEAP_PARAMS) == set(MODELS)


@pytest.fixture
def data():
    """24 examples of 16 features in [0, 1], three classes (8 each)."""
    X = np.random.default_rng(0).random((24, 16))
    return X, np.arange(24) % 3


@pytest.fixture
def no_simulation(monkeypatch):
    """Make any Brian2 simulation (or conversion) fail the test: the checks must come first."""

    def fail(*args, **kwargs):
        raise AssertionError("reached a simulation: the input should have been refused first")

    from compare.models.converted_snn import ConvertedSNNClassifier

    monkeypatch.setattr(DiehlCook2015, "_present", fail)
    monkeypatch.setattr(DiehlCook2015, "_learn", fail)
    monkeypatch.setattr(ConvertedSNNClassifier, "_convert", fail)


def _cheap(kind: str):
    return build_model(ModelSpec(kind, kind, CHEAP_PARAMS[kind]), random_state=0)


def _set(X, value):
    X = X.copy()
    X[3, 2] = value
    return X


def _with_string(X):
    X = X.astype(object)
    X[3, 2] = "0.5 ms"
    return X


BAD_FIT = {
    "X-1d": (lambda X, y: (X[:, 0], y), r"Expected 2D array, got 1D array"),
    "X-3d": (lambda X, y: (X.reshape(24, 4, 4), y), r"Found array with dim 3, while dim <= 2"),
    "X-object-str": (lambda X, y: (_with_string(X), y), r"could not convert string to float"),
    "X-object-none": (lambda X, y: (_set(X.astype(object), None), y), r"Input X contains NaN"),
    "X-ragged": (lambda X, y: ([[0.1, 0.2], [0.3]], [0, 1]), r"inhomogeneous shape"),
    "X-complex": (lambda X, y: (X.astype(complex), y), r"Complex data not supported"),
    "X-nan": (lambda X, y: (_set(X, np.nan), y), r"Input X contains NaN"),
    "X-inf": (lambda X, y: (_set(X, np.inf), y), r"Input X contains infinity"),
    "X-above-1": (lambda X, y: (X * 255, y), r"\[0, 1\].*max 2\d\d.* divide by 2\d\d"),
    "X-below-0": (lambda X, y: (_set(X, -0.5), y), r"\[0, 1\].*got min -0\.5"),
    "y-short": (lambda X, y: (X, y[:-1]), r"inconsistent numbers of samples: \[24, 23\]"),
    "y-2d": (lambda X, y: (X, np.stack([y, y], 1)), r"y should be a 1d array, got .*\(24, 2\)"),
    "y-continuous": (lambda X, y: (X, y + 0.5), r"Unknown label type: continuous"),
    "y-nan": (lambda X, y: (X, np.where(y == 0, np.nan, y)), r"Input y contains NaN"),
    "y-none": (lambda X, y: (X, None), r"requires y to be passed"),
    "empty": (lambda X, y: (X[:0], y[:0]), r"Found array with 0 sample\(s\) \(shape=\(0, 16\)\)"),
    "single-class": (lambda X, y: (X, np.full(24, 2)), r"(at least )?2 classes"),
}


@pytest.mark.parametrize("case", list(BAD_FIT))
@pytest.mark.parametrize("kind", list(CHEAP_PARAMS))
def test_fit_refuses_bad_data_naming_the_problem(kind, case, data, no_simulation):
    corrupt, message = BAD_FIT[case]
    model = _cheap(kind)
    with pytest.raises(ValueError, match=message):
        model.fit(*corrupt(*data))
    fitted_state = {"diehl-cook": "assignments_", "converted-snn": "network_"}.get(kind, "module_")
    assert not hasattr(model, fitted_state)  # the refused fit left the model unfitted


@pytest.fixture(scope="module")
def fitted_torch_models():
    """One cheaply fitted model of each torch kind (read only by the tests below)."""
    X = np.random.default_rng(0).random((24, 16))
    return {kind: _cheap(kind).fit(X, np.arange(24) % 3) for kind in TORCH_KINDS}


@pytest.fixture
def hand_made_diehl_cook():
    """A DiehlCook2015 in a fitted state set by hand (3 neurons on 16 inputs): no training."""
    model = DiehlCook2015(n_excitatory=3, backend="runtime", random_state=0)
    rng = np.random.default_rng(0)
    model.weights_ = rng.random((16, 3)) * 0.3
    model.delays_ = rng.random((16, 3)) * 0.01
    model.theta_ = np.full(3, 0.02)
    model.assignments_ = np.array([0, 1, 2])
    model.classes_ = np.array([0, 1, 2])
    model.fit_stats_ = {"train_examples": 24}
    model.n_features_in_ = 16
    model._brian_seed = 42
    return model


BAD_PREDICT = {
    "X-1d": (lambda X: X[0], r"Expected 2D array, got 1D array"),
    "X-3d": (lambda X: X.reshape(24, 4, 4), r"Found array with dim 3"),
    "unseen-n-features": (lambda X: X[:, :5], r"X has 5 features, but \w+ is expecting 16"),
    "X-object-str": (_with_string, r"could not convert string to float"),
    "X-nan": (lambda X: _set(X, np.nan), r"Input X contains NaN"),
    "X-inf": (lambda X: _set(X, -np.inf), r"Input X contains infinity"),
    "X-above-1": (lambda X: _set(X, 16.0), r"\[0, 1\].*max 16.* divide by"),
    "X-below-0": (lambda X: _set(X, -1.0), r"\[0, 1\].*got min -1"),
    "empty": (lambda X: X[:0], r"Found array with 0 sample\(s\)"),
}


@pytest.mark.parametrize("case", list(BAD_PREDICT))
@pytest.mark.parametrize("kind", [*TORCH_KINDS, "diehl-cook"])
def test_prediction_refuses_bad_data_naming_the_problem(
    kind, case, data, fitted_torch_models, hand_made_diehl_cook, no_simulation
):
    corrupt, message = BAD_PREDICT[case]
    model = hand_made_diehl_cook if kind == "diehl-cook" else fitted_torch_models[kind]
    X_bad = corrupt(data[0])
    methods = ["predict", "predict_proba", "operations", "spike_counts"]
    for method in [m for m in methods if hasattr(model, m)]:
        with pytest.raises(ValueError, match=message):
            getattr(model, method)(X_bad)


@pytest.mark.parametrize("kind", list(CHEAP_PARAMS))
def test_using_a_model_before_fit_is_not_fitted_error(kind, data, no_simulation):
    X, y = data
    model = _cheap(kind)
    calls = {
        "predict": (X,),
        "predict_proba": (X,),
        "operations": (X,),
        "score": (X, y),
        "decision_latency": (X, y),
        "spike_counts": (X,),
    }
    for method, args in calls.items():
        if hasattr(model, method):
            with pytest.raises(
                NotFittedError, match=rf"This {type(model).__name__} instance is not fitted"
            ):
                getattr(model, method)(*args)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda m, X: m.decision_latency(X, [0, 1]),
            r"one label per example \(24\), got shape \(2,\)",
        ),
        (
            lambda m, X: m.decision_latency(X, np.full(24, 7)),
            r"labels \[7\] are not among classes_",
        ),
        (lambda m, X: m.partial_fit(X, np.full(24, 9)), r"labels \[9\] were not seen in fit"),
        (lambda m, X: m.partial_fit(X[:, :8], np.zeros(24)), r"X has 8 features, but .* 16"),
        (lambda m, X: m.spike_raster(X[:2]), r"spike_raster takes one example \(1-D\), got shape"),
    ],
    ids=[
        "latency-y-length",
        "latency-unseen-label",
        "partial-fit-unseen",
        "partial-fit-features",
        "raster-2d",
    ],
)
def test_diehl_cook_refuses_bad_labels_and_shapes_before_simulating(
    call, message, data, hand_made_diehl_cook, no_simulation
):
    with pytest.raises(ValueError, match=message):
        call(hand_made_diehl_cook, data[0])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_excitatory": 0}, r"n_excitatory must be a positive integer, got 0"),
        ({"n_excitatory": 2.5}, r"n_excitatory must be a positive integer, got 2\.5"),
        ({"epochs": 0}, r"epochs must be a positive integer, got 0"),
        ({"n_label": -1}, r"n_label must be a positive integer or None, got -1"),
        ({"record_every": 0}, r"record_every must be a positive integer or None, got 0"),
        ({"backend": "gpu"}, r"backend must be 'standalone' or 'runtime', got 'gpu'"),
        ({"params": {"dt": 0.5}}, r"params must be a DiehlCook2015Params, got dict"),
    ],
    ids=["n-zero", "n-float", "epochs", "n-label", "record-every", "backend", "params"],
)
def test_diehl_cook_refuses_bad_hyperparameters_before_simulating(
    params, message, data, no_simulation
):
    with pytest.raises(ValueError, match=message):
        DiehlCook2015(**params).fit(*data)


# --------------------------------------------------------------------------- Task


def make_task(**overrides) -> Task:
    rng = np.random.default_rng(0)
    fields = dict(
        name="toy",
        X_train=rng.random((30, 4), dtype=np.float32),
        y_train=np.arange(30, dtype=np.int64) % 3,
        X_test=rng.random((12, 4), dtype=np.float32),
        y_test=np.arange(12, dtype=np.int64) % 3,
        shape=(2, 2),
        classes=("a", "b", "c"),
        source="hand-made",
        sha256="0" * 64,
    )
    fields.update(overrides)
    return Task(**fields)


BAD_TASKS = {
    "name-empty": ({"name": ""}, r"Task name must be a non-empty string, got ''"),
    "shape-int": ({"shape": 4}, r"shape must be a non-empty tuple of positive integers, got 4"),
    "shape-none": ({"shape": None}, r"shape must be .* got None"),
    "shape-zero": ({"shape": (0, 4)}, r"shape must be .* got \(0, 4\)"),
    "shape-bool": ({"shape": (True, 4)}, r"shape must be .* got \(True, 4\)"),
    "shape-product": ({"shape": (3, 3)}, r"shape \(3, 3\) holds 9 values but X has 4 features"),
    "classes-none": ({"classes": None}, r"classes must be a non-empty tuple of str, got None"),
    "classes-str": ({"classes": "abc"}, r"classes must be a non-empty tuple of str, got 'abc'"),
    "classes-ints": ({"classes": (0, 1, 2)}, r"classes must be .* of str, got \(0, 1, 2\)"),
    "classes-repeated": ({"classes": ("a", "b", "a")}, r"class names must be unique"),
    "label-beyond-classes": (
        {"y_train": np.full(30, 3, np.int64)},
        r"y_train labels must be in 0\.\.2 \(one per class\), got min 3 and max 3",
    ),
    "test-label-beyond-classes": (
        {"y_test": np.full(12, 7, np.int64)},
        r"y_test labels must be in 0\.\.2 .*max 7",
    ),
    "label-negative": ({"y_test": np.full(12, -1, np.int64)}, r"y_test labels .*min -1"),
    "labels-float": (
        {"y_train": np.zeros(30)},
        r"y_train must be a 1-D int64 array, got 1-D float64",
    ),
    "labels-2d": ({"y_train": np.zeros((30, 1), np.int64)}, r"y_train must be a 1-D int64 .* 2-D"),
    "labels-list": ({"y_train": [0] * 30}, r"y_train must be a 1-D int64 array, got list"),
    "labels-short": ({"y_train": np.zeros(29, np.int64)}, r"29 labels but X_train has 30 rows"),
    "X-list": ({"X_train": [[0.5] * 4] * 30}, r"X_train must be a 2-D float32 array .*got list"),
    "X-float64": ({"X_test": np.zeros((12, 4))}, r"X_test must be a 2-D float32 .*float64"),
    "X-no-features": (
        {
            "X_train": np.zeros((30, 0), np.float32),
            "X_test": np.zeros((12, 0), np.float32),
            "shape": (1,),
        },
        r"X_train has no features; expected at least one",
    ),
    "X-test-nan": ({"X_test": np.full((12, 4), np.nan, np.float32)}, r"X_test .*\[0, 1\].*nan"),
    "X-test-inf": ({"X_test": np.full((12, 4), -np.inf, np.float32)}, r"X_test .*min -inf"),
    "X-test-8-bit": (
        {"X_test": np.full((12, 4), 255, np.float32)},
        r"X_test must hold values in \[0, 1\], got min 255\.0 and max 255\.0 \(divide 8-bit",
    ),
    "features-differ": (
        {"X_test": np.zeros((12, 5), np.float32)},
        r"X_train has 4 features but X_test has 5",
    ),
    "empty-train": (
        {"X_train": np.zeros((0, 4), np.float32), "y_train": np.zeros(0, np.int64)},
        r"X_train has no examples; expected at least one",
    ),
    "empty-test": (
        {"X_test": np.zeros((0, 4), np.float32), "y_test": np.zeros(0, np.int64)},
        r"X_test has no examples",
    ),
    "sha256-short": ({"sha256": "abc"}, r"sha256 must be 64 lowercase hex characters, got 'abc'"),
    "source-empty": ({"source": ""}, r"source must be a non-empty string"),
}


@pytest.mark.parametrize("case", list(BAD_TASKS))
def test_a_task_that_breaks_the_contract_is_refused_naming_the_field(case):
    overrides, message = BAD_TASKS[case]
    with pytest.raises(ValueError, match=message):
        make_task(**overrides)


def test_a_class_without_training_examples_is_allowed_by_design():
    """Not bad input: class-incremental splits (compare.data.corruptions.class_incremental)
    keep every class name while each split's training set holds only some classes."""
    task = make_task(y_train=np.arange(30, dtype=np.int64) % 2)
    assert task.n_classes == 3 and 2 not in task.y_train


# --------------------------------------------------------------------------- specs


SPEC = """\
name = "bad_input"
seeds = [0]
operations_examples = 10
energy_tables = ["horowitz-45nm-fp32"]

[task]
name = "digits"
n_train = 40
n_test = 20

[models.lr]
kind = "logistic"
params = { epochs = 1 }
"""

# (the edit: old -> new, the text on the line the error must point at, the message)
BAD_SPECS = {
    "unknown-top-level-key": (
        ("seeds = [0]", "seed = [0]"),
        "seed = [0]",
        r"unknown key 'seed' at the top level; did you mean 'seeds'\?",
    ),
    "unknown-task-key": (
        ("n_test = 20", "n_tests = 20"),
        "n_tests",
        r"unknown key 'n_tests' in \[task\]",
    ),
    "unknown-model-key": (
        ('kind = "logistic"', 'kinds = "logistic"'),
        "kinds",
        r"unknown key 'kinds' in \[models\.lr\]; did you mean 'kind'\?",
    ),
    "unknown-hyperparameter": (
        ("epochs = 1", "epoch = 1"),
        "epoch = 1",
        r"unknown key 'epoch' in \[models\.lr\.params\]; did you mean 'epochs'\?",
    ),
    "unknown-model-kind": (
        ('kind = "logistic"', 'kind = "svm"'),
        "svm",
        r"models\.lr\.kind: unknown model kind 'svm'; known: cnn,",
    ),
    "unknown-task": (
        ('name = "digits"', 'name = "digitz"'),
        "digitz",
        r"task\.name: unknown task 'digitz' \(did you mean 'digits'\?\); known:",
    ),
    "unknown-cost-table": (
        ('["horowitz-45nm-fp32"]', '["loihi"]'),
        "energy_tables",
        r"unknown cost table 'loihi'",
    ),
    "name-not-a-string": (
        ('name = "bad_input"', "name = 3"),
        "name = 3",
        r"name: expected a string, got an integer \(3\)",
    ),
    "seeds-not-an-array": (
        ("seeds = [0]", 'seeds = "0"'),
        "seeds",
        r"seeds: expected an array, got a string",
    ),
    "seed-a-float": (
        ("seeds = [0]", "seeds = [0.5]"),
        "seeds",
        r"seeds: expected seeds that are integers >= 0, got a float",
    ),
    "seed-a-boolean": (("seeds = [0]", "seeds = [true]"), "seeds", r"got a boolean \(true\)"),
    "seed-negative": (
        ("seeds = [0]", "seeds = [-1]"),
        "seeds",
        r"seeds: expected seeds that are integers >= 0, got -1",
    ),
    "seeds-empty": (("seeds = [0]", "seeds = []"), "seeds", r"no seeds: list at least one"),
    "seeds-repeated": (
        ("seeds = [0]", "seeds = [3, 3]"),
        "seeds",
        r"seeds must be unique, got \[3, 3\]",
    ),
    "n-train-negative": (
        ("n_train = 40", "n_train = -5"),
        "n_train",
        r"task\.n_train: expected a positive integer \(examples\), got -5",
    ),
    "n-test-zero": (
        ("n_test = 20", "n_test = 0"),
        "n_test",
        r"task\.n_test: expected a positive integer \(examples\), got 0",
    ),
    "n-train-a-string": (("n_train = 40", 'n_train = "40"'), "n_train", r"got a string \(\"40\"\)"),
    "n-train-a-boolean": (("n_train = 40", "n_train = true"), "n_train", r"got a boolean"),
    "subset-seed-negative": (
        ("n_test = 20", "n_test = 20\nsubset_seed = -1"),
        "subset_seed",
        r"task\.subset_seed: expected an integer >= 0, got -1",
    ),
    "operations-zero": (
        ("operations_examples = 10", "operations_examples = 0"),
        "operations_examples",
        r'expected a positive integer or "all", got 0',
    ),
    "params-not-a-table": (
        ("params = { epochs = 1 }", "params = 1"),
        "params = 1",
        r"models\.lr\.params: expected a table, got an integer",
    ),
    "random-state-in-params": (
        ("epochs = 1", "epochs = 1, random_state = 3"),
        "random_state",
        r"random_state comes from the spec's seeds",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_a_bad_spec_names_the_file_line_and_key_and_stays_as_written(tmp_path, unchanged, case):
    (old, new), needle, message = BAD_SPECS[case]
    text = SPEC.replace(old, new, 1)
    assert text != SPEC
    path = tmp_path / "spec.toml"
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)
    with unchanged(tmp_path), pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}, line {line}: "), str(info.value)


def test_a_spec_that_is_not_toml_names_the_file_and_line(tmp_path, unchanged):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.replace("n_test = 20", "n_test = = 20"))
    with (
        unchanged(tmp_path),
        pytest.raises(SpecError, match=rf"{re.escape(str(path))}: not valid TOML: .*line 9"),
    ):
        load_spec(path)


BAD_FLAGS = {
    "malformed-value": ("seeds=[0,", r"^--set 'seeds=\[0,': '\[0,' is not a TOML value"),
    "unclosed-string": ('name="open', r"is not a TOML value"),
    "no-equals": ("seeds", r"^--set 'seeds': expected KEY=VALUE"),
    "no-key": ("=3", r"expected KEY=VALUE"),
    "empty-value": ("seeds=", r"'' is not a TOML value"),
    "bad-key": ("task..n_train=1", r"'task\.\.n_train' is not a key"),
    "unknown-key": ("bogus=1", r"^--set bogus=1: unknown key 'bogus' at the top level"),
    "unknown-nested-key": (
        "task.n_tests=5",
        r"^--set task\.n_tests=5: unknown key 'n_tests' in \[task\]",
    ),
    "unknown-hyperparameter": (
        "models.lr.params.bogus=1",
        r"^--set models\.lr\.params\.bogus=1: unknown key 'bogus' in \[models\.lr\.params\]",
    ),
    "negative-size": (
        "task.n_train=-5",
        r"^--set task\.n_train=-5: task\.n_train: expected a positive integer",
    ),
    "word-for-a-number": (
        "task.n_train=many",
        r"task\.n_train: expected a positive integer \(examples\), got a string",
    ),
    "unknown-kind": ("models.lr.kind=svm", r"unknown model kind 'svm'"),
    "into-a-value": ("seeds.x=1", r"cannot set seeds\.x: seeds is an array, not a table"),
    "table-for-a-string": (
        "task=digits",
        r"^--set task=digits: task: expected a table, got a string",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FLAGS))
def test_a_bad_set_flag_names_the_flag_and_leaves_the_spec_file_alone(tmp_path, unchanged, case):
    flag, message = BAD_FLAGS[case]
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    with unchanged(tmp_path), pytest.raises(SpecError, match=message):
        load_spec(path, [flag])


def test_the_cli_reports_a_bad_spec_in_one_line_and_writes_nothing(tmp_path, unchanged, capsys):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    out = tmp_path / "out"
    with unchanged(tmp_path):
        assert cli_main(["run", str(path), "--set", "task.n_train=0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(
        "spikearena: error: --set task.n_train=0: task.n_train: expected a positive"
    )


# --------------------------------------------------------------------------- results directories


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def test_out_pointing_at_a_regular_file_is_refused_and_the_file_kept(
    tmp_path, unchanged, spec_file, capsys
):
    target = tmp_path / "results"
    target.write_text("not a directory\n")
    with unchanged(tmp_path):
        with pytest.raises(
            NotADirectoryError,
            match=rf"results path {re.escape(str(target))} exists and is not a directory",
        ):
            run_spec(load_spec(spec_file), target, progress=False)
        assert cli_main(["run", str(spec_file), "--out", str(target), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists and is not a directory" in err, err


def test_out_below_a_regular_file_is_refused_naming_the_file(tmp_path, unchanged, spec_file):
    blocking = tmp_path / "results"
    blocking.write_text("not a directory\n")
    with (
        unchanged(tmp_path),
        pytest.raises(
            NotADirectoryError, match=rf"{re.escape(str(blocking))} exists and is not a directory"
        ),
    ):
        run_spec(load_spec(spec_file), blocking / "deeper" / "out", progress=False)


@pytest.mark.skipif(ROOT_USER, reason=ROOT_SKIP)
def test_an_unwritable_results_directory_is_a_permission_error(tmp_path, unchanged, spec_file):
    parent = tmp_path / "read-only"
    parent.mkdir()
    with unchanged(tmp_path):
        parent.chmod(0o555)
        try:
            with pytest.raises(PermissionError, match=rf"{re.escape(str(parent))} is not writable"):
                run_spec(load_spec(spec_file), parent / "out", progress=False)
        finally:
            parent.chmod(0o755)


@pytest.mark.parametrize(
    ("flag", "error", "message"),
    [
        (
            "task.n_test=5000",
            ValueError,
            r"n_test of task 'digits' is 5000, but the split has only 450",
        ),
        ("task.name=mnist", FileNotFoundError, r"MNIST IDX files not found"),
    ],
    ids=["subset-too-large", "data-missing"],
)
def test_a_task_that_cannot_be_loaded_writes_no_results(
    tmp_path, unchanged, spec_file, monkeypatch, flag, error, message
):
    monkeypatch.delenv("SPIKEARENA_DATA", raising=False)
    with unchanged(tmp_path), pytest.raises(error, match=message):
        run_spec(load_spec(spec_file, [flag]), tmp_path / "out", progress=False)


# --------------------------------------------------------------------------- saved models


def _saved_model_parts() -> tuple[dict, dict]:
    """Arrays and metadata of a valid saved DiehlCook2015 (3 neurons, 4 inputs), by hand."""
    rng = np.random.default_rng(0)
    arrays = {
        "weights_": rng.random((4, 3)),
        "delays_": rng.random((4, 3)) * 0.01,
        "theta_": np.full(3, 0.02),
        "assignments_": np.array([0, 1, -1]),
        "classes_": np.array([3, 7]),
    }
    model = DiehlCook2015(n_excitatory=3, random_state=0)
    meta = {
        "format_version": 1,
        "estimator": "DiehlCook2015",
        "hyperparameters": {k: v for k, v in model.get_params().items() if k != "params"},
        "params": params_to_json(model._params()),
        "fit_stats": {"train_examples": 5},
        "brian_seed": 42,
    }
    return arrays, meta


def _npz(arrays: dict, meta: bytes | dict | None) -> bytes:
    """The bytes of an .npz holding ``arrays`` and a ``meta`` entry (JSON, raw bytes or none)."""
    if meta is not None:
        blob = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
        arrays = {"meta": np.frombuffer(blob, np.uint8), **arrays}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _edited(**changes):
    """Saved-model bytes with metadata entries changed (None removes one)."""
    arrays, meta = _saved_model_parts()
    for key, value in changes.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    return _npz(arrays, meta)


def _array_changed(name, value):
    arrays, meta = _saved_model_parts()
    if value is None:
        arrays.pop(name)
    else:
        arrays[name] = value
    return _npz(arrays, meta)


def _params_edited(edit):
    arrays, meta = _saved_model_parts()
    edit(meta["params"])
    return _npz(arrays, meta)


def _a_valid_file() -> bytes:
    return _npz(*_saved_model_parts())


def _npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    return buffer.getvalue()


CORRUPT_MODELS = {
    "empty-file": (lambda: b"", r"not a readable saved model .*No data left in file"),
    "truncated-half": (
        lambda: _a_valid_file()[: len(_a_valid_file()) // 2],
        r"corrupt or truncated\?\): File is not a zip file",
    ),
    "truncated-tail": (lambda: _a_valid_file()[:-10], r"corrupt or truncated"),
    "flipped-byte": (
        lambda: (
            _a_valid_file()[:200] + bytes([_a_valid_file()[200] ^ 0xFF]) + _a_valid_file()[201:]
        ),
        r"corrupt or truncated\?\): Bad CRC-32",
    ),
    "plain-npy": (_npy, r"not a readable saved model .*: not an \.npz archive"),
    "text": (lambda: b"weights = [0.1, 0.2]\n", r"not a readable saved model"),
    "meta-not-json": (
        lambda: _npz(_saved_model_parts()[0], b"{not json"),
        r"not a readable saved model .*Expecting property name",
    ),
    "meta-not-utf8": (
        lambda: _npz(_saved_model_parts()[0], b"\xff\xfe"),
        r"not a readable saved model .*utf-8",
    ),
    "meta-a-list": (
        lambda: _npz(_saved_model_parts()[0], b"[1, 2]"),
        r"its metadata is JSON list, not an object",
    ),
    "meta-missing": (
        lambda: _npz(_saved_model_parts()[0], None),
        r"not a readable saved model .*meta",
    ),
    "object-array": (
        lambda: _array_changed("weights_", np.array([{"w": 1}], dtype=object)),
        r"Object arrays cannot be loaded when allow_pickle=False",
    ),
    "format-version": (
        lambda: _edited(format_version=2),
        r"saved model format 2, this version reads 1",
    ),
    "other-estimator": (
        lambda: _edited(estimator="MLPClassifier"),
        r"holds a 'MLPClassifier', not a DiehlCook2015",
    ),
    "no-brian-seed": (lambda: _edited(brian_seed=None), r"the saved metadata lacks 'brian_seed'"),
    "brian-seed-text": (
        lambda: _edited(brian_seed="x"),
        r"unreadable parameters: invalid literal for int",
    ),
    "no-params": (lambda: _edited(params=None), r"the saved metadata lacks 'params'"),
    "no-hyperparameters": (
        lambda: _edited(hyperparameters=None),
        r"the saved metadata lacks 'hyperparameters'",
    ),
    "unknown-hyperparameter": (
        lambda: _edited(hyperparameters={"n_excitatory": 3, "bogus": 1}),
        r"unreadable parameters: .*unexpected keyword argument 'bogus'",
    ),
    "unknown-parameter": (
        lambda: _params_edited(lambda p: p.update(bogus=1)),
        r"DiehlCook2015Params: unknown parameter\(s\) bogus",
    ),
    "wrong-unit": (
        lambda: _params_edited(lambda p: p["dt"].update(unit="V")),
        r"DiehlCook2015Params\.dt: expected unit s, got 'V'",
    ),
    "value-not-a-number": (
        lambda: _params_edited(lambda p: p["dt"].update(value="fast")),
        r"could not convert string to float: 'fast'",
    ),
    "quantity-bare-number": (
        lambda: _params_edited(lambda p: p.update(dt=0.0005)),
        r"DiehlCook2015Params\.dt: expected \{value, unit\}, got 0\.0005",
    ),
    "missing-array": (lambda: _array_changed("theta_", None), r"saved model lacks theta_"),
    "weights-1d": (
        lambda: _array_changed("weights_", np.zeros(12)),
        r"weights_ must be 2-D \(inputs x neurons\), got shape \(12,\)",
    ),
    "shapes-disagree": (
        lambda: _array_changed("theta_", np.zeros(2)),
        r"the saved arrays' shapes do not fit together",
    ),
    "n-excitatory-disagrees": (
        lambda: _edited(hyperparameters={"n_excitatory": 5}),
        r"the saved arrays' shapes do not fit together",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPT_MODELS))
def test_a_corrupt_saved_model_is_a_clear_error_naming_the_file(tmp_path, unchanged, case):
    make, message = CORRUPT_MODELS[case]
    path = tmp_path / "dc.npz"
    path.write_bytes(make())
    with unchanged(tmp_path), pytest.raises(ValueError, match=message) as info:
        DiehlCook2015.load(path)
    assert str(path) in str(info.value)


def test_the_hand_made_saved_model_is_valid(tmp_path):
    """The corrupt files above are each one change away from a file that loads."""
    path = tmp_path / "dc.npz"
    path.write_bytes(_a_valid_file())
    model = DiehlCook2015.load(path)
    assert np.array_equal(model.weights_, _saved_model_parts()[0]["weights_"])
    assert model._brian_seed == 42 and model.classes_.tolist() == [3, 7]


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("absent.npz", FileNotFoundError, r"no saved model at .*absent\.npz"),
        ("a-directory.npz", FileNotFoundError, r"no saved model at .*a-directory\.npz"),
    ],
)
def test_loading_what_is_not_a_file_names_the_path(tmp_path, unchanged, name, error, message):
    (tmp_path / "a-directory.npz").mkdir()
    with unchanged(tmp_path), pytest.raises(error, match=message):
        DiehlCook2015.load(tmp_path / name)


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ("dc.pkl", ValueError, r"a saved model is an \.npz file; got .*dc\.pkl"),
        (
            "absent/dc.npz",
            FileNotFoundError,
            r"cannot save to .*absent/dc\.npz: .*absent is not a directory",
        ),
    ],
    ids=["not-npz", "missing-directory"],
)
def test_saving_to_a_bad_path_writes_nothing(
    tmp_path, unchanged, hand_made_diehl_cook, target, error, message
):
    with unchanged(tmp_path), pytest.raises(error, match=message):
        hand_made_diehl_cook.save(tmp_path / target)


def test_saving_object_labels_is_refused_before_writing(tmp_path, unchanged, hand_made_diehl_cook):
    hand_made_diehl_cook.classes_ = np.array(["a", 1, None], dtype=object)
    with unchanged(tmp_path), pytest.raises(ValueError, match="class labels of dtype object"):
        hand_made_diehl_cook.save(tmp_path / "dc.npz")


def test_saving_an_unfitted_model_is_not_fitted_error(tmp_path, unchanged):
    with unchanged(tmp_path), pytest.raises(NotFittedError):
        DiehlCook2015(n_excitatory=3).save(tmp_path / "dc.npz")


# --------------------------------------------------------------------------- a full disk


class _FillingDisk:
    """A file object whose disk fills up: ``room`` bytes go through, then ENOSPC."""

    def __init__(self, file, room: int):
        self._file, self._room = file, room

    def write(self, data) -> int:
        data = bytes(data)
        if len(data) > self._room:
            self._file.write(data[: self._room])  # part of it reaches the disk ...
            self._file.flush()
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # ... then no more
        self._room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()


@pytest.fixture
def disk_fills_up(monkeypatch):
    """``disk_fills_up(prefix, room=10)``: a file whose name starts with ``prefix``, opened
    from a descriptor (how atomic writes open their temporary file), gets ``room`` bytes
    and then fails with ENOSPC. Returns the names that failed."""
    real_fdopen = os.fdopen
    failed = []

    def arm(prefix: str, room: int = 10):
        def fdopen(fd, *args, **kwargs):
            file = real_fdopen(fd, *args, **kwargs)
            name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
            if name.startswith(prefix) and "w" in (args[0] if args else kwargs.get("mode", "r")):
                failed.append(name)
                return _FillingDisk(file, room)
            return file

        monkeypatch.setattr(os, "fdopen", fdopen)
        return failed

    return arm


def test_a_full_disk_keeps_the_previous_file_and_leaves_no_temporary_file(
    tmp_path, unchanged, disk_fills_up
):
    path = tmp_path / "results.csv"
    atomic_write_bytes(path, b"model,accuracy\nlr,0.9\n")
    failed = disk_fills_up(".results.csv.")
    with unchanged(tmp_path), pytest.raises(OSError, match="No space left on device") as info:
        compare.files.atomic_write_text(path, "model,accuracy\n" + "lr,0.95\n" * 1000)
    assert info.value.errno == errno.ENOSPC and failed  # the write did fail part-way


def test_a_full_disk_while_writing_an_idx_file_keeps_the_previous_one(
    tmp_path, unchanged, disk_fills_up
):
    path = tmp_path / "labels-idx1-ubyte.gz"
    write_idx(path, np.arange(5, dtype=np.uint8))
    disk_fills_up(".labels-idx1-ubyte.gz.")
    with unchanged(tmp_path), pytest.raises(OSError, match="No space left on device"):
        write_idx(path, np.arange(200, dtype=np.uint8))
    assert read_idx(path).tolist() == [0, 1, 2, 3, 4]


def test_a_full_disk_while_saving_a_model_keeps_the_previous_save(
    tmp_path, unchanged, disk_fills_up, hand_made_diehl_cook
):
    path = hand_made_diehl_cook.save(tmp_path / "dc.npz")
    hand_made_diehl_cook.weights_ = hand_made_diehl_cook.weights_ * 0.5
    failed = disk_fills_up(".dc.npz.", room=300)  # past the zip's first member header
    with unchanged(tmp_path), pytest.raises(OSError, match="No space left on device"):
        hand_made_diehl_cook.save(path)
    assert failed
    assert np.array_equal(DiehlCook2015.load(path).weights_, hand_made_diehl_cook.weights_ * 2)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """The bad-input spec run once (one job, logistic, 1 epoch): a results directory to copy."""
    root = tmp_path_factory.mktemp("finished")
    path = root / "spec.toml"
    path.write_text(SPEC)
    run_spec(load_spec(path), root / "out", progress=False)
    return path, root / "out"


def _copy_of(finished_run, tmp_path) -> tuple[Path, Path]:
    spec, out = finished_run
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return spec, tmp_path / "out"


@pytest.mark.parametrize("file", ["spec.json", "summary.csv", "report.md", "results.csv"])
def test_a_full_disk_while_aggregating_leaves_the_previous_results_file(
    tmp_path, unchanged, disk_fills_up, finished_run, file
):
    """The rerun reuses the finished job and only aggregates. The files are gathered in a
    staging directory first, moved in one by one, results.csv last: a write failing in
    staging leaves the directory as it was; one failing on results.csv, the old one."""
    spec, out = _copy_of(finished_run, tmp_path)
    failed = disk_fills_up(f".{file}.")
    watched = [out] if file != "results.csv" else [out / "results.csv", out / "jobs"]
    with unchanged(*watched), pytest.raises(OSError, match="No space left on device"):
        run_spec(load_spec(spec), out, progress=False)
    assert failed
    leftovers = [p for p in tree(out) if p.endswith(".tmp") or ".aggregate-" in p]
    assert leftovers == []
    assert set(tree(out)) == set(tree(finished_run[1]))  # the same entries, none added


def test_a_full_disk_while_writing_a_job_leaves_the_results_directory_as_it_was(
    tmp_path, unchanged, disk_fills_up, finished_run
):
    spec, out = _copy_of(finished_run, tmp_path)
    failed = disk_fills_up(".metrics.json.")
    with unchanged(out), pytest.raises(OSError, match="No space left on device"):
        run_spec(load_spec(spec, ["seeds=[0, 1]"]), out, progress=False)  # seed 1 is new
    assert len(failed) == 1  # the new job's metrics.json, in its staging directory
