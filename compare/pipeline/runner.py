"""Running a spec: jobs with stable ids, a results store that survives interruptions,
execution in this process or on a Dask cluster, and the aggregation of finished jobs.

:func:`plan_spec` expands a spec into jobs (every point x model x seed; a job's id
hashes its config: :meth:`ExperimentConfig.job_config`, :func:`job_id`) without reading data;
:func:`run_spec` runs the jobs that are not finished (in-process or on Dask workers,
which only compute) and lets this process alone write the results directory
(:class:`ResultsStore`: each job directory appears complete or not at all; Ctrl-C
keeps the finished jobs). What a results directory holds, what the job ids hash and
why, and how Dask runs jobs: docs/ARCHITECTURE.md ("compare/: specs, jobs and what a
run writes").
"""

from __future__ import annotations

import copy
import fcntl
import functools
import hashlib
import io
import json
import logging
import math
import os
import re
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from compare.data.tasks import TASK_CLASSES, Task, load_task, task_identity
from compare.files import (
    atomic_write_bytes,
    atomic_write_text,
    environment,
    replace_directory,
    tidy_columns,
    write_csv,
    write_json,
    write_parquet,
)
from compare.measure.energy import get_table
from compare.measure.stats import confidence_interval
from compare.measure.tidy import metric_rows, task_columns, tidy_row
from compare.models.registry import ModelSpec, build_model
from compare.pipeline.spec import JOB_SCHEMA, ExperimentConfig, Spec

__all__ = [
    "DONE",
    "JOB_SCHEMA",
    "LOCATION_ARGUMENTS",
    "Job",
    "JobOutput",
    "JobRecord",
    "Plan",
    "PlannedPoint",
    "ResultsLocked",
    "ResultsStore",
    "RunInterrupted",
    "RunResult",
    "execute_job",
    "format_summary",
    "job_id",
    "load_task_table",
    "plan_spec",
    "run_spec",
    "summarise",
]

logger = logging.getLogger(__name__)

LOCATION_ARGUMENTS = frozenset({"data_dir"})
"""Task loader arguments that say where data is, not what it is: not hashed."""

DONE = "DONE"
"""Marker file of a finished job directory, written last."""

_STAGING = ".staging-"
_AGGREGATE = ".aggregate-"
# What a killed aggregation leaves beside the results: its staging directory, a
# directory set aside by replace_directory, an atomic write's temporary file.
_AGGREGATE_LEFTOVER = re.compile(r"\.aggregate-.+|\..+\.old-\d+|\..+\.tmp")


class ResultsLocked(RuntimeError):
    """Another run holds the results directory."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; finished jobs are kept and a rerun resumes."""


# --------------------------------------------------------------------------- jobs


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@functools.lru_cache(maxsize=2)
def _load_task_table(key: str) -> Task:
    table = json.loads(key)
    task = load_task(table["name"], **table["params"])
    if table["n_train"] is not None or table["n_test"] is not None:
        task = task.subset(table["n_train"], table["n_test"], random_state=table["subset_seed"])
    return task


def load_task_table(table: Mapping) -> Task:
    """The task a job config's ``task`` table describes (cached: two tasks per process)."""
    keys = ("name", "params", "n_train", "n_test", "subset_seed")
    return _load_task_table(_canonical({k: table[k] for k in keys}))


