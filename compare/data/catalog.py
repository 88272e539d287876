"""The data sets spikearena reads from files: what they are, where they are looked for.

One record per data set (:data:`DATASETS`): its files with their pinned SHA-256
digests, where it can be downloaded from, and its *identity*, the digest that stands
for it in a task's ``sha256`` and so in every job id. Because the identity is pinned,
an experiment can be planned (job ids, ``--dry-run``) on a machine that does not have
the files: only running a job reads them. The loaders in :mod:`compare.data.tasks` find
the files through :func:`search_path`; ``spikearena data`` lists and fetches them
(:mod:`compare.data.fetch`). docs/ARCHITECTURE.md says how the pieces fit.

>>> [str(p.relative_to("/d")) for p in search_path("mnist", data_dir="/d")]
['.']
>>> DATASETS["fashion-mnist"].sha256[:16]
'362ba1f5424f406d'
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "DataFile",
    "DataSet",
    "PATH_ENV_VAR",
    "file_sha256",
    "get_dataset",
    "identify",
    "locate",
    "recognise",
    "search_path",
    "user_data_dir",
]

DATA_ENV_VAR = "SPIKEARENA_DATA"
"""A directory of data sets (``$SPIKEARENA_DATA/<name>/`` or the files themselves);
``spikearena data fetch`` writes there when it is set."""

PATH_ENV_VAR = "SPIKEARENA_DATA_PATH"
"""Directories to search instead of the default ones, separated by ``os.pathsep``
(each is tried as ``DIR/<name>`` and then ``DIR``); an empty value searches nowhere."""


@dataclass(frozen=True)
class DataFile:
    """One file of a data set as it is distributed.

    Attributes
    ----------
    name
        The file name as distributed (``train-images-idx3-ubyte.gz``).
    sha256
        SHA-256 of the distributed file.
    size
        Its size in bytes (for the progress bar and a first check).
    content_sha256
        SHA-256 of the decompressed bytes, where known: it recognises a copy stored
        uncompressed or compressed again by someone else.
    other_sha256
        SHA-256 of other known copies of the same content (e.g. Debian's package,
        whose gzip headers differ from the original's).
    """

    name: str
    sha256: str
    size: int
    content_sha256: str | None = None
    other_sha256: tuple[str, ...] = ()

    @property
    def stem(self) -> str:
        """The name without ``.gz``: a copy may be stored either way."""
        return self.name.removesuffix(".gz")

    def known_digests(self) -> frozenset[str]:
        """Every digest a file holding exactly this content may have as stored."""
        extra = (self.content_sha256,) if self.content_sha256 else ()
        return frozenset((self.sha256, *self.other_sha256, *extra))


@dataclass(frozen=True)
class DataSet:
    """A data set read from files: its files, identity, download locations, home.

    Attributes
    ----------
    name
        The task name (``"fashion-mnist"``); also its subdirectory under a data root.
    title
        How papers name it.
    files
        The files, in the order their bytes are digested.
    sha256
        The identity: a task built from a recognised copy of the files (every file's
        digest is one of its ``known_digests``) has this ``sha256``, however it is
        stored. Fashion-MNIST's is the digest of Debian's four ``.gz`` files
        concatenated (what the committed runs recorded); MNIST's is the digest of the
        four original archives concatenated.
    urls
        Base URLs to download the files from, the canonical one first, then mirrors.
    system_dirs
        Directories where an operating-system package installs the files.
    citation
        Where the data set was published.
    """

    name: str
    title: str
    files: tuple[DataFile, ...]
    sha256: str
    urls: tuple[str, ...] = ()
    system_dirs: tuple[Path, ...] = ()
    citation: str = ""

    @property
    def size(self) -> int:
        """Bytes to download."""
        return sum(f.size for f in self.files)


FASHION_MNIST = DataSet(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=(
        # sha256 of Zalando's archives (their README gives the MD5s 8d4fb7e6..., 25c81989...,
        # bef4ecab..., bb300cfd...); other_sha256: Debian's dataset-fashion-mnist 2020 copies.
        DataFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            26421880,
            content_sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            other_sha256=("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",),
        ),
        DataFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            29515,
            content_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            other_sha256=("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",),
        ),
        DataFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            4422102,
            content_sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            other_sha256=("cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",),
        ),
        DataFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            5148,
            content_sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            other_sha256=("8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",),
        ),
    ),
    sha256="362ba1f5424f406d0db9c78b0e83db011b09c121c5c5f94ee5c077628f9adb5c",
    urls=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
    citation="Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747",
)

MNIST = DataSet(
    name="mnist",
    title="MNIST",
    files=(
        DataFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            9912422,
        ),
        DataFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            28881,
        ),
        DataFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            1648877,
        ),
        DataFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            4542,
        ),
    ),
    # the four archives concatenated (cat train-images... t10k-labels... | sha256sum)
    sha256="",  # filled in below from the pinned file digests
    urls=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    citation="LeCun, Bottou, Bengio & Haffner 1998, Proc. IEEE 86(11)",
)


def _pinned_identity(files: Iterable[DataFile]) -> str:
    """An identity for a data set first read after its files were pinned: the SHA-256
    of its files' pinned digests (hex, concatenated in order)."""
    return hashlib.sha256("".join(f.sha256 for f in files).encode("ascii")).hexdigest()


MNIST = DataSet(**{**MNIST.__dict__, "sha256": _pinned_identity(MNIST.files)})

DATASETS: dict[str, DataSet] = {d.name: d for d in (FASHION_MNIST, MNIST)}
"""The data sets read from files, by task name."""


def get_dataset(name: str) -> DataSet:
    """The :class:`DataSet` called ``name``; a ValueError listing the known ones if none."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(DATASETS))
        raise ValueError(f"unknown data set {name!r}; known: {known}") from None


# --------------------------------------------------------------------------- where


def user_data_dir() -> Path:
    """The user's data directory for spikearena: ``$XDG_DATA_HOME/spikearena`` or
    ``~/.local/share/spikearena`` (``%LOCALAPPDATA%\\spikearena`` on Windows)."""
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "spikearena"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "spikearena"


def search_path(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The directories searched for data set ``name``'s files, in order.

    ``data_dir`` alone when given. Otherwise, where ``$SPIKEARENA_DATA_PATH`` is set,
    ``DIR/<name>`` and ``DIR`` for each of its directories; else
    ``$SPIKEARENA_DATA/<name>``, ``$SPIKEARENA_DATA`` (when set), the user data
    directory's ``<name>/`` (where ``spikearena data fetch`` writes) and the data set's
    system directories (Debian's ``/usr/share/datasets/fashion-mnist``).
    """
    if data_dir is not None:
        return [Path(data_dir)]
    override = os.environ.get(PATH_ENV_VAR)
    if override is not None:
        roots = [Path(p) for p in override.split(os.pathsep) if p]
        return [d for root in roots for d in (root / name, root)]
    dirs = []
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        dirs += [Path(env) / name, Path(env)]
    dirs.append(user_data_dir() / name)
    dataset = DATASETS.get(name)
    if dataset is not None:
        dirs += list(dataset.system_dirs)
    return dirs


def locate(
    dataset: DataSet, data_dir: str | os.PathLike | None = None
) -> tuple[list[Path] | None, list[str]]:
    """Find ``dataset``'s files: ``(paths in file order, or None; what each directory lacked)``.

    A directory counts when it holds every file, plain or ``.gz``; a plain file is
    preferred over its ``.gz`` twin (it reads faster). MNIST and Fashion-MNIST share
    their file names, so a directory holding a recognised copy of *another* data set
    (``$SPIKEARENA_DATA`` itself, say, with Fashion-MNIST in it) is passed over, unless
    it was given as ``data_dir``.
    """
    tried = []
    for directory in search_path(dataset.name, data_dir):
        found, missing = [], []
        for f in dataset.files:
            for candidate in (directory / f.stem, directory / f"{f.stem}.gz"):
                if candidate.is_file():
                    found.append(candidate)
                    break
            else:
                missing.append(f.stem)
        other = None if missing or data_dir is not None else _other_dataset(dataset, found)
        if not missing and other is None:
            return found, tried
        problem = "directory does not exist"
        if other is not None:
            problem = f"holds {other}'s files, not {dataset.name}'s"
        elif directory.is_dir():
            problem = f"missing {', '.join(missing)}"
        elif directory.exists():
            problem = "not a directory"
        tried.append(f"{directory}: {problem}")
    return None, tried


def _other_dataset(dataset: DataSet, paths: list[Path]) -> str | None:
    """The name of another known data set of which ``paths`` are a recognised copy."""
    for other in DATASETS.values():
        if other.name != dataset.name and len(other.files) == len(paths):
            if all(recognise(f, p) for f, p in zip(other.files, paths)):
                return other.name
    return None


# --------------------------------------------------------------------------- what


def file_sha256(path: str | os.PathLike, *, decompress: bool = False) -> str:
    """SHA-256 of a file's bytes (of its decompressed bytes with ``decompress``)."""
    return _file_sha256(*_stat_key(Path(path)), decompress)


def _stat_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=64)
def _file_sha256(path: str, size: int, mtime_ns: int, decompress: bool) -> str:
    """Cached by path, size and modification time: planning hashes the same files often."""
    digest = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def identify(dataset: DataSet, paths: list[Path]) -> str:
    """The ``sha256`` of a task read from ``paths`` (``dataset``'s files, in order).

    :attr:`DataSet.sha256` when every file is a recognised copy (its digest as stored,
    or for a ``.gz`` file that is not, its decompressed digest, is one of the
    file's ``known_digests``); otherwise the digest of the files' bytes concatenated
    as stored, which is what identifies anybody's own files.
    """
    if all(recognise(f, p) for f, p in zip(dataset.files, paths, strict=True)):
        return dataset.sha256
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def recognise(file: DataFile, path: str | os.PathLike) -> str | None:
    """How the file at ``path`` is a recognised copy of ``file``, or None if it is not.

    The rule :func:`identify` applies: ``"the distributed file"`` (its ``sha256``),
    ``"a known copy"`` (one of ``other_sha256``), ``"the same content"`` (the digest of
    the file as stored, or for a ``.gz`` file of its decompressed bytes, is
    ``content_sha256``).
    """
    path = Path(path)
    digest = file_sha256(path)
    if digest == file.sha256:
        return "the distributed file"
    if digest in file.other_sha256:
        return "a known copy"
    if digest == file.content_sha256:
        return "the same content"
    if path.suffix == ".gz" and file.content_sha256:
        try:
            if file_sha256(path, decompress=True) == file.content_sha256:
                return "the same content"
        except (OSError, EOFError, zlib.error):  # not gzip, or a damaged stream
            return None
    return None


def package_file(package: str, *parts: str) -> Path | None:
    """The path of a data file shipped inside an installed package, without importing it
    (None when the package is not installed)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), *parts)
