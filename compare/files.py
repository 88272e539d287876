"""Writing results safely and recording the environment they came from.

Every file is written atomically (a temporary file in the same directory, then
``os.replace``), so a crash leaves either the old file or the new one, never half of
one. :func:`replace_directory` does the same for a whole results directory.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

__all__ = [
    "METRIC_COLUMNS",
    "TASK_COLUMNS",
    "TIDY_COLUMNS",
    "atomic_write_bytes",
    "atomic_write_text",
    "PROJECT_ROOT",
    "environment",
    "recorded_path",
    "replace_directory",
    "staged_directory",
    "tidy_columns",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_tidy_csv",
]

TASK_COLUMNS = ("task", "n_train", "n_test", "subset_seed")
"""The task of a tidy row: its plain name (``fashion-mnist``) and the stratified subset
of its splits (sizes and the seed of the draw; empty where the whole split was used)."""

METRIC_COLUMNS = ("metric", "corruption", "severity", "cost_table", "after_group", "task_group")
"""What a tidy row measured: a plain metric name and the variables it was measured
under, each empty where it does not apply (:mod:`compare.measure.tidy`)."""

TIDY_COLUMNS = (
    "experiment",
    *TASK_COLUMNS,
    "model",
    "arm",
    "kind",
    "seed",
    *METRIC_COLUMNS,
    "value",
    "unit",
    "job",
)
"""Columns of the tidy results table (``results.csv``), the one list every writer uses:
one row per model x task x seed x metric (x sweep point: :func:`tidy_columns` puts a
spec's sweep columns after ``seed``). A cell that does not apply is empty in CSV, None
in Python."""


def tidy_columns(sweeps=()) -> list[str]:
    """:data:`TIDY_COLUMNS` with the sweep paths ``sweeps`` as columns after ``seed``.

    >>> tidy_columns(["task.n_train"])[8:11]
    ['seed', 'task.n_train', 'metric']
    """
    at = TIDY_COLUMNS.index("seed") + 1
    return [*TIDY_COLUMNS[:at], *sweeps, *TIDY_COLUMNS[at:]]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
"""Mode of written files: what ``open`` would give (mkstemp's files are private, 0600)."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj) -> None:
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: Path, rows: list[dict], columns: tuple[str, ...] | list[str]) -> None:
    """Atomically write ``rows`` (dicts holding at least ``columns``) as CSV."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        missing = set(columns) - set(row)
        if missing:
            raise ValueError(f"row lacks columns {sorted(missing)}: {row}")
        writer.writerow({k: row[k] for k in columns})
    atomic_write_text(path, buf.getvalue())


def write_parquet(path: Path, rows: list[dict], columns: tuple[str, ...] | list[str]) -> bool:
    """Atomically write ``rows`` as Parquet where pyarrow is installed; whether it was.

    A column whose values mix types (a sweep over ``[1, "a"]``) is written as text;
    None is a missing value.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    data = {}
    for column in columns:
        values = [row[column] for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds - {int, float}) > 0 and len(kinds) > 1:
            values = [None if v is None else str(v) for v in values]
        data[column] = values
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.table(data), buffer)
    atomic_write_bytes(path, buffer.getvalue().to_pybytes())
    return True


def write_tidy_csv(path: Path, rows: list[dict], sweeps=()) -> None:
    """Atomically write tidy rows (one per model x task x seed x metric) as CSV, in the
    columns of :func:`tidy_columns` (a column a row lacks is empty)."""
    columns = tidy_columns(sweeps)
    write_csv(path, [{c: row.get(c) for c in columns} for row in rows], columns)


def replace_directory(staging: Path, target: Path) -> None:
    """Move a finished ``staging`` directory to ``target``, replacing what was there.

    The old directory is renamed aside first and deleted only once the new one is in
    place, so at every moment ``target`` is either the complete old result or the
    complete new one (or, for an instant between two renames, absent).
    """
    staging, target = Path(staging), Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"results path {target} exists and is not a directory")
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(target: Path):
    """Yield a fresh staging directory beside ``target``; on success it replaces ``target``.

    For scripts that write a whole results directory: everything goes into the staging
    directory, which :func:`replace_directory` moves into place when the block ends
    without an exception; on an exception (Ctrl-C included) it is removed and
    ``target`` is left as it was.

    >>> root = Path(tempfile.mkdtemp())
    >>> with staged_directory(root / "out") as staging:
    ...     _ = (staging / "a.txt").write_text("done")
    >>> (root / "out" / "a.txt").read_text()
    'done'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
    try:
        yield staging
        replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The project directory (compare/, experiments/, results/)."""


def recorded_path(path: str | Path) -> str:
    """A path as results record it: relative to the project where it lies inside it
    (so committed results do not name the machine that made them), else absolute.

    >>> recorded_path(PROJECT_ROOT / "experiments" / "specs" / "tiny_digits.toml")
    'experiments/specs/tiny_digits.toml'
    >>> recorded_path("/elsewhere/x.toml")
    '/elsewhere/x.toml'
    """
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(resolved)


def _git_commit() -> dict:
    root = PROJECT_ROOT
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    if commit.returncode != 0:
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def environment() -> dict:
    """Versions, git commit, Brian2 backend, device and code-generation target, the machine.

    The Brian2 fields are None where brian2 cannot be imported (a machine that runs only
    the torch models); ``torch_cuda`` names the GPU a CUDA run used, None without one.
    """
    import torch

    versions = {}
    for dist in ("spikearena", "brian2", "numpy", "scipy", "torch", "scikit-learn", "matplotlib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    spiking = {"spiking_backend": None, "brian2_device": None, "brian2_codegen_target": None}
    try:
        import brian2
    except ImportError:
        pass
    else:
        device = brian2.get_device()
        try:  # what "auto" resolves to (cython, or numpy when no compiler works)
            target = device.code_object_class().class_name
        except (AttributeError, NotImplementedError, ValueError):  # e.g. no working compiler
            target = str(brian2.prefs.codegen.target)
        from spiking.backend import compiler_available

        spiking = {
            # Spiking models run in C++ standalone by default (spiking.backend), in runtime
            # mode when no compiler works; brian2_device is the global (runtime) device.
            "spiking_backend": "standalone" if compiler_available() else "runtime",
            "brian2_device": type(device).__name__,
            "brian2_codegen_target": target,
        }
    return {
        "versions": versions,
        "python": platform.python_version(),
        "git": _git_commit(),
        **spiking,
        "torch_cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
