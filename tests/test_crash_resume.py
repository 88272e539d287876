"""Crash and resume (issue 8): kill spec runs at seeded random moments, run them at once.

test_runner.py stops a run at chosen moments (SIGINT once the first job is done, SIGKILL
just before a DONE marker). Here the moments are drawn from a seeded generator: after
K finished job directories have appeared, plus a further delay (K and the delay
drawn), or a delay into the aggregation. A run of :data:`SPEC` (9 torch jobs of about
half a second) in a subprocess is then

- killed with SIGKILL (no clean-up at all), while it computes jobs and while it
  aggregates;
- interrupted with SIGINT (Ctrl-C: exit status 130, the finished jobs kept);
- (slow) run with ``--jobs 2`` and one of its two Dask worker processes killed with
  SIGKILL: Dask may reschedule the job the worker was running (the nanny starts a new
  worker; what happens here: the run finishes with status 0) or the run may fail
  naming the job; either way the rerun finishes, and no worker outlives the run.

While the run goes, every poll checks that ``jobs/`` holds only finished job
directories (``DONE`` present) and staging directories; after the kill, that every
``jobs/<id>`` is complete (its files parse and belong to the job). The same command
then runs again to completion: it must discard every leftover (staging directories,
a killed aggregation's files), keep the jobs finished before the kill untouched (the
same ``DONE`` inode and time, directory time, ``metrics.json`` and ``started_utc``),
compute exactly the others, and write a ``results.csv`` equal to an uninterrupted run's
(the values of times and memory aside, which vary from run to run). A killed
aggregation's leftovers are also planted by hand, to check that a rerun removes them
and nothing else.

Concurrency: two ``spikearena run`` processes started at once on one directory (one
runs, the other is refused at once by the lock), and (slow) two processes fitting a
C++ standalone Diehl & Cook network at once with one fresh ``SPIKEARENA_BUILD_DIR``:
both compile the same networks at the same time, each in its private copy
(:mod:`spiking.backend`), and both get what a process alone gets, bit for bit.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from compare.cli import main as cli_main
from compare.pipeline.runner import DONE, job_id, plan_spec, run_spec
from compare.pipeline.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
TIMING_UNITS = {"s", "s/example", "MB"}  # times and peak memory: the values that vary per run
SEED = 8  # of the kill moments (issue 8)

SPEC = """\
# 9 jobs of about half a second: logistic regression (the same at both points, so once
# per seed) and an MLP at two widths, 3 seeds.
name = "crash_digits"
seeds = [0, 1, 2]
operations_examples = 20
energy_tables = ["horowitz-45nm-fp32"]

[task]
name = "digits"
n_train = 200
n_test = 100

[models.logistic]
kind = "logistic"
params = { epochs = 3 }

[models.mlp]
kind = "mlp"
params = { hidden_sizes = [16], epochs = 3 }

