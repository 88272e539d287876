"""An experiment: models x seeds on one task, measured and written as tidy results.

:func:`run_experiment` builds every model of an :class:`ExperimentConfig` for every
seed, evaluates it (:func:`compare.metrics.evaluate`), and writes, into a fresh
staging directory that replaces ``output_dir`` only when everything is written:

``config.json``       the fully resolved config
``environment.json``  versions, git commit, Brian2 device/target, machine
``task.json``         the task's size and provenance (source, sha256)
``results.csv``       tidy table: one row per model x task x seed x metric, with unit
``summary.csv``       one row per model: mean accuracy with its 95 % t- and bootstrap
                      intervals over seeds, macro-F1, times, operations
``energy_tables.json`` the cost tables the energy metrics used (values, versions, sources)
``report.md``         the Markdown report (tables + figures, energy, paired statistics)
``figures/``          PNG + SVG figures
``artifacts/``        per model and seed: confusion matrix, learned weights (npz) and the
                      energy breakdowns (json)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from compare.energy import DEFAULT_TABLES, get_table
from compare.metrics import evaluate
from compare.models import ModelSpec, build_model
from compare.results import (
    environment,
    replace_directory,
    write_csv,
    write_json,
    write_tidy_csv,
)
from compare.stats import confidence_interval
from compare.tasks import Task, load_task

__all__ = ["ExperimentConfig", "ExperimentResult", "run_experiment"]


@dataclass(frozen=True)
class ExperimentConfig:
    """What to run. Every field is recorded in ``config.json`` next to the results.

    Parameters
    ----------
    name
        Experiment name; the default output directory is ``results/<name>``.
    models
        The models to compare.
    task
        Key of :data:`compare.tasks.TASKS`.
    task_params
        Keyword arguments of the task loader (e.g. ``{"data_dir": "..."}``).
    seeds
        One run per model and seed; the seed is each estimator's ``random_state``.
    n_train, n_test
        Stratified subset sizes (None: the whole split). The subset is drawn with
        ``subset_seed``, identical for every model and seed.
    subset_seed
        Seed of the subset draw.
    operations_examples
        Test examples the operations report is measured on (None: all).
    energy_tables
        Cost tables (:data:`compare.energy.TABLES` names) the operations are priced
        with; each model gets the estimates of the tables that can price it.
    """

    name: str
    models: tuple[ModelSpec, ...]
    task: str = "digits"
    task_params: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    n_train: int | None = None
    n_test: int | None = None
    subset_seed: int = 0
    operations_examples: int | None = 200
    energy_tables: tuple[str, ...] = DEFAULT_TABLES

    def __post_init__(self):
        if not self.models:
            raise ValueError(f"experiment {self.name!r} has no models")
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"experiment {self.name!r}: model labels must be unique, got {labels}")
        if not self.seeds:
            raise ValueError(f"experiment {self.name!r} has no seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"experiment {self.name!r}: seeds must be unique, got {self.seeds}")
        for table in self.energy_tables:
            try:
                get_table(table)
            except ValueError as err:
                raise ValueError(f"experiment {self.name!r}: {err}") from None

    def to_dict(self) -> dict:
        """JSON-able resolved config."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` wrote and measured."""

    output_dir: Path
    rows: list[dict]
    summary: list[dict]
    task: Task


def _load(config: ExperimentConfig) -> Task:
    task = load_task(config.task, **config.task_params)
    if config.n_train is not None or config.n_test is not None:
        task = task.subset(config.n_train, config.n_test, random_state=config.subset_seed)
    return task


def _summarise(config, rows) -> list[dict]:
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


def run_experiment(
    config: ExperimentConfig,
    output_dir: Path | None = None,
    *,
    progress: bool = True,
) -> ExperimentResult:
    """Run every model x seed of ``config`` and write the results to ``output_dir``.

    Nothing in ``output_dir`` changes until the whole experiment has succeeded; then
    the new results replace the old ones in one step. A failure (or Ctrl-C) leaves
    the previous results as they were.
    """
    from compare.report import write_report

    output_dir = Path(output_dir or Path("results") / config.name)
    if output_dir.exists() and not output_dir.is_dir():
        raise NotADirectoryError(f"results path {output_dir} exists and is not a directory")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(output_dir.parent, os.W_OK):
        raise PermissionError(f"cannot write results: {output_dir.parent} is not writable")

    task = _load(config)
    staging = Path(tempfile.mkdtemp(dir=output_dir.parent, prefix=f".{output_dir.name}.staging-"))
    try:
        (staging / "figures").mkdir()
        (staging / "artifacts").mkdir()
        write_json(staging / "config.json", config.to_dict())
        env = environment()
        write_json(staging / "environment.json", env)
        write_json(staging / "task.json", task.describe())
        write_json(
            staging / "energy_tables.json",
            [get_table(t).to_dict() for t in config.energy_tables],
        )

        rows, evaluations = [], {}
        jobs = [(spec, seed) for spec in config.models for seed in config.seeds]
        bar = tqdm(jobs, desc=config.name, unit="job", disable=not progress)
        for spec, seed in bar:
            bar.set_postfix_str(f"{spec.label} seed {seed} on {task.name}")
            model = build_model(spec, random_state=seed)
            if progress and spec.arm == "spiking":
                # minutes per fit: show the per-pass bars (torch fits take seconds)
                model.set_params(verbose=True)
            result = evaluate(
                model,
                task,
                operations_examples=config.operations_examples,
                energy_tables=config.energy_tables,
            )
            evaluations[spec.label, seed] = result
            for metric, (value, unit) in result.metrics.items():
                rows.append(
                    {
                        "experiment": config.name,
                        "task": task.name,
                        "model": spec.label,
                        "arm": spec.arm,
                        "kind": spec.kind,
                        "seed": seed,
                        "metric": metric,
                        "value": value,
                        "unit": unit,
                    }
                )
            artefacts = {"confusion": result.confusion}
            for attr in ("weights_", "theta_", "assignments_"):
                if hasattr(result.model, attr):
                    artefacts[attr.rstrip("_")] = np.asarray(getattr(result.model, attr))
            np.savez_compressed(staging / "artifacts" / f"{spec.label}_seed{seed}.npz", **artefacts)
            write_json(
                staging / "artifacts" / f"{spec.label}_seed{seed}_energy.json", result.energy
            )
        bar.close()

        summary = _summarise(config, rows)
        write_tidy_csv(staging / "results.csv", rows)
        write_csv(staging / "summary.csv", summary, list(summary[0]))
        write_report(staging, config, task, summary, evaluations, env, rows)
        replace_directory(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExperimentResult(output_dir=output_dir, rows=rows, summary=summary, task=task)