def job_id(config: Mapping) -> str:
    """16 hex digits of SHA-256 over the canonical JSON of ``config``, data location aside.

    >>> from compare.models.registry import ModelSpec
    >>> from compare.pipeline.spec import ExperimentConfig, TaskSpec
    >>> lr = ModelSpec("lr", "logistic", {"epochs": 5})
    >>> here = ExperimentConfig("e", (lr,), TaskSpec("fashion-mnist", {"data_dir": "/a"}))
    >>> there = ExperimentConfig("e", (lr,), TaskSpec("fashion-mnist", {"data_dir": "/b"}))
    >>> a, b = here.job_config(lr, 0, "f" * 64), there.job_config(lr, 0, "f" * 64)
    >>> job_id(a) == job_id(b) != job_id(here.job_config(lr, 1, "f" * 64))
    True
    """
    hashed = copy.deepcopy(dict(config))
    params = hashed["task"]["params"]
    hashed["task"]["params"] = {k: v for k, v in params.items() if k not in LOCATION_ARGUMENTS}
    return hashlib.sha256(_canonical(hashed).encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    """One model x seed on one task: its id, config and the sweep values that shaped it."""

    id: str
    config: dict
    sweep_values: dict = field(default_factory=dict)
    """Sweep path -> value, for the sweeps that apply to this job."""

    @property
    def label(self) -> str:
        return self.config["model"]["label"]

    @property
    def seed(self) -> int:
        return self.config["seed"]

    def describe(self) -> str:
        """``label seed N`` and the sweep values, for progress bars and messages."""
        values = ", ".join(
            f"{path.rsplit('.', 1)[-1]}={_cell(value)}" for path, value in self.sweep_values.items()
        )
        return f"{self.label} seed {self.seed}" + (f" ({values})" if values else "")


def _applies(path: str, label: str) -> bool:
    parts = path.split(".")
    return parts[0] != "models" or parts[1] == label


def _cell(value):
    """A sweep value as a table cell: scalars as they are, arrays and tables as JSON."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value


@dataclass(frozen=True)
class PlannedPoint:
    """A sweep point with its task's description and the ids of its jobs."""

    index: int
    values: dict
    config: ExperimentConfig
    task_table: dict
    """The job configs' ``task`` table (name, loader arguments, subset, sha256)."""
    jobs: dict
    """(label, seed) -> job id."""

    @property
    def slug(self) -> str:
        """Directory name of the point's report: ``p00``, ``p01``, ..."""
        return f"p{self.index:02d}"

    @property
    def task(self) -> Task:
        """The point's task, loaded on first use (the data must be here; planning needs
        none). Raises what the loader raises, e.g. FileNotFoundError naming the fix."""
        return load_task_table(self.task_table)


@dataclass(frozen=True)
class Plan:
    """A spec expanded: its points and its distinct jobs, in expansion order."""

    spec: Spec
    points: tuple[PlannedPoint, ...]
    jobs: tuple[Job, ...]

    def load_tasks(self) -> None:
        """Load every point's task: the data is here and it is what the jobs were planned
        with (else FileNotFoundError, or ValueError naming both digests)."""
        for point in self.points:
            task = point.task
            if task.sha256 != point.task_table["sha256"]:
                raise ValueError(_different_data(task, point.task_table["sha256"]))


def _different_data(task: Task, planned: str) -> str:
    return (
        f"task {task.name!r} here has sha256 {task.sha256[:16]}..., the job was planned "
        f"with {planned[:16]}...: different data on this machine"
    )


def plan_spec(spec: Spec) -> Plan:
    """Expand ``spec`` into points and jobs, without reading any data set.

    A task's digest comes from :func:`compare.data.tasks.task_identity` (pinned for the
    published data sets, computed for files that are present), so job ids and
    ``--dry-run`` work on a machine that does not have the data.
    """
    jobs: dict[str, Job] = {}
    points = []
    for point in spec.points():
        config = point.config
        table = config.task.to_dict()
        n_classes = len(TASK_CLASSES[config.task.name])
        groups = config.continual_groups
        if groups is not None and n_classes % groups:
            raise ValueError(
                f"{spec.name}: continual groups = {groups} does not divide the "
                f"{n_classes} classes of task {config.task.name!r}"
            )
        sha256 = task_identity(config.task.name, **table["params"])
        ids = {}
        for model in config.models:
            values = {p: v for p, v in point.values.items() if _applies(p, model.label)}
            for seed in config.seeds:
                cfg = config.job_config(model, seed, sha256)
                job = jobs.setdefault(job_id(cfg), Job(job_id(cfg), cfg, values))
                ids[model.label, seed] = job.id
        points.append(
            PlannedPoint(point.index, point.values, config, {**table, "sha256": sha256}, ids)
        )
    return Plan(spec, tuple(points), tuple(jobs.values()))


# --------------------------------------------------------------------------- one job


@dataclass(frozen=True)
class JobOutput:
    """What a job sends back to be written: tidy rows, artefact files, environment."""

    rows: list
    artifacts: dict
    """File name (under ``artifacts/``) -> bytes."""
    environment: dict


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


_ONE_JOB_AT_A_TIME = threading.Lock()


def execute_job(config: Mapping, *, verbose: bool = False) -> JobOutput:
    """Run one job (fit, predict, operations, energy) and return what it measured.

    Runs wherever it is called: in the main process or on a Dask worker. Touches no
    results directory. ``verbose`` shows a spiking model's own progress bars.

    One process runs one job at a time: fits use process-wide state (the torch
    estimators draw their initial weights from torch's global generator, in
    ``fork_rng``; Brian2 has one active device), so two jobs in threads of one process
    would change each other's results. A Dask worker with several threads therefore
    runs its jobs one after another: start workers with one thread each
    (``dask worker --nthreads 1 --nworkers N``), as ``--jobs N`` does.

    Raises
    ------
    ValueError
        If the data here is not the data the job was planned with (another digest),
        or a cost table here has another version; and whatever the model raises.
    """
    with _ONE_JOB_AT_A_TIME:
        return _execute_job(config, verbose)


def _execute_job(config: Mapping, verbose: bool) -> JobOutput:
    import brian2

    from compare.measure.metrics import evaluate
    from spiking.backend import cache_root

    # Ctrl-C must abandon a job, never let it record a simulation cut short: Brian2's
    # default (runtime mode) is to stop a running network early and carry on.
    brian2.prefs.core.stop_on_keyboard_interrupt = False
    started = time.time()
    task = load_task_table(config["task"])
    if task.sha256 != config["task"]["sha256"]:
        raise ValueError(_different_data(task, config["task"]["sha256"]))
    spec = ModelSpec(**config["model"])
    result = evaluate(
        _built(spec, config["seed"], verbose),
        task,
        operations_examples=config["evaluation"]["operations_examples"],
        energy_tables=_cost_tables(config["evaluation"]["energy_tables"]),
    )
    metrics = {**result.metrics, **_further_metrics(spec, result.model, task, config, verbose)}
    rows = metric_rows(
        metrics,
        **task_columns(config["task"]),
        model=spec.label,
        arm=spec.arm,
        kind=spec.kind,
        seed=config["seed"],
    )
    env = {
        **environment(),
        "job": job_id(config),
        "seed": config["seed"],
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "dask_worker": _worker_address(),
        "brian2_build_dir": str(cache_root()),
        "started_utc": _utc(started),
        "finished_utc": _utc(time.time()),
        "wall_time_s": time.time() - started,
    }
    return JobOutput(rows=rows, artifacts=_artifacts(result), environment=env)


def _built(spec: ModelSpec, seed: int, verbose: bool):
    model = build_model(spec, random_state=seed)
    if verbose and spec.arm == "spiking":
        model.set_params(verbose=True)  # minutes per fit: show the per-pass bars
    return model


def _cost_tables(labels) -> list[str]:
    """The names of a job's cost tables; an error if this code has another version."""
    names = []
    for label in labels:
        name, _, _ = label.rpartition("@")
        table = get_table(name)
        if table.label != label:
            raise ValueError(f"the job asks for cost table {label}, this code has {table.label}")
        names.append(name)
    return names


def _further_metrics(spec: ModelSpec, model, task, config: Mapping, verbose: bool) -> dict:
    """What the job's evaluation table asks beyond the clean test set: accuracy under
    corruptions (of the fitted model) and class-incremental learning (a fresh one)."""
    from compare.measure.continual import class_incremental_learning
    from compare.measure.metrics import corrupted_accuracy

    evaluation = config["evaluation"]
    metrics = {}
    if evaluation.get("corruptions"):
        metrics |= corrupted_accuracy(
            model, task, evaluation["corruptions"], evaluation["severities"]
        )
    if evaluation.get("continual_groups"):
        fresh = _built(spec, config["seed"], verbose)
        metrics |= class_incremental_learning(fresh, task, evaluation["continual_groups"]).metrics()
    return metrics


def _artifacts(result) -> dict[str, bytes]:
    """A job's files: the confusion matrix, latencies and learned state (arrays.npz) and
    the energy breakdowns (energy.json)."""
    arrays = {"confusion": result.confusion}
    if result.decision_latency is not None:
        arrays["decision_latency"] = result.decision_latency
    for attr in ("weights_", "theta_", "assignments_"):
        if hasattr(result.model, attr):
            arrays[attr.rstrip("_")] = np.asarray(getattr(result.model, attr))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    energy = json.dumps(list(result.energy), indent=2, sort_keys=True, default=str) + "\n"
    return {"arrays.npz": buffer.getvalue(), "energy.json": energy.encode("utf-8")}


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class JobRecord:
    """A finished job read back from its directory (what the report needs of it)."""

    id: str
    config: dict
    rows: list
    environment: dict
    confusion: np.ndarray
    weights: np.ndarray | None
    """Learned input weights, ``(n_features, n_units)``, where the model has them."""
    energy: tuple
    """:func:`compare.measure.energy.estimate_energy` breakdowns."""
    decision_latency: np.ndarray | None = None
    """Per operations example, the seconds to a stable right answer (NaN: wrong), for
    models with ``decision_latency``; None otherwise."""


class ResultsStore:
    """One experiment's results directory: its lock and its job directories.

    >>> import tempfile
    >>> store = ResultsStore(Path(tempfile.mkdtemp()) / "demo")
    >>> with store.lock():
    ...     store.is_done("0123456789abcdef")
    False
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.jobs_dir = self.root / "jobs"

    def prepare(self) -> None:
        """Create the directory, or fail clearly if it cannot be one."""
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"results path {self.root} exists and is not a directory")
        parent = self.root.parent
        blocking = next((p for p in (parent, *parent.parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            raise NotADirectoryError(
                f"cannot write results to {self.root}: {blocking} exists and is not a directory"
            )
        parent.mkdir(parents=True, exist_ok=True)
        if not os.access(parent, os.W_OK) and not self.root.is_dir():
            raise PermissionError(f"cannot write results: {parent} is not writable")
        self.jobs_dir.mkdir(parents=True, exist_ok=True)

    def lock(self):
        """Context manager holding the directory's lock; :class:`ResultsLocked` if taken."""
        return _Lock(self.root / ".lock")

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def is_done(self, job_id: str) -> bool:
        """Whether the job's directory is complete (holds ``DONE``)."""
        return (self.job_dir(job_id) / DONE).is_file()

    def clean(self) -> list[str]:
        """Delete leftover staging directories and job directories without ``DONE``, and
        what a killed aggregation left in the directory (its staging directory, a
        replaced directory set aside, temporary files).

        Only call while holding the lock. Returns the names removed.
        """
        removed = []
        if not self.jobs_dir.is_dir():
            return removed
        for entry in sorted(self.jobs_dir.iterdir()):
            partial = entry.is_dir() and not (entry / DONE).is_file()
            if entry.name.startswith(_STAGING) or partial:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        for entry in sorted(self.root.iterdir()):
            if _AGGREGATE_LEFTOVER.fullmatch(entry.name):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry.name)
        return removed

    def discard(self, job_id: str) -> None:
        """Delete a job's directory (to compute it again)."""
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def write(self, job: Job, output: JobOutput) -> Path:
        """Write a finished job: into a staging directory, ``DONE`` last, then one rename."""
        staging = self.jobs_dir / f"{_STAGING}{job.id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        target = self.job_dir(job.id)
        os.mkdir(staging)
        try:
            write_json(staging / "config.json", job.config)
            write_json(staging / "metrics.json", output.rows)
            write_json(staging / "environment.json", output.environment)
            (staging / "artifacts").mkdir()
            for name, data in output.artifacts.items():
                atomic_write_bytes(staging / "artifacts" / name, data)
            write_json(staging / DONE, {"job": job.id, "finished_utc": _utc(time.time())})
            _fsync_directory(staging)
            if target.exists():  # a partial directory (no DONE): we hold the lock
                shutil.rmtree(target)
            os.rename(staging, target)
            _fsync_directory(self.jobs_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def read(self, job_id: str) -> JobRecord:
        """Read a finished job back; rows written before the tidy columns existed come
        back in the present form (:func:`compare.measure.tidy.tidy_row`)."""
        directory = self.job_dir(job_id)
        if not self.is_done(job_id):
            raise FileNotFoundError(f"job {job_id} is not finished: {directory} has no {DONE}")
        with np.load(directory / "artifacts" / "arrays.npz") as arrays:
            confusion = arrays["confusion"]
            weights = arrays["weights"] if "weights" in arrays.files else None
            latency = arrays["decision_latency"] if "decision_latency" in arrays.files else None
        return JobRecord(
            id=job_id,
            config=_read_json(directory / "config.json"),
            rows=[tidy_row(row) for row in _read_json(directory / "metrics.json")],
            environment=_read_json(directory / "environment.json"),
            confusion=confusion,
            weights=weights,
            energy=tuple(_read_json(directory / "artifacts" / "energy.json")),
            decision_latency=latency,
        )


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Lock:
    """An exclusive, non-blocking ``flock`` on a file, released when the holder exits.

    ``flock`` locks belong to the open file, so they are released when the process
    dies however it dies; they work between processes of one machine (and on NFS as
    emulated by Linux, best effort).
    """

    def __init__(self, path: Path):
        self.path = path
        self.fd = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise ResultsLocked(
                f"{self.path.parent} is in use by another run ({holder}); wait for it to "
                "finish, or write elsewhere with --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # releases the lock; the file stays (removing it would race)
        self.fd = None


# --------------------------------------------------------------------------- execution


class _SigintRecorder:
    """Remember every Ctrl-C that reaches this process while a run computes its jobs.

    SIGINT raises :class:`KeyboardInterrupt` wherever the main thread happens to be.
    When that is a weakref callback or a ``__del__`` run by the garbage collector
    (matplotlib's transforms have some), Python prints "Exception ignored in ..." and
    carries on: the interrupt is lost and the run would finish with status 0. The
    handler installed here records the signal before passing it on, so
    :meth:`check` can raise it at the next job boundary. Outside the main thread
    (where signal handlers cannot be set) it records nothing.
    """

    def __init__(self):
        self.seen = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            if self._previous is not signal.SIG_IGN:
                signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.seen = True
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL, or a handler set outside Python
            signal.default_int_handler(signum, frame)

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self._previous is not None and self._previous is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, self._previous)


def _run_in_process(pending, store, bar, verbose, sigint: _SigintRecorder):
    for job in pending:
        sigint.check()
        bar.set_postfix_str(job.describe(), refresh=True)
        logger.debug("job %s (%s): started", job.id, job.describe())
        started = time.perf_counter()
        try:
            output = execute_job(job.config, verbose=verbose)
        except Exception as err:
            _note(err, job, store)
            raise
        store.write(job, output)
        logger.debug("job %s: finished in %.1f s", job.id, time.perf_counter() - started)
        bar.update(1)


def _prepare_worker(ignore_sigint: bool) -> None:
    """Import Brian2 in a Dask worker's main thread (see :func:`_dask_client`).

    ``ignore_sigint`` for the workers of this run's own LocalCluster: Ctrl-C in a
    terminal reaches them too, but it is the main process that handles it (it cancels
    the jobs and closes the cluster); ignored here, it prints no worker tracebacks.
    """
    import brian2

    brian2.prefs.core.stop_on_keyboard_interrupt = False
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # after Brian2 has installed its own


def _dask_client(n_workers: int, scheduler: str | None):
    """A client of ``scheduler``, or of a new LocalCluster of ``n_workers`` processes.

    Importing Brian2 installs a SIGINT handler, which Python allows only in a
    process's main thread, while Dask runs tasks in other threads: a worker plugin
    imports it in each worker's main thread first (and in workers that join later).
    """
    from distributed import Client, LocalCluster, WorkerPlugin

    class PrepareWorker(WorkerPlugin):
        name = "spikearena-prepare-worker"

        def __init__(self, ignore_sigint: bool):
            self.ignore_sigint = ignore_sigint

        def setup(self, worker):
            _prepare_worker(self.ignore_sigint)

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {scheduler}: {err}"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        logger.info("started a local Dask cluster of %d worker processes", n_workers)
    try:
        client.register_plugin(PrepareWorker(ignore_sigint=cluster is not None))
    except BaseException:
        client.close()
        if cluster is not None:
            cluster.close()
        raise
    return client, cluster


def _run_on_dask(pending, store, bar, n_workers, scheduler):
    from distributed import as_completed

    client, cluster = _dask_client(n_workers, scheduler)
    futures = {}
    try:
        for priority, job in enumerate(pending):
            future = client.submit(
                execute_job,
                job.config,
                key=f"spikearena-job-{job.id}",
                pure=False,
                priority=len(pending) - priority,
            )
            futures[future] = job
        running = len(futures)
        bar.set_postfix_str(f"{running} queued or running", refresh=True)
        for future in as_completed(futures):
            job = futures[future]
            try:
                output = future.result()
            except Exception as err:
                _note(err, job, store)
                raise
            store.write(job, output)
            logger.debug("job %s (%s): finished", job.id, job.describe())
            running -= 1
            bar.set_postfix_str(f"{running} queued or running; done: {job.describe()}")
            bar.update(1)
            future.release()
    finally:
        client.cancel(list(futures), force=True)
        client.close()
        if cluster is not None:
            cluster.close()


def _note(err: BaseException, job: Job, store: ResultsStore) -> None:
    err.add_note(
        f"in job {job.id} ({job.describe()}); finished jobs are kept in {store.jobs_dir}: "
        "fix the cause and run again to resume"
    )


# --------------------------------------------------------------------------- aggregation


def summarise(config: ExperimentConfig, rows: Sequence[Mapping]) -> list[dict]:
    """One row per model of ``config`` from its tidy rows: accuracy over seeds and means.

    Accuracy: mean, SD, 95 % t-interval and percentile bootstrap interval over seeds
    (:func:`compare.measure.stats.confidence_interval`); the rest are means over seeds.
    """

    def values(label, metric):
        return np.array([r["value"] for r in rows if r["model"] == label and r["metric"] == metric])

    def mean(label, metric):
        vals = values(label, metric)
        return float(vals.mean()) if len(vals) else float("nan")

    summary = []
    for spec in config.models:
        acc = values(spec.label, "accuracy")
        t = confidence_interval(acc, method="t")
        boot = confidence_interval(acc, method="bootstrap", random_state=0)
        summary.append(
            {
                "model": spec.label,
                "arm": spec.arm,
                "kind": spec.kind,
                "seeds": len(acc),
                "accuracy_mean": t.mean,
                "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else float("nan"),
                "accuracy_ci95_halfwidth": t.half_width,
                "accuracy_ci95_low": t.low,
                "accuracy_ci95_high": t.high,
                "accuracy_bootstrap95_low": boot.low,
                "accuracy_bootstrap95_high": boot.high,
                "macro_f1_mean": mean(spec.label, "macro_f1"),
                "fit_wall_time_s": mean(spec.label, "fit_wall_time"),
                "predict_time_per_example_s": mean(spec.label, "predict_time_per_example"),
                "parameter_count": mean(spec.label, "parameter_count"),
                "activations_per_example": mean(spec.label, "activations"),
                "effective_macs_per_example": mean(spec.label, "effective_macs"),
                "effective_acs_per_example": mean(spec.label, "effective_acs"),
            }
        )
    return summary


@dataclass(frozen=True)
class RunResult:
    """What :func:`run_spec` ran and wrote."""

    output_dir: Path
    plan: Plan
    rows: list
    """Tidy rows, as in ``results.csv``."""
    summary: list
    """One row per point x model, as in ``summary.csv``."""
    computed: tuple
    """Ids of the jobs this run computed."""
    reused: tuple
    """Ids of the jobs that were already finished."""
    discarded: tuple
    """Partial job and staging directories this run deleted."""
    commits: tuple
    """Git commits the jobs ran at (with ``+dirty`` for uncommitted changes)."""


def _commit(env: Mapping) -> str:
    git = env.get("git", {})
    return str(git.get("commit", "unknown")) + ("+dirty" if git.get("dirty") else "")


def _aggregate(store: ResultsStore, plan: Plan):
    """Tidy rows, summaries and reports from the job directories."""
    from compare.report.markdown import write_overview, write_report

    spec = plan.spec
    records = {job.id: store.read(job.id) for job in plan.jobs}
    sweeps = list(spec.sweeps)
    rows = []
    for job in plan.jobs:
        for row in records[job.id].rows:
            cells = {p: _cell(job.sweep_values.get(p)) for p in sweeps}
            rows.append({"experiment": spec.name, **row, **cells, "job": job.id})
    commits = tuple(sorted({_commit(r.environment) for r in records.values()}))
    env = {**environment(), "job_commits": list(commits)}

    staging = store.root / f"{_AGGREGATE}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.mkdir(staging)
    try:
        write_json(staging / "spec.json", spec.to_dict())
        if spec.source_text is not None:
            atomic_write_text(staging / "spec.toml", spec.source_text)
        write_json(staging / "environment.json", env)
        write_json(
            staging / "energy_tables.json",
            [get_table(t).to_dict() for t in spec.energy_tables],
        )
        summary, point_summaries = [], []
        for point in plan.points:
            ids = set(point.jobs.values())
            point_rows = [r for r in rows if r["job"] in ids]
            point_summary = summarise(point.config, point_rows)
            evaluations = {key: records[i] for key, i in point.jobs.items()}
            out = staging if len(plan.points) == 1 else staging / "points" / point.slug
            (out / "figures").mkdir(parents=True)
            write_json(out / "task.json", point.task.describe())
            write_report(out, point.config, point.task, point_summary, evaluations, env, point_rows)
            if len(plan.points) > 1:
                write_csv(out / "summary.csv", point_summary, list(point_summary[0]))
            cells = {p: _cell(v) for p, v in point.values.items()}
            summary += [_with_cells(s, cells) for s in point_summary]
            point_summaries.append((point, point_summary))
        write_csv(staging / "summary.csv", summary, list(summary[0]))
        if len(plan.points) > 1:
            write_overview(staging, spec, point_summaries, env)
        _install(staging, store.root, multi=len(plan.points) > 1)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    columns = tidy_columns(sweeps)
    write_parquet(store.root / "results.parquet", rows, columns)
    write_csv(store.root / "results.csv", rows, columns)
    return rows, summary, commits


def _with_cells(summary_row: dict, cells: dict) -> dict:
    head = {k: summary_row[k] for k in ("model", "arm", "kind")}
    return {**head, **cells, **summary_row}


def _install(staging: Path, root: Path, *, multi: bool) -> None:
    """Move the aggregated files into ``root``, each in one step; drop the other layout's."""
    stale = ("figures", "task.json") if multi else ("points",)
    for name in stale:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for entry in sorted(staging.iterdir(), key=lambda p: p.name == "report.md"):
        if entry.is_dir():
            replace_directory(entry, root / entry.name)
        else:
            os.replace(entry, root / entry.name)


# --------------------------------------------------------------------------- run


def run_spec(
    spec: Spec,
    output_dir: str | os.PathLike | None = None,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    fresh: bool = False,
) -> RunResult:
    """Run every job of ``spec`` that is not finished yet, then aggregate all of them.

    Parameters
    ----------
    spec
        The experiment (:func:`compare.pipeline.spec.load_spec`).
    output_dir
        The results directory; default ``results/<spec.name>``.
    jobs
        1: in this process; N > 1: on a local Dask cluster of N single-threaded
        worker processes (at most one per pending job).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); ``jobs`` is
        then ignored.
    progress
        Show a progress bar (jobs done / total, the current job); never while the
        ``compare`` logger is set above INFO (``spikearena -q``).
    fresh
        Delete this spec's finished jobs first and compute them again.

    Raises
    ------
    ResultsLocked
        If another run holds ``output_dir``.
    RunInterrupted
        On Ctrl-C; finished jobs are kept and the same call resumes.
    Exception
        What a failing job raised, with a note naming the job; finished jobs are kept.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    store = ResultsStore(output_dir or Path("results") / spec.name)
    plan = plan_spec(spec)
    plan.load_tasks()  # the data first: a missing data set writes nothing
    store.prepare()
    with store.lock():
        discarded = store.clean()
        if fresh:
            for job in plan.jobs:
                store.discard(job.id)
        pending = [job for job in plan.jobs if not store.is_done(job.id)]
        reused = tuple(job.id for job in plan.jobs if store.is_done(job.id))
        logger.info(
            "%s: %d jobs, %d finished, %d to run; results in %s",
            spec.name,
            len(plan.jobs),
            len(reused),
            len(pending),
            store.root,
        )
        _execute(plan, pending, store, jobs=jobs, scheduler=scheduler, progress=progress)
        rows, summary, commits = _aggregate(store, plan)
    return RunResult(
        output_dir=store.root,
        plan=plan,
        rows=rows,
        summary=summary,
        computed=tuple(job.id for job in pending),
        reused=reused,
        discarded=tuple(discarded),
        commits=commits,
    )


def _execute(plan: Plan, pending, store: ResultsStore, *, jobs, scheduler, progress) -> None:
    """Run the pending jobs (here, or on Dask) under a progress bar; Ctrl-C keeps the
    finished ones and raises :class:`RunInterrupted`."""
    total = len(plan.jobs)
    # a compare logger set above INFO (spikearena -q) means no progress bars
    progress = progress and logging.getLogger("compare").level <= logging.INFO
    bar = tqdm(
        total=total,
        initial=total - len(pending),
        desc=plan.spec.name,
        unit="job",
        disable=not progress,
    )
    try:
        with _SigintRecorder() as sigint:
            if pending and scheduler is None and jobs == 1:
                _run_in_process(pending, store, bar, verbose=progress, sigint=sigint)
            elif pending:
                _run_on_dask(pending, store, bar, min(jobs, len(pending)), scheduler)
            sigint.check()  # one that a garbage-collector callback swallowed
    except KeyboardInterrupt:
        done = sum(store.is_done(job.id) for job in plan.jobs)
        raise RunInterrupted(
            f"interrupted after {done} of {total} jobs; the finished ones are kept in "
            f"{store.jobs_dir}: run the same command again to resume"
        ) from None
    finally:
        bar.close()


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` wrote and measured."""

    output_dir: Path
    rows: list[dict]
    summary: list[dict]
    task: Task


def run_experiment(
    config: ExperimentConfig,
    output_dir: Path | None = None,
    *,
    progress: bool = True,
    fresh: bool = False,
) -> ExperimentResult:
    """Run every model x seed of ``config`` and write the results to ``output_dir``.

    A thin wrapper over :func:`run_spec` with the config as a spec
    without sweeps, run in this process: each model x seed is a job, finished jobs
    (from an earlier, interrupted or identical run) are reused unless ``fresh``, and
    the aggregated files (``results.csv``, ``summary.csv``, ``report.md``, ...) are
    rebuilt from the jobs after every complete run. A failing job leaves the previous
    aggregated results as they were.
    """
    result = run_spec(Spec.from_config(config), output_dir, jobs=1, progress=progress, fresh=fresh)
    return ExperimentResult(
        output_dir=result.output_dir,
        rows=result.rows,
        summary=result.summary,
        task=result.plan.points[0].task,
    )


def format_summary(result: RunResult) -> list[dict]:
    """Summary rows with display cells (accuracy in %), for a console table."""
    rows = []
    for s in result.summary:
        half = s["accuracy_ci95_halfwidth"]
        accuracy = f"{100 * s['accuracy_mean']:.1f} %"
        if not math.isnan(half):
            accuracy += f" ± {100 * half:.1f}"
        rows.append({**s, "accuracy": accuracy})
    return rows
