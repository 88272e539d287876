"""Planning needs no data: job ids, ``--dry-run`` and plans come from pinned identities.

Every test here runs with the data search path pointed at an empty directory
(``SPIKEARENA_DATA_PATH``), as on a fresh machine without Debian's data package, and
checks the ids against those of the committed reference runs, which were computed
from the data itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from compare.cli import main
from compare.data import catalog
from compare.pipeline.runner import plan_spec, run_spec
from compare.pipeline.spec import Spec, load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "experiments" / "specs").glob("*.toml"))
COMMITTED = sorted(p.parent for p in (ROOT / "results").rglob("spec.json"))


@pytest.fixture(autouse=True)
def no_data(monkeypatch, tmp_path):
    """No data set can be found: an empty search path and an empty user data dir."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", str(empty))
    monkeypatch.setenv("XDG_DATA_HOME", str(empty))
    monkeypatch.delenv("SPIKEARENA_DATA", raising=False)
    for name in catalog.DATASETS:
        found, _ = catalog.locate(catalog.DATASETS[name])
        assert found is None, f"{name} is still found at {found}"


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_study_spec_plans_without_its_data(path):
    quick = "[quick]" in path.read_text(encoding="utf-8")
    for spec in (load_spec(path), load_spec(path, quick=quick)):
        plan = plan_spec(spec)
        assert plan.jobs and len({job.id for job in plan.jobs}) == len(plan.jobs)
        for point in plan.points:
            name = point.config.task.name
            if name in catalog.DATASETS:
                assert point.task_table["sha256"] == catalog.DATASETS[name].sha256


@pytest.mark.parametrize("directory", COMMITTED, ids=[str(p.relative_to(ROOT)) for p in COMMITTED])
def test_committed_runs_job_ids_are_planned_without_the_data(directory):
    # results.csv's job ids were computed from the data files; the pinned identity
    # must give the same ones, or a rerun would recompute every finished job.
    with open(directory / "results.csv", newline="", encoding="utf-8") as fh:
        recorded = {row["job"] for row in csv.DictReader(fh)}
    spec = Spec.from_dict(json.loads((directory / "spec.json").read_text(encoding="utf-8")))
    assert {job.id for job in plan_spec(spec).jobs} == recorded


def test_dry_run_lists_the_jobs_without_the_data(capsys, tmp_path):
    assert main(["run", "robustness.toml", "--quick", "--dry-run", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "jobs, 0 finished" in out and "todo" in out


def test_running_without_the_data_names_the_fetch_command_and_writes_nothing(tmp_path):
    spec = load_spec(SPECS[0].parent / "robustness.toml", quick=True)
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="spikearena data fetch fashion-mnist"):
        run_spec(spec, out, progress=False)
    assert not out.exists()