[sweeps]
"models.mlp.params.hidden_sizes" = [[8], [16]]
"""
N_JOBS = 9
JOB_FILES = ("config.json", "metrics.json", "environment.json", "artifacts/energy.json")


# --------------------------------------------------------------------------- moments


@dataclass(frozen=True)
class Moment:
    """When to kill: ``delay_s`` after ``after_done`` finished jobs, or after the
    aggregation has started (``after_done`` None)."""

    after_done: int | None
    delay_s: float

    def __str__(self) -> str:
        where = "aggregating" if self.after_done is None else f"after{self.after_done}done"
        return f"{where}+{self.delay_s:.2f}s"


def _moments(stream: int, count: int, done: tuple[int, int] | None, max_delay_s: float):
    """``count`` moments from the generator ``(SEED, stream)``: K uniform in ``done``
    (inclusive; None: during the aggregation), the delay uniform in [0, max_delay_s)."""
    rng = np.random.default_rng([SEED, stream])
    moments = []
    for _ in range(count):
        after = None if done is None else int(rng.integers(done[0], done[1] + 1))
        moments.append(Moment(after, round(float(rng.uniform(0, max_delay_s)), 2)))
    return moments


# At least one job and the aggregation (4 s and more) remain after a moment in the jobs
# phase; the aggregation writes reports for 2 points, 4-10 s on two busy cores. A third
# SIGKILL moment runs with the slow tests (each kill and rerun costs about 30 s of CPU).
_in_jobs, _slow_in_jobs = _moments(1, 2, (0, N_JOBS - 2), 0.8)
SIGKILL_MOMENTS = [
    _in_jobs,
    *_moments(2, 1, None, 2.0),
    pytest.param(_slow_in_jobs, marks=pytest.mark.slow),
]
_sigint, _slow_sigint = _moments(3, 2, (0, N_JOBS - 2), 0.8)
SIGINT_MOMENTS = [_sigint, pytest.param(_slow_sigint, marks=pytest.mark.slow)]
# The workers must be running jobs: at least one finished. Which worker: drawn too.
WORKER_MOMENTS = _moments(4, 2, (1, N_JOBS - 3), 1.0)
WORKER_CHOICE = np.random.default_rng([SEED, 5]).integers(0, 2, size=len(WORKER_MOMENTS))


# --------------------------------------------------------------------------- helpers


def _env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _measured(rows: list[dict]) -> list[dict]:
    """The rows with the values of timing metrics blanked: what a rerun must reproduce."""
    return [dict(r, value="(time)") if r["unit"] in TIMING_UNITS else r for r in rows]


def _finished(out: Path) -> dict:
    """Finished job -> what changes if it is recomputed: DONE's inode and time, the
    directory's time, metrics.json and the job's started_utc."""
    finished = {}
    for marker in sorted((out / "jobs").glob(f"*/{DONE}")):
        directory = marker.parent
        stat = marker.stat()
        env = json.loads((directory / "environment.json").read_text())
        finished[directory.name] = (
            stat.st_ino,
            stat.st_mtime_ns,
            directory.stat().st_mtime_ns,
            (directory / "metrics.json").read_bytes(),
            env["started_utc"],
        )
    return finished


def _assert_no_unfinished_job_dir(out: Path) -> None:
    """What a reader may see at any moment: in jobs/, finished jobs and staging only."""
    jobs = out / "jobs"
    if not jobs.is_dir():
        return
    for entry in jobs.iterdir():
        if not entry.name.startswith(".staging-"):
            assert (entry / DONE).is_file(), f"{entry} is in jobs/ without {DONE}"


def _assert_complete(directory: Path, planned: set) -> None:
    """A finished job's directory: every file there and parsing, all about this job."""
    name = directory.name
    assert name in planned, f"{directory}: not a job of the spec"
    for file in (*JOB_FILES, DONE):
        json.loads((directory / file).read_text())  # raises if truncated
    assert job_id(json.loads((directory / "config.json").read_text())) == name
    assert json.loads((directory / "environment.json").read_text())["job"] == name
    assert json.loads((directory / DONE).read_text())["job"] == name
    metrics = json.loads((directory / "metrics.json").read_text())
    assert "accuracy" in {r["metric"] for r in metrics}
    with np.load(directory / "artifacts" / "arrays.npz") as arrays:
        assert arrays["confusion"].shape == (10, 10)


def _inspect(out: Path, planned: set) -> tuple[dict, list[str]]:
    """After a kill: (the finished jobs' snapshot, the leftovers a rerun must remove).

    Every ``jobs/<id>`` must be complete; the rest of jobs/ must be staging."""
    finished = _finished(out)
    leftovers = []
    for entry in sorted((out / "jobs").iterdir()):
        if entry.name.startswith(".staging-"):
            leftovers.append(f"jobs/{entry.name}")
        else:
            assert entry.name in finished, f"{entry} is in jobs/ without {DONE}"
            _assert_complete(entry, planned)
    leftovers += [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".lock"]
    return finished, sorted(leftovers)


