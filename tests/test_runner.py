"""compare/pipeline/runner.py: job ids, the results store, resuming, locking, Dask, the spec CLI."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compare.cli import main as cli_main
from compare.pipeline.runner import (
    DONE,
    ResultsLocked,
    ResultsStore,
    job_id,
    plan_spec,
    run_spec,
)
from compare.pipeline.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "experiments" / "specs" / "tiny_digits.toml"
SPECS = ROOT / "experiments" / "specs"
TIMING_UNITS = {"s", "s/example", "MB"}  # times and peak memory: the values that vary per run


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


def _done(out: Path) -> dict:
    """Finished job -> (inode and mtime of DONE, metrics.json bytes): changes if recomputed."""
    finished = {}
    for marker in sorted((out / "jobs").glob(f"*/{DONE}")):
        stat = marker.stat()
        metrics = (marker.parent / "metrics.json").read_bytes()
        finished[marker.parent.name] = (stat.st_ino, stat.st_mtime_ns, metrics)
    return finished


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny spec run once, in this process, uninterrupted (read-only for tests)."""
    out = tmp_path_factory.mktemp("reference") / "tiny"
    result = run_spec(load_spec(TINY), out, progress=False)
    return out, result


# --------------------------------------------------------------------------- job ids


def test_job_ids_are_pinned():
    """Changing how ids are computed orphans every finished job: do it only on purpose
    (and raise JOB_SCHEMA when what a job computes changes)."""
    config = {
        "schema": 1,
        "model": {"label": "mlp", "kind": "mlp", "params": {"hidden_sizes": [8]}},
        "seed": 0,
        "task": {
            "name": "digits",
            "params": {},
            "n_train": 100,
            "n_test": None,
            "subset_seed": 0,
            "sha256": "0" * 64,
        },
        "evaluation": {"operations_examples": 200, "energy_tables": ["loihi-2018@1"]},
    }
    assert job_id(config) == "b33de8429cae38ac"


def test_any_change_of_a_jobs_config_changes_its_id():
    spec = load_spec(TINY)
    (job, *_) = plan_spec(spec).jobs
    base = json.loads(json.dumps(job.config))

    def changed(edit):
        config = json.loads(json.dumps(base))
        edit(config)
        return job_id(config)

    edits = {
        "label": lambda c: c["model"].update(label="other"),
        "kind": lambda c: c["model"].update(kind="mlp"),
        "a hyperparameter": lambda c: c["model"]["params"].update(epochs=11),
        "a new hyperparameter": lambda c: c["model"]["params"].update(learning_rate=0.01),
        "an int that becomes a float": lambda c: c["model"]["params"].update(epochs=10.0),
        "seed": lambda c: c.update(seed=1),
        "task": lambda c: c["task"].update(name="mnist"),
        "loader argument": lambda c: c["task"]["params"].update(random_state=1),
        "n_train": lambda c: c["task"].update(n_train=201),
        "n_test": lambda c: c["task"].update(n_test=None),
        "subset seed": lambda c: c["task"].update(subset_seed=1),
        "data": lambda c: c["task"].update(sha256="1" * 64),
        "operations examples": lambda c: c["evaluation"].update(operations_examples=None),
        "cost tables": lambda c: c["evaluation"]["energy_tables"].pop(),
        "schema": lambda c: c.update(schema=2),
    }
    ids = {name: changed(edit) for name, edit in edits.items()}
    assert job.id not in ids.values(), ids
    assert len(set(ids.values())) == len(ids)
    # where the data lives is not what it is: same id
    assert changed(lambda c: c["task"]["params"].update(data_dir="/elsewhere")) == job.id


def test_job_ids_are_the_same_in_another_process():
    code = (
        "from compare.pipeline.spec import load_spec\n"
        "from compare.pipeline.runner import plan_spec\n"
        f"print(' '.join(j.id for j in plan_spec(load_spec({str(TINY)!r})).jobs))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=600,
        check=True,
    )
    assert out.stdout.split() == [j.id for j in plan_spec(load_spec(TINY)).jobs]


def test_a_model_no_sweep_touches_runs_once_per_seed(reference):
    out, result = reference
    # 2 seeds x (logistic, the same at both points + mlp at two widths)
    assert len(result.plan.jobs) == 6 and len(result.computed) == 6
    assert result.plan.points[0].jobs["logistic", 0] == result.plan.points[1].jobs["logistic", 0]
    assert result.plan.points[0].jobs["mlp", 0] != result.plan.points[1].jobs["mlp", 0]