def _assert_resumed(out: Path, planned: set, finished: dict, reference: list) -> None:
    """After the rerun: all jobs there and complete, nothing else, the earlier ones
    untouched, the results those of an uninterrupted run."""
    assert sorted(p.name for p in (out / "jobs").iterdir()) == sorted(planned)
    for directory in (out / "jobs").iterdir():
        _assert_complete(directory, planned)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lock"]
    now = _finished(out)
    assert {i: now[i] for i in finished} == finished, "a job finished before the kill changed"
    rows = _rows(out / "results.csv")
    assert _measured(rows) == reference
    for job, snapshot in finished.items():  # their rows are the ones measured before
        stored = [repr(r["value"]) for r in json.loads(snapshot[3])]
        assert [r["value"] for r in rows if r["job"] == job] == stored


def _start(spec_file: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``spikearena run SPEC --out OUT`` in a subprocess; stdout and stderr go to files
    beside OUT (a pipe nobody reads while we poll could fill and block the run)."""
    command = [sys.executable, "-m", "compare", "run", str(spec_file), "--out", str(out)]
    out.parent.mkdir(parents=True, exist_ok=True)
    n = len(list(out.parent.glob(f"{out.name}.*.stdout")))
    logs = [open(out.parent / f"{out.name}.{n}.{s}", "w") for s in ("stdout", "stderr")]
    try:
        run = subprocess.Popen(
            [*command, "--no-progress", *extra],
            cwd=ROOT,
            env=_env(),
            stdout=logs[0],
            stderr=logs[1],
            text=True,
            # SIGINT at its default even where this test runs with it ignored (a background
            # job of a non-interactive shell), so that the run sees the Ctrl-C sent to it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    finally:
        for log in logs:
            log.close()
    run.logs = [Path(log.name) for log in logs]
    return run


def _output(run: subprocess.Popen, timeout: float = 600) -> tuple[str, str]:
    """Wait for the run; its stdout and stderr."""
    run.wait(timeout=timeout)
    return tuple(path.read_text() for path in run.logs)


@pytest.fixture
def started():
    """Popen objects to end (and their children) if a test fails while they run."""
    runs: list[subprocess.Popen] = []
    yield runs
    for run in runs:
        if run.poll() is None:
            for pid in _children(run.pid):
                _kill(pid)
            run.kill()
            run.wait()


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` (Linux: /proc/PID/task/*/children)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return sorted(found)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _holds_lock(out: Path, pid: int) -> bool:
    try:
        return (out / ".lock").read_text().startswith(f"pid {pid} ")
    except OSError:
        return False


def _wait_for(moment: Moment, run: subprocess.Popen, out: Path, timeout: float = 600) -> None:
    """Return at ``moment`` of ``run``, checking jobs/ at every poll; fail if it ends first."""
    deadline = time.monotonic() + timeout

    def reached():
        if not _holds_lock(out, run.pid):  # the run is in run_spec, Ctrl-C handled
            return False
        if moment.after_done is None:
            return any(out.glob(".aggregate-*"))
        return len(list(out.glob(f"jobs/*/{DONE}"))) >= moment.after_done

    def poll():
        _assert_no_unfinished_job_dir(out)
        if run.poll() is not None:
            raise AssertionError(
                f"the run ended before the kill at {moment} (status {run.returncode}): "
                f"{[p.read_text()[-2000:] for p in run.logs]}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {moment}")
        time.sleep(0.01)

    while not reached():
        poll()
    until = time.monotonic() + moment.delay_s
    while time.monotonic() < until:
        poll()


def _resume_command(spec_file: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(spec_file), "--out", str(out), "--no-progress", *extra]


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "crash_digits.toml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def planned(spec_file) -> set:
    return {job.id for job in plan_spec(load_spec(spec_file)).jobs}


@pytest.fixture(scope="module")
def reference_dir(spec_file, planned, tmp_path_factory) -> Path:
    """The spec run once, uninterrupted, in this process (read-only for tests)."""
    out = tmp_path_factory.mktemp("reference") / "crash"
    result = run_spec(load_spec(spec_file), out, progress=False)
    assert set(result.computed) == planned and len(planned) == N_JOBS
    return out


@pytest.fixture(scope="module")
def reference(reference_dir) -> list[dict]:
    """results.csv of the uninterrupted run, timings blanked."""
    return _measured(_rows(reference_dir / "results.csv"))


# --------------------------------------------------------------------------- kills


def test_a_rerun_removes_what_a_killed_aggregation_left(
    spec_file, planned, reference_dir, reference, tmp_path
):
    """What SIGKILL during the aggregation can leave beside the results (its staging
    directory, a directory replace_directory set aside, an atomic write's temporary
    file) is removed by the next run; nothing else is touched."""
    out = tmp_path / "crash"
    shutil.copytree(reference_dir, out)
    leftovers = [".aggregate-4242-0badcafe", ".points.old-4242", ".results.csv.x1y2z3ab.tmp"]
    for name in leftovers[:2]:
        (out / name / "p00").mkdir(parents=True)
        (out / name / "p00" / "report.md").write_text("half")
    (out / leftovers[2]).write_text("experiment,ta")
    (out / "notes.txt").write_text("mine")
    (out / ".notes").write_text("mine too")
    finished = _finished(out)

    result = run_spec(load_spec(spec_file), out, progress=False)
    assert result.computed == () and sorted(result.discarded) == sorted(leftovers)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock", ".notes"]
    assert (out / "notes.txt").read_text() == "mine" and (out / ".notes").read_text() == "mine too"
    assert _finished(out) == finished
    assert _measured(_rows(out / "results.csv")) == reference


@pytest.mark.slow  # 30-40 s a moment; test_runner.py's SIGKILL test runs by default
@pytest.mark.parametrize("moment", SIGKILL_MOMENTS, ids=str)
def test_sigkill_of_the_run_at_a_random_moment_then_resume(
    moment, spec_file, planned, reference, tmp_path, started, capsys
):
    out = tmp_path / "crash"
    run = _start(spec_file, out)
    started.append(run)
    _wait_for(moment, run, out)
    run.send_signal(signal.SIGKILL)
    _output(run)
    assert run.returncode == -signal.SIGKILL

    finished, leftovers = _inspect(out, planned)
    # at least as many as the moment waited for; all of them if it came in the aggregation
    assert len(finished) >= (N_JOBS if moment.after_done is None else moment.after_done)
    observed = f"SIGKILL {moment}: {len(finished)} jobs finished, leftovers {leftovers}"

    assert cli_main(_resume_command(spec_file, out)) == 0
    printed = capsys.readouterr().out
    computed = N_JOBS - len(finished)
    assert f"{N_JOBS} jobs: {computed} computed, {len(finished)} already finished" in printed
    _assert_resumed(out, planned, finished, reference)
    print(observed)  # shown with -rP


@pytest.mark.slow  # about 40 s a moment; test_runner.py's SIGINT test runs by default
@pytest.mark.parametrize("moment", SIGINT_MOMENTS, ids=str)
def test_sigint_at_a_random_moment_keeps_finished_jobs_then_resume(
    moment, spec_file, planned, reference, tmp_path, started, capsys
):
    out = tmp_path / "crash"
    run = _start(spec_file, out)
    started.append(run)
    _wait_for(moment, run, out)
    run.send_signal(signal.SIGINT)
    _, stderr = _output(run, timeout=300)
    assert run.returncode == 130, stderr

    finished, leftovers = _inspect(out, planned)
    assert leftovers == []  # Ctrl-C removes its staging directories itself
    interrupted = re.search(rf"interrupted after (\d+) of {N_JOBS} jobs", stderr)
    if interrupted:  # during the jobs, as drawn
        assert int(interrupted[1]) == len(finished) < N_JOBS
        assert "run the same command again to resume" in stderr
        assert not (out / "results.csv").exists()  # aggregated only after all jobs
    else:  # the delay reached into the aggregation: nothing is lost either
        assert "spikearena: interrupted" in stderr and len(finished) == N_JOBS, stderr
    observed = f"SIGINT {moment}: {len(finished)} jobs finished; {stderr.strip()[-200:]}"

    assert cli_main(_resume_command(spec_file, out)) == 0
    printed = capsys.readouterr().out
    computed = N_JOBS - len(finished)
    assert f"{N_JOBS} jobs: {computed} computed, {len(finished)} already finished" in printed
    _assert_resumed(out, planned, finished, reference)
    print(observed)  # shown with -rP


def _workers(pid: int) -> list[int]:
    """The Dask worker processes of a run: its children started by multiprocessing's
    spawn (the other child, the resource tracker, is not a worker)."""
    workers = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.append(child)
    return workers


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie nobody reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow  # each run starts a LocalCluster of two processes: 40-60 s on 2 busy cores
@pytest.mark.parametrize(
    "moment, choice", list(zip(WORKER_MOMENTS, WORKER_CHOICE)), ids=lambda v: str(v)
)
def test_sigkill_of_a_dask_worker_then_resume(
    moment, choice, spec_file, planned, reference, tmp_path, started, capsys
):
    out = tmp_path / "crash"
    run = _start(spec_file, out, "--jobs", "2")
    started.append(run)
    _wait_for(moment, run, out)
    workers = _workers(run.pid)
    assert len(workers) == 2, f"expected the 2 Dask worker processes, found {workers}"
    victim = workers[int(choice)]
    _kill(victim)
    killed_at = _finished(out)  # finished when the worker died: must stay as they are

    # While the run goes on: the nanny may start a new worker in place of the dead one.
    seen = set(workers)
    while run.poll() is None:
        _assert_no_unfinished_job_dir(out)
        seen |= set(_workers(run.pid))
        time.sleep(0.05)
    stdout, stderr = _output(run)
    # No worker outlives the run (none orphaned by the death of its sibling).
    deadline = time.monotonic() + 30
    while any(_running(p) for p in seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in seen if _running(p)], "Dask workers outlived the run"

    finished, leftovers = _inspect(out, planned)
    assert {i: finished[i] for i in killed_at} == killed_at
    envs = [json.loads(p.read_text()) for p in out.glob("jobs/*/environment.json")]
    pids = [e["pid"] for e in envs]
    ran = {
        "by the killed worker": pids.count(victim),
        "by the other": sum(p in workers and p != victim for p in pids),
        "by a new worker": sum(p not in workers for p in pids),
    }
    if run.returncode == 0:  # Dask ran the lost job again, on a worker still alive or a new one
        assert f"{N_JOBS} jobs: {N_JOBS} computed, 0 already finished" in stdout
        assert len(finished) == N_JOBS and leftovers == []
        outcome = "rescheduled: the run finished"
    else:  # or the run fails, naming the job, and keeps what it finished
        assert run.returncode == 1, stderr
        error = stderr.strip().splitlines()[-1]
        assert error.startswith("spikearena: error: "), stderr
        named = re.search(r"in job ([0-9a-f]{16}) ", error)
        assert named and named[1] in planned and named[1] not in finished, error
        outcome = f"failed: {error}"
    observed = (
        f"worker kill {moment}: killed {victim} of {workers} with {len(killed_at)} jobs "
        f"finished; {outcome}; workers seen {sorted(seen)}; jobs run {ran}; "
        f"stderr {stderr.strip()[-300:]!r}"
    )

    assert cli_main(_resume_command(spec_file, out, "--jobs", "2")) == 0
    printed = capsys.readouterr().out
    computed = N_JOBS - len(finished)
    assert f"{N_JOBS} jobs: {computed} computed, {len(finished)} already finished" in printed
    _assert_resumed(out, planned, finished, reference)
    print(observed)  # shown with -rP


# --------------------------------------------------------------------------- concurrency


@pytest.mark.slow  # about 50 s
def test_two_runs_started_at_once_one_runs_the_other_is_refused(
    spec_file, planned, reference, tmp_path, started
):
    out = tmp_path / "crash"
    runs = [_start(spec_file, out), _start(spec_file, out)]
    started.extend(runs)
    while all(run.poll() is None for run in runs):
        _assert_no_unfinished_job_dir(out)
        time.sleep(0.01)
    # the refused one ends first, at once: while the other still runs
    (loser,) = [run for run in runs if run.poll() is not None]
    (winner,) = [run for run in runs if run is not loser]
    assert winner.poll() is None, "both runs ended together: the lock did not refuse one"
    stdout, stderr = _output(loser)
    assert loser.returncode == 1 and stdout == "", stderr
    assert stderr == (
        f"spikearena: error: {out} is in use by another run (pid {winner.pid} on "
        f"{socket.gethostname()}); wait for it to finish, or write elsewhere with --out "
        "(set SPIKEARENA_DEBUG=1 for the traceback)\n"
    )

    stdout, stderr = _output(winner)
    assert winner.returncode == 0, stderr
    assert f"{N_JOBS} jobs: {N_JOBS} computed, 0 already finished" in stdout
    envs = [json.loads(p.read_text()) for p in out.glob("jobs/*/environment.json")]
    assert [e["pid"] for e in envs] == [winner.pid] * N_JOBS  # every job, once, by the winner
    _assert_resumed(out, planned, {}, reference)  # complete, no leftovers, same results


DIEHL_COOK_RUN = """
import json, os, sys, time
import numpy as np
from sklearn.datasets import load_digits

from spiking import backend
from spiking.networks.diehl_cook import DiehlCook2015, vote

out = sys.argv[1]
if not backend.compiler_available():
    sys.exit(3)  # would fall back to runtime mode: nothing standalone to test
root = backend.cache_root()
templates_at_start = sorted(p.parent.name for p in root.glob("*/template"))
X, y = load_digits(return_X_y=True)
keep = np.isin(y, (0, 1, 7))
X, y = (X[keep] / 16).astype(np.float32), y[keep]
order = np.random.default_rng(0).permutation(len(X))
X, y = X[order], y[order]
started = time.time()
model = DiehlCook2015(n_excitatory=10, backend="standalone", random_state=3).fit(X[:12], y[:12])
counts = model.spike_counts(X[12:18])
finished = time.time()
predictions = model.classes_[vote(counts, model.assignments_, len(model.classes_))]
np.savez(
    out + ".npz",
    weights=model.weights_,
    theta=model.theta_,
    assignments=model.assignments_,
    counts=counts,
    predictions=predictions,
)

def rebuilt(directory):  # files of the build written here (copies keep their times)
    return sorted(
        str(p.relative_to(directory))
        for p in directory.rglob("*")
        if p.is_file()
        and p.stat().st_mtime >= started
        and p.relative_to(directory).parts[0] not in ("results", "static_arrays")
    )


builds = {
    key: {"directory": str(build.directory), "rebuilt": rebuilt(build.directory)}
    for key, build in backend._BUILDS.items()
}
info = {
    "pid": os.getpid(),
    "host": backend._HOST,
    "root": str(root),
    "templates_at_start": templates_at_start,
    "builds": builds,
    "fit": [started, finished],
}
with open(out + ".json", "w") as f:
    json.dump(info, f)
"""


def _diehl_cook(out: Path, build_dir: Path) -> subprocess.Popen:
    env = {**_env(), "SPIKEARENA_BUILD_DIR": str(build_dir)}
    env.pop("PYTHONHASHSEED", None)  # each process draws its own
    with open(f"{out}.stderr", "w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-c", DIEHL_COOK_RUN, str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.mark.slow  # both compile two networks at once, cold: minutes on two busy cores
def test_two_processes_compiling_one_network_at_once_match_a_process_alone(tmp_path, started):
    build_dir = tmp_path / "builds"  # fresh: nothing compiled yet
    pair = [_diehl_cook(tmp_path / name, build_dir) for name in ("first", "second")]
    started.extend(pair)
    for run, name in zip(pair, ("first", "second")):
        run.wait(timeout=3600)
        if run.returncode == 3:
            pytest.skip("no C++ compiler: DiehlCook2015 would fall back to runtime mode")
        assert run.returncode == 0, (tmp_path / f"{name}.stderr").read_text()[-3000:]
    keys = sorted(p.name for p in build_dir.iterdir())
    binaries = {p: p.stat().st_mtime_ns for p in build_dir.glob("*/template/main")}
    alone = _diehl_cook(tmp_path / "alone", build_dir)  # afterwards: reuses the templates
    started.append(alone)
    alone.wait(timeout=3600)
    assert alone.returncode == 0, (tmp_path / "alone.stderr").read_text()[-3000:]

    names = ("first", "second", "alone")
    info = {n: json.loads((tmp_path / f"{n}.json").read_text()) for n in names}
    results = {}
    for n in names:
        with np.load(tmp_path / f"{n}.npz") as data:
            results[n] = {k: data[k] for k in data.files}
    # the same results, bit for bit (tobytes: stricter than ==, which takes -0.0 for 0.0)
    for n in ("first", "second"):
        for name, value in results["alone"].items():
            other = results[n][name]
            assert (other.dtype, other.shape, other.tobytes()) == (
                value.dtype,
                value.shape,
                value.tobytes(),
            ), f"{name}: {n} differs from the process alone"
    assert results["alone"]["counts"].sum() > 0  # the network did fire

    # The pair ran at once, found nothing compiled, and each linked its own binaries.
    first, second = info["first"], info["second"]
    assert first["fit"][0] < second["fit"][1] and second["fit"][0] < first["fit"][1]
    assert first["templates_at_start"] == second["templates_at_start"] == []
    assert len(keys) == 2  # training and test mode of the network
    assert sorted(first["builds"]) == sorted(second["builds"]) == keys
    assert sorted(info["alone"]["builds"]) == keys, (
        "the process alone built other networks: the sources it hashes into build keys "
        "changed while this test ran; run it again"
    )
    rebuilt = {n: {k: b["rebuilt"] for k, b in info[n]["builds"].items()} for n in names}
    for n in ("first", "second"):  # compiled the network's code, all of it
        assert all("network.o" in rebuilt[n][k] and "main" in rebuilt[n][k] for k in keys)
    # Every process worked in a private copy <key>/proc-<host>-<pid>-<n> ...
    directories = []
    for n in names:
        for key, build in info[n]["builds"].items():
            directory = Path(build["directory"])
            assert directory.parent == build_dir / key
            assert re.fullmatch(
                rf"proc-{re.escape(info[n]['host'])}-{info[n]['pid']}-\d+", directory.name
            ), directory
            directories.append(directory)
    assert len(set(directories)) == len(directories) == 3 * len(keys)
    # ... removed when it exited; one template per key was published, atomically: no
    # staging of the process that lost the race is left, and nothing else.
    for key in keys:
        assert sorted(p.name for p in (build_dir / key).iterdir()) == ["template"], key
        assert (build_dir / key / "template" / "main").is_file()
    # The process alone copied the templates and ran them: no code object compiled. At
    # most main.cpp is rewritten, recompiled and linked (seconds): Brian2 orders the
    # clock resets in it by hash, and each process draws its own PYTHONHASHSEED.
    for key in keys:
        assert set(rebuilt["alone"][key]) <= {"main.cpp", "main.o", "make.deps", "main"}, rebuilt[
            "alone"
        ]
    assert {p: p.stat().st_mtime_ns for p in build_dir.glob("*/template/main")} == binaries