# --------------------------------------------------------------------------- the store


def test_results_csv_is_tidy_with_sweep_columns(reference):
    out, result = reference
    rows = _rows(out / "results.csv")
    sweep = "models.mlp.params.hidden_sizes"
    assert list(rows[0]) == [
        "experiment",
        "task",
        "n_train",
        "n_test",
        "subset_seed",
        "model",
        "arm",
        "kind",
        "seed",
        sweep,
        "metric",
        "corruption",
        "severity",
        "cost_table",
        "after_group",
        "task_group",
        "value",
        "unit",
        "job",
    ]
    keys = [(r["job"], r["metric"], r["cost_table"]) for r in rows]
    assert len(keys) == len(set(keys))  # one row per job x metric (x cost table)
    assert {(r["task"], r["n_train"], r["n_test"], r["subset_seed"]) for r in rows} == {
        ("digits", "200", "100", "0")
    }
    assert {r["cost_table"] for r in rows if r["metric"].startswith("energy_")} == {
        "horowitz-45nm-fp32@1",
        "horowitz-45nm-int8@1",
    }
    assert {r["job"] for r in rows} == {j.id for j in result.plan.jobs}
    assert {r[sweep] for r in rows if r["model"] == "mlp"} == {"[8]", "[32]"}
    assert {r[sweep] for r in rows if r["model"] == "logistic"} == {""}  # does not apply
    accuracy = {
        (r["model"], r[sweep], r["seed"]): float(r["value"])
        for r in rows
        if r["metric"] == "accuracy"
    }
    assert len(accuracy) == 6 and all(0 <= a <= 1 for a in accuracy.values())
    assert all(r["unit"] for r in rows) and {r["experiment"] for r in rows} == {"tiny_digits"}
    # each job's directory holds what its rows came from
    for job in result.plan.jobs:
        directory = out / "jobs" / job.id
        assert json.loads((directory / "config.json").read_text()) == job.config
        env = json.loads((directory / "environment.json").read_text())
        assert env["seed"] == job.seed and env["git"]["commit"] and env["brian2_device"]
        assert env["versions"]["torch"] and env["job"] == job.id
        stored = json.loads((directory / "metrics.json").read_text())
        mine = [r for r in rows if r["job"] == job.id]
        assert [(s["metric"], repr(s["value"])) for s in stored] == [
            (r["metric"], r["value"]) for r in mine
        ]
        assert (directory / "artifacts" / "arrays.npz").is_file()
    # the summary: one row per point x model; each point has its own report
    summary = _rows(out / "summary.csv")
    assert [(s["model"], s[sweep]) for s in summary] == [
        ("logistic", "[8]"),
        ("mlp", "[8]"),
        ("logistic", "[32]"),
        ("mlp", "[32]"),
    ]
    for point in ("p00", "p01"):
        report = (out / "points" / point / "report.md").read_text()
        assert (
            "## Paired statistics" in report and "| logistic | mlp | accuracy (1) | 2 |" in report
        )
        assert (out / "points" / point / "figures" / "accuracy.png").is_file()
    overview = (out / "report.md").read_text()
    assert "[p01](points/p01/report.md) | [32] | mlp |" in overview
    spec = json.loads((out / "spec.json").read_text())
    assert spec["sweeps"] == {sweep: [[8], [32]]} and spec["seeds"] == [0, 1]
    assert (out / "spec.toml").read_text() == TINY.read_text()


def test_results_load_with_pandas_in_one_call(reference):
    pandas = pytest.importorskip("pandas")
    out, _ = reference
    frame = pandas.read_csv(out / "results.csv")
    assert {"experiment", "model", "arm", "task", "seed", "metric", "value", "unit"} <= set(frame)
    assert frame["value"].dtype.kind == "f" and len(frame) == len(_rows(out / "results.csv"))


def test_results_parquet_matches_the_csv(reference):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out, _ = reference
    table = pq.read_table(out / "results.parquet").to_pylist()
    rows = _rows(out / "results.csv")
    # compared as repr, so that NaN (activation sparsity of logistic regression) is NaN
    assert [(r["job"], r["metric"], repr(float(r["value"]))) for r in rows] == [
        (t["job"], t["metric"], repr(t["value"])) for t in table
    ]
    assert table[0]["seed"] == 0 and table[0]["models.mlp.params.hidden_sizes"] is None


def test_a_rerun_reuses_every_job_and_rewrites_the_same_results(reference, tmp_path):
    out = tmp_path / "tiny"
    shutil.copytree(reference[0], out)
    before, csv_before = _done(out), (out / "results.csv").read_bytes()
    result = run_spec(load_spec(TINY), out, progress=False)
    assert result.computed == () and len(result.reused) == 6
    assert _done(out) == before
    assert (out / "results.csv").read_bytes() == csv_before

    # --fresh computes them again
    fresh = run_spec(load_spec(TINY), out, progress=False, fresh=True)
    assert len(fresh.computed) == 6
    assert all(_done(out)[i][:2] != before[i][:2] for i in before)
    assert _measured(_rows(out / "results.csv")) == _measured(_rows(reference[0] / "results.csv"))


def test_partial_and_staging_directories_are_discarded_and_recomputed(reference, tmp_path):
    out = tmp_path / "tiny"
    shutil.copytree(reference[0], out)
    jobs = list(_done(out))
    partial, untouched = out / "jobs" / jobs[0], jobs[1:]
    (partial / DONE).unlink()  # as if the process died before the marker
    (partial / "metrics.json").write_text("[half")
    staging = out / "jobs" / f".staging-{jobs[1]}-123-abcd"
    staging.mkdir()
    (staging / "config.json").write_text("{}")
    before = _done(out)

    result = run_spec(load_spec(TINY), out, progress=False)
    assert result.computed == (jobs[0],)
    assert sorted(result.discarded) == sorted([jobs[0], staging.name])
    assert not staging.exists() and (partial / DONE).is_file()
    assert json.loads((partial / "metrics.json").read_text())[0]["metric"] == "accuracy"
    assert {i: _done(out)[i] for i in untouched} == {i: before[i] for i in untouched}


def test_a_job_dir_is_complete_or_absent_when_writing_fails(tmp_path, monkeypatch):
    import compare.pipeline.runner as runner

    spec = load_spec(TINY, ["seeds=[0]", "sweeps={}", "models.mlp.params.hidden_sizes=[8]"])
    real = runner.write_json

    def failing(path, obj):
        if Path(path).name == DONE:
            raise KeyboardInterrupt  # Ctrl-C at the worst moment: everything but DONE written
        real(path, obj)

    monkeypatch.setattr(runner, "write_json", failing)
    with pytest.raises(runner.RunInterrupted, match="interrupted after 0 of 2 jobs"):
        run_spec(spec, tmp_path / "out", progress=False)
    assert list((tmp_path / "out" / "jobs").iterdir()) == []  # nothing half-written is left


def test_a_second_run_on_the_same_directory_fails_clearly(tmp_path, capsys):
    out = tmp_path / "tiny"
    spec = load_spec(TINY)
    with ResultsStore(out).lock():
        with pytest.raises(
            ResultsLocked, match=rf"{out} is in use by another run \(pid {os.getpid()}"
        ):
            run_spec(spec, out, progress=False)
        assert cli_main(["run", str(TINY), "--out", str(out), "--no-progress"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is in use by another run" in err and "--out" in err
    assert not (out / "jobs").exists() or not list((out / "jobs").iterdir())


# --------------------------------------------------------------------------- interruptions


def _start(out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "compare", "run", str(TINY), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--no-progress", *extra],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT at its default even where this test runs with it ignored (a background
        # job of a non-interactive shell), so that the run sees the Ctrl-C sent to it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(predicate, process, timeout=600):
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_sigint_stops_cleanly_and_a_rerun_resumes_without_recomputing(reference, tmp_path, capsys):
    out = tmp_path / "tiny"
    run = _start(out)
    _wait_for(lambda: len(list(out.glob(f"jobs/*/{DONE}"))) >= 1, run)

    # while it runs, a second run on the same directory is refused (the lock)
    assert cli_main(["run", str(TINY), "--out", str(out), "--no-progress"]) == 1
    assert f"in use by another run (pid {run.pid}" in capsys.readouterr().err

    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 130, stderr
    assert "interrupted after" in stderr and "run the same command again to resume" in stderr
    finished = _done(out)
    assert 1 <= len(finished) < 6, "the run finished before Ctrl-C: make the tiny jobs slower"
    # every directory in jobs/ is a finished job: nothing partial, no staging left
    assert sorted(p.name for p in (out / "jobs").iterdir()) == sorted(finished)
    assert not (out / "results.csv").exists()  # aggregated only after all jobs

    assert cli_main(["run", str(TINY), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"6 jobs: {6 - len(finished)} computed, {len(finished)} already finished" in printed
    assert {i: _done(out)[i] for i in finished} == finished  # not one recomputed
    rows = _rows(out / "results.csv")
    assert _measured(rows) == _measured(_rows(reference[0] / "results.csv"))
    # the finished jobs' rows are the ones measured before Ctrl-C, times included
    for job, (_, _, metrics) in finished.items():
        stored = [repr(r["value"]) for r in json.loads(metrics)]
        assert [r["value"] for r in rows if r["job"] == job] == stored


class _SwallowsSigint:
    """Sends this process SIGINT from ``__del__``: the KeyboardInterrupt is raised there and
    Python ignores it ("Exception ignored in ..."), as in a garbage-collector callback."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs between bytecodes, still in here
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the lost one
def test_a_sigint_lost_in_a_garbage_collector_callback_still_stops_the_run(
    reference, tmp_path, monkeypatch
):
    # what CI saw once: Ctrl-C landed in one of matplotlib's weakref callbacks, the
    # interrupt was ignored there, and the run finished with status 0
    import compare.pipeline.runner as runner

    execute = runner.execute_job
    calls = []

    def execute_and_lose_a_sigint(config, **kwargs):
        calls.append(config)
        if len(calls) == 2:
            _SwallowsSigint()  # dropped at once: __del__ runs here
        return execute(config, **kwargs)

    monkeypatch.setattr(runner, "execute_job", execute_and_lose_a_sigint)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        out = tmp_path / "tiny"
        with pytest.raises(runner.RunInterrupted, match="interrupted after 2 of 6 jobs"):
            run_spec(load_spec(TINY), out, progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(calls) == 2  # the job running when it came finished; no further one started
    assert len(_done(out)) == 2 and not (out / "results.csv").exists()


def test_sigkill_while_writing_a_job_leaves_no_directory_taken_as_finished(reference, tmp_path):
    """The process is killed (SIGKILL: no clean-up at all) just before the second job's
    DONE marker: its directory is complete except for the marker, still in staging."""
    out = tmp_path / "tiny"
    killer = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "import compare.pipeline.runner as runner\n"
        "real, markers = runner.write_json, []\n"
        "def write_json(path, obj):\n"
        "    if Path(path).name == runner.DONE:\n"
        "        markers.append(path)\n"
        "        if len(markers) == 2:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(path, obj)\n"
        "runner.write_json = write_json\n"
        "from compare.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    command = [sys.executable, "-c", killer, "run", str(TINY), "--out", str(out), "--no-progress"]
    run = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, timeout=600)
    assert run.returncode == -signal.SIGKILL, run.stderr
    finished = _done(out)
    entries = sorted(p.name for p in (out / "jobs").iterdir())
    assert len(finished) == 1 and len(entries) == 2
    staging = out / "jobs" / next(e for e in entries if e not in finished)
    assert staging.name.startswith(".staging-") and (staging / "metrics.json").is_file()
    assert not (staging / DONE).exists()

    result = run_spec(load_spec(TINY), out, progress=False)
    assert result.discarded == (staging.name,) and len(result.computed) == 5
    assert {i: _done(out)[i] for i in finished} == finished
    assert _measured(_rows(out / "results.csv")) == _measured(_rows(reference[0] / "results.csv"))


# --------------------------------------------------------------------------- Dask


def test_an_existing_dask_cluster_gives_the_same_results(reference, tmp_path):
    """--scheduler ADDR: here a cluster whose two workers are threads of this process
    (quick to start); the next test runs worker processes."""
    import logging

    from distributed import LocalCluster

    out = tmp_path / "tiny"
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        result = run_spec(load_spec(TINY), out, scheduler=cluster.scheduler_address, progress=False)
        workers = set(cluster.scheduler_info["workers"])
    assert len(result.computed) == 6
    assert _measured(_rows(out / "results.csv")) == _measured(_rows(reference[0] / "results.csv"))
    envs = [json.loads(p.read_text()) for p in out.glob("jobs/*/environment.json")]
    assert {e["dask_worker"] for e in envs} <= workers and len(envs) == 6


@pytest.mark.slow
def test_a_local_dask_cluster_of_two_processes_gives_the_same_results(reference, tmp_path, capsys):
    out = tmp_path / "tiny"
    command = ["run", str(TINY), "--jobs", "2", "--out", str(out), "--no-progress"]
    assert cli_main(command) == 0
    assert "6 jobs: 6 computed, 0 already finished" in capsys.readouterr().out
    assert _measured(_rows(out / "results.csv")) == _measured(_rows(reference[0] / "results.csv"))
    envs = [json.loads(p.read_text()) for p in out.glob("jobs/*/environment.json")]
    assert all(e["dask_worker"] for e in envs)  # ran on the workers ...
    assert os.getpid() not in {e["pid"] for e in envs}  # ... not in this process
    assert len({e["dask_worker"] for e in envs}) <= 2


# --------------------------------------------------------------------------- the CLI


def test_spec_run_help_and_usage_errors(capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        cli_main(["run", str(TINY), "--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--set KEY=VALUE", "--jobs N", "--scheduler ADDR", "--out DIR", "--fresh"):
        assert option in help_text

    for args, expected in [
        ([str(TINY), "--jobs", "0"], "argument --jobs: expected at least 1, got 0"),
        ([str(TINY), "--jobs", "2", "--scheduler", "tcp://x:1"], "not allowed with argument"),
        ([str(TINY), "--set", "seeds=[0,"], "--set 'seeds=[0,': '[0,' is not a TOML value"),
        ([str(TINY), "--set", "task.n_train=-1"], "--set task.n_train=-1: task.n_train:"),
        (["nope.toml"], "no spec file nope.toml; specs in experiments/specs/: "),
        ([str(TINY), "--bogus"], "unrecognized arguments: --bogus"),
    ]:
        assert cli_main(["run", *args, "--out", str(tmp_path / "x")]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("spikearena: error: ") and err.count("\n") == 1, err
        assert expected in err, err
    assert not (tmp_path / "x").exists()


def test_spec_dry_run_lists_jobs_and_what_is_finished(reference, capsys):
    out, result = reference
    assert cli_main(["run", "tiny_digits.toml", "--dry-run", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "tiny_digits: 2 point(s), 6 jobs, 6 finished"
    assert printed[1].split() == [result.plan.jobs[0].id, "done", "logistic", "seed", "0"]
    assert printed[3].split()[-1] == "(hidden_sizes=[8])"


def test_spec_quick_dry_run_plans_the_specs_smoke_run(tmp_path, capsys, monkeypatch):
    """`spikearena run SPEC.toml --quick` runs the spec's [quick] table, the same jobs as
    the study script's --quick, by default into results/NAME-quick/."""
    monkeypatch.chdir(tmp_path)
    assert cli_main(["run", "forgetting.toml", "--quick", "--dry-run"]) == 0
    quick = load_spec(SPECS / "forgetting.toml", quick=True)
    ids = [job.id for job in plan_spec(quick).jobs]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"forgetting: 1 point(s), {len(ids)} jobs, 0 finished"
    assert [line.split()[0] for line in printed[1:]] == ids
    assert len(ids) < len(plan_spec(load_spec(SPECS / "forgetting.toml")).jobs)
    assert cli_main(["run", "tiny_digits.toml", "--quick", "--dry-run"]) == 2
    assert "no [quick] table" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_list_shows_experiments_specs_models_tasks_and_cost_tables(capsys):
    assert cli_main(["list"]) == 0
    printed = capsys.readouterr().out
    for expected in (
        "experiments (spikearena run NAME):",
        "quickstart",
        "specs (spikearena run SPEC.toml):",
        "tiny_digits.toml",
        "model kinds",
        "diehl-cook",
        "spiking: DiehlCook2015.",
        "mlp",
        "tasks",
        "fashion-mnist",
        "cost tables",
        "loihi-2018@1",
    ):
        assert expected in printed, expected


@pytest.mark.slow
def test_spiking_jobs_on_two_dask_workers_match_the_in_process_run(tmp_path):
    """Two worker processes build or reuse the same compiled network at the same time,
    each in its own private copy (spiking.backend): the same results as in this process."""
    spec = parse_spec(
        'name = "dc"\nseeds = [0, 1]\noperations_examples = 20\n'
        '[task]\nname = "digits"\nn_train = 100\nn_test = 50\n'
        '[models.dc]\nkind = "diehl-cook"\nparams = { n_excitatory = 20 }\n'
    )
    here = run_spec(spec, tmp_path / "here", progress=False)
    there = run_spec(spec, tmp_path / "there", jobs=2, progress=False)
    assert here.computed == there.computed and len(here.computed) == 2
    assert _measured(_rows(tmp_path / "there" / "results.csv")) == _measured(
        _rows(tmp_path / "here" / "results.csv")
    )
    envs = [json.loads(p.read_text()) for p in (tmp_path / "there").glob("jobs/*/environment.json")]
    assert all(e["dask_worker"] and e["spiking_backend"] == "standalone" for e in envs)
